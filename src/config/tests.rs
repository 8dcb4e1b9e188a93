use std::cell::RefCell;
use std::collections::HashMap;

use super::parse::default_workers;
use super::*;

fn settings_with(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::from_lookup(|name| vars.get(name).cloned())
}

fn error_for(setting: Setting, value: &str) -> ConfigError {
    settings_with(&[(setting.variable, value)]).expect_err("value should be rejected")
}

#[test]
fn defaults_apply_when_nothing_is_set() {
    let s = settings_with(&[]).unwrap();
    assert_eq!(s.listen, "0.0.0.0:8000".parse().unwrap());
    assert_eq!(s.workers, default_workers(None));
    assert_eq!(s.shutdown_timeout, Duration::from_secs(8));
    assert_eq!(s.keep_alive, Duration::from_secs(5));
    assert_eq!(s.max_waiting, 1000);
    assert_eq!(s.log_filter, "info");
}

#[test]
fn settings_lists_every_variable_the_service_reads_once_each() {
    let read = RefCell::new(Vec::new());
    Settings::from_lookup(|name| {
        read.borrow_mut().push(name.to_owned());
        None
    })
    .unwrap();
    let mut read = read.into_inner();
    let mut listed: Vec<_> = SETTINGS.iter().map(|s| s.variable.to_owned()).collect();
    read.sort();
    listed.sort();
    assert_eq!(read, listed);
}

#[test]
fn meanings_are_one_line_and_state_the_parsers_bounds() {
    for setting in SETTINGS {
        assert!(!setting.meaning.contains('\n'), "{}", setting.variable);
        assert!(!setting.meaning.ends_with('.'), "{}", setting.variable);
    }
    for (setting, least, most) in [
        (SHUTDOWN_TIMEOUT, 0, MAX_SHUTDOWN_TIMEOUT_SECS),
        (KEEP_ALIVE, 1, MAX_KEEP_ALIVE_SECS),
    ] {
        let bounds = format!("{least} to {most}");
        assert!(setting.meaning.contains(&bounds), "{}", setting.meaning);
        assert!(
            error_for(setting, &(most + 1).to_string())
                .expected
                .contains(&bounds)
        );
    }
}

#[test]
fn a_default_value_reads_as_code_and_a_computed_one_as_words() {
    assert_eq!(LISTEN.default.markdown(), "`0.0.0.0:8000`");
    assert_eq!(
        WORKERS.default.markdown(),
        "available parallelism, within the CPU quota and pids limit"
    );
}

#[test]
fn empty_values_count_as_unset() {
    for blank in ["", " "] {
        let unset: Vec<_> = SETTINGS.iter().map(|s| (s.variable, blank)).collect();
        assert_eq!(settings_with(&unset).unwrap(), settings_with(&[]).unwrap());
    }
}

#[test]
fn listen_accepts_ipv4_and_ipv6_socket_addresses() {
    let s = settings_with(&[(LISTEN.variable, "127.0.0.1:0")]).unwrap();
    assert_eq!(s.listen, "127.0.0.1:0".parse().unwrap());
    let s = settings_with(&[(LISTEN.variable, "[::]:9000")]).unwrap();
    assert_eq!(s.listen, "[::]:9000".parse().unwrap());
}

#[test]
fn listen_rejects_a_missing_port_or_a_host_name() {
    for bad in ["0.0.0.0", "localhost:8000", ":8000", "1.2.3.4:70000"] {
        let e = error_for(LISTEN, bad);
        assert_eq!(e.variable, LISTEN.variable);
        assert_eq!(e.value, bad);
    }
}

#[test]
fn workers_accepts_a_positive_integer() {
    let s = settings_with(&[(WORKERS.variable, "3")]).unwrap();
    assert_eq!(s.workers.get(), 3);
}

#[test]
fn workers_rejects_zero_negative_and_words() {
    for bad in ["0", "-1", "two", "1.5", "513"] {
        let e = error_for(WORKERS, bad);
        assert_eq!(e.variable, WORKERS.variable);
        assert!(e.expected.contains("from 1 to 512"), "{e}");
    }
    assert_eq!(
        settings_with(&[(WORKERS.variable, "512")])
            .unwrap()
            .workers
            .get(),
        512
    );
}

