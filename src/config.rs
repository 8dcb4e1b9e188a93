//! Typed settings, read from environment variables only.
//!
//! Every variable is optional. An empty value counts as unset, because
//! compose files often write `VAR=` to mean "use the default". Any other value
//! that does not parse is an error naming the variable, the value and what
//! was expected, so that a typo stops the replica at start instead of
//! misbehaving later.
//!
//! [`SETTINGS`] is the one list of the variables: `--help` and the README's
//! table (`cargo run --example settings`) are made from it, and a default
//! stated there as a value is the one the service parses when the variable
//! is unset.

mod parse;
pub mod tasks;
#[cfg(test)]
mod tests;

use std::fmt;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::time::Duration;

pub use parse::{MAX_KEEP_ALIVE_SECS, MAX_MAX_WAITING, MAX_SHUTDOWN_TIMEOUT_SECS};
use parse::{
    default_workers, parse_keep_alive, parse_listen, parse_log_filter, parse_max_waiting,
    parse_shutdown_timeout, parse_workers,
};
pub use tasks::{MAX_WORKERS, TaskLimit};

/// One environment variable the service reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub variable: &'static str,
    pub default: Fallback,
    /// One line of Markdown, as the README's table shows it.
    pub meaning: &'static str,
}

/// What an unset variable stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// A value, parsed as a set one would be: the typed default comes from it.
    Value(&'static str),
    /// Worked out at start, described in words.
    Computed(&'static str),
}

impl Fallback {
    /// As a terminal shows it.
    pub fn text(&self) -> &'static str {
        match self {
            Self::Value(text) | Self::Computed(text) => text,
        }
    }

    /// As the README's table shows it: a value as code, words as words.
    pub fn markdown(&self) -> String {
        match self {
            Self::Value(value) => format!("`{value}`"),
            Self::Computed(words) => (*words).to_owned(),
        }
    }
}

pub const LISTEN: Setting = Setting {
    variable: "HOSTINFO_LISTEN",
    default: Fallback::Value("0.0.0.0:8000"),
    meaning: "socket address to listen on (`[::]:8000` for IPv6)",
};
pub const WORKERS: Setting = Setting {
    variable: "HOSTINFO_WORKERS",
    // std reads the CPU quota (cgroup v2 cpu.max, v1 cfs_quota_us) and the
    // affinity mask; the pids limit caps it too (config/tasks.rs).
    default: Fallback::Computed("available parallelism, within the CPU quota and pids limit"),
    meaning: "worker threads, 1 to 512 and within the pids limit (cgroup pids.max, RLIMIT_NPROC)",
};
/// 8 s leaves compose's default stop grace period of 10 s room for the
/// process to exit by itself before it would be killed.
pub const SHUTDOWN_TIMEOUT: Setting = Setting {
    variable: "HOSTINFO_SHUTDOWN_TIMEOUT",
    default: Fallback::Value("8"),
    meaning: "seconds in-flight requests get after SIGTERM, 0 to 3600 (below compose's 10 s grace)",
};
/// actix-web's own default. nginx's upstream `keepalive_timeout` is rendered
/// below it (nix/timeouts.nix), so nginx never reuses a connection the
/// replica is closing.
pub const KEEP_ALIVE: Setting = Setting {
    variable: "HOSTINFO_KEEP_ALIVE",
    default: Fallback::Value("5"),
    meaning: "seconds an idle keep-alive connection stays open, 1 to 3600",
};
/// One waiting request holds about 18 KiB of RSS, its connection included
/// (measured, docs/hostile-clients.md), so 1,000 of them add about 18 MiB:
/// well under the stack's 64 MiB `mem_limit`, yet far more than a demo of
/// proxy timeouts needs.
pub const MAX_WAITING: Setting = Setting {
    variable: "HOSTINFO_MAX_WAITING",
    default: Fallback::Value("1000"),
    meaning: "requests that may sit in `?wait=` at once; more get 503 with `Retry-After`, 1 to 100000",
};
pub const LOG: Setting = Setting {
    variable: "RUST_LOG",
    default: Fallback::Value("info"),
    meaning: "env_logger filter; `info` includes the access log",
};

