//! `GET /openapi.json`: the OpenAPI 3.1 description of every route, written
//! by hand and embedded; tests/openapi checks it against real answers.

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;

pub const DOCUMENT: &str = include_str!("openapi.json");

pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(DOCUMENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_json_and_its_version_is_the_crates() {
        let doc: serde_json::Value = serde_json::from_str(DOCUMENT).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."));
        assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    }
}
