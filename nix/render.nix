# A target's rendered files (file name -> content), for the flake's packages
# and for `just render` / `just swarm-up` (through nix-instantiate and jq).
{
  # compose, swarm or kubernetes: each renders the same declaration.
  target ? "compose",
  # Stack options, as nix/stack.nix takes them.
  options ? { },
  # The same two options as command-line strings (`--argstr`), as the
  # Justfile passes them; a whole number is meant as a number.
  replicas ? null,
  publishPort ? null,
  # Where `just push` wrote the images' digests (an absolute path, as a
  # string): read when the options name a `registry`.
  digestsFile ? null,
}:
let
  inherit (builtins)
    attrNames
    concatStringsSep
    filter
    fromJSON
    isString
    match
    pathExists
    readFile
    removeAttrs
    ;

  renderers = {
    compose = ./stack.nix;
    swarm = ./swarm.nix;
    kubernetes = ./k8s.nix;
  };

  number = v: if isString v && match "0|[1-9][0-9]{0,8}" v != null then fromJSON v else v;
  given = {
    replicas = number replicas;
    publishPort = number publishPort;
  };
  fromCommandLine = removeAttrs given (filter (name: given.${name} == null) (attrNames given));
  # No file yet leaves `digests` unset, and stack.nix says to push first.
  pushed =
    if options ? registry && digestsFile != null && pathExists digestsFile then
      { digests = fromJSON (readFile digestsFile); }
    else
      { };
in
if renderers ? ${target} then
  (import renderers.${target} (pushed // options // fromCommandLine)).files
else
  throw "hostinfo render: target must be one of ${concatStringsSep ", " (attrNames renderers)}, got \"${target}\""
