"""The Docker CLI: commands, `docker inspect` of a stack's containers, and
what a table or a wait reads from them."""
from __future__ import annotations

import json
import shutil
import subprocess

from stacktool import fail

PROJECT_LABEL = "com.docker.compose.project"


def docker(*args: str) -> str:
    """A docker command's stdout; raises if it fails, or takes over a minute
    (these are queries and small changes: an engine that slow is stuck)."""
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True,
                          timeout=60).stdout


def compose_command() -> list[str]:
    """Compose v2: the Docker CLI plugin, else its standalone binary (as
    nixpkgs' docker-compose gives it). v1 is end of life and not supported."""
    candidates = [["docker", "compose"]] + ([["docker-compose"]] if shutil.which("docker-compose") else [])
    for command in candidates:
        found = subprocess.run([*command, "version", "--short"], capture_output=True, text=True,
                               check=False)
        if found.returncode == 0 and not found.stdout.lstrip("v").startswith("1."):
            return command
    fail("Compose v2 is missing (`docker compose version` failed; Compose v1 is not supported): "
         "./setup up installs it")


def docker_inspect(name: str) -> dict:
    (found,) = json.loads(docker("inspect", name))
    return found


def inspect_found(filters: list[str], running_only: bool) -> list[dict]:
    """`docker inspect` of the containers `docker ps` finds with `filters`, by name."""
    ids = docker("ps", *([] if running_only else ["--all"]), "--quiet", *filters).split()
    if not ids:
        return []
    return sorted(json.loads(docker("inspect", *ids)), key=lambda c: c["Name"])


def containers(project: str, service: str, *, running_only: bool = True) -> list[dict]:
    """The compose project's containers of one service."""
    filters = ["--filter", f"label={PROJECT_LABEL}={project}",
               "--filter", f"label=com.docker.compose.service={service}"]
    return inspect_found(filters, running_only)


def tasks(stack: str, service: str, *, running_only: bool = True) -> list[dict]:
    """The containers of a swarm stack's service (its tasks)."""
    filters = ["--filter", f"label=com.docker.swarm.service.name={stack}_{service}"]
    return inspect_found(filters, running_only)


def health(container: dict) -> str:
    state = container["State"]
    return state.get("Health", {}).get("Status", state["Status"])


def hostnames(found: list[dict]) -> set[str]:
    """What each container answers as in /info's `hostname`."""
    return {c["Config"]["Hostname"] for c in found}


def address(container: dict) -> str:
    networks = container["NetworkSettings"]["Networks"].values()
    return ", ".join(n["IPAddress"] for n in networks if n["IPAddress"])


def purge(project: str) -> None:
    """Remove whatever of the project compose left behind (or never knew of)."""
    label = f"label={PROJECT_LABEL}={project}"
    leftovers = docker("ps", "--all", "--quiet", "--filter", label).split()
    if leftovers:
        docker("rm", "--force", "--volumes", *leftovers)
    networks = docker("network", "ls", "--quiet", "--filter", label).split()
    if networks:
        docker("network", "rm", *networks)
