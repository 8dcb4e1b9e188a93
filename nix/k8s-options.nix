# The options only Kubernetes has, one record each, as nix/stack-options.nix declares the stack's.
#
# Builtins only, like nix/k8s.nix, which checks them (nix/options.nix's
# `extend`) and passes the rest on to nix/stack.nix.
#
# The stack's settings, which the drain follows.
settings:
let
  inherit (builtins) isString match stringLength;
  inherit (import ./options.nix)
    count
    matching
    oneOf
    seconds
    ;

  coreDnsTtl = 5;
  dnsLabel = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
in
{
  # Created with the stack, held to the restricted Pod Security Standard,
  # and removed with it.
  namespace = {
    default = "hostinfo";
    type = {
      check = v: isString v && match dnsLabel v != null && stringLength v <= 63;
      expected = "a DNS label (lower-case letters, digits and '-', at most 63 characters)";
    };
    description = "the namespace the stack owns (created and deleted with it)";
  };
  # nginx's resolver uses no search list, so it needs names in full.
  clusterDomain = {
    default = "cluster.local";
    type = matching "${dnsLabel}(\\.${dnsLabel})*" "a DNS domain such as cluster.local";
    description = "the cluster's DNS domain; nginx needs full names";
  };
  # Two, so that a node drain or an evicted pod never leaves the Service
  # without nginx; each is stateless and finds the replicas by itself.
  lbReplicas = {
    default = 2;
    type = count 1;
    description = "nginx pods: two, so a node drain never leaves the Service empty";
  };
  serviceType = {
    default = "ClusterIP";
    type = oneOf [
      "ClusterIP"
      "NodePort"
      "LoadBalancer"
    ];
    description = "how nginx's Service is reached: `ClusterIP` (port-forward, an Ingress), `NodePort` or `LoadBalancer` (k3s's servicelb, a cloud)";
  };
  # How long a terminating pod keeps serving before its SIGTERM: the
  # longest a removed endpoint can still be seen, that is CoreDNS's record
  # TTL (5 s unless the cluster says otherwise), then nginx's `valid=`, plus
  # a second for the EndpointSlice to reach DNS. Kubernetes before 1.33
  # rejects a sleep of 0 seconds.
  drainSeconds = rec {
    default = coreDnsTtl + seconds settings.resolverValid + 1;
    # The figure at the stack's defaults, and how it follows resolverValid.
    defaultText = "${toString default} (${toString coreDnsTtl} + resolverValid + 1)";
    type = count 1;
    description = "the preStop pause before SIGTERM, in seconds: CoreDNS's record TTL, nginx's `resolverValid`, then 1 s for the EndpointSlice";
  };
}
