//! Binds first, then serves: the bound address is known before the first
//! request (tests bind 127.0.0.1:0), and shutdown is ours to drive.

use std::io;
use std::net::{SocketAddr, TcpListener};

use actix_web::dev::{Server, ServerHandle};
use actix_web::http::header::X_CONTENT_TYPE_OPTIONS;
use actix_web::middleware::{Condition, DefaultHeaders, ErrorHandlers, from_fn};
use actix_web::{App, HttpServer, web};

use crate::config::Settings;
use crate::host::StaticFacts;
use crate::limits::{limit_header_size, refuse_body};
use crate::metrics::track;
use crate::routes;
use crate::state::AppState;
use crate::telemetry::access_log;

pub struct Application {
    server: Server,
    local_addr: SocketAddr,
    shutdown: Shutdown,
}

/// Drives a graceful shutdown. actix-http itself closes idle keep-alive
/// connections and lets in-flight requests finish (up to the shutdown
/// timeout) once the server is stopped gracefully.
#[derive(Clone)]
pub struct Shutdown {
    state: web::Data<AppState>,
    server: ServerHandle,
}

impl Shutdown {
    /// Readiness turns 503, then the server stops accepting and drains.
    pub async fn begin(&self) {
        self.mark_not_ready();
        self.stop().await;
    }

    pub fn mark_not_ready(&self) {
        self.state.begin_shutdown();
    }

    /// Stops accepting, waits for in-flight requests, closes idle ones.
    pub async fn stop(&self) {
        self.server.stop(true).await;
    }
}

impl Application {
    pub fn build(settings: &Settings) -> io::Result<Self> {
        let listener = TcpListener::bind(settings.listen)?;
        let local_addr = listener.local_addr()?;
        let state = web::Data::new(AppState::new(StaticFacts::gather(), settings.max_waiting));

        // actix's Logger renders each request's fields before it asks
        // whether the line will be written: with its target filtered out
        // (RUST_LOG=warn) that was 22 % of the CPU an /info costs
        // (docs/peers.md), so it is left out whole.
        let log_access =
            log::log_enabled!(target: "actix_web::middleware::logger", log::Level::Info);
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .wrap(ErrorHandlers::new().default_handler(routes::ensure_json_error))
                .wrap(from_fn(limit_header_size))
                .wrap(from_fn(refuse_body))
                .wrap(from_fn(track))
                .wrap(Condition::new(log_access, access_log()))
                // Outermost, so that it reaches every response the
                // application makes, errors included: a browser must never
                // guess that a JSON body is HTML and run it.
                .wrap(DefaultHeaders::new().add((X_CONTENT_TYPE_OPTIONS, "nosniff")))
                .configure(routes::configure)
                .default_service(web::to(routes::not_found))
        })
        .workers(settings.workers.get())
        .shutdown_timeout(settings.shutdown_timeout.as_secs())
        .keep_alive(settings.keep_alive)
        .client_request_timeout(settings.client_request_timeout)
        // A client that closes its side is gone: actix-http then drops the
        // request's future, which ends a `?wait=` and frees its slot and
        // socket at once. Like Go's net/http, this server does not serve
        // half-closed connections (nginx never half-closes upstream).
        .h1_allow_half_closed(false)
        // Signals are handled in `shutdown_on_signal`, so that readiness
        // can flip before the listener closes.
        .disable_signals()
        .listen(listener)?
        .run();

        let shutdown = Shutdown {
            state,
            server: server.handle(),
        };
        Ok(Self {
            server,
            local_addr,
            shutdown,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn shutdown(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// Serves until a [`Shutdown`] completes.
    pub async fn run_until_stopped(self) -> io::Result<()> {
        self.server.await
    }
}

/// Installs SIGTERM and SIGINT handlers at once (so no signal can arrive
/// between "listening" and the handlers existing) and returns the future that
/// shuts down gracefully on the first of them.
pub fn shutdown_on_signal(shutdown: Shutdown) -> io::Result<impl Future<Output = ()>> {
    use actix_rt::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        let name = first_signal(&mut terminate, &mut interrupt).await;
        log::info!("{name} received: readiness now 503, draining in-flight requests");
        shutdown.begin().await;
    })
}

async fn first_signal(
    terminate: &mut actix_rt::signal::unix::Signal,
    interrupt: &mut actix_rt::signal::unix::Signal,
) -> &'static str {
    std::future::poll_fn(|cx| {
        if terminate.poll_recv(cx).is_ready() {
            return std::task::Poll::Ready("SIGTERM");
        }
        if interrupt.poll_recv(cx).is_ready() {
            return std::task::Poll::Ready("SIGINT");
        }
        std::task::Poll::Pending
    })
    .await
}
