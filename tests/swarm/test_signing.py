"""Signed images, on real parts: `just push` signs and attests what it pushed to a
real registry (Debian's docker-registry on loopback, as in test_registry.py),
and `just up` from that registry deploys only what the public key verifies.

One registry and one push for the module; the tests run in file order and each
does to the registry what an attacker or an accident would: put another image
under the name, copy a signature onto it, sign it with another key, delete the
signature. Each refusal must be one line naming the image, before any
container of the project exists.
"""
from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import urllib.request

import pytest

from conftest import key_pair
from stacktool import ROOT, recipes
from stacktool.docker import docker
from stacktool.http import request
from stacktool.ports import free_port
from test_registry import IMAGES, MANIFEST, image, manifest_digest, registry

PROJECT = f"{os.environ.get('HOSTINFO_E2E_PROJECT', 'hostinfo-e2e')}-signed"
COSIGN_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def cosign(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["cosign", *args, "--allow-http-registry"], env=env or os.environ,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
                          timeout=120)


def project_containers() -> list[str]:
    return docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={PROJECT}").split()


@pytest.fixture(scope="module")
def pushed(tmp_path_factory):
    """Both images pushed and signed by `just push`, and how to deploy them."""
    tmp = tmp_path_factory.mktemp("signed")
    digests_file = tmp / "digests.json"
    with registry() as address:
        prefixed = f"{address}/signed"
        result = recipes.just("push", prefixed, timeout=900, env={
            **os.environ, "IMAGES": "local", "HOSTINFO_DIGESTS": str(digests_file)})
        assert result.returncode == 0, result.stderr
        print(f"push: {result.stdout.strip()}")
        env = {**os.environ, "IMAGES": "local", "HOSTINFO_PROJECT": PROJECT,
               "HOSTINFO_PORT": str(free_port()), "HOSTINFO_DIGESTS": str(digests_file),
               "STACK_OPTIONS": f'{{ registry = "{prefixed}"; }}'}
        try:
            yield {"address": address, "prefixed": prefixed, "digests_file": digests_file,
                   "env": env, "tmp": tmp,
                   "signed": json.loads(digests_file.read_text())["digests"]}
        finally:
            recipes.just("down", env=env)
            for name in IMAGES:
                found = image(f"{name}:{IMAGES[name]}")
                for reference in (found or {}).get("RepoTags", []) + (found or {}).get("RepoDigests", []):
                    if reference.startswith(f"{prefixed}/"):
                        subprocess.run(["docker", "image", "rm", reference], capture_output=True, check=False)


def digests(pushed) -> dict[str, str]:
    return json.loads(pushed["digests_file"].read_text())["digests"]


def refused(pushed, reference: str) -> str:
    """`just up` from the registry: refused in one line naming REFERENCE, nothing started."""
    result = recipes.just("up", "2", env=pushed["env"], timeout=300)
    errors = [line for line in result.stderr.splitlines()
              if line.startswith("error: ") and not line.lower().startswith("error: recipe")]
    assert result.returncode != 0 and len(errors) == 1, result.stdout + result.stderr
    assert errors[0].startswith(f"error: {reference} is not signed by "), errors[0]
    assert project_containers() == []
    return errors[0]


