use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};

use crate::state::AppState;

/// Readiness: turns 503 as soon as shutdown begins, so that whatever routes
/// traffic here stops sending new requests while in-flight ones finish.
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    if state.is_shutting_down() {
        HttpResponse::ServiceUnavailable()
            .content_type(ContentType::json())
            .body(r#"{"status":"shutting_down"}"#)
    } else {
        HttpResponse::Ok()
            .content_type(ContentType::json())
            .body(r#"{"status":"ready"}"#)
    }
}
