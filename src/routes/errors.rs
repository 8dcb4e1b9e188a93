//! One JSON error shape for every failure the application sees:
//! `{"error":{"status":404,"message":"..."}}`.

use std::fmt;

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;

/// What every route answers, but the readiness switches.
pub const ALLOWED_METHODS: &str = "GET, HEAD";
/// What the readiness switches answer: they change state, so never GET.
pub const POST_ONLY: &str = "POST";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    /// The `Allow` header of a 405.
    allow: &'static str,
    /// The `Retry-After` header of a 503, in seconds. A client shed this way
    /// is also told `Connection: close`: an idle connection costs the
    /// replica about 10 KiB until keep-alive ends.
    retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            allow: ALLOWED_METHODS,
            retry_after: None,
        }
    }

    /// A 503 telling the client when to try again.
    pub fn unavailable(message: impl Into<String>, retry_after_seconds: u32) -> Self {
        Self {
            retry_after: Some(retry_after_seconds),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    status: u16,
    message: &'a str,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let body = Body {
            error: Detail {
                status: self.status.as_u16(),
                message: &self.message,
            },
        };
        let mut response = HttpResponse::build(self.status);
        response.content_type(ContentType::json());
        if self.status == StatusCode::METHOD_NOT_ALLOWED {
            response.insert_header((header::ALLOW, self.allow));
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds));
            response.force_close();
        }
        response.body(serde_json::to_string(&body).expect("error bodies always serialise"))
    }
}

/// The application's fallback service: no route matched the path.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no such path: {}", req.path()),
    )
    .error_response()
}

/// Each resource's fallback service: the path exists, the method does not.
pub async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    not_allowed(&req, ALLOWED_METHODS)
}

/// The fallback of the POST-only resources.
pub async fn method_not_allowed_post_only(req: HttpRequest) -> HttpResponse {
    not_allowed(&req, POST_ONLY)
}

fn not_allowed(req: &HttpRequest, allow: &'static str) -> HttpResponse {
    ApiError {
        allow,
        ..ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!(
                "method {} is not allowed on {}; allowed: {allow}",
                req.method(),
                req.path()
            ),
        )
    }
    .error_response()
}

/// Rewrites any error response that is not already JSON (actix's own
/// extractor and payload errors come as text or empty) into the uniform body,
/// so that no client ever sees an HTML or empty error from the application.
pub fn ensure_json_error<B: MessageBody>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct == HeaderValue::from_static("application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let message = status.canonical_reason().unwrap_or("error").to_owned();
    let (req, _) = res.into_parts();
    let response = ApiError::new(status, message).error_response();
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

    #[actix_web::test]
    async fn error_body_has_status_and_message() {
        let response = ApiError::bad_request("bad wait").error_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = to_bytes(response.into_body()).await.unwrap();
        assert_eq!(
            body.as_ref(),
            br#"{"error":{"status":400,"message":"bad wait"}}"#
        );
    }

    #[test]
    fn method_not_allowed_carries_an_allow_header() {
        let response = ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "no").error_response();
        assert_eq!(response.headers().get(header::ALLOW).unwrap(), "GET, HEAD");
    }
}
