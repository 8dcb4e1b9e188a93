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
