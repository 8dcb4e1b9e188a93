//! Typed settings, read from environment variables only.
//!
//! Every variable is optional. An empty value counts as unset, because
//! compose files often write `VAR=` to mean "use the default". Any other value
//! that does not parse is an error naming the variable, the value and what
//! was expected, so that a typo stops the replica at start instead of
//! misbehaving later.

use std::fmt;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::time::Duration;

/// Socket address to listen on, e.g. `0.0.0.0:8000` or `[::]:8000`.
/// Default: `0.0.0.0:8000`.
pub const LISTEN_VAR: &str = "HOSTINFO_LISTEN";
/// Number of worker threads, a positive integer.
/// Default: the available parallelism of the machine (or of its CPU quota).
pub const WORKERS_VAR: &str = "HOSTINFO_WORKERS";
/// Whole seconds that in-flight requests get to finish after SIGTERM/SIGINT,
/// from 0 to 3600. Default: 8, below compose's default stop grace period of
/// 10 s, so the process exits by itself before it would be killed.
pub const SHUTDOWN_TIMEOUT_VAR: &str = "HOSTINFO_SHUTDOWN_TIMEOUT";
/// Whole seconds an idle keep-alive connection stays open, from 1 to 3600.
/// Default: 5, actix-web's own default. nginx's upstream `keepalive_timeout`
/// is rendered below it (nix/stack.nix), so nginx never reuses a connection
/// the replica is closing.
pub const KEEP_ALIVE_VAR: &str = "HOSTINFO_KEEP_ALIVE";
/// env_logger filter directives, e.g. `info` or `warn,actix_web=info`.
/// Default: `info` (one access-log line per request).
pub const LOG_VAR: &str = "RUST_LOG";

pub const DEFAULT_LISTEN: &str = "0.0.0.0:8000";
pub const DEFAULT_SHUTDOWN_TIMEOUT_SECS: u64 = 8;
pub const MAX_SHUTDOWN_TIMEOUT_SECS: u64 = 3600;
pub const DEFAULT_KEEP_ALIVE_SECS: u64 = 5;
pub const MAX_KEEP_ALIVE_SECS: u64 = 3600;
pub const DEFAULT_LOG_FILTER: &str = "info";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub listen: SocketAddr,
    pub workers: NonZeroUsize,
    pub shutdown_timeout: Duration,
    pub keep_alive: Duration,
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
        Self::from_lookup(lookup_env)
    }

    /// Reads settings through `lookup`, so tests need not touch the process
    /// environment (which is shared between test threads).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            listen: listen_from(&lookup)?,
            workers: parse_var(&lookup, WORKERS_VAR, parse_workers)?
                .unwrap_or_else(default_workers),
            shutdown_timeout: parse_var(&lookup, SHUTDOWN_TIMEOUT_VAR, parse_shutdown_timeout)?
                .unwrap_or(Duration::from_secs(DEFAULT_SHUTDOWN_TIMEOUT_SECS)),
            keep_alive: parse_var(&lookup, KEEP_ALIVE_VAR, parse_keep_alive)?
                .unwrap_or(Duration::from_secs(DEFAULT_KEEP_ALIVE_SECS)),
            log_filter: parse_var(&lookup, LOG_VAR, parse_log_filter)?
                .unwrap_or_else(|| DEFAULT_LOG_FILTER.to_owned()),
            client_request_timeout: Duration::from_secs(5),
        })
    }
}

/// Only the listen address, for `hostinfo healthcheck`: a bad value of an
/// unrelated variable must not make a healthy replica look unhealthy.
pub fn listen_from_env() -> Result<SocketAddr, ConfigError> {
    listen_from(&lookup_env)
}

fn listen_from(lookup: &impl Fn(&str) -> Option<String>) -> Result<SocketAddr, ConfigError> {
    Ok(
        parse_var(lookup, LISTEN_VAR, parse_listen)?.unwrap_or_else(|| {
            DEFAULT_LISTEN
                .parse()
                .expect("the default listen address is valid")
        }),
    )
}

fn lookup_env(name: &str) -> Option<String> {
    // A non-UTF-8 value is kept (lossily) so that it is reported, not ignored.
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}

