"""The service image's own measures for `just bench`: sizes and start to healthy."""
from __future__ import annotations

import datetime
import gzip
import io
import os
import statistics
import subprocess
import tarfile
import time

from stacktool.docker import docker, docker_inspect
from stacktool.http import wait_for
from stacktool.ports import free_port


def image_sizes(image: str) -> dict:
    save = subprocess.run(["docker", "save", image], capture_output=True, check=True).stdout
    return {"bytes": int(docker("image", "inspect", "-f", "{{.Size}}", image)),
            "gzip_bytes": len(gzip.compress(save, 9))}


def image_binary(image: str, binary: str) -> bytes:
    """The binary as it stands in the image, whichever road built it."""
    container = docker("create", image).strip()
    try:
        tar = subprocess.run(["docker", "cp", "-L", f"{container}:{binary}", "-"],
                             capture_output=True, check=True).stdout
    finally:
        docker("rm", container)
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        return archive.extractfile(archive.getmembers()[0]).read()


def binary_sizes(image: str, binary: str) -> dict:
    data = image_binary(image, binary)
    return {"bytes": len(data), "gzip_bytes": len(gzip.compress(data, 9))}


def copy_binary(image: str, binary: str, directory: str) -> str:
    """The image's static binary, written to `directory` to run on the host."""
    path = os.path.join(directory, os.path.basename(binary))
    with open(path, "wb") as out:
        out.write(image_binary(image, binary))
    os.chmod(path, 0o755)
    return path


def start_to_healthy(image: str, runs: int) -> dict:
    """Median over `runs`: `docker run` issued → first 200 on /health, and the
    container's own start time → that same 200."""
    from_run, from_start = [], []
    for _ in range(runs):
        port = free_port()
        issued = time.time()
        container = docker("run", "-d", "--rm", "--read-only", "--cap-drop", "ALL",
                           "-p", f"127.0.0.1:{port}:8000", image).strip()
        try:
            wait_for(f"http://127.0.0.1:{port}/health", 10, interval=0.001)
            answered = time.time()
            started = docker_inspect(container)["State"]["StartedAt"]
            started_at = datetime.datetime.fromisoformat(started[:26].rstrip("Z") + "+00:00")
            from_run.append(answered - issued)
            from_start.append(answered - started_at.timestamp())
        finally:
            docker("rm", "-f", container)
    return {"docker_run_to_200_ms": round(statistics.median(from_run) * 1000, 1),
            "process_start_to_200_ms": round(statistics.median(from_start) * 1000, 1),
            "runs": runs}
