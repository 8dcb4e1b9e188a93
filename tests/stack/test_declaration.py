"""The stack declaration (nix/stack.nix), evaluated as users' machines do.

No Nix store is needed: a bare `nix-instantiate` evaluates the pure-Nix
generator, its own tests and its error messages, and the rendered compose
file is checked against the Compose Specification and by Compose v2 (`docker compose config`).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import jsonschema
import pytest

from stacktool import ROOT
from stacktool.nix import evaluated, failure, instantiate, nix_eval, pure_nix_tests

SCHEMA = json.loads((ROOT / "schemas" / "compose-spec.json").read_text())


def render(options: str = "{ }", **strings: str) -> dict[str, str]:
    argstrs = [arg for name, value in strings.items() for arg in ("--argstr", name, value)]
    return evaluated("nix/render.nix", "--arg", "options", options, *argstrs)


def test_the_generators_own_pure_nix_tests_pass():
    passed = pure_nix_tests("nix/tests")
    assert len(passed) >= 20
    print(f"{len(passed)} pure Nix tests passed")


def test_every_nix_file_parses():
    files = sorted(ROOT.glob("*.nix")) + sorted((ROOT / "nix").rglob("*.nix"))
    assert ROOT / "nix" / "stack.nix" in files
    for file in files:
        result = instantiate("--parse", str(file))
        assert result.returncode == 0, f"{file}: {result.stderr}"


OPTION_SETS = [
    "{ }",
    "{ replicas = 1; publishPort = 18000; }",
    '{ replicas = 12; publishAddress = "0.0.0.0"; accessLog = false; benchmarkLocation = true; }',
]


@pytest.mark.parametrize("options", OPTION_SETS)
def test_rendered_compose_file_follows_the_compose_specification(options):
    compose = json.loads(render(options)["compose.yaml"])
    jsonschema.Draft7Validator(SCHEMA).validate(compose)


def compose_v2() -> list[str] | None:
    result = subprocess.run(["docker", "compose", "version", "--short"], capture_output=True, text=True,
                            check=False) if shutil.which("docker") else None
    return ["docker", "compose"] if result and result.returncode == 0 else None


@pytest.mark.skipif(compose_v2() is None, reason="Compose v2 not installed (./setup test installs it)")
@pytest.mark.parametrize("options", OPTION_SETS)
def test_compose_v2_accepts_the_rendered_file(options, tmp_path):
    for name, content in render(options).items():
        (tmp_path / name).write_text(content)
    result = subprocess.run(
        ["docker", "compose", "-f", str(tmp_path / "compose.yaml"), "config", "--quiet"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr


def test_command_line_replicas_and_port_reach_compose():
    compose = json.loads(render(replicas="7", publishPort="18001")["compose.yaml"])
    assert compose["services"]["app"]["deploy"]["replicas"] == 7
    assert compose["services"]["lb"]["ports"] == ["127.0.0.1:18001:8080"]


def test_image_settings_read_as_json_name_the_crate_version():
    cargo = (ROOT / "Cargo.toml").read_text()
    images = evaluated("-E", "import ./nix/images.nix { }")
    assert f'version = "{images["app"]["tag"]}"' in cargo
    assert images["app"]["healthcheck"]["command"] == [images["app"]["binary"], "healthcheck"]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ("{ replicas = 0; }", ["'replicas'", "got 0"]),
        ('{ replicas = "five"; }', ["'replicas'", 'got "five"']),
        ("{ replicas = 2.5; }", ["'replicas'", "got 2.5"]),
        ("{ publishPort = 70000; }", ["'publishPort'", "got 70000", "1 to 65535"]),
        ("{ appPort = 0; }", ["'appPort'", "got 0"]),
        ("{ replica = 3; }", ["unknown option 'replica'", "replicas"]),
        ('{ readTimeout = "soon"; }', ["'readTimeout'", 'got "soon"', "duration"]),
        ('{ appMemory = "lots"; }', ["'appMemory'", 'got "lots"']),
        ('{ publishAddress = "localhost"; }', ["'publishAddress'", 'got "localhost"']),
        ('{ accessLog = "yes"; }', ["'accessLog'", 'got "yes"']),
        ('{ stopGracePeriod = "2s"; }', ["'stopGracePeriod'", 'got "2s"', "at least 3s", "drain"]),
        ('{ appKeepAlive = "1s"; }', ["'appKeepAlive'", 'got "1s"', "from 2s"]),
        ("{ replicas = 65; }", ["option 'replicas' is 65", "'maxReplicas' (64)", "zone"]),
        ("{ replicas = 30; maxReplicas = 20; }", ["option 'replicas' is 30", "'maxReplicas' (20)"]),
        ("{ maxReplicas = 0; }", ["'maxReplicas'", "got 0"]),
        ("{ appWorkers = 513; appPids = 1024; }", ["'appWorkers'", "got 513", "at most 512"]),
        ("{ appWorkers = 62; }", ["'appWorkers'", "got 62", "at most 61", "appPids = 64"]),
        ("{ appWorkers = 100; appPids = 100; }", ["'appWorkers'", "got 100", "at most 97"]),
        ("{ nextUpstreamTries = 1; }", ["'nextUpstreamTries'", "got 1", ">= 2"]),
    ],
)
def test_a_bad_option_fails_with_a_message_naming_it_and_its_value(options, named):
    first_line = failure("nix/render.nix", "--arg", "options", options)
    assert first_line.startswith("error: hostinfo stack:")
    for words in named:
        assert words in first_line


def test_a_bad_replica_count_from_the_command_line_is_named():
    result = nix_eval("nix/render.nix", "--arg", "options", "{ }", "--argstr", "replicas", "many")
    assert result.returncode != 0
    assert "option 'replicas' must be an integer >= 1, got \"many\"" in result.stderr


@pytest.mark.parametrize(("target", "files"), [
    ("compose", ["compose.yaml", "nginx.conf"]),
    ("swarm", ["compose.yaml", "nginx.conf"]),
    ("kubernetes", ["hostinfo.json", "nginx.conf"]),
])
def test_every_target_renders_from_the_same_options(target, files):
    rendered = evaluated("nix/render.nix", "--argstr", "target", target, "--argstr", "replicas", "3")
    assert sorted(rendered) == files
    assert '"replicas":3' in rendered[files[0]]


def test_an_unknown_target_is_named():
    result = nix_eval("nix/render.nix", "--argstr", "target", "nomad")
    assert result.returncode != 0
    assert 'target must be one of compose, kubernetes, swarm, got "nomad"' in result.stderr


@pytest.mark.parametrize("target", ["compose", "swarm", "kubernetes"])
def test_a_replica_count_above_the_bound_is_refused_on_every_target(target):
    """`just up 65`, `just scale 65`, `just swarm-up 65` all render first."""
    first_line = failure("nix/render.nix", "--argstr", "target", target,
                                  "--argstr", "replicas", "65")
    assert "option 'replicas' is 65, above option 'maxReplicas' (64)" in first_line


def test_swarm_refuses_a_bound_its_overlay_network_cannot_address():
    first_line = failure("nix/render.nix", "--argstr", "target", "swarm",
                                  "--arg", "options", "{ maxReplicas = 300; }")
    assert first_line.startswith("error: hostinfo swarm: option 'maxReplicas' is 300, above 240")
    assert "/24" in first_line


def test_the_worker_bound_is_the_one_the_service_enforces():
    """nix/stack.nix refuses appWorkers the replica would refuse at start
    (src/config/tasks.rs): the same 512, the same tasks besides workers."""
    tasks = (ROOT / "src" / "config" / "tasks.rs").read_text()
    constant = {name: int(value) for name, value in
                re.findall(r"pub const (\w+): usize = (\d+);", tasks)}
    stack = (ROOT / "nix" / "stack.nix").read_text()
    assert f"maxWorkers = {constant['MAX_WORKERS']};" in stack
    reserved = constant["THREADS_BESIDES_WORKERS"] + constant["HEALTHCHECK_TASKS"]
    assert f"threadsBesideWorkers = {reserved};" in stack
    assert constant["THREADS_PER_WORKER"] == 1
