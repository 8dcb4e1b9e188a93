# The development shell: the Rust toolchain and what the Justfile drives.
{
  mkShell,
  cargo,
  cargo-nextest,
  clippy,
  docker-compose,
  jq,
  just,
  nixfmt,
  rust-analyzer,
  rustc,
  rustfmt,
  wrk,
}:
mkShell {
  packages = [
    cargo
    cargo-nextest
    clippy
    docker-compose
    jq
    just
    nixfmt
    rust-analyzer
    rustc
    rustfmt
    wrk
  ];
}
