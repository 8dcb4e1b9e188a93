#!/usr/bin/env python3
"""Operate a running hostinfo stack: the logic behind `just up`, `ps`, `smoke`.

Standard library only, so it runs wherever docker and python3 do. The
end-to-end tests import it too, so the recipes and the tests share one way of
finding replicas, waiting for them and counting who answered.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

APP_SERVICE = "app"
LB_SERVICE = "lb"


def fail(message: str) -> "NoReturn":  # noqa: F821
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def compose_command() -> list[str]:
    """`docker compose` where the plugin exists, else `docker-compose`."""
    plugin = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, check=False
    )
    if plugin.returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    fail("neither `docker compose` nor `docker-compose` is installed "
         "(apt-get install docker-compose)")


def docker(*args: str) -> str:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=True
    ).stdout


ROOT = pathlib.Path(__file__).resolve().parents[1]


def docker_inspect(container_id: str) -> dict:
    (found,) = json.loads(docker("inspect", container_id))
    return found


def containers(project: str, service: str, *, running_only: bool = True) -> list[dict]:
    """`docker inspect` of the project's containers of one service."""
    filters = [
        "--filter", f"label=com.docker.compose.project={project}",
        "--filter", f"label=com.docker.compose.service={service}",
    ]
    ids = docker("ps", *([] if running_only else ["--all"]), "--quiet", *filters).split()
    if not ids:
        return []
    found = json.loads(docker("inspect", *ids))
    return sorted(found, key=lambda c: c["Name"])


def health(container: dict) -> str:
    state = container["State"]
    return state.get("Health", {}).get("Status", state["Status"])


def address(container: dict) -> str:
    networks = container["NetworkSettings"]["Networks"].values()
    return ", ".join(n["IPAddress"] for n in networks if n["IPAddress"])


def get(url: str, timeout: float = 2.0) -> tuple[int, bytes, dict]:
    """One GET: (status, body, headers); status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)
    except (urllib.error.URLError, OSError):
        return 0, b"", {}


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def preflight(project: str, port: int) -> None:
    """Say, in one line, what is missing before anything starts."""
    if shutil.which("docker") is None:
        fail("docker is not installed (https://docs.docker.com/engine/install/)")
    if subprocess.run(["docker", "info"], capture_output=True, check=False).returncode:
        fail("the Docker daemon is not running or not reachable (try: systemctl start docker)")
    compose_command()
    if shutil.which("nix-instantiate") is None:
        fail("nix-instantiate is missing: it renders the stack "
             "(install Nix, or on Debian: apt-get install nix-bin)")
    if port_in_use(port) and not containers(project, LB_SERVICE):
        fail(f"port {port} is taken by something other than this stack "
             f"(free it, or choose another: HOSTINFO_PORT=8001 just up)")


def wait_ready(project: str, port: int, replicas: int, timeout: float) -> list[dict]:
    """Until `replicas` replicas are healthy and nginx answers /info."""
    deadline = time.monotonic() + timeout
    while True:
        apps = containers(project, APP_SERVICE)
        healthy = [c for c in apps if health(c) == "healthy"]
        status, _, _ = get(f"http://127.0.0.1:{port}/info")
        if len(healthy) == replicas == len(apps) and status == 200:
            return apps
        if time.monotonic() > deadline:
            states = ", ".join(f"{c['Name'][1:]}={health(c)}" for c in apps) or "none"
            fail(f"stack {project} not ready after {timeout:.0f}s: "
                 f"{len(healthy)}/{replicas} replicas healthy ({states}), "
                 f"nginx on port {port} answered {status or 'nothing'}")
        time.sleep(0.25)


def print_table(project: str) -> None:
    rows = [("SERVICE", "CONTAINER", "HOSTNAME", "STATE", "ADDRESS")]
    for service in (LB_SERVICE, APP_SERVICE):
        for c in containers(project, service, running_only=False):
            rows.append((service, c["Name"][1:], c["Config"]["Hostname"], health(c), address(c)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def served_by(port: int, count: int) -> tuple[collections.Counter, collections.Counter]:
    """Send `count` GET /info through nginx: (hostnames that answered, statuses)."""
    hostnames: collections.Counter = collections.Counter()
    statuses: collections.Counter = collections.Counter()
    for _ in range(count):
        status, body, _ = get(f"http://127.0.0.1:{port}/info")
        statuses[status] += 1
        if status == 200:
            hostnames[json.loads(body)["hostname"]] += 1
    return hostnames, statuses


def purge(project: str) -> None:
    """Remove whatever of the project compose left behind (or never knew of)."""
    label = f"label=com.docker.compose.project={project}"
    leftovers = docker("ps", "--all", "--quiet", "--filter", label).split()
    if leftovers:
        docker("rm", "--force", "--volumes", *leftovers)
    networks = docker("network", "ls", "--quiet", "--filter", label).split()
    if networks:
        docker("network", "rm", *networks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", default=os.environ.get("HOSTINFO_PROJECT", "hostinfo"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("HOSTINFO_PORT", "8000")))
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("preflight", help="check docker, compose, nix-instantiate and the port")
    commands.add_parser("compose", help="print the compose command for this machine")
    wait = commands.add_parser("wait", help="wait until every replica is healthy and nginx answers")
    wait.add_argument("replicas", type=int)
    wait.add_argument("--timeout", type=float, default=60)
    commands.add_parser("ps", help="a table of the stack's containers")
    commands.add_parser("purge", help="remove every container and network of the project")
    smoke = commands.add_parser("smoke", help="send requests, count who served them")
    smoke.add_argument("count", type=int)
    args = parser.parse_args()

    if args.command == "preflight":
        preflight(args.project, args.port)
    elif args.command == "compose":
        print(" ".join(compose_command()))
    elif args.command == "wait":
        wait_ready(args.project, args.port, args.replicas, args.timeout)
        print(f"hostinfo is up: http://127.0.0.1:{args.port}/info")
        print_table(args.project)
    elif args.command == "purge":
        purge(args.project)
    elif args.command == "ps":
        print_table(args.project)
    elif args.command == "smoke":
        hostnames, statuses = served_by(args.port, args.count)
        for hostname, served in sorted(hostnames.items()):
            print(f"{hostname}  {served}")
        failed = args.count - statuses[200]
        print(f"{args.count} requests, {len(hostnames)} replicas answered, {failed} failed")
        if failed:
            sys.exit(1)


if __name__ == "__main__":
    main()