fn parse_var<T>(
    lookup: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, ConfigError> {
    match lookup(variable) {
        None => Ok(None),
        Some(value) if value.trim().is_empty() => Ok(None),
        Some(value) => parse(value.trim())
            .map(Some)
            .map_err(|expected| ConfigError {
                variable,
                value,
                expected,
            }),
    }
}

fn parse_listen(value: &str) -> Result<SocketAddr, String> {
    value
        .parse()
        .map_err(|_| "a socket address such as 0.0.0.0:8000 or [::]:8000".to_owned())
}

fn parse_workers(value: &str) -> Result<NonZeroUsize, String> {
    value
        .parse()
        .map_err(|_| "a positive integer (number of worker threads)".to_owned())
}

fn parse_shutdown_timeout(value: &str) -> Result<Duration, String> {
    match value.parse::<u64>() {
        Ok(secs) if secs <= MAX_SHUTDOWN_TIMEOUT_SECS => Ok(Duration::from_secs(secs)),
        _ => Err(format!(
            "a whole number of seconds from 0 to {MAX_SHUTDOWN_TIMEOUT_SECS}"
        )),
    }
}

fn parse_keep_alive(value: &str) -> Result<Duration, String> {
    match value.parse::<u64>() {
        Ok(secs) if (1..=MAX_KEEP_ALIVE_SECS).contains(&secs) => Ok(Duration::from_secs(secs)),
        _ => Err(format!(
            "a whole number of seconds from 1 to {MAX_KEEP_ALIVE_SECS}"
        )),
    }
}

fn parse_log_filter(value: &str) -> Result<String, String> {
    // env_logger itself only warns about a bad filter and carries on with a
    // partial one; checking first turns that into a start-up error.
    env_filter::Builder::new()
        .try_parse(value)
        .map(|_| value.to_owned())
        .map_err(|e| format!("env_logger directives such as info or warn,hostinfo=debug ({e})"))
}

fn default_workers() -> NonZeroUsize {
    std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings_with(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| vars.get(name).cloned())
    }

    fn error_for(var: &'static str, value: &str) -> ConfigError {
        settings_with(&[(var, value)]).expect_err("value should be rejected")
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let s = settings_with(&[]).unwrap();
        assert_eq!(s.listen, "0.0.0.0:8000".parse().unwrap());
        assert_eq!(s.workers, default_workers());
        assert_eq!(s.shutdown_timeout, Duration::from_secs(8));
        assert_eq!(s.keep_alive, Duration::from_secs(5));
        assert_eq!(s.log_filter, "info");
    }

    #[test]
    fn empty_values_count_as_unset() {
        let s = settings_with(&[
            (LISTEN_VAR, ""),
            (WORKERS_VAR, " "),
            (SHUTDOWN_TIMEOUT_VAR, ""),
            (KEEP_ALIVE_VAR, ""),
            (LOG_VAR, ""),
        ])
        .unwrap();
        assert_eq!(s, settings_with(&[]).unwrap());
    }

    #[test]
    fn listen_accepts_ipv4_and_ipv6_socket_addresses() {
        let s = settings_with(&[(LISTEN_VAR, "127.0.0.1:0")]).unwrap();
        assert_eq!(s.listen, "127.0.0.1:0".parse().unwrap());
        let s = settings_with(&[(LISTEN_VAR, "[::]:9000")]).unwrap();
        assert_eq!(s.listen, "[::]:9000".parse().unwrap());
    }

    #[test]
    fn listen_rejects_a_missing_port_or_a_host_name() {
        for bad in ["0.0.0.0", "localhost:8000", ":8000", "1.2.3.4:70000"] {
            let e = error_for(LISTEN_VAR, bad);
            assert_eq!(e.variable, LISTEN_VAR);
            assert_eq!(e.value, bad);
        }
    }

    #[test]
    fn workers_accepts_a_positive_integer() {
        let s = settings_with(&[(WORKERS_VAR, "3")]).unwrap();
        assert_eq!(s.workers.get(), 3);
    }

    #[test]
    fn workers_rejects_zero_negative_and_words() {
        for bad in ["0", "-1", "two", "1.5"] {
            assert_eq!(error_for(WORKERS_VAR, bad).variable, WORKERS_VAR);
        }
    }

    #[test]
    fn shutdown_timeout_accepts_whole_seconds_up_to_an_hour() {
        let s = settings_with(&[(SHUTDOWN_TIMEOUT_VAR, "0")]).unwrap();
        assert_eq!(s.shutdown_timeout, Duration::ZERO);
        let s = settings_with(&[(SHUTDOWN_TIMEOUT_VAR, "3600")]).unwrap();
        assert_eq!(s.shutdown_timeout, Duration::from_secs(3600));
    }

    #[test]
    fn shutdown_timeout_rejects_units_fractions_and_huge_values() {
        for bad in ["8s", "1.5", "-1", "3601"] {
            assert_eq!(
                error_for(SHUTDOWN_TIMEOUT_VAR, bad).variable,
                SHUTDOWN_TIMEOUT_VAR
            );
        }
    }

    #[test]
    fn keep_alive_accepts_whole_seconds_from_one_to_an_hour() {
        let s = settings_with(&[(KEEP_ALIVE_VAR, "1")]).unwrap();
        assert_eq!(s.keep_alive, Duration::from_secs(1));
        let s = settings_with(&[(KEEP_ALIVE_VAR, "3600")]).unwrap();
        assert_eq!(s.keep_alive, Duration::from_secs(3600));
    }

    #[test]
    fn keep_alive_rejects_zero_units_fractions_and_huge_values() {
        for bad in ["0", "5s", "1.5", "-1", "3601"] {
            let e = error_for(KEEP_ALIVE_VAR, bad);
            assert_eq!(e.variable, KEEP_ALIVE_VAR);
            assert_eq!(e.expected, "a whole number of seconds from 1 to 3600");
        }
    }

    #[test]
    fn log_filter_accepts_env_logger_directives() {
        let s = settings_with(&[(LOG_VAR, "warn,actix_web=info")]).unwrap();
        assert_eq!(s.log_filter, "warn,actix_web=info");
    }

    #[test]
    fn log_filter_rejects_malformed_directives() {
        for bad in ["info=debug=trace", "a/b/c", "hostinfo=loud"] {
            assert_eq!(error_for(LOG_VAR, bad).variable, LOG_VAR);
        }
    }

    #[test]
    fn error_message_names_variable_value_and_expectation() {
        let message = error_for(WORKERS_VAR, "many").to_string();
        assert_eq!(
            message,
            "invalid HOSTINFO_WORKERS=\"many\": expected a positive integer (number of worker threads)"
        );
        assert!(!message.contains('\n'));
    }
}
