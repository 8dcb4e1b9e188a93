"""/openapi.json against the service itself: the document is valid OpenAPI
3.1 (openapi-spec-validator), and real answers of every route, good and bad,
match it (openapi-core). The real binary serves on a free loopback port."""
from __future__ import annotations

import json
import os
import pathlib
import queue
import subprocess
import threading

import jsonschema
import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.validation.response.exceptions import InvalidData
from openapi_spec_validator import validate

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def base_url():
    subprocess.run(["cargo", "build", "--locked", "--quiet", "--bin", "hostinfo"],
                   cwd=ROOT, check=True)
    env = {**os.environ, "HOSTINFO_LISTEN": "127.0.0.1:0", "HOSTINFO_WORKERS": "1",
           "RUST_LOG": "info"}
    server = subprocess.Popen([ROOT / "target" / "debug" / "hostinfo"], env=env,
                              stderr=subprocess.PIPE, text=True)
    found: queue.Queue[str] = queue.Queue()

    def read_log() -> None:  # and keep draining it, so the server never blocks
        for line in server.stderr:
            if "listening on http://" in line:
                found.put(line.split("listening on ")[1].split()[0])

    threading.Thread(target=read_log, daemon=True).start()
    try:
        yield found.get(timeout=10)
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def document(base_url):
    response = requests.get(f"{base_url}/openapi.json", timeout=5)
    assert response.status_code == 200
    return response.json()


def test_the_document_is_valid_openapi_3_1(document):
    validate(document)  # raises, naming what is wrong
    assert document["openapi"].startswith("3.1")


# What the readiness switches require (src/routes/ready.rs).
SWITCH = {"X-Hostinfo-Switch": "1"}

# Every route, each answer it can give that a test can provoke.
EXCHANGES = [
    ("GET", "/", 200),
    ("GET", "/info", 200),
    ("GET", "/info?wait=1ms&fail=0", 200),
    ("GET", "/info?fail=1", 500),
    ("GET", "/info?fail=1.5", 400),
    ("GET", "/info?wait=1h", 400),
    ("POST", "/info", 405),
    ("GET", "/health", 200),
    ("GET", "/ready", 200),
    ("POST", "/ready/disable", 403),
    ("POST", "/ready/disable", 202, SWITCH),
    ("GET", "/ready", 503),
    ("POST", "/ready/enable", 202, SWITCH),
    ("GET", "/ready/enable", 405),
    ("GET", "/metrics", 200),
    ("GET", "/status/200", 200),
    ("GET", "/status/204", 204),
    ("GET", "/status/302", 302),
    ("GET", "/status/418", 418),
    ("GET", "/status/503", 503),
    ("GET", "/status/600", 400),
    ("GET", "/openapi.json", 200),
    ("GET", "/no-such-path", 404),
]


def test_every_answer_of_every_route_matches_the_document(base_url, document):
    openapi = OpenAPI.from_dict(document)
    documented = {path for path in document["paths"]}
    exercised = set()
    for method, path, status, *headers in EXCHANGES:  # in order: the readiness cases depend on it
        response = requests.request(method, base_url + path, headers=dict(*headers), timeout=5,
                                    allow_redirects=False)
        assert response.status_code == status, f"{method} {path}: {response.text}"
        if status in (404, 405):  # no operation to match: the document's Error shape
            jsonschema.validate(response.json(), document["components"]["schemas"]["Error"])
            continue
        request = RequestsOpenAPIRequest(response.request)
        openapi.validate_response(request, RequestsOpenAPIResponse(response))
        exercised.add(openapi_path(path))
    assert exercised == documented


def test_head_is_documented_wherever_get_is(document):
    for path, operations in document["paths"].items():
        if "get" in operations:
            assert "head" in operations, path


def openapi_path(path: str) -> str:
    path = path.split("?")[0]
    return "/status/{code}" if path.startswith("/status/") else path


def test_a_response_that_breaks_the_document_is_caught(base_url, document):
    """The validation above can fail: a body with an undocumented key does."""
    openapi = OpenAPI.from_dict(document)
    response = requests.get(f"{base_url}/health", timeout=5)
    response._content = json.dumps({"status": "ok", "extra": 1}).encode()
    with pytest.raises(InvalidData):
        openapi.validate_response(RequestsOpenAPIRequest(response.request),
                                  RequestsOpenAPIResponse(response))