#[test]
fn workers_must_fit_under_the_task_limit_and_the_default_does() {
    let limit = Some(TaskLimit {
        tasks: 10,
        source: "the cgroup's pids.max",
    });
    let set = |value: &str| {
        let value = value.to_owned();
        Settings::from_lookup_within(
            move |name| (name == WORKERS.variable).then(|| value.clone()),
            limit,
        )
    };
    assert_eq!(set("7").unwrap().workers.get(), 7);
    let e = set("8").unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid HOSTINFO_WORKERS=\"8\": expected at most 7 workers: the cgroup's pids.max is 10 tasks, and 3 are taken besides the workers"
    );
    let tight = Some(TaskLimit {
        tasks: 4,
        source: "RLIMIT_NPROC",
    });
    assert_eq!(default_workers(tight).get(), 1);
    assert!(default_workers(limit).get() <= 7);
}

#[test]
fn shutdown_timeout_accepts_whole_seconds_up_to_an_hour() {
    let s = settings_with(&[(SHUTDOWN_TIMEOUT.variable, "0")]).unwrap();
    assert_eq!(s.shutdown_timeout, Duration::ZERO);
    let s = settings_with(&[(SHUTDOWN_TIMEOUT.variable, "3600")]).unwrap();
    assert_eq!(s.shutdown_timeout, Duration::from_secs(3600));
}

#[test]
fn shutdown_timeout_rejects_units_fractions_and_huge_values() {
    for bad in ["8s", "1.5", "-1", "3601"] {
        let e = error_for(SHUTDOWN_TIMEOUT, bad);
        assert_eq!(e.variable, SHUTDOWN_TIMEOUT.variable);
    }
}

#[test]
fn keep_alive_accepts_whole_seconds_from_one_to_an_hour() {
    let s = settings_with(&[(KEEP_ALIVE.variable, "1")]).unwrap();
    assert_eq!(s.keep_alive, Duration::from_secs(1));
    let s = settings_with(&[(KEEP_ALIVE.variable, "3600")]).unwrap();
    assert_eq!(s.keep_alive, Duration::from_secs(3600));
}

#[test]
fn keep_alive_rejects_zero_units_fractions_and_huge_values() {
    for bad in ["0", "5s", "1.5", "-1", "3601"] {
        let e = error_for(KEEP_ALIVE, bad);
        assert_eq!(e.variable, KEEP_ALIVE.variable);
        assert_eq!(e.expected, "a whole number of seconds from 1 to 3600");
    }
}

#[test]
fn log_filter_accepts_env_logger_directives() {
    let s = settings_with(&[(LOG.variable, "warn,actix_web=info")]).unwrap();
    assert_eq!(s.log_filter, "warn,actix_web=info");
}

#[test]
fn log_filter_rejects_malformed_directives() {
    for bad in ["info=debug=trace", "a/b/c", "hostinfo=loud"] {
        assert_eq!(error_for(LOG, bad).variable, LOG.variable);
    }
}

#[test]
fn error_message_names_variable_value_and_expectation() {
    let message = error_for(WORKERS, "many").to_string();
    assert_eq!(
        message,
        "invalid HOSTINFO_WORKERS=\"many\": expected a whole number of worker threads from 1 to 512 (actix-server's bound)"
    );
    assert!(!message.contains('\n'));
}

#[test]
fn max_waiting_accepts_1_to_its_bound_and_names_the_range_otherwise() {
    let s = settings_with(&[(MAX_WAITING.variable, "1")]).unwrap();
    assert_eq!(s.max_waiting, 1);
    for bad in ["0", "-1", "100001", "many", "1.5"] {
        let e = error_for(MAX_WAITING, bad);
        assert_eq!(e.variable, "HOSTINFO_MAX_WAITING");
        assert_eq!(e.expected, "a whole number of requests from 1 to 100000");
    }
}
