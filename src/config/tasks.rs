//! How many workers fit: actix-server's own bound, and the tasks (threads)
//! the process may have under its cgroup's `pids.max` and `RLIMIT_NPROC`.
//! Past either, actix-server panics at start; checked here, the same
//! mistake is a usage error naming the variable and the bound.

use std::fs;
use std::path::Path;

/// actix-server panics above it ("Workers must not exceed 512").
pub const MAX_WORKERS: usize = 512;
/// Each worker is one thread (an actix Arbiter): measured, a process with
/// N workers has N + [`THREADS_BESIDES_WORKERS`] threads.
pub const THREADS_PER_WORKER: usize = 1;
/// The main thread (the actix System, which also handles signals) and
/// actix-server's accept thread.
pub const THREADS_BESIDES_WORKERS: usize = 2;
/// `hostinfo healthcheck`, which Docker runs inside the container's cgroup
/// while the server runs: one more task at a time.
pub const HEALTHCHECK_TASKS: usize = 1;

/// A limit on the process's tasks, and where it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskLimit {
    pub tasks: usize,
    pub source: &'static str,
}

impl TaskLimit {
    /// Tasks that are not workers: the server's own threads and a healthcheck.
    pub const RESERVED: usize = THREADS_BESIDES_WORKERS + HEALTHCHECK_TASKS;

    /// The most workers that fit under this limit.
    pub fn max_workers(&self) -> usize {
        self.tasks.saturating_sub(Self::RESERVED) / THREADS_PER_WORKER
    }
}

/// The tightest of the cgroup's `pids.max` and `RLIMIT_NPROC`'s soft limit,
/// or `None` when neither limits anything.
pub fn task_limit() -> Option<TaskLimit> {
    let nproc = fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| parse_nproc(&limits))
        .map(|tasks| TaskLimit {
            tasks,
            source: "RLIMIT_NPROC",
        });
    let pids_max = cgroup_pids_max().map(|tasks| TaskLimit {
        tasks,
        source: "the cgroup's pids.max",
    });
    [nproc, pids_max]
        .into_iter()
        .flatten()
        .min_by_key(|limit| limit.tasks)
}

/// The soft "Max processes" of `/proc/self/limits`; `None` if unlimited.
fn parse_nproc(limits: &str) -> Option<usize> {
    limits
        .lines()
        .find(|line| line.starts_with("Max processes"))?
        .split_whitespace()
        .nth(2)?
        .parse()
        .ok()
}

/// The lowest `pids.max` of the process's cgroup and its ancestors, cgroup
/// v2 or v1's pids controller. Inside a container's cgroup namespace the
/// cgroup is `/`, and its `pids.max` is Docker's `pids_limit`.
fn cgroup_pids_max() -> Option<usize> {
    let membership = fs::read_to_string("/proc/self/cgroup").ok()?;
    let mut lowest: Option<usize> = None;
    for line in membership.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let root = match controllers {
            "" => Path::new("/sys/fs/cgroup"),
            list if list.split(',').any(|c| c == "pids") => Path::new("/sys/fs/cgroup/pids"),
            _ => continue,
        };
        let mut dir = root.join(path.trim_start_matches('/'));
        loop {
            let max = fs::read_to_string(dir.join("pids.max"))
                .ok()
                .and_then(|text| text.trim().parse::<usize>().ok());
            lowest = lowest.min(max).or(max).or(lowest);
            if dir == root || !dir.pop() {
                break;
            }
        }
    }
    lowest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_fit_under_a_limit_after_the_reserved_tasks() {
        let limit = TaskLimit {
            tasks: 64,
            source: "test",
        };
        assert_eq!(limit.max_workers(), 61);
        let tiny = TaskLimit {
            tasks: 2,
            source: "test",
        };
        assert_eq!(tiny.max_workers(), 0);
    }

    #[test]
    fn nproc_is_read_from_proc_limits_unless_unlimited() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max processes             16                   32                   processes \n";
        assert_eq!(parse_nproc(limits), Some(16));
        let unlimited =
            "Max processes             unlimited            unlimited            processes \n";
        assert_eq!(parse_nproc(unlimited), None);
    }
}