/// Every variable the service reads, in the order `--help` lists them.
pub const SETTINGS: &[Setting] = &[
    LISTEN,
    WORKERS,
    SHUTDOWN_TIMEOUT,
    KEEP_ALIVE,
    MAX_WAITING,
    LOG,
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub listen: SocketAddr,
    pub workers: NonZeroUsize,
    pub shutdown_timeout: Duration,
    pub keep_alive: Duration,
    /// How many requests may be delayed by `?wait=` at once, per process.
    pub max_waiting: usize,
    pub log_filter: String,
    /// How long a client may take to send its request head. Not an
    /// environment variable: it exists so tests can exercise slow clients
    /// without waiting for the production value.
    pub client_request_timeout: Duration,
}

/// A variable whose value could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub value: String,
    pub expected: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {}={:?}: expected {}",
            self.variable, self.value, self.expected
        )
    }
}

impl std::error::Error for ConfigError {}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup_within(lookup_env, tasks::task_limit())
    }

    /// Reads settings through `lookup`, so tests need not touch the process
    /// environment (which is shared between test threads).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::from_lookup_within(lookup, None)
    }

    /// As [`Settings::from_lookup`], with the workers bounded by `limit` too.
    pub fn from_lookup_within(
        lookup: impl Fn(&str) -> Option<String>,
        limit: Option<TaskLimit>,
    ) -> Result<Self, ConfigError> {
        Ok(Self {
            listen: LISTEN.read(&lookup, parse_listen)?,
            workers: match WORKERS.read_set(&lookup, parse_workers)? {
                Some(workers) => fit_workers(workers, limit)?,
                None => default_workers(limit),
            },
            shutdown_timeout: SHUTDOWN_TIMEOUT.read(&lookup, parse_shutdown_timeout)?,
            keep_alive: KEEP_ALIVE.read(&lookup, parse_keep_alive)?,
            max_waiting: MAX_WAITING.read(&lookup, parse_max_waiting)?,
            log_filter: LOG.read(&lookup, parse_log_filter)?,
            client_request_timeout: Duration::from_secs(5),
        })
    }
}

/// `workers`, unless more than `limit` allows.
fn fit_workers(
    workers: NonZeroUsize,
    limit: Option<TaskLimit>,
) -> Result<NonZeroUsize, ConfigError> {
    match limit {
        Some(limit) if workers.get() > limit.max_workers() => Err(ConfigError {
            variable: WORKERS.variable,
            value: workers.to_string(),
            expected: format!(
                "at most {} workers: {} is {} tasks, and {} are taken besides the workers",
                limit.max_workers(),
                limit.source,
                limit.tasks,
                TaskLimit::RESERVED
            ),
        }),
        _ => Ok(workers),
    }
}

/// Only the listen address, for `hostinfo healthcheck`: a bad value of an
/// unrelated variable must not make a healthy replica look unhealthy.
pub fn listen_from_env() -> Result<SocketAddr, ConfigError> {
    LISTEN.read(&lookup_env, parse_listen)
}

fn lookup_env(name: &str) -> Option<String> {
    // A non-UTF-8 value is kept (lossily) so that it is reported, not ignored.
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}

impl Setting {
    /// The value set, or `None` when unset or empty.
    fn read_set<T>(
        &self,
        lookup: &impl Fn(&str) -> Option<String>,
        parse: fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        match lookup(self.variable) {
            Some(value) if !value.trim().is_empty() => {
                parse(value.trim())
                    .map(Some)
                    .map_err(|expected| ConfigError {
                        variable: self.variable,
                        value,
                        expected,
                    })
            }
            _ => Ok(None),
        }
    }

    /// The value set, or else the default [`Fallback::Value`], parsed alike.
    fn read<T>(
        &self,
        lookup: &impl Fn(&str) -> Option<String>,
        parse: fn(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        match (self.read_set(lookup, parse)?, self.default) {
            (Some(value), _) => Ok(value),
            (None, Fallback::Value(default)) => Ok(parse(default)
                .unwrap_or_else(|e| panic!("{}'s default does not parse: {e}", self.variable))),
            (None, Fallback::Computed(_)) => {
                unreachable!("{} has no default value to parse", self.variable)
            }
        }
    }
}
