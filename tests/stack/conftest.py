from stacktool import nix


def pytest_terminal_summary(terminalreporter):
    # The suites must pass under Debian's Nix 2.8 and under a current Nix,
    # whose errors are shaped differently: say which one ran, even with -q.
    terminalreporter.write_line(f"evaluator: {' '.join(nix.command())}: {nix.version()}")
