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
import tomllib
import urllib.error
import urllib.request
from typing import NoReturn

ROOT = pathlib.Path(__file__).resolve().parents[1]
# The service names and what `just` defaults to, from their one home, which
# the Nix declaration reads too.
NAMES = tomllib.loads((ROOT / "nix" / "names.toml").read_text())
APP_SERVICE = NAMES["services"]["app"]
LB_SERVICE = NAMES["services"]["lb"]


def fail(message: str) -> NoReturn:
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



def docker_inspect(container_id: str) -> dict:
    (found,) = json.loads(docker("inspect", container_id))
    return found


def inspect_found(filters: list[str], running_only: bool) -> list[dict]:
    """`docker inspect` of the containers `docker ps` finds with `filters`, by name."""
    ids = docker("ps", *([] if running_only else ["--all"]), "--quiet", *filters).split()
    if not ids:
        return []
    found = json.loads(docker("inspect", *ids))
    return sorted(found, key=lambda c: c["Name"])


def containers(project: str, service: str, *, running_only: bool = True) -> list[dict]:
    """`docker inspect` of the project's containers of one service."""
    filters = [
        "--filter", f"label=com.docker.compose.project={project}",
        "--filter", f"label=com.docker.compose.service={service}",
    ]
    return inspect_found(filters, running_only)


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


def free_port(address: str = "127.0.0.1") -> int:
    """A port nothing listens on now, for a stack, a test or a benchmark of its own."""
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def docker_preflight() -> None:
    if shutil.which("docker") is None:
        fail("docker is not installed (https://docs.docker.com/engine/install/)")
    if subprocess.run(["docker", "info"], capture_output=True, check=False).returncode:
        fail("the Docker daemon is not running or not reachable (try: systemctl start docker)")


def nix_preflight() -> None:
    if shutil.which("nix-instantiate") is None:
        fail("nix-instantiate is missing: it renders the stack "
             "(install Nix, or on Debian: apt-get install nix-bin)")


def preflight(project: str, port: int) -> None:
    """Say, in one line, what is missing before anything starts."""
    docker_preflight()
    compose_command()
    nix_preflight()
    if port_in_use(port) and not containers(project, LB_SERVICE):
        fail(f"port {port} is taken by something other than this stack "
             f"(free it, or choose another: HOSTINFO_PORT=8001 just up)")


def wait_ready(project: str, port: int, replicas: int, timeout: float,
               find=containers) -> list[dict]:
    """Until `replicas` replicas are healthy and nginx answers /info."""
    deadline = time.monotonic() + timeout
    while True:
        apps = find(project, APP_SERVICE)
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


def print_table(project: str, find=containers) -> None:
    rows = [("SERVICE", "CONTAINER", "HOSTNAME", "STATE", "ADDRESS")]
    for service in (LB_SERVICE, APP_SERVICE):
        for c in find(project, service, running_only=False):
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


# Docker Swarm: `just swarm-up` / `swarm-down`. The stack name plays the
# compose project's part; the engine is left in or out of a swarm as found.

STACK_LABEL = "com.docker.stack.namespace"
# A node label saying this engine's swarm was created by `swarm-up`, so that
# `swarm-down` leaves only a swarm it made. It lives in the swarm itself, so
# every checkout sees it, and it is gone with the swarm.
INITIALIZED_LABEL = "org.hostinfo.swarm.initialized"
# ...and that `swarm init` created docker_gwbridge, which leaving keeps.
GWBRIDGE_LABEL = "org.hostinfo.swarm.created-gwbridge"
GWBRIDGE = "docker_gwbridge"


def tasks(stack: str, service: str, *, running_only: bool = True) -> list[dict]:
    """`docker inspect` of the containers of a stack's service (its tasks)."""
    filters = ["--filter", f"label=com.docker.swarm.service.name={stack}_{service}"]
    return inspect_found(filters, running_only)


def swarm_state() -> tuple[str, bool]:
    """The engine's swarm state (inactive, active, ...) and whether it is a manager."""
    state, manager = docker(
        "info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}").split()
    return state, manager == "true"


def network_exists(name: str) -> bool:
    return name in docker("network", "ls", "--format", "{{.Name}}").split()


def swarm_preflight(stack: str, port: int) -> None:
    """Say, in one line, what is missing before a swarm stack is deployed."""
    docker_preflight()
    nix_preflight()
    state, manager = swarm_state()
    if state == "active" and not manager:
        fail("this engine is a swarm worker: deploy from a manager node")
    if state not in ("active", "inactive"):
        fail(f"the engine's swarm is {state}: settle it first (docker info)")
    if port_in_use(port) and not tasks(stack, LB_SERVICE):
        fail(f"port {port} is taken by something other than this stack "
             f"(free it, or choose another: HOSTINFO_PORT=8001 just swarm-up)")


