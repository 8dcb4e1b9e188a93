"""Beyond one machine, on real parts: push to a real registry, then deploy by digest
on an engine that no longer holds the images, so that it must pull them.

The registry is Debian's docker-registry (distribution 2.8) on a free
loopback port, which Docker trusts without TLS; its data lives in a temporary
directory removed at the end, whatever happened. These tests run before
test_swarm.py (file order) and give the local image tags back at the end, so
the session stack there finds the engine as `just swarm-up` expects it.
"""
from __future__ import annotations

import contextlib
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import time

import pytest

import push  # scripts/push.py, as `just push` runs it
from conftest import SwarmStack, engine_state
from harness import served_by, wait_until
from stacktool import ROOT, recipes
from stacktool.docker import docker, health
from stacktool.http import get, request
from stacktool.nix import evaluated
from stacktool.ports import free_port

REGISTRY_BINARY = "/usr/bin/docker-registry"
# The images `just push` pushes: nix/images.nix's names and tags.
IMAGES = {"hostinfo": "0.1.0", "hostinfo-nginx": "1.30"}
MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


@contextlib.contextmanager
def registry(readonly: bool = False):
    """A registry on 127.0.0.1:<free port>: yields its address; stopped and
    its data removed on the way out."""
    assert os.access(REGISTRY_BINARY, os.X_OK), \
        "docker-registry is missing: apt-get install docker-registry (.ci/run does)"
    data = pathlib.Path(tempfile.mkdtemp(prefix="hostinfo-registry-"))
    address = f"127.0.0.1:{free_port()}"
    maintenance = "  maintenance:\n    readonly:\n      enabled: true\n" if readonly else ""
    (data / "config.yml").write_text(
        "version: 0.1\n"
        "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {data / 'storage'}\n"
        # Deletes, so that the signing tests can remove a signature.
        f"  delete:\n    enabled: true\n{maintenance}"
        f"http:\n  addr: {address}\n")
    server = subprocess.Popen([REGISTRY_BINARY, "serve", str(data / "config.yml")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: server.poll() is not None or get(f"http://{address}/v2/").status == 200,
                   10, f"the registry answering on {address}")
        assert server.poll() is None, server.stderr.read().decode()
        yield address
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(data)
        assert not data.exists()


def just_push(registry_address: str, digests: pathlib.Path) -> subprocess.CompletedProcess:
    return recipes.just("push", registry_address, timeout=600,
                        env={**os.environ, "IMAGES": "local", "HOSTINFO_DIGESTS": str(digests)})


def manifest_digest(address: str, repository: str, tag: str) -> str:
    """What the registry itself says the tag's manifest digest is."""
    status, _, headers = request(f"http://{address}/v2/{repository}/manifests/{tag}",
                                 "HEAD", headers={"Accept": MANIFEST}, timeout=5)
    assert status == 200, f"HEAD of {repository}:{tag}: {status}"
    return headers["Docker-Content-Digest"]


def catalog(address: str) -> list[str]:
    status, body, _ = get(f"http://{address}/v2/_catalog", timeout=5)
    assert status == 200, f"the registry's catalog: {status}"
    return json.loads(body)["repositories"]


def image(reference: str) -> dict | None:
    found = subprocess.run(["docker", "image", "inspect", reference],
                           capture_output=True, text=True, check=False)
    return json.loads(found.stdout)[0] if found.returncode == 0 else None


def forget(image_id: str) -> None:
    """Remove every tag and digest of an image, and with them the image:
    only a pull can bring it back."""
    found = image(image_id)
    for reference in found["RepoTags"] + found["RepoDigests"]:
        subprocess.run(["docker", "image", "rm", reference], capture_output=True, check=False)
    assert image(image_id) is None, f"{image_id} still held (a container uses it?)"


def one_clear_line(result: subprocess.CompletedProcess) -> str:
    """The one line `just push` says why (besides just's own "Recipe failed")."""
    errors = [line for line in result.stderr.splitlines()
              if line.startswith("error: ") and not line.lower().startswith("error: recipe")]
    assert result.returncode != 0 and len(errors) == 1, result.stderr
    return errors[0]


def test_an_unreachable_registry_fails_in_one_line_and_writes_no_digests(tmp_path):
    nobody = f"127.0.0.1:{free_port()}"
    digests = tmp_path / "digests.json"
    result = just_push(nobody, digests)
    line = one_clear_line(result)
    print(f"unreachable: {line}")
    assert f"pushing hostinfo:0.1.0 to {nobody} failed" in line and "refused" in line
    assert not digests.exists()


def test_a_registry_refusing_the_push_fails_in_one_line_and_writes_no_digests(tmp_path):
    digests = tmp_path / "digests.json"
    with registry(readonly=True) as address:
        result = just_push(address, digests)
        line = one_clear_line(result)
        assert catalog(address) == []
    print(f"refused: {line}")
    assert f"pushing hostinfo:0.1.0 to {address} failed" in line
    assert not digests.exists()


def test_a_half_pushed_pair_writes_no_digests(tmp_path, capsys):
    digests = tmp_path / "digests.json"
    with registry() as address:
        # The service image goes through; the nginx one was never built.
        with pytest.raises(SystemExit) as exit_status:
            push.push(address, "local", digests,
                      images=[("hostinfo", "0.1.0"), ("hostinfo-nginx", "never-built")])
        assert catalog(address) == ["hostinfo"]
    assert exit_status.value.code == 1
    assert capsys.readouterr().err.startswith("error: no image hostinfo-nginx:never-built")
    assert not digests.exists()


def test_nodes_that_never_built_the_images_pull_them_by_digest_and_serve(tmp_path):
    digests_file = tmp_path / "digests.json"
    built: dict[str, str] = {}
    swarm = None
    with registry() as address:
        prefixed = f"{address}/hostinfo"
        try:
            # 1. Push both images, as a user would.
            pushed = just_push(prefixed, digests_file)
            assert pushed.returncode == 0, pushed.stderr
            recorded = json.loads(digests_file.read_text())
            assert recorded["registry"] == prefixed and set(recorded["digests"]) == set(IMAGES)
            print(f"pushed: {json.dumps(recorded['digests'])}")

            # 2. The registry holds both, under the digests Docker recorded.
            assert catalog(address) == [f"hostinfo/{name}" for name in sorted(IMAGES)]
            for name, tag in IMAGES.items():
                digest = recorded["digests"][name]
                assert manifest_digest(address, f"hostinfo/{name}", tag) == digest
                local = image(f"{name}:{tag}")
                assert f"{prefixed}/{name}@{digest}" in local["RepoDigests"]
                built[name] = local["Id"]

            # 3. The engine forgets them: the deploy can only pull.
            for image_id in built.values():
                forget(image_id)

            # 4. Deploy the swarm stack from the registry.
            name = f"{os.environ.get('HOSTINFO_SWARM_E2E_STACK', 'hostinfo-swarm-e2e')}-registry"
            port = free_port("0.0.0.0")
            swarm = SwarmStack(name, port, {
                **os.environ, "IMAGES": "local", "HOSTINFO_STACK": name, "HOSTINFO_PORT": str(port),
                "HOSTINFO_DIGESTS": str(digests_file),
                "STACK_OPTIONS": f'{{ registry = "{prefixed}"; }}'})
            swarm.just("swarm-down")
            swarm.found = engine_state()
            since = time.time()
            swarm.just("swarm-up", "5")
            ready = time.time()

            # 5. Every task runs the pulled image, healthy, answering through nginx.
            events = [json.loads(line) for line in docker(
                "events", "--since", f"{since:.3f}", "--until", f"{time.time():.3f}",
                "--format", "{{json .}}", "--filter", "type=image", "--filter", "type=service",
                "--filter", "event=pull", "--filter", "event=create").splitlines()]
            pulls = [e["Actor"]["ID"] for e in events if e["Type"] == "image"]
            deployed = min(e["timeNano"] for e in events if e["Type"] == "service") / 1e9
            for name, image_id in built.items():
                reference = f"{prefixed}/{name}@{recorded['digests'][name]}"
                assert reference in pulls, pulls
                assert image(reference)["Id"] == image_id  # the very bits built and pushed
            replicas = swarm.replicas()
            assert len(replicas) == 5
            for name, tasks in (("hostinfo", replicas), ("hostinfo-nginx", [swarm.nginx()])):
                for task in tasks:
                    assert task["Config"]["Image"] == f"{prefixed}/{name}@{recorded['digests'][name]}"
                    assert task["Image"] == built[name]
            assert all(health(task) == "healthy" for task in replicas)
            served = served_by(swarm, 100)
            assert set(served) == {task["Config"]["Hostname"] for task in replicas}
            print(f"deploy by digest: {len(pulls)} pulls, deploy to all 5 tasks healthy and "
                  f"serving {ready - deployed:.1f}s (swarm-up {ready - since:.1f}s), "
                  f"100 requests over {len(served)} tasks")
        finally:
            if swarm is not None:
                swarm.just("swarm-down", check=False)
                assert engine_state() == swarm.found
            restore(built, prefixed)


def restore(built: dict[str, str], prefixed: str) -> None:
    """Give the engine its tags back, as `just image` left them: the pulled
    images are the built ones. Whatever is missing, the next `just image` builds."""
    for name, image_id in built.items():
        found = image(image_id)
        if found is None:
            continue
        subprocess.run(["docker", "tag", image_id, f"{name}:{IMAGES[name]}"], check=True)
        for reference in found["RepoTags"] + found["RepoDigests"]:
            if reference.startswith(f"{prefixed}/"):
                subprocess.run(["docker", "image", "rm", reference], capture_output=True, check=False)


def flake_app(tmp_path: pathlib.Path) -> tuple[pathlib.Path, dict]:
    """nix/push.sh as `nix run .#push` runs it (writeShellApplication's
    preamble, nix/push.nix's environment), with `docker save` standing in
    for each streamLayeredImage script: both write a docker-archive tar."""
    app = tmp_path / "hostinfo-push"
    app.write_text("#!/usr/bin/env bash\nset -o errexit\nset -o nounset\nset -o pipefail\n"
                   + (ROOT / "nix" / "push.sh").read_text())
    lines = []
    for name, tag in IMAGES.items():
        stream = tmp_path / f"stream-{name}"
        stream.write_text(f"#!/bin/sh\nexec docker save {name}:{tag}\n")
        stream.chmod(0o755)
        lines.append(f"{name} {tag} {stream}")
    pattern = evaluated("-E", "(import ./nix/options.nix).registryPattern")
    return app, {**os.environ, "PUSH_PATTERN": pattern, "PUSH_IMAGES": "\n".join(lines)}


def test_the_flake_apps_script_streams_both_images_to_the_registry_with_skopeo(tmp_path):
    assert shutil.which("skopeo"), "skopeo is missing: apt-get install skopeo (.ci/run does)"
    app, env = flake_app(tmp_path)
    with registry() as address:
        prefixed = f"{address}/nix"
        # Plain HTTP on loopback: skopeo, unlike Docker, must be told.
        result = subprocess.run(["bash", str(app), prefixed, "--dest-tls-verify=false"], env=env,
                                capture_output=True, text=True, check=False, timeout=300)
        assert result.returncode == 0, result.stderr
        pushed = json.loads(result.stdout)
        version = subprocess.run(["skopeo", "--version"], capture_output=True, text=True,
                                 check=True).stdout.split()[-1]
        print(f"nix road (skopeo {version}): {json.dumps(pushed['digests'])}")
        assert pushed["registry"] == prefixed
        assert catalog(address) == [f"nix/{name}" for name in sorted(IMAGES)]
        for name, tag in IMAGES.items():
            assert manifest_digest(address, f"nix/{name}", tag) == pushed["digests"][name]
        # What skopeo pushed runs as the image Docker built it.
        reference = f"{prefixed}/hostinfo@{pushed['digests']['hostinfo']}"
        subprocess.run(["docker", "pull", "--quiet", reference], capture_output=True, check=True)
        try:
            assert image(reference)["Config"] == image("hostinfo:0.1.0")["Config"]
        finally:
            subprocess.run(["docker", "image", "rm", reference], capture_output=True, check=False)

    # The same registry, gone: one line, and nothing printed as pushed.
    result = subprocess.run(["bash", str(app), prefixed, "--dest-tls-verify=false"], env=env,
                            capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith(f"error: pushing hostinfo:0.1.0 to {prefixed} failed: ")
    assert len(result.stderr.splitlines()) == 1
