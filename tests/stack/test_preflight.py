"""`just up` says in one line what is missing, before anything starts."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys

from stacktool import ROOT


def preflight(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["just", "preflight"], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)


def test_a_port_taken_by_something_else_is_named_with_a_way_out():
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        result = preflight({**os.environ, "HOSTINFO_PROJECT": "hostinfo-preflight",
                            "HOSTINFO_PORT": str(port)})
    assert result.returncode != 0
    assert f"error: port {port} is taken by something other than this stack" in result.stderr
    assert "HOSTINFO_PORT=" in result.stderr


def test_a_missing_nix_instantiate_is_named_with_how_to_get_it(tmp_path):
    # A PATH with everything preflight needs except nix-instantiate; real
    # binaries, not pyenv's shims, which need more of PATH.
    interpreter_bin = os.path.dirname(sys.executable)
    tools = {"python3": sys.executable,
             "just": shutil.which("just", path=interpreter_bin) or shutil.which("just")}
    for tool in ("bash", "docker"):
        tools[tool] = shutil.which(tool)
    for tool, found in tools.items():
        if found:
            (tmp_path / tool).symlink_to(found)
    result = preflight({**os.environ, "PATH": str(tmp_path), "HOSTINFO_PORT": "1"})
    assert result.returncode != 0
    assert "nix-instantiate is missing" in result.stderr
    assert "apt-get install nix-bin" in result.stderr


def test_an_unreachable_docker_daemon_is_named():
    result = preflight({**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock",
                        "HOSTINFO_PORT": "1"})
    assert result.returncode != 0
    assert "the Docker daemon is not running or not reachable" in result.stderr
