#!/usr/bin/env python3
"""Benchmark hostinfo against its peers: Go's net/http, nginx-hello and the tutorial's Flask app.

Two parts, in one run, each of interleaved rounds (median and spread):

1. Each server alone, one at a time under load, on the machine's cores with
   the same wrk and oha: hostinfo (the binary out of the service image `just
   image` built, with the image's environment), Go's net/http (whoami's core,
   standard library only, Debian's golang-go, built static as whoami builds it,
   run as whoami ships: one process, default GOMAXPROCS) and nginx-hello (the
   stack's own nginx image answering from a `return 200` template, as
   NGINX-Demos does). Saturation req/s on each one's own /info, and on /health,
   where every peer answers the same 15 bytes: the framework apart from the
   facts. Then p50/p99 at a constant rate all sustain (oha, latency-corrected),
   RSS idle and after load, CPU µs per request, `docker run` to first 200 and
   the compressed image.
2. Behind the same nginx (the stack's nginx.conf, rendered from the stack
   declaration, only the upstream's `server` lines differ), 5 replicas of each
   of the three and of the Flask app (gunicorn, 1 sync worker; Flask's
   development server): saturation req/s, then p99 at a constant rate.

Everything it starts is stopped at the end; results go to results/ as
Markdown, JSON and an SVG bar chart.
"""
from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from bench_image import copy_binary, image_sizes
from benchlib import (CpuMeter, children_cpu, container_cpu, image_settings, just, load_average,
                      median_run, oha, process_cpu, rss_kib, spread, wrk, write_results)
from stacktool import ROOT
from stacktool.docker import docker, docker_inspect
from stacktool.http import wait_for as answering
from stacktool.nix import evaluated
from stacktool.ports import free_port
from svgplot import bar_panels

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

# whoami's core (traefik/whoami's handler, less its extra routes): per
# request, the host's name and the address the request reached, as JSON.
# Standard library only.
GO_APP = '''\
package main

import (
	"encoding/json"
	"log"
	"net"
	"net/http"
	"os"
)

type info struct {
	Hostname string `json:"hostname"`
	IP       string `json:"ip"`
}

func main() {
	http.HandleFunc("/info", func(w http.ResponseWriter, r *http.Request) {
		hostname, _ := os.Hostname()
		local := r.Context().Value(http.LocalAddrContextKey).(net.Addr).String()
		ip, _, _ := net.SplitHostPort(local)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(info{hostname, ip})
	})
	http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	})
	log.Fatal(http.ListenAndServe(os.Args[1], nil))
}
'''
# As whoami's Dockerfile: the static binary alone, FROM scratch.
GO_DOCKERFILE = '''\
FROM scratch
COPY whoami /whoami
USER 65534:65534
ENTRYPOINT ["/whoami"]
'''
GO_IMAGE = "hostinfo-peer-go:bench"

# NGINX-Demos' nginx-hello: `return 200` from a template of $hostname and
# $server_addr, `expires -1`, worker_processes auto (the official image's
# nginx.conf). Its access log is off here, as hostinfo's is in this bench
# (RUST_LOG=warn), so neither pays for logging. The temp paths and pid are
# on /tmp: the stack's nginx image runs as nobody on a read-only root fs.
NGINX_HELLO = '''\
worker_processes auto;
pid /tmp/nginx.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path /tmp/client_body;
    proxy_temp_path /tmp/proxy;
    fastcgi_temp_path /tmp/fastcgi;
    uwsgi_temp_path /tmp/uwsgi;
    scgi_temp_path /tmp/scgi;
    access_log off;
    server {{
        listen {listen};
        location = /info {{
            default_type application/json;
            expires -1;
            return 200 '{{"hostname":"$hostname","ip":"$server_addr"}}\\n';
        }}
        location = /health {{
            default_type application/json;
            return 200 '{{"status":"ok"}}';
        }}
    }}
}}
'''

