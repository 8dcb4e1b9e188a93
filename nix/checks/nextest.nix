# The crate's tests under cargo-nextest, against the same static build the image ships.
#
# The black-box tests spawn the built binary (CARGO_BIN_EXE_hostinfo) and bind
# 127.0.0.1:0: the build sandbox has a loopback interface, and the static musl
# binary runs on the build machine without an emulator.
{ hostinfo }:
hostinfo.craneLib.cargoNextest (
  hostinfo.commonArgs
  // {
    inherit (hostinfo) cargoArtifacts;
  }
)
