//! Readiness: `GET /ready`, and the switches `POST /ready/disable` and
//! `POST /ready/enable` (podinfo's `/readyz/disable` and `/readyz/enable`).
//!
//! The switches change only what `/ready` answers: the process keeps
//! serving every other route. Whoever reads `/ready` (a Kubernetes
//! readinessProbe) takes the replica out of rotation; nginx never reads it.

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};

use crate::state::AppState;

/// Readiness: 503 as soon as shutdown begins, so that whatever routes
/// traffic here stops sending new requests while in-flight ones finish, and
/// 503 while readiness is switched off.
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    if state.is_shutting_down() {
        unavailable(r#"{"status":"shutting_down"}"#)
    } else if state.is_readiness_disabled() {
        unavailable(r#"{"status":"disabled"}"#)
    } else {
        HttpResponse::Ok()
            .content_type(ContentType::json())
            .body(r#"{"status":"ready"}"#)
    }
}

/// `POST /ready/disable`: 202, as podinfo answers; `/ready` turns 503.
pub async fn disable(state: web::Data<AppState>) -> HttpResponse {
    state.set_readiness_disabled(true);
    accepted(r#"{"readiness":"disabled"}"#)
}

/// `POST /ready/enable`: 202; `/ready` is 200 again (unless shutting down).
pub async fn enable(state: web::Data<AppState>) -> HttpResponse {
    state.set_readiness_disabled(false);
    accepted(r#"{"readiness":"enabled"}"#)
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
