use crate::helpers::{assert_forbids_sniffing, assert_json_error, spawn_app};

#[tokio::test]
async fn unknown_path_is_a_json_404() {
    let app = spawn_app().await;
    let message = assert_json_error(app.get("/does/not/exist").await, 404).await;
    assert!(message.contains("/does/not/exist"));
}

#[tokio::test]
async fn wrong_method_is_a_json_405_with_allow_header_on_every_route() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/info",
        "/health",
        "/ready",
        "/metrics",
        "/status/200",
        "/openapi.json",
    ] {
        for method in [
            reqwest::Method::POST,
            reqwest::Method::DELETE,
            reqwest::Method::OPTIONS,
        ] {
            let response = app
                .client
                .request(method.clone(), app.url(path))
                .send()
                .await
                .unwrap();
            assert_eq!(response.headers()["allow"], "GET, HEAD", "{method} {path}");
            let message = assert_json_error(response, 405).await;
            assert!(message.contains(method.as_str()), "{message}");
        }
    }
}

#[tokio::test]
async fn malformed_query_is_a_json_400() {
    let app = spawn_app().await;
    let message = assert_json_error(app.get("/info?wait=1s&wait=2s").await, 400).await;
    assert!(message.contains("query"), "{message}");
}

#[tokio::test]
async fn unknown_path_with_wrong_method_is_still_a_404() {
    let app = spawn_app().await;
    let response = app.client.post(app.url("/nope")).send().await.unwrap();
    assert_json_error(response, 404).await;
}

#[tokio::test]
async fn oversized_headers_get_a_json_431() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/info"))
        .header("X-Big", "a".repeat(40 * 1024))
        .send()
        .await
        .unwrap();
    let message = assert_json_error(response, 431).await;
    assert!(message.contains("at most"), "{message}");
}

#[tokio::test]
async fn every_response_forbids_content_sniffing() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/info",
        "/health",
        "/ready",
        "/metrics",
        "/openapi.json",
        "/status/204",
    ] {
        let response = app.get(path).await;
        assert!(response.status().is_success(), "{path}");
        assert_forbids_sniffing(&response, path);
    }
}
