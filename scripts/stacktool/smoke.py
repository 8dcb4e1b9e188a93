"""Who answers through nginx: counting the replicas that served requests,
and waiting until every replica is healthy and served through nginx."""
from __future__ import annotations

import collections
import json
import time

from stacktool import fail
from stacktool.docker import address, containers, health
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


def wait_seconds(base: float, replicas: int) -> float:
    """How long a wait for `replicas` may take: Docker checks their health
    at most 32 a second (nix/stack.nix, docs/scaling.md), so each replica
    adds to the wait; a second each is ample."""
    return base + replicas


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
    """Until nginx has routed a request to every one of `replicas`: Docker's
    health says nothing of nginx, which learns of a replica at its next DNS
    lookup (`valid=`), drops one its upstream zone has no room for, and
    leaves one that failed a request alone for failTimeout, even once healthy.
    Round robin passes every replica in its rotation once per len(replicas)
    requests, so a few rounds find them all; a straggler costs one more."""
    expected = {c["Config"]["Hostname"]: address(c) for c in replicas}
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while not expected.keys() <= seen:
        served, _ = served_by(port, 2 * len(expected), deadline)
        seen |= served.keys()
        if time.monotonic() > deadline:
            missing = sorted(expected.keys() - seen)
            named = ", ".join(f"{name} ({expected[name]})" for name in missing[:10])
            more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
            fail(f"nginx on port {port} routed to {len(expected) - len(missing)} of "
                 f"{len(expected)} healthy replicas within {timeout:.0f}s; never served: "
                 f"{named}{more} (its errors: `just logs lb`)")


def smoke(port: int, count: int) -> bool:
    """`just smoke`: print who served `count` requests; whether all succeeded."""
    served, statuses = served_by(port, count)
    for hostname, times in sorted(served.items()):
        print(f"{hostname}  {times}")
    failed = count - statuses[200]
    print(f"{count} requests, {len(served)} replicas answered, {failed} failed")
    return not failed