def swarm_join() -> None:
    """A single-node swarm on loopback, unless the engine is in one already."""
    if swarm_state()[0] == "active":
        return
    had_gwbridge = network_exists(GWBRIDGE)
    result = subprocess.run(["docker", "swarm", "init", "--advertise-addr", "127.0.0.1"],
                            capture_output=True, text=True, check=False)
    if result.returncode:
        if swarm_state()[0] == "active":
            return  # someone else made it at the same moment: theirs to leave
        fail(f"docker swarm init failed: {result.stderr.strip()}")
    labels = [f"{INITIALIZED_LABEL}=true"] + ([] if had_gwbridge else [f"{GWBRIDGE_LABEL}=true"])
    node = docker("info", "--format", "{{.Swarm.NodeID}}").strip()
    docker("node", "update", *(arg for label in labels for arg in ("--label-add", label)), node)
    print("started a single-node swarm on 127.0.0.1 (`just swarm-down` leaves it)")


def stack_leftovers(stack: str) -> dict[str, list[str]]:
    """What of a stack the engine still holds, by kind."""
    label = ["--filter", f"label={STACK_LABEL}={stack}"]
    found = {"containers": docker("ps", "--all", "--quiet", *label).split()}
    if swarm_state()[0] == "active":
        found["services"] = docker("service", "ls", "--quiet", *label).split()
        found["configs"] = docker("config", "ls", "--quiet", *label).split()
    found["networks"] = docker("network", "ls", "--quiet", *label).split()
    return {kind: ids for kind, ids in found.items() if ids}


def meaningful(value):
    """A spec without its empty fields, which a newer client may add to the
    service's copy and not to the task's (or the other way round)."""
    if isinstance(value, dict):
        kept = {k: meaningful(v) for k, v in value.items() if k != "Runtime"}
        return {k: v for k, v in kept.items() if v not in (None, {}, [], False, "")}
    if isinstance(value, list):
        return [meaningful(v) for v in value]
    return value


# Where an update ends that is not the one asked for.
FAILED_UPDATES = ("paused", "rollback_started", "rollback_paused", "rollback_completed")


def swarm_pending(stack: str) -> str:
    """Why the stack's services have not yet converged on their spec ("" once they have)."""
    for name in (APP_SERVICE, LB_SERVICE):
        service = docker_inspect(f"{stack}_{name}")
        update = service.get("UpdateStatus") or {}
        if update.get("State") in FAILED_UPDATES:
            fail(f"the update of {stack}_{name} failed ({update['State']}): {update.get('Message', '')}")
        wanted = service["Spec"]["Mode"]["Replicated"]["Replicas"]
        ids = docker("service", "ps", "--quiet", "--filter", "desired-state=running",
                     f"{stack}_{name}").split()
        current = json.loads(docker("inspect", *ids)) if ids else []
        spec = meaningful(service["Spec"]["TaskTemplate"])
        ready = [t for t in current
                 if t["Status"]["State"] == "running" and meaningful(t["Spec"]) == spec]
        # Old tasks still stopping hold a container, and with it a DNS name.
        running = tasks(stack, name)
        if not len(ready) == len(current) == len(running) == wanted:
            return (f"{name}: {len(ready)}/{wanted} tasks running the current spec, "
                    f"{len(running)} containers")
    return ""


def swarm_wait(stack: str, port: int, replicas: int, timeout: float) -> None:
    """Until the stack runs its current spec, every replica healthy and nginx answering."""
    deadline = time.monotonic() + timeout
    while pending := swarm_pending(stack):
        if time.monotonic() > deadline:
            fail(f"stack {stack} not converged after {timeout:.0f}s: {pending}")
        time.sleep(0.5)
    apps = wait_ready(stack, port, replicas, max(deadline - time.monotonic(), 1), find=tasks)
    # nginx learns of a new task at its next DNS lookup (`valid=`), not at once.
    expected = {c["Config"]["Hostname"] for c in apps}
    while (seen := set(served_by(port, 10 * replicas)[0])) != expected:
        if time.monotonic() > deadline:
            fail(f"nginx on port {port} is served by {len(seen & expected)} of {replicas} "
                 f"tasks after {timeout:.0f}s")
        time.sleep(0.25)


def resolve_image(compose_file: pathlib.Path) -> str:
    """`docker stack deploy --resolve-image`'s value for a rendered stack:
    `always` where every image is named by digest (the `registry` option):
    the deploy looks each one up in the registry, and warns if it cannot;
    `never` for images loaded by hand, which no registry knows."""
    services = json.loads(compose_file.read_text())["services"].values()
    return "always" if all("@sha256:" in svc["image"] for svc in services) else "never"


