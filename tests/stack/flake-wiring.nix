# The flake's outputs evaluated against stand-ins for nixpkgs and crane: the wiring, not the builds.
#
# Nothing here builds: every stand-in builder returns the arguments it was
# given, so the flake's outputs can be read without a Nix store (which these
# machines cannot fill). It catches what a build would catch first: a file
# asking for an argument nobody passes, an output missing on a system, image
# settings that drift from nix/image-config.nix. And, as a lint stricter than
# the real functions, an argument they do not declare: the real crane and
# nginx functions take `...`, so a misspelled argument there becomes an
# environment variable or is ignored rather than failing.
# `nix flake check` builds for real.
{
  # A real nginx 1.30 release at the floor nix/images.nix asserts (lb.minimumNginx).
  nginxVersion ? "1.30.6",
  # The rustc the stand-in nixpkgs gives; the package asserts Cargo.toml's rust-version against it.
  rustcVersion ? "1.94.1",
}:
let
  inherit (builtins)
    attrNames
    compareVersions
    concatStringsSep
    elem
    elemAt
    filter
    functionArgs
    intersectAttrs
    isFunction
    listToAttrs
    map
    mapAttrs
    match
    replaceStrings
    splitVersion
    ;

  lib = rec {
    genAttrs = names: f: listToAttrs (map (name: { inherit name; value = f name; }) names);
    optionalAttrs = condition: attrs: if condition then attrs else { };
    assertMsg = condition: message: condition || throw message;
    versions.majorMinor = v: "${elemAt (splitVersion v) 0}.${elemAt (splitVersion v) 1}";
    versionAtLeast = a: b: compareVersions a b >= 0;
    escapeShellArg = s: "'${s}'";
    escapeShellArgs = list: concatStringsSep " " (map escapeShellArg list);
    concatStrings = concatStringsSep "";
    concatMapStringsSep = sep: f: list: concatStringsSep sep (map f list);
    mapAttrsToList = f: attrs: map (name: f name attrs.${name}) (attrNames attrs);
    importTOML = path: builtins.fromTOML (builtins.readFile path);
    toUpper = replaceStrings lowerChars upperChars;
    lowerChars = lib.stringToCharacters "abcdefghijklmnopqrstuvwxyz";
    upperChars = lib.stringToCharacters "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    stringToCharacters = s: builtins.genList (i: builtins.substring i 1 s) (builtins.stringLength s);
    inherit replaceStrings;
    any = builtins.any;
    # A file set as the names it would keep, so the source filter can be read.
    fileset = {
      toSource = { root, fileset }: fileset;
      unions = builtins.concatLists;
      fileFilter =
        predicate:
        let
          walk =
            dir:
            builtins.concatLists (
              builtins.attrValues (
                mapAttrs (
                  name: type:
                  if type == "directory" then
                    walk (dir + "/${name}")
                  else if predicate (fileOf name) then
                    [ name ]
                  else
                    [ ]
                ) (builtins.readDir dir)
              )
            );
        in
        walk;
    };
  };
  fileOf = name: {
    inherit name;
    hasExt = ext: match ".*\\.${ext}" name != null;
  };

  # A stand-in accepts every argument name the real function declares (the
  # list and where it comes from are given with each) and needs the ones it
  # requires. Anything else fails here as a lint of our own spelling. Where
  # the real function takes `...` (crane's, which hand every attribute to the
  # derivation; nginx's override) it would take a typo silently, so the lint
  # is stricter than a real build, and says so.
  strict =
    what:
    {
      names,
      required ? [ ],
      # crane hands every attribute it does not use to the derivation, as an
      # environment variable: upper-case names (CARGO_BUILD_TARGET, TARGET_CC) pass.
      environment ? false,
      # The real function takes `...`.
      ellipsis ? false,
      source,
    }:
    args:
    let
      given = attrNames args;
      allowed = name: elem name names || elem name required || (environment && match "[A-Z][A-Z0-9_]*" name != null);
      unknown = filter (name: !allowed name) given;
      missing = filter (name: !(elem name given)) required;
    in
    if unknown != [ ] then
      throw "${what}: lint: argument(s) ${concatStringsSep ", " unknown} not declared by the real function${
        if ellipsis then ", which takes `...` and would accept them silently" else ""
      } (it declares ${concatStringsSep ", " (required ++ names)}; ${source})"
    else if missing != [ ] then
      throw "${what}: missing argument(s) ${concatStringsSep ", " missing} (${source})"
    else
      args;

  builder = kind: spec: args: {
    type = "derivation";
    inherit kind;
    args = strict kind spec args;
    outPath = "/nix/store/00000000000000000000000000000000-${kind}";
  } // (args.passthru or { });
  loose = kind: args: {
    type = "derivation";
    inherit kind args;
    outPath = "/nix/store/00000000000000000000000000000000-${kind}";
  };
  package = name: loose name { };

  # nixpkgs, read with the search tool's read_file at the commits named (the
  # pinned revision itself is not stored there):
  # doc/build-helpers/images/dockertools.section.md @ 0148e16d1446003704803ecabb5a00cfea7d8568,
  # "streamLayeredImage expects one argument with the following attributes";
  # meta, layeringPipeline and debug: pkgs/build-support/docker/default.nix
  # since nixos-25.11 (issue 19's review at the pin).
  streamLayeredImageArgs = {
    names = [ "tag" "fromImage" "contents" "config" "architecture" "created" "mtime" "uid" "gid"
      "uname" "gname" "maxLayers" "extraCommands" "fakeRootCommands" "enableFakechroot"
      "includeStorePaths" "includeNixDB" "passthru" "meta" "layeringPipeline" "debug" ];
    required = [ "name" ];
    source = "nixpkgs doc/build-helpers/images/dockertools.section.md";
  };
  # pkgs/by-name/fa/fakeNss/package.nix @ 0a2c8a5824f4d11518168b74002249c6ecec21d5
  fakeNssArgs = {
    names = [ "extraPasswdLines" "extraGroupLines" ];
    source = "nixpkgs pkgs/by-name/fa/fakeNss/package.nix";
  };
  # pkgs/servers/http/nginx/generic.nix @ f464fdb26b49319a1555bfe64489d5f89c8ff008:
  # the outer function's formals (what `.override` takes), flags and inputs.
  nginxArgs = {
    names = [ "withDebug" "withGeoIP" "withImageFilter" "withKTLS" "withStream" "withMail" "withPerl"
      "withSlice" "modules" "lib" "stdenv" "fetchurl" "fetchpatch" "openssl" "zlib" "pcre" "libxml2"
      "libxslt" "nginx-doc" "nixosTests" "installShellFiles" "substituteAll" "removeReferencesTo"
      "gd" "geoip" "perl" ];
    ellipsis = true;
    source = "nixpkgs pkgs/servers/http/nginx/generic.nix";
  };
  # pkgs/build-support/closure-info.nix @ 06d7e54d62cfa303057ad65d86311cdce6f8c9bf: `{ rootPaths }:`
  # pkgs/build-support/trivial-builders/default.nix @ 00ee9b64aafebe333c3e33ffb093734092158728;
  # libraryPath: added since (issue 19's review at the pin).
  writeShellApplicationArgs = {
    names = [ "runtimeInputs" "runtimeEnv" "meta" "passthru" "checkPhase" "excludeShellChecks"
      "extraShellCheckFlags" "bashOptions" "derivationArgs" "inheritPath" "libraryPath" ];
    required = [ "name" "text" ];
    source = "nixpkgs pkgs/build-support/trivial-builders/default.nix";
  };
  closureInfoArgs = { required = [ "rootPaths" ]; names = [ ]; source = "nixpkgs pkgs/build-support/closure-info.nix"; };

  pkgsFor =
    system:
    let
      arch = builtins.head (match "([^-]*)-.*" system);
      musl = "${arch}-unknown-linux-musl";
      isLinux = match ".*-linux" system != null;
      pkgs = {
        inherit lib callPackage pkgs;
        stdenv.hostPlatform = { inherit isLinux; isStatic = false; };
        pkgsStatic = {
          stdenv = {
            hostPlatform = { inherit isLinux; isStatic = true; rust.rustcTarget = musl; };
            cc = package "${musl}-gcc-wrapper" // { targetPrefix = "${musl}-"; bintools = package "${musl}-binutils"; };
          };
          # pkgsStatic.buildPackages: glibc-hosted tools whose target is musl.
          buildPackages = {
            rustc = package "rustc-${musl}" // { version = rustcVersion; };
            clippy = package "clippy-${musl}";
          };
        };
        dockerTools.streamLayeredImage = builder "streamLayeredImage" streamLayeredImageArgs;
        fakeNss = package "fakeNss" // {
          override = overrides: package "fakeNss" // { overrides = strict "fakeNss.override" fakeNssArgs overrides; };
        };
        nginxStable = {
          version = nginxVersion;
          override = overrides: package "nginx" // {
            version = nginxVersion;
            overrides = strict "nginxStable.override" nginxArgs overrides;
          };
        };
        runCommand = name: env: script: loose "runCommand" { inherit name env script; };
        writeShellApplication = builder "writeShellApplication" writeShellApplicationArgs;
        writeText = name: text: "/nix/store/00000000000000000000000000000000-${name}";
        mkShell = loose "mkShell";
        closureInfo = builder "closureInfo" closureInfoArgs;
        testers.runNixOSTest = loose "runNixOSTest";
        rustc = package "rustc" // { version = rustcVersion; };
        clippy = package "clippy";
        # python3.withPackages: each name must be one of python3Packages'
        # (pkgs/top-level/python-packages.nix, read with the search tool).
        python3.withPackages =
          select:
          let
            known = [ "jsonschema" "kubernetes-validate" "markdown-it-py" "openapi-core"
              "openapi-spec-validator" "pytest" "requests" "selenium" ];
            ps = lib.genAttrs known (name: "python3.${name}");
          in
          loose "python3-with-packages" { packages = select ps; };
      }
      // lib.genAttrs [
        "binutils"
        "cargo"
        "cargo-cyclonedx"
        "cargo-nextest"
        "check-jsonschema"
        "chromedriver"
        "chromium"
        "cosign"
        "docker-compose"
        "gixy"
        "jq"
        "just"
        "nixfmt"
        "nixfmt-tree"
        "ruff"
        "rust-analyzer"
        "rustfmt"
        "skopeo"
        "wrk"
      ] package;
      # As nixpkgs' callPackage: the arguments a file asks for, from pkgs
      # unless given; one nobody provides fails here as it would there.
      callPackage =
        file: given:
        let
          f = if isFunction file then file else import file;
        in
        f (intersectAttrs (functionArgs f) pkgs // given);
    in
    pkgs;

  # crane v0.23.4 (github:ipetkov/crane, tag v0.23.4 = 10e6e3cb966f7cfcc789fe5eee7a85f3188ce08b):
  # each function's own formals (lib/<name>.nix) and what docs/API.md lists
  # for it, plus mkCargoDerivation's (lib/mkCargoDerivation.nix, docs/API.md),
  # to which every one of them hands the rest, plus the stdenv.mkDerivation
  # attributes this flake passes.
  craneCommon = [
    "buildPhaseCargoCommand" "checkPhaseCargoCommand" "installPhaseCommand" "cargoArtifacts"
    "cargoLock" "cargoLockContents" "cargoLockParsed" "cargoVendorDir" "doIncludeCrossToolchainEnv"
    "doInstallCargoArtifacts" "outputHashes" "pname" "pnameSuffix" "version"
    "src" "strictDeps" "doCheck" "passthru" "meta" "nativeBuildInputs" "buildInputs" "env"
  ];
  craneFunction = name: own: required: builder name {
    names = craneCommon ++ own;
    inherit required;
    environment = true;
    ellipsis = true;
    source = "crane v0.23.4 lib/${name}.nix, docs/API.md";
  };
  # lib/default.nix: the toolchain names crane's functions take from its scope
  # (attrsForToolchainOverride), and stdenvSelector.
  craneScopeNames = [ "cargo" "clippy" "rustc" "rustfmt" "stdenvSelector" ];
  craneScope =
    pkgs: toolchain:
    {
      inherit (toolchain) rustc clippy;
      overrideScope =
        f:
        let
          overrides = f (throw "final is not used here") (craneScope pkgs toolchain);
          unknown = filter (name: !(elem name craneScopeNames)) (attrNames overrides);
        in
        assert unknown == [ ] || throw "crane overrideScope: ${concatStringsSep ", " unknown} is not in crane's scope (crane v0.23.4 lib/default.nix)";
        craneScope pkgs (toolchain // overrides);
      # lib/cleanCargoSource.nix: `src:`, one path.
      cleanCargoSource = src: assert builtins.isPath src || throw "cleanCargoSource takes a path"; "${toString src}";
      # lib/fileset/*.nix: each `path:`; as the names or patterns it keeps.
      fileset = mapAttrs (
        name: kept: path:
        assert builtins.isPath path || throw "crane fileset.${name} takes a path";
        kept
      ) {
        cargoTomlAndLock = [ "Cargo.toml" "Cargo.lock" ];
        rust = [ "*.rs" ];
        configToml = [ "config.toml" ];
        toml = [ "*.toml" ];
        commonCargoSources = [ "Cargo.toml" "Cargo.lock" "*.rs" "*.toml" ];
      };
      buildDepsOnly = args: craneFunction "buildDepsOnly" [
        "cargoBuildCommand" "cargoBuildExtraArgs" "cargoCheckCommand" "cargoCheckExtraArgs" "cargoExtraArgs"
        "cargoTestCommand" "cargoTestExtraArgs" "dummySrc" "outputs"
      ] [ ] args // { toolchain = toolchain.rustc.kind; };
      buildPackage = args: craneFunction "buildPackage" [
        "cargoBuildCommand" "cargoBuildExtraArgs" "cargoExtraArgs" "cargoTestCommand" "cargoTestExtraArgs"
      ] [ ] args // { toolchain = toolchain.rustc.kind; };
      cargoClippy = args: craneFunction "cargoClippy" [ "cargoClippyExtraArgs" "cargoExtraArgs" ] [ "cargoArtifacts" ] args // { toolchain = toolchain.rustc.kind; };
      cargoFmt = args: craneFunction "cargoFmt" [ "cargoExtraArgs" "rustFmtExtraArgs" ] [ ] args // { toolchain = toolchain.rustc.kind; };
      cargoNextest = args: craneFunction "cargoNextest" [
        "cargoExtraArgs" "cargoLlvmCovExtraArgs" "cargoNextestExtraArgs" "cargoNextestArchiveExtraArgs"
        "cargoNextestPartitionsExtraArgs" "partitions" "partitionType" "withLlvmCov"
      ] [ "cargoArtifacts" ] args // { toolchain = toolchain.rustc.kind; };
    };

  # lib/default.nix at v0.23.4: crane has no inputs; mkLib takes the package set.
  crane.mkLib =
    pkgs:
    assert !pkgs.stdenv.hostPlatform.isStatic || throw "crane.mkLib pkgsStatic: its stdenv puts -static into build scripts and proc macros; use crane.mkLib pkgs with pkgsStatic's rustc (Mic92/hestia)";
    craneScope pkgs { inherit (pkgs) rustc clippy; };

  self = {
    lastModifiedDate = "20260803123456";
    rev = "0123456789abcdef0123456789abcdef01234567";
  };

  outputs = (import ../../flake.nix).outputs {
    inherit self crane;
    nixpkgs = {
      inherit lib;
      legacyPackages = lib.genAttrs [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ] pkgsFor;
    };
  };
  linux = outputs.packages.x86_64-linux;
  imageArgs = image: { inherit (image.args) name tag created config; argNames = attrNames image.args; };
  craneArgs = system: name: {
    inherit (outputs.checks.${system}.${name}) kind toolchain;
    # The environment crane hands to cargo: the upper-case arguments.
    environment =
      let
        inherit (outputs.checks.${system}.${name}) args;
      in
      builtins.removeAttrs args (filter (n: match "[A-Z][A-Z0-9_]*" n == null) (attrNames args));
  };
in
{
  packages = mapAttrs (_: attrNames) outputs.packages;
  checks = mapAttrs (_: attrNames) outputs.checks;
  devShells = mapAttrs (_: attrNames) outputs.devShells;
  # What the dev shell puts on PATH, and its environment, per system.
  devShell = mapAttrs (_: shells: {
    packages = map (p: p.kind) shells.default.args.packages;
    python = (builtins.head (filter (p: p.kind == "python3-with-packages") shells.default.args.packages)).args.packages;
    environment = filter (n: n != "packages") (attrNames shells.default.args);
  }) outputs.devShells;
  lib = attrNames outputs.lib;
  apps = mapAttrs (_: attrNames) outputs.apps;
  pushProgram = outputs.apps.x86_64-linux.push.program;
  # nix/push.nix as the flake calls it, to read what the script is given.
  push =
    ((pkgsFor "x86_64-linux").callPackage ../../nix/push.nix {
      images = import ../../nix/images.nix { };
      inherit (linux) image nginx-image;
    }).args;
  image = imageArgs linux.image;
  nginxImage = imageArgs linux.nginx-image;
  nginxBuild = (builtins.elemAt linux.nginx-image.args.contents 1).overrides;
  fakeNss = (builtins.elemAt linux.nginx-image.args.contents 0).overrides;
  # What each crane-built check is built with, per Linux system.
  crane = lib.genAttrs [ "x86_64-linux" "aarch64-linux" ] (
    system: lib.genAttrs [ "hostinfo" "clippy" "nextest" "rustfmt" ] (craneArgs system)
  );
  # Each nixpkgs stand-in called with every argument its real function
  # declares: the names it then accepts (a rejected one fails evaluation).
  declared =
    let
      every = spec: lib.genAttrs (spec.required or [ ] ++ spec.names) (_: null);
    in
    mapAttrs (what: spec: attrNames (strict what spec (every spec))) {
      streamLayeredImage = streamLayeredImageArgs;
      writeShellApplication = writeShellApplicationArgs;
      "nginxStable.override" = nginxArgs;
      "fakeNss.override" = fakeNssArgs;
    };
  # What of src/ (besides Rust and Cargo files) the package's source keeps.
  packageSource = linux.default.args.src;
  # Every check and package evaluated through to its arguments: a missing or
  # misnamed argument anywhere fails here.
  wired = mapAttrs (_: outputs: builtins.deepSeq (mapAttrs (_: o: o.args or o) outputs) true) (
    outputs.checks // outputs.packages // outputs.apps
  );
}
