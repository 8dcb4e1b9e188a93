//! `hostinfo healthcheck`: the image has no shell and no curl, so the binary
//! checks itself. Plain std networking with hard timeouts keeps it within
//! Docker's health-check budget and adds no HTTP client to the binary.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Total time the check may take. Docker's health-check timeout
/// (nix/images.nix) is this; tests/stack/test_couplings.py holds them equal.
pub const BUDGET: Duration = Duration::from_secs(2);

/// Where to connect to reach a server listening on `listen`: a wildcard
/// address is not something to connect to, so loopback of the same family.
pub fn target(listen: SocketAddr) -> SocketAddr {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listen.port())
}

/// Requests `/health` on `addr`; Ok when it answers 200 within [`BUDGET`].
pub fn check(addr: SocketAddr) -> Result<(), String> {
    let deadline = Instant::now() + BUDGET;
    let remaining = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| format!("no answer from {addr} within {BUDGET:?}"))
    };
    let mut stream = TcpStream::connect_timeout(&addr, remaining()?)
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream
        .set_write_timeout(Some(remaining()?))
        .and_then(|()| {
            write!(
                stream,
                "GET /health HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: hostinfo-healthcheck\r\nConnection: close\r\n\r\n"
            )
        })
        .map_err(|e| format!("cannot send request to {addr}: {e}"))?;

    // Only the status line matters; read until it is complete.
    let mut head = Vec::with_capacity(64);
    let mut buf = [0u8; 256];
    while !head.contains(&b'\n') {
        stream
            .set_read_timeout(Some(remaining()?))
            .map_err(|e| e.to_string())?;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) => return Err(format!("no answer from {addr}: {e}")),
        }
    }
    let status_line = String::from_utf8_lossy(&head);
    let status_line = status_line.lines().next().unwrap_or_default();
    match status_line.split_whitespace().nth(1) {
        Some("200") => Ok(()),
        _ => Err(format!("unhealthy answer from {addr}: {status_line:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_listen_addresses_are_checked_on_loopback() {
        assert_eq!(
            target("0.0.0.0:8000".parse().unwrap()),
            "127.0.0.1:8000".parse().unwrap()
        );
        assert_eq!(
            target("[::]:8000".parse().unwrap()),
            "[::1]:8000".parse().unwrap()
        );
    }

    #[test]
    fn specific_listen_addresses_are_checked_as_they_are() {
        let addr: SocketAddr = "10.1.2.3:9000".parse().unwrap();
        assert_eq!(target(addr), addr);
    }

    #[test]
    fn check_fails_quickly_when_nothing_listens() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let started = Instant::now();
        assert!(check(SocketAddr::from(([127, 0, 0, 1], port))).is_err());
        assert!(started.elapsed() < BUDGET);
    }
}
