//! `GET /status/{code}`: answers with the status asked for, as podinfo's
//! `/status/{code}` does, to see what a proxy or a client makes of it.

use actix_web::http::StatusCode;
use actix_web::http::header::{CacheControl, CacheDirective, ContentType};
use actix_web::{HttpResponse, web};

use super::errors::ApiError;

/// The codes `/status/{code}` answers with: final responses only (a 1xx is
/// not a response a handler can end with).
pub const CODES: std::ops::RangeInclusive<u16> = 200..=599;

pub async fn status(code: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let status = parse_code(&code).map_err(ApiError::bad_request)?;
    if status.is_client_error() || status.is_server_error() {
        // Errors keep the service's one error shape.
        return Err(ApiError::new(
            status,
            format!("status {} as asked", status.as_u16()),
        ));
    }
    let mut response = HttpResponse::build(status);
    response.insert_header(CacheControl(vec![CacheDirective::NoStore]));
    // These may carry no body at all (RFC 9110, 15.3.5, 15.3.6, 15.4.5).
    if matches!(status.as_u16(), 204 | 205 | 304) {
        return Ok(response.finish());
    }
    Ok(response
        .content_type(ContentType::json())
        .body(format!(r#"{{"status":{}}}"#, status.as_u16())))
}

/// A status code from 200 to 599, written as plain digits.
pub fn parse_code(value: &str) -> Result<StatusCode, String> {
    let expected = || {
        format!(
            "status code {value:?} is not allowed: expected an integer from {} to {}",
            CODES.start(),
            CODES.end()
        )
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(expected());
    }
    match value.parse::<u16>() {
        Ok(code) if CODES.contains(&code) => StatusCode::from_u16(code).map_err(|_| expected()),
        _ => Err(expected()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_from_200_to_599_are_accepted() {
        for code in ["200", "204", "301", "418", "503", "599"] {
            assert_eq!(parse_code(code).unwrap().as_str(), code);
        }
    }

    #[test]
    fn other_codes_signs_and_words_are_rejected() {
        for bad in [
            "", "199", "600", "100", "0", "+200", "-200", "20a", "2000", "99999999",
        ] {
            let e = parse_code(bad).unwrap_err();
            assert!(e.contains("200 to 599"), "{bad:?}: {e}");
        }
    }
}
