# The development shell: every tool the recipes and `just test` use, so that
# `nix develop -c just up` and `nix develop -c just test` need nothing else
# on the host but Docker.
#
# The Rust toolchain is pkgsStatic's cross rustc (glibc-hosted, with the musl
# std), as nix/package.nix builds with it: the local road's
# `cargo build --target *-unknown-linux-musl` works in the shell too, with
# pkgsStatic's C compiler for mimalloc's C code and as the linker.
{
  lib,
  mkShell,
  stdenv,
  pkgsStatic,
  binutils,
  cargo,
  cargo-cyclonedx,
  cargo-nextest,
  chromedriver,
  chromium,
  clippy,
  cosign,
  docker-compose,
  gixy,
  jq,
  just,
  nixfmt,
  python3,
  ruff,
  rust-analyzer,
  rustc,
  rustfmt,
  skopeo,
  wrk,
}:
let
  # The images, and the browser tests' Chromium, are Linux's; on macOS the
  # shell renders stacks and builds the service natively.
  linux = stdenv.hostPlatform.isLinux;
  staticTarget = pkgsStatic.stdenv;
  triple = staticTarget.hostPlatform.rust.rustcTarget;
  cc = "${staticTarget.cc}/bin/${staticTarget.cc.targetPrefix}cc";
  envTriple = lib.toUpper (lib.replaceStrings [ "-" ] [ "_" ] triple);
  # pyproject.toml's `test` group; ruff and gixy-ng (nixpkgs' `gixy`, the
  # same fork) come as packages of their own below.
  python = python3.withPackages (
    ps: with ps; [
      jsonschema
      kubernetes-validate
      markdown-it-py
      openapi-core
      openapi-spec-validator
      pytest
      requests
      selenium
    ]
  );
in
mkShell (
  {
    packages = [
      binutils
      cargo
      # `just push`: the service's SBOM, and the signatures.
      cargo-cyclonedx
      cosign
      cargo-nextest
      # Compose v2 (the standalone binary): stacktool runs it when the
      # `docker compose` plugin is not there.
      docker-compose
      gixy
      jq
      just
      nixfmt
      python
      ruff
      rust-analyzer
      rustfmt
      skopeo
      wrk
    ]
    ++ (
      if linux then
        [
          chromedriver
          chromium
          pkgsStatic.buildPackages.clippy
          pkgsStatic.buildPackages.rustc
          staticTarget.cc
        ]
      else
        [
          clippy
          rustc
        ]
    );
  }
  // lib.optionalAttrs linux {
    # For the local road's musl build (images/build-app-image).
    "CC_${lib.replaceStrings [ "-" ] [ "_" ] triple}" = cc;
    "CARGO_TARGET_${envTriple}_LINKER" = cc;
  }
)
