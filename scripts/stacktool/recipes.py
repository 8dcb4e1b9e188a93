"""The Justfile's recipes run as a user runs them, from the checkout's root:
how chaos, the benchmarks and the Docker suites bring stacks up and down."""
from __future__ import annotations

import subprocess

from stacktool import ROOT


def just(*args: str, env: dict | None = None,
         timeout: float | None = None) -> subprocess.CompletedProcess:
    """`just ARGS` with `env` (default: this process's), its output captured."""
    return subprocess.run(["just", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False, timeout=timeout)


def failure(result: subprocess.CompletedProcess) -> str:
    """What a failed recipe said, to pass on."""
    return f"{' '.join(result.args)} failed:\n{result.stdout}{result.stderr}"
