# The stack declaration: options in, `{ compose; nginxConf; }` out.
#
# Builtins only, no nixpkgs, so a bare `nix-instantiate --eval --strict` can
# render it anywhere. The flake exposes it as `lib.mkStack`.
options:
let
  inherit (builtins)
    attrNames
    deepSeq
    fromTOML
    mapAttrs
    readFile
    replaceStrings
    toJSON
    ;
  inherit (import ./options.nix) fail show validate;

  images = import ./images.nix { };

  # Each option's default, type and description: nix/stack-options.nix.
  records = import ./stack-options.nix;

  names = fromTOML (readFile ./names.toml);
  appService = names.services.app;
  lbService = names.services.lb;

  prefix = "hostinfo stack:";
  checked = validate {
    inherit prefix records options;
  };

  # HOSTINFO_SHUTDOWN_TIMEOUT, HOSTINFO_KEEP_ALIVE and nginx's upstream
  # keepalive_timeout, from the options they must fit inside.
  timeouts = import ./timeouts.nix {
    inherit prefix;
    settings = checked;
  };
  # A replica runs appWorkers + 2 threads (/proc/<pid>/status at 1 to 32
  # workers), and its healthcheck, exec'd into the same pids cgroup, one
  # more; actix-web panics above 512 workers.
  threadsBesideWorkers = 3;
  maxWorkers = 512;
  workers =
    let
      inherit (checked) appWorkers appPids;
      bound = appPids - threadsBesideWorkers;
    in
    if appWorkers == "auto" then
      appWorkers
    else if appWorkers > maxWorkers then
      fail prefix "option 'appWorkers' must be at most ${toString maxWorkers} (actix-web's limit), got ${show appWorkers}"
    else if appWorkers > bound then
      fail prefix "option 'appWorkers' must be at most ${toString bound} with appPids = ${toString appPids}: a replica runs appWorkers + 2 threads and its healthcheck 1 more, got ${show appWorkers}"
    else
      appWorkers;

  # Every option is checked, even one no output happens to read.
  s = deepSeq checked (deepSeq timeouts (deepSeq workers (builtins.seq zone (checked // pinned))));

  # nginx's upstream zone, sized for maxReplicas: a replica that does not
  # fit is dropped from routing with only a log line to say so, hence the
  # refusal. nginx 1.30 holds every resolved address twice (the primary and
  # the backup `server` lines each resolve the name): an rr peer (328 bytes
  # with Debian's --with-compat, a 512-byte slab chunk), its sockaddr and its
  # name (128-byte chunks) and the server name (8): 3 pages of 4 KiB per 8
  # replicas. Measured (docs/scaling.md): 60 replicas need 33 pages, 23 for
  # them and 10 fixed (the pool's own and the first chunk of each size;
  # 2 more spare).
  # Resolving frees the peers that left before adding new ones, so churn
  # only strands part-used pages of a size: half again covers it.
  zone =
    let
      fixedPages = 12;
      pages = fixedPages + (checked.maxReplicas * 3 * 3 / 2 + 7) / 8;
    in
    if checked.replicas > checked.maxReplicas then
      fail prefix "option 'replicas' is ${toString checked.replicas}, above option 'maxReplicas' (${toString checked.maxReplicas}), the most nginx's upstream zone is sized for: run fewer, or raise maxReplicas"
    else
      "${toString (pages * 4)}k";

  # Docker runs each replica's check as an exec through the daemon. On 2
  # cores, 60 replicas checked every 2 s (30 a second) passed; 100 (50 a
  # second) left 41 unhealthy after a minute, 200 left 187 (docs/scaling.md).
  # So at most 32 checks a second for maxReplicas: every 2 s up to 64.
  healthInterval =
    let
      perSecond = 32;
      spread = (checked.maxReplicas + perSecond - 1) / perSecond;
    in
    if spread > images.app.healthcheck.intervalSeconds then
      spread
    else
      images.app.healthcheck.intervalSeconds;

  # With a registry, both images by digest (nix/registry.nix).
  pushed = import ./registry.nix;
  pinned = pushed.pinned {
    inherit images options;
    inherit (checked) registry digests;
  };

  seconds = n: "${toString n}s";

  # Least privilege for every container of the stack.
  hardened = {
    read_only = true;
    cap_drop = [ "ALL" ];
    security_opt = [ "no-new-privileges:true" ];
    restart = "unless-stopped";
    stop_grace_period = s.stopGracePeriod;
  };

  compose = {
    services = {
      ${appService} = hardened // {
        image = s.appImage;
        user = images.app.user;
        environment =
          images.app.env
          // {
            HOSTINFO_LISTEN = "0.0.0.0:${toString s.appPort}";
            RUST_LOG = s.logLevel;
          }
          // timeouts.environment
          // (if s.appWorkers == "auto" then { } else { HOSTINFO_WORKERS = toString s.appWorkers; });
        healthcheck = {
          test = [ "CMD" ] ++ images.app.healthcheck.command;
          interval = seconds healthInterval;
          timeout = seconds images.app.healthcheck.timeoutSeconds;
          start_period = seconds images.app.healthcheck.startPeriodSeconds;
          retries = images.app.healthcheck.retries;
        };
        stop_signal = images.app.stopSignal;
        mem_limit = s.appMemory;
        pids_limit = s.appPids;
        deploy.replicas = s.replicas;
        # Reachable only from nginx, on the stack's internal network.
        networks = [ "backend" ];
      };

      ${lbService} = hardened // {
        image = s.lbImage;
        user = images.lb.user;
        stop_signal = images.lb.stopSignal;
        mem_limit = s.lbMemory;
        pids_limit = s.lbPids;
        # The only published port of the stack.
        ports = [ "${s.publishAddress}:${toString s.publishPort}:${toString s.lbPort}" ];
        volumes = [ "./nginx.conf:${images.lb.config}:ro" ];
        tmpfs = [ "/tmp:size=${s.lbTmpSize},mode=1777" ];
        depends_on.${appService}.condition = "service_healthy";
        networks = [
          "backend"
          "frontend"
        ];
      };
    };

    networks = {
      # No route out: replicas talk to nginx and nothing else.
      backend.internal = true;
      # nginx's side, where the published port lives.
      frontend = { };
    };
  };

  benchmarkLocation = ''
    # The benchmark's ceiling: nginx answering by itself, no replica.
            location = /_bench/ceiling {
                access_log off;
                return 200 '{"status":"ok"}';
            }
  '';

  readyToggleGuard = ''
    location ^~ /ready/ {
                default_type application/json;
                return 403 '{"error":{"status":403,"message":"the readiness switches are not exposed on the load balancer (stack option exposeReadyToggle)"}}\n';
            }

  '';

  nginxConf =
    replaceStrings
      (map (name: "@${name}@") (attrNames nginxValues))
      (map (name: nginxValues.${name}) (attrNames nginxValues))
      (readFile ../nginx.conf);

  nginxValues = mapAttrs (_: toString) {
    inherit appService;
    inherit (s)
      appHost
      appPort
      resolver
      keepalive
      connectTimeout
      readTimeout
      nextUpstreamTimeout
      maxFails
      failTimeout
      resolverValid
      maxBodySize
      delayedPerClient
      replicaConnections
      ;
    # nginx.conf's first pass; @again makes the last attempt.
    firstPassTries = s.nextUpstreamTries - 1;
    workerProcesses = s.nginxWorkers;
    zoneSize = zone;
    inherit (timeouts) upstreamKeepAliveTimeout;
    listenPort = s.lbPort;
    accessLog = if s.accessLog then "/dev/stdout upstream buffer=64k flush=1s" else "off";
    benchmarkLocation = if s.benchmarkLocation then "        ${benchmarkLocation}" else "";
    readyToggleGuard = if s.exposeReadyToggle then "" else "        ${readyToggleGuard}";
  };
in
# Bad options fail whatever part of the result is asked for.
builtins.seq s {
  inherit compose nginxConf images;
  settings = s;
  # JSON is YAML: both compose front-ends read it as it is.
  files = {
    "compose.yaml" = toJSON compose;
    "nginx.conf" = nginxConf;
  };
}