def deploy_flags(compose_file: pathlib.Path) -> list[str]:
    """`docker stack deploy`'s flags for a rendered stack. From a registry,
    the client's credentials for it (Docker's config.json) go with the stack,
    so that every node can pull."""
    resolve = resolve_image(compose_file)
    return ["--resolve-image", resolve] + (["--with-registry-auth"] if resolve == "always" else [])


def swarm_remove(stack: str, timeout: float = 60) -> None:
    """`docker stack rm`, then wait until nothing of the stack is left."""
    if stack_leftovers(stack).get("services"):
        docker("stack", "rm", stack)
    deadline = time.monotonic() + timeout
    while leftovers := stack_leftovers(stack):
        if time.monotonic() > deadline:
            fail(f"stack {stack} not gone after {timeout:.0f}s: {leftovers}")
        # Tasks stop by themselves; what outlives them is removed by hand.
        if "services" not in leftovers and "containers" not in leftovers:
            for kind in ("configs", "networks"):
                if leftovers.get(kind):
                    subprocess.run(["docker", kind[:-1], "rm", *leftovers[kind]],
                                   capture_output=True, check=False)
        time.sleep(0.5)


def swarm_leave() -> None:
    """Leave the swarm if `swarm_join` made it and no stack is left in it."""
    if swarm_state()[0] != "active":
        return
    labels = json.loads(docker("node", "inspect", "self", "--format", "{{json .Spec.Labels}}"))
    if INITIALIZED_LABEL not in (labels or {}):
        return  # it was there before us
    if docker("service", "ls", "--quiet").split():
        print("other services run in the swarm: the engine stays in it")
        return
    docker("swarm", "leave", "--force")
    if GWBRIDGE_LABEL in labels:
        # Containers that used it let go of it within moments.
        deadline = time.monotonic() + 30
        while network_exists(GWBRIDGE) and time.monotonic() < deadline:
            subprocess.run(["docker", "network", "rm", GWBRIDGE], capture_output=True, check=False)
            time.sleep(0.5)
    print("left the swarm that `just swarm-up` started")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = NAMES["defaults"]
    parser.add_argument("--project", default=os.environ.get("HOSTINFO_PROJECT", defaults["project"]))
    parser.add_argument("--port", type=int,
                        default=int(os.environ.get("HOSTINFO_PORT", defaults["publishPort"])))
    commands = parser.add_subparsers(dest="command", required=True)
    names = NAMES["services"] | defaults
    name = commands.add_parser("name", help="print a service name or default from nix/names.toml")
    name.add_argument("key", choices=sorted(names))
    commands.add_parser("preflight", help="check docker, compose, nix-instantiate and the port")
    commands.add_parser("compose", help="print the compose command for this machine")
    wait = commands.add_parser("wait", help="wait until every replica is healthy and nginx answers")
    wait.add_argument("replicas", type=int)
    wait.add_argument("--timeout", type=float, default=60)
    commands.add_parser("ps", help="a table of the stack's containers")
    commands.add_parser("purge", help="remove every container and network of the project")
    smoke = commands.add_parser("smoke", help="send requests, count who served them")
    smoke.add_argument("count", type=int)
    commands.add_parser("swarm-preflight", help="check docker, the swarm state and the port")
    commands.add_parser("swarm-join", help="start a single-node swarm unless the engine is in one")
    waits = commands.add_parser("swarm-wait", help="wait until every task is healthy and nginx answers")
    waits.add_argument("replicas", type=int)
    waits.add_argument("--timeout", type=float, default=90)
    resolve = commands.add_parser("resolve-image", help="always or never: how to deploy this stack file")
    resolve.add_argument("compose_file", type=pathlib.Path)
    flags = commands.add_parser("deploy-flags", help="docker stack deploy's flags for this stack file")
    flags.add_argument("compose_file", type=pathlib.Path)
    commands.add_parser("swarm-remove", help="remove the stack and wait until nothing of it is left")
    commands.add_parser("swarm-leave", help="leave the swarm if swarm-join started it and it is empty")
    args = parser.parse_args()

    if args.command == "name":
        print(names[args.key])
    elif args.command == "preflight":
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
    elif args.command == "swarm-preflight":
        swarm_preflight(args.project, args.port)
    elif args.command == "swarm-join":
        swarm_join()
    elif args.command == "swarm-wait":
        swarm_wait(args.project, args.port, args.replicas, args.timeout)
        print(f"hostinfo is up: http://127.0.0.1:{args.port}/info "
              f"(published on every interface: see README)")
        print_table(args.project, find=tasks)
    elif args.command == "resolve-image":
        print(resolve_image(args.compose_file))
    elif args.command == "deploy-flags":
        print(" ".join(deploy_flags(args.compose_file)))
    elif args.command == "swarm-remove":
        swarm_remove(args.project)
    elif args.command == "swarm-leave":
        swarm_leave()
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
