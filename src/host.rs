//! Facts about the machine (or container) this replica runs on, kept apart
//! from HTTP: what they are and how they are gathered. [`Host`] keeps them
//! ready for requests; how they look on the wire is the routes' business.

mod cache;

use std::net::IpAddr;

use serde::Serialize;
use sysinfo::{CpuRefreshKind, MemoryRefreshKind, System};

pub use cache::{Host, REFRESH_INTERVAL, Render};

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

/// What cannot change while the process lives: gathered once at start.
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
        let mut system = System::new();
        system.refresh_cpu_list(CpuRefreshKind::nothing());
        system.refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
        Self {
            hostname: gethostname::gethostname().to_string_lossy().into_owned(),
            addresses: non_loopback_addresses(),
            os: Os {
                name: System::name(),
                version: System::os_version(),
                kernel: System::kernel_version(),
                arch: System::cpu_arch(),
            },
            cpu: Cpu {
                logical: non_zero(system.cpus().len()),
                physical: System::physical_core_count().and_then(non_zero),
                brand: system
                    .cpus()
                    .first()
                    .map(|cpu| cpu.brand().trim().to_owned())
                    .filter(|brand| !brand.is_empty()),
            },
            total_memory_bytes: non_zero(system.total_memory()),
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

/// What changes while the process lives.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DynamicFacts {
    pub available_memory_bytes: Option<u64>,
    pub load_average: Option<[f64; 3]>,
    pub uptime_seconds: Option<u64>,
}

impl DynamicFacts {
    /// Reads /proc: of `system`, only memory is refreshed, which reads
    /// /proc/meminfo alone.
    pub fn read(system: &mut System) -> Self {
        system.refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
        Self {
            available_memory_bytes: non_zero(system.available_memory()),
            // sysinfo 0.38 (0.39 on needs Rust 1.95, see Cargo.toml) reports what
            // it cannot read as zeros: a zero uptime is unknown, a zero load is real.
            load_average: Some(System::load_average()).map(|l| [l.one, l.five, l.fifteen]),
            uptime_seconds: non_zero(System::uptime()),
        }
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

/// Facts of a made-up replica with an IPv6 address before its IPv4 one.
#[cfg(test)]
pub(crate) fn sample_facts() -> StaticFacts {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let dynamic = DynamicFacts::read(&mut System::new());
        assert!(dynamic.uptime_seconds.is_some());
        assert!(dynamic.load_average.is_some());
        assert!(dynamic.available_memory_bytes.is_some_and(|a| a > 0));
    }
}
