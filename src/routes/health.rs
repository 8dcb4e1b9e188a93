use actix_web::HttpResponse;
use actix_web::http::header::ContentType;

/// Liveness: answers whenever the process serves at all.
pub async fn health() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(r#"{"status":"ok"}"#)
}
