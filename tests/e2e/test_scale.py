"""Sixty replicas, every one served through nginx: its upstream zone holds
them all, and its DNS answer names them all.

A stack of its own, so the five-replica stack of test_stack.py stays as it is.
"""
from __future__ import annotations

import subprocess

from conftest import compose_stack
from stacktool.smoke import served_by

REPLICAS = 60
# What nginx logs when a replica finds no room in the zone, or its DNS
# answer is lost: the replicas it drops are dropped silently otherwise.
ZONE_OR_RESOLVER_ERRORS = ("ngx_slab_alloc() failed", "memory exhausted",
                           "could not be resolved", "resolver", "truncated")


def test_sixty_replicas_all_answer_through_nginx_and_its_log_has_no_zone_or_resolver_error():
    with compose_stack("-scale", REPLICAS) as stack:
        replicas = {c["Config"]["Hostname"] for c in stack.replicas()}
        assert len(replicas) == REPLICAS
        # Round robin passes every replica in rotation once per 60 requests.
        seen: set[str] = set()
        for _ in range(10):
            served, statuses = served_by(stack.port, 2 * REPLICAS)
            assert statuses[200] == 2 * REPLICAS, f"statuses: {dict(statuses)}"
            seen |= served.keys()
            if seen >= replicas:
                break
        print(f"{REPLICAS} replicas: {len(seen & replicas)} answered through nginx")
        logs = subprocess.run(["docker", "logs", stack.nginx()["Id"]],
                              capture_output=True, text=True, check=True)
        errors = [line for line in logs.stderr.splitlines()
                  if any(error in line for error in ZONE_OR_RESOLVER_ERRORS)]
        assert seen == replicas, f"never served: {sorted(replicas - seen)}; nginx: {errors[:3]}"
        assert errors == []
