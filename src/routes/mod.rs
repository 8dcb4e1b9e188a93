//! HTTP routes. Every route answers GET and HEAD, but the readiness
//! switches, which answer POST only; any other method gets a JSON 405 with an
//! `Allow` header, and unknown paths a JSON 404.

mod errors;
mod health;
mod info;
mod metrics;
mod openapi;
pub mod page;
mod ready;
mod status;

pub use errors::{ApiError, ensure_json_error, not_found};
pub use info::{host_json, parse_fail, parse_wait};
pub use ready::SWITCH_HEADER;

use actix_web::{FromRequest, Handler, Resource, Responder, web};

/// Registers every route on `cfg`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_only("/info", info::info))
        .service(get_only("/health", health::health))
        .service(get_only("/ready", ready::ready))
        .service(get_only("/metrics", metrics::metrics))
        .service(get_only("/", page::page))
        .service(get_only("/status/{code}", status::status))
        .service(post_only("/ready/disable", ready::disable))
        .service(post_only("/ready/enable", ready::enable))
        .service(get_only("/openapi.json", openapi::openapi));
}

fn post_only<F, Args>(path: &str, handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .route(web::post().to(handler))
        .default_service(web::to(errors::method_not_allowed_post_only))
}

fn get_only<F, Args>(path: &str, handler: F) -> Resource
where
    F: Handler<Args> + Clone,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler.clone()))
        .route(web::head().to(handler))
        .default_service(web::to(errors::method_not_allowed))
}
