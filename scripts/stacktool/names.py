"""The service names and the defaults `just` uses, from nix/names.toml, their
one home, which the Nix declaration reads too."""
from __future__ import annotations

import tomllib

from stacktool import ROOT

NAMES = tomllib.loads((ROOT / "nix" / "names.toml").read_text())
APP_SERVICE: str = NAMES["services"]["app"]
LB_SERVICE: str = NAMES["services"]["lb"]
DEFAULTS: dict = NAMES["defaults"]
