"""With IMAGES=nix, `just image`, `up` and `push` refuse a Nix too old for the flake, in one line, first;
with IMAGES=auto (the default) they take the local road instead, and say why in one line.

crane v0.23.4 needs Nix >= 2.31.2; Debian's nix-bin is 2.8, exactly the
machine the README's no-Nix road describes. The PATH below has no docker, so
these tests also show that the refusal comes before anything touches Docker.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from stacktool import ROOT

# The Justfile's own value: one home.
FLOOR = subprocess.run(["just", "--evaluate", "nix_floor"], cwd=ROOT, capture_output=True, text=True,
                       check=True).stdout


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def restricted_path(tmp_path, *tools: str) -> str:
    """A PATH holding only these tools (real binaries), just, and python3 (the
    Justfile reads its name defaults through scripts/stack.py)."""
    interpreter_bin = os.path.dirname(sys.executable)
    found = {"just": shutil.which("just", path=interpreter_bin) or shutil.which("just"),
             "python3": sys.executable}
    for tool in ("bash", "awk", "sort", "head", *tools):
        found[tool] = shutil.which(tool)
    for tool, path in found.items():
        assert path, f"{tool} is needed to run this test"
        (tmp_path / tool).symlink_to(path)
    return str(tmp_path)


def just(path: str, *args: str, images: str = "nix") -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": path, "IMAGES": images, "HOSTINFO_PROJECT": "hostinfo-nix-floor"}
    if images == "auto":
        del env["IMAGES"]  # the default
    return subprocess.run(["just", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False, timeout=60)


def our_lines(stderr: str) -> list[str]:
    """What the recipe said, without just's own `recipe ... failed` line."""
    return [line for line in stderr.splitlines() if line and "failed with exit code" not in line]


RECIPES = [["image"], ["up"], ["push", "registry.example.com"]]


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda recipe: recipe[0])
def test_a_nix_older_than_cranes_floor_is_refused_in_one_line_with_the_way_round(tmp_path, recipe):
    nix = shutil.which("nix")
    if nix is None:
        pytest.skip("no nix here (the missing-nix case is tested below)")
    found = subprocess.run([nix, "--version"], capture_output=True, text=True, check=True).stdout.split()[-1]
    if version_tuple(found) >= version_tuple(FLOOR):
        pytest.skip(f"this machine's Nix {found} is new enough")
    result = just(restricted_path(tmp_path, "nix"), *recipe)
    assert result.returncode != 0
    lines = our_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert f"found Nix {found}" in lines[0]
    assert f"needs Nix >= {FLOOR} with flakes" in lines[0]
    assert "IMAGES=local" in lines[0]
    assert result.stdout == "", "nothing may run before the check"


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda recipe: recipe[0])
def test_no_nix_at_all_is_named_with_the_way_round(tmp_path, recipe):
    result = just(restricted_path(tmp_path), *recipe)
    assert result.returncode != 0
    lines = our_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert "found no nix on PATH" in lines[0]
    assert f"needs Nix >= {FLOOR}" in lines[0] and "IMAGES=local" in lines[0]


def fake_nix(tmp_path, version: str) -> None:
    """A `nix` that reports VERSION and evaluates flakes."""
    nix = tmp_path / "nix"
    nix.write_text(f"""#!/bin/sh
case "$1" in --version) echo "nix (Nix) {version}" ;; *) echo true ;; esac
""")
    nix.chmod(0o755)


def road(path: str) -> tuple[str, list[str]]:
    result = just(path, "--evaluate", "road", images="auto")
    assert result.returncode == 0, result.stderr
    return result.stdout, our_lines(result.stderr)


def test_auto_without_nix_takes_the_local_road_and_says_why(tmp_path):
    taken, lines = road(restricted_path(tmp_path))
    assert taken == "local"
    assert len(lines) == 1, lines
    assert lines[0].startswith("images: local")
    assert f"needs Nix >= {FLOOR} with flakes, found no nix on PATH" in lines[0]


def test_auto_with_a_nix_older_than_the_floor_takes_the_local_road_naming_it(tmp_path):
    (tmp_path / "bin").mkdir()
    fake_nix(tmp_path / "bin", "2.8.0")
    taken, lines = road(restricted_path(tmp_path / "bin"))
    assert taken == "local"
    assert len(lines) == 1, lines
    assert "found Nix 2.8.0" in lines[0]


@pytest.mark.parametrize("version", [FLOOR, "2.34.8"])
def test_auto_with_a_nix_at_or_above_the_floor_takes_the_nix_road(tmp_path, version):
    (tmp_path / "bin").mkdir()
    fake_nix(tmp_path / "bin", version)
    taken, lines = road(restricted_path(tmp_path / "bin"))
    assert taken == "nix"
    assert lines == [f"images: nix (IMAGES=auto, and nix (Nix) {version} builds the flake)"]
