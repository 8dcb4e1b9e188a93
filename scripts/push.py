#!/usr/bin/env python3
"""Push both images to a registry and record their digests: the logic behind `just push`.

REGISTRY is host[:port][/path], checked against the pattern the `registry`
stack option is checked with (nix/options.nix). On the local road the images
Docker holds are tagged REGISTRY/name:tag and pushed with `docker push`; on
the Nix road the flake app (`nix run .#push`) streams them with skopeo,
without a Docker daemon. Credentials come from where docker and skopeo look
for them (Docker's config.json; skopeo's REGISTRY_AUTH_FILE or auth.json),
never from an argument, which `ps` would show.

Each pushed manifest is then signed by digest with cosign, and gets two
signed attestations: its CycloneDX SBOM and an SLSA provenance (the commit,
the road, the tool versions). The key comes from COSIGN_KEY or the file
HOSTINFO_SIGNING_KEY names, never from an argument (stacktool/sign.py).

The digests file is written once both images are in the registry and signed,
and atomically: a push that fails half-way leaves no file saying both were pushed.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

from stacktool import ROOT, fail, sbom, sign
from stacktool.nix import NixError, evaluated

DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def nix_value(expression: str):
    try:
        return evaluated("-E", expression)
    except NixError as error:
        fail(f"nix-instantiate failed: {error}")


def image_names() -> list[tuple[str, str]]:
    """(name, tag) of the service image and the nginx image, from nix/images.nix."""
    found = nix_value("let i = import ./nix/images.nix { }; in map (x: [ x.name x.tag ]) [ i.app i.lb ]")
    return [(name, tag) for name, tag in found]


def check_registry(registry: str) -> None:
    """One line naming what is wrong with REGISTRY or the signing set-up, before anything is pushed."""
    # POSIX extended syntax, which Python's re reads the same way here.
    pattern = nix_value("(import ./nix/options.nix).registryPattern")
    if not re.fullmatch(pattern, registry):
        fail(f"REGISTRY must be host[:port][/path], such as registry.example.com or "
             f"127.0.0.1:5000/hostinfo (the host needs a dot, a port or the name localhost; "
             f"the path is lower-case), got {registry!r}")
    sign.cosign()
    sign.signing_key()


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def push_with_docker(registry: str, images: list[tuple[str, str]]) -> dict[str, str]:
    """`docker push` of each image Docker holds: {name: digest}."""
    digests = {}
    for name, tag in images:
        local, remote = f"{name}:{tag}", f"{registry}/{name}:{tag}"
        if subprocess.run(["docker", "image", "inspect", local],
                          capture_output=True, check=False).returncode:
            fail(f"no image {local} in Docker to push: build it first (IMAGES=local just image)")
        subprocess.run(["docker", "tag", local, remote], capture_output=True, check=True)
        pushed = subprocess.run(["docker", "push", remote], capture_output=True, text=True, check=False)
        if pushed.returncode:
            fail(f"pushing {local} to {registry} failed: {last_line(pushed.stderr or pushed.stdout)}")
        # The digest the registry answered, as Docker recorded it.
        said = re.search(rf"digest: ({DIGEST.pattern})", pushed.stdout)
        recorded = json.loads(subprocess.run(
            ["docker", "image", "inspect", "--format", "{{json .RepoDigests}}", remote],
            capture_output=True, text=True, check=True).stdout)
        if not said or f"{registry}/{name}@{said.group(1)}" not in recorded:
            fail(f"pushed {remote}, but docker named no digest that `docker inspect` "
                 f"confirms (push said: {last_line(pushed.stdout)})")
        digests[name] = said.group(1)
    return digests


def push_with_nix(registry: str) -> dict[str, str]:
    """The flake app: skopeo copies each image stream, and it prints the digests as JSON."""
    if shutil.which("nix") is None:
        fail("nix is missing: install Nix (https://nixos.org/download), or push without it: "
             "IMAGES=local just push REGISTRY")
    app = subprocess.run(["nix", "--extra-experimental-features", "nix-command flakes",
                          "run", ".#push", "--", registry],
                         cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    if app.returncode:
        sys.exit(app.returncode)  # the app said why, in one line on stderr
    pushed = json.loads(app.stdout)
    if pushed.get("registry") != registry:
        fail(f"nix run .#push answered for {pushed.get('registry')!r}, not {registry!r}")
    return pushed["digests"]


def write_digests(path: pathlib.Path, registry: str, digests: dict[str, str]) -> None:
    """Replace `path` in one step: readers see the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.",
                                     delete=False) as new:
        json.dump({"registry": registry, "digests": digests}, new, indent=2, sort_keys=True)
        new.write("\n")
        new.flush()
        os.fsync(new.fileno())
    os.replace(new.name, path)


def push(registry: str, road: str, digests_file: pathlib.Path,
         images: list[tuple[str, str]] | None = None) -> dict[str, str]:
    check_registry(registry)
    images = images or image_names()
    digests = push_with_docker(registry, images) if road == "local" else push_with_nix(registry)
    missing = [name for name, _ in images if not DIGEST.fullmatch(digests.get(name, ""))]
    if missing:
        fail(f"no digest for {', '.join(missing)}: nothing written to {digests_file}")
    for (name, tag), kind in zip(images, ("app", "lb")):
        describe(f"{registry}/{name}@{digests[name]}", kind, road, f"{name}:{tag}")
    write_digests(digests_file, registry, digests)
    return digests


def describe(reference: str, kind: str, road: str, local: str) -> None:
    """Sign the pushed manifest, then attest its SBOM and its provenance."""
    sign.sign(reference)
    if kind == "app":
        sign.attest(reference, "cyclonedx", sbom.service_sbom())
    elif road == "local":
        name, version = local.split(":")
        sign.attest(reference, "cyclonedx", sbom.debian_sbom(local, name, version))
    else:
        print(f"warning: no SBOM attested for {reference}: on the Nix road nginx's closure "
              f"is not listed yet (docs/supply-chain.md)", file=sys.stderr)
    sign.attest(reference, "slsaprovenance1", sbom.provenance(road, local))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("registry", help="host[:port][/path], e.g. 127.0.0.1:5000/hostinfo")
    parser.add_argument("--images", choices=["local", "nix"], default="nix",
                        help="the road the images take (IMAGES)")
    parser.add_argument("--digests", type=pathlib.Path, default=ROOT / ".stack" / "digests.json",
                        help="where the digests are written")
    parser.add_argument("--check", action="store_true", help="only check REGISTRY")
    args = parser.parse_args()
    if args.check:
        check_registry(args.registry)
        return
    digests = push(args.registry, args.images, args.digests)
    for name, digest in digests.items():
        print(f"{args.registry}/{name}@{digest}")
    print(f"signed, with SBOM and provenance attestations; digests written to {args.digests}")


if __name__ == "__main__":
    main()
