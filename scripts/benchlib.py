"""What every benchmark shares: load generators, rounds and their spread, results.

`just bench`, `just bench-scale` and `just bench-peers` import it, so the three
measure with the same clients and report the same way. Standard library only;
the stack helpers (ports, Docker, HTTP) are scripts/stacktool's.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

from stacktool import ROOT, recipes
from stacktool.docker import docker
from stacktool.nix import evaluated

RESULTS = ROOT / "results"


def load_average() -> list[float]:
    """The 1, 5 and 15 min load averages: noise from other work shows here."""
    return [round(v, 2) for v in os.getloadavg()]


def just(env: dict, *args: str) -> float:
    """Run a recipe with `env`; its wall time in seconds, or exit with its output."""
    started = time.monotonic()
    result = recipes.just(*args, env=env)
    if result.returncode:
        sys.exit(recipes.failure(result))
    return time.monotonic() - started


def image_settings() -> dict:
    """nix/images.nix, evaluated: image names, tags, binaries and ports."""
    return evaluated("-E", "import ./nix/images.nix { }")


def wrk(url: str, threads: int = 2, connections: int = 64, seconds: int = 5) -> dict:
    """Saturation, closed loop: as many requests as `connections` can carry."""
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s",
         "-s", str(ROOT / "scripts" / "wrk-json.lua"), url],
        capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def oha_path() -> str:
    found = shutil.which("oha") or shutil.which(os.path.expanduser("~/.cargo/bin/oha"))
    if not found:
        sys.exit("oha is missing: `cargo install --locked oha` (the bench recipes do it)")
    return found


def oha(url: str, rate: float, seconds: int = 8, connections: int = 64) -> dict:
    """Open loop at a constant `rate`: each request is timed from when it was
    due, not from when a connection was free (--latency-correction), so a
    stall shows in the tail instead of slowing the sender down."""
    out = subprocess.run(
        [oha_path(), "--no-tui", "--output-format", "json", "--latency-correction",
         "-q", str(round(rate)), "-z", f"{seconds}s", "--wait-ongoing-requests-after-deadline",
         "-t", "10s", "-c", str(connections), url],  # a hung server: an error, not a hung bench
        capture_output=True, text=True, check=True).stdout
    report = json.loads(out)
    summary, pct = report["summary"], report["latencyPercentiles"]
    statuses = {int(k): v for k, v in (report.get("statusCodeDistribution") or {}).items()}
    ok = statuses.get(200, 0)
    return {
        "rate": round(rate), "requests": sum(statuses.values()),
        "rps": round(summary["requestsPerSec"] or 0, 1),
        "p50_ms": round((pct["p50"] or 0) * 1000, 3),
        "p99_ms": round((pct["p99"] or 0) * 1000, 3),
        "p99.9_ms": round((pct["p99.9"] or 0) * 1000, 3),
        "errors": sum((report.get("errorDistribution") or {}).values()) + sum(statuses.values()) - ok,
    }


def spread(values: list[float]) -> dict:
    """Median, extremes and (max - min) / median of a series of rounds."""
    mid = statistics.median(values)
    return {"median": round(mid, 3), "min": round(min(values), 3), "max": round(max(values), 3),
            "spread": round((max(values) - min(values)) / mid, 3) if mid else None,
            "all": [round(v, 3) for v in values]}


def median_run(results: list[dict], key: str = "rps") -> dict:
    """The run with the median `key`, whole, so its other figures match it."""
    ranked = sorted(results, key=lambda run: run[key])
    return {**ranked[len(ranked) // 2],
            f"{key}_all": [round(run[key]) if key == "rps" else run[key] for run in results],
            "errors_all": sum(run["errors"] + run.get("non_2xx", 0) for run in results),
            "rounds": results}


def process_cpu(pids: list[str]) -> float:
    """CPU seconds the processes have spent so far."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError):
            pass  # gone meanwhile
    return ticks / os.sysconf("SC_CLK_TCK")


def pids(name: str) -> list[str]:
    return subprocess.run(["pgrep", "-x", name], capture_output=True, text=True).stdout.split()


def container_cpu(container_id: str) -> float:
    """CPU seconds a container has spent so far, from its cgroup (v1 or v2)."""
    v1 = f"/sys/fs/cgroup/cpuacct/docker/{container_id}/cpuacct.usage"
    v2 = f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/cpu.stat"
    if os.path.exists(v1):
        with open(v1) as usage:
            return int(usage.read()) / 1e9
    if os.path.exists(v2):
        with open(v2) as stat:
            return int(dict(line.split() for line in stat)["usage_usec"]) / 1e6
    return 0.0


def children_cpu() -> float:
    """CPU seconds of the finished load generators this process ran."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    """CPU seconds spent by each part of the machine while a load runs, per
    request: where a request's cost goes. `parts` maps a name to a function
    returning that part's CPU seconds so far."""

    def __init__(self, parts: dict):
        self.parts = parts
        self.spent: dict[str, dict[str, float]] = {}

    def snapshot(self) -> dict[str, float]:
        return {name: seconds() for name, seconds in self.parts.items()}

    def measure(self, case: str, run) -> dict:
        before = self.snapshot()
        result = run()
        after = self.snapshot()
        spent = self.spent.setdefault(case, {"requests": 0})
        spent["requests"] += result["requests"]
        for part, seconds in after.items():
            spent[part] = spent.get(part, 0.0) + seconds - before[part]
        return result

    def per_request_us(self) -> dict[str, dict[str, float]]:
        return {case: {part: round(seconds / spent["requests"] * 1e6, 1)
                       for part, seconds in spent.items() if part != "requests"}
                for case, spent in self.spent.items()}


def cgroup_memory_bytes(container_id: str) -> int:
    """What `docker stats` shows: the container's memory less its inactive page cache."""
    for base in (f"/sys/fs/cgroup/memory/docker/{container_id}",
                 f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope"):
        if os.path.isdir(base):
            v1 = os.path.exists(f"{base}/memory.usage_in_bytes")
            with open(f"{base}/memory.usage_in_bytes" if v1 else f"{base}/memory.current") as f:
                usage = int(f.read())
            with open(f"{base}/memory.stat") as f:
                stat = dict(line.split() for line in f)
            return usage - int(stat.get("total_inactive_file" if v1 else "inactive_file", 0))
    # No cgroup files where they usually are: ask Docker.
    return parse_size(docker("stats", "--no-stream", "--format", "{{.MemUsage}}",
                             container_id).split("/")[0])


def parse_size(text: str) -> int:
    text = text.strip()
    for unit, factor in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10), ("B", 1)):
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * factor)
    raise ValueError(f"not a docker size: {text!r}")


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def write_results(name: str, results: dict, table: str) -> str:
    """results/<name>-<stamp>.{md,json}; the stamp, for pictures of the same run."""
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"{name}-{stamp}.md").write_text(table)
    (RESULTS / f"{name}-{stamp}.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"written: results/{name}-{stamp}.md, results/{name}-{stamp}.json", file=sys.stderr)
    return stamp
