# The service: a fully static musl binary, built by crane with its dependencies cached apart.
{
  crane,
  lib,
  pkgsStatic,
}:
let
  # pkgsStatic is a cross package set (target *-unknown-linux-musl, static);
  # crane sets CARGO_BUILD_TARGET, the linker and the C compiler for the cc
  # crate (mimalloc) from it.
  craneLib = crane.mkLib pkgsStatic;

  commonArgs = {
    # Cargo and Rust files, and the files src/ embeds with include_str! (the
    # page, the OpenAPI document): editing nix/, the Justfile or docs
    # rebuilds nothing. The pattern of crane's docs/source-filtering.md, as
    # xmtp/libxmtp's CI-built flake uses it (nix/lib/filesets.nix).
    src = lib.fileset.toSource {
      root = ./..;
      fileset = lib.fileset.unions [
        (craneLib.fileset.commonCargoSources ./..)
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
  };

  # Dependencies and dev-dependencies, built once for the package, clippy and nextest.
  cargoArtifacts = craneLib.buildDepsOnly commonArgs;
in
craneLib.buildPackage (
  commonArgs
  // {
    inherit cargoArtifacts;
    # The tests run once, in the nextest check, rather than in every package build.
    doCheck = false;
    passthru = { inherit craneLib commonArgs cargoArtifacts; };
    meta.mainProgram = "hostinfo";
  }
)
