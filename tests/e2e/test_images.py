"""The local images themselves: the binary the Nix road ships, and nginx that stays in the foreground.

The images are the ones `just up` built for the session's stack (conftest.py),
taken by the names its containers run.
"""
from __future__ import annotations

import subprocess
import time
import uuid

from stacktool.docker import docker, docker_inspect
from stacktool.http import get, wait_for
from stacktool.ports import free_port


def readelf(option: str, path) -> str:
    return subprocess.run(["readelf", option, str(path)], capture_output=True, text=True,
                          check=True).stdout


def test_the_service_image_holds_a_static_pie_musl_binary_with_mimalloc_that_answers(
        running_stack, tmp_path):
    image = running_stack.replicas()[0]["Config"]["Image"]
    binary = tmp_path / "hostinfo"
    container = docker("create", image).strip()
    try:
        docker("cp", f"{container}:/bin/hostinfo", str(binary))
    finally:
        docker("rm", container)

    # static-pie: a position-independent executable that asks for no loader
    # and no shared library, so it runs in an image with no libc.
    assert "DYN (Position-Independent Executable file)" in readelf("-h", binary)
    assert "INTERP" not in readelf("-l", binary)
    assert "(NEEDED)" not in readelf("-d", binary)
    contents = binary.read_bytes()
    # musl's strerror text for an unknown error; glibc says "Unknown error"
    # and carries its GLIBC_ version strings.
    assert b"No error information" in contents
    assert b"GLIBC_" not in contents
    assert b"mimalloc: " in contents, "mimalloc is not the allocator"

    port = free_port()
    server = subprocess.Popen([str(binary)], env={"HOSTINFO_LISTEN": f"127.0.0.1:{port}"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/health", 5)
        status, body, _ = get(f"http://127.0.0.1:{port}/info")
        assert status == 200 and b'"hostname"' in body
    finally:
        server.terminate()
        assert server.wait(timeout=10) == 0


# An ordinary nginx.conf, as a user would mount one: no `daemon` directive.
MINIMAL_CONF = """\
pid /tmp/nginx.pid;
events {}
http {
    client_body_temp_path /tmp/client_body;
    proxy_temp_path /tmp/proxy;
    fastcgi_temp_path /tmp/fastcgi;
    uwsgi_temp_path /tmp/uwsgi;
    scgi_temp_path /tmp/scgi;
    access_log off;
    server {
        listen 8080;
        location / { return 200 "minimal\\n"; }
    }
}
"""


def test_the_nginx_image_stays_in_the_foreground_with_a_config_that_does_not_say_daemon_off(
        running_stack, tmp_path):
    image = running_stack.nginx()["Config"]["Image"]
    conf = tmp_path / "nginx.conf"
    conf.write_text(MINIMAL_CONF)
    assert "daemon" not in MINIMAL_CONF
    port = free_port()
    name = f"hostinfo-minimal-nginx-{uuid.uuid4().hex[:8]}"
    docker("run", "-d", "--name", name, "--read-only", "--tmpfs", "/tmp",
           "-p", f"127.0.0.1:{port}:8080", "-v", f"{conf}:/etc/nginx/nginx.conf:ro", image)
    try:
        minimal = (200, b"minimal\n")
        wait_for(f"http://127.0.0.1:{port}/", 10, accept=lambda answer: answer[:2] == minimal)
        # A daemonised nginx exits at once with status 0; still up and still
        # answering a moment later is the foreground.
        time.sleep(1)
        state = docker_inspect(name)["State"]
        assert state["Running"] is True, f"nginx exited with status {state['ExitCode']}"
        assert get(f"http://127.0.0.1:{port}/")[:2] == minimal
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
