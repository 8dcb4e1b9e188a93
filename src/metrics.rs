//! Prometheus metrics, and the middleware that records them for every
//! request.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

use crate::state::AppState;

/// Requests no route matched share one label, so that scanners probing
/// random paths cannot grow the metric set without bound.
const UNMATCHED_ROUTE: &str = "unmatched";

/// The status label of a request whose client closed the connection before
/// it was answered: there is no status code, and nginx's 499 means the same
/// only to those who know nginx.
pub const CLIENT_CLOSED: &str = "client_closed";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteStatus {
    route: String,
    /// An HTTP status code, or [`CLIENT_CLOSED`].
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: String,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RouteStatus, Counter>,
    latency: Family<Route, Histogram>,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 16 s: covers a plain answer and the longest ?wait=.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Metrics {
    pub fn new(process_start_unix_seconds: f64) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RouteStatus, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route and status",
            requests.clone(),
        );
        let latency =
            Family::<Route, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        registry.register(
            "http_request_duration_seconds",
            "Time from request head to response, by route",
            latency.clone(),
        );
        let start_time = Gauge::<f64, AtomicU64>::default();
        start_time.set(process_start_unix_seconds);
        registry.register(
            "process_start_time_seconds",
            "Start time of the process since the Unix epoch, in seconds",
            start_time,
        );
        Self {
            registry,
            requests,
            latency,
        }
    }

    fn record(&self, route: Option<String>, status: String, seconds: f64) {
        let route = route.unwrap_or_else(|| UNMATCHED_ROUTE.to_owned());
        self.latency
            .get_or_create(&Route {
                route: route.clone(),
            })
            .observe(seconds);
        self.requests
            .get_or_create(&RouteStatus { route, status })
            .inc();
    }

    /// The OpenMetrics text exposition, which Prometheus scrapes natively.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(4096);
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}

/// Records a request as [`CLIENT_CLOSED`] when dropped before
/// [`Unanswered::answered`]: actix-http drops a request's future when its
/// client goes away, so no code after the `await` it was parked on runs.
pub struct Unanswered<'a> {
    metrics: &'a Metrics,
    route: &'static str,
    started: Instant,
    answered: bool,
}

impl<'a> Unanswered<'a> {
    pub fn new(metrics: &'a Metrics, route: &'static str) -> Self {
        Self {
            metrics,
            route,
            started: Instant::now(),
            answered: false,
        }
    }

    pub fn answered(mut self) {
        self.answered = true;
    }
}

impl Drop for Unanswered<'_> {
    fn drop(&mut self) {
        if !self.answered {
            self.metrics.record(
                Some(self.route.to_owned()),
                CLIENT_CLOSED.to_owned(),
                self.started.elapsed().as_secs_f64(),
            );
        }
    }
}

/// Counts the request and records its route, status and latency.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let in_flight = state.as_ref().map(|state| {
        state.count_request();
        state.enter()
    });
    let result = next.call(req).await;
    drop(in_flight);
    if let Some(state) = &state {
        let elapsed = started.elapsed().as_secs_f64();
        match &result {
            Ok(res) => state.metrics.record(
                res.request().match_pattern(),
                res.status().as_u16().to_string(),
                elapsed,
            ),
            Err(e) => state.metrics.record(
                None,
                e.as_response_error().status_code().as_u16().to_string(),
                elapsed,
            ),
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_lists_requests_latency_and_start_time() {
        let metrics = Metrics::new(1_700_000_000.5);
        metrics.record(Some("/info".into()), "200".into(), 0.001);
        metrics.record(None, "404".into(), 0.001);
        drop(Unanswered::new(&metrics, "/gone"));
        let text = metrics.encode();
        assert!(
            text.contains(r#"http_requests_total{route="/info",status="200"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"http_requests_total{route="unmatched",status="404"} 1"#));
        assert!(text.contains(r#"http_requests_total{route="/gone",status="client_closed"} 1"#));
        assert!(text.contains(r#"http_request_duration_seconds_count{route="/info"} 1"#));
        assert!(text.contains("process_start_time_seconds 1700000000.5"));
        assert!(text.ends_with("# EOF\n"));
    }
}
