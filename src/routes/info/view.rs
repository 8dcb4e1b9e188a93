//! The `/info` body as it goes on the wire: the host facts first, kept
//! rendered by [`crate::host::Host`], then the process and the request.
//! Field order is key order, the order the README and clients see.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderName};
use serde::Serialize;

use crate::host::{Address, Cpu, DynamicFacts, Os, StaticFacts};
use crate::state::AppState;

#[derive(Serialize)]
struct Memory {
    total_bytes: Option<u64>,
    available_bytes: Option<u64>,
}

/// The host half of the body.
#[derive(Serialize)]
struct HostView<'a> {
    hostname: &'a str,
    ip_address: Option<IpAddr>,
    addresses: &'a [Address],
    os: &'a Os,
    cpu: &'a Cpu,
    memory: Memory,
    load_average: Option<[f64; 3]>,
    uptime_seconds: Option<u64>,
}

/// Renders the host facts as one JSON object: the [`crate::host::Render`]
/// of the service.
pub fn host_json(facts: &StaticFacts, dynamic: &DynamicFacts) -> String {
    let view = HostView {
        hostname: &facts.hostname,
        ip_address: facts.ip_address(),
        addresses: &facts.addresses,
        os: &facts.os,
        cpu: &facts.cpu,
        memory: Memory {
            total_bytes: facts.total_memory_bytes,
            available_bytes: dynamic.available_memory_bytes,
        },
        load_average: dynamic.load_average,
        uptime_seconds: dynamic.uptime_seconds,
    };
    serde_json::to_string(&view).expect("host facts always serialise")
}

#[derive(Serialize)]
struct ProcessView<'a> {
    pid: u32,
    started_at: &'a str,
    uptime_seconds: u64,
    version: &'a str,
}

#[derive(Serialize)]
struct RequestView<'a> {
    method: &'a str,
    path: &'a str,
    peer: Option<SocketAddr>,
    forwarded_for: Option<Cow<'a, str>>,
    real_ip: Option<Cow<'a, str>>,
    host: Option<Cow<'a, str>>,
    user_agent: Option<Cow<'a, str>>,
}

/// The per-request half of the body.
#[derive(Serialize)]
struct PerRequest<'a> {
    process: ProcessView<'a>,
    requests_served: u64,
    request: RequestView<'a>,
}

/// The whole body, in one buffer.
pub fn body(req: &HttpRequest, state: &AppState) -> Vec<u8> {
    let per_request = PerRequest {
        process: ProcessView {
            pid: state.process.pid,
            started_at: &state.process.started_at,
            uptime_seconds: state.process.uptime_seconds(),
            version: state.process.version,
        },
        requests_served: state.requests_served(),
        request: RequestView {
            method: req.method().as_str(),
            path: req.path(),
            peer: req.peer_addr(),
            forwarded_for: header_value(req, &header::X_FORWARDED_FOR),
            real_ip: header_value(req, &HeaderName::from_static("x-real-ip")),
            host: header_value(req, &header::HOST),
            user_agent: header_value(req, &header::USER_AGENT),
        },
    };
    merge_objects(&state.host.rendered(), &per_request)
}

/// All values of a header joined as one (a proxy chain may send several
/// X-Forwarded-For lines); `None` when absent. Bytes that are not UTF-8 are
/// replaced rather than refused: this endpoint reports, it does not judge.
fn header_value<'a>(req: &'a HttpRequest, name: &HeaderName) -> Option<Cow<'a, str>> {
    let mut values = req.headers().get_all(name);
    let first = String::from_utf8_lossy(values.next()?.as_bytes());
    let rest: Vec<_> = values
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
        .collect();
    if rest.is_empty() {
        return Some(first);
    }
    let mut joined = first.into_owned();
    for value in rest {
        joined.push_str(", ");
        joined.push_str(&value);
    }
    Some(Cow::Owned(joined))
}

/// Writes the pre-serialised object `head` followed by the fields of
/// `tail` as one JSON object, in one buffer.
fn merge_objects(head: &str, tail: &impl Serialize) -> Vec<u8> {
    debug_assert!(head.len() > 2 && head.starts_with('{') && head.ends_with('}'));
    let mut body = Vec::with_capacity(head.len() + 512);
    body.extend_from_slice(&head.as_bytes()[..head.len() - 1]);
    let tail_start = body.len();
    serde_json::to_writer(&mut body, tail).expect("request facts always serialise");
    // The tail's opening brace becomes the separator between the two halves.
    debug_assert_eq!(body.get(tail_start), Some(&b'{'));
    body[tail_start] = b',';
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::sample_facts;
    use serde_json::{Value, json};

    #[test]
    fn host_json_writes_snake_case_keys_in_a_stable_order_with_nulls() {
        let dynamic = DynamicFacts {
            available_memory_bytes: Some(512),
            load_average: Some([0.5, 0.25, 0.125]),
            uptime_seconds: None,
        };
        let json = host_json(&sample_facts(), &dynamic);
        assert!(json.starts_with(r#"{"hostname":"replica-1","ip_address":"172.18.0.3","#));
        let value: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            value,
            json!({
                "hostname": "replica-1",
                "ip_address": "172.18.0.3",
                "addresses": [
                    {"interface": "eth0", "address": "fd00::3"},
                    {"interface": "eth0", "address": "172.18.0.3"}
                ],
                "os": {"name": null, "version": null, "kernel": "6.1.0", "arch": "x86_64"},
                "cpu": {"logical": 2, "physical": null, "brand": "Some CPU"},
                "memory": {"total_bytes": 1024, "available_bytes": 512},
                "load_average": [0.5, 0.25, 0.125],
                "uptime_seconds": null
            })
        );
    }

    #[test]
    fn merge_objects_keeps_head_keys_first() {
        #[derive(Serialize)]
        struct Tail {
            b: u8,
            c: &'static str,
        }
        let merged = merge_objects(r#"{"a":1}"#, &Tail { b: 2, c: "}" });
        assert_eq!(merged, br#"{"a":1,"b":2,"c":"}"}"#);
    }
}
