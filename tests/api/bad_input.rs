//! Hostile or broken clients get a 4xx or a closed connection, and the
//! server keeps answering everyone else.

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::helpers::{RawOutcome, raw_exchange, read_status, spawn_app};

fn assert_rejected(outcome: &RawOutcome, what: &str) {
    match outcome {
        RawOutcome::Closed => {}
        RawOutcome::Status(code) => assert!((400..500).contains(code), "{what}: got {code}"),
    }
}

#[tokio::test]
async fn malformed_request_line_is_rejected_and_server_keeps_serving() {
    let app = spawn_app().await;
    let address = app.address;
    let outcome =
        tokio::task::spawn_blocking(move || raw_exchange(address, b"THIS IS NOT HTTP\r\n\r\n"))
            .await
            .unwrap();
    assert_rejected(&outcome, "malformed request line");
    app.assert_still_healthy().await;
}

#[tokio::test]
async fn header_of_64_kib_is_rejected_and_server_keeps_serving() {
    let app = spawn_app().await;
    let address = app.address;
    let outcome = tokio::task::spawn_blocking(move || {
        let mut request = b"GET /info HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
        request.extend(std::iter::repeat_n(b'a', 64 * 1024));
        request.extend_from_slice(b"\r\n\r\n");
        raw_exchange(address, &request)
    })
    .await
    .unwrap();
    assert_eq!(outcome, RawOutcome::Status(431), "64 KiB header");
    app.assert_still_healthy().await;
}

#[tokio::test]
async fn a_thousand_headers_are_rejected_and_server_keeps_serving() {
    let app = spawn_app().await;
    let address = app.address;
    let outcome = tokio::task::spawn_blocking(move || {
        let mut request = b"GET /info HTTP/1.1\r\nHost: x\r\n".to_vec();
        for i in 0..1000 {
            request.extend_from_slice(format!("X-Header-{i}: v\r\n").as_bytes());
        }
        request.extend_from_slice(b"\r\n");
        raw_exchange(address, &request)
    })
    .await
    .unwrap();
    assert_rejected(&outcome, "1,000 headers");
    app.assert_still_healthy().await;
}

#[tokio::test]
async fn slowly_trickled_request_is_cut_off_and_server_keeps_serving() {
    let app = spawn_app().await;
    let address = app.address;
    let (outcome, took) = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut stream = TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(6)))
            .unwrap();
        let mut writer = stream.try_clone().unwrap();
        // One byte every 100 ms: never a complete head within the timeout.
        std::thread::spawn(move || {
            for byte in b"GET /info HTTP/1.1\r\nHost: x\r\nX-Slow: "
                .iter()
                .cycle()
                .take(60)
            {
                if writer.write_all(&[*byte]).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        (read_status(&mut stream), started.elapsed())
    })
    .await
    .unwrap();
    assert_rejected(&outcome, "slowloris");
    assert!(took < Duration::from_secs(4), "cut off after {took:?}");
    app.assert_still_healthy().await;
}

/// Reads until the server closes the connection (or `limit` passes): what
/// it sent, and whether and when it closed.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, Option<Duration>) {
    use std::io::Read;
    let started = Instant::now();
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (received, Some(started.elapsed())),
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return (received, Some(started.elapsed()));
            }
            Err(_) => return (received, None),
        }
    }
}

/// No route reads a body. A chunked body that never ends used to be drained
/// for as long as the client kept the connection open (900 s and more).
#[tokio::test]
async fn a_chunked_body_that_never_ends_is_refused_and_its_connection_closed() {
    let app = spawn_app().await;
    let address = app.address;
    let (received, closed_after) = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(address).unwrap();
        stream
            .write_all(
                b"GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFF\r\nabc",
            )
            .unwrap();
        read_until_closed(&mut stream, Duration::from_secs(8))
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&received).to_lowercase();
    assert!(text.starts_with("http/1.1 413"), "{text}");
    assert!(text.contains("connection: close"), "{text}");
    assert!(text.contains("content-type: application/json"), "{text}");
    let closed_after = closed_after.expect("connection still open after 8 s");
    assert!(closed_after < Duration::from_secs(3), "{closed_after:?}");
    app.assert_still_healthy().await;
}

#[tokio::test]
async fn a_declared_body_is_refused_on_every_route_and_its_connection_closed() {
    let app = spawn_app().await;
    for request in [
        &b"GET /info HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"[..],
        b"POST /ready/disable HTTP/1.1\r\nHost: x\r\nX-Hostinfo-Switch: 1\r\nContent-Length: 10485760\r\n\r\nabc",
        b"GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ] {
        let address = app.address;
        let (received, closed_after) = tokio::task::spawn_blocking(move || {
            let mut stream = TcpStream::connect(address).unwrap();
            stream.write_all(request).unwrap();
            read_until_closed(&mut stream, Duration::from_secs(8))
        })
        .await
        .unwrap();
        let text = String::from_utf8_lossy(&received).to_lowercase();
        let what = String::from_utf8_lossy(request).lines().next().unwrap().to_owned();
        assert!(text.starts_with("http/1.1 413"), "{what}: {text}");
        assert!(text.contains("takes no request body"), "{what}: {text}");
        let closed_after = closed_after.expect("connection still open after 8 s");
        assert!(closed_after < Duration::from_secs(3), "{what}: {closed_after:?}");
    }
    assert_eq!(
        app.get("/ready").await.status(),
        200,
        "nothing was switched"
    );
}
