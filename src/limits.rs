//! Request limits that actix-http does not enforce tightly enough by itself.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};

use crate::routes::ApiError;

/// Total size of all header names and values. actix-http buffers up to
/// 128 KiB of request head; nothing this service reports needs more than a
/// few hundred bytes. nginx in front (`large_client_header_buffers` in
/// nginx.conf) must accept no more; tests/stack/test_couplings.py checks it.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Answers 431 with the JSON error body when the headers are too large.
pub async fn limit_header_size(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let size: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if size > MAX_HEADER_BYTES {
        let error = ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!("request headers total {size} bytes; at most {MAX_HEADER_BYTES} are accepted"),
        );
        return Ok(req
            .into_response(error.error_response())
            .map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}
