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
  inherit (import ./options.nix)
    count
    duration
    flag
    matching
    nonEmptyString
    port
    registry
    size
    validate
    workers
    ;

  images = import ./images.nix { };

  defaults = {
    # Replicas of the service behind nginx.
    replicas = 5;
    appImage = "${images.app.name}:${images.app.tag}";
    appPort = images.app.port;
    # RUST_LOG of every replica. nginx's access log already has a line for
    # every request, naming the replica that served it; the replicas' own
    # lines, one more per request through Docker's log driver, halved the
    # load-balanced throughput on 2 cores (`just bench`, back to back: 8.2k
    # vs 14.8k req/s). "info" turns them on.
    logLevel = "warn";
    # Worker threads per replica: "auto" is one per core the replica may use.
    appWorkers = "auto";
    appMemory = "64m";
    appPids = 64;
    lbImage = "${images.lb.name}:${images.lb.tag}";
    lbPort = images.lb.port;
    lbMemory = "128m";
    lbPids = 256;
    # Room for nginx's pid file and temp files: the one writable path.
    lbTmpSize = "16m";
    # Where the stack is published on the host: loopback unless asked.
    publishAddress = "127.0.0.1";
    publishPort = names.defaults.publishPort;
    # How long a container may drain after SIGTERM before it is killed. The
    # replicas drain for this less a margin (HOSTINFO_SHUTDOWN_TIMEOUT, nix/timeouts.nix).
    stopGracePeriod = "10s";
    # How long a replica keeps an idle connection from nginx open
    # (HOSTINFO_KEEP_ALIVE, whole seconds); nginx lets go a margin
    # sooner. 5 s is actix-web's own default.
    appKeepAlive = "5s";

    nginxWorkers = "auto";
    # The DNS server nginx asks, and the name it asks for to find every
    # replica: Docker's embedded DNS and the compose service by default.
    resolver = "127.0.0.11";
    appHost = appService;
    # Idle upstream connections each nginx worker keeps open.
    keepalive = 64;
    connectTimeout = "250ms";
    # Longest a replica may take to answer before the request moves on.
    readTimeout = "2s";
    # How many replicas one request may try: 0 is each of them at most once,
    # so a request fails only when every replica did (or the timeout below).
    nextUpstreamTries = 0;
    nextUpstreamTimeout = "3s";
    maxFails = 1;
    failTimeout = "5s";
    resolverValid = "1s";
    maxBodySize = "16k";
    accessLog = true;
    # nginx answering by itself at /_bench/ceiling: the benchmark's ceiling.
    benchmarkLocation = false;

    # Where every node pulls both images from, by digest (host[:port][/path]);
    # null: the images are loaded into each node by hand, named by tag.
    registry = null;
    # What `just push` wrote to .stack/digests.json (nix/render.nix reads it):
    # the registry pushed to and each image's digest.
    digests = null;
    # Pass POST /ready/disable and /ready/enable from the published port to
    # the replicas; by default nginx answers them 403 itself.
    exposeReadyToggle = false;
  };

  # What each option must be: the types are nix/options.nix's.
  image = nonEmptyString "an image reference such as name:tag";
  types = {
    replicas = count 1;
    appImage = image;
    appPort = port;
    logLevel = nonEmptyString "a RUST_LOG filter such as info or hostinfo=debug";
    appMemory = size;
    appPids = count 16;
    lbImage = image;
    lbPort = port;
    lbMemory = size;
    lbPids = count 16;
    lbTmpSize = size;
    publishAddress =
      matching "[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+" "an IPv4 address such as 127.0.0.1 or 0.0.0.0";
    publishPort = port;
    stopGracePeriod = duration;
    appKeepAlive = duration;
    resolver = nonEmptyString "a DNS server address or name";
    appHost = nonEmptyString "a DNS name";
    nginxWorkers = workers;
    appWorkers = workers;
    keepalive = count 1;
    connectTimeout = duration;
    readTimeout = duration;
    nextUpstreamTries = count 0;
    nextUpstreamTimeout = duration;
    maxFails = count 0;
    failTimeout = duration;
    resolverValid = duration;
    maxBodySize = size;
    accessLog = flag;
    benchmarkLocation = flag;
    inherit registry;
    inherit (pushed) digests;
    exposeReadyToggle = flag;
  };

  names = fromTOML (readFile ./names.toml);
  appService = names.services.app;
  lbService = names.services.lb;

  prefix = "hostinfo stack:";
  checked = validate {
    inherit prefix defaults types options;
  };

  # HOSTINFO_SHUTDOWN_TIMEOUT, HOSTINFO_KEEP_ALIVE and nginx's upstream
  # keepalive_timeout, from the options they must fit inside.
  timeouts = import ./timeouts.nix {
    inherit prefix;
    settings = checked;
  };
  # Every option is checked, even one no output happens to read.
  s = deepSeq checked (deepSeq timeouts (checked // pinned));

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
          interval = seconds images.app.healthcheck.intervalSeconds;
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
      nextUpstreamTries
      nextUpstreamTimeout
      maxFails
      failTimeout
      resolverValid
      maxBodySize
      ;
    workerProcesses = s.nginxWorkers;
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
