# Clippy on every target (lib, bin, tests), with warnings as errors.
{ hostinfo }:
hostinfo.craneLib.cargoClippy (
  hostinfo.commonArgs
  // {
    inherit (hostinfo) cargoArtifacts;
    cargoClippyExtraArgs = "--all-targets -- --deny warnings";
  }
)
