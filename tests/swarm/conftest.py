"""One swarm stack for the whole session, under its own stack name and port.

The stack is deployed through the Justfile exactly as a user would
(`just swarm-up`), with images built on the local road, and removed at the
end whatever happened (`just swarm-down`). The engine's swarm state and
networks are recorded first, so the last test can check that `swarm-down`
left the engine as it was found.
"""
from __future__ import annotations

import os
import pathlib
import socket
import subprocess
import sys
from dataclasses import dataclass

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))  # load.py: the same bounded load

import stack  # noqa: E402  (scripts/stack.py: the same helpers `just` uses)

# The image a rolling update moves the replicas to: the same image, tagged anew.
ROLLOUT_TAG = "0.1.0-rollout"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))  # swarm publishes on every interface
        return probe.getsockname()[1]


def engine_state() -> dict:
    """What `swarm-down` must give back: the swarm state and the networks,
    less those of compose projects, which others may be running meanwhile."""
    networks = stack.docker("network", "ls", "--format",
                            '{{.Name}} {{.Label "com.docker.compose.project"}}').splitlines()
    return {
        "swarm": stack.swarm_state()[0],
        "networks": sorted(line.split()[0] for line in networks if len(line.split()) == 1),
    }


@dataclass
class SwarmStack:
    name: str
    port: int
    env: dict

    def just(self, *args: str, check: bool = True,
             env: dict | None = None) -> subprocess.CompletedProcess:
        result = subprocess.run(["just", *args], cwd=ROOT, env={**self.env, **(env or {})},
                                capture_output=True, text=True, check=False, timeout=300)
        if check and result.returncode != 0:
            raise AssertionError(f"just {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def replicas(self) -> list[dict]:
        return stack.tasks(self.name, stack.APP_SERVICE)

    def nginx(self) -> dict:
        (lb,) = stack.tasks(self.name, stack.LB_SERVICE)
        return lb

    def service(self, name: str) -> dict:
        return stack.docker_inspect(f"{self.name}_{name}")


@pytest.fixture(scope="session")
def swarm_stack():
    name = os.environ.get("HOSTINFO_SWARM_E2E_STACK", "hostinfo-swarm-e2e")
    port = free_port()
    env = {**os.environ, "IMAGES": "local", "HOSTINFO_STACK": name, "HOSTINFO_PORT": str(port)}
    env.pop("STACK_OPTIONS", None)
    started = SwarmStack(name, port, env)
    started.just("swarm-down")  # whatever an earlier, interrupted run left
    started.found = engine_state()
    try:
        started.just("swarm-up", "5")
        yield started
    finally:
        started.just("swarm-down", check=False)
        subprocess.run(["docker", "image", "rm", f"hostinfo:{ROLLOUT_TAG}"],
                       capture_output=True, check=False)
