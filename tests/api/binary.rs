//! The command line: healthcheck, --version/--help, and configuration errors.

use std::time::{Duration, Instant};

use crate::helpers::{hostinfo_command, spawn_app};

fn run_healthcheck(listen: &str) -> (Option<i32>, Duration) {
    let started = Instant::now();
    let output = hostinfo_command()
        .arg("healthcheck")
        .env("HOSTINFO_LISTEN", listen)
        .output()
        .unwrap();
    (output.status.code(), started.elapsed())
}

#[tokio::test]
async fn healthcheck_exits_zero_against_a_live_server() {
    let app = spawn_app().await;
    let listen = app.address.to_string();
    let (code, _) = tokio::task::spawn_blocking(move || run_healthcheck(&listen))
        .await
        .unwrap();
    assert_eq!(code, Some(0));
}

#[tokio::test]
async fn healthcheck_connects_to_loopback_when_listening_on_all_interfaces() {
    let app = spawn_app().await;
    let listen = format!("0.0.0.0:{}", app.address.port());
    let (code, _) = tokio::task::spawn_blocking(move || run_healthcheck(&listen))
        .await
        .unwrap();
    assert_eq!(code, Some(0));
}

#[test]
fn healthcheck_exits_one_against_a_dead_port_within_two_seconds() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, took) = run_healthcheck(&format!("127.0.0.1:{port}"));
    assert_eq!(code, Some(1));
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[test]
fn healthcheck_exits_one_when_the_server_never_answers() {
    // Accepts connections (the kernel backlog does) but never replies, like
    // a paused container.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (code, took) = run_healthcheck(&silent.local_addr().unwrap().to_string());
    assert_eq!(code, Some(1));
    assert!(took < Duration::from_millis(2500), "{took:?}");
}

#[test]
fn version_prints_the_crate_version() {
    let output = hostinfo_command().arg("--version").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!("hostinfo {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_lists_subcommands_and_variables() {
    let output = hostinfo_command().arg("--help").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let help = String::from_utf8(output.stdout).unwrap();
    for word in [
        "healthcheck",
        "HOSTINFO_LISTEN",
        "HOSTINFO_WORKERS",
        "HOSTINFO_SHUTDOWN_TIMEOUT",
        "HOSTINFO_KEEP_ALIVE",
        "RUST_LOG",
    ] {
        assert!(help.contains(word), "{word} missing from help");
    }
}

#[test]
fn unknown_argument_exits_two_with_one_line_naming_it() {
    let output = hostinfo_command().arg("--frobnicate").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--frobnicate"));
}

#[test]
fn invalid_environment_value_exits_two_with_one_line_naming_variable_and_value() {
    for (variable, value) in [
        ("HOSTINFO_LISTEN", "localhost"),
        ("HOSTINFO_WORKERS", "zero"),
        ("HOSTINFO_SHUTDOWN_TIMEOUT", "8s"),
        ("HOSTINFO_KEEP_ALIVE", "0"),
        ("RUST_LOG", "info=debug=trace"),
    ] {
        let output = hostinfo_command().env(variable, value).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{variable}={value}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains(variable) && stderr.contains(value),
            "{stderr}"
        );
        assert!(stderr.contains("expected"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn healthcheck_with_invalid_listen_exits_two() {
    let output = hostinfo_command()
        .arg("healthcheck")
        .env("HOSTINFO_LISTEN", "nonsense")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("HOSTINFO_LISTEN")
    );
}

/// Runs the server and returns its exit code and stderr, killing it (code
/// `None`) if it is still serving after 5 s.
fn serve_briefly(mut command: std::process::Command) -> (Option<i32>, String) {
    use std::io::Read;
    let mut child = command
        .env("HOSTINFO_LISTEN", "127.0.0.1:0")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (code, stderr)
}

#[test]
fn workers_above_512_exit_two_naming_the_variable_and_the_bound() {
    let mut command = hostinfo_command();
    command.env("HOSTINFO_WORKERS", "513");
    let (code, stderr) = serve_briefly(command);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("HOSTINFO_WORKERS") && stderr.contains("512"),
        "{stderr}"
    );
}

#[test]
fn workers_above_the_process_limit_exit_two_naming_the_variable_and_the_limit() {
    use std::os::unix::process::CommandExt;
    let mut command = hostinfo_command();
    command.env("HOSTINFO_WORKERS", "40");
    // SAFETY: setrlimit(2) between fork and exec touches no memory of ours.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 16,
                rlim_max: 16,
            };
            if libc::setrlimit(libc::RLIMIT_NPROC, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let (code, stderr) = serve_briefly(command);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("HOSTINFO_WORKERS")
            && stderr.contains("16")
            && stderr.contains("RLIMIT_NPROC"),
        "{stderr}"
    );
}
