use actix_web::{HttpResponse, web};

use crate::state::AppState;

const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(OPENMETRICS_CONTENT_TYPE)
        .body(state.metrics.encode())
}
