"""The rendered nginx.conf and the nginx each image road ships, checked
without Docker: gixy-ng over the config, its CVE database against the
version, and the headers nginx passes against those the replicas read."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from stacktool import ROOT
from stacktool.nix import evaluated

TARGETS = ["compose", "swarm", "kubernetes"]
LB = evaluated("-E", "(import ./nix/images.nix { }).lb")
DEB_CACHE = Path.home() / ".cache" / "hostinfo" / "apt-sid" / "debs"


def rendered_nginx_conf(target: str, tmp_path: Path) -> Path:
    files = evaluated("nix/render.nix", "--argstr", "target", target, "--argstr", "replicas", "3")
    conf = tmp_path / f"{target}.conf"
    conf.write_text(files["nginx.conf"])
    return conf


def gixy(conf: Path, *args: str) -> list[dict]:
    """gixy-ng's findings, every check at every severity."""
    result = subprocess.run([sys.executable, "-m", "gixy", "-f", "json", *args, str(conf)],
                            capture_output=True, text=True, check=False, timeout=120)
    assert result.stdout.strip().startswith("["), result.stderr
    return json.loads(result.stdout)


def findings(found: list[dict]) -> list[str]:
    return [f"{issue['plugin']}: {issue.get('reason') or issue.get('summary')}" for issue in found]


@pytest.mark.parametrize("target", TARGETS)
def test_gixy_finds_nothing_in_the_rendered_config(target, tmp_path):
    assert findings(gixy(rendered_nginx_conf(target, tmp_path))) == []


def test_the_nginx_the_nix_road_asserts_has_no_cve_gixy_knows(tmp_path):
    """nix/nginx.nix refuses a pinned nixpkgs whose nginx is older than
    lb.minimumNginx, and images/build-nginx-image refuses such a .deb: that
    floor must be free of every CVE gixy-ng knows for this config."""
    floor = LB["minimumNginx"]
    assert floor.rsplit(".", 1)[0] == LB["nginxSeries"]
    assert findings(gixy(rendered_nginx_conf("compose", tmp_path), "--nginx-version", floor)) == []


def test_gixy_knows_the_cve_that_the_floor_is_there_for(tmp_path):
    """The check above can fail: 1.30.3 (a release of the series before the
    fix) is flagged."""
    found = findings(gixy(rendered_nginx_conf("compose", tmp_path), "--nginx-version", "1.30.3"))
    assert any(line.startswith("nginx_cves: CVE-") for line in found), found


@pytest.mark.skipif(not list(DEB_CACHE.glob("nginx_*.deb")),
                    reason="no .deb fetched yet (images/build-nginx-image); tests/e2e checks the image")
def test_the_nginx_the_local_road_fetched_has_no_cve_gixy_knows(tmp_path):
    (deb,) = DEB_CACHE.glob("nginx_*.deb")
    version = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], capture_output=True,
                             text=True, check=True).stdout.strip()
    upstream = re.fullmatch(r"(?:\d+:)?([\d.]+)-.*", version).group(1)
    print(f"sid's nginx: {version}")
    assert findings(gixy(rendered_nginx_conf("compose", tmp_path), "--nginx-version", upstream)) == []


def test_nginx_passes_every_header_the_replicas_read():
    """nginx passes only the headers it names (proxy_pass_request_headers
    off): each header the service reads must be one of them."""
    conf = (ROOT / "nginx.conf").read_text()
    assert "proxy_pass_request_headers off;" in conf
    passed = {name.lower() for name in re.findall(r"proxy_set_header\s+(\S+)\s+\S", conf)}
    view = (ROOT / "src" / "routes" / "info" / "view.rs").read_text()
    read = {name.replace("_", "-").lower() for name in re.findall(r"header::([A-Z_]+)\)", view)}
    read |= set(re.findall(r'HeaderName::from_static\("([a-z-]+)"\)', view))
    ready = (ROOT / "src" / "routes" / "ready.rs").read_text()
    read |= {name.lower() for name in re.findall(r'SWITCH_HEADER: &str = "([^"]+)"', ready)}
    assert {"host", "user-agent", "x-forwarded-for", "x-real-ip", "x-hostinfo-switch"} <= read
    assert read <= passed, f"read by the replicas but not passed by nginx: {read - passed}"
    assert "x-forwarded-host" not in passed
