"""Docker Swarm: `just swarm-up` and `swarm-down`. The stack name plays the
compose project's part; the engine is left in or out of a swarm as found.

The CLI waits for a deploy to converge and a removal to finish
(`--detach=false`); what is left here are the checks it cannot make: that
every task is healthy and nginx is served by each, and that nothing of a
removed stack lingers on this engine.
"""
from __future__ import annotations

import json
import pathlib
import re
import subprocess
import time

from stacktool import fail
from stacktool.docker import docker, tasks
from stacktool.smoke import wait_ready, wait_serving

STACK_LABEL = "com.docker.stack.namespace"
# A node label saying this engine's swarm was created by `swarm-up`, so that
# `swarm-down` leaves only a swarm it made. It lives in the swarm itself, so
# every checkout sees it, and it is gone with the swarm.
INITIALIZED_LABEL = "org.hostinfo.swarm.initialized"
# ...and that `swarm init` created docker_gwbridge, which leaving keeps.
GWBRIDGE_LABEL = "org.hostinfo.swarm.created-gwbridge"
GWBRIDGE = "docker_gwbridge"


def swarm_state() -> tuple[str, bool]:
    """The engine's swarm state (inactive, active, ...) and whether it is a manager."""
    state, manager = docker(
        "info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}").split()
    return state, manager == "true"


def network_exists(name: str) -> bool:
    return name in docker("network", "ls", "--format", "{{.Name}}").split()


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


# A compose duration as nix/swarm.nix writes one (the updateMonitor option).
DURATION = re.compile(r"(\d+)(ms|s|m|h)")
SECONDS_PER_UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def watch_seconds(compose_file: pathlib.Path) -> float:
    """How long `docker stack deploy --detach=false` watches services that
    have converged: each one's update monitor, one service after another."""
    total = 0.0
    for service in json.loads(compose_file.read_text())["services"].values():
        monitor = service.get("deploy", {}).get("update_config", {}).get("monitor", "5s")
        value, unit = DURATION.fullmatch(monitor).groups()
        total += int(value) * SECONDS_PER_UNIT[unit]
    return total


def swarm_deploy(stack: str, compose_file: pathlib.Path, port: int, replicas: int,
                 timeout: float) -> list[dict]:
    """Deploy or update the stack; the CLI waits until its services converge
    (and fails on a rolled-back update). Then until every task is healthy and
    serves through nginx, which finds them by DNS: the app's tasks. The
    `timeout` is on top of the time the CLI spends watching converged services."""
    timeout += watch_seconds(compose_file)
    deadline = time.monotonic() + timeout
    command = ["docker", "stack", "deploy", "--detach=false", *deploy_flags(compose_file),
               "-c", str(compose_file), stack]
    try:
        result = subprocess.run(command, check=False, timeout=timeout)
    except subprocess.TimeoutExpired:
        fail(f"stack {stack} not converged after {timeout:.0f}s (docker stack ps {stack})")
    if result.returncode:
        fail(f"docker stack deploy of {stack} failed (status {result.returncode})")
    apps = wait_ready(stack, port, replicas, max(deadline - time.monotonic(), 1), find=tasks)
    wait_serving(port, apps, max(deadline - time.monotonic(), 1))
    return apps


def stack_leftovers(stack: str) -> dict[str, list[str]]:
    """What of a stack the engine still holds, by kind."""
    label = ["--filter", f"label={STACK_LABEL}={stack}"]
    found = {"containers": docker("ps", "--all", "--quiet", *label).split()}
    if swarm_state()[0] == "active":
        found["services"] = docker("service", "ls", "--quiet", *label).split()
        found["configs"] = docker("config", "ls", "--quiet", *label).split()
    found["networks"] = docker("network", "ls", "--quiet", *label).split()
    return {kind: ids for kind, ids in found.items() if ids}


def swarm_remove(stack: str, timeout: float = 60) -> None:
    """`docker stack rm`, which waits until the stack's tasks have stopped;
    then until this engine has let go of their containers and networks,
    within `timeout` in all."""
    deadline = time.monotonic() + timeout
    if stack_leftovers(stack).get("services"):
        try:
            result = subprocess.run(["docker", "stack", "rm", "--detach=false", stack],
                                    capture_output=True, text=True, check=False, timeout=timeout)
        except subprocess.TimeoutExpired:
            fail(f"stack {stack} not removed after {timeout:.0f}s")
        if result.returncode:
            fail(f"docker stack rm {stack} failed: {result.stderr.strip()}")
    while leftovers := stack_leftovers(stack):
        if time.monotonic() > deadline:
            fail(f"stack {stack} not gone after {timeout:.0f}s: {leftovers}")
        # What outlives the tasks (a network still in use as `rm` ran) goes by hand.
        if "services" not in leftovers and "containers" not in leftovers:
            for kind in ("configs", "networks"):
                if leftovers.get(kind):
                    subprocess.run(["docker", kind[:-1], "rm", *leftovers[kind]],
                                   capture_output=True, check=False)
        time.sleep(0.25)


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
