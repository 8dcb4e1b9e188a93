"""Couplings between the replicas and what runs them, on a stack of their own
(two replicas, a short grace period): the drain fits inside the grace period
Docker gives, and nginx's own errors have the replicas' JSON shape.

Its own compose project and port, brought up and down with `just` as the
session's stack is (conftest.py), so it never meets that stack.
"""
from __future__ import annotations

import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import compose_stack
from stacktool.docker import docker_inspect
from stacktool.http import local
from stacktool.http import request as http_request

# Docker's grace period here; the replicas drain for 2 s of it (nix/timeouts.nix).
GRACE = 4
# A request that fits the drain, so it finishes on the replica being stopped,
# and one that outlasts the grace period, which the replica must cut at the
# end of its drain, and exit (1: it cut a request off), before Docker's SIGKILL would.
SHORT, LONG = 1, 6
# nginx must wait out LONG, and the retry of a cut LONG on the other replica.
OPTIONS = (f'{{ stopGracePeriod = "{GRACE}s"; readTimeout = "10s"; nextUpstreamTimeout = "20s"; '
           'nginxWorkers = 1; }')


@pytest.fixture(scope="module")
def short_grace_stack():
    with compose_stack("-grace", 2, OPTIONS) as started:
        yield started


def request(port: int, path: str, headers: dict | None = None):
    """One GET through nginx: (status, headers, parsed JSON body)."""
    status, body, answered = http_request(local(port, path), headers=headers, timeout=30)
    assert status, f"nothing answered GET {path} on port {port}"
    return status, answered, json.loads(body)


def shape(value):
    """A JSON value with every leaf replaced by its type."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    return type(value).__name__


def test_nginx_answers_its_own_errors_in_the_replicas_shape(short_grace_stack):
    port = short_grace_stack.port
    replica_status, replica_headers, replica_body = request(port, "/no-such-path")
    # Headers past what nginx buffers: nginx answers, no replica is asked.
    nginx_status, nginx_headers, nginx_body = request(port, "/info", {"X-Big": "a" * 40000})
    print(f"replica: {replica_status} {replica_body}; nginx: {nginx_status} {nginx_body}")
    assert replica_status == 404 and replica_headers.get("X-Upstream")
    assert nginx_status == 400 and "X-Upstream" not in nginx_headers
    assert replica_headers["Content-Type"] == nginx_headers["Content-Type"] == "application/json"
    assert shape(nginx_body) == shape(replica_body) == {
        "error": {"status": "int", "message": "str"}}
    assert nginx_body["error"]["status"] == nginx_status


def test_a_stopped_replica_finishes_its_request_and_exits_by_itself_within_the_grace_period(
        short_grace_stack):
    port = short_grace_stack.port
    victim = short_grace_stack.replicas()[0]
    # compose hands the grace period to Docker, which kills after it.
    assert victim["Config"]["StopTimeout"] == GRACE
    with ThreadPoolExecutor(4) as pool:
        # nginx (one worker) takes the replicas in turn: each gets a SHORT and a LONG.
        waits = [SHORT, SHORT, LONG, LONG]
        futures = []
        for wait in waits:
            futures.append(pool.submit(request, port, f"/info?wait={wait}s"))
            time.sleep(0.1)
        stopping = time.monotonic()
        subprocess.run(["docker", "stop", victim["Id"]], check=True, capture_output=True)
        stopped_after = time.monotonic() - stopping
        answers = [future.result() for future in futures]

    state = docker_inspect(victim["Id"])["State"]
    served = [(wait, status, body.get("hostname")) for wait, (status, _, body) in zip(waits, answers)]
    print(f"docker stop took {stopped_after:.1f}s of {GRACE}s, exit code {state['ExitCode']}; "
          f"(wait, status, replica): {served}")
    assert [status for _, status, _ in served] == [200] * len(waits)
    # The SHORT request the victim held finished there, within its drain.
    assert (SHORT, 200, victim["Config"]["Hostname"]) in served
    # Not SIGKILLed (137): the replica ended its drain in time, cut off the LONG
    # request it still held (nginx retried it on the other replica, hence the
    # 200s) and said so, as a drain that cuts requests off must: exit 1 and the
    # count in its log.
    assert state["ExitCode"] == 1 and not state["OOMKilled"]
    logs = subprocess.run(["docker", "logs", victim["Id"]], capture_output=True, text=True)
    assert "1 request cut off" in logs.stdout + logs.stderr
    assert stopped_after < GRACE
