# The stack's options, one record each: what nix/stack.nix takes, and what swarm and Kubernetes extend.
#
# Builtins only, like nix/stack.nix. A record is { default; type;
# description; }, its type one of nix/options.nix's, which checks it.
let
  inherit (builtins) fromTOML readFile;
  inherit (import ./options.nix)
    count
    duration
    flag
    matching
    nonEmptyString
    port
    registry
    size
    workers
    ;

  images = import ./images.nix { };
  names = fromTOML (readFile ./names.toml);
  image = nonEmptyString "an image reference such as name:tag";
in
{
  replicas = {
    default = 5;
    type = count 1;
    description = "replicas behind nginx (`just up N`, `just scale N`), at most `maxReplicas`";
  };
  # nginx's upstream zone is sized for this many (nix/stack.nix); a replica
  # that does not fit in it is dropped from routing, so more is refused.
  # Above 64, Docker's health checks are spread out to hold 32 a second.
  maxReplicas = {
    default = 64;
    type = count 1;
    description = "the most replicas nginx routes to: its upstream zone is sized for this many, `replicas` above it is refused; above 64 the health checks run less often (200: every 7 s)";
  };
  appImage = {
    default = "${images.app.name}:${images.app.tag}";
    type = image;
    description = "the replicas' image, from `nix/images.nix` (by digest with `registry`)";
  };
  appPort = {
    default = images.app.port;
    type = port;
    description = "the replicas' port inside their containers (unprivileged)";
  };
  # RUST_LOG of every replica. nginx's access log already has a line for
  # every request, naming the replica that served it; the replicas' own
  # lines, one more per request through Docker's log driver, halved the
  # load-balanced throughput on 2 cores (`just bench`, back to back: 8.2k
  # vs 14.8k req/s). "info" turns them on.
  logLevel = {
    default = "warn";
    type = nonEmptyString "a RUST_LOG filter such as info or hostinfo=debug";
    description = "the replicas' `RUST_LOG`; `\"info\"` adds their access log (nginx logs every request already)";
  };
  appWorkers = {
    default = "auto";
    type = workers;
    description = "worker threads per replica (`\"auto\"`: one per core it may use)";
  };
  appMemory = {
    default = "64m";
    type = size;
    description = "each replica's memory limit";
  };
  appPids = {
    default = 64;
    type = count 16;
    description = "each replica's process (and thread) limit";
  };
  lbImage = {
    default = "${images.lb.name}:${images.lb.tag}";
    type = image;
    description = "nginx's image, from `nix/images.nix` (by digest with `registry`)";
  };
  lbPort = {
    default = images.lb.port;
    type = port;
    description = "nginx's port inside its container (unprivileged)";
  };
  lbMemory = {
    default = "128m";
    type = size;
    description = "nginx's memory limit";
  };
  lbPids = {
    default = 256;
    type = count 16;
    description = "nginx's process limit";
  };
  lbTmpSize = {
    default = "16m";
    type = size;
    description = "the size of nginx's `/tmp` tmpfs, its one writable path";
  };
  # Loopback unless asked: only what the host itself runs reaches the stack.
  publishAddress = {
    default = "127.0.0.1";
    type = matching "[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+" "an IPv4 address such as 127.0.0.1 or 0.0.0.0";
    description = "the host address nginx is published on; nothing else is published";
  };
  publishPort = {
    default = names.defaults.publishPort;
    type = port;
    description = "the host port nginx is published on (`HOSTINFO_PORT`)";
  };
  # Docker's own default; the margin it leaves is nix/timeouts.nix's.
  stopGracePeriod = {
    default = "10s";
    type = duration;
    description = "time to drain after SIGTERM before a kill; the replicas drain for it less 2 s (`HOSTINFO_SHUTDOWN_TIMEOUT`), so at least `\"3s\"`";
  };
  # actix-web's own default, stated so that nginx's can be derived from it.
  appKeepAlive = {
    default = "5s";
    type = duration;
    description = "the replicas' idle keep-alive (`HOSTINFO_KEEP_ALIVE`); nginx's upstream `keepalive_timeout` is 1 s less";
  };

  nginxWorkers = {
    default = "auto";
    type = workers;
    description = "nginx worker processes (`\"auto\"`: one per core)";
  };
  # The DNS server nginx asks, and the name it asks for to find every
  # replica: Docker's embedded DNS and the compose service by default.
  resolver = {
    default = "127.0.0.11";
    type = nonEmptyString "a DNS server address or name";
    description = "the DNS server nginx asks for the replicas' addresses";
  };
  appHost = {
    default = names.services.app;
    type = nonEmptyString "a DNS name";
    description = "the name nginx looks up to find every replica";
  };
  keepalive = {
    default = 64;
    type = count 1;
    description = "idle upstream connections per nginx worker";
  };
  connectTimeout = {
    default = "250ms";
    type = duration;
    description = "how long a replica may take to accept a connection";
  };
  readTimeout = {
    default = "2s";
    type = duration;
    description = "how long a replica may take to answer before the request moves on";
  };
  # Every try that fails on a 502 or 503 benches that replica (maxFails):
  # unbounded, one /status/503 tried every replica, then every backup, and
  # benched them all. 3 rides out one crashed or hung replica and one
  # rolling-restart hiccup (nginx.conf's @again takes the last try).
  nextUpstreamTries = {
    default = 3;
    type = count 2;
    description = "upstream attempts one request may make, the `@again` pass included";
  };
  nextUpstreamTimeout = {
    default = "3s";
    type = duration;
    description = "how long one request may spend trying replicas";
  };
  maxFails = {
    default = 1;
    type = count 0;
    description = "failed attempts after which nginx skips a replica (passive health; 0: never)";
  };
  failTimeout = {
    default = "5s";
    type = duration;
    description = "how long a replica that failed is skipped";
  };
  resolverValid = {
    default = "1s";
    type = duration;
    description = "how often nginx looks the replicas up again";
  };
  # A delayed request (`/info?wait=`) holds an upstream connection and
  # about 20 KiB of a replica while it waits; a plain one, microseconds.
  delayedPerClient = {
    default = 32;
    type = count 1;
    description = "requests with a query string (`/info?wait=`) one client address may have in flight; past it nginx answers 429";
  };
  # 512 held connections (primary and backup entry each) cost a replica
  # about 10 MiB, well inside appMemory's 64m; a plain /info at 64
  # concurrent clients uses a handful.
  replicaConnections = {
    default = 256;
    type = count 1;
    description = "upstream connections nginx holds to one replica, per entry (primary and backup: at most twice this); past them nginx answers 503";
  };
  maxBodySize = {
    default = "16k";
    type = size;
    description = "the largest request body (`/info` takes none)";
  };
  accessLog = {
    default = true;
    type = flag;
    description = "nginx's access log (buffered) with upstream address and times";
  };
  benchmarkLocation = {
    default = false;
    type = flag;
    description = "`/_bench/ceiling`, nginx answering alone, for `just bench`";
  };

  registry = {
    default = null;
    type = registry;
    description = "where every node pulls both images from, by digest, after `just push`; `null`: loaded by hand, by tag";
  };
  digests = {
    default = null;
    type = (import ./registry.nix).digests;
    description = "what `just push` wrote to `.stack/digests.json`, read by `nix/render.nix`";
    internal = true;
  };
  exposeReadyToggle = {
    default = false;
    type = flag;
    description = "pass `POST /ready/disable` and `/ready/enable` through nginx; by default nginx answers `/ready/*` with 403";
  };
}
