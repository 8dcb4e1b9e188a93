#!/usr/bin/env python3
"""Benchmark the peers side by side: hostinfo against the tutorial's Flask app.

Three stacks of host processes on loopback, each behind the project's own
nginx image (`--network host`) and the same nginx.conf, rendered from the
stack declaration; only the upstream's `server` lines differ:

- 5 × hostinfo, the binary taken out of the service image `just image` built;
- 5 × the tutorial's Flask app under gunicorn, 1 sync worker each, as
  production would run it;
- 5 × the same app on Flask's development server, as the tutorial runs it.

Interleaved rounds of wrk at saturation, then of oha at a constant rate all
three sustain (half the slowest stack's saturation). Everything it starts is
stopped at the end; results go to results/ as Markdown and JSON.
"""
from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

from bench_image import copy_binary
from benchlib import (CpuMeter, children_cpu, container_cpu, image_settings, just, load_average,
                      median_run, oha, pids, process_cpu, spread, wrk, write_results)
from stacktool.docker import docker
from stacktool.http import wait_for as answering
from stacktool.nix import evaluated
from stacktool.ports import free_port

# The tutorial's app, in its ten lines: the machine's name, as JSON.
FLASK_APP = '''\
import os, socket, sys
from flask import Flask, jsonify
app = Flask(__name__)

@app.route("/info")
def info():
    return jsonify(hostname=socket.gethostname(), pid=os.getpid())

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
'''
PEERS = ("hostinfo", "gunicorn, 1 worker", "Flask dev server")


def command(peer: str, port: int, binary: str) -> tuple[list[str], dict]:
    if peer == "hostinfo":
        return [binary], {"HOSTINFO_LISTEN": f"127.0.0.1:{port}", "RUST_LOG": "warn"}
    if peer == "gunicorn, 1 worker":
        return [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind",
                f"127.0.0.1:{port}", "--log-level", "warning", "app:app"], {}
    return [sys.executable, "app.py", str(port)], {}


def nginx_conf(listen: int, ports: list[int]) -> str:
    """The stack's nginx.conf, each `server … resolve` line (the replicas, and
    the same as the panic backup) replaced by one static line per host
    process, with the same parameters."""
    options = f"{{ lbPort = {listen}; benchmarkLocation = true; }}"
    rendered = evaluated("nix/render.nix", "--argstr", "target", "compose",
                         "--arg", "options", options)["nginx.conf"]
    line = re.compile(r"^(\s*)server \S+ resolve (.*);$", re.MULTILINE)
    if not line.findall(rendered):
        sys.exit("nginx.conf no longer has a `server … resolve` line in its upstream")
    return line.sub(lambda m: "\n".join(f"{m[1]}server 127.0.0.1:{p} {m[2]};" for p in ports),
                    rendered)


