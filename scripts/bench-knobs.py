#!/usr/bin/env python3
"""Compare stack options side by side: latency at a steady load, and saturation.

    python3 scripts/bench-knobs.py 'nginx 1 worker={ nginxWorkers = 1; }' ...

Brings up one stack per variant at once (a baseline with no options first),
then runs interleaved rounds: per round and variant, oha at a constant rate
(half the baseline's saturation, measured first) and one wrk run. On a noisy
shared machine only figures measured in the same rounds can be compared.
Removes every stack it started; writes results/ as Markdown and JSON.
"""
from __future__ import annotations

import argparse
import datetime
import os
import re
import statistics

from benchlib import just, load_average, median_run, oha, write_results, wrk
from stacktool.ports import free_port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="+", metavar="NAME={ OPTIONS }",
                        help="a name and stack options, as a Nix attribute set")
    parser.add_argument("--project", default="hostinfo-knobs", help="prefix of the stacks' projects")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8, help="seconds per oha run")
    parser.add_argument("--percent", type=int, default=50, help="steady rate, % of the baseline's max")
    args = parser.parse_args()
    variants = {"baseline": "{ }"}
    for variant in args.variants:
        name, sep, options = variant.partition("=")
        if not sep or not options.strip().startswith("{"):
            parser.error(f"a variant is NAME={{ OPTIONS }}, got {variant!r}")
        variants[name] = options

    load = load_average()
    envs = {name: {**os.environ, "HOSTINFO_PROJECT": f"{args.project}-{i}",
                   "HOSTINFO_PORT": str(free_port()), "STACK_OPTIONS": options}
            for i, (name, options) in enumerate(variants.items())}
    url = lambda name: f"http://127.0.0.1:{envs[name]['HOSTINFO_PORT']}/info"  # noqa: E731
    just(envs["baseline"], "image")
    steady = {name: [] for name in variants}
    saturated = {name: [] for name in variants}
    try:
        for name, env in envs.items():
            just(env, "down")
            # `just up` takes the replica count as its argument, not as an option.
            replicas = re.search(r"\breplicas\s*=\s*(\d+)", variants[name])
            just(env, "up", replicas[1] if replicas else "5")
        rate = statistics.median(wrk(url("baseline"))["rps"] for _ in range(3)) * args.percent / 100
        for _ in range(args.rounds):
            for name in variants:
                steady[name].append(oha(url(name), rate, args.seconds))
                saturated[name].append(wrk(url(name)))
    finally:
        for env in envs.values():
            just(env, "down")

    results = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "load_average_at_start": load, "rate": round(rate), "variants": variants,
        "steady": {name: median_run(runs, "p99_ms") for name, runs in steady.items()},
        "saturation": {name: median_run(runs) for name, runs in saturated.items()},
    }
    lines = [f"{len(variants)} stacks up at once, {args.rounds} interleaved rounds; load average at "
             f"start {' '.join(map(str, load))}; steady rate {round(rate)} req/s "
             f"({args.percent} % of the baseline's saturation)", "",
             "| variant | options | p50 ms | p99 ms (median) | p99 every round | p99.9 ms "
             "| saturation req/s (median) | errors |",
             "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: |"]
    for name, options in variants.items():
        s, w = results["steady"][name], results["saturation"][name]
        lines.append(f"| {name} | `{options}` | {s['p50_ms']:.2f} | {s['p99_ms']:.2f} | "
                     f"{' '.join(f'{v:.1f}' for v in s['p99_ms_all'])} | {s['p99.9_ms']:.2f} | "
                     f"{w['rps']:.0f} | {s['errors_all'] + w['errors_all']} |")
    print(table := "\n".join(lines) + "\n", end="")
    write_results("bench-knobs", results, table)


if __name__ == "__main__":
    main()
