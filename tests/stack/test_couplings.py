"""Facts stated in two languages that must agree, each read from one home or
checked here against it: a change to one side alone fails a test."""
from __future__ import annotations

import json
import os
import re
import subprocess

from stacktool import ROOT
from stacktool.nix import evaluated, failure
from stacktool.names import APP_SERVICE, DEFAULTS, LB_SERVICE  # the names the recipes use


def rendered(target: str = "compose") -> dict[str, str]:
    return evaluated("nix/render.nix", "--argstr", "target", target)


def rust_constant(path: str, pattern: str) -> str:
    """The one match of `pattern` in a Rust source file: its first group."""
    found = re.findall(pattern, (ROOT / path).read_text())
    assert len(found) == 1, f"{path}: {pattern!r} matched {len(found)} times"
    return found[0]


def test_docker_gives_the_health_check_the_budget_the_binary_keeps():
    # src/healthcheck.rs is the home; nix/images.nix's Docker timeout (and
    # with it compose's, swarm's and the Kubernetes probes') must equal it:
    # shorter, Docker gives up on a check still within its budget.
    budget = int(rust_constant("src/healthcheck.rs",
                               r"pub const BUDGET: Duration = Duration::from_secs\((\d+)\);"))
    images = evaluated("-E", "import ./nix/images.nix { }")
    assert images["app"]["healthcheck"]["timeoutSeconds"] == budget


def test_a_request_head_nginx_accepts_fits_the_replicas_header_limit():
    # src/limits.rs is the home; nginx, in front, must not pass on headers
    # the replica would refuse, so a client meets one limit, nginx's.
    factors = rust_constant("src/limits.rs", r"pub const MAX_HEADER_BYTES: usize = ([\d *]+);")
    replica_limit = 1
    for factor in factors.split("*"):
        replica_limit *= int(factor)
    conf = rendered()["nginx.conf"]
    (count, size), = re.findall(r"large_client_header_buffers (\d+) (\d+)k;", conf)
    assert int(count) * int(size) * 1024 <= replica_limit


def test_the_service_names_come_from_one_home_for_every_target():
    for target in ("compose", "swarm"):
        compose = json.loads(rendered(target)["compose.yaml"])
        assert sorted(compose["services"]) == sorted([APP_SERVICE, LB_SERVICE])


def test_the_justfile_defaults_are_those_of_nix_names_toml():
    env = {k: v for k, v in os.environ.items()
           if k not in ("HOSTINFO_PROJECT", "HOSTINFO_PORT", "HOSTINFO_STACK")}
    defaults = DEFAULTS
    for variable, key in (("project", "project"), ("port", "publishPort"),
                          ("swarm_stack", "swarmStack")):
        result = subprocess.run(["just", "--evaluate", variable], cwd=ROOT, env=env,
                                capture_output=True, text=True, check=True)
        assert result.stdout == str(defaults[key])
    lb = json.loads(rendered()["compose.yaml"])["services"][LB_SERVICE]
    assert lb["ports"][0].split(":")[1] == str(defaults["publishPort"])


def test_the_longest_drain_and_keep_alive_the_declaration_renders_are_what_the_replicas_take():
    # src/config/parse.rs is the home of the bounds; nix/timeouts.nix must not
    # render a value the replica would refuse at start, nor refuse one it takes.
    for option, constant, margin in (("stopGracePeriod", "MAX_SHUTDOWN_TIMEOUT_SECS", 2),
                                     ("appKeepAlive", "MAX_KEEP_ALIVE_SECS", 0)):
        most = int(rust_constant("src/config/parse.rs", rf"pub const {constant}: u64 = (\d+);"))
        error = failure("nix/render.nix", "--argstr", "target", "compose",
                                 "--arg", "options", f'{{ {option} = "{most + margin + 1}s"; }}')
        assert f"option '{option}' must be from" in error
        assert f"to {most + margin}s, got" in error
        assert evaluated("nix/render.nix", "--argstr", "target", "compose",
                         "--arg", "options", f'{{ {option} = "{most + margin}s"; }}')
