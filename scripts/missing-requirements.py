#!/usr/bin/env python3
"""Print, one a line, the requirements of pyproject.toml's optional group
(argv[1]) that this interpreter does not satisfy: what .ci/run, or a recipe,
hands to pip, so that pip runs only when something is missing."""
import importlib.metadata
import pathlib
import sys
import tomllib

pyproject = tomllib.loads((pathlib.Path(__file__).parents[1] / "pyproject.toml").read_text())
wanted = pyproject["project"]["optional-dependencies"][sys.argv[1]]
try:
    from packaging.requirements import Requirement
except ImportError:  # a fresh machine, without even pytest's packaging: pip sorts it out
    print(*wanted, sep="\n")
    sys.exit()
for line in wanted:
    requirement = Requirement(line)
    if requirement.marker and not requirement.marker.evaluate():
        continue  # not for this interpreter or platform
    try:
        installed = importlib.metadata.version(requirement.name)
        if requirement.specifier.contains(installed, prereleases=True):
            continue
    except importlib.metadata.PackageNotFoundError:
        pass
    print(line)
