"""The swarm stack file (nix/swarm.nix), evaluated as users' machines do.

No Nix store and no swarm are needed: a bare `nix-instantiate` renders the
file, runs the renderer's own pure tests and its error messages, and the file
is checked against the Compose Specification and, where the docker client
is there, by `docker stack config`, which reads it as `docker stack deploy` does.
"""
from __future__ import annotations

import json
import shutil
import subprocess

import jsonschema
import pytest

from stacktool import ROOT
from stacktool.nix import evaluated, failure, pure_nix_tests
from stacktool import swarm

SCHEMA = json.loads((ROOT / "schemas" / "compose-spec.json").read_text())
GOLDEN = ROOT / "nix" / "tests" / "golden" / "swarm.json"


def render(options: str = "{ }") -> dict:
    return evaluated("-E", f"import ./nix/swarm.nix ({options})")


OPTION_SETS = [
    "{ }",
    "{ replicas = 1; publishPort = 18000; }",
    '{ replicas = 12; publishAddress = "0.0.0.0"; publishMode = "ingress"; accessLog = false;'
    ' updateFailureAction = "pause"; updateMonitor = "30s"; lbTmpSize = "1g"; }',
]


def test_the_renderers_own_pure_nix_tests_pass():
    passed = pure_nix_tests("nix/tests/swarm.nix")
    assert len(passed) >= 25
    print(f"{len(passed)} pure Nix tests of the swarm renderer passed")


def test_the_small_stack_renders_the_golden_file():
    rendered = evaluated("-E", "(import ./nix/tests/swarm.nix).goldenSwarm")
    assert rendered == json.loads(GOLDEN.read_text()), \
        f"differs from {GOLDEN.name}: regenerate it if meant: just golden"


@pytest.mark.parametrize("options", OPTION_SETS)
def test_the_swarm_compose_file_follows_the_compose_specification(options):
    compose = json.loads(render(options)["files"]["compose.yaml"])
    jsonschema.Draft7Validator(SCHEMA).validate(compose)


@pytest.mark.skipif(shutil.which("docker") is None, reason="docker client not installed")
@pytest.mark.parametrize("options", OPTION_SETS)
def test_docker_stack_reads_the_file_without_dropping_a_key(options, tmp_path):
    rendered = render(options)
    for name, content in rendered["files"].items():
        (tmp_path / name).write_text(content)
    result = subprocess.run(
        ["docker", "stack", "config", "--compose-file", str(tmp_path / "compose.yaml")],
        capture_output=True, text=True, check=False,
    )
    if "unknown command" in result.stderr or "is not a docker command" in result.stderr:
        pytest.skip("this docker client has no `docker stack config` (CLI >= 20.10 has)")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no "ignoring" warning
    for key in ("read_only", "cap_drop", "user", "healthcheck", "stop_grace_period",
                "endpoint_mode", "update_config", "restart_policy", "pids", "tmpfs"):
        assert key in result.stdout, key


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ('{ publishAddress = "127.0.0.1"; }',
         ["hostinfo swarm: option 'publishAddress'", '"127.0.0.1"', "0.0.0.0"]),
        ('{ appHost = "tasks.app"; }', ["option 'appHost' cannot be set", "dnsrr", 'got "tasks.app"']),
        ('{ publishMode = "bridge"; }', ["option 'publishMode'", 'got "bridge"', "ingress, host"]),
        ('{ updateFailureAction = "retry"; }', ["option 'updateFailureAction'", 'got "retry"', "rollback"]),
        ('{ updateMonitor = "soon"; }', ["option 'updateMonitor'", 'got "soon"', "duration"]),
        ('{ publish_mode = "host"; }',
         ["hostinfo swarm: unknown option 'publish_mode'", "publishMode", "replicas"]),
        # The stack's own options are still checked by nix/stack.nix.
        ("{ replicas = 0; }", ["hostinfo stack: option 'replicas'", "got 0"]),
        ('{ lbMemory = "lots"; }', ["hostinfo stack: option 'lbMemory'", 'got "lots"']),
    ],
)
def test_a_bad_option_fails_with_a_message_naming_it_and_its_value(options, named):
    first_line = failure("-E", f'(import ./nix/swarm.nix ({options})).files."compose.yaml"')
    for words in named:
        assert words in first_line


def test_swarm_up_waits_as_long_as_docker_watches_each_converged_service(tmp_path):
    # `docker stack deploy --detach=false` watches each service for its
    # update monitor, one after the other: a long monitor must not time out
    # a healthy deploy.
    compose = tmp_path / "compose.yaml"
    compose.write_text(json.dumps(render('{ updateMonitor = "2m"; }')["compose"]))
    assert swarm.watch_seconds(compose) == 2 * 120
    compose.write_text(json.dumps(render('{ updateMonitor = "1500ms"; }')["compose"]))
    assert swarm.watch_seconds(compose) == 2 * 1.5
