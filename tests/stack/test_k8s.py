"""The Kubernetes manifests (nix/k8s.nix), evaluated as users' machines do.

No Nix store and no cluster are needed: a bare `nix-instantiate` renders the
manifests, kubernetes-validate checks each one against the schemas of the
Kubernetes versions below (offline, strictly: an unknown field fails), and
the nginx image, when it is there, checks the nginx.conf they carry.
"""
from __future__ import annotations

import json
import pathlib
import shlex
import shutil
import subprocess
import tempfile
import uuid

import kubernetes_validate
import pytest

from stacktool import ROOT
from stacktool import nix
from stacktool.nix import evaluated, failure, pure_nix_tests

GOLDEN = ROOT / "nix" / "tests" / "golden" / "k8s.json"

# The oldest release with the preStop sleep action on by default (beta in
# 1.30, GA in 1.34), and the newest schema kubernetes-validate ships.
KUBERNETES_VERSIONS = ["1.30", "1.37"]

# nginx resolves the `resolver` name once, at start, through the system
# resolver, and `nginx -t` fails if it cannot; outside a cluster the name is
# pointed at loopback, which nginx -t never queries.
KUBE_DNS = "kube-dns.kube-system.svc.cluster.local"

# The nginx image the manifests name by default; the end-to-end suite builds it.
NGINX_IMAGE = "hostinfo-nginx:1.30"


def render(options: str = "{ }") -> dict:
    return evaluated("-E", f"import ./nix/k8s.nix ({options})")


OPTION_SETS = [
    "{ }",
    '{ replicas = 1; publishPort = 18000; namespace = "demo"; lbReplicas = 1; }',
    '{ replicas = 12; serviceType = "LoadBalancer"; appMemory = "1g"; stopGracePeriod = "1m";'
    ' accessLog = false; benchmarkLocation = true; clusterDomain = "k8s.example"; }',
    '{ serviceType = "NodePort"; resolver = "169.254.20.10"; drainSeconds = 2; lbMemory = "65536k"; }',
]


def test_the_renderers_own_pure_nix_tests_pass():
    passed = pure_nix_tests("nix/tests/k8s.nix")
    assert len(passed) >= 30
    print(f"{len(passed)} pure Nix tests of the Kubernetes renderer passed")


def test_the_small_stack_renders_the_golden_manifests():
    rendered = evaluated("-E", "(import ./nix/tests/k8s.nix).goldenK8s")
    golden = json.loads(GOLDEN.read_text())
    # Item by item, so a failure names the manifest that changed.
    assert [kind_name(m) for m in rendered["items"]] == [kind_name(m) for m in golden["items"]]
    for new, old in zip(rendered["items"], golden["items"]):
        assert new == old, f"{kind_name(new)} differs from {GOLDEN.name}: run `just golden` if meant"
    assert rendered == golden


def kind_name(manifest: dict) -> str:
    return f"{manifest['kind']}/{manifest['metadata']['name']}"


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("options", OPTION_SETS)
def test_every_manifest_follows_the_kubernetes_schema(options, version):
    manifests = render(options)["manifests"]
    assert len(manifests) == 8
    for manifest in manifests:
        # validate() raises on an unknown kind too, where the command-line
        # tool would only warn and pass.
        checked = kubernetes_validate.validate(manifest, version, strict=True)
        assert checked == version, kind_name(manifest)


def test_the_schema_check_would_catch_a_stray_field_and_a_too_old_cluster():
    deployment = next(m for m in render()["manifests"] if m["kind"] == "Deployment")
    stray = json.loads(json.dumps(deployment))
    stray["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(stray, KUBERNETES_VERSIONS[-1], strict=True)
    # Before 1.29 the API had no sleep action: the preStop drain needs it.
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, "1.28", strict=True)


