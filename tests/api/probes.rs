use crate::helpers::spawn_app;

#[tokio::test]
async fn health_answers_ok_json() {
    let app = spawn_app().await;
    let response = app.get("/health").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.text().await.unwrap(), r#"{"status":"ok"}"#);
}

#[tokio::test]
async fn ready_answers_ready_while_serving() {
    let app = spawn_app().await;
    let response = app.get("/ready").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), r#"{"status":"ready"}"#);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = spawn_app().await;
    app.get("/info").await;
    app.get("/no-such-path").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.unwrap();
    assert!(
        text.contains(r#"http_requests_total{route="/info",status="200"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"http_requests_total{route="unmatched",status="404"} 1"#));
    assert!(text.contains("# TYPE http_request_duration_seconds histogram"));
    assert!(text.contains(r#"http_request_duration_seconds_count{route="/info"} 1"#));
}

#[tokio::test]
async fn metrics_report_process_start_time() {
    let app = spawn_app().await;
    let text = app.get("/metrics").await.text().await.unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("process_start_time_seconds "))
        .expect("start time metric");
    let start: f64 = line.split(' ').nth(1).unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(start <= now && now - start < 60.0, "{start} vs {now}");
}
