#!/usr/bin/env python3
"""Benchmark how the stack's cost grows with replicas: 1, 2, 5, 10, 20, 50, 100, 200.

Brings up its own stack (project `hostinfo-scale`, a free port) and takes it
up the sizes (`just up` for the first, then `just scale`), recording at each:
the time from the command to every replica healthy and served through nginx,
how many distinct replicas then answer through nginx (it must be all), the
memory of the replicas and of nginx (what `docker stats` shows, read from
their cgroups), the saturation throughput (wrk), and throughput and latency at a fixed rate
(oha, constant rate, latency corrected): half the load-balanced path's
saturation at 5 replicas, measured first. Removes everything it started;
writes results/ as Markdown, JSON and an SVG of time, replicas served and memory.
"""
from __future__ import annotations

import argparse
import datetime
import os
import statistics

from benchlib import RESULTS, cgroup_memory_bytes, just, load_average, oha, write_results, wrk
from stacktool.docker import containers
from stacktool.names import APP_SERVICE, LB_SERVICE
from stacktool.ports import free_port
from stacktool.smoke import served_by
from svgplot import panels

SIZES = (1, 2, 5, 10, 20, 50, 100, 200)
MIB = 2**20


def memory(project: str) -> dict:
    """MiB of all replicas together and of nginx, now."""
    total = lambda service: sum(cgroup_memory_bytes(c["Id"])  # noqa: E731
                                for c in containers(project, service)) / MIB
    return {"replicas_mib": round(total(APP_SERVICE), 1),
            "nginx_mib": round(total(LB_SERVICE), 1)}


def markdown(results: dict) -> str:
    rate = results["rate"]
    lines = [f"Load average at start {' '.join(map(str, results['load_average_at_start']))}; "
             f"`just up {results['calibration']['replicas']}` from nothing "
             f"{results['calibration']['up_seconds']:.1f} s; fixed rate {rate} req/s "
             f"(half of {results['calibration']['rps']:.0f}, the saturation at "
             f"{results['calibration']['replicas']} replicas)", "",
             "| replicas | served through nginx | command → all serving s | replicas MiB (idle / loaded) "
             "| per replica MiB | nginx MiB (idle / loaded) | saturation req/s | p99 ms at saturation "
             f"| req/s at {rate} | p50 ms | p99 ms | p99.9 ms | errors |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for size in results["sizes"]:
        idle, loaded, sat, steady = size["idle"], size["loaded"], size["saturation"], size["steady"]
        lines.append(
            f"| {size['replicas']} | {size['served']} | `{size['command']}` {size['scale_seconds']:.1f} "
            f"| {idle['replicas_mib']:.1f} / {loaded['replicas_mib']:.1f} "
            f"| {loaded['replicas_mib'] / size['replicas']:.1f} "
            f"| {idle['nginx_mib']:.1f} / {loaded['nginx_mib']:.1f} | {sat['rps']:.0f} "
            f"| {sat['p99_ms']:.1f} | {steady['rps']:.0f} | {steady['p50_ms']:.2f} "
            f"| {steady['p99_ms']:.2f} | {steady['p99.9_ms']:.2f} "
            f"| {sat['errors'] + sat['non_2xx'] + steady['errors']} |")
    return "\n".join(lines) + "\n"


def picture(results: dict) -> str:
    sizes = results["sizes"]
    points = lambda f: [(s["replicas"], f(s)) for s in sizes]  # noqa: E731
    return panels([
        {"title": "`just up` / `just scale`: to all serving", "x_label": "replicas",
         "y_label": "seconds", "series": {"time to all serving": points(lambda s: s["scale_seconds"])}},
        {"title": "distinct replicas answering through nginx", "x_label": "replicas",
         "y_label": "replicas", "series": {"served": points(lambda s: s["served"]),
                                           "running": points(lambda s: s["replicas"])}},
        {"title": "memory after load (docker stats)", "x_label": "replicas", "y_label": "MiB",
         "series": {"all replicas": points(lambda s: s["loaded"]["replicas_mib"]),
                    "nginx": points(lambda s: s["loaded"]["nginx_mib"])}},
    ], caption=f"hostinfo stack on {os.cpu_count()} cores, {results['when']}, `just bench-scale`")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", default="hostinfo-scale", help="compose project of the bench's stack")
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES, help="replica counts, in order")
    parser.add_argument("--calibrate-at", type=int, default=5, help="replicas for the saturation")
    parser.add_argument("--seconds", type=int, default=5, help="seconds per wrk and oha run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--options", default=os.environ.get("STACK_OPTIONS", "{ maxReplicas = 200; }"),
                        help="stack options, as a Nix attribute set (maxReplicas at least the largest size)")
    args = parser.parse_args()
    if min(args.sizes) < 1 or args.calibrate_at < 1:
        parser.error("replica counts must be at least 1")

    load = load_average()
    port = free_port()
    env = {**os.environ, "HOSTINFO_PROJECT": args.project, "HOSTINFO_PORT": str(port),
           "STACK_OPTIONS": args.options}
    url = f"http://127.0.0.1:{port}/info"
    saturate = lambda: wrk(url, 2, args.connections, args.seconds)  # noqa: E731

    just(env, "down")
    just(env, "image")
    sizes = []
    try:
        up_seconds = just(env, "up", str(args.calibrate_at))
        calibration = statistics.median(saturate()["rps"] for _ in range(3))
        rate = round(calibration / 2)
        just(env, "down")
        for n, replicas in enumerate(args.sizes):
            # The first size from nothing, as a user starts; then scaled up from the last.
            command = "up" if n == 0 else "scale"
            seconds = just(env, command, str(replicas))
            idle = memory(args.project)
            # Counted on its own, not trusted to `just scale`'s wait: round
            # robin passes each replica in rotation once per `replicas` requests.
            served = len(served_by(port, 4 * replicas)[0])
            saturation = saturate()
            steady = oha(url, rate, args.seconds, args.connections)
            sizes.append({"replicas": replicas, "served": served,
                          "command": f"just {command} {replicas}",
                          "scale_seconds": round(seconds, 2), "idle": idle,
                          "loaded": memory(args.project), "saturation": saturation,
                          "steady": steady, "load_average": load_average()})
            print(f"{replicas} replicas: {served} serving through nginx, {seconds:.1f} s after the "
                  f"command began; {saturation['rps']:.0f} req/s, "
                  f"p99 {steady['p99_ms']:.2f} ms at {rate} req/s", flush=True)
    finally:
        just(env, "down")

    results = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "load_average_at_start": load, "stack_options": args.options, "rate": rate,
        "calibration": {"replicas": args.calibrate_at, "rps": calibration,
                        "up_seconds": round(up_seconds, 2)},
        "sizes": sizes,
    }
    print(table := markdown(results), end="")
    stamp = write_results("bench-scale", results, table)
    (RESULTS / f"bench-scale-{stamp}.svg").write_text(picture(results))
    print(f"written: results/bench-scale-{stamp}.svg")


if __name__ == "__main__":
    main()
