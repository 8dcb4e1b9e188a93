//! Facts about the machine (or container) this replica runs on, kept apart
//! from HTTP.
//!
//! Facts that cannot change while the process lives are gathered once at
//! start. The few that do change (available memory, load, uptime) are read
//! from /proc at most once per [`REFRESH_INTERVAL`], and the whole host part
//! of the `/info` body is kept serialised, so a request costs a pointer copy
//! rather than a system scan.

use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use serde::Serialize;
use sysinfo::{CpuRefreshKind, MemoryRefreshKind, System};

/// How stale the dynamic facts may get.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(1);

/// One non-loopback address and the interface that carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Address {
    pub interface: String,
    pub address: IpAddr,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Os {
    /// From /etc/os-release, which a scratch image does not have.
    pub name: Option<String>,
    pub version: Option<String>,
    pub kernel: Option<String>,
    pub arch: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cpu {
    pub logical: Option<usize>,
    pub physical: Option<usize>,
    pub brand: Option<String>,
}

/// What is gathered once at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticFacts {
    pub hostname: String,
    pub addresses: Vec<Address>,
    pub os: Os,
    pub cpu: Cpu,
    pub total_memory_bytes: Option<u64>,
}

impl StaticFacts {
    pub fn gather() -> Self {
        let mut system = Some(System::new());
        let cpu = match system.as_mut() {
            Some(system) => {
                system.refresh_cpu_list(CpuRefreshKind::nothing());
                system.refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
                Cpu {
                    logical: non_zero(system.cpus().len()),
                    physical: System::physical_core_count().and_then(non_zero),
                    brand: system
                        .cpus()
                        .first()
                        .map(|cpu| cpu.brand().trim().to_owned())
                        .filter(|brand| !brand.is_empty()),
                }
            }
            None => Cpu {
                logical: None,
                physical: None,
                brand: None,
            },
        };
        Self {
            hostname: gethostname::gethostname().to_string_lossy().into_owned(),
            addresses: non_loopback_addresses(),
            os: Os {
                name: System::name(),
                version: System::os_version(),
                kernel: System::kernel_version(),
                arch: System::cpu_arch(),
            },
            cpu,
            total_memory_bytes: system.map(|s| s.total_memory()).and_then(non_zero),
        }
    }

    /// The first non-loopback IPv4 address, as the Flask tutorial's
    /// `socket.gethostbyname(socket.gethostname())` gives inside a container.
    pub fn ip_address(&self) -> Option<IpAddr> {
        self.addresses
            .iter()
            .map(|a| a.address)
            .find(IpAddr::is_ipv4)
    }
}

fn non_zero<T: Default + PartialEq>(value: T) -> Option<T> {
    (value != T::default()).then_some(value)
}

fn non_loopback_addresses() -> Vec<Address> {
    match if_addrs::get_if_addrs() {
        Ok(interfaces) => interfaces
            .into_iter()
            .filter(|i| !i.is_loopback())
            .map(|i| Address {
                address: i.ip(),
                interface: i.name,
            })
            .collect(),
        Err(e) => {
            log::warn!("cannot list network interfaces: {e}");
            Vec::new()
        }
    }
}

/// What changes while the process lives.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DynamicFacts {
    pub available_memory_bytes: Option<u64>,
    pub load_average: Option<[f64; 3]>,
    pub uptime_seconds: Option<u64>,
}

#[derive(Serialize)]
struct Memory {
    total_bytes: Option<u64>,
    available_bytes: Option<u64>,
}

/// The host half of the `/info` body; field order is the wire order.
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

