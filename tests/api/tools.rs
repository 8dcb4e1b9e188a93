//! The page at `/` and the tools for testing a load balancer: `/status/{code}`,
//! `/info?fail=`, the readiness switches and `/openapi.json`.

use std::time::{Duration, Instant};

use crate::helpers::{assert_json_error, spawn_app};

#[tokio::test]
async fn the_page_is_html_under_16_kib_with_a_strict_policy() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "no-store");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'self';"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let html = response.text().await.unwrap();
    println!("GET / is {} bytes", html.len());
    assert!(html.len() < 16 * 1024, "{} bytes", html.len());
    assert!(html.starts_with("<!doctype html>"));
    let hostname = gethostname::gethostname();
    assert!(html.contains(hostname.to_str().unwrap()));
    assert!(html.contains(env!("CARGO_PKG_VERSION")));
}

#[tokio::test]
async fn head_of_the_page_has_its_headers_and_no_body() {
    let app = spawn_app().await;
    let response = app.client.head(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    assert!(response.headers().contains_key("content-security-policy"));
    assert!(response.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn status_answers_with_the_code_asked_for() {
    let app = spawn_app().await;
    for code in [200u16, 201, 301, 418, 500, 503, 599] {
        let response = app.get(&format!("/status/{code}")).await;
        assert_eq!(response.status(), code);
        let body: serde_json::Value = response.json().await.unwrap();
        if code < 400 {
            assert_eq!(body["status"], code);
        } else {
            assert_eq!(body["error"]["status"], code);
        }
    }
    let response = app.get("/status/204").await;
    assert_eq!(response.status(), 204);
    assert!(response.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn status_outside_200_to_599_is_a_json_400_naming_the_value() {
    let app = spawn_app().await;
    for bad in ["199", "600", "100", "abc", "%2B200", "20.0"] {
        let message = assert_json_error(app.get(&format!("/status/{bad}")).await, 400).await;
        assert!(message.contains("200 to 599"), "{bad}: {message}");
    }
}

#[tokio::test]
async fn fail_0_never_fails_and_fail_1_always_fails_with_a_json_500() {
    let app = spawn_app().await;
    for _ in 0..20 {
        assert_eq!(app.get("/info?fail=0").await.status(), 200);
        let message = assert_json_error(app.get("/info?fail=1").await, 500).await;
        assert!(message.contains("fail=1"), "{message}");
    }
}

#[tokio::test]
async fn fail_one_half_fails_about_half_of_the_requests() {
    let app = spawn_app().await;
    let mut failed = 0;
    for _ in 0..400 {
        match app.get("/info?fail=0.5").await.status().as_u16() {
            200 => {}
            500 => failed += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    // Binomial(400, 0.5): 200 ± 20 is within 4 standard deviations... and more.
    assert!((140..=260).contains(&failed), "{failed} of 400 failed");
}

#[tokio::test]
async fn fail_out_of_range_is_a_json_400_and_costs_no_wait() {
    let app = spawn_app().await;
    for bad in ["1.5", "-0.1", "NaN", "yes", ""] {
        let started = Instant::now();
        let message =
            assert_json_error(app.get(&format!("/info?wait=2s&fail={bad}")).await, 400).await;
        assert!(message.contains("fail"), "{bad}: {message}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "no wait for a bad request"
        );
    }
}

#[tokio::test]
async fn wait_comes_before_the_failure() {
    let app = spawn_app().await;
    let started = Instant::now();
    assert_json_error(app.get("/info?wait=300ms&fail=1").await, 500).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn readiness_switches_off_and_on_while_the_process_serves() {
    let app = spawn_app().await;
    let disable = app
        .client
        .post(app.url("/ready/disable"))
        .header("X-Hostinfo-Switch", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(disable.status(), 202);
    assert_eq!(disable.text().await.unwrap(), r#"{"readiness":"disabled"}"#);
    let ready = app.get("/ready").await;
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.text().await.unwrap(), r#"{"status":"disabled"}"#);
    assert_eq!(app.get("/info").await.status(), 200);
    app.assert_still_healthy().await;

    let enable = app
        .client
        .post(app.url("/ready/enable"))
        .header("X-Hostinfo-Switch", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(enable.status(), 202);
    assert_eq!(app.get("/ready").await.status(), 200);
}

/// What a web page can send cross-site without a preflight: a "simple"
/// request, text/plain, no custom header, any body. It must switch nothing.
#[tokio::test]
async fn readiness_switches_refuse_what_a_cross_site_page_can_send() {
    let app = spawn_app().await;
    for path in ["/ready/disable", "/ready/enable"] {
        let response = app
            .client
            .post(app.url(path))
            .header("Origin", "http://evil.example")
            .header("Content-Type", "text/plain")
            .body("x")
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(status == 403 || status == 413, "{path}: {status}");
        assert_json_error(response, status).await;
        let response = app
            .client
            .post(app.url(path))
            .header("Origin", "http://evil.example")
            .header("Content-Type", "text/plain")
            .send()
            .await
            .unwrap();
        let message = assert_json_error(response, 403).await;
        assert!(message.contains("X-Hostinfo-Switch"), "{message}");
    }
    assert_eq!(
        app.get("/ready").await.status(),
        200,
        "nothing was switched"
    );

    let big = app
        .client
        .post(app.url("/ready/disable"))
        .header("X-Hostinfo-Switch", "1")
        .body(vec![b'a'; 10 * 1024 * 1024])
        .send()
        .await;
    // The server answers 413 and closes before reading 10 MB, so the client
    // may see the answer or a reset.
    if let Ok(response) = big {
        assert_json_error(response, 413).await;
    }
    assert_eq!(
        app.get("/ready").await.status(),
        200,
        "a body switched nothing"
    );
}

#[tokio::test]
async fn readiness_switches_answer_post_only() {
    let app = spawn_app().await;
    for path in ["/ready/disable", "/ready/enable"] {
        let response = app.get(path).await;
        assert_eq!(response.headers()["allow"], "POST");
        assert_json_error(response, 405).await;
    }
    assert_eq!(
        app.get("/ready").await.status(),
        200,
        "a GET switched nothing"
    );
}

#[tokio::test]
async fn openapi_lists_every_route() {
    let app = spawn_app().await;
    let doc = app.get_json("/openapi.json").await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/",
        "/info",
        "/health",
        "/ready",
        "/ready/disable",
        "/ready/enable",
        "/metrics",
        "/status/{code}",
        "/openapi.json",
    ] {
        assert!(paths.contains_key(path), "{path} is not documented");
    }
    assert_eq!(paths.len(), 9, "no route documented that does not exist");
}
