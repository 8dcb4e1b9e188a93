//! Logging: env_logger to stderr (a read-only container has nowhere else).

/// One access-log line per request: request line, status, bytes, latency,
/// peer address and the X-Forwarded-For a proxy added (`-` when absent).
pub const ACCESS_LOG_FORMAT: &str =
    r#""%r" %s %bB %Dms peer=%a forwarded_for="%{X-Forwarded-For}i""#;

/// `filter` has been validated by [`crate::config`], so nothing is dropped
/// silently here.
pub fn init_logging(filter: &str) {
    env_logger::Builder::new()
        .parse_filters(filter)
        .format_timestamp_millis()
        .init();
}
