use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hostinfo::config::Settings;
use hostinfo::startup::{Application, Shutdown};

pub struct TestApp {
    pub address: SocketAddr,
    pub client: reqwest::Client,
    pub shutdown: Shutdown,
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestApp {
    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{}", self.address, path_and_query)
    }

    pub async fn get(&self, path_and_query: &str) -> reqwest::Response {
        self.client
            .get(self.url(path_and_query))
            .send()
            .await
            .expect("request failed")
    }

    pub async fn get_json(&self, path_and_query: &str) -> serde_json::Value {
        self.get(path_and_query)
            .await
            .json()
            .await
            .expect("not JSON")
    }

    /// Fails the test unless the server still answers /health.
    pub async fn assert_still_healthy(&self) {
        let response = reqwest::Client::new()
            .get(self.url("/health"))
            .send()
            .await
            .expect("server stopped answering");
        assert_eq!(response.status(), 200);
    }
}

pub fn test_settings() -> Settings {
    let mut settings = Settings::from_lookup(|_| None).expect("defaults are valid");
    settings.listen = "127.0.0.1:0".parse().unwrap();
    settings.workers = std::num::NonZeroUsize::new(2).unwrap();
    settings.shutdown_timeout = Duration::from_secs(5);
    settings.client_request_timeout = Duration::from_secs(1);
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(test_settings()).await
}

pub async fn spawn_app_with(settings: Settings) -> TestApp {
    let app = Application::build(&settings).expect("failed to bind");
    let address = app.local_addr();
    let shutdown = app.shutdown();
    let server = tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::new(),
        shutdown,
        server,
    }
}

/// Asserts the uniform error body and returns its message.
pub async fn assert_json_error(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "error bodies are JSON"
    );
    assert_forbids_sniffing(&response, "an error body");
    let body: serde_json::Value = response.json().await.expect("error body is JSON");
    assert_eq!(body["error"]["status"], status);
    let message = body["error"]["message"]
        .as_str()
        .expect("message is a string");
    assert!(!message.is_empty());
    message.to_owned()
}

/// Asserts `X-Content-Type-Options: nosniff`, naming what was answered.
pub fn assert_forbids_sniffing(response: &reqwest::Response, what: &str) {
    assert_eq!(
        response
            .headers()
            .get("x-content-type-options")
            .map(|v| v.as_bytes()),
        Some(&b"nosniff"[..]),
        "{what} may be sniffed"
    );
}

/// What a raw exchange ended with.
#[derive(Debug, PartialEq, Eq)]
pub enum RawOutcome {
    Status(u16),
    Closed,
}

/// Writes `request` on a fresh connection and reads until the server
/// answers or closes. Write errors count as the server closing on us.
pub fn raw_exchange(address: SocketAddr, request: &[u8]) -> RawOutcome {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // A server may answer and close before all of an oversized request is
    // written; what it answered is still there to read.
    let _ = stream.write_all(request);
    read_status(&mut stream)
}

pub fn read_status(stream: &mut TcpStream) -> RawOutcome {
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                response.extend_from_slice(&buf[..n]);
                if response.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
        }
    }
    let text = String::from_utf8_lossy(&response);
    text.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .map_or(RawOutcome::Closed, RawOutcome::Status)
}

pub fn hostinfo_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hostinfo"));
    for setting in hostinfo::config::SETTINGS {
        command.env_remove(setting.variable);
    }
    command
}

/// The real binary, serving on a free loopback port it reports in its log.
pub struct RunningBinary {
    pub child: Child,
    pub address: SocketAddr,
    /// Every line the process has written to stderr so far.
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl RunningBinary {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// As [`RunningBinary::start`], with `env` set on top of the defaults.
    pub fn start_with(env: &[(&str, &str)]) -> Self {
        let mut child = hostinfo_command()
            .env("HOSTINFO_LISTEN", "127.0.0.1:0")
            .env("HOSTINFO_WORKERS", "1")
            .env("HOSTINFO_SHUTDOWN_TIMEOUT", "5")
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn hostinfo");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = log.clone();
        // Keeps draining stderr so the child never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                kept.lock().unwrap().push(line.clone());
                if let Some(rest) = line.split("listening on http://").nth(1)
                    && let Some(tx) = tx.take()
                {
                    let addr = rest.split_whitespace().next().unwrap_or_default();
                    let _ = tx.send(addr.parse::<SocketAddr>().expect("address in log"));
                }
            }
        });
        let address = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("binary never logged its address");
        Self {
            child,
            address,
            log,
        }
    }

    /// Waits up to `limit` for a log line containing `needle`.
    pub fn log_line(&self, needle: &str, limit: Duration) -> Option<String> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            let found = self
                .log
                .lock()
                .unwrap()
                .iter()
                .find(|line| line.contains(needle))
                .cloned();
            if found.is_some() {
                return found;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn signal(&self, signal: i32) {
        let pid = i32::try_from(self.child.id()).unwrap();
        // SAFETY: kill(2) on a child we own; no memory is involved.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    }

    /// Waits up to `limit` for the process to exit and returns its code.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("hostinfo did not exit within {limit:?}");
    }
}

impl Drop for RunningBinary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
