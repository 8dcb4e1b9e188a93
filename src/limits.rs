//! Request limits that actix-http does not enforce tightly enough by itself.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, HeaderMap, TRANSFER_ENCODING};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, ResponseError};

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

/// No route reads a request body, so a request that declares one is refused
/// with a JSON 413, and its connection is closed.
///
/// Only closing bounds how long the connection lives. Left alone, actix-http
/// drains an unread chunked body to keep the connection alive, for as long
/// as the client keeps sending (or keeps the connection open mid-chunk),
/// with no timeout. It closes instead when the body is still unread, and
/// wanted, once the response is written: `Connection: close`, then at most
/// `client_disconnect_timeout` (1 s) of discarding what arrives. So the
/// body's receiver is kept alive in the response body, which actix-http
/// drops only after that check.
pub async fn refuse_body(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, UnreadBody>>, Error> {
    if !declares_body(req.headers()) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let payload = req.take_payload();
    let error = ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "{} {} takes no request body; send none, without Content-Length or Transfer-Encoding",
            req.method(),
            req.path()
        ),
    );
    let response = error.error_response().map_body(|_, body| UnreadBody {
        body,
        _payload: payload,
    });
    Ok(req.into_response(response).map_into_right_body())
}

/// Any `Transfer-Encoding`, or a `Content-Length` other than 0.
fn declares_body(headers: &HeaderMap) -> bool {
    headers.contains_key(TRANSFER_ENCODING)
        || headers
            .get_all(CONTENT_LENGTH)
            .any(|length| length.as_bytes() != b"0")
}

/// A response body that holds the request's unread body until it is dropped.
pub struct UnreadBody {
    body: BoxBody,
    _payload: Payload,
}

impl MessageBody for UnreadBody {
    type Error = <BoxBody as MessageBody>::Error;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.parse().unwrap(), HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn a_body_is_declared_by_transfer_encoding_or_a_nonzero_length() {
        assert!(!declares_body(&headers(&[])));
        assert!(!declares_body(&headers(&[("content-length", "0")])));
        assert!(declares_body(&headers(&[("content-length", "5")])));
        assert!(declares_body(&headers(&[("transfer-encoding", "chunked")])));
        assert!(declares_body(&headers(&[(
            "transfer-encoding",
            "identity"
        )])));
    }
}
