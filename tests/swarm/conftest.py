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
import subprocess

import pytest

from harness import RunningStack  # tests/e2e/harness.py: the e2e suite's, shared
from stacktool.docker import docker, docker_inspect, tasks
from stacktool.ports import free_port
from stacktool.swarm import swarm_state

# The image a rolling update moves the replicas to: the same image, tagged anew.
ROLLOUT_TAG = "0.1.0-rollout"


def engine_state() -> dict:
    """What `swarm-down` must give back: the swarm state and the networks,
    less those of compose projects, which others may be running meanwhile."""
    networks = docker("network", "ls", "--format",
                            '{{.Name}} {{.Label "com.docker.compose.project"}}').splitlines()
    return {
        "swarm": swarm_state()[0],
        "networks": sorted(line.split()[0] for line in networks if len(line.split()) == 1),
    }


class SwarmStack(RunningStack):
    """A swarm stack: its containers are its services' tasks."""

    find = staticmethod(tasks)
    just_timeout = 300

    def service(self, name: str) -> dict:
        return docker_inspect(f"{self.name}_{name}")


def key_pair(directory: pathlib.Path, password: str) -> tuple[str, pathlib.Path]:
    """A new cosign key pair in DIRECTORY: the private key's PEM, the public key's file."""
    directory.mkdir(parents=True)
    subprocess.run(["cosign", "generate-key-pair"], cwd=directory, stdin=subprocess.DEVNULL,
                   env={**os.environ, "COSIGN_PASSWORD": password}, capture_output=True, check=True)
    return (directory / "cosign.key").read_text(), directory / "cosign.pub"


@pytest.fixture(scope="session", autouse=True)
def signing_key(tmp_path_factory):
    """`just push` signs, and a deploy from a registry verifies: one pair for the
    session, passed as a user would in CI (COSIGN_KEY, COSIGN_PASSWORD), never a file
    in the checkout."""
    private, public = key_pair(tmp_path_factory.mktemp("cosign") / "session", "session-password")
    given = {"COSIGN_KEY": private, "COSIGN_PASSWORD": "session-password",
             "HOSTINFO_VERIFY_KEY": str(public)}
    saved = {name: os.environ.get(name) for name in given}
    os.environ.update(given)
    yield public
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def swarm_stack():
    name = os.environ.get("HOSTINFO_SWARM_E2E_STACK", "hostinfo-swarm-e2e")
    port = free_port("0.0.0.0")  # swarm publishes on every interface
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
