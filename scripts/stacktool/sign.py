"""cosign, as `just push` signs and attests and `just up` / `swarm-up` verify.

Signatures are made with a key pair and no transparency log (Rekor needs the
internet, and this is a private pair): `cosign sign` with
`--use-signing-config=false --tlog-upload=false`, `cosign verify` with
`--insecure-ignore-tlog`. The private key comes from COSIGN_KEY (the PEM
itself, which cosign reads as `env://COSIGN_KEY`) or from the file
HOSTINFO_SIGNING_KEY names (default .stack/cosign.key, where `just keygen`
writes): never from an argument that `ps` would show. Its password is
COSIGN_PASSWORD, empty if unset; cosign is never left to prompt.

HOSTINFO_SIGNING=keyless signs with the CI's OIDC identity instead (Fulcio
and Rekor, so the internet): untested here, see docs/supply-chain.md.
"""
from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

from stacktool import ROOT, fail
from stacktool.nix import NixError, evaluated

SKIP_VERIFY = "HOSTINFO_SKIP_VERIFY"
SIGNING_KEY = "HOSTINFO_SIGNING_KEY"
VERIFY_KEY = "HOSTINFO_VERIFY_KEY"
DEFAULT_SIGNING_KEY = ROOT / ".stack" / "cosign.key"
# A project's own public key, committed beside its code; else `just keygen`'s.
DEFAULT_VERIFY_KEYS = (ROOT / "cosign.pub", ROOT / ".stack" / "cosign.pub")
# Registries Docker itself talks to over plain HTTP: only there may cosign.
LOOPBACK = re.compile(r"(localhost|127\.[0-9.]+|\[::1\])(:[0-9]+)?(/.*)?")


def cosign() -> str:
    found = shutil.which("cosign")
    if found is None:
        fail("cosign is missing: scripts/install-cosign installs it (Debian sid's .deb; ./setup test does)")
    return found


def registry_flags(reference: str) -> list[str]:
    return ["--allow-http-registry"] if LOOPBACK.fullmatch(reference.split("@")[0]) else []


def cosign_env() -> dict[str, str]:
    return {**os.environ, "COSIGN_PASSWORD": os.environ.get("COSIGN_PASSWORD", "")}


def keyless() -> bool:
    return os.environ.get("HOSTINFO_SIGNING") == "keyless"


def key_flags() -> list[str]:
    """How cosign signs: with the key pair, offline, or keyless through the public Sigstore."""
    if keyless():
        return []
    return ["--key", signing_key(), "--use-signing-config=false", "--tlog-upload=false"]


def signing_key() -> str:
    """cosign's --key value: a reference to the key, never the key."""
    if keyless():
        return "keyless"
    if os.environ.get("COSIGN_KEY"):
        return "env://COSIGN_KEY"
    path = pathlib.Path(os.environ.get(SIGNING_KEY) or DEFAULT_SIGNING_KEY)
    if not path.is_file():
        fail(f"no signing key: set COSIGN_KEY to the private key, or {SIGNING_KEY} to its file "
             f"({path} does not exist); `just keygen` makes a pair to try it out")
    return str(path.resolve())


def verify_key() -> pathlib.Path:
    named = os.environ.get(VERIFY_KEY)
    if named:
        if not pathlib.Path(named).is_file():
            fail(f"{VERIFY_KEY} names {named}, which is not a file")
        return pathlib.Path(named).resolve()
    for path in DEFAULT_VERIFY_KEYS:
        if path.is_file():
            return path
    fail(f"no public key to verify the images with: set {VERIFY_KEY}, or commit cosign.pub "
         f"(`just keygen` writes .stack/cosign.pub), or deploy unverified with {SKIP_VERIFY}=1")


def cosign_error(stderr: str) -> str:
    """cosign's reason in one line: its `Error:` line, else its last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line.removeprefix("Error: ") for line in lines if line.startswith("Error: ")]
    return errors[-1] if errors else (lines[-1] if lines else "no output")


def run(args: list[str], what: str) -> str:
    result = subprocess.run([cosign(), *args], env=cosign_env(), stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, check=False, timeout=300)
    if result.returncode:
        fail(f"{what}: {cosign_error(result.stderr)}")
    return result.stdout


def sign(reference: str) -> None:
    """Sign one manifest, named by digest, in its registry."""
    run(["sign", *key_flags(), "--yes", *registry_flags(reference), reference],
        f"signing {reference} failed")


def attest(reference: str, predicate_type: str, predicate: dict) -> None:
    """Attach a signed in-toto attestation of `predicate` to one manifest."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump(predicate, file)
        file.flush()
        run(["attest", *key_flags(), "--yes", "--type", predicate_type, "--predicate", file.name,
             *registry_flags(reference), reference],
            f"attesting {predicate_type} of {reference} failed")


def verify(reference: str, key: pathlib.Path) -> None:
    """One line naming the image unless a signature by `key` covers its manifest."""
    result = subprocess.run(
        [cosign(), "verify", "--key", str(key), "--insecure-ignore-tlog=true", "--output", "json",
         *registry_flags(reference), reference],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False, timeout=300)
    if result.returncode:
        fail(f"{reference} is not signed by {key}: {cosign_error(result.stderr)}; nothing was deployed")


def images_by_digest(compose_file: pathlib.Path) -> list[str]:
    """The images a rendered stack pulls from a registry: those named by digest."""
    services = json.loads(compose_file.read_text())["services"].values()
    return sorted({svc["image"] for svc in services if "@sha256:" in svc["image"]})


def verify_stack(compose_file: pathlib.Path) -> None:
    """Before a deploy: every image the stack pulls is signed by the public key."""
    images = images_by_digest(compose_file)
    if not images:
        return  # images built here and loaded by tag: no registry to hold signatures
    if os.environ.get(SKIP_VERIFY) == "1":
        print(f"warning: {SKIP_VERIFY}=1: deploying {len(images)} images without checking "
              f"their signatures: {', '.join(images)}", file=sys.stderr)
        return
    key = verify_key()
    for image in images:
        verify(image, key)
    print(f"verified: {len(images)} images signed by {key}")


def k8s_policy(options: str) -> dict:
    """nix/k8s-policy.nix for the stack options and the public key, checked
    against schemas/clusterimagepolicy.json."""
    try:
        import jsonschema  # not in the standard library: only this command needs it
    except ImportError:
        fail("the Python package jsonschema is missing: pip install jsonschema (.ci/run does)")
    key = verify_key()
    try:
        policy = evaluated("nix/k8s-policy.nix", "--arg", "options", options,
                           "--argstr", "publicKey", key.read_text())
    except NixError as error:
        fail(str(error).removeprefix("error: "))
    schema = json.loads((ROOT / "schemas" / "clusterimagepolicy.json").read_text())
    problems = sorted(jsonschema.Draft202012Validator(schema).iter_errors(policy), key=str)
    if problems:
        where = "/".join(map(str, problems[0].absolute_path))
        fail(f"the rendered ClusterImagePolicy does not match schemas/clusterimagepolicy.json at {where}: "
             f"{problems[0].message}")
    return policy
