"""The `registry` option: every target names both images by digest, read
from the digests file `just push` writes, and bad input fails in one line.

No Docker and no registry here: tests/swarm/test_registry.py pushes to a real
one and deploys from it.
"""
from __future__ import annotations

import json
import os
import re
import subprocess

import kubernetes_validate
import pytest

from stacktool import ROOT
from stacktool.nix import evaluated, failure, pure_nix_tests

REGISTRY = "127.0.0.1:5000/hostinfo"
DIGESTS = {"hostinfo": "sha256:" + "1" * 64, "hostinfo-nginx": "sha256:" + "2" * 64}
TARGETS = {"compose": "compose.yaml", "swarm": "compose.yaml", "kubernetes": "hostinfo.json"}
PINNED = re.compile(r"[^@]+/(hostinfo|hostinfo-nginx)@sha256:[0-9a-f]{64}")


@pytest.fixture
def digests_file(tmp_path):
    path = tmp_path / "digests.json"
    path.write_text(json.dumps({"registry": REGISTRY, "digests": DIGESTS}))
    return path


def render(target: str, digests_file) -> dict[str, str]:
    options = f'{{ registry = "{REGISTRY}"; }}'
    return evaluated("nix/render.nix", "--argstr", "target", target, "--arg", "options", options,
                     "--argstr", "digestsFile", str(digests_file))


def images_in(target: str, files: dict[str, str]) -> list[str]:
    document = json.loads(files[TARGETS[target]])
    if target == "kubernetes":
        return [c["image"] for m in document["items"] if m["kind"] == "Deployment"
                for c in m["spec"]["template"]["spec"]["containers"]]
    return [service["image"] for service in document["services"].values()]


def test_the_registry_options_own_pure_nix_tests_pass():
    passed = pure_nix_tests("nix/tests/registry.nix")
    assert len(passed) >= 15
    print(f"{len(passed)} pure Nix tests of the registry option passed")


@pytest.mark.parametrize("target", TARGETS)
def test_no_rendered_target_names_a_tag_when_registry_is_set(target, digests_file):
    files = render(target, digests_file)
    images = images_in(target, files)
    assert sorted(images) == [f"{REGISTRY}/hostinfo-nginx@{DIGESTS['hostinfo-nginx']}",
                              f"{REGISTRY}/hostinfo@{DIGESTS['hostinfo']}"]
    assert all(PINNED.fullmatch(image) for image in images)
    # Nowhere else in any file either: the tags of nix/images.nix are gone.
    for text in files.values():
        assert "hostinfo:0.1.0" not in text and "hostinfo-nginx:1.30" not in text


@pytest.mark.parametrize("target", TARGETS)
def test_without_registry_every_target_keeps_the_tags(target, digests_file):
    files = evaluated("nix/render.nix", "--argstr", "target", target,
                      "--argstr", "digestsFile", str(digests_file))
    assert sorted(images_in(target, files)) == ["hostinfo-nginx:1.30", "hostinfo:0.1.0"]


@pytest.mark.parametrize("version", ["1.30", "1.37"])
def test_the_kubernetes_manifests_with_registry_follow_the_schema(version, digests_file):
    manifests = json.loads(render("kubernetes", digests_file)["hostinfo.json"])["items"]
    assert len(manifests) == 8
    for manifest in manifests:
        assert kubernetes_validate.validate(manifest, version, strict=True) == version
    containers = [c for m in manifests if m["kind"] == "Deployment"
                  for c in m["spec"]["template"]["spec"]["containers"]]
    assert [c["imagePullPolicy"] for c in containers] == ["IfNotPresent", "IfNotPresent"]


@pytest.mark.parametrize("target", TARGETS)
def test_missing_digests_fail_rendering_and_say_to_push_first(target, tmp_path):
    first_line = failure(
        "nix/render.nix", "--argstr", "target", target,
        "--arg", "options", f'{{ registry = "{REGISTRY}"; }}',
        "--argstr", "digestsFile", str(tmp_path / "never-pushed.json"))
    assert "option 'registry'" in first_line
    assert f"run `just push {REGISTRY}` first" in first_line


