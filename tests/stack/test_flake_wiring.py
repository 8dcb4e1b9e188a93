"""flake.nix wired against stand-ins for nixpkgs and crane (tests/stack/flake-wiring.nix).

No Nix store can be filled on these machines, so nothing here builds: the
stand-in builders return their arguments, and these tests read what the
flake would build. `nix flake check` does the builds.
"""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from stacktool import ROOT
from stacktool.nix import evaluated, nix_eval

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
            "default", "e2e-test", "image", "k8s", "nginx-image", "stack", "swarm"]


def test_macos_can_still_render_the_stack_and_use_the_dev_shell(flake):
    for system in DARWIN:
        assert flake["packages"][system] == ["k8s", "stack", "swarm"]
        assert flake["devShells"][system] == ["default"]


def test_the_dev_shell_holds_every_tool_the_recipes_and_tests_use(flake):
    for system in LINUX + DARWIN:
        shell = flake["devShell"][system]
        for tool in ("just", "jq", "docker-compose", "python3-with-packages", "ruff", "gixy", "cargo",
                     "cargo-cyclonedx", "cosign", "skopeo"):
            assert tool in shell["packages"], (system, tool)
        # pyproject.toml's test group, but ruff (a package of its own above).
        assert sorted(name.removeprefix("python3.") for name in shell["python"]) == [
            "jsonschema", "kubernetes-validate", "markdown-it-py", "openapi-core",
            "openapi-spec-validator", "pytest", "requests", "selenium"]
    for system in LINUX:
        shell = flake["devShell"][system]
        musl = f"{system.split('-')[0]}-unknown-linux-musl"
        for tool in ("chromium", "chromedriver", f"rustc-{musl}", f"{musl}-gcc-wrapper"):
            assert tool in shell["packages"], (system, tool)
        assert sorted(shell["environment"]) == sorted([
            f"CC_{musl.replace('-', '_')}", f"CARGO_TARGET_{musl.replace('-', '_').upper()}_LINKER"])


def test_the_dev_shells_python_has_pyproject_tomls_test_group(flake):
    import tomllib
    wanted = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    names = {line.split("=")[0].split(">")[0].split("<")[0].strip() for line in wanted}
    shell = flake["devShell"]["x86_64-linux"]
    # ruff and gixy-ng are packages of their own in the shell (gixy-ng is nixpkgs' `gixy`).
    assert names == {name.removeprefix("python3.") for name in shell["python"]} | {"ruff", "gixy-ng"}


def test_flake_check_runs_every_check_and_none_needs_kvm(flake):
    # The NixOS VM test is the package e2e-test: as a check it would fail
    # `nix flake check` on every host without KVM.
    for system in LINUX:
        assert flake["checks"][system] == [
            "clippy", "compose", "hostinfo", "k8s-tests", "nextest",
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


def test_each_image_is_labelled_with_the_licence_of_what_it_runs(flake):
    licence = "org.opencontainers.image.licenses"
    cargo_licence = evaluated("-E", "(builtins.fromTOML (builtins.readFile ./Cargo.toml)).package.license")
    assert flake["image"]["config"]["Labels"][licence] == cargo_licence
    assert flake["nginxImage"]["config"]["Labels"][licence] == "BSD-2-Clause"
    # The Dockerfile road writes its LABELs from the same config.
    lb = evaluated("-E", "(import ./nix/image-config.nix { }).lb")
    dockerfile = subprocess.run(["jq", "-r", "-f", "images/dockerfile.jq"], input=json.dumps(lb), cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout
    assert f'"{licence}"="BSD-2-Clause"' in dockerfile


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


# The stand-ins are a lint, stricter than the real functions: those take
# `...` (crane hands every attribute to the derivation, nginx's override
# ignores what it does not know), so a misspelled argument would build
# without a word. Here the same flake with one argument misspelled, or with
# the pattern the package must not use, fails evaluation, naming it.
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
     "streamLayeredImage: lint: argument(s) creatd not declared by the real function"),
    ("nix/nginx-image.nix", "extraCommands = ''", "extraCommand = ''",
     "streamLayeredImage: lint: argument(s) extraCommand not declared"),
    ("nix/checks/clippy.nix", "cargoClippyExtraArgs =", "cargoClipyExtraArgs =",
     "cargoClippy: lint: argument(s) cargoClipyExtraArgs not declared"),
    ("nix/package.nix", "doCheck = false;", "doCheckk = false;",
     "buildPackage: lint: argument(s) doCheckk not declared"),
    ("nix/nginx-image.nix", "extraGroupLines", "extraGroupLine",
     "fakeNss.override: lint: argument(s) extraGroupLine not declared"),
    ("nix/nginx.nix", "withPerl = false;", "withPerll = false;",
     "nginxStable.override: lint: argument(s) withPerll not declared"),
    ("nix/checks/nextest.nix", "inherit (hostinfo) cargoArtifacts;", "",
     "cargoNextest: missing argument(s) cargoArtifacts"),
    ("nix/package.nix", "(crane.mkLib pkgs).overrideScope", "(crane.mkLib pkgs.pkgsStatic).overrideScope",
     "crane.mkLib pkgsStatic: its stdenv puts -static into build scripts"),
])
def test_the_lint_fails_a_misspelled_argument_the_real_function_would_take_silently(
        tmp_path, path, old, new, words):
    result = mutated_flake(tmp_path, path, old, new)
    assert result.returncode != 0
    assert words in " ".join(result.stderr.split())


@pytest.mark.parametrize(("function", "names"), [
    ("streamLayeredImage", {"meta", "layeringPipeline", "debug", "mtime", "includeNixDB"}),
    ("writeShellApplication", {"libraryPath", "inheritPath", "derivationArgs"}),
    ("nginxStable.override", {"withGeoIP", "withImageFilter", "withKTLS", "modules"}),
])
def test_the_lint_accepts_every_argument_the_real_function_declares(flake, function, names):
    assert names <= set(flake["declared"][function])


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
