"""Say, in one line, what is missing before a stack starts: the tools, the
Docker daemon, the engine's swarm state, the port."""
from __future__ import annotations

import shutil
import subprocess

from stacktool import fail
from stacktool.docker import compose_command, containers, tasks
from stacktool.names import LB_SERVICE
from stacktool.ports import port_in_use
from stacktool.swarm import swarm_state


def docker_preflight() -> None:
    if shutil.which("docker") is None:
        fail("docker is not installed (https://docs.docker.com/engine/install/)")
    if subprocess.run(["docker", "info"], capture_output=True, check=False).returncode:
        fail("the Docker daemon is not running or not reachable (try: systemctl start docker)")


def nix_preflight() -> None:
    if shutil.which("nix-instantiate") is None:
        fail("nix-instantiate is missing: it renders the stack "
             "(install Nix, or on Debian: apt-get install nix-bin)")


def port_preflight(port: int, ours, recipe: str) -> None:
    """The port is free, or held by this very stack's nginx (`ours()` finds it)."""
    if port_in_use(port) and not ours():
        fail(f"port {port} is taken by something other than this stack "
             f"(free it, or choose another: HOSTINFO_PORT=8001 just {recipe})")


def preflight(project: str, port: int) -> None:
    docker_preflight()
    compose_command()
    nix_preflight()
    port_preflight(port, lambda: containers(project, LB_SERVICE), "up")


def swarm_preflight(stack: str, port: int) -> None:
    docker_preflight()
    nix_preflight()
    state, manager = swarm_state()
    if state == "active" and not manager:
        fail("this engine is a swarm worker: deploy from a manager node")
    if state not in ("active", "inactive"):
        fail(f"the engine's swarm is {state}: settle it first (docker info)")
    port_preflight(port, lambda: tasks(stack, LB_SERVICE), "swarm-up")
