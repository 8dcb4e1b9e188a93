#!/usr/bin/env python3
"""Benchmark the stack: how close the load-balanced path gets to nginx's ceiling.

Brings up its own stack (project `hostinfo-bench`, a free port, the benchmark
location on), measures every case side by side with the same wrk settings,
then removes everything it started. Prints a table and writes it under
results/ as Markdown and JSON. Traffic goes to loopback only; every run is
bounded by wrk's duration.
"""
from __future__ import annotations

import argparse
import datetime
import gzip
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import time

import stack
from stack import ROOT, docker, free_port, get

PROJECT = "hostinfo-bench"
DIRECT = "hostinfo-bench-direct"


def just(env: dict, *args: str) -> float:
    started = time.monotonic()
    result = subprocess.run(["just", *args], cwd=ROOT, env=env, check=False,
                            capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"just {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return time.monotonic() - started


class CpuMeter:
    """CPU seconds spent by each part of the machine while wrk runs: where a
    request's cost goes, which is what bounds the ratios on a small host."""

    def __init__(self, project: str):
        self.project = project
        self.spent: dict[str, dict[str, float]] = {}

    @staticmethod
    def _process(pids: list[str]) -> float:
        ticks = 0
        for pid in pids:
            try:
                fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
            except (OSError, IndexError):
                pass
        return ticks / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _container(container_id: str) -> float:
        v1 = f"/sys/fs/cgroup/cpuacct/docker/{container_id}/cpuacct.usage"
        v2 = f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/cpu.stat"
        if os.path.exists(v1):
            return int(open(v1).read()) / 1e9
        if os.path.exists(v2):
            usage = dict(line.split() for line in open(v2))
            return int(usage["usage_usec"]) / 1e6
        return 0.0

    def snapshot(self) -> dict[str, float]:
        pids = lambda pattern: subprocess.run(  # noqa: E731
            ["pgrep", "-x", pattern], capture_output=True, text=True).stdout.split()
        return {
            "nginx": sum(self._container(c["Id"])
                         for c in stack.containers(self.project, stack.LB_SERVICE)),
            "replicas": sum(self._container(c["Id"])
                            for c in stack.containers(self.project, stack.APP_SERVICE)),
            "direct replica": sum(self._container(c["Id"])
                                  for c in [stack.docker_inspect(DIRECT)]),
            "docker-proxy": self._process(pids("docker-proxy")),
            "dockerd, containerd": self._process(pids("dockerd") + pids("containerd")
                                                 + pids("containerd-shim-runc-v2")),
            "wrk": resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
                   + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime,
        }

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


def wrk(url: str, args: argparse.Namespace) -> dict:
    out = subprocess.run(
        ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
         "-s", str(ROOT / "scripts" / "wrk-json.lua"), url],
        capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def median_run(results: list[dict]) -> dict:
    """The run with the median throughput, whole, so its latencies match it."""
    ranked = sorted(results, key=lambda run: run["rps"])
    return {**ranked[len(ranked) // 2],
            "rps_all": [round(run["rps"]) for run in results],
            "errors_all": sum(run["errors"] + run["non_2xx"] for run in results),
            "rounds": results}


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def image_sizes(image: str) -> dict:
    save = subprocess.run(["docker", "save", image], capture_output=True, check=True).stdout
    return {"bytes": int(docker("image", "inspect", "-f", "{{.Size}}", image)),
            "gzip_bytes": len(gzip.compress(save, 9))}


def binary_sizes(image: str, binary: str) -> dict:
    """The binary as it stands in the image, whichever road built it."""
    container = docker("create", image).strip()
    try:
        tar = subprocess.run(["docker", "cp", "-L", f"{container}:{binary}", "-"],
                             capture_output=True, check=True).stdout
    finally:
        docker("rm", container)
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        data = archive.extractfile(archive.getmembers()[0]).read()
    return {"bytes": len(data), "gzip_bytes": len(gzip.compress(data, 9))}


def start_to_healthy(image: str, runs: int) -> dict:
    """Median over `runs`: `docker run` issued → first 200 on /health, and the
    container's own start time → that same 200."""
    from_run, from_start = [], []
    for _ in range(runs):
        port = free_port()
        issued = time.time()
        container = docker("run", "-d", "--rm", "--read-only", "--cap-drop", "ALL",
                           "-p", f"127.0.0.1:{port}:8000", image).strip()
        try:
            deadline = time.monotonic() + 10
            while get(f"http://127.0.0.1:{port}/health", timeout=0.5)[0] != 200:
                if time.monotonic() > deadline:
                    raise RuntimeError("a benchmark container never became healthy")
                time.sleep(0.001)
            answered = time.time()
            started = stack.docker_inspect(container)["State"]["StartedAt"]
            started_at = datetime.datetime.fromisoformat(started[:26].rstrip("Z") + "+00:00")
            from_run.append(answered - issued)
            from_start.append(answered - started_at.timestamp())
        finally:
            docker("rm", "-f", container)
    return {"docker_run_to_200_ms": round(statistics.median(from_run) * 1000, 1),
            "process_start_to_200_ms": round(statistics.median(from_start) * 1000, 1),
            "runs": runs}


def markdown(results: dict) -> str:
    lines = ["| case | req/s (median) | every round | p50 ms | p99 ms | errors (all rounds) |",
             "| --- | ---: | --- | ---: | ---: | ---: |"]
    for name, case in results["cases"].items():
        lines.append(f"| {name} | {case['rps']:.0f} | {' '.join(map(str, case['rps_all']))} | "
                     f"{case['p50_ms']:.2f} | {case['p99_ms']:.2f} | {case['errors_all']} |")
    lines += ["", "| ratio | value | goal |", "| --- | ---: | --- |"]
    for name, (value, goal) in results["ratios"].items():
        lines.append(f"| {name} | {value:.2f} | {goal} |")
    cpu = results["cpu_us_per_request"]
    parts = list(next(iter(cpu.values())))
    lines += ["", "CPU time per request (µs), by where it was spent:", "",
              "| case | " + " | ".join(parts) + " | total |",
              "| --- |" + " ---: |" * (len(parts) + 1)]
    for name, spent in cpu.items():
        lines.append(f"| {name} | " + " | ".join(f"{spent[p]:.0f}" for p in parts)
                     + f" | {sum(spent.values()):.0f} |")
    lines += ["", "| measure | value |", "| --- | ---: |"]
    for name, value in results["measures"].items():
        lines.append(f"| {name} | {value} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=int, default=5, help="seconds per case")
    parser.add_argument("--replicas", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each case; the median is kept")
    parser.add_argument("--start-runs", type=int, default=5)
    parser.add_argument("--options", default=os.environ.get("STACK_OPTIONS", "{ }"),
                        help="stack options, as a Nix attribute set, e.g. "
                             "'{ logLevel = \"warn\"; accessLog = false; }'")
    args = parser.parse_args()

    port = free_port()
    env = {**os.environ, "HOSTINFO_PROJECT": PROJECT, "HOSTINFO_PORT": str(port),
           "STACK_OPTIONS": f"({args.options}) // {{ benchmarkLocation = true; }}"}
    images = json.loads(subprocess.run(
        ["nix-instantiate", "--eval", "--strict", "--json", "-E", "import ./nix/images.nix { }"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout)
    app_image = f"{images['app']['name']}:{images['app']['tag']}"
    lb_image = f"{images['lb']['name']}:{images['lb']['tag']}"
    lb_url = f"http://127.0.0.1:{port}"
    direct_port = free_port()
    direct_url = f"http://127.0.0.1:{direct_port}"

    just(env, "down")
    just(env, "image")
    try:
        up_seconds = just(env, "up", str(args.replicas))
        replica = stack.containers(PROJECT, stack.APP_SERVICE)[0]
        idle_rss = rss_kib(replica["State"]["Pid"])
        # One more replica of the same image and limits, published for the
        # direct cases: the proxy's cost is the difference.
        docker("run", "-d", "--rm", "--name", DIRECT, "--read-only", "--cap-drop", "ALL",
               "--memory", "64m", "-p", f"127.0.0.1:{direct_port}:8000", app_image)
        while get(f"{direct_url}/health")[0] != 200:
            time.sleep(0.01)

        # Interleaved rounds, the median of each case: on a small shared
        # machine one run can be off by half, and the ratios are what count.
        urls = {
            "1 ceiling: nginx alone": f"{lb_url}/_bench/ceiling",
            f"2 /info via nginx, {args.replicas} replicas": f"{lb_url}/info",
            "3 /info direct, 1 replica": f"{direct_url}/info",
            "4 /health direct, 1 replica": f"{direct_url}/health",
        }
        runs = {name: [] for name in urls}
        cpu = CpuMeter(PROJECT)
        for _ in range(args.rounds):
            for name, url in urls.items():
                runs[name].append(cpu.measure(name, lambda: wrk(url, args)))
        loaded_rss = rss_kib(replica["State"]["Pid"])
        just(env, "scale", "1")
        runs["2 /info via nginx, 1 replica"] = [wrk(f"{lb_url}/info", args) for _ in range(args.rounds)]
        cases = {name: median_run(results) for name, results in runs.items()}
    finally:
        subprocess.run(["docker", "rm", "-f", DIRECT], capture_output=True, check=False)
        just(env, "down")

    c1, c2, c3, c4 = (cases["1 ceiling: nginx alone"],
                      cases[f"2 /info via nginx, {args.replicas} replicas"],
                      cases["3 /info direct, 1 replica"], cases["4 /health direct, 1 replica"])
    binary = binary_sizes(app_image, images["app"]["binary"])
    app = image_sizes(app_image)
    lb = image_sizes(lb_image)
    results = {
        "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "stack_options": args.options,
        "wrk": {"threads": args.threads, "connections": args.connections,
                "seconds": args.duration},
        "cases": cases,
        "cpu_us_per_request": cpu.per_request_us(),
        "ratios": {
            "2/1 LB path / ceiling": (c2["rps"] / c1["rps"], ">= 0.5"),
            "3/4 /info / /health, direct": (c3["rps"] / c4["rps"], ">= 0.8"),
            "2/3 LB path / one replica direct": (c2["rps"] / c3["rps"], "(information)"),
        },
        "measures": {
            "service binary bytes (gzip)": f"{binary['bytes']} ({binary['gzip_bytes']})",
            "service image bytes (gzip)": f"{app['bytes']} ({app['gzip_bytes']})",
            "image gzip above binary gzip": f"{app['gzip_bytes'] - binary['gzip_bytes']} B (goal <= 65536)",
            "nginx image bytes (gzip)": f"{lb['bytes']} ({lb['gzip_bytes']})",
            "replica RSS idle / after load": f"{idle_rss} KiB / {loaded_rss} KiB (goal < 10240)",
            "`just up` wall time, images built": f"{up_seconds:.1f} s",
            **{k.replace("_", " "): v for k, v in start_to_healthy(app_image, args.start_runs).items()},
        },
    }
    table = (f"Stack options: `{args.options}`; wrk -t{args.threads} -c{args.connections} "
             f"-d{args.duration}s, median of {args.rounds} interleaved rounds\n\n")
    table += markdown(results)
    print(table, end="")
    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"bench-{stamp}.md").write_text(table)
    (out / f"bench-{stamp}.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"written: results/bench-{stamp}.md, results/bench-{stamp}.json", file=sys.stderr)


if __name__ == "__main__":
    main()
