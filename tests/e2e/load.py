"""A steady, bounded load through nginx that records every answer."""
from __future__ import annotations

import collections
import http.client
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Outcome:
    statuses: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    @property
    def failures(self) -> int:
        return sum(1 for s in self.statuses if not 200 <= s < 300)

    @property
    def slowest(self) -> float:
        return max(self.latencies, default=0.0)

    def summary(self) -> str:
        failed = collections.Counter(s for s in self.statuses if not 200 <= s < 300)
        shown = ", ".join(f"{status or 'no answer'}: {n}" for status, n in sorted(failed.items()))
        return (f"{len(self.statuses)} requests, {self.failures} failed"
                f"{f' ({shown})' if shown else ''}, slowest {self.slowest * 1000:.0f} ms")


class Load:
    """`workers` clients sending GET /info back to back, each with keep-alive,
    until stopped, `max_requests` in all, or `max_seconds`: whichever first."""

    def __init__(self, port: int, workers: int = 4, max_requests: int = 20_000,
                 max_seconds: float = 60.0, pause: float = 0.005):
        self.port, self.workers, self.pause = port, workers, pause
        self.max_requests, self.max_seconds = max_requests, max_seconds
        self.outcome = Outcome()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(workers)]

    def __enter__(self) -> "Load":
        self._deadline = time.monotonic() + self.max_seconds
        for thread in self._threads:
            thread.start()
        time.sleep(0.5)  # the load is steady before anything happens to the stack
        return self

    def __exit__(self, *exc) -> None:
        time.sleep(0.5)
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)

    def _record(self, status: int, latency: float) -> bool:
        with self._lock:
            self.outcome.statuses.append(status)
            self.outcome.latencies.append(latency)
            return len(self.outcome.statuses) < self.max_requests

    def _run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            started = time.monotonic()
            try:
                connection.request("GET", "/info")
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
                connection.close()
            if not self._record(status, time.monotonic() - started):
                break
            time.sleep(self.pause)
        connection.close()
