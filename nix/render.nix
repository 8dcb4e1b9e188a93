# The rendered stack as files: file name -> content, for the flake's
# `packages.stack` and for `just render` (through nix-instantiate and jq).
{
  # Stack options, as nix/stack.nix takes them.
  options ? { },
  # The same two options as command-line strings (`--argstr`), as the
  # Justfile passes them; a whole number is meant as a number.
  replicas ? null,
  publishPort ? null,
}:
let
  inherit (builtins) attrNames filter fromJSON isString match removeAttrs;

  number = v: if isString v && match "0|[1-9][0-9]{0,8}" v != null then fromJSON v else v;
  given = {
    replicas = number replicas;
    publishPort = number publishPort;
  };
  fromCommandLine = removeAttrs given (filter (name: given.${name} == null) (attrNames given));

  stack = import ./stack.nix (options // fromCommandLine);
in
{
  # JSON is YAML: both compose front-ends read it as it is.
  "compose.yaml" = builtins.toJSON stack.compose;
  "nginx.conf" = stack.nginxConf;
}