def test_the_file_for_kubectl_is_one_list_of_every_manifest():
    rendered = render()
    as_file = json.loads(rendered["files"]["hostinfo.json"])
    assert as_file == {"apiVersion": "v1", "kind": "List", "items": rendered["manifests"]}
    assert rendered["files"]["nginx.conf"] == rendered["nginxConf"]


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq not installed")
def test_the_readmes_command_without_nix_writes_the_same_file(tmp_path):
    # The evaluator the suite runs under (HOSTINFO_NIX_INSTANTIATE) in place of the README's.
    command = (
        f"{shlex.join(nix.command())} --eval --strict --json "
        """-E '(import ./nix/k8s.nix { replicas = 3; }).files."hostinfo.json"' """
        f"| jq -r . > {tmp_path}/hostinfo.json"
    )
    subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=ROOT, check=True)
    written = json.loads((tmp_path / "hostinfo.json").read_text())
    assert written == render("{ replicas = 3; }")["list"]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ('{ namespace = "Hostinfo"; }', ["hostinfo k8s: option 'namespace'", 'got "Hostinfo"', "DNS label"]),
        ("{ namespace = 7; }", ["hostinfo k8s: option 'namespace'", "got 7"]),
        ('{ clusterDomain = "cluster..local"; }', ["option 'clusterDomain'", 'got "cluster..local"']),
        ("{ lbReplicas = 0; }", ["hostinfo k8s: option 'lbReplicas'", "got 0", ">= 1"]),
        ('{ serviceType = "ExternalName"; }', ["option 'serviceType'", 'got "ExternalName"', "LoadBalancer"]),
        ("{ drainSeconds = 0; }", ["option 'drainSeconds'", "got 0"]),
        ('{ appHost = "elsewhere"; }', ["option 'appHost' cannot be set", "hostinfo-app", 'got "elsewhere"']),
        ('{ namespaces = "x"; }', ["hostinfo k8s: unknown option 'namespaces'", "namespace", "replicas"]),
        # The stack's own options are still checked by nix/stack.nix.
        ("{ replicas = 0; }", ["hostinfo stack: option 'replicas'", "got 0"]),
        ('{ appMemory = "lots"; }', ["hostinfo stack: option 'appMemory'", 'got "lots"']),
    ],
)
def test_a_bad_option_fails_with_a_message_naming_it_and_its_value(options, named):
    first_line = failure("-E", f'(import ./nix/k8s.nix ({options})).files."hostinfo.json"')
    for words in named:
        assert words in first_line


# nginx -t in the nginx image. Importable, so the end-to-end suite (which
# builds the image) can run the same check: `nginx_t(conf)`.

def test_the_nginx_image_checked_is_the_one_the_manifests_name():
    assert render()["settings"]["lbImage"] == NGINX_IMAGE


def image_present(image: str) -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "image", "inspect", image],
                          capture_output=True, check=False).returncode == 0


def nginx_t(conf: str, image: str = NGINX_IMAGE, *, resolver: str = KUBE_DNS,
            network: list[str] | None = None,
            tmp_dir: pathlib.Path | None = None) -> subprocess.CompletedProcess:
    """`nginx -t` on `conf`, as the Kubernetes pod runs it: read-only, /tmp writable.

    By default with no network and the `resolver` name mapped to loopback in
    /etc/hosts (see KUBE_DNS); pass `network` (docker run arguments) to
    resolve it through DNS instead.
    """
    if tmp_dir is None:
        with tempfile.TemporaryDirectory() as directory:
            return nginx_t(conf, image, resolver=resolver, network=network,
                           tmp_dir=pathlib.Path(directory))
    path = tmp_dir / "nginx.conf"
    path.write_text(conf)
    path.chmod(0o644)
    is_address = all(part.isdigit() for part in resolver.split("."))
    hosts = [] if is_address else ["--add-host", f"{resolver}:127.0.0.1"]
    where = network or ["--network", "none", *hosts]
    return subprocess.run(
        ["docker", "run", "--rm", "--read-only", "--tmpfs", "/tmp",
         *where, "-v", f"{path}:/etc/nginx/nginx.conf:ro", image, "-t"],
        capture_output=True, text=True, check=False,
    )


needs_nginx_image = pytest.mark.skipif(
    not image_present(NGINX_IMAGE),
    reason=f"nginx image {NGINX_IMAGE} not loaded (the end-to-end suite builds it)",
)


@needs_nginx_image
@pytest.mark.parametrize("options", OPTION_SETS)
def test_the_kubernetes_nginx_conf_passes_nginx_t(options, tmp_path):
    rendered = render(options)
    result = nginx_t(rendered["nginxConf"], resolver=rendered["settings"]["resolver"], tmp_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@needs_nginx_image
def test_nginx_finds_the_cluster_dns_by_name_through_dns(tmp_path):
    # The pod's road: resolv.conf and a DNS answer, not /etc/hosts. Docker's
    # embedded DNS answers for a network alias, as the cluster DNS would.
    network = f"hostinfo-k8s-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(["docker", "network", "create", network], capture_output=True, check=True)
    try:
        result = nginx_t(render()["nginxConf"], tmp_dir=tmp_path,
                         network=["--network", network, "--network-alias", KUBE_DNS])
    finally:
        subprocess.run(["docker", "network", "rm", network], capture_output=True, check=False)
    assert result.returncode == 0, result.stderr


@needs_nginx_image
def test_nginx_t_fails_when_the_resolver_name_does_not_resolve(tmp_path):
    # Why the checks above map the name: without it nginx refuses to start.
    result = nginx_t(render()["nginxConf"], tmp_dir=tmp_path, network=["--network", "none"])
    assert result.returncode != 0
    assert f'host not found in resolver "{KUBE_DNS}"' in result.stderr
