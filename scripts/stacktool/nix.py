"""nix-instantiate as the recipes' scripts and the suites call it: no Nix store, only builtins.

HOSTINFO_NIX_INSTANTIATE names another nix-instantiate to run instead of the
one on PATH, such as scripts/nix-instantiate-2.34 (`just test-stack-nix-current`).
"""
from __future__ import annotations

import json
import os
import shlex
import subprocess

from stacktool import ROOT


def command() -> list[str]:
    """The nix-instantiate to run, as argv."""
    return shlex.split(os.environ.get("HOSTINFO_NIX_INSTANTIATE") or "nix-instantiate")


def instantiate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*command(), *args], cwd=ROOT, capture_output=True, text=True, check=False)


def nix_eval(*args: str) -> subprocess.CompletedProcess:
    return instantiate("--eval", "--strict", "--json", *args)


def error_line(stderr: str) -> str:
    """The error's message, in one line, from nix-instantiate's stderr.

    Nix 2.8 prints `error: <message>` first. Nix >= 2.31 prints a bare
    `error:`, then up to four trace frames (`… while calling the 'throw'
    builtin`), then the message last, indented. Warnings (Debian's nix-bin as
    root warns about the `nixbld` group on every call) never start `error:`.
    So: the last line that is `error: <something>`, stripped."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:") and line != "error:"]
    return errors[-1] if errors else (lines[-1] if lines else "no output on stderr")


class NixError(Exception):
    """An evaluation that failed; str() is its message line, .stderr all of it."""

    def __init__(self, stderr: str):
        super().__init__(error_line(stderr))
        self.stderr = stderr


def evaluated(*args: str):
    """The value `nix_eval(*args)` gives as JSON, or NixError."""
    result = nix_eval(*args)
    if result.returncode != 0:
        raise NixError(result.stderr)
    return json.loads(result.stdout)


def failure(*args: str) -> str:
    """The message line of the error `nix_eval(*args)` must give."""
    result = nix_eval(*args)
    assert result.returncode != 0, f"evaluation succeeded: {result.stdout[:200]}"
    return error_line(result.stderr)


def pure_nix_tests(path: str) -> list[str]:
    """The names of a pure Nix suite's tests (`passed`), which must all pass."""
    return evaluated(path)["passed"]


def version() -> str:
    """`nix-instantiate --version`, for the suites' report header."""
    result = instantiate("--version")
    return result.stdout.strip() if result.returncode == 0 else f"failed: {error_line(result.stderr)}"
