"""What `just push` attests about each image: a CycloneDX SBOM and where it came from.

The service's SBOM is cargo-cyclonedx's (every crate of Cargo.lock the
musl binary links, with versions and licences). nginx's lists the Debian
packages the image was unpacked from, read from the image itself
(/var/lib/dpkg/status.d, written by images/build-nginx-image), so it
describes the bits pushed, not what sid serves today.
"""
from __future__ import annotations

import io
import json
import os
import pathlib
import shutil
import subprocess
import tarfile
import tempfile
import uuid

from stacktool import ROOT, fail

# The service's target on both roads (images/build-app-image, nix/package.nix).
TARGET = "x86_64-unknown-linux-musl"
SPEC_VERSION = "1.5"
STATUS_DIR = "/var/lib/dpkg/status.d"


def output(*args: str) -> str:
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode:
        fail(f"{' '.join(args)} failed: {(result.stderr or result.stdout).strip().splitlines()[-1:]}")
    return result.stdout.strip()


def service_sbom() -> dict:
    """cargo-cyclonedx's SBOM of the hostinfo crate, for the image's target."""
    if shutil.which("cargo-cyclonedx") is None:
        fail("cargo-cyclonedx is missing: cargo install --locked cargo-cyclonedx (./setup test does)")
    with tempfile.TemporaryDirectory() as tmp:
        # It writes beside Cargo.toml: a copy of the two files it reads keeps the checkout clean.
        for name in ("Cargo.toml", "Cargo.lock"):
            shutil.copy(ROOT / name, tmp)
        (pathlib.Path(tmp) / "src").mkdir()
        (pathlib.Path(tmp) / "src" / "main.rs").write_text("fn main() {}\n")
        result = subprocess.run(
            ["cargo", "cyclonedx", "--format", "json", "--spec-version", SPEC_VERSION,
             "--target", TARGET, "--no-build-deps", "--override-filename", "sbom"],
            cwd=tmp, capture_output=True, text=True, check=False,
            env={**os.environ, "CARGO_TARGET_DIR": str(ROOT / "target")})
        if result.returncode:
            fail(f"cargo cyclonedx failed: {result.stderr.strip()}")
        return json.loads((pathlib.Path(tmp) / "sbom.json").read_text())


def control_stanzas(image: str) -> list[dict[str, str]]:
    """The control stanzas an image carries in STATUS_DIR, read without running it."""
    created = output("docker", "create", image)
    try:
        tar = subprocess.run(["docker", "cp", f"{created}:{STATUS_DIR}", "-"],
                             capture_output=True, check=False)
    finally:
        subprocess.run(["docker", "rm", created], capture_output=True, check=False)
    if tar.returncode:
        fail(f"{image} has no {STATUS_DIR}: rebuild it with images/build-nginx-image")
    stanzas = []
    with tarfile.open(fileobj=io.BytesIO(tar.stdout)) as archive:
        for member in archive.getmembers():
            if member.isfile():
                text = archive.extractfile(member).read().decode()
                stanzas.append(dict(line.split(": ", 1) for line in text.splitlines() if ": " in line))
    return sorted(stanzas, key=lambda s: s["Package"])


def debian_sbom(image: str, name: str, version: str) -> dict:
    """A CycloneDX SBOM of the Debian packages inside `image`."""
    components = [{
        "type": "library",
        "bom-ref": f"pkg:deb/debian/{s['Package']}@{s['Version']}?arch={s['Architecture']}",
        "name": s["Package"],
        "version": s["Version"],
        "purl": f"pkg:deb/debian/{s['Package']}@{s['Version']}?arch={s['Architecture']}&distro=sid",
        **({"externalReferences": [{"type": "website", "url": s["Homepage"]}]} if "Homepage" in s else {}),
    } for s in control_stanzas(image)]
    if not components:
        fail(f"{image} lists no packages in {STATUS_DIR}")
    return {
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "component": {"type": "container", "name": name, "version": version},
            "tools": {"components": [{"type": "application", "name": "hostinfo scripts/push.py"}]},
        },
        "components": components,
    }


def provenance(road: str, image: str) -> dict:
    """An SLSA v1 provenance predicate: the commit, the road, the builder's tool versions."""
    commit = output("git", "rev-parse", "HEAD")
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--"], cwd=ROOT, check=False).returncode != 0
    tools = {"cargo": output("cargo", "--version"), "rustc": output("rustc", "--version"),
             "docker": output("docker", "version", "--format", "{{.Server.Version}}")}
    tools["nix" if road == "nix" else "nix-instantiate"] = output(
        "nix" if road == "nix" else "nix-instantiate", "--version")
    return {
        "buildDefinition": {
            "buildType": f"https://github.com/hostinfo/hostinfo/road/{road}",
            "externalParameters": {"road": road, "image": image},
            "internalParameters": {"tools": tools},
            "resolvedDependencies": [{
                "uri": "git+https://github.com/hostinfo/hostinfo",
                "digest": {"gitCommit": commit},
                "annotations": {"dirty": dirty},
            }],
        },
        "runDetails": {"builder": {"id": f"https://github.com/hostinfo/hostinfo/just-push/{road}"}},
    }
