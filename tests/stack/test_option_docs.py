"""The option records (nix/*-options.nix) and nix/docs.nix, which the tables in docs/ are written from.

Every option is declared once, with a one-line description; docs.nix must
list exactly the options each target checks, so that a table can neither
miss an option nor name one that a target would reject.
"""
from __future__ import annotations

import re

import pytest

from stacktool.nix import evaluated, failure

# Every record's description and whether it is internal, per file. The k8s
# records take the stack's settings (the drain follows resolverValid).
RECORDS = """
let
  fields = records: builtins.mapAttrs (_: record: {
    description = record.description or null;
    internal = record.internal or false;
  }) records;
in {
  stack = fields (import ./nix/stack-options.nix);
  swarm = fields (import ./nix/swarm-options.nix);
  k8s = fields (import ./nix/k8s-options.nix (import ./nix/stack.nix { }).settings);
}
"""

# Stack options a target sets itself, and so refuses (README: Docker Swarm, Kubernetes).
SET_BY_TARGET = {"compose": set(), "swarm": {"appHost"}, "kubernetes": {"appHost"}}
OWN = {"compose": None, "swarm": "swarm", "kubernetes": "k8s"}


@pytest.fixture(scope="module")
def records():
    return evaluated("-E", RECORDS)


@pytest.fixture(scope="module")
def docs():
    return evaluated("nix/docs.nix")


def known_options(target: str) -> set[str]:
    """The options a target checks, as its unknown-option error lists them."""
    line = failure("nix/render.nix", "--argstr", "target", target,
                            "--arg", "options", "{ notAnOption = 1; }")
    listed = re.search(r"unknown option 'notAnOption' \(known options: ([^)]*)\)", line)
    assert listed, line
    return set(listed.group(1).split(", "))


def test_every_option_record_has_a_one_line_description(records):
    for file, options in records.items():
        assert options, file
        for name, record in options.items():
            description = record["description"]
            assert isinstance(description, str), f"{file}: {name} has no description"
            assert description.strip() == description != "", f"{file}: {name}"
            assert "\n" not in description, f"{file}: {name}'s description is more than one line"


def test_docs_give_each_option_its_default_description_and_expected_value(docs):
    assert sorted(docs) == ["k8s", "stack", "swarm"]
    for table, rows in docs.items():
        assert [row["name"] for row in rows] == sorted(row["name"] for row in rows), table
        for row in rows:
            assert sorted(row) == ["default", "description", "expected", "name"]
            assert all(isinstance(value, str) and value for value in row.values()), row
    stack = {row["name"]: row for row in docs["stack"]}
    assert stack["replicas"]["default"] == "5"
    assert stack["logLevel"]["default"] == '"warn"'
    assert stack["registry"]["default"] == "null"
    assert stack["publishPort"]["expected"] == "an integer from 1 to 65535"


@pytest.mark.parametrize("target", ["compose", "swarm", "kubernetes"])
def test_docs_list_exactly_the_options_each_target_checks(target, docs, records):
    internal = {name for name, record in records["stack"].items() if record["internal"]}
    documented = {row["name"] for row in docs["stack"]} | internal
    documented -= SET_BY_TARGET[target]
    if OWN[target]:
        documented |= {row["name"] for row in docs[OWN[target]]}
    assert documented == known_options(target)


def test_internal_options_stay_out_of_the_docs(docs, records):
    internal = {name for options in records.values() for name, r in options.items() if r["internal"]}
    assert internal == {"digests"}
    assert not internal & {row["name"] for rows in docs.values() for row in rows}
