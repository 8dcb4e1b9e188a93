"""The readiness switches and nginx: refused on the published port unless
the stack option `exposeReadyToggle` lets them through."""
from __future__ import annotations

import re

from stacktool.nix import evaluated, nix_eval

GUARD = re.compile(r"location \^~ /ready/ \{\s*default_type application/json;\s*return 403 ")


def nginx_conf(options: str) -> str:
    return evaluated("nix/render.nix", "--arg", "options", options)["nginx.conf"]


def test_nginx_refuses_the_readiness_switches_by_default():
    conf = nginx_conf("{ }")
    assert GUARD.search(conf)
    # Before the catch-all location, which would otherwise pass them on.
    assert conf.index("location ^~ /ready/") < conf.index("location / {")


def test_the_stack_option_lets_the_switches_through():
    assert not GUARD.search(nginx_conf("{ exposeReadyToggle = true; }"))
    assert "location ^~ /ready/" not in nginx_conf("{ exposeReadyToggle = true; }")


def test_every_target_keeps_the_guard():
    for target in ("swarm", "kubernetes"):
        rendered = evaluated("nix/render.nix", "--argstr", "target", target,
                             "--arg", "options", "{ }")
        assert any(GUARD.search(text) for text in rendered.values()), target


def test_a_bad_value_is_an_error_naming_the_option():
    result = nix_eval("nix/render.nix", "--arg", "options", '{ exposeReadyToggle = "yes"; }')
    assert result.returncode != 0
    assert "option 'exposeReadyToggle' must be true or false, got \"yes\"" in result.stderr, result.stderr
