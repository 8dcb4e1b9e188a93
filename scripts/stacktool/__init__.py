"""Operate a hostinfo stack: what `just up`, `ps`, `smoke`, `swarm-up` and the
tests and benchmarks share, one module per concern.

Standard library only, so it runs wherever docker and python3 do; the
recipes call it through scripts/stack.py, the tests and benchmarks import it,
so both find replicas, wait for them and count who answered the same way.
"""
from __future__ import annotations

import pathlib
import sys
from typing import NoReturn

ROOT = pathlib.Path(__file__).resolve().parents[2]


def fail(message: str) -> NoReturn:
    """One line on stderr saying what is wrong, and exit 1: what every recipe does."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)
