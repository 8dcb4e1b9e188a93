# nginx from the pinned nixpkgs, trimmed, and held to the series nix/images.nix tags it with.
{
  lib,
  nginxStable,
  images,
}:
let
  inherit (images) lb;

  nginx = nginxStable.override {
    # nixpkgs' default build carries Perl and third-party modules (rtmp, dav,
    # headers-more) that this stack never loads.
    withPerl = false;
    modules = [ ];
  };
in
assert lib.assertMsg (lib.versions.majorMinor nginx.version == lb.nginxSeries) ''
  The pinned nixpkgs has nginx ${nginx.version}, but nix/images.nix tags the nginx
  image for the ${lb.nginxSeries} series. Update lb.nginxSeries in nix/images.nix
  (and the nginx the Dockerfile road packs) together with the nixpkgs pin.
'';
assert lib.assertMsg (lib.versionAtLeast nginx.version lb.minimumNginx) ''
  The pinned nixpkgs has nginx ${nginx.version}; the stack needs at least
  ${lb.minimumNginx} (nix/images.nix, lb.minimumNginx): `server ... resolve`,
  and the fixes for the CVEs gixy-ng knows in the ${lb.nginxSeries} series.
'';
nginx
