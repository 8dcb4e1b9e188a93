"""`just k8s-policy`: the policy-controller ClusterImagePolicy rendered from the
declaration, checked against schemas/clusterimagepolicy.json. No cluster here:
what can be checked is its shape and that it names what `just push` pushed."""
from __future__ import annotations

import json
import os
import subprocess

import jsonschema
import pytest

from stacktool import ROOT

KEY = ("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9wJdqpdMR3KepJSJSmj99dhClk3b\n"
       "5Qi5HQr7TYT1nz9ese+O5BcoE2UF9LxOiYbK8ie0dGEl0ooRphXfKuPj4w==\n-----END PUBLIC KEY-----\n")
SCHEMA = json.loads((ROOT / "schemas" / "clusterimagepolicy.json").read_text())


def policy(tmp_path, options: str, key: str = KEY) -> subprocess.CompletedProcess:
    (tmp_path / "cosign.pub").write_text(key)
    return subprocess.run(["python3", "scripts/stack.py", "k8s-policy", options], cwd=ROOT,
                          env={**os.environ, "HOSTINFO_VERIFY_KEY": str(tmp_path / "cosign.pub")},
                          capture_output=True, text=True, check=False)


def test_the_policy_admits_both_images_from_the_registry_signed_by_the_key(tmp_path):
    result = policy(tmp_path, '{ registry = "registry.example.com/hostinfo"; replicas = 3; }')
    assert result.returncode == 0, result.stderr
    rendered = json.loads(result.stdout)
    jsonschema.validate(rendered, SCHEMA)
    assert rendered["spec"]["images"] == [{"glob": "registry.example.com/hostinfo/hostinfo*"},
                                          {"glob": "registry.example.com/hostinfo/hostinfo-nginx*"}]
    [authority] = rendered["spec"]["authorities"]
    assert authority["key"]["data"] == KEY and "ctlog" not in authority


def test_the_schema_catches_a_misspelt_field():
    broken = {"apiVersion": "policy.sigstore.dev/v1beta1", "kind": "ClusterImagePolicy",
              "metadata": {"name": "x"},
              "spec": {"images": [{"glob": "r.example.com/x*"}],
                       "authorities": [{"keys": {"data": KEY}}]}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


@pytest.mark.parametrize("options, key, says", [
    ("{ }", KEY, "hostinfo k8s-policy: option 'registry' must be where `just push` pushed, "
                 "host[:port][/path], got null"),
    ('{ registry = "registry.example.com/hostinfo"; }', "not a key\n",
     "hostinfo k8s-policy: the public key must be a PEM public key (cosign.pub)"),
])
def test_a_missing_registry_or_a_bad_key_is_one_line(tmp_path, options, key, says):
    result = policy(tmp_path, options, key)
    assert result.returncode == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: {says}"), line
