//! Readiness: `GET /ready`, and the switches `POST /ready/disable` and
//! `POST /ready/enable` (podinfo's `/readyz/disable` and `/readyz/enable`).
//!
//! The switches change only what `/ready` answers: the process keeps
//! serving every other route. Whoever reads `/ready` (a Kubernetes
//! readinessProbe) takes the replica out of rotation; nginx never reads it.
//!
//! A switch needs the header [`SWITCH_HEADER`]`: 1`. A web page can make a
//! browser POST text/plain cross-site with no preflight (a `no-cors`
//! fetch to a port-forwarded pod), but not with a custom header: that takes
//! a CORS preflight, which this server never grants (OPTIONS is a 405).
//! Bodies are refused before routing (`limits::refuse_body`).

use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use super::errors::ApiError;
use crate::state::AppState;

/// The header, with the value `1`, that a readiness switch requires.
pub const SWITCH_HEADER: &str = "X-Hostinfo-Switch";

/// Readiness: 503 while switched off. Shutdown has no state of its own
/// here: the listener closes at the first signal, so no new request could
/// ever see one (docs/hostile-clients.md, item 11).
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    if state.is_readiness_disabled() {
        unavailable(r#"{"status":"disabled"}"#)
    } else {
        HttpResponse::Ok()
            .content_type(ContentType::json())
            .body(r#"{"status":"ready"}"#)
    }
}

/// `POST /ready/disable`: 202, as podinfo answers; `/ready` turns 503.
pub async fn disable(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Some(refused) = refuse_without_switch_header(&req) {
        return refused;
    }
    state.set_readiness_disabled(true);
    accepted(r#"{"readiness":"disabled"}"#)
}

/// `POST /ready/enable`: 202; `/ready` is 200 again.
pub async fn enable(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Some(refused) = refuse_without_switch_header(&req) {
        return refused;
    }
    state.set_readiness_disabled(false);
    accepted(r#"{"readiness":"enabled"}"#)
}

/// A 403 unless the request carries [`SWITCH_HEADER`]`: 1`.
fn refuse_without_switch_header(req: &HttpRequest) -> Option<HttpResponse> {
    if req
        .headers()
        .get(SWITCH_HEADER)
        .is_some_and(|value| value == "1")
    {
        return None;
    }
    Some(ApiError::new(
        StatusCode::FORBIDDEN,
        format!(
            "{} {} switches readiness only with the header {SWITCH_HEADER}: 1, which a web page cannot send cross-site",
            req.method(),
            req.path()
        ),
    )
    .error_response())
}

fn unavailable(body: &'static str) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .content_type(ContentType::json())
        .body(body)
}

fn accepted(body: &'static str) -> HttpResponse {
    HttpResponse::Accepted()
        .content_type(ContentType::json())
        .body(body)
}
