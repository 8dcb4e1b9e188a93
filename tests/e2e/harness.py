"""What the Docker suites (tests/e2e, tests/swarm) share: a stack brought up
with `just` as a user would, and waiting on it and counting who answered."""
from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass

from stacktool import recipes
from stacktool.docker import containers
from stacktool.names import APP_SERVICE, LB_SERVICE
from stacktool.smoke import served_by as count_served


@dataclass
class RunningStack:
    """A stack under its own name (compose project or swarm stack) and port;
    `find` gives its containers of one service."""
    name: str
    port: int
    env: dict

    # Class settings, not fields: how containers are found, how long `just` may take.
    find = staticmethod(containers)
    just_timeout = None

    def just(self, *args: str, check: bool = True,
             env: dict | None = None) -> subprocess.CompletedProcess:
        result = recipes.just(*args, env={**self.env, **(env or {})}, timeout=self.just_timeout)
        if check and result.returncode != 0:
            raise AssertionError(recipes.failure(result))
        return result

    def replicas(self) -> list[dict]:
        return self.find(self.name, APP_SERVICE)

    def nginx(self) -> dict:
        (lb,) = self.find(self.name, LB_SERVICE)
        return lb


def wait_until(condition, timeout: float, what: str, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"not within {timeout:.0f}s: {what}")


def served_by(running: RunningStack, count: int) -> dict[str, int]:
    hostnames, statuses = count_served(running.port, count)
    assert statuses[200] == count, f"statuses: {dict(statuses)}"
    return hostnames


def raw_request(port: int, payload: bytes, host: str = "127.0.0.1", timeout: float = 10) -> bytes:
    """Send `payload` as it is and read one response: head and Content-Length
    bytes of body. The write side stays open, as a real client's does (one
    that half-closes while a body is still owed makes nginx linger 5 s and
    then send its built-in page instead of the error page)."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(payload)
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = sock.recv(65536)
            if not chunk:
                return response
            response += chunk
        head, _, body = response.partition(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length and (chunk := sock.recv(65536)):
            body += chunk
    return head + b"\r\n\r\n" + body
