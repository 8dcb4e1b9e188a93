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
import os
import random
import signal
import sys
import time

from stacktool import fail, recipes
from stacktool.docker import containers, docker
from stacktool.load import Load
from stacktool.names import APP_SERVICE, DEFAULTS
from stacktool.smoke import wait_ready, wait_serving

BUDGET = 120.0  # seconds, for everything
RESTORE = 30.0  # kept back from the budget to put the replica count back
ACTIONS = ("crash", "pause", "restart", "scale-out", "scale-in")
MAX_ROUNDS = 50
PAUSE = 3.0


def scale(project: str, port: int, replicas: int) -> None:
    """`just scale`, the way a person would scale the stack."""
    env = {**os.environ, "HOSTINFO_PROJECT": project, "HOSTINFO_PORT": str(port)}
    result = recipes.just("scale", str(replicas), env=env)
    if result.returncode:
        fail(recipes.failure(result))


def act(action: str, victim: dict, project: str, port: int, count: int) -> tuple[str, int]:
    """Does `action` to `victim`; returns what was done and the replica count to wait for."""
    name = victim["Name"][1:]
    if action == "crash":
        os.kill(victim["State"]["Pid"], signal.SIGKILL)  # `docker kill` would count as a stop
        return f"kill -9 of {name} (pid {victim['State']['Pid']})", count
    if action == "pause":
        docker("pause", victim["Id"])
        try:
            time.sleep(PAUSE)
        finally:
            docker("unpause", victim["Id"])
        return f"paused {name} for {PAUSE:.0f}s", count
    if action == "restart":
        docker("restart", victim["Id"])
        return f"restarted {name}", count
    if action == "scale-out":
        scale(project, port, count + 1)
        return f"scaled out {count} -> {count + 1}", count + 1
    scale(project, port, count - 1)
    return f"scaled in {count} -> {count - 1}", count - 1


def choose(rng: random.Random, count: int, initial: int) -> str:
    """Any action, but never below two replicas nor far above the start."""
    allowed = [a for a in ACTIONS
               if not (a == "scale-in" and count <= 2) and not (a == "scale-out" and count >= initial + 3)]
    return rng.choice(allowed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", default=os.environ.get("HOSTINFO_PROJECT", DEFAULTS["project"]))
    parser.add_argument("--port", type=int,
                        default=int(os.environ.get("HOSTINFO_PORT", DEFAULTS["publishPort"])))
    parser.add_argument("--seed", type=int, default=None, help="repeat a run: the seed it printed")
    parser.add_argument("rounds", nargs="?", default="10")
    args = parser.parse_args()
    if not args.rounds.isdigit() or not 1 <= int(args.rounds) <= MAX_ROUNDS:
        fail(f"rounds must be a whole number from 1 to {MAX_ROUNDS}, got {args.rounds!r}")
    rounds = int(args.rounds)
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    started = time.monotonic()
    deadline = started + BUDGET

    replicas = containers(args.project, APP_SERVICE)
    if not replicas:
        fail(f"no replicas of stack {args.project} are running: start it with `just up`")
    initial = len(replicas)
    wait_ready(args.project, args.port, initial, 30)
    rng = random.Random(seed)
    print(f"chaos: {rounds} rounds on {initial} replicas of {args.project}, seed {seed}", flush=True)

    done: collections.Counter = collections.Counter()
    count = initial
    # Two clients at 20 requests a second each, bounded by the budget.
    with Load(args.port, workers=2, max_seconds=BUDGET + 10, pause=0.05) as load:
        for round_number in range(1, rounds + 1):
            if time.monotonic() > deadline - RESTORE:
                print(f"round {round_number}/{rounds}: skipped, and the rest: the 2-minute budget is spent",
                      flush=True)
                break
            action = choose(rng, count, initial)
            victim = rng.choice(containers(args.project, APP_SERVICE))
            round_started = time.monotonic()
            what, count = act(action, victim, args.project, args.port, count)
            wait_ready(args.project, args.port, count, max(deadline - time.monotonic(), 10))
            done[action] += 1
            print(f"round {round_number}/{rounds}: {what}; {count} healthy after "
                  f"{time.monotonic() - round_started:.1f}s", flush=True)
        if count != initial:
            scale(args.project, args.port, initial)
            print(f"restored: scaled {count} -> {initial}", flush=True)
        # One that failed a request (a crash, a restart) is left alone for
        # failTimeout even once healthy: until nginx is served by all again.
        wait_serving(args.port, wait_ready(args.project, args.port, initial, 30), 30)

    actions = ", ".join(f"{action} {n}" for action, n in sorted(done.items()))
    outcome = load.outcome
    print(f"chaos: {sum(done.values())} actions ({actions}) in {time.monotonic() - started:.0f}s; "
          f"{len(outcome.statuses)} requests through nginx, {outcome.failures} errors"
          f"{outcome.failed()}; {initial} replicas healthy and serving", flush=True)
    sys.exit(1 if outcome.failures else 0)


if __name__ == "__main__":
    main()
