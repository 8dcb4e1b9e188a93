use std::time::{Duration, Instant};

use crate::helpers::{RunningBinary, spawn_app};

#[tokio::test]
async fn ready_turns_503_once_shutdown_has_begun_while_in_flight_requests_finish() {
    let app = spawn_app().await;
    let slow = tokio::spawn({
        let client = reqwest::Client::new();
        let url = app.url("/info?wait=1s");
        async move { client.get(url).send().await.map(|r| r.status().as_u16()) }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;

    app.shutdown.mark_not_ready();
    let response = reqwest::Client::new()
        .get(app.url("/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.text().await.unwrap(),
        r#"{"status":"shutting_down"}"#
    );
    let health = reqwest::Client::new()
        .get(app.url("/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200, "still alive while draining");

    let stopped = Instant::now();
    app.shutdown.stop().await;
    assert_eq!(
        slow.await.unwrap().unwrap(),
        200,
        "in-flight request finished"
    );
    app.server.await.unwrap().unwrap();
    assert!(
        stopped.elapsed() < Duration::from_secs(2),
        "{:?}",
        stopped.elapsed()
    );
}

#[tokio::test]
async fn sigterm_drains_an_in_flight_request_and_exits_zero() {
    let mut binary = RunningBinary::start();
    let url = format!("http://{}/info?wait=1s", binary.address);
    let slow = tokio::spawn(async move { reqwest::get(url).await.map(|r| r.status().as_u16()) });
    tokio::time::sleep(Duration::from_millis(300)).await;

    let signalled = Instant::now();
    binary.signal(libc::SIGTERM);
    assert_eq!(
        slow.await.unwrap().unwrap(),
        200,
        "in-flight request finished"
    );
    let code = tokio::task::spawn_blocking(move || binary.wait_exit(Duration::from_secs(5)))
        .await
        .unwrap();
    assert_eq!(code, Some(0));
    assert!(signalled.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn sigint_stops_an_idle_server_promptly_with_status_zero() {
    let mut binary = RunningBinary::start();
    let signalled = Instant::now();
    binary.signal(libc::SIGINT);
    let code = tokio::task::spawn_blocking(move || binary.wait_exit(Duration::from_secs(5)))
        .await
        .unwrap();
    assert_eq!(code, Some(0));
    assert!(signalled.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn new_connections_are_refused_after_sigterm() {
    let mut binary = RunningBinary::start();
    let address = binary.address;
    binary.signal(libc::SIGTERM);
    let code = tokio::task::spawn_blocking(move || binary.wait_exit(Duration::from_secs(5)))
        .await
        .unwrap();
    assert_eq!(code, Some(0));
    assert!(std::net::TcpStream::connect(address).is_err());
}
