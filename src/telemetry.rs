//! Logging: env_logger to stderr (a read-only container has nowhere else).

use actix_web::dev::ServiceRequest;
use actix_web::middleware::Logger;

/// One access-log line per request: request line, status, bytes, latency,
/// peer address and the X-Forwarded-For a proxy added (`-` when absent).
/// The quoted fields come from the client, so they are escaped
/// ([`quoted`]): a `"` in them cannot end the field and forge others.
pub const ACCESS_LOG_FORMAT: &str =
    r#""%{request_line}xi" %s %bB %Dms peer=%a forwarded_for="%{forwarded_for}xi""#;

/// The access log, its client-supplied fields escaped.
pub fn access_log() -> Logger {
    Logger::new(ACCESS_LOG_FORMAT)
        .custom_request_replace("request_line", |req| quoted(request_line(req).as_bytes()))
        .custom_request_replace("forwarded_for", |req| {
            req.headers()
                .get("x-forwarded-for")
                .map_or_else(|| "-".to_owned(), |value| quoted(value.as_bytes()))
        })
}

fn request_line(req: &ServiceRequest) -> String {
    format!("{} {} {:?}", req.method(), req.uri(), req.version())
}

/// Escapes bytes for a double-quoted log field: `"` and `\` take a
/// backslash, and control and non-ASCII bytes are written as `\xNN`.
pub fn quoted(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        match byte {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(byte));
            }
            b' '..=b'~' => out.push(char::from(byte)),
            _ => out.push_str(&format!("\\x{byte:02x}")),
        }
    }
    out
}

/// `filter` has been validated by [`crate::config`], so nothing is dropped
/// silently here.
pub fn init_logging(filter: &str) {
    env_logger::Builder::new()
        .parse_filters(filter)
        .format_timestamp_millis()
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_backslashes_and_unprintable_bytes_are_escaped() {
        assert_eq!(quoted(b"10.0.0.1, 10.0.0.2"), "10.0.0.1, 10.0.0.2");
        assert_eq!(
            quoted(br#"1.2.3.4" status=200 x="y"#),
            r#"1.2.3.4\" status=200 x=\"y"#
        );
        assert_eq!(quoted(b"a\\b"), r"a\\b");
        assert_eq!(quoted(b"a\nb\x7f\xff"), r"a\x0ab\x7f\xff");
    }
}
