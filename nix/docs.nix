# The option records as the tables in docs/ read them: `nix-instantiate --eval --strict --json nix/docs.nix`.
#
# { stack; swarm; k8s; }: the options every target takes, then those only
# swarm or Kubernetes adds; each a list of { name; default; description;
# expected; }, sorted by name (attribute sets keep no declaration order),
# without the internal ones. `default` is as a person reads it.
let
  inherit (builtins) attrNames filter;
  inherit (import ./options.nix) show;

  rows =
    records:
    map (
      name:
      let
        record = records.${name};
      in
      {
        inherit name;
        inherit (record) description;
        default = record.defaultText or (show record.default);
        inherit (record.type) expected;
      }
    ) (filter (name: !(records.${name}.internal or false)) (attrNames records));
in
{
  stack = rows (import ./stack-options.nix);
  swarm = rows (import ./swarm-options.nix);
  k8s = rows (import ./k8s-options.nix (import ./stack.nix { }).settings);
}
