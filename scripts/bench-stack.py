#!/usr/bin/env python3
"""Benchmark the stack: how close the load-balanced path gets to nginx's ceiling.

Brings up its own stack (project `hostinfo-bench`, a free port, the benchmark
location on), measures every case side by side with the same wrk settings in
interleaved rounds, then the latency users feel at 25, 50 and 75 % of the
load-balanced path's maximum (oha, constant rate, corrected for coordinated
omission), and removes everything it started. Prints a table and writes it
under results/ as Markdown and JSON. Traffic goes to loopback only; every run
is bounded by the load generator's duration.
"""
from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import time

from bench_image import binary_sizes, image_sizes, start_to_healthy
from bench_nginx import nginx_legs, nginx_times
from benchlib import (CpuMeter, children_cpu, container_cpu, image_settings, just, load_average,
                      median_run, oha, pids, process_cpu, rss_kib, spread, wrk, write_results)
from stacktool.docker import containers, docker, docker_inspect
from stacktool.http import wait_for
from stacktool.names import APP_SERVICE, LB_SERVICE
from stacktool.ports import free_port

PROJECT = "hostinfo-bench"
# The load-balanced path's maximum is 100 %: the steady loads are these shares.
STEADY_PERCENT = (25, 50, 75)


def cpu_parts(project: str, direct: str) -> dict:
    """Where a request's CPU time goes on this host: the ratios' bound on a small one."""
    def service_cpu(service: str) -> float:
        return sum(container_cpu(c["Id"]) for c in containers(project, service))
    return {
        "nginx": lambda: service_cpu(LB_SERVICE),
        "replicas": lambda: service_cpu(APP_SERVICE),
        "direct replica": lambda: container_cpu(docker_inspect(direct)["Id"]),
        "docker-proxy": lambda: process_cpu(pids("docker-proxy")),
        "dockerd, containerd": lambda: process_cpu(
            pids("dockerd") + pids("containerd") + pids("containerd-shim-runc-v2")),
        "wrk, oha": children_cpu,
    }


