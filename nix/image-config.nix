# The OCI config of both images, derived from nix/images.nix with builtins only.
#
# Pure on purpose: the Nix images use it as it is, and the Dockerfile road
# (images/dockerfile.jq) writes its Dockerfile from the very same JSON.
{
  images ? import ./images.nix { },
}:
let
  inherit (builtins) attrNames map;
  inherit (images) app lb;

  # Docker counts health check durations in nanoseconds.
  nanoseconds = seconds: seconds * 1000000000;
  exposed = port: { "${toString port}/tcp" = { }; };
in
{
  app = {
    Entrypoint = app.entrypoint;
    User = app.user;
    ExposedPorts = exposed app.port;
    Env = map (name: "${name}=${app.env.${name}}") (attrNames app.env);
    Labels = app.labels;
    StopSignal = app.stopSignal;
    # The image has no shell, so the check is an exec of the binary itself.
    Healthcheck = {
      Test = [ "CMD" ] ++ app.healthcheck.command;
      Interval = nanoseconds app.healthcheck.intervalSeconds;
      Timeout = nanoseconds app.healthcheck.timeoutSeconds;
      StartPeriod = nanoseconds app.healthcheck.startPeriodSeconds;
      Retries = app.healthcheck.retries;
    };
  };

  lb = {
    Entrypoint = lb.entrypoint;
    User = lb.user;
    ExposedPorts = exposed lb.port;
    Labels = lb.labels;
    StopSignal = lb.stopSignal;
  };
}
