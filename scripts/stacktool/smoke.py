"""Who answers through nginx: counting the replicas that served requests,
and waiting until every replica is healthy and serving."""
from __future__ import annotations

import collections
import json
import time

from stacktool import fail
from stacktool.docker import containers, health, hostnames
from stacktool.http import get, local
from stacktool.names import APP_SERVICE


def served_by(port: int, count: int, deadline: float = float("inf"),
              ) -> tuple[collections.Counter, collections.Counter]:
    """Send `count` GET /info through nginx, fewer if time.monotonic() passes
    `deadline`: (hostnames that answered, statuses)."""
    served: collections.Counter = collections.Counter()
    statuses: collections.Counter = collections.Counter()
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        status, body, _ = get(local(port))
        statuses[status] += 1
        if status == 200:
            served[json.loads(body)["hostname"]] += 1
    return served, statuses


def wait_ready(project: str, port: int, replicas: int, timeout: float,
               find=containers) -> list[dict]:
    """Until exactly `replicas` replicas run, all healthy, and nginx answers /info."""
    deadline = time.monotonic() + timeout
    while True:
        apps = find(project, APP_SERVICE)
        healthy = [c for c in apps if health(c) == "healthy"]
        status = get(local(port)).status
        if len(healthy) == replicas == len(apps) and status == 200:
            return apps
        if time.monotonic() > deadline:
            states = ", ".join(f"{c['Name'][1:]}={health(c)}" for c in apps) or "none"
            fail(f"stack {project} not ready after {timeout:.0f}s: "
                 f"{len(healthy)}/{replicas} replicas healthy ({states}), "
                 f"nginx on port {port} answered {status or 'nothing'}")
        time.sleep(0.25)


def wait_serving(port: int, replicas: list[dict], timeout: float) -> None:
    """Until nginx is served by every one of `replicas`: it learns of a new one
    at its next DNS lookup (`valid=`), and leaves one that failed a request
    alone for failTimeout, even once healthy."""
    expected = hostnames(replicas)
    deadline = time.monotonic() + timeout
    while (seen := set(served_by(port, 10 * len(expected), deadline)[0])) != expected:
        if time.monotonic() > deadline:
            fail(f"nginx on port {port} is served by {len(seen & expected)} of "
                 f"{len(expected)} replicas after {timeout:.0f}s")
        time.sleep(0.25)


def smoke(port: int, count: int) -> bool:
    """`just smoke`: print who served `count` requests; whether all succeeded."""
    served, statuses = served_by(port, count)
    for hostname, times in sorted(served.items()):
        print(f"{hostname}  {times}")
    failed = count - statuses[200]
    print(f"{count} requests, {len(served)} replicas answered, {failed} failed")
    return not failed
