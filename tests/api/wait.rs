//! `?wait=`: a bounded number of delayed requests per replica, and a wait
//! that ends when its client goes away.

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::helpers::{TestApp, assert_json_error, spawn_app_with, test_settings};

async fn spawn_app_with_max_waiting(max_waiting: usize) -> TestApp {
    let mut settings = test_settings();
    settings.max_waiting = max_waiting;
    spawn_app_with(settings).await
}

fn start_waiting(app: &TestApp, wait: &str) -> tokio::task::JoinHandle<u16> {
    let url = app.url(&format!("/info?wait={wait}"));
    tokio::spawn(async move {
        reqwest::get(url)
            .await
            .expect("waiting request")
            .status()
            .as_u16()
    })
}

#[tokio::test]
async fn a_waiter_past_the_cap_gets_an_immediate_json_503_with_retry_after() {
    let app = spawn_app_with_max_waiting(2).await;
    let waiting = [start_waiting(&app, "2s"), start_waiting(&app, "2s")];
    tokio::time::sleep(Duration::from_millis(300)).await;

    let asked = Instant::now();
    let response = app.get("/info?wait=2s").await;
    assert!(
        asked.elapsed() < Duration::from_millis(500),
        "{:?}",
        asked.elapsed()
    );
    let retry_after = response.headers().get("retry-after").cloned();
    assert_eq!(
        response.headers()["connection"],
        "close",
        "a shed client does not stay"
    );
    let message = assert_json_error(response, 503).await;
    assert!(
        message.contains("2 requests are already waiting"),
        "{message}"
    );
    let retry_after = retry_after.expect("a Retry-After header");
    assert!(
        retry_after.to_str().unwrap().parse::<u64>().is_ok(),
        "{retry_after:?}"
    );

    // Requests that do not wait are never capped.
    assert_eq!(app.get("/info").await.status(), 200);
    assert_eq!(app.get("/info?wait=0s").await.status(), 200);
    for waiter in waiting {
        assert_eq!(waiter.await.unwrap(), 200);
    }
    assert_eq!(
        app.get("/info?wait=10ms").await.status(),
        200,
        "slots come back"
    );
}

/// A client that hangs up frees its slot at once (its wait is dropped with
/// the connection), and `/metrics` counts it as `client_closed`, not 200.
#[tokio::test]
async fn a_client_that_hangs_up_frees_its_slot_and_is_counted_as_client_closed() {
    let app = spawn_app_with_max_waiting(1).await;
    let address = app.address;
    tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(address).unwrap();
        stream
            .write_all(b"GET /info?wait=5s HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        std::thread::sleep(Duration::from_millis(200));
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let asked = Instant::now();
    let response = app.get("/info?wait=100ms").await;
    assert_eq!(
        response.status(),
        200,
        "the slot of the client that left is free"
    );
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "{:?}",
        asked.elapsed()
    );
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"http_requests_total{route="/info",status="client_closed"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"http_requests_total{route="/info",status="200"} 1"#),
        "only the request that stayed counts as 200: {metrics}"
    );
}
