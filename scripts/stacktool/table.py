"""`just ps`: the stack's containers as a table."""
from __future__ import annotations

from stacktool.docker import address, containers, health
from stacktool.names import APP_SERVICE, LB_SERVICE


def print_table(project: str, find=containers) -> None:
    rows = [("SERVICE", "CONTAINER", "HOSTNAME", "STATE", "ADDRESS")]
    for service in (LB_SERVICE, APP_SERVICE):
        for c in find(project, service, running_only=False):
            rows.append((service, c["Name"][1:], c["Config"]["Hostname"], health(c), address(c)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
