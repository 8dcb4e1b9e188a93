"""./setup, the README's first run without Nix: where it cannot install what
is missing, it names all of it in one line and installs nothing."""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

from stacktool import ROOT


def setup(tmp_path, mode: str, *tools: str, user: int | None = None) -> subprocess.CompletedProcess:
    """./setup MODE with a PATH of only these tools, as root or as USER."""
    path = tmp_path / "bin"
    path.mkdir()
    for tool in ("bash", "sort", "head", "awk", "grep", "sed", "mktemp", "cat", "dirname", "env", *tools):
        (path / tool).symlink_to(shutil.which(tool))
    command = [str(ROOT / "setup"), mode]
    if user is not None:
        command = [shutil.which("setpriv"), f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
    return subprocess.run(command, env={"PATH": str(path), "HOME": str(tmp_path / "home")},
                          capture_output=True, text=True, check=False, timeout=60)


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root to drop to nobody")
def test_without_root_or_sudo_it_names_the_apt_packages_in_one_line_and_installs_nothing():
    # Somewhere nobody can reach (pytest's tmp_path is root's alone).
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = pathlib.Path(tmp)
        tmp_path.chmod(0o755)
        result = setup(tmp_path, "up", "docker", "apt-get", user=65534)
        home_made = (tmp_path / "home").exists()
    assert result.returncode != 0
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("setup: cannot install what is missing, so nothing was installed")
    assert "as root (no sudo here): apt-get install" in line
    for package in ("jq", "nix-bin", "musl-tools", "binutils"):
        assert f" {package}" in line
    assert not home_made, "nothing may be installed"


def test_without_apt_or_docker_it_names_both_and_installs_nothing(tmp_path):
    result = setup(tmp_path, "test")
    assert result.returncode != 0
    (line,) = result.stderr.splitlines()
    assert "Docker (" in line
    assert "with your package manager (no apt-get here):" in line
    for package in ("jq", "chromium", "chromium-driver", "skopeo"):
        assert f" {package}" in line
    assert not (tmp_path / "home").exists(), "nothing may be installed"


def test_an_unknown_mode_is_refused_with_the_usage():
    result = subprocess.run([str(ROOT / "setup"), "install"], capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert result.stderr.strip() == "setup: usage: ./setup up [REPLICAS] | ./setup test"
