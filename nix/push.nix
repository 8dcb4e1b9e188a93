# `nix run .#push -- REGISTRY`: both image streams to a registry with skopeo, without a Docker daemon.
#
# The pattern of whazor/stupid-auth's flake (`publish-docker`, run by its
# GitHub Actions): a streamLayeredImage script's tar handed to
# `skopeo copy docker-archive:… docker://…` (there through a pipe, here a
# temporary file: see push.sh). tests/swarm runs nix/push.sh itself with
# Debian's skopeo against a real registry.
{
  lib,
  writeShellApplication,
  skopeo,
  jq,
  images,
  image,
  nginx-image,
}:
writeShellApplication {
  name = "hostinfo-push";
  runtimeInputs = [
    skopeo
    jq
  ];
  runtimeEnv = {
    PUSH_PATTERN = (import ./options.nix).registryPattern;
    PUSH_IMAGES = lib.concatMapStringsSep "\n" (i: "${i.name} ${i.tag} ${i.stream}") [
      (images.app // { stream = image; })
      (images.lb // { stream = nginx-image; })
    ];
  };
  text = builtins.readFile ./push.sh;
  meta.description = "Push the hostinfo images to a registry and print their digests";
}