ALONE = ("hostinfo", "Go net/http", "nginx-hello")
BEHIND = (*ALONE, "gunicorn, 1 worker", "Flask dev server")
FLASK = BEHIND[3:]
PATHS = ("/info", "/health")


class Server:
    """One server answering on 127.0.0.1:`port`: a host process (its whole
    session: gunicorn's worker is its master's child) or a container on the
    host's network. Same questions of each: its processes, CPU and RSS."""

    def __init__(self, peer: str, port: int, build: dict):
        self.peer, self.port, self.container, self.process = peer, port, None, None
        if peer == "nginx-hello":
            conf = os.path.join(build["workdir"], f"hello-{port}.conf")
            with open(conf, "w") as out:
                out.write(NGINX_HELLO.format(listen=f"127.0.0.1:{port}"))
            self.container = docker("run", "-d", "--network", "host", "--read-only", "--tmpfs",
                                    "/tmp", "--cap-drop", "ALL", "-v",
                                    f"{conf}:{build['lb']['config']}:ro", build["lb_image"]).strip()
        else:
            argv, env = command(peer, port, build)
            self.process = subprocess.Popen(argv, cwd=build["workdir"], env={**os.environ, **env},
                                            start_new_session=True, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{port}"
        wait_for(f"{self.url}/info", peer)

    def pids(self) -> list[str]:
        if self.container:
            return container_pids(self.container)
        found = subprocess.run(["pgrep", "-s", str(self.process.pid)], capture_output=True, text=True)
        return found.stdout.split()

    def cpu(self) -> float:
        return container_cpu(self.container) if self.container else process_cpu(self.pids())

    def rss_kib(self) -> int:
        total = 0
        for pid in self.pids():
            try:
                total += rss_kib(int(pid))
            except (OSError, RuntimeError):
                pass  # gone meanwhile
        return total

    def stop(self) -> None:
        if self.container:
            subprocess.run(["docker", "rm", "-f", self.container], capture_output=True, check=False)
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def command(peer: str, port: int, build: dict) -> tuple[list[str], dict]:
    listen = f"127.0.0.1:{port}"
    if peer == "hostinfo":
        # The image's environment (MIMALLOC_ARENA_EAGER_COMMIT among it), no access log.
        return [build["hostinfo"]], {**build["app"]["env"], "HOSTINFO_LISTEN": listen,
                                     "RUST_LOG": "warn"}
    if peer == "Go net/http":
        return [build["go"], listen], {}
    if peer == "gunicorn, 1 worker":
        return [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", listen,
                "--log-level", "warning", "app:app"], {}
    return [sys.executable, "app.py", str(port)], {}


def container_pids(container_id: str) -> list[str]:
    for procs in (f"/sys/fs/cgroup/memory/docker/{container_id}/cgroup.procs",
                  f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/cgroup.procs"):
        if os.path.exists(procs):
            with open(procs) as lines:
                return lines.read().split()
    return docker("top", container_id, "-o", "pid").split()[1:]


def build_go(workdir: str) -> str:
    """The Go peer, built as whoami builds it (CGO_ENABLED=0, -ldflags "-s -w"),
    from the standard library alone: GOPATH mode, no proxy, no toolchain download."""
    if not shutil.which("go"):
        sys.exit("go is missing: apt-get install golang-go")
    with open(os.path.join(workdir, "whoami.go"), "w") as source:
        source.write(GO_APP)
    env = {**os.environ, "CGO_ENABLED": "0", "GO111MODULE": "off", "GOPROXY": "off",
           "GOTOOLCHAIN": "local", "GOFLAGS": "-trimpath"}
    built = subprocess.run(["go", "build", "-ldflags", "-s -w", "-o", "whoami", "whoami.go"],
                           cwd=workdir, env=env, capture_output=True, text=True)
    if built.returncode:
        sys.exit(f"go build of the Go peer failed:\n{built.stderr}")
    with open(os.path.join(workdir, "Dockerfile"), "w") as dockerfile:
        dockerfile.write(GO_DOCKERFILE)
    context = os.path.join(workdir, "go-image")
    os.mkdir(context)
    shutil.copy(os.path.join(workdir, "whoami"), context)
    shutil.copy(os.path.join(workdir, "Dockerfile"), context)
    subprocess.run(["docker", "build", "-q", "-t", GO_IMAGE, context], capture_output=True,
                   check=True)
    return os.path.join(workdir, "whoami")


def nginx_conf(listen: int, ports: list[int]) -> str:
    """The stack's nginx.conf, each `server … resolve` line (the replicas, and
    the same as the panic backup) replaced by one static line per replica,
    with the same parameters."""
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


def start_to_200(peer: str, build: dict) -> dict:
    """`docker run` issued → first 200 on /health, and the container's own
    start → that 200: each peer's image, on the host's network."""
    port = free_port()
    if peer == "nginx-hello":
        conf = os.path.join(build["workdir"], f"hello-{port}.conf")
        with open(conf, "w") as out:
            out.write(NGINX_HELLO.format(listen=f"127.0.0.1:{port}"))
        image, extra = build["lb_image"], ["-v", f"{conf}:{build['lb']['config']}:ro"]
    elif peer == "hostinfo":
        image, extra = build["app_image"], ["-e", f"HOSTINFO_LISTEN=127.0.0.1:{port}"]
    else:
        image, extra, port_arg = GO_IMAGE, [], f"127.0.0.1:{port}"
    argv = ["docker", "run", "-d", "--network", "host", "--read-only", "--tmpfs", "/tmp",
            "--cap-drop", "ALL", *extra, image]
    if peer == "Go net/http":
        argv.append(port_arg)
    issued = time.time()
    container = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()
    try:
        answering(f"http://127.0.0.1:{port}/health", 10, interval=0.001)
        answered = time.time()
        started = docker_inspect(container)["State"]["StartedAt"]
        started_at = datetime.datetime.fromisoformat(started[:26].rstrip("Z") + "+00:00")
        return {"docker_run_ms": round((answered - issued) * 1000, 1),
                "process_start_ms": round((answered - started_at.timestamp()) * 1000, 1)}
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False)


def alone(build: dict, args: argparse.Namespace) -> dict:
    servers = {peer: Server(peer, free_port(), build) for peer in ALONE}
    try:
        time.sleep(1)
        idle = {peer: server.rss_kib() for peer, server in servers.items()}
        meters = {peer: CpuMeter({"server": server.cpu, "wrk, oha": children_cpu})
                  for peer, server in servers.items()}
        saturated = {peer: {path: [] for path in PATHS} for peer in ALONE}
        for _ in range(args.rounds):
            for path in PATHS:
                for peer, server in servers.items():
                    saturated[peer][path].append(meters[peer].measure(f"saturation {path}", lambda: wrk(
                        server.url + path, 2, args.connections, args.duration)))
        after = {peer: server.rss_kib() for peer, server in servers.items()}
        rate = max(round(min(median_run(saturated[peer]["/info"])["rps"] for peer in ALONE) / 2), 1)
        steady = {peer: [] for peer in ALONE}
        for _ in range(args.rounds):
            for peer, server in servers.items():
                steady[peer].append(meters[peer].measure("steady", lambda: oha(
                    server.url + "/info", rate, args.steady_seconds, args.connections)))
        after_steady = {peer: server.rss_kib() for peer, server in servers.items()}
        bodies = {peer: {path: len(subprocess.run(["curl", "-s", server.url + path],
                                                  capture_output=True, check=True).stdout)
                         for path in PATHS} for peer, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()
    starts = {peer: [] for peer in ALONE}
    for _ in range(args.rounds):
        for peer in ALONE:
            starts[peer].append(start_to_200(peer, build))
    return {
        "rate": rate,
        "body_bytes": bodies,
        "saturation": {peer: {path: median_run(runs) for path, runs in paths.items()}
                       for peer, paths in saturated.items()},
        "steady": {peer: median_run(runs, "p99_ms") for peer, runs in steady.items()},
        "rss_kib": {peer: {"idle": idle[peer], "after_saturation": after[peer],
                           "after_steady": after_steady[peer]} for peer in ALONE},
        "cpu_us_per_request": {peer: meter.per_request_us() for peer, meter in meters.items()},
        "start_to_200_ms": {peer: {"docker_run": spread([s["docker_run_ms"] for s in runs]),
                                   "process_start": spread([s["process_start_ms"] for s in runs])}
                            for peer, runs in starts.items()},
        "image_gzip_bytes": {"hostinfo": image_sizes(build["app_image"])["gzip_bytes"],
                             "Go net/http": image_sizes(GO_IMAGE)["gzip_bytes"],
                             "nginx-hello": image_sizes(build["lb_image"])["gzip_bytes"]},
    }


def behind(build: dict, args: argparse.Namespace) -> dict:
    replicas: dict[str, list[Server]] = {}
    urls, containers = {}, []
    try:
        for n, peer in enumerate(BEHIND):
            replicas[peer] = [Server(peer, free_port(), build) for _ in range(args.replicas)]
            listen = free_port()
            conf = os.path.join(build["workdir"], f"nginx-{listen}.conf")
            with open(conf, "w") as out:
                out.write(nginx_conf(listen, [server.port for server in replicas[peer]]))
            name = f"{args.project}-{n}"
            containers.append(name)
            docker("run", "-d", "--name", name, "--network", "host", "--read-only",
                   "--tmpfs", "/tmp", "--cap-drop", "ALL", "-v",
                   f"{conf}:{build['lb']['config']}:ro", build["lb_image"])
            urls[peer] = f"http://127.0.0.1:{listen}/info"
            wait_for(urls[peer], f"nginx in front of {peer}")

        def parts(peer: str, container: str) -> dict:
            lb = docker("inspect", "-f", "{{.Id}}", container).strip()
            return {"nginx": lambda: container_cpu(lb),
                    "replicas": lambda: sum(server.cpu() for server in replicas[peer]),
                    "wrk, oha": children_cpu}

        meters = {peer: CpuMeter(parts(peer, name)) for peer, name in zip(BEHIND, containers)}
        saturated = {peer: [] for peer in BEHIND}
        # nginx answering alone: the most any stack behind it can reach here.
        ceiling = []
        for _ in range(args.rounds):
            ceiling.append(wrk(urls["hostinfo"].replace("/info", "/_bench/ceiling"), 2,
                               args.connections, args.duration))
            for peer in BEHIND:
                saturated[peer].append(meters[peer].measure("saturation", lambda: wrk(
                    urls[peer], 2, args.connections, args.duration)))
        # Two constant rates, half the slowest saturation of each group: the
        # one the Flask stacks sustain would leave the others idle.
        rates = {}
        for group in (ALONE, FLASK):
            rate = max(round(min(median_run(saturated[p])["rps"] for p in group) / 2), 1)
            rates.update(dict.fromkeys(group, rate))
        steady = {peer: [] for peer in BEHIND}
        for _ in range(args.rounds):
            for peer in BEHIND:
                steady[peer].append(meters[peer].measure("steady", lambda: oha(
                    urls[peer], rates[peer], args.steady_seconds, args.connections)))
    finally:
        for name in containers:
            subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
        for server in (s for group in replicas.values() for s in group):
            server.stop()
    return {
        "replicas": args.replicas, "rates": rates,
        "ceiling": median_run(ceiling),
        "saturation": {peer: median_run(runs) for peer, runs in saturated.items()},
        "steady": {peer: median_run(runs, "p99_ms") for peer, runs in steady.items()},
        "cpu_us_per_request": {peer: meter.per_request_us() for peer, meter in meters.items()},
    }


def per_round(runs_a: list[dict], runs_b: list[dict]) -> dict:
    return spread([a["rps"] / b["rps"] for a, b in zip(runs_a, runs_b)])


def goals(results: dict) -> dict:
    sat = results["alone"]["saturation"]
    rounds = lambda peer, path: sat[peer][path]["rounds"]  # noqa: E731
    ratios = {f"hostinfo / {peer} req/s, {path}": per_round(rounds("hostinfo", path),
                                                              rounds(peer, path))
              for path in PATHS for peer in ALONE[1:]}
    rss = results["alone"]["rss_kib"]
    behind_sat = results["behind_nginx"]["saturation"]
    best = max(ALONE[1:], key=lambda peer: behind_sat[peer]["rps"])
    best_all = behind_sat[best]["rps_all"]
    hostinfo_all = behind_sat["hostinfo"]["rps_all"]
    return {
        "ratios": ratios,
        "alone: hostinfo >= 1.3 x Go net/http (/info)":
            ratios["hostinfo / Go net/http req/s, /info"]["median"] >= 1.3,
        "alone: hostinfo >= 0.75 x nginx-hello (/info)":
            ratios["hostinfo / nginx-hello req/s, /info"]["median"] >= 0.75,
        "memory: hostinfo RSS after load < Go's / 4":
            rss["hostinfo"]["after_saturation"] * 4 < rss["Go net/http"]["after_saturation"],
        # Within the spread: hostinfo's rounds reach the best peer's slowest round.
        f"behind nginx: hostinfo equal to the best peer ({best}) within the spread":
            max(hostinfo_all) >= min(best_all),
    }


def markdown(results: dict, args: argparse.Namespace) -> str:
    a, b = results["alone"], results["behind_nginx"]
    fmt_rounds = lambda runs: " ".join(f"{r / 1000:.1f}k" for r in runs)  # noqa: E731
    lines = [f"Load average at start {' '.join(map(str, results['load_average_at_start']))} "
             f"(2 cores shared with other work); median of {args.rounds} interleaved rounds, "
             f"wrk -t2 -c{args.connections} -d{args.duration}s, oha -c{args.connections} "
             f"{args.steady_seconds}s latency-corrected.", "",
             "**Alone** (one server under load at a time):", "",
             "| server | /info body | /info req/s | rounds | /health req/s (15 B) | rounds "
             f"| p50 ms at {a['rate']}/s | p99 ms | CPU µs/req (/info) | RSS idle | RSS after load "
             "| docker run → 200 ms | image gzip |",
             "| --- | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for peer in ALONE:
        info, health = a["saturation"][peer]["/info"], a["saturation"][peer]["/health"]
        steady, rss = a["steady"][peer], a["rss_kib"][peer]
        cpu = a["cpu_us_per_request"][peer]["saturation /info"]["server"]
        lines.append(
            f"| {peer} | {a['body_bytes'][peer]['/info']} B | {info['rps']:.0f} "
            f"| {fmt_rounds(info['rps_all'])} | {health['rps']:.0f} | {fmt_rounds(health['rps_all'])} "
            f"| {steady['p50_ms']:.2f} | {steady['p99_ms']:.2f} | {cpu:.1f} "
            f"| {rss['idle'] / 1024:.1f} MiB | {rss['after_saturation'] / 1024:.1f} MiB "
            f"| {a['start_to_200_ms'][peer]['docker_run']['median']:.0f} "
            f"| {a['image_gzip_bytes'][peer] / 1e6:.2f} MB |")
    lines += ["", f"**Behind the same nginx**, {b['replicas']} replicas of each:", "",
              "| stack | req/s | rounds | rate | p50 ms | p99 ms | errors "
              "| CPU µs/req at saturation (nginx + replicas) |",
              "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for peer in BEHIND:
        sat, steady = b["saturation"][peer], b["steady"][peer]
        cpu = b["cpu_us_per_request"][peer]["saturation"]
        lines.append(f"| {peer} | {sat['rps']:.0f} | {fmt_rounds(sat['rps_all'])} "
                     f"| {b['rates'][peer]} | {steady['p50_ms']:.2f} | {steady['p99_ms']:.2f} "
                     f"| {sat['errors_all'] + steady['errors_all']} "
                     f"| {cpu['nginx']:.0f} + {cpu['replicas']:.0f} |")
    c = b["ceiling"]
    lines += ["", f"nginx answering alone (`/_bench/ceiling`): {c['rps']:.0f} req/s "
              f"({fmt_rounds(c['rps_all'])})", "", "**Goals**:", ""]
    for name, ratio in results["goals"]["ratios"].items():
        lines.append(f"- {name}, per round: median {ratio['median']:.2f}, "
                     f"{ratio['min']:.2f} – {ratio['max']:.2f}")
    for name, met in results["goals"].items():
        if name != "ratios":
            lines.append(f"- {name}: {'met' if met else 'missed'}")
    return "\n".join(lines) + "\n"


def picture(results: dict) -> str:
    a, b = results["alone"], results["behind_nginx"]
    bars = lambda runs, scale=1: (statistics.median(runs) / scale,  # noqa: E731
                                  min(runs) / scale, max(runs) / scale)
    return bar_panels([
        {"title": "Alone: saturation", "y_label": "thousand req/s",
         "groups": {path: {peer: bars(a["saturation"][peer][path]["rps_all"], 1000)
                           for peer in ALONE} for path in PATHS}},
        {"title": "Alone: memory", "y_label": "RSS, MiB",
         "groups": {when: {peer: (a["rss_kib"][peer][key] / 1024,) * 3 for peer in ALONE}
                    for when, key in (("idle", "idle"), ("after load", "after_saturation"))}},
        {"title": "Behind nginx, 5 replicas", "y_label": "thousand req/s",
         "groups": {"/info": {peer: bars(b["saturation"][peer]["rps_all"], 1000)
                              for peer in ALONE}}},
    ], caption=f"median of {len(a['saturation']['hostinfo']['/info']['rps_all'])} interleaved "
               f"rounds, whiskers min–max; {results['when']}, 2 shared cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", default="hostinfo-peers", help="prefix of the nginx containers")
    parser.add_argument("--replicas", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of each")
    parser.add_argument("--steady-seconds", type=int, default=6, help="seconds per oha run")
    parser.add_argument("--no-build", action="store_true",
                        help="take the images already loaded, as `just image` left them")
    args = parser.parse_args()
    if args.rounds < 1 or args.replicas < 1:
        parser.error("--rounds and --replicas must be at least 1")

    load = load_average()
    images = image_settings()
    if not args.no_build:
        just(dict(os.environ), "image")
    workdir = tempfile.mkdtemp(prefix="bench-peers-")
    try:
        build = {"workdir": workdir, "app": images["app"], "lb": images["lb"],
                 "app_image": f"{images['app']['name']}:{images['app']['tag']}",
                 "lb_image": f"{images['lb']['name']}:{images['lb']['tag']}"}
        build["hostinfo"] = copy_binary(build["app_image"], images["app"]["binary"], workdir)
        build["go"] = build_go(workdir)
        with open(os.path.join(workdir, "app.py"), "w") as app:
            app.write(FLASK_APP)
        results = {
            "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "load_average_at_start": load, "connections": args.connections,
            "alone": alone(build, args),
            "behind_nginx": behind(build, args),
        }
    finally:
        shutil.rmtree(workdir)
        subprocess.run(["docker", "rmi", GO_IMAGE], capture_output=True, check=False)
    results["goals"] = goals(results)
    print(table := markdown(results, args), end="")
    stamp = write_results("bench-peers", results, table)
    (ROOT / "results" / f"bench-peers-{stamp}.svg").write_text(picture(results))
    print(f"written: results/bench-peers-{stamp}.svg", file=sys.stderr)


if __name__ == "__main__":
    main()
