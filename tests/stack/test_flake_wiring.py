"""flake.nix wired against stand-ins for nixpkgs and crane (tests/stack/flake-wiring.nix).

No Nix store can be filled on these machines, so nothing here builds: the
stand-in builders return their arguments, and these tests read what the
flake would build. `nix flake check` does the builds.
"""
from __future__ import annotations

import pytest

from nixeval import ROOT, evaluated, nix_eval

LINUX = ["x86_64-linux", "aarch64-linux"]
DARWIN = ["x86_64-darwin", "aarch64-darwin"]


@pytest.fixture(scope="module")
def flake():
    return evaluated("tests/stack/flake-wiring.nix", "--argstr", "nginxVersion", "1.30.6")


def test_every_output_is_wired_with_the_arguments_its_file_asks_for(flake):
    assert all(flake["wired"].values())


def test_linux_gets_the_service_both_images_and_every_rendered_target(flake):
    for system in LINUX:
        assert flake["packages"][system] == [
            "default", "image", "k8s", "nginx-image", "stack", "swarm"]


def test_macos_can_still_render_the_stack_and_use_the_dev_shell(flake):
    for system in DARWIN:
        assert flake["packages"][system] == ["k8s", "stack", "swarm"]
        assert flake["devShells"][system] == ["default"]


def test_flake_check_runs_every_check_the_readme_names(flake):
    for system in LINUX:
        assert flake["checks"][system] == [
            "clippy", "compose", "e2e", "hostinfo", "k8s-tests", "nextest",
            "nginx-config", "registry-tests", "rustfmt", "stack-tests", "static-binary",
            "swarm-tests"]
    assert flake["lib"] == ["mkK8s", "mkStack", "mkSwarm"]


def test_the_nix_images_take_their_config_from_image_config_nix(flake):
    expected = evaluated("-E", 'import ./nix/image-config.nix { images = import ./nix/images.nix '
                               '{ revision = "0123456789abcdef0123456789abcdef01234567"; }; }')
    assert flake["image"]["config"] == expected["app"]
    assert flake["nginxImage"]["config"] == expected["lb"]
    assert (flake["image"]["name"], flake["image"]["tag"]) == ("hostinfo", "0.1.0")
    assert (flake["nginxImage"]["name"], flake["nginxImage"]["tag"]) == ("hostinfo-nginx", "1.30")


def test_images_are_dated_by_the_commit_not_the_build(flake):
    for image in (flake["image"], flake["nginxImage"]):
        assert image["created"] == image["mtime"] == "2026-08-03T12:34:56Z"


def test_nginx_is_built_without_perl_or_extra_modules(flake):
    assert flake["nginxBuild"] == {"withPerl": False, "modules": []}


@pytest.mark.parametrize(("version", "words"), [
    ("1.31.0", "nixpkgs has nginx 1.31.0, but nix/images.nix tags the nginx"),
    ("1.26.0", "nixpkgs has nginx 1.26.0, but nix/images.nix tags the nginx"),
])
def test_a_nixpkgs_nginx_outside_the_tagged_series_fails_evaluation(version, words):
    result = nix_eval("tests/stack/flake-wiring.nix", "--argstr", "nginxVersion", version)
    assert result.returncode != 0
    assert words in " ".join(result.stderr.split())


def test_nix_run_push_is_an_app_on_linux_that_streams_both_images_with_skopeo(flake):
    assert flake["apps"] == {system: ["push"] for system in LINUX}
    push = flake["push"]
    assert flake["pushProgram"].endswith(f"/bin/{push['name']}")
    assert any(path.endswith("-skopeo") for path in push["runtimeInputs"])
    lines = [line.split() for line in push["runtimeEnv"]["PUSH_IMAGES"].splitlines()]
    assert [(name, tag) for name, tag, _ in lines] == [("hostinfo", "0.1.0"), ("hostinfo-nginx", "1.30")]
    assert all(stream.endswith("-streamLayeredImage") for _, _, stream in lines)
    # The same pattern the `registry` option and scripts/push.py check.
    assert push["runtimeEnv"]["PUSH_PATTERN"] == evaluated(
        "-E", "(import ./nix/options.nix).registryPattern")
    assert push["text"] == (ROOT / "nix" / "push.sh").read_text()
