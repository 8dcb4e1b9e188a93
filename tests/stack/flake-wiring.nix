# The flake's outputs evaluated against stand-ins for nixpkgs and crane: the wiring, not the builds.
#
# Nothing here builds: every stand-in builder returns the arguments it was
# given, so the flake's outputs can be read without a Nix store (which these
# machines cannot fill). It catches what a build would catch first: a file
# asking for an argument nobody passes, an output missing on a system, image
# settings that drift from nix/image-config.nix. `nix flake check` builds for real.
{
  nginxVersion ? "1.30.6",
}:
let
  inherit (builtins)
    attrNames
    compareVersions
    concatStringsSep
    elemAt
    functionArgs
    intersectAttrs
    isFunction
    listToAttrs
    map
    mapAttrs
    match
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
    mapAttrsToList = f: attrs: map (name: f name attrs.${name}) (attrNames attrs);
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

  builder = kind: args: {
    type = "derivation";
    inherit kind args;
    outPath = "/nix/store/00000000000000000000000000000000-${kind}";
  } // (args.passthru or { });
  package = name: builder name { };

  pkgsFor =
    system:
    let
      pkgs = {
        inherit lib callPackage;
        stdenv.hostPlatform.isLinux = match ".*-linux" system != null;
        pkgsStatic.isStatic = true;
        dockerTools = {
          streamLayeredImage = builder "streamLayeredImage";
          fakeNss = package "fakeNss";
        };
        nginxStable = {
          version = nginxVersion;
          override = overrides: package "nginx" // { version = nginxVersion; inherit overrides; };
        };
        runCommand = name: env: script: builder "runCommand" { inherit name env script; };
        writeText = name: text: "/nix/store/00000000000000000000000000000000-${name}";
        mkShell = builder "mkShell";
        closureInfo = builder "closureInfo";
        testers.runNixOSTest = builder "runNixOSTest";
      }
      // lib.genAttrs [
        "binutils"
        "cargo"
        "cargo-nextest"
        "check-jsonschema"
        "clippy"
        "docker-compose"
        "jq"
        "just"
        "nixfmt"
        "nixfmt-tree"
        "rust-analyzer"
        "rustc"
        "rustfmt"
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

  crane.mkLib =
    pkgs:
    assert pkgs.isStatic or false || throw "crane.mkLib: the package is meant to be static (pkgsStatic)";
    {
      cleanCargoSource = src: "${toString src}";
      fileset.commonCargoSources = src: [ "Cargo.toml" "Cargo.lock" "*.rs" ];
      buildDepsOnly = builder "buildDepsOnly";
      buildPackage = builder "buildPackage";
      cargoClippy = builder "cargoClippy";
      cargoFmt = builder "cargoFmt";
      cargoNextest = builder "cargoNextest";
    };

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
  imageArgs = image: { inherit (image.args) name tag created mtime config; };
in
{
  packages = mapAttrs (_: attrNames) outputs.packages;
  checks = mapAttrs (_: attrNames) outputs.checks;
  devShells = mapAttrs (_: attrNames) outputs.devShells;
  lib = attrNames outputs.lib;
  image = imageArgs linux.image;
  nginxImage = imageArgs linux.nginx-image;
  nginxBuild = (builtins.elemAt linux.nginx-image.args.contents 1).overrides;
  # What of src/ (besides Rust and Cargo files) the package's source keeps.
  packageSource = linux.default.args.src;
  # Every check and package evaluated through to its arguments: a missing or
  # misnamed argument anywhere fails here.
  wired = mapAttrs (_: outputs: builtins.deepSeq (mapAttrs (_: o: o.args or o) outputs) true) (
    outputs.checks // outputs.packages
  );
}