def wait_for(url: str, what: str, timeout: float = 20) -> None:
    try:
        answering(url, timeout)
    except TimeoutError as error:
        sys.exit(f"{what} did not answer: {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", default="hostinfo-peers", help="prefix of the nginx containers")
    parser.add_argument("--replicas", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of each")
    parser.add_argument("--steady-seconds", type=int, default=8, help="seconds per oha run")
    args = parser.parse_args()
    if args.rounds < 1 or args.replicas < 1:
        parser.error("--rounds and --replicas must be at least 1")

    load = load_average()
    images = image_settings()
    lb_image = f"{images['lb']['name']}:{images['lb']['tag']}"
    just(dict(os.environ), "image")
    workdir = tempfile.mkdtemp(prefix="bench-peers-")
    binary = copy_binary(f"{images['app']['name']}:{images['app']['tag']}",
                         images["app"]["binary"], workdir)
    with open(os.path.join(workdir, "app.py"), "w") as app:
        app.write(FLASK_APP)

    processes: dict[str, list[subprocess.Popen]] = {}
    urls, containers = {}, []
    try:
        for peer in PEERS:
            ports = [free_port() for _ in range(args.replicas)]
            argv_env = [command(peer, port, binary) for port in ports]
            processes[peer] = [subprocess.Popen(argv, cwd=workdir, env={**os.environ, **env},
                                                start_new_session=True, stdout=subprocess.DEVNULL,
                                                stderr=subprocess.DEVNULL)
                               for argv, env in argv_env]
            for port in ports:
                wait_for(f"http://127.0.0.1:{port}/info", peer)
            listen = free_port()
            conf = os.path.join(workdir, f"nginx-{listen}.conf")
            with open(conf, "w") as out:
                out.write(nginx_conf(listen, ports))
            name = f"{args.project}-{PEERS.index(peer)}"
            containers.append(name)
            docker("run", "-d", "--name", name, "--network", "host", "--read-only",
                   "--tmpfs", "/tmp", "--cap-drop", "ALL", "-v",
                   f"{conf}:{images['lb']['config']}:ro", lb_image)
            urls[peer] = f"http://127.0.0.1:{listen}/info"
            wait_for(urls[peer], f"nginx in front of {peer}")

        def cpu_parts(peer: str, container: str) -> dict:
            def backends() -> float:
                group = [str(p) for proc in processes[peer] for p in session_pids(proc.pid)]
                return process_cpu(group)
            return {"nginx": lambda: container_cpu(docker("inspect", "-f", "{{.Id}}", container).strip()),
                    "backends": backends, "wrk, oha": children_cpu,
                    # nginx's access log goes through Docker's log driver.
                    "dockerd, containerd": lambda: process_cpu(
                        pids("dockerd") + pids("containerd") + pids("containerd-shim-runc-v2"))}

        meters = {peer: CpuMeter(cpu_parts(peer, name)) for peer, name in zip(PEERS, containers)}
        saturated = {peer: [] for peer in PEERS}
        # nginx answering alone: the most any stack behind it can reach here.
        ceiling = []
        for _ in range(args.rounds):
            ceiling.append(wrk(urls["hostinfo"].replace("/info", "/_bench/ceiling"), 2,
                               args.connections, args.duration))
            for peer in PEERS:
                saturated[peer].append(meters[peer].measure("saturation", lambda: wrk(
                    urls[peer], 2, args.connections, args.duration)))
        slowest = min(median_run(runs)["rps"] for runs in saturated.values())
        rate = max(round(slowest / 2), 1)
        steady = {peer: [] for peer in PEERS}
        for _ in range(args.rounds):
            for peer in PEERS:
                steady[peer].append(meters[peer].measure(f"{rate} req/s", lambda: oha(
                    urls[peer], rate, args.steady_seconds, args.connections)))
    finally:
        for name in containers:
            subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
        for proc in (p for group in processes.values() for p in group):
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in (p for group in processes.values() for p in group):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        shutil.rmtree(workdir)

    hostinfo_rps = [run["rps"] for run in saturated["hostinfo"]]
    gunicorn_rps = [run["rps"] for run in saturated["gunicorn, 1 worker"]]
    results = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "load_average_at_start": load,
        "replicas": args.replicas, "connections": args.connections, "rate": rate,
        "ceiling": median_run(ceiling),
        "saturation": {peer: median_run(runs) for peer, runs in saturated.items()},
        "steady": {peer: median_run(runs, "p99_ms") for peer, runs in steady.items()},
        "cpu_us_per_request": {peer: meter.per_request_us() for peer, meter in meters.items()},
        "hostinfo / gunicorn throughput, per round": spread(
            [h / g for h, g in zip(hostinfo_rps, gunicorn_rps)]),
    }
    print(table := markdown(results, args), end="")
    write_results("bench-peers", results, table)


def session_pids(leader: int) -> list[int]:
    """The processes of a session: gunicorn's worker is its master's child."""
    found = subprocess.run(["pgrep", "-s", str(leader)], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def markdown(results: dict, args: argparse.Namespace) -> str:
    ratio = results["hostinfo / gunicorn throughput, per round"]
    lines = [f"{args.replicas} host processes of each behind the same nginx.conf; load average "
             f"at start {' '.join(map(str, results['load_average_at_start']))}; median of "
             f"{args.rounds} interleaved rounds", "",
             f"| stack | saturation req/s (wrk -c{args.connections} -d{args.duration}s) | every round "
             f"| p99 ms at saturation | p50 ms at {results['rate']} req/s | p99 ms | p99.9 ms "
             f"| errors | CPU µs/request at {results['rate']} req/s (nginx + backends) |",
             "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    cpu_parts = list(results["cpu_us_per_request"]["hostinfo"]["saturation"])
    for peer in PEERS:
        sat, steady = results["saturation"][peer], results["steady"][peer]
        cpu = results["cpu_us_per_request"][peer][f"{results['rate']} req/s"]
        lines.append(
            f"| {args.replicas} × {peer} | {sat['rps']:.0f} | {' '.join(map(str, sat['rps_all']))} "
            f"| {sat['p99_ms']:.1f} | {steady['p50_ms']:.2f} | {steady['p99_ms']:.2f} "
            f"| {steady['p99.9_ms']:.2f} | {sat['errors_all'] + steady['errors_all']} "
            f"| {cpu['nginx']:.0f} + {cpu['backends']:.0f} |")
    ceiling = results["ceiling"]
    lines += ["", f"nginx answering alone (the ceiling, `/_bench/ceiling`): {ceiling['rps']:.0f} req/s "
              f"({' '.join(map(str, ceiling['rps_all']))}), p99 {ceiling['p99_ms']:.1f} ms"]
    lines += ["", f"hostinfo / gunicorn throughput, per round: median {ratio['median']:.1f}, "
              f"{ratio['min']:.1f} – {ratio['max']:.1f} (goal >= 15)"]
    lines += ["", "CPU time per request (µs) at saturation, by where it was spent:", "",
              "| stack | " + " | ".join(cpu_parts) + " |", "| --- |" + " ---: |" * len(cpu_parts)]
    for peer in PEERS:
        spent = results["cpu_us_per_request"][peer]["saturation"]
        lines.append(f"| {peer} | " + " | ".join(f"{spent[p]:.0f}" for p in cpu_parts) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
