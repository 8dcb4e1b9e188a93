"""stacktool.nix.error_line finds the message in the stderr of either Nix.

The suites run under both evaluators (`just test-stack`, `just
test-stack-nix-current`); these cases hold the two shapes without either,
quoted from each for the same bad option."""
from __future__ import annotations

from stacktool.nix import error_line

MESSAGE = "error: hostinfo stack: option 'replicas' must be an integer >= 1, got \"x\""

# Debian's nix-bin 2.8.0, as root without a nixbld group.
NIX_2_8 = f"""\
warning: the group 'nixbld' specified in 'build-users-group' does not exist
{MESSAGE}
(use '--show-trace' to show detailed location information)
"""

# Debian sid's nix-bin 2.34.8: a bare `error:`, trace frames, the message last.
NIX_2_34 = f"""\
error:
       … while calling the 'seq' builtin
         at /work/hostinfo/nix/stack.nix:160:1:
          159| # Bad options fail whatever part of the result is asked for.
          160| builtins.seq s {{
             | ^
          161|   inherit compose nginxConf images;

       … while calling the 'deepSeq' builtin
         at /work/hostinfo/nix/stack.nix:39:7:
           38|   # Every option is checked, even one no output happens to read.
           39|   s = deepSeq checked (deepSeq timeouts (checked // pinned));
             |       ^
           40|

       (stack trace truncated; use '--show-trace' to show the full, detailed trace)

       {MESSAGE}
"""


def test_the_message_is_the_line_nix_2_8_prints_first():
    assert error_line(NIX_2_8) == MESSAGE


def test_the_message_is_the_line_nix_2_34_prints_last_after_a_bare_error_and_the_trace():
    assert error_line(NIX_2_34) == MESSAGE


def test_stderr_without_an_error_line_gives_its_last_line():
    assert error_line("warning: something\nkilled by signal 9\n") == "killed by signal 9"
    assert error_line("") == "no output on stderr"
