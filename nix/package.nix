# The service: a fully static musl binary, built by crane with its dependencies cached apart.
#
# The pattern of a flake that builds on CI: Mic92/hestia, `flake.nix`
# (`craneFor`) and `nix/crane.nix` (`staticArgs`). Not `crane.mkLib
# pkgsStatic`: its stdenv puts `-static` into every C compiler call, build
# scripts and proc macros included, and those must link dynamically. So crane
# stays native, takes the cross rustc of pkgsStatic (glibc-hosted, with the
# musl std), and only the final target is built and linked with musl.
{
  lib,
  crane,
  pkgs,
}:
let
  inherit (pkgs) pkgsStatic;
  crate = (lib.importTOML ../Cargo.toml).package;

  craneLib = (crane.mkLib pkgs).overrideScope (
    _final: _prev: {
      inherit (pkgsStatic.buildPackages) rustc clippy;
    }
  );
  # rustfmt needs no cross toolchain (nix/checks/rustfmt.nix).
  nativeCraneLib = crane.mkLib pkgs;

  # *-unknown-linux-musl for the system at hand: x86_64 and aarch64 alike.
  staticArgs =
    let
      staticTarget = pkgsStatic.stdenv;
      triple = staticTarget.hostPlatform.rust.rustcTarget;
      cc = "${staticTarget.cc}/bin/${staticTarget.cc.targetPrefix}cc";
      envTriple = lib.toUpper (lib.replaceStrings [ "-" ] [ "_" ] triple);
    in
    {
      CARGO_BUILD_TARGET = triple;
      "CARGO_TARGET_${envTriple}_LINKER" = cc;
      # For the cc crate: mimalloc's C code, built with musl.
      TARGET_CC = cc;
      TARGET_AR = "${staticTarget.cc.bintools}/bin/${staticTarget.cc.targetPrefix}ar";
    };

  commonArgs = {
    # Cargo.toml, Cargo.lock, *.rs, a .cargo/config.toml if one appears, and
    # the files src/ embeds with include_str! (the page, the OpenAPI
    # document): editing nix/, nix/names.toml, pyproject.toml, the Justfile or
    # docs rebuilds nothing. Not crane's commonCargoSources, which keeps every
    # *.toml. The pattern of crane's docs/source-filtering.md, as
    # xmtp/libxmtp's CI-built flake uses it (nix/lib/filesets.nix); the three
    # file sets are crane v0.23.4's lib/fileset/{cargoTomlAndLock,rust,configToml}.nix.
    src = lib.fileset.toSource {
      root = ./..;
      fileset = lib.fileset.unions [
        (craneLib.fileset.cargoTomlAndLock ./..)
        (craneLib.fileset.rust ./..)
        (craneLib.fileset.configToml ./..)
        (lib.fileset.fileFilter (
          file:
          lib.any file.hasExt [
            "html"
            "css"
            "js"
            "json"
          ]
        ) ../src)
      ];
    };
    strictDeps = true;
  }
  // staticArgs;

  # Dependencies and dev-dependencies, built once for the package, clippy and nextest.
  cargoArtifacts = craneLib.buildDepsOnly commonArgs;
in
# Cargo.toml's rust-version is tested with rustup (`just test-msrv`); this is
# the same promise held against the rustc the pinned nixpkgs gives.
assert lib.assertMsg (lib.versionAtLeast craneLib.rustc.version crate.rust-version) ''
  The pinned nixpkgs has rustc ${craneLib.rustc.version}, but Cargo.toml says
  rust-version = "${crate.rust-version}". Update the nixpkgs pin, or choose
  dependency versions that build with ${craneLib.rustc.version} and lower rust-version.
'';
craneLib.buildPackage (
  commonArgs
  // {
    inherit cargoArtifacts;
    # The tests run once, in the nextest check, rather than in every package build.
    doCheck = false;
    passthru = {
      inherit
        craneLib
        nativeCraneLib
        commonArgs
        cargoArtifacts
        ;
    };
    meta.mainProgram = "hostinfo";
  }
)
