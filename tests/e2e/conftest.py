"""One stack for the whole end-to-end session, under its own project and port.

The stack is brought up through the Justfile exactly as a user would
(`just up`), with images built on the local road, and removed at the end
whatever happened (`just down`), so the tests start from whatever state the
machine is in and leave nothing behind.
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

import stack  # noqa: E402  (scripts/stack.py: the same helpers `just` uses)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Stack:
    project: str
    port: int
    env: dict

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def just(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(["just", *args], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"just {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def replicas(self) -> list[dict]:
        return stack.containers(self.project, stack.APP_SERVICE)

    def nginx(self) -> dict:
        (lb,) = stack.containers(self.project, stack.LB_SERVICE)
        return lb


@pytest.fixture(scope="session")
def running_stack():
    project = os.environ.get("HOSTINFO_E2E_PROJECT", "hostinfo-e2e")
    port = free_port()
    env = {**os.environ, "IMAGES": "local", "HOSTINFO_PROJECT": project,
           "HOSTINFO_PORT": str(port)}
    env.pop("STACK_OPTIONS", None)
    started = Stack(project, port, env)
    started.just("down")  # whatever an earlier, interrupted run left
    try:
        started.just("up", "5")
        yield started
    finally:
        started.just("down", check=False)
