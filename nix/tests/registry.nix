# Tests of the `registry` option: `passed` lists them, or fails naming each failure.
#
# Builtins only, like nix/stack.nix: a bare
# `nix-instantiate --eval --strict --json nix/tests/registry.nix` runs them.
let
  inherit (builtins)
    all
    attrValues
    concatMap
    concatStringsSep
    filter
    fromJSON
    genList
    match
    ;

  mkStack = import ../stack.nix;
  mkSwarm = import ../swarm.nix;
  mkK8s = import ../k8s.nix;
  images = import ../images.nix { };

  registry = "127.0.0.1:5000/hostinfo";
  app = "sha256:${hex "a"}";
  lb = "sha256:${hex "b"}";
  hex = c: concatStringsSep "" (genList (_: c) 64);
  # As `just push` writes .stack/digests.json.
  digests = {
    inherit registry;
    digests = {
      ${images.app.name} = app;
      ${images.lb.name} = lb;
    };
  };
  pinned = {
    inherit registry digests;
  };

  compose = mkStack pinned;
  swarm = mkSwarm pinned;
  k8s = mkK8s pinned;
  containers = concatMap (m: m.spec.template.spec.containers) (
    filter (m: m.kind == "Deployment") k8s.list.items
  );

  imagesOf = services: map (svc: svc.image) (attrValues services);
  byDigest = image: match "[^@]+@sha256:[0-9a-f]{64}" image != null;

  inherit (import ./lib.nix) fails run;
  rejects = options: fails (mkStack options).files;

  tests = {
    "compose names both images in the registry by digest" =
      compose.compose.services.app.image == "${registry}/${images.app.name}@${app}"
      && compose.compose.services.lb.image == "${registry}/${images.lb.name}@${lb}";
    "swarm names the same images as compose" =
      imagesOf swarm.compose.services == imagesOf compose.compose.services;
    "kubernetes names the same images as compose" =
      map (c: c.image) containers == [
        compose.compose.services.app.image
        compose.compose.services.lb.image
      ];
    "every rendered image is pinned by digest" = all byDigest (
      imagesOf (fromJSON compose.files."compose.yaml").services
      ++ imagesOf (fromJSON swarm.files."compose.yaml").services
      ++ map (c: c.image) containers
    );
    "kubernetes pulls a pinned image only when the node lacks it" =
      all (c: c.imagePullPolicy == "IfNotPresent") containers;
    "no registry keeps the tags of nix/images.nix" =
      (mkStack { }).compose.services.app.image == "${images.app.name}:${images.app.tag}";

    "a registry without digests fails" = rejects { inherit registry; };
    "digests pushed to another registry fail" = rejects {
      registry = "registry.example.com";
      inherit digests;
    };
    "a missing image digest fails" = rejects {
      inherit registry;
      digests = digests // {
        digests.${images.app.name} = app;
      };
    };
    "a digest that is not sha256 fails" = rejects {
      inherit registry;
      digests = digests // {
        digests.${images.app.name} = "latest";
      };
    };
    "an image set by hand with a registry fails" = rejects (pinned // { appImage = "hostinfo:dev"; });
    "a Docker Hub account is not a registry" = rejects (pinned // { registry = "acme"; });
    "an upper-case path is not a registry" = rejects (pinned // { registry = "ghcr.io/Acme"; });
    "a scheme is not part of a registry" = rejects (pinned // { registry = "https://ghcr.io"; });
    "the same errors from swarm and kubernetes" =
      fails (mkSwarm { inherit registry; }).files && fails (mkK8s { inherit registry; }).files;
  };
in
{
  passed = run "registry" tests;
}