/// Renders the host facts as one JSON object.
pub fn render(facts: &StaticFacts, dynamic: &DynamicFacts) -> String {
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

struct Rendered {
    at: Instant,
    json: Arc<str>,
}

/// Host facts with a cheap, rate-limited refresh of the dynamic ones.
pub struct Host {
    facts: StaticFacts,
    /// Only memory is ever refreshed in it: that reads /proc/meminfo alone.
    system: Mutex<Option<System>>,
    rendered: RwLock<Rendered>,
}

impl Host {
    pub fn new(facts: StaticFacts) -> Self {
        let system = Mutex::new(Some(System::new()));
        let dynamic = read_dynamic(&system);
        let rendered = RwLock::new(Rendered {
            at: Instant::now(),
            json: render(&facts, &dynamic).into(),
        });
        Self {
            facts,
            system,
            rendered,
        }
    }

    pub fn facts(&self) -> &StaticFacts {
        &self.facts
    }

    /// The host facts as a JSON object, at most [`REFRESH_INTERVAL`] old.
    pub fn json(&self) -> Arc<str> {
        {
            let current = self.rendered.read().unwrap_or_else(PoisonError::into_inner);
            if current.at.elapsed() < REFRESH_INTERVAL {
                return Arc::clone(&current.json);
            }
        }
        // One caller refreshes; the others keep serving the stale copy
        // rather than queueing behind it.
        match self.rendered.try_write() {
            Ok(mut current) => {
                if current.at.elapsed() >= REFRESH_INTERVAL {
                    let dynamic = read_dynamic(&self.system);
                    *current = Rendered {
                        at: Instant::now(),
                        json: render(&self.facts, &dynamic).into(),
                    };
                }
                Arc::clone(&current.json)
            }
            Err(_) => {
                let current = self.rendered.read().unwrap_or_else(PoisonError::into_inner);
                Arc::clone(&current.json)
            }
        }
    }
}

fn read_dynamic(system: &Mutex<Option<System>>) -> DynamicFacts {
    let available_memory_bytes = system
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_mut()
        .map(|s| {
            s.refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
            s.available_memory()
        })
        .and_then(non_zero);
    DynamicFacts {
        available_memory_bytes,
        // sysinfo 0.38 (0.39 on needs Rust 1.95, see Cargo.toml) reports what
        // it cannot read as zeros: a zero uptime is unknown, a zero load is real.
        load_average: Some(System::load_average()).map(|l| [l.one, l.five, l.fifteen]),
        uptime_seconds: non_zero(System::uptime()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn sample_facts() -> StaticFacts {
        StaticFacts {
            hostname: "replica-1".into(),
            addresses: vec![
                Address {
                    interface: "eth0".into(),
                    address: "fd00::3".parse().unwrap(),
                },
                Address {
                    interface: "eth0".into(),
                    address: "172.18.0.3".parse().unwrap(),
                },
            ],
            os: Os {
                name: None,
                version: None,
                kernel: Some("6.1.0".into()),
                arch: "x86_64".into(),
            },
            cpu: Cpu {
                logical: Some(2),
                physical: None,
                brand: Some("Some CPU".into()),
            },
            total_memory_bytes: Some(1024),
        }
    }

    #[test]
    fn ip_address_is_the_first_ipv4_even_after_an_ipv6_one() {
        assert_eq!(
            sample_facts().ip_address(),
            Some("172.18.0.3".parse().unwrap())
        );
    }

    #[test]
    fn ip_address_is_none_without_any_ipv4() {
        let mut facts = sample_facts();
        facts.addresses.pop();
        assert_eq!(facts.ip_address(), None);
    }

    #[test]
    fn render_writes_snake_case_keys_in_a_stable_order_with_nulls() {
        let dynamic = DynamicFacts {
            available_memory_bytes: Some(512),
            load_average: Some([0.5, 0.25, 0.125]),
            uptime_seconds: None,
        };
        let json = render(&sample_facts(), &dynamic);
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
    fn gathered_facts_describe_this_machine() {
        let facts = StaticFacts::gather();
        assert_eq!(facts.hostname, gethostname::gethostname().to_string_lossy());
        assert!(facts.addresses.iter().all(|a| !a.address.is_loopback()));
        assert_eq!(facts.os.arch, std::env::consts::ARCH);
        assert!(facts.os.kernel.is_some(), "uname always gives a kernel");
        assert!(facts.cpu.logical.unwrap_or(1) >= 1);
        assert!(facts.total_memory_bytes.is_some_and(|t| t > 0));
    }

    #[test]
    fn dynamic_facts_come_from_proc() {
        let dynamic = read_dynamic(&Mutex::new(Some(System::new())));
        assert!(dynamic.uptime_seconds.is_some());
        assert!(dynamic.load_average.is_some());
        assert!(dynamic.available_memory_bytes.is_some_and(|a| a > 0));
    }

    #[test]
    fn json_is_served_from_cache_within_the_refresh_interval() {
        let host = Host::new(sample_facts());
        let first = host.json();
        let second = host.json();
        assert!(Arc::ptr_eq(&first, &second), "no re-render within 1 s");
    }

    #[test]
    fn json_is_re_rendered_once_the_interval_has_passed() {
        let host = Host::new(sample_facts());
        let first = host.json();
        host.rendered.write().unwrap().at -= REFRESH_INTERVAL;
        let second = host.json();
        assert!(!Arc::ptr_eq(&first, &second));
    }
}
