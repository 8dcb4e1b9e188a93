"""nginx's own view of a `just bench` run, from its access log: where a
request's time goes between nginx and the replica."""
from __future__ import annotations

import datetime
import re
import statistics
import subprocess

# nginx's access log line (nginx.conf's `upstream` format): its own time and the replica's.
LOG_TIMES = re.compile(r"^\S+ \[([^]\s]+)\] \"GET /info [^\"]*\" 200 .* rt=([\d.]+) .* response=([\d.]+)$")


def nginx_legs(lb_container: str, start: float, end: float) -> list[tuple[float, float]]:
    """($request_time, $upstream_response_time) in ms of each /info nginx logged
    within [start, end]. Read right after the run: Docker's log rotation
    (max-size) may drop a busy run's lines soon after."""
    logs = subprocess.run(["docker", "logs", "--since", f"{start:.3f}", lb_container],
                          capture_output=True, text=True, check=True).stdout
    legs = []
    for match in filter(None, map(LOG_TIMES.match, logs.splitlines())):
        when = datetime.datetime.fromisoformat(match[1]).timestamp()
        # Whole seconds in the log: keep the seconds wholly inside the run.
        if start + 1 <= when <= end - 1:
            legs.append((float(match[2]) * 1000, float(match[3]) * 1000))
    return legs


def nginx_times(legs: list[tuple[float, float]]) -> dict:
    """Where a request's time goes, as nginx saw it: $request_time (nginx's
    whole part) against $upstream_response_time (the replica's, network
    included). The rest of a client's latency is outside nginx: Docker's
    proxy, the client, waiting for a core."""
    if len(legs) < 2:
        return {"requests": len(legs)}
    q = lambda values, p: round(statistics.quantiles(values, n=1000)[p - 1], 1)  # noqa: E731
    summary = lambda values: {"p50": q(values, 500), "p99": q(values, 990),  # noqa: E731
                              "p99.9": q(values, 999)}
    return {"requests": len(legs),
            "request_time_ms": summary([r for r, _ in legs]),
            "upstream_response_time_ms": summary([u for _, u in legs])}
