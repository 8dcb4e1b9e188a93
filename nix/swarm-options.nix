# The options only Docker Swarm has, one record each, as nix/stack-options.nix declares the stack's.
#
# Builtins only, like nix/swarm.nix, which checks them (nix/options.nix's
# `extend`) and passes the rest on to nix/stack.nix.
let
  inherit (import ./options.nix) duration oneOf;
  hc = (import ./images.nix { }).app.healthcheck;
in
{
  # Long enough for the health check to fail `retries` times in a row.
  updateMonitor = {
    default = "${toString (hc.intervalSeconds * hc.retries)}s";
    type = duration;
    description = "how long swarm watches each updated task for a failure: the health check's interval × retries";
  };
  # Back to the previous spec by default.
  updateFailureAction = {
    default = "rollback";
    type = oneOf [
      "rollback"
      "pause"
      "continue"
    ];
    description = "what a failed rolling update does";
  };
  # `host`, straight into the nginx task on its node, or `ingress`, the
  # routing mesh on every node, which needs IPVS in the kernel (some VM
  # kernels lack it). Both bind every address.
  publishMode = {
    default = "host";
    type = oneOf [
      "ingress"
      "host"
    ];
    description = "where nginx's port is published: `\"host\"`, on the node that runs nginx, or `\"ingress\"`, the routing mesh on every node (needs IPVS)";
  };
}
