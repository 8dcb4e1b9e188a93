"""The one HTTP client of the scripts and tests: a single request, or a
keep-alive connection for a steady load. Failures are answers too: status 0
means nothing answered (refused, reset, timed out)."""
from __future__ import annotations

import http.client
import time
import urllib.parse
from typing import NamedTuple


class Answer(NamedTuple):
    status: int  # 0: nothing answered
    body: bytes
    headers: dict[str, str]


NO_ANSWER = Answer(0, b"", {})


def exchange(connection: http.client.HTTPConnection, method: str, target: str,
             headers: dict | None = None) -> Answer:
    """One request on `connection`, which is closed if it failed (and
    reconnects by itself on the next request)."""
    try:
        connection.request(method, target, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, response.read(), dict(response.headers))
    except (OSError, http.client.HTTPException):
        connection.close()
        return NO_ANSWER


def request(url: str, method: str = "GET", headers: dict | None = None,
            timeout: float = 2.0) -> Answer:
    """One request on a connection of its own: no proxy, no redirect followed."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        target = parts.path or "/"
        return exchange(connection, method, f"{target}?{parts.query}" if parts.query else target,
                        headers)
    finally:
        connection.close()


def get(url: str, timeout: float = 2.0) -> Answer:
    return request(url, timeout=timeout)


def local(port: int, path: str = "/info") -> str:
    """The URL of `path` on loopback at `port`: where a stack publishes."""
    return f"http://127.0.0.1:{port}{path}"


def wait_for(url: str, timeout: float, accept=lambda answer: answer.status == 200,
             interval: float = 0.05) -> Answer:
    """Until `url` gives an answer that `accept` takes (by default, any 200);
    TimeoutError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not accept(answer := request(url, timeout=min(1.0, timeout))):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} gave no answer that would do within {timeout:g}s "
                               f"(last: {answer.status or 'nothing'})")
        time.sleep(interval)
    return answer