def test_the_pushed_images_verify_and_deploy_checks_them(pushed):
    for name, digest in digests(pushed).items():
        reference = f"{pushed['prefixed']}/{name}@{digest}"
        assert cosign("verify", "--key", os.environ["HOSTINFO_VERIFY_KEY"],
                      "--insecure-ignore-tlog=true", reference).returncode == 0
        signatures = manifest_digest_of(pushed["address"], f"signed/{name}", digest.replace(":", "-"))
        print(f"signed: {reference}: signature and attestations {signatures}")
        with urllib.request.urlopen(urllib.request.Request(
                f"http://{pushed['address']}/v2/signed/{name}/manifests/{signatures}",
                headers={"Accept": COSIGN_INDEX}), timeout=5) as got:
            for entry in json.loads(got.read())["manifests"]:
                print(f"  {entry['digest']} {entry.get('artifactType')} "
                      f"{entry.get('annotations', {}).get('dev.sigstore.bundle.predicateType', '')}")
    # What `just up` checks before it starts anything, without starting it.
    env = pushed["env"]
    assert recipes.just("render", "2", env=env).returncode == 0
    result = subprocess.run(["python3", "scripts/stack.py", "verify-images",
                             f".stack/{PROJECT}/compose.yaml"], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stdout.startswith("verified: 2 images"), result.stderr


def attested_sbom(reference: str) -> dict:
    """The CycloneDX attestation, checked against the public key, decoded."""
    result = cosign("verify-attestation", "--key", os.environ["HOSTINFO_VERIFY_KEY"],
                    "--insecure-ignore-tlog=true", "--type", "cyclonedx", reference)
    assert result.returncode == 0, result.stderr
    statement = json.loads(base64.b64decode(json.loads(result.stdout.splitlines()[0])["payload"]))
    assert statement["predicateType"] == "https://cyclonedx.org/bom"
    return statement["predicate"]


def file_in_image(reference: str, path: str) -> bytes:
    created = docker("create", reference).strip()
    try:
        tar = subprocess.run(["docker", "cp", f"{created}:{path}", "-"], capture_output=True, check=True)
    finally:
        docker("rm", created)
    return tar.stdout


def test_each_image_has_a_cyclonedx_sbom_of_what_is_really_inside(pushed):
    found = digests(pushed)
    app = attested_sbom(f"{pushed['prefixed']}/hostinfo@{found['hostinfo']}")
    lb = attested_sbom(f"{pushed['prefixed']}/hostinfo-nginx@{found['hostinfo-nginx']}")
    assert app["bomFormat"] == lb["bomFormat"] == "CycloneDX"
    crates = {c["name"]: c for c in app["components"]}
    packages = {c["name"]: c["version"] for c in lb["components"]}
    print(f"SBOM components: hostinfo {len(crates)}, hostinfo-nginx {len(packages)}")
    # actix-web: the version Cargo.lock locks is the one whose sources the binary was built from.
    lock = (ROOT / "Cargo.lock").read_text()
    locked = re.search(r'name = "actix-web"\nversion = "([^"]+)"', lock).group(1)
    binary = file_in_image("hostinfo:0.1.0", "/bin/hostinfo")
    assert crates["actix-web"]["version"] == locked
    assert f"actix-web-{locked}".encode() in binary
    assert crates["actix-web"]["licenses"], crates["actix-web"]
    # nginx: the version the binary in the image reports.
    said = subprocess.run(["docker", "run", "--rm", "--network", "none", "--entrypoint", "/bin/nginx",
                           "hostinfo-nginx:1.30", "-v"], capture_output=True, text=True, check=True)
    upstream = re.search(r"nginx/(\S+)", said.stderr).group(1)
    assert packages["nginx"].split(":")[-1].rsplit("-", 1)[0] == upstream
    print(f"inside: actix-web {locked}, nginx {packages['nginx']} (nginx -v: {upstream})")


def test_another_image_under_the_name_is_refused_even_with_a_copied_signature(pushed):
    prefixed, address = pushed["prefixed"], pushed["address"]
    signed = digests(pushed)["hostinfo"]
    # An unsigned push of another image under the service's name and tag, recorded
    # as `just push` records one: the digest the deploy will pull.
    impostor = f"{prefixed}/hostinfo:0.1.0"
    docker("tag", "hostinfo-nginx:1.30", impostor)
    docker("push", "--quiet", impostor)
    other = manifest_digest(address, "signed/hostinfo", "0.1.0")
    assert other != signed
    recorded = json.loads(pushed["digests_file"].read_text())
    recorded["digests"]["hostinfo"] = other
    pushed["digests_file"].write_text(json.dumps(recorded))
    reference = f"{prefixed}/hostinfo@{other}"
    line = refused(pushed, reference)
    print(f"unsigned: {line}")

    # The genuine signature, copied to where cosign looks for the impostor's:
    # the index under the referrers tag, put again under the other tag (the
    # blobs it names are in the repository already).
    repository = f"http://{address}/v2/signed/hostinfo/manifests"
    accept = {"Accept": f"{COSIGN_INDEX}, {OCI_MANIFEST}"}
    with urllib.request.urlopen(urllib.request.Request(
            f"{repository}/{signed.replace(':', '-')}", headers=accept), timeout=5) as got:
        index, kind = got.read(), got.headers["Content-Type"]
    put = urllib.request.Request(f"{repository}/{other.replace(':', '-')}", data=index,
                                 method="PUT", headers={"Content-Type": kind})
    with urllib.request.urlopen(put, timeout=5) as answer:
        assert answer.status == 201
    line = refused(pushed, reference)
    print(f"copied signature: {line}")


def test_a_signature_by_another_key_is_refused(pushed):
    # The impostor the last test recorded, without the copied signature, now
    # signed, but not with the project's key.
    digest = digests(pushed)["hostinfo"]
    reference = f"{pushed['prefixed']}/hostinfo@{digest}"
    remove_signatures(pushed["address"], "signed/hostinfo", digest)
    private, _ = key_pair(pushed["tmp"] / "other", "other-password")
    signed = cosign("sign", "--key", "env://COSIGN_KEY", "--use-signing-config=false",
                    "--tlog-upload=false", "--yes", reference,
                    env={**os.environ, "COSIGN_KEY": private, "COSIGN_PASSWORD": "other-password"})
    assert signed.returncode == 0, signed.stderr
    line = refused(pushed, reference)
    print(f"other key: {line}")


def test_a_removed_signature_is_refused_and_the_skip_flag_warns(pushed, capsys):
    prefixed, address = pushed["prefixed"], pushed["address"]
    # The genuine service image again: the nginx image is the one under test.
    recorded = json.loads(pushed["digests_file"].read_text())
    recorded["digests"]["hostinfo"] = pushed["signed"]["hostinfo"]
    pushed["digests_file"].write_text(json.dumps(recorded))
    digest = recorded["digests"]["hostinfo-nginx"]
    reference = f"{prefixed}/hostinfo-nginx@{digest}"
    remove_signatures(address, "signed/hostinfo-nginx", digest)
    line = refused(pushed, reference)
    print(f"removed signature: {line}")

    # The rendered stack `just up` refused, checked again with the skip flag.
    skipped = subprocess.run(["python3", "scripts/stack.py", "verify-images",
                              f".stack/{PROJECT}/compose.yaml"], cwd=ROOT,
                             env={**pushed["env"], "HOSTINFO_SKIP_VERIFY": "1"},
                             capture_output=True, text=True, check=False)
    assert skipped.returncode == 0, skipped.stderr
    assert skipped.stderr.startswith("warning: HOSTINFO_SKIP_VERIFY=1: deploying 2 images without "
                                     "checking their signatures"), skipped.stderr


def remove_signatures(address: str, repository: str, digest: str) -> None:
    """Delete what cosign attached to an image: it keeps the signatures and
    attestations under this tag (the OCI referrers tag schema, for registries
    without the referrers API)."""
    signatures = manifest_digest_of(address, repository, digest.replace(":", "-"))
    status, _, _ = request(f"http://{address}/v2/{repository}/manifests/{signatures}",
                           "DELETE", timeout=5)
    assert status == 202, status


def manifest_digest_of(address: str, repository: str, tag: str) -> str:
    """The digest of the manifest or index a tag names (test_registry's asks for a v2 manifest only)."""
    status, _, headers = request(f"http://{address}/v2/{repository}/manifests/{tag}", "HEAD",
                                 headers={"Accept": f"{MANIFEST}, {COSIGN_INDEX}, {OCI_MANIFEST}"},
                                 timeout=5)
    assert status == 200, f"HEAD of {repository}:{tag}: {status}"
    return headers["Docker-Content-Digest"]
