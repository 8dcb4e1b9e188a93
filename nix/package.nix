# The service: a fully static musl binary, built by crane with its dependencies cached apart.
{
  crane,
  pkgsStatic,
}:
let
  # pkgsStatic is a cross package set (target *-unknown-linux-musl, static);
  # crane sets CARGO_BUILD_TARGET, the linker and the C compiler for the cc
  # crate (mimalloc) from it.
  craneLib = crane.mkLib pkgsStatic;

  commonArgs = {
    # Cargo and Rust files only: editing nix/, the Justfile or docs rebuilds nothing.
    src = craneLib.cleanCargoSource ./..;
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
