"""A steady, bounded load through nginx that records every answer: what
`just chaos` and the Docker suites run while they hurt the stack."""
from __future__ import annotations

import collections
import http.client
import threading
import time
from dataclasses import dataclass, field

from stacktool.http import exchange


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

    def failed(self) -> str:
        """The failures by status, e.g. ` (502: 3, no answer: 1)`; "" when none failed."""
        failed = collections.Counter(s for s in self.statuses if not 200 <= s < 300)
        shown = ", ".join(f"{status or 'no answer'}: {n}" for status, n in sorted(failed.items()))
        return f" ({shown})" if shown else ""

    def summary(self) -> str:
        return (f"{len(self.statuses)} requests, {self.failures} failed{self.failed()}, "
                f"slowest {self.slowest * 1000:.0f} ms")


class Load:
    """`workers` keep-alive clients sending GET /info, `pause` s apart each,
    until stopped, `max_requests` in all, or `max_seconds`: whichever first.
    It runs `settle` s before the block's body and after it, so that what the
    body does to the stack happens under a steady load."""

    def __init__(self, port: int, workers: int = 4, max_requests: int = 20_000,
                 max_seconds: float = 60.0, pause: float = 0.005, settle: float = 0.5):
        self.port, self.pause, self.settle = port, pause, settle
        self.max_requests, self.max_seconds = max_requests, max_seconds
        self.outcome = Outcome()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(workers)]

    def __enter__(self) -> Load:
        self._deadline = time.monotonic() + self.max_seconds
        for thread in self._threads:
            thread.start()
        time.sleep(self.settle)
        return self

    def __exit__(self, *exc) -> None:
        time.sleep(self.settle)
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
            status = exchange(connection, "GET", "/info").status
            if not self._record(status, time.monotonic() - started):
                break
            self._stop.wait(self.pause)
        connection.close()
