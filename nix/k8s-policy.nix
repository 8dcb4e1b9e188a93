# A sigstore policy-controller ClusterImagePolicy for the Kubernetes road:
# the cluster admits the stack's images from `registry` only when a signature
# by the project's key covers them, as `just up` checks before a deploy.
# Builtins only, like nix/k8s.nix; `just k8s-policy` renders it and checks it
# against schemas/clusterimagepolicy.json.
{
  # The stack options (STACK_OPTIONS): only `registry` is read.
  options ? { },
  # The public key's PEM (cosign.pub).
  publicKey,
}:
let
  inherit (builtins) isString match substring toJSON;
  inherit (import ./options.nix) registryPattern;
  images = import ./images.nix { };
  registry = options.registry or null;
  pem = "-----BEGIN PUBLIC KEY-----";
in
if !(isString registry && match registryPattern registry != null) then
  throw "hostinfo k8s-policy: option 'registry' must be where `just push` pushed, host[:port][/path], got ${toJSON registry}"
else if substring 0 (builtins.stringLength pem) publicKey != pem then
  throw "hostinfo k8s-policy: the public key must be a PEM public key (cosign.pub), starting ${pem}"
else
  {
    apiVersion = "policy.sigstore.dev/v1beta1";
    kind = "ClusterImagePolicy";
    metadata.name = "${images.app.name}-signed";
    spec = {
      # Both images, by digest (nix/registry.nix) or by tag; a plain `*`, the
      # one wildcard every policy-controller release reads the same way.
      images = map (image: { glob = "${registry}/${image.name}*"; }) [
        images.app
        images.lb
      ];
      authorities = [
        {
          name = "project-key";
          # No `ctlog`: the signatures carry no transparency-log entry, as `just push` makes them.
          key = {
            data = publicKey;
            hashAlgorithm = "sha256";
          };
          # The SBOM `just push` attests, signed by the same key.
          attestations = [
            {
              name = "sbom";
              predicateType = "cyclonedx";
            }
          ];
        }
      ];
    };
  }
