# A flake's lastModifiedDate (YYYYMMDDHHMMSS, UTC) in the RFC 3339 form image metadata wants.
date:
let
  part = start: length: builtins.substring start length date;
in
assert
  builtins.match "[0-9]{14}" date != null
  || throw "timestamp.nix: expected YYYYMMDDHHMMSS, got \"${date}\"";
"${part 0 4}-${part 4 2}-${part 6 2}T${part 8 2}:${part 10 2}:${part 12 2}Z"
