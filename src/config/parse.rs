//! The parsers of the settings' values. Each error says what was expected,
//! in words [`super::ConfigError`] puts after the variable and its value.

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::time::Duration;

use super::tasks::{MAX_WORKERS, TaskLimit};

pub const MAX_SHUTDOWN_TIMEOUT_SECS: u64 = 3600;
pub const MAX_KEEP_ALIVE_SECS: u64 = 3600;
/// At about 18 KiB each, 100,000 waiting requests would be some 1.8 GiB: a
/// value above this is a typo, not a plan.
pub const MAX_MAX_WAITING: usize = 100_000;

pub fn parse_listen(value: &str) -> Result<SocketAddr, String> {
    value
        .parse()
        .map_err(|_| "a socket address such as 0.0.0.0:8000 or [::]:8000".to_owned())
}

pub fn parse_workers(value: &str) -> Result<NonZeroUsize, String> {
    match value.parse::<NonZeroUsize>() {
        Ok(workers) if workers.get() <= MAX_WORKERS => Ok(workers),
        _ => Err(format!(
            "a whole number of worker threads from 1 to {MAX_WORKERS} (actix-server's bound)"
        )),
    }
}

/// The available parallelism (std reads the cgroup CPU quota), within
/// actix-server's bound and what `limit` leaves room for; at least one.
pub fn default_workers(limit: Option<TaskLimit>) -> NonZeroUsize {
    let parallelism = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let fits = limit.map_or(MAX_WORKERS, |limit| limit.max_workers());
    NonZeroUsize::new(parallelism.min(MAX_WORKERS).min(fits)).unwrap_or(NonZeroUsize::MIN)
}

pub fn parse_max_waiting(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if (1..=MAX_MAX_WAITING).contains(&n) => Ok(n),
        _ => Err(format!(
            "a whole number of requests from 1 to {MAX_MAX_WAITING}"
        )),
    }
}

pub fn parse_shutdown_timeout(value: &str) -> Result<Duration, String> {
    whole_seconds(value, 0, MAX_SHUTDOWN_TIMEOUT_SECS)
}

pub fn parse_keep_alive(value: &str) -> Result<Duration, String> {
    whole_seconds(value, 1, MAX_KEEP_ALIVE_SECS)
}

fn whole_seconds(value: &str, least: u64, most: u64) -> Result<Duration, String> {
    match value.parse::<u64>() {
        Ok(secs) if (least..=most).contains(&secs) => Ok(Duration::from_secs(secs)),
        _ => Err(format!("a whole number of seconds from {least} to {most}")),
    }
}

pub fn parse_log_filter(value: &str) -> Result<String, String> {
    // env_logger itself only warns about a bad filter and carries on with a
    // partial one; checking first turns that into a start-up error.
    env_filter::Builder::new()
        .try_parse(value)
        .map(|_| value.to_owned())
        .map_err(|e| format!("env_logger directives such as info or warn,hostinfo=debug ({e})"))
}
