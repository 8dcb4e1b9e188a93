"""The stack on a real Docker engine, with real nginx and real requests.

The tests run in order against one stack (conftest.py) and each leaves it
serving: distribution first, at five replicas, then failures, scaling,
bad input, the security posture, and last `just down`.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from harness import raw_request, served_by, wait_until
from stacktool import ROOT
from stacktool.docker import docker, docker_inspect, health
from stacktool.load import Load
from stacktool.nix import evaluated


def answers_from(running_stack, hostname: str, attempts: int = 50) -> bool:
    return hostname in served_by(running_stack, attempts)


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/") else 0


def test_requests_are_spread_evenly_over_all_five_replicas(running_stack):
    hostnames = served_by(running_stack, 100)
    replicas = {c["Config"]["Hostname"] for c in running_stack.replicas()}
    print(f"100 requests over 5 replicas: {dict(sorted(hostnames.items()))}")
    assert set(hostnames) == replicas and len(replicas) == 5
    assert all(15 <= served <= 25 for served in hostnames.values()), hostnames


def test_a_second_up_changes_nothing(running_stack):
    before = {c["Id"] for c in running_stack.replicas()} | {running_stack.nginx()["Id"]}
    running_stack.just("up", "5")
    after = {c["Id"] for c in running_stack.replicas()} | {running_stack.nginx()["Id"]}
    assert before == after


def test_the_rendered_nginx_conf_passes_nginx_t_in_the_nginx_image(running_stack):
    conf = f"{ROOT}/.stack/{running_stack.project}/nginx.conf"
    image = running_stack.nginx()["Config"]["Image"]
    result = subprocess.run(
        ["docker", "run", "--rm", "--read-only", "--tmpfs", "/tmp", "--network", "none",
         "-v", f"{conf}:/etc/nginx/nginx.conf:ro", image, "-t"],
        capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_a_crashed_replica_costs_no_request_and_rejoins_after_its_restart(running_stack):
    victim = running_stack.replicas()[0]
    hostname = victim["Config"]["Hostname"]
    with Load(running_stack.port) as load:
        os.kill(victim["State"]["Pid"], signal.SIGKILL)  # a crash, which the restart policy answers
        wait_until(lambda: health(docker_inspect(victim["Id"])) == "healthy",
                   30, f"{victim['Name']} restarted and healthy")
        restarts = docker_inspect(victim["Id"])["RestartCount"]
        wait_until(lambda: answers_from(running_stack, hostname), 20, f"{hostname} serving again")
    print(f"kill -9 of one replica: {load.outcome.summary()}, restarts {restarts}")
    assert restarts >= 1
    assert load.outcome.failures == 0


def test_a_hung_replica_costs_no_request_and_no_request_waits_3_seconds(running_stack):
    victim = running_stack.replicas()[1]
    hostname = victim["Config"]["Hostname"]
    with Load(running_stack.port) as load:
        docker("pause", victim["Id"])
        try:
            time.sleep(8)
        finally:
            docker("unpause", victim["Id"])
        wait_until(lambda: answers_from(running_stack, hostname), 20, f"{hostname} serving again")
        wait_until(lambda: health(docker_inspect(victim["Id"])) == "healthy",
                   20, f"{victim['Name']} healthy again")
    print(f"one replica paused 8 s: {load.outcome.summary()}")
    assert load.outcome.failures == 0
    assert load.outcome.slowest < 3.0


def test_scaling_out_is_followed_by_nginx_without_a_reload(running_stack):
    nginx_pid = running_stack.nginx()["State"]["Pid"]
    started = time.monotonic()
    running_stack.just("scale", "8")
    wait_until(lambda: len(served_by(running_stack, 80)) == 8, 15,
               "8 distinct hostnames through nginx")
    took = time.monotonic() - started
    print(f"scale 5 -> 8: 8 replicas answering {took:.1f}s after `just scale 8` began")
    assert took < 15
    # The same nginx process, never told to reload: DNS alone brought them in.
    assert running_stack.nginx()["State"]["Pid"] == nginx_pid
    logs = subprocess.run(["docker", "logs", running_stack.nginx()["Id"]],
                          capture_output=True, text=True, check=True)
    assert "reconfiguring" not in logs.stdout + logs.stderr


def test_scaling_in_under_load_costs_no_request(running_stack):
    with Load(running_stack.port) as load:
        running_stack.just("scale", "3")
    print(f"scale 8 -> 3 under load: {load.outcome.summary()}")
    assert load.outcome.failures == 0
    assert len(served_by(running_stack, 30)) == 3


def test_a_rolling_restart_under_load_costs_no_request(running_stack):
    with Load(running_stack.port, max_seconds=120) as load:
        for replica in running_stack.replicas():
            docker("restart", replica["Id"])
            wait_until(lambda: health(docker_inspect(replica["Id"])) == "healthy",
                       30, f"{replica['Name']} healthy after restart")
    print(f"rolling restart of 3 replicas: {load.outcome.summary()}")
    assert load.outcome.failures == 0
    wait_until(lambda: len(served_by(running_stack, 30)) == 3, 20, "all 3 replicas serving again")


@pytest.mark.parametrize(
    ("case", "payload"),
    [
        ("malformed request line", b"G\x01T /info HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("malformed request target", b"GET info HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("64 KiB header", b"GET /info HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n"),
        ("1,000 headers", b"GET /info HTTP/1.1\r\nHost: x\r\n"
         + b"".join(b"X-H%d: v\r\n" % i for i in range(1000)) + b"\r\n"),
        ("huge body", b"POST /info HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n"
         + b"a" * 65536),
    ],
)
def test_bad_input_gets_a_4xx_and_leaves_every_replica_healthy(running_stack, case, payload):
    response = raw_request(running_stack.port, payload)
    status = status_of(response)
    print(f"{case}: {status}")
    assert 400 <= status < 500
    # nginx's own errors come in the replicas' JSON shape, never as HTML.
    body = json.loads(response.split(b"\r\n\r\n", 1)[1])
    assert body["error"]["status"] == status
    assert all(health(c) == "healthy" for c in running_stack.replicas())
    assert len(served_by(running_stack, 30)) == len(running_stack.replicas())


def test_the_local_images_carry_the_config_the_nix_images_get(running_stack):
    expected = evaluated("-E", "import ./nix/image-config.nix { }")
    for name, container in (("app", running_stack.replicas()[0]), ("lb", running_stack.nginx())):
        image = docker_inspect(container["Image"])["Config"]
        for key, value in expected[name].items():
            if key == "Env":  # Docker's legacy builder adds PATH to every image
                assert set(value) <= set(image["Env"])
            elif key == "Labels":  # the revision label exists only for a clean checkout
                image_labels = {k: v for k, v in image["Labels"].items() if not k.endswith(".revision")}
                assert image_labels == value
            else:
                assert image[key] == value, f"{name}: {key}"


def test_replicas_run_as_nobody_read_only_without_capabilities_or_ports(running_stack):
    for replica in running_stack.replicas():
        host = replica["HostConfig"]
        assert replica["Config"]["User"] == "65534:65534"
        assert host["ReadonlyRootfs"] is True
        assert host["CapDrop"] == ["ALL"] and not host["CapAdd"]
        assert "no-new-privileges:true" in host["SecurityOpt"]
        assert not host["PortBindings"]
        assert not any(replica["NetworkSettings"]["Ports"].values())
    nginx = running_stack.nginx()
    assert nginx["Config"]["User"] == "65534:65534"
    assert nginx["HostConfig"]["ReadonlyRootfs"] is True
    assert nginx["HostConfig"]["CapDrop"] == ["ALL"]
    assert nginx["HostConfig"]["PortBindings"] == {
        "8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(running_stack.port)}]}


def test_down_leaves_no_container_network_or_rendered_file(running_stack):
    running_stack.just("down")
    label = f"label=com.docker.compose.project={running_stack.project}"
    assert docker("ps", "--all", "--quiet", "--filter", label).split() == []
    assert docker("network", "ls", "--quiet", "--filter", label).split() == []
    assert not (ROOT / ".stack" / running_stack.project).exists()
