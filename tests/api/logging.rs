//! The access log: what a client sends cannot forge its fields.

use std::time::Duration;

use crate::helpers::RunningBinary;

#[tokio::test]
async fn a_forwarded_for_with_quotes_cannot_forge_access_log_fields() {
    let binary = RunningBinary::start();
    let forged = r#"1.2.3.4" 200 0B 0ms peer=10.9.9.9 forwarded_for="6.6.6.6"#;
    let response = reqwest::Client::new()
        .get(format!("http://{}/health?x=%22", binary.address))
        .header("X-Forwarded-For", forged)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let line =
        tokio::task::spawn_blocking(move || binary.log_line("/health?x=", Duration::from_secs(5)))
            .await
            .unwrap()
            .expect("an access-log line");
    let escaped = r#"forwarded_for="1.2.3.4\" 200 0B 0ms peer=10.9.9.9 forwarded_for=\"6.6.6.6""#;
    assert!(line.ends_with(escaped), "{line}");
    assert_eq!(
        line.matches("peer=").count(),
        2,
        "one real, one escaped: {line}"
    );
    assert!(!line.contains(r#" forwarded_for="6.6.6.6""#), "{line}");
}
