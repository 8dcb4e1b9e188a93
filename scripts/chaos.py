#!/usr/bin/env python3
"""`just chaos`: random trouble for a running stack's replicas, one action a
round, under a steady load through nginx; it ends with the stack as it began.

Each round picks one action and one replica at random: a crash (`kill -9` of
the container's process, so the restart policy applies), a 3 s pause, a
restart, or scaling out or in by one; then it waits until every replica is
healthy again. The whole run stays within two minutes: rounds that would not
fit are skipped, and the summary says so.
"""
from __future__ import annotations

import argparse
import collections
import http.client
import os
import random
import signal
import subprocess
import sys
import threading
import time

import stack  # scripts/stack.py

BUDGET = 120.0  # seconds, for everything
RESTORE = 30.0  # kept back from the budget to put the replica count back
ACTIONS = ("crash", "pause", "restart", "scale-out", "scale-in")
MAX_ROUNDS = 50
PAUSE = 3.0


class Load:
    """Two keep-alive clients through nginx, 20 GET /info a second each,
    until stopped or `seconds` have passed: a bounded load that counts errors."""

    def __init__(self, port: int, seconds: float):
        self.port, self.deadline = port, time.monotonic() + seconds
        self.statuses: collections.Counter = collections.Counter()
        self._lock, self._stop = threading.Lock(), threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(2)]

    def __enter__(self) -> "Load":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    @property
    def errors(self) -> int:
        return self.total - self.statuses[200]

    def _run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        while not self._stop.is_set() and time.monotonic() < self.deadline:
            try:
                connection.request("GET", "/info")
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0  # no answer at all
                connection.close()
            with self._lock:
                self.statuses[status] += 1
            self._stop.wait(0.05)
        connection.close()


def scale(project: str, port: int, replicas: int) -> None:
    """`just scale`, the way a person would scale the stack."""
    env = {**os.environ, "HOSTINFO_PROJECT": project, "HOSTINFO_PORT": str(port)}
    result = subprocess.run(["just", "scale", str(replicas)], cwd=stack.ROOT, env=env,
                            capture_output=True, text=True, check=False)
    if result.returncode:
        stack.fail(f"just scale {replicas} failed:\n{result.stdout}{result.stderr}")


def act(action: str, victim: dict, project: str, port: int, count: int) -> tuple[str, int]:
    """Does `action` to `victim`; returns what was done and the replica count to wait for."""
    name = victim["Name"][1:]
    if action == "crash":
        os.kill(victim["State"]["Pid"], signal.SIGKILL)  # `docker kill` would count as a stop
        return f"kill -9 of {name} (pid {victim['State']['Pid']})", count
    if action == "pause":
        stack.docker("pause", victim["Id"])
        try:
            time.sleep(PAUSE)
        finally:
            stack.docker("unpause", victim["Id"])
        return f"paused {name} for {PAUSE:.0f}s", count
    if action == "restart":
        stack.docker("restart", victim["Id"])
        return f"restarted {name}", count
    if action == "scale-out":
        scale(project, port, count + 1)
        return f"scaled out {count} -> {count + 1}", count + 1
    scale(project, port, count - 1)
    return f"scaled in {count} -> {count - 1}", count - 1


def wait_serving(project: str, port: int, timeout: float) -> None:
    """Until nginx is served by every replica again: one that failed a request
    (a crash, a restart) is left alone for failTimeout even once healthy."""
    expected = {c["Config"]["Hostname"] for c in stack.containers(project, stack.APP_SERVICE)}
    deadline = time.monotonic() + timeout
    while (seen := set(stack.served_by(port, 10 * len(expected))[0])) != expected:
        if time.monotonic() > deadline:
            stack.fail(f"nginx on port {port} is served by {len(seen & expected)} of "
                       f"{len(expected)} replicas after {timeout:.0f}s")
        time.sleep(0.5)


def choose(rng: random.Random, count: int, initial: int) -> str:
    """Any action, but never below two replicas nor far above the start."""
    allowed = [a for a in ACTIONS
               if not (a == "scale-in" and count <= 2) and not (a == "scale-out" and count >= initial + 3)]
    return rng.choice(allowed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", default=os.environ.get("HOSTINFO_PROJECT", "hostinfo"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("HOSTINFO_PORT", "8000")))
    parser.add_argument("--seed", type=int, default=None, help="repeat a run: the seed it printed")
    parser.add_argument("rounds", nargs="?", default="10")
    args = parser.parse_args()
    if not args.rounds.isdigit() or not 1 <= int(args.rounds) <= MAX_ROUNDS:
        stack.fail(f"rounds must be a whole number from 1 to {MAX_ROUNDS}, got {args.rounds!r}")
    rounds = int(args.rounds)
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    started = time.monotonic()
    deadline = started + BUDGET

    replicas = stack.containers(args.project, stack.APP_SERVICE)
    if not replicas:
        stack.fail(f"no replicas of stack {args.project} are running: start it with `just up`")
    initial = len(replicas)
    stack.wait_ready(args.project, args.port, initial, 30)
    rng = random.Random(seed)
    print(f"chaos: {rounds} rounds on {initial} replicas of {args.project}, seed {seed}", flush=True)

    done: collections.Counter = collections.Counter()
    count = initial
    with Load(args.port, BUDGET + 10) as load:
        for round_number in range(1, rounds + 1):
            if time.monotonic() > deadline - RESTORE:
                print(f"round {round_number}/{rounds}: skipped, and the rest: the 2-minute budget is spent",
                      flush=True)
                break
            action = choose(rng, count, initial)
            victim = rng.choice(stack.containers(args.project, stack.APP_SERVICE))
            round_started = time.monotonic()
            what, count = act(action, victim, args.project, args.port, count)
            stack.wait_ready(args.project, args.port, count, max(deadline - time.monotonic(), 10))
            done[action] += 1
            print(f"round {round_number}/{rounds}: {what}; {count} healthy after "
                  f"{time.monotonic() - round_started:.1f}s", flush=True)
        if count != initial:
            scale(args.project, args.port, initial)
            print(f"restored: scaled {count} -> {initial}", flush=True)
        stack.wait_ready(args.project, args.port, initial, 30)
        wait_serving(args.project, args.port, 30)

    actions = ", ".join(f"{action} {n}" for action, n in sorted(done.items()))
    failed = ", ".join(f"{status or 'no answer'}: {n}" for status, n in sorted(load.statuses.items())
                       if status != 200)
    print(f"chaos: {sum(done.values())} actions ({actions}) in {time.monotonic() - started:.0f}s; "
          f"{load.total} requests through nginx, {load.errors} errors{f' ({failed})' if failed else ''}; "
          f"{initial} replicas healthy and serving", flush=True)
    sys.exit(1 if load.errors else 0)


if __name__ == "__main__":
    main()
