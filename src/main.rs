use std::process::ExitCode;

use hostinfo::cli::{self, Command};
use hostinfo::config::{self, Settings};
use hostinfo::startup::{Application, shutdown_on_signal};
use hostinfo::{healthcheck, telemetry};

// musl's allocator serialises threads on one lock; mimalloc does not. Not
// used with glibc, whose allocator measured as fast here with less memory.
#[cfg(target_env = "musl")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Bad arguments or configuration: the conventional usage-error status.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let command = match cli::parse(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(message) => return fail(&message),
    };
    match command {
        Command::Version => {
            println!("hostinfo {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Command::Help => {
            print!("{}", cli::usage());
            ExitCode::SUCCESS
        }
        Command::Healthcheck => match config::listen_from_env() {
            Err(e) => fail(&e.to_string()),
            Ok(listen) => match healthcheck::check(healthcheck::target(listen)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(message) => {
                    eprintln!("hostinfo: {message}");
                    ExitCode::FAILURE
                }
            },
        },
        Command::Serve => match Settings::from_env() {
            Err(e) => fail(&e.to_string()),
            Ok(settings) => serve(&settings),
        },
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("hostinfo: {message}");
    ExitCode::from(EXIT_USAGE)
}

fn serve(settings: &Settings) -> ExitCode {
    telemetry::init_logging(&settings.log_filter);
    let result = actix_rt::System::new().block_on(async {
        let app = Application::build(settings)?;
        actix_rt::spawn(shutdown_on_signal(app.shutdown())?);
        log::info!(
            "listening on http://{} with {} workers",
            app.local_addr(),
            settings.workers
        );
        app.run_until_stopped().await
    });
    match result {
        Ok(()) => {
            log::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            log::error!("cannot serve on {}: {e}", settings.listen);
            ExitCode::FAILURE
        }
    }
}
