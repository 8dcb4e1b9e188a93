"""The Nix package's source filter keeps every file the binary embeds
(`include_str!`): crane's cleanCargoSource alone would drop them, and the Nix
build would fail where cargo's succeeds."""
from __future__ import annotations

import pathlib
import re

from stacktool import ROOT
from stacktool.nix import evaluated


def test_the_nix_source_keeps_every_file_the_binary_embeds():
    kept = evaluated("tests/stack/flake-wiring.nix", "-A", "packageSource")
    embedded = {pathlib.PurePath(name).name
                for source in (ROOT / "src").rglob("*.rs")
                for name in re.findall(r'include_str!\("([^"]+)"\)', source.read_text())}
    assert {"page.html", "page.css", "page.js", "openapi.json"} <= embedded
    assert embedded <= set(kept), f"dropped by nix/package.nix: {embedded - set(kept)}"
    assert not any(name.endswith(".md") or name.endswith(".png") for name in kept)


def test_the_nix_source_keeps_no_toml_but_cargos_so_nix_and_python_edits_rebuild_nothing():
    kept = evaluated("tests/stack/flake-wiring.nix", "-A", "packageSource")
    assert {"Cargo.toml", "Cargo.lock", "*.rs"} <= set(kept)
    # crane's commonCargoSources would keep nix/names.toml and pyproject.toml.
    assert "*.toml" not in kept
