# The replicas' drain and keep-alive, derived from the options they must fit inside, with the margins stated once.
#
# Builtins only, like nix/stack.nix, which renders them into the replicas'
# environment (HOSTINFO_SHUTDOWN_TIMEOUT, HOSTINFO_KEEP_ALIVE) and into
# nginx.conf; swarm and Kubernetes take that environment as it is.
{
  # The words each error starts with, as stack.nix's own.
  prefix,
  # The stack's options, already checked against their types.
  settings,
}:
let
  inherit (import ./options.nix) fail milliseconds seconds show;

  # The replica must stop draining before Docker (or the kubelet, after its
  # preStop pause) kills it: its workers look once a second whether they are
  # done, then the process exits. 10 s of grace leave 8 s to drain, the
  # service's own default (HOSTINFO_SHUTDOWN_TIMEOUT in src/config.rs).
  drainMargin = 2;
  # Whole seconds, rounded down: a drain must not come out longer.
  drainSeconds = milliseconds settings.stopGracePeriod / 1000 - drainMargin;

  # nginx closes an idle upstream connection this much before the replica
  # would, so it never sends a request on a connection being closed.
  keepAliveMargin = 1;
  # Rounded up: the replica's side must not come out shorter.
  keepAliveSeconds = seconds settings.appKeepAlive;

  # The service takes 0 to 3600 s of drain and 1 to 3600 s of keep-alive
  # (MAX_*_SECS in src/config/parse.rs, checked against this by
  # tests/stack/test_couplings.py); a drain of 0 would drop every request in flight.
  maxServiceSeconds = 3600;
  outOfRange =
    name: least: most:
    fail prefix "option '${name}' must be from ${toString least}s to ${toString most}s, got ${show settings.${name}}";
in
if drainSeconds < 1 then
  fail prefix "option 'stopGracePeriod' must be at least ${toString (drainMargin + 1)}s: the replicas need ${toString drainMargin}s of it to exit and at least 1s to drain, got ${show settings.stopGracePeriod}"
else if drainSeconds > maxServiceSeconds then
  outOfRange "stopGracePeriod" (drainMargin + 1) (maxServiceSeconds + drainMargin)
else if keepAliveSeconds < keepAliveMargin + 1 || keepAliveSeconds > maxServiceSeconds then
  outOfRange "appKeepAlive" (keepAliveMargin + 1) maxServiceSeconds
else
  {
    environment = {
      HOSTINFO_SHUTDOWN_TIMEOUT = toString drainSeconds;
      HOSTINFO_KEEP_ALIVE = toString keepAliveSeconds;
    };
    upstreamKeepAliveTimeout = "${toString (keepAliveSeconds - keepAliveMargin)}s";
  }