def test_digests_pushed_to_another_registry_fail_rendering(digests_file):
    first_line = failure(
        "nix/render.nix", "--arg", "options", '{ registry = "registry.example.com"; }',
        "--argstr", "digestsFile", str(digests_file))
    assert f'were pushed to "{REGISTRY}"' in first_line
    assert "run `just push registry.example.com` first" in first_line


@pytest.mark.parametrize("registry", ["acme", "https://ghcr.io", "ghcr.io/Acme", "ghcr.io/", "ghcr.io:"])
@pytest.mark.parametrize("target", TARGETS)
def test_a_malformed_registry_fails_naming_the_option(target, registry, digests_file):
    first_line = failure(
        "nix/render.nix", "--argstr", "target", target,
        "--arg", "options", f'{{ registry = "{registry}"; }}',
        "--argstr", "digestsFile", str(digests_file))
    assert "option 'registry' must be" in first_line
    assert f'got "{registry}"' in first_line


EXAMPLES = ["127.0.0.1:5000", "127.0.0.1:5000/hostinfo", "localhost", "localhost:5000/a/b",
            "registry.example.com", "ghcr.io/acme/apps", "myhost:5000", "a.b/x__y", "a.b/x-y.z",
            "acme", "acme/hostinfo", "ghcr.io/Acme", "https://ghcr.io", "a.b/", "a.b/x-", "-a.b",
            "a.b:", "a.b:123456", "a..b", "a.b/x y", ""]


def test_one_registry_pattern_means_the_same_to_nix_python_and_bash():
    nix = evaluated("-E", "let o = import ./nix/options.nix; in map o.registry.check "
                          f"{json.dumps(EXAMPLES).replace(',', ' ')}")
    pattern = evaluated("-E", "(import ./nix/options.nix).registryPattern")
    python = [re.fullmatch(pattern, example) is not None for example in EXAMPLES]
    bash = [subprocess.run(["bash", "-c", '[[ $1 =~ ^($2)$ ]]', "-", example, pattern],
                           check=False).returncode == 0 for example in EXAMPLES]
    assert nix == python == bash
    assert sum(nix) == 9  # the first nine are registries, the rest are not


def test_just_push_refuses_a_malformed_registry_in_one_line(tmp_path):
    digests = tmp_path / "digests.json"
    result = subprocess.run(["just", "push", "Acme/hostinfo"], cwd=ROOT, capture_output=True,
                            text=True, check=False,
                            env={**os.environ, "IMAGES": "local", "HOSTINFO_DIGESTS": str(digests)})
    assert result.returncode != 0
    assert result.stderr.splitlines()[0].startswith("error: REGISTRY must be host[:port][/path]")
    assert "'Acme/hostinfo'" in result.stderr.splitlines()[0]
    assert not digests.exists()


def deploy_flags(rendered) -> str:
    return subprocess.run(["python3", "scripts/stack.py", "deploy-flags", str(rendered / "compose.yaml")],
                          cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


def test_just_render_reads_the_digests_file_and_swarm_deploys_with_resolve_image_always(
        digests_file):
    project = f"registry-render-{os.getpid()}"
    env = {**os.environ, "HOSTINFO_PROJECT": project, "HOSTINFO_DIGESTS": str(digests_file),
           "STACK_OPTIONS": f'{{ registry = "{REGISTRY}"; }}'}
    rendered = ROOT / ".stack" / project
    try:
        subprocess.run(["just", "render", "2"], cwd=ROOT, env=env, check=True, capture_output=True)
        compose = json.loads((rendered / "compose.yaml").read_text())
        assert compose["services"]["app"]["image"] == f"{REGISTRY}/hostinfo@{DIGESTS['hostinfo']}"
        assert deploy_flags(rendered) == "--resolve-image always --with-registry-auth"
        env.pop("STACK_OPTIONS")
        subprocess.run(["just", "render", "2"], cwd=ROOT, env=env, check=True, capture_output=True)
        assert deploy_flags(rendered) == "--resolve-image never"
    finally:
        subprocess.run(["rm", "-rf", str(rendered)], check=False)
