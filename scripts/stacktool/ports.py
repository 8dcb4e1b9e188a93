"""Ports on this machine: a free one for a stack, test or benchmark of its
own, and whether one is taken. `scripts/stack.py free-port` prints a free one."""
from __future__ import annotations

import socket


def free_port(address: str = "127.0.0.1") -> int:
    """A port nothing listens on now (the kernel's pick for port 0)."""
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts connections on `port`."""
    with socket.socket() as probe:
        return probe.connect_ex((host, port)) == 0

