# The service image: the static binary and nothing else, configured from nix/images.nix.
{
  dockerTools,
  hostinfo,
  images,
  imageConfig,
  created,
}:
# streamLayeredImage, not buildLayeredImage: `nix build .#image` gives a script
# that writes the image tar to stdout (`./result | docker load`), so no second,
# compressed copy of the image is kept in the store.
dockerTools.streamLayeredImage {
  inherit (images.app) name tag;
  # `created` alone: one commit, one digest. The files keep nixpkgs' fixed
  # mtime, so layers that did not change keep their digests across commits.
  inherit created;
  # /bin/hostinfo becomes a link into the package's store path, the one other
  # layer: the binary is static, so its closure is itself (see checks/static-binary.nix).
  contents = [ hostinfo ];
  config = imageConfig.app;
}
