use std::time::{Duration, Instant};

use crate::helpers::{RunningBinary, spawn_app};

#[tokio::test]
async fn stop_lets_an_in_flight_request_finish() {
    let app = spawn_app().await;
    let slow = tokio::spawn({
        let client = reqwest::Client::new();
        let url = app.url("/info?wait=1s");
        async move { client.get(url).send().await.map(|r| r.status().as_u16()) }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;

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
    assert_eq!(app.shutdown.in_flight(), 0);
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

/// An in-flight `?wait=` request against `binary`, answered or not.
fn in_flight(binary: &RunningBinary, wait: &str) -> tokio::task::JoinHandle<Option<u16>> {
    let url = format!("http://{}/info?wait={wait}", binary.address);
    tokio::spawn(async move { reqwest::get(url).await.ok().map(|r| r.status().as_u16()) })
}

async fn exit_code(mut binary: RunningBinary, limit: Duration) -> (Option<i32>, Vec<String>) {
    let log = binary.log.clone();
    let code = tokio::task::spawn_blocking(move || binary.wait_exit(limit))
        .await
        .unwrap();
    let lines = log.lock().unwrap().clone();
    (code, lines)
}

#[tokio::test]
async fn sigquit_drains_an_in_flight_request_like_sigterm() {
    let binary = RunningBinary::start();
    let slow = in_flight(&binary, "1s");
    tokio::time::sleep(Duration::from_millis(300)).await;
    binary.signal(libc::SIGQUIT);
    assert_eq!(slow.await.unwrap(), Some(200), "in-flight request finished");
    let (code, log) = exit_code(binary, Duration::from_secs(5)).await;
    assert_eq!(code, Some(0), "{log:#?}");
}

#[tokio::test]
async fn sighup_and_sigusr1_are_logged_and_ignored() {
    let binary = RunningBinary::start();
    for signal in [libc::SIGHUP, libc::SIGUSR1] {
        binary.signal(signal);
    }
    for name in ["SIGHUP", "SIGUSR1"] {
        let line = binary.log_line(&format!("{name} received: ignored"), Duration::from_secs(3));
        assert!(line.is_some(), "no log line for {name}");
    }
    let health = reqwest::get(format!("http://{}/health", binary.address))
        .await
        .expect("still serving");
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn a_second_signal_during_the_drain_exits_at_once_and_non_zero() {
    let binary = RunningBinary::start();
    let slow = in_flight(&binary, "5s");
    tokio::time::sleep(Duration::from_millis(300)).await;
    binary.signal(libc::SIGTERM);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = Instant::now();
    binary.signal(libc::SIGINT);
    let (code, log) = exit_code(binary, Duration::from_secs(8)).await;
    assert!(
        second.elapsed() < Duration::from_secs(1),
        "{:?}",
        second.elapsed()
    );
    assert_eq!(code, Some(1), "{log:#?}");
    assert!(
        log.iter()
            .any(|l| l.contains("SIGINT received again") && l.contains("1 request")),
        "{log:#?}"
    );
    assert_eq!(
        slow.await.unwrap(),
        None,
        "the in-flight request was cut off"
    );
}

#[tokio::test]
async fn a_drain_that_cuts_requests_off_exits_non_zero_saying_how_many() {
    let binary = RunningBinary::start_with(&[("HOSTINFO_SHUTDOWN_TIMEOUT", "1")]);
    let slow = [in_flight(&binary, "5s"), in_flight(&binary, "5s")];
    tokio::time::sleep(Duration::from_millis(300)).await;
    binary.signal(libc::SIGTERM);
    let (code, log) = exit_code(binary, Duration::from_secs(4)).await;
    assert_eq!(code, Some(1), "{log:#?}");
    assert!(
        log.iter()
            .any(|l| l.contains("deadline (1 s) passed") && l.contains("2 requests cut off")),
        "{log:#?}"
    );
    for request in slow {
        assert_eq!(request.await.unwrap(), None);
    }
}
