# rustfmt in check mode: unformatted Rust fails the check.
{ hostinfo }:
hostinfo.craneLib.cargoFmt { inherit (hostinfo.commonArgs) src; }
