# What the pure Nix suites share: counting a pattern, a failing evaluation, and the `passed` list.
let
  inherit (builtins)
    attrNames
    concatStringsSep
    deepSeq
    filter
    length
    split
    tryEval
    ;
in
{
  occurrences = pattern: text: (length (split pattern text) - 1) / 2;

  # Whether evaluating all of `value` fails, as a bad option makes it.
  fails = value: !(tryEval (deepSeq value null)).success;

  # The names of the `tests` (name -> bool), or a throw naming each that failed.
  run =
    suite: tests:
    let
      failed = filter (name: !tests.${name}) (attrNames tests);
    in
    if failed == [ ] then
      attrNames tests
    else
      throw "${suite} tests failed: ${concatStringsSep "; " failed}";
}
