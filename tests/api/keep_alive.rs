//! HOSTINFO_KEEP_ALIVE: how long an idle connection from nginx stays open.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::helpers::{spawn_app_with, test_settings};

/// Sends one keep-alive request, reads the whole response, then waits for
/// the server to close the idle connection: how long it stayed open.
fn idle_time_until_closed(address: SocketAddr) -> Duration {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 1024];
    let mut idle_since = None;
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) => panic!("connection still open after 10 s: {e}"),
        }
        if idle_since.is_none() && received.ends_with(br#"{"status":"ok"}"#) {
            idle_since = Some(Instant::now());
        }
    }
    assert!(received.starts_with(b"HTTP/1.1 200"), "{received:?}");
    idle_since.expect("a complete response").elapsed()
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_configured_time() {
    // The client starts its clock when it has read the response, which on a
    // loaded machine is later than the server started its own: the lower
    // bounds leave a quarter of the setting for that, still far from the
    // other setting.
    for (setting, lower, upper) in [(1, 750, 2500), (3, 2250, 4500)] {
        let mut settings = test_settings();
        settings.keep_alive = Duration::from_secs(setting);
        let app = spawn_app_with(settings).await;
        let address = app.address;
        let open = tokio::task::spawn_blocking(move || idle_time_until_closed(address))
            .await
            .unwrap();
        assert!(
            open >= Duration::from_millis(lower) && open < Duration::from_millis(upper),
            "keep-alive {setting} s: the idle connection was closed after {open:?}"
        );
    }
}
