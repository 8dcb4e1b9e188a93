#!/usr/bin/env python3
"""The entry point the Justfile calls: `python3 scripts/stack.py COMMAND`.

Running a script puts its folder, scripts/, on sys.path, so the package
beside it (scripts/stacktool/) imports as it is.
"""
from stacktool.cli import main

if __name__ == "__main__":
    main()
