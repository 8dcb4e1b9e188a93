use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{assert_json_error, spawn_app};

#[tokio::test]
async fn info_has_every_documented_key_with_its_type() {
    let app = spawn_app().await;
    let info = app.get_json("/info").await;

    assert_eq!(
        info["hostname"],
        gethostname::gethostname().to_string_lossy().as_ref()
    );
    for address in info["addresses"].as_array().unwrap() {
        assert!(address["interface"].is_string());
        let ip: std::net::IpAddr = address["address"].as_str().unwrap().parse().unwrap();
        assert!(!ip.is_loopback());
    }
    let first_ipv4 = info["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["address"].as_str().unwrap())
        .find(|a| a.contains('.'));
    assert_eq!(info["ip_address"].as_str(), first_ipv4);

    for key in ["name", "version", "kernel"] {
        assert!(info["os"][key].is_string() || info["os"][key].is_null());
    }
    assert_eq!(info["os"]["arch"], std::env::consts::ARCH);
    assert!(info["cpu"]["logical"].as_u64().unwrap() >= 1);
    assert!(info["cpu"]["physical"].is_u64() || info["cpu"]["physical"].is_null());
    assert!(info["cpu"]["brand"].is_string() || info["cpu"]["brand"].is_null());
    let total = info["memory"]["total_bytes"].as_u64().unwrap();
    let available = info["memory"]["available_bytes"].as_u64().unwrap();
    assert!(0 < available && available <= total);
    let load = info["load_average"].as_array().unwrap();
    assert_eq!(load.len(), 3);
    assert!(load.iter().all(|l| l.as_f64().unwrap() >= 0.0));
    assert!(info["uptime_seconds"].as_u64().unwrap() > 0);

    assert_eq!(info["process"]["pid"], std::process::id());
    assert_eq!(info["process"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(info["process"]["uptime_seconds"].is_u64());
    let started_at = info["process"]["started_at"].as_str().unwrap();
    assert!(started_at.ends_with('Z'), "UTC: {started_at}");
    assert!(
        started_at.parse::<jiff::Timestamp>().is_ok(),
        "RFC 3339: {started_at}"
    );

    assert!(info["requests_served"].as_u64().unwrap() >= 1);
    assert!(info["request"].is_object());
    assert_eq!(info.as_object().unwrap().len(), 11, "no undocumented keys");
}

#[tokio::test]
async fn info_keys_come_in_a_stable_order() {
    let app = spawn_app().await;
    let body = app.get("/info").await.text().await.unwrap();
    let keys = [
        "\"hostname\"",
        "\"ip_address\"",
        "\"addresses\"",
        "\"os\"",
        "\"cpu\"",
        "\"memory\"",
        "\"load_average\"",
        "\"uptime_seconds\"",
        "\"process\"",
        "\"requests_served\"",
        "\"request\"",
    ];
    let positions: Vec<_> = keys.iter().map(|k| body.find(k).unwrap()).collect();
    assert!(positions.is_sorted(), "{body}");
}

#[tokio::test]
async fn info_reports_method_path_and_peer_of_the_request() {
    let app = spawn_app().await;
    let info = app.get_json("/info?x=1").await;
    assert_eq!(info["request"]["method"], "GET");
    assert_eq!(info["request"]["path"], "/info");
    let peer: std::net::SocketAddr = info["request"]["peer"].as_str().unwrap().parse().unwrap();
    assert!(peer.ip().is_loopback());
    assert_eq!(info["request"]["host"], app.address.to_string());
}

#[tokio::test]
async fn info_reports_forwarded_for_header_when_present() {
    let app = spawn_app().await;
    let info: Value = app
        .client
        .get(app.url("/info"))
        .header("X-Forwarded-For", "203.0.113.7, 10.0.0.2")
        .header("X-Real-IP", "203.0.113.7")
        .header("Host", "example.test")
        .header("User-Agent", "probe/1.0")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let request = &info["request"];
    assert_eq!(request["forwarded_for"], "203.0.113.7, 10.0.0.2");
    assert_eq!(request["real_ip"], "203.0.113.7");
    assert_eq!(request["host"], "example.test");
    assert_eq!(request["user_agent"], "probe/1.0");
}

#[tokio::test]
async fn info_reports_null_for_absent_forwarding_headers() {
    let app = spawn_app().await;
    let info = app.get_json("/info").await;
    for key in ["forwarded_for", "real_ip", "user_agent"] {
        assert!(info["request"][key].is_null(), "{key} should be null");
    }
}

#[tokio::test]
async fn info_request_counter_increases_with_every_request() {
    let app = spawn_app().await;
    let first = app.get_json("/info").await["requests_served"]
        .as_u64()
        .unwrap();
    app.get("/health").await;
    let second = app.get_json("/info").await["requests_served"]
        .as_u64()
        .unwrap();
    assert_eq!(second, first + 2);
}

#[tokio::test]
async fn head_info_answers_with_headers_and_no_body() {
    let app = spawn_app().await;
    let response = app.client.head(app.url("/info")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(response.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn info_is_not_cacheable() {
    let app = spawn_app().await;
    let response = app.get("/info").await;
    assert_eq!(response.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn info_wait_delays_the_answer_by_the_given_time() {
    let app = spawn_app().await;
    for (query, at_least) in [
        ("wait=300ms", Duration::from_millis(300)),
        ("wait=1s", Duration::from_secs(1)),
        ("wait=200000us", Duration::from_millis(200)),
        ("wait=0.25s", Duration::from_millis(250)),
    ] {
        let started = Instant::now();
        let response = app.get(&format!("/info?{query}")).await;
        assert_eq!(response.status(), 200, "{query}");
        let elapsed = started.elapsed();
        assert!(elapsed >= at_least, "{query} answered after {elapsed:?}");
        assert!(
            elapsed < at_least + Duration::from_secs(1),
            "{query}: {elapsed:?}"
        );
    }
}

#[tokio::test]
async fn info_wait_above_ten_seconds_is_a_400_without_waiting() {
    let app = spawn_app().await;
    for too_long in ["11s", "3m"] {
        let started = Instant::now();
        let message =
            assert_json_error(app.get(&format!("/info?wait={too_long}")).await, 400).await;
        assert!(message.contains(too_long), "{message}");
        assert!(message.contains("at most 10s"), "{message}");
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}

#[tokio::test]
async fn info_wait_not_a_duration_or_negative_is_a_400_naming_the_value() {
    let app = spawn_app().await;
    for bad in ["soon", "5", "1x", "-1s"] {
        let message = assert_json_error(app.get(&format!("/info?wait={bad}")).await, 400).await;
        assert!(message.contains(bad), "{message}");
    }
}
