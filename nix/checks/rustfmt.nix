# rustfmt in check mode: unformatted Rust fails the check.
# crane without the cross toolchain (nix/package.nix): formatting builds nothing.
{ hostinfo }:
hostinfo.nativeCraneLib.cargoFmt { inherit (hostinfo.commonArgs) src; }