def markdown(results: dict) -> str:
    lines = ["| case | req/s (median) | every round | p50 ms | p99 ms | errors (all rounds) |",
             "| --- | ---: | --- | ---: | ---: | ---: |"]
    for name, case in results["cases"].items():
        lines.append(f"| {name} | {case['rps']:.0f} | {' '.join(map(str, case['rps_all']))} | "
                     f"{case['p50_ms']:.2f} | {case['p99_ms']:.2f} | {case['errors_all']} |")
    lines += ["", "| ratio, per round | median | min – max | spread | goal |",
              "| --- | ---: | ---: | ---: | --- |"]
    for name, (value, goal) in results["ratios"].items():
        lines.append(f"| {name} | {value['median']:.2f} | {value['min']:.2f} – {value['max']:.2f} "
                     f"| {value['spread']:.0%} | {goal} |")
    lines += ["", "Steady load through nginx to the replicas (oha, constant rate, latency "
              "corrected; median of the rounds, p99 of every round):", "",
              "| load | rate req/s | achieved req/s | p50 ms | p99 ms | p99.9 ms "
              "| p99 every round | errors |",
              "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |"]
    for name, run in results["steady"].items():
        lines.append(f"| {name} | {run['rate']} | {run['rps']:.0f} | {run['p50_ms']:.2f} | "
                     f"{run['p99_ms']:.2f} | {run['p99.9_ms']:.2f} | "
                     f"{' '.join(f'{v:.1f}' for v in run['p99_ms_all'])} | {run['errors_all']} |")
    seen = results["nginx_at_50"]
    if seen.get("requests"):
        rt, up = seen["request_time_ms"], seen["upstream_response_time_ms"]
        lines += ["", f"nginx's own view at 50 % ({seen['requests']} requests, ms resolution):", "",
                  "| nginx log | p50 ms | p99 ms | p99.9 ms |", "| --- | ---: | ---: | ---: |",
                  f"| $request_time | {rt['p50']} | {rt['p99']} | {rt['p99.9']} |",
                  f"| $upstream_response_time | {up['p50']} | {up['p99']} | {up['p99.9']} |"]
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
    parser.add_argument("--project", default=PROJECT, help="compose project of the bench's stack")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=int, default=5, help="seconds per case")
    parser.add_argument("--replicas", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved runs of each case")
    parser.add_argument("--steady-seconds", type=int, default=8, help="seconds per steady load")
    parser.add_argument("--steady-rounds", type=int, default=3)
    parser.add_argument("--start-runs", type=int, default=5)
    parser.add_argument("--options", default=os.environ.get("STACK_OPTIONS", "{ }"),
                        help="stack options, as a Nix attribute set, e.g. "
                             "'{ logLevel = \"warn\"; accessLog = false; }'")
    args = parser.parse_args()
    if args.rounds < 1 or args.steady_rounds < 1:
        parser.error("--rounds and --steady-rounds must be at least 1")

    load = load_average()
    port = free_port()
    project, direct = args.project, f"{args.project}-direct"
    env = {**os.environ, "HOSTINFO_PROJECT": project, "HOSTINFO_PORT": str(port),
           "STACK_OPTIONS": f"({args.options}) // {{ benchmarkLocation = true; }}"}
    images = image_settings()
    app_image = f"{images['app']['name']}:{images['app']['tag']}"
    lb_image = f"{images['lb']['name']}:{images['lb']['tag']}"
    lb_url = f"http://127.0.0.1:{port}"
    direct_port = free_port()
    direct_url = f"http://127.0.0.1:{direct_port}"
    saturate = lambda url: wrk(url, args.threads, args.connections, args.duration)  # noqa: E731

    just(env, "down")
    just(env, "image")
    try:
        up_seconds = just(env, "up", str(args.replicas))
        replica = containers(project, APP_SERVICE)[0]
        lb = containers(project, LB_SERVICE)[0]["Id"]
        idle_rss = rss_kib(replica["State"]["Pid"])
        # One more replica of the same image and limits, published for the
        # direct cases: the proxy's cost is the difference.
        docker("run", "-d", "--rm", "--name", direct, "--read-only", "--cap-drop", "ALL",
               "--memory", "64m", "-p", f"127.0.0.1:{direct_port}:8000", app_image)
        wait_for(f"{direct_url}/health", 10, interval=0.01)

        # Interleaved rounds, the median of each case: on a small shared
        # machine one run can be off by half, and the ratios are what count.
        urls = {
            "1 ceiling: nginx alone": f"{lb_url}/_bench/ceiling",
            f"2 /info via nginx, {args.replicas} replicas": f"{lb_url}/info",
            "3 /info direct, 1 replica": f"{direct_url}/info",
            "4 /health direct, 1 replica": f"{direct_url}/health",
        }
        runs = {name: [] for name in urls}
        cpu = CpuMeter(cpu_parts(project, direct))
        for _ in range(args.rounds):
            for name, url in urls.items():
                runs[name].append(cpu.measure(name, lambda: saturate(url)))
        lb_max = statistics.median(run["rps"] for run in runs[f"2 /info via nginx, {args.replicas} replicas"])

        # What users feel at a normal load: a constant rate, open loop.
        # The same rate to nginx answering alone shows what the machine itself
        # adds to the tail: scheduling, Docker's proxy, the client.
        steady = {f"{p} % ({args.replicas} replicas)": [] for p in STEADY_PERCENT}
        steady["50 %, ceiling (nginx alone)"] = []
        plan = [(p, f"{lb_url}/info", name) for p, name in zip(STEADY_PERCENT, steady)]
        plan.append((50, f"{lb_url}/_bench/ceiling", "50 %, ceiling (nginx alone)"))
        legs = []
        for _ in range(args.steady_rounds):
            for percent, url, name in plan:
                started = time.time()
                steady[name].append(cpu.measure(
                    f"5 {name}", lambda: oha(url, lb_max * percent / 100, args.steady_seconds,
                                             args.connections)))
                if name.startswith("50 % ("):
                    ended = time.time()
                    time.sleep(1.5)  # the access log's buffer flushes every second
                    legs += nginx_legs(lb, started, ended)
        seen = nginx_times(legs)
        loaded_rss = rss_kib(replica["State"]["Pid"])
        just(env, "scale", "1")
        runs["2 /info via nginx, 1 replica"] = [saturate(f"{lb_url}/info") for _ in range(args.rounds)]
        cases = {name: median_run(results) for name, results in runs.items()}
    finally:
        subprocess.run(["docker", "rm", "-f", direct], capture_output=True, check=False)
        just(env, "down")

    rounds = lambda name: [run["rps"] for run in runs[name]]  # noqa: E731
    c1, c2, c3, c4 = (rounds("1 ceiling: nginx alone"),
                      rounds(f"2 /info via nginx, {args.replicas} replicas"),
                      rounds("3 /info direct, 1 replica"), rounds("4 /health direct, 1 replica"))
    per_round = lambda a, b: spread([x / y for x, y in zip(a, b)])  # noqa: E731
    binary = binary_sizes(app_image, images["app"]["binary"])
    app = image_sizes(app_image)
    lb_sizes = image_sizes(lb_image)
    results = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "load_average_at_start": load,
        "stack_options": args.options,
        "wrk": {"threads": args.threads, "connections": args.connections,
                "seconds": args.duration, "rounds": args.rounds},
        "oha": {"connections": args.connections, "seconds": args.steady_seconds,
                "rounds": args.steady_rounds, "lb_max_rps": round(lb_max)},
        "cases": cases,
        "steady": {name: median_run(results, "p99_ms") for name, results in steady.items()},
        "nginx_at_50": seen,
        "cpu_us_per_request": cpu.per_request_us(),
        "ratios": {
            "2/1 LB path / ceiling": (per_round(c2, c1), ">= 0.5"),
            "3/4 /info / /health, direct": (per_round(c3, c4), ">= 0.8"),
            "2/3 LB path / one replica direct": (per_round(c2, c3), "(information)"),
        },
        "measures": {
            "service binary bytes (gzip)": f"{binary['bytes']} ({binary['gzip_bytes']})",
            "service image bytes (gzip)": f"{app['bytes']} ({app['gzip_bytes']})",
            "image gzip above binary gzip": f"{app['gzip_bytes'] - binary['gzip_bytes']} B (goal <= 65536)",
            "nginx image bytes (gzip)": f"{lb_sizes['bytes']} ({lb_sizes['gzip_bytes']})",
            "replica RSS idle / after load": f"{idle_rss} KiB / {loaded_rss} KiB (goal < 10240)",
            "`just up` wall time, images built": f"{up_seconds:.1f} s",
            **{k.replace("_", " "): v for k, v in start_to_healthy(app_image, args.start_runs).items()},
        },
    }
    table = (f"Stack options: `{args.options}`; load average at start {' '.join(map(str, load))}; "
             f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, median of "
             f"{args.rounds} interleaved rounds; oha -c{args.connections} -z{args.steady_seconds}s "
             f"--latency-correction, {args.steady_rounds} rounds\n\n")
    table += markdown(results)
    print(table, end="")
    write_results("bench", results, table)


if __name__ == "__main__":
    main()
