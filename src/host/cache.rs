//! The host facts kept rendered, so that a request costs a pointer copy
//! rather than a system scan. The dynamic facts are read again at most once
//! per [`REFRESH_INTERVAL`].

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use sysinfo::System;

use super::{DynamicFacts, StaticFacts};

/// How stale the dynamic facts may get.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(1);

/// Renders the facts as they are served (`routes` knows the wire format).
pub type Render = fn(&StaticFacts, &DynamicFacts) -> String;

struct Rendered {
    at: Instant,
    text: Arc<str>,
}

/// Host facts with a cheap, rate-limited refresh of the dynamic ones.
pub struct Host {
    facts: StaticFacts,
    system: Mutex<System>,
    render: Render,
    rendered: RwLock<Rendered>,
}

impl Host {
    pub fn new(facts: StaticFacts, render: Render) -> Self {
        let mut system = System::new();
        let text = render(&facts, &DynamicFacts::read(&mut system)).into();
        Self {
            facts,
            system: Mutex::new(system),
            render,
            rendered: RwLock::new(Rendered {
                at: Instant::now(),
                text,
            }),
        }
    }

    pub fn facts(&self) -> &StaticFacts {
        &self.facts
    }

    /// The rendered facts, at most [`REFRESH_INTERVAL`] old.
    pub fn rendered(&self) -> Arc<str> {
        {
            let current = self.rendered.read().unwrap_or_else(PoisonError::into_inner);
            if current.at.elapsed() < REFRESH_INTERVAL {
                return Arc::clone(&current.text);
            }
        }
        // One caller refreshes; the others keep serving the stale copy
        // rather than queueing behind it.
        match self.rendered.try_write() {
            Ok(mut current) => {
                if current.at.elapsed() >= REFRESH_INTERVAL {
                    let mut system = self.system.lock().unwrap_or_else(PoisonError::into_inner);
                    let dynamic = DynamicFacts::read(&mut system);
                    *current = Rendered {
                        at: Instant::now(),
                        text: (self.render)(&self.facts, &dynamic).into(),
                    };
                }
                Arc::clone(&current.text)
            }
            Err(_) => {
                let current = self.rendered.read().unwrap_or_else(PoisonError::into_inner);
                Arc::clone(&current.text)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::sample_facts;

    fn uptime(_: &StaticFacts, dynamic: &DynamicFacts) -> String {
        format!("{:?}", dynamic.uptime_seconds)
    }

    #[test]
    fn rendered_is_served_from_cache_within_the_refresh_interval() {
        let host = Host::new(sample_facts(), uptime);
        let first = host.rendered();
        let second = host.rendered();
        assert!(Arc::ptr_eq(&first, &second), "no re-render within 1 s");
    }

    #[test]
    fn rendered_is_rendered_again_once_the_interval_has_passed() {
        let host = Host::new(sample_facts(), uptime);
        let first = host.rendered();
        host.rendered.write().unwrap().at -= REFRESH_INTERVAL;
        let second = host.rendered();
        assert!(!Arc::ptr_eq(&first, &second));
    }
}
