"""nix-instantiate as the stack suites call it: no Nix store, only builtins."""
from __future__ import annotations

import json
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]


def nix_eval(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["nix-instantiate", "--eval", "--strict", "--json", *args],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )


def evaluated(*args: str):
    """The value `nix_eval(*args)` gives as JSON; the evaluation must succeed."""
    result = nix_eval(*args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def pure_nix_tests(path: str) -> list[str]:
    """The names of a pure Nix suite's tests (`passed`), which must all pass."""
    return evaluated(path)["passed"]


def first_error_line(*args: str) -> str:
    """The first line of the error `nix_eval(*args)` gives; the evaluation must fail.

    Nix's own warnings come first and are passed over: Debian's nix-bin run
    as root without a `nixbld` group warns about it on every call."""
    result = nix_eval(*args)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    return next((line for line in lines if not line.startswith("warning:")), lines[0])
