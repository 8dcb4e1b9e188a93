//! Binds first, then serves: the bound address is known before the first
//! request (tests bind 127.0.0.1:0), and shutdown is ours to drive.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_rt::signal::unix::{Signal, SignalKind, signal};

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

/// How long after the drain's deadline actix-server stops by itself, should
/// the process not have exited at the deadline already.
const DEADLINE_BACKSTOP_SECS: u64 = 1;

pub struct Application {
    server: Server,
    local_addr: SocketAddr,
    shutdown: Shutdown,
}

/// Drives a graceful shutdown. actix-http itself closes idle keep-alive
/// connections and lets in-flight requests finish once the server is
/// stopped gracefully.
#[derive(Clone)]
pub struct Shutdown {
    state: web::Data<AppState>,
    server: ServerHandle,
    timeout: Duration,
}

impl Shutdown {
    /// Stops accepting, waits for in-flight requests, closes idle ones.
    pub async fn stop(&self) {
        self.server.stop(true).await;
    }

    pub fn in_flight(&self) -> usize {
        self.state.in_flight()
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
        // The drain's deadline is enforced in `shutdown_on_signal`, which
        // counts what it cuts off; actix-server's own is a backstop after it.
        .shutdown_timeout(settings.shutdown_timeout.as_secs() + DEADLINE_BACKSTOP_SECS)
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
            timeout: settings.shutdown_timeout,
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

/// Exit status when requests were cut off: by the drain's deadline, or by a
/// second signal.
pub const EXIT_CUT_OFF: i32 = 1;

/// Installs every handler at once (so no signal can arrive between
/// "listening" and the handlers existing) and returns the future that acts
/// on them, as nginx and most servers do:
/// - SIGTERM, SIGINT and SIGQUIT stop accepting and drain;
/// - any of them again exits at once, with [`EXIT_CUT_OFF`];
/// - so does the drain's deadline, if requests are still in flight then;
/// - SIGHUP, SIGUSR1 and SIGUSR2, which would kill by default, are logged and
///   ignored: there is no configuration to reload and no log to reopen.
///
/// Either exit logs how many requests it cut off.
pub fn shutdown_on_signal(shutdown: Shutdown) -> io::Result<impl Future<Output = ()>> {
    let mut signals = [
        ("SIGTERM", signal(SignalKind::terminate())?),
        ("SIGINT", signal(SignalKind::interrupt())?),
        ("SIGQUIT", signal(SignalKind::quit())?),
        ("SIGHUP", signal(SignalKind::hangup())?),
        ("SIGUSR1", signal(SignalKind::user_defined1())?),
        ("SIGUSR2", signal(SignalKind::user_defined2())?),
    ];
    Ok(async move {
        let first = next_stop_signal(&mut signals).await;
        log::info!(
            "{first} received: no new connections; draining in-flight requests for up to {} s",
            shutdown.timeout.as_secs()
        );
        actix_rt::spawn({
            let shutdown = shutdown.clone();
            async move { shutdown.stop().await }
        });
        let mut second = std::pin::pin!(next_stop_signal(&mut signals));
        let mut deadline = std::pin::pin!(actix_rt::time::sleep(shutdown.timeout));
        let why = std::future::poll_fn(|cx| {
            if let std::task::Poll::Ready(name) = second.as_mut().poll(cx) {
                return std::task::Poll::Ready(format!("{name} received again while draining"));
            }
            if deadline.as_mut().poll(cx).is_ready() && shutdown.in_flight() > 0 {
                return std::task::Poll::Ready(format!(
                    "the drain's deadline ({} s) passed",
                    shutdown.timeout.as_secs()
                ));
            }
            std::task::Poll::Pending
        })
        .await;
        log::error!(
            "{why}: exiting at once, {} cut off",
            requests(shutdown.in_flight())
        );
        std::process::exit(EXIT_CUT_OFF);
    })
}

/// "1 request", "2 requests".
pub fn requests(count: usize) -> String {
    match count {
        1 => "1 request".to_owned(),
        n => format!("{n} requests"),
    }
}

const STOP_SIGNALS: [&str; 3] = ["SIGTERM", "SIGINT", "SIGQUIT"];

/// The name of the next signal that stops the server; any other is logged.
async fn next_stop_signal(signals: &mut [(&'static str, Signal)]) -> &'static str {
    loop {
        let name = std::future::poll_fn(|cx| {
            for (name, signal) in signals.iter_mut() {
                if signal.poll_recv(cx).is_ready() {
                    return std::task::Poll::Ready(*name);
                }
            }
            std::task::Poll::Pending
        })
        .await;
        if STOP_SIGNALS.contains(&name) {
            return name;
        }
        log::warn!("{name} received: ignored (hostinfo has nothing to reload or reopen)");
    }
}
