"""One stack for the whole end-to-end session, under its own project and port.

The stack is brought up through the Justfile exactly as a user would
(`just up`), with images built on the local road, and removed at the end
whatever happened (`just down`), so the tests start from whatever state the
machine is in and leave nothing behind.
"""
from __future__ import annotations

import contextlib
import os

import pytest

from harness import RunningStack
from stacktool.ports import free_port


class Stack(RunningStack):
    """A compose project: its containers are found by the project's label."""

    @property
    def project(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def compose_stack(suffix: str, replicas: int, options: str | None = None):
    """A compose project of its own (HOSTINFO_E2E_PROJECT plus `suffix`) on a
    free port, brought up with `just up` and removed with `just down` whatever
    happened, after removing whatever an earlier, interrupted run left."""
    project = os.environ.get("HOSTINFO_E2E_PROJECT", "hostinfo-e2e") + suffix
    port = free_port()
    env = {**os.environ, "IMAGES": "local", "HOSTINFO_PROJECT": project,
           "HOSTINFO_PORT": str(port)}
    env.pop("STACK_OPTIONS", None)
    if options is not None:
        env["STACK_OPTIONS"] = options
    started = Stack(project, port, env)
    started.just("down")
    try:
        started.just("up", str(replicas))
        yield started
    finally:
        started.just("down", check=False)


@pytest.fixture(scope="session")
def running_stack():
    with compose_stack("", 5) as started:
        yield started
