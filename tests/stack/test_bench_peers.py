"""`just bench-peers` puts the stack's own nginx.conf in front of every peer."""
from __future__ import annotations

import importlib.util
import re

from stacktool import ROOT

# Its name has a hyphen, as the other benchmarks' do: loaded by path.
spec = importlib.util.spec_from_file_location("bench_peers", ROOT / "scripts" / "bench-peers.py")
bench_peers = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_peers)


def upstream(conf: str) -> str:
    return re.search(r"upstream \w+ \{(.*?)\n    \}", conf, re.DOTALL)[1]


def test_the_peers_nginx_conf_is_the_stacks_with_one_static_server_per_process():
    conf = bench_peers.nginx_conf(18080, [18001, 18002, 18003])
    servers = re.findall(r"^\s*server (\S+) (.*);$", upstream(conf), re.MULTILINE)
    # Each process once as a replica and once as the panic backup, as the
    # stack's two lines for its one DNS name.
    ports = [f"127.0.0.1:{p}" for p in (18001, 18002, 18003)]
    assert [address for address, params in servers if "backup" not in params] == ports
    assert [address for address, params in servers if "backup" in params] == ports
    # The same failover parameters as the stack's own lines, without `resolve`.
    assert all("max_fails=" in params and "resolve" not in params for _, params in servers)
    assert "keepalive " in upstream(conf)
    assert re.search(r"listen 18080\b", conf)
    assert "location = /_bench/ceiling" in conf
