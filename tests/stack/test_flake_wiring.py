"""flake.nix wired against stand-ins for nixpkgs and crane (tests/stack/flake-wiring.nix).

No Nix store can be filled on these machines, so nothing here builds: the
stand-in builders return their arguments, and these tests read what the
flake would build. `nix flake check` does the builds.
"""
from __future__ import annotations

import shutil

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
        assert image["created"] == "2026-08-03T12:34:56Z"


def test_file_times_stay_fixed_so_unchanged_layers_keep_their_digests(flake):
    for image in (flake["image"], flake["nginxImage"]):
        assert "mtime" not in image["argNames"]


def test_nginx_finds_the_group_it_was_compiled_with_when_started_as_root(flake):
    assert flake["fakeNss"] == {"extraGroupLines": ["nogroup:x:65534:"]}


@pytest.mark.parametrize("system", LINUX)
def test_the_package_clippy_and_nextest_build_static_musl_for_their_system(flake, system):
    triple = f"{system.split('-')[0]}-unknown-linux-musl"
    env_triple = triple.upper().replace("-", "_")
    for check in ("hostinfo", "clippy", "nextest"):
        built = flake["crane"][system][check]
        # The cross rustc of pkgsStatic, with a native crane (not crane.mkLib pkgsStatic).
        assert built["toolchain"] == f"rustc-{triple}"
        env = built["environment"]
        assert env["CARGO_BUILD_TARGET"] == triple
        assert env[f"CARGO_TARGET_{env_triple}_LINKER"].endswith(f"/bin/{triple}-cc")
        assert env["TARGET_CC"] == env[f"CARGO_TARGET_{env_triple}_LINKER"]
        assert env["TARGET_AR"].endswith(f"/bin/{triple}-ar")


def test_rustfmt_needs_no_cross_toolchain(flake):
    for system in LINUX:
        assert flake["crane"][system]["rustfmt"] == {
            "kind": "cargoFmt", "toolchain": "rustc", "environment": {}}


def test_a_nixpkgs_rustc_older_than_cargo_toml_rust_version_fails_naming_both():
    msrv = evaluated("-E", "(builtins.fromTOML (builtins.readFile ./Cargo.toml)).package.rust-version")
    result = nix_eval("tests/stack/flake-wiring.nix", "--argstr", "rustcVersion", "1.80.0")
    assert result.returncode != 0
    said = " ".join(result.stderr.split())
    assert f'The pinned nixpkgs has rustc 1.80.0, but Cargo.toml says rust-version = "{msrv}"' in said


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


# The stand-ins are strict: the same flake with one argument misspelled, or
# with the pattern the package must not use, fails evaluation, naming it.
def mutated_flake(tmp_path, path: str, old: str, new: str):
    copy = tmp_path / "repo"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", "target", ".stack", "results"))
    file = copy / path
    text = file.read_text()
    assert old in text, f"{path} no longer holds {old!r}: update this test"
    file.write_text(text.replace(old, new, 1))
    return nix_eval(str(copy / "tests/stack/flake-wiring.nix"), "--argstr", "nginxVersion", "1.30.6")


@pytest.mark.parametrize(("path", "old", "new", "words"), [
    ("nix/image.nix", "inherit created;", "creatd = created;",
     "streamLayeredImage: unexpected argument(s) creatd"),
    ("nix/nginx-image.nix", "extraCommands = ''", "extraCommand = ''",
     "streamLayeredImage: unexpected argument(s) extraCommand"),
    ("nix/checks/clippy.nix", "cargoClippyExtraArgs =", "cargoClipyExtraArgs =",
     "cargoClippy: unexpected argument(s) cargoClipyExtraArgs"),
    ("nix/package.nix", "doCheck = false;", "doCheckk = false;",
     "buildPackage: unexpected argument(s) doCheckk"),
    ("nix/nginx-image.nix", "extraGroupLines", "extraGroupLine",
     "fakeNss.override: unexpected argument(s) extraGroupLine"),
    ("nix/nginx.nix", "withPerl = false;", "withPerll = false;",
     "nginxStable.override: unexpected argument(s) withPerll"),
    ("nix/checks/nextest.nix", "inherit (hostinfo) cargoArtifacts;", "",
     "cargoNextest: missing argument(s) cargoArtifacts"),
    ("nix/package.nix", "(crane.mkLib pkgs).overrideScope", "(crane.mkLib pkgs.pkgsStatic).overrideScope",
     "crane.mkLib pkgsStatic: its stdenv puts -static into build scripts"),
])
def test_a_misspelled_or_wrong_argument_fails_evaluation_naming_it(tmp_path, path, old, new, words):
    result = mutated_flake(tmp_path, path, old, new)
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
