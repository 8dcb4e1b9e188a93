# Option checking for stack.nix, swarm.nix and k8s.nix: types, `validate`, and the duration and size formats.
let
  inherit (builtins)
    attrNames
    concatStringsSep
    elem
    elemAt
    filter
    fromJSON
    head
    intersectAttrs
    isBool
    isInt
    isString
    mapAttrs
    match
    removeAttrs
    toJSON
    ;

  durationParts = match "([0-9]+)(ms|s|m|h)";
  sizeParts = match "([0-9]+)([kmg]?)";
  atLeast = n: v: isInt v && v >= n;
  isNonEmptyString = v: isString v && v != "";
in
rec {
  # A value as an error message shows it: strings quoted, the rest as JSON.
  show = v: if isString v then ''"${v}"'' else toJSON v;
  fail = prefix: message: throw "${prefix} ${message}";

  # What an option must be, as a test and the words for an error.
  port = {
    check = v: isInt v && v >= 1 && v <= 65535;
    expected = "an integer from 1 to 65535";
  };
  duration = {
    check = v: isString v && durationParts v != null;
    expected = ''a duration such as "250ms", "2s" or "1m"'';
  };
  size = {
    check = v: isString v && sizeParts v != null;
    expected = ''a size such as "16k" or "64m"'';
  };
  count = n: {
    check = atLeast n;
    expected = "an integer >= ${toString n}";
  };
  workers = {
    check = v: v == "auto" || atLeast 1 v;
    expected = ''"auto" or an integer >= 1'';
  };
  flag = {
    check = isBool;
    expected = "true or false";
  };
  oneOf = values: {
    check = v: elem v values;
    expected = "one of ${concatStringsSep ", " values}";
  };
  nonEmptyString = expected: {
    check = isNonEmptyString;
    inherit expected;
  };
  matching = pattern: expected: {
    check = v: isString v && match pattern v != null;
    inherit expected;
  };

  # Where `just push` puts the images: a host, an optional port and path
  # prefix, as Docker parses a reference. The host needs a dot, a port or the
  # name localhost, or Docker reads it as a Docker Hub account. One pattern,
  # POSIX extended, that nix/push.nix and scripts/push.py match too.
  registryPattern =
    let
      label = "[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?";
      component = "[a-z0-9]+(([_.]|__|-+)[a-z0-9]+)*";
    in
    "(localhost(:[0-9]{1,5})?|${label}(\\.${label})+(:[0-9]{1,5})?|${label}:[0-9]{1,5})(/${component})*";
  registry = {
    check = v: v == null || isString v && match registryPattern v != null;
    expected = ''null or a registry host[:port][/path] such as "registry.example.com" or "127.0.0.1:5000/hostinfo"'';
  };

  # An option is declared once, as a record: its `default`, its `type` (one
  # of the above) and a one-line `description` for the tables in docs/
  # (nix/docs.nix). `defaultText` words a default that follows other
  # options; an `internal` option is one no person sets, left out of the docs.

  # The `records`' defaults, with the `options` given for them, each checked
  # against its type, or a throw naming the first option not `known`. Lazy: an
  # option is checked when it is read, so the caller forces the result
  # (deepSeq) where every option must be checked. Options `known` but not in
  # `records` are left to the caller.
  validate =
    {
      prefix,
      records,
      options,
      known ? attrNames records,
    }:
    let
      unknown = filter (name: !(elem name known)) (attrNames options);
      defaults = mapAttrs (_: record: record.default) records;
      checked =
        name: value:
        if records.${name}.type.check value then
          value
        else
          fail prefix "option '${name}' must be ${records.${name}.type.expected}, got ${show value}";
    in
    if unknown != [ ] then
      fail prefix "unknown option '${head unknown}' (known options: ${concatStringsSep ", " known})"
    else
      mapAttrs checked (defaults // intersectAttrs records options);

  # A target's own options (`extra`, records) on top of the stack's (`base`),
  # checked here so that a typo is met with every option the target knows.
  # `forbidden`: stack options the target sets itself (name -> why);
  # `fixed`: ones it takes at one value only (name -> { value; why; }).
  # Gives the target's `settings`, and the `stackOptions` for stack.nix,
  # which checks those.
  extend =
    {
      prefix,
      base,
      extra,
      forbidden ? { },
      fixed ? { },
      options,
    }:
    let
      stackOptions = removeAttrs options (attrNames extra);
      given = filter (name: stackOptions ? ${name});
      refused = given (attrNames forbidden);
      unfixed = filter (name: stackOptions.${name} != fixed.${name}.value) (given (attrNames fixed));
      name = head (refused ++ unfixed);
      value = show stackOptions.${name};
    in
    if refused != [ ] then
      fail prefix "option '${name}' cannot be set: ${forbidden.${name}}, got ${value}"
    else if unfixed != [ ] then
      fail prefix "option '${name}' cannot be ${value}: ${fixed.${name}.why}"
    else
      {
        inherit stackOptions;
        settings = validate {
          inherit prefix options;
          records = extra;
          known = filter (name: !(forbidden ? ${name})) (attrNames base) ++ attrNames extra;
        };
      };

  # "10s" -> 10, rounding up: a grace period must not come out shorter.
  seconds = duration: (milliseconds duration + 999) / 1000;

  # "2500ms" -> 2500: for a time that must not come out longer, such as the
  # part of a grace period a replica may spend draining.
  milliseconds =
    duration:
    let
      parts = durationParts duration;
    in
    fromJSON (head parts)
    * {
      ms = 1;
      s = 1000;
      m = 60000;
      h = 3600000;
    }
    .${elemAt parts 1};

  # "16m" -> 16777216: compose sizes are binary.
  bytes =
    size:
    let
      parts = sizeParts size;
    in
    fromJSON (head parts)
    * {
      "" = 1;
      k = 1024;
      m = 1024 * 1024;
      g = 1024 * 1024 * 1024;
    }
    .${elemAt parts 1};

  # "64m" -> "64Mi": the same size as a Kubernetes quantity, where "64m"
  # would be 64 thousandths of a byte.
  quantity =
    size:
    let
      parts = sizeParts size;
    in
    head parts
    + {
      "" = "";
      k = "Ki";
      m = "Mi";
      g = "Gi";
    }
    .${elemAt parts 1};
}
