# The stack as a Docker Swarm stack (`docker stack deploy`), rendered from the same declaration as compose.
#
# Builtins only, like nix/stack.nix: a bare `nix-instantiate --eval --strict
# --json` renders `files` anywhere. Each service is compose's, less the keys
# swarm ignores or rejects, plus their swarm form under `deploy`, `volumes`
# and `configs`. Takes the stack's options plus the few that only swarm
# has (nix/swarm-options.nix).
options:
let
  inherit (builtins)
    deepSeq
    elemAt
    fromTOML
    hashString
    head
    mapAttrs
    match
    readFile
    removeAttrs
    seq
    substring
    toJSON
    ;
  inherit (import ./options.nix) bytes extend;

  # The service names compose has, read from their one home.
  inherit (fromTOML (readFile ./names.toml)) services;

  # The swarm options checked here, the rest by stack.nix.
  extended = extend {
    prefix = "hostinfo swarm:";
    base = import ./stack-options.nix;
    extra = import ./swarm-options.nix;
    forbidden.appHost = "nginx asks for the service name, which resolves to every task (endpoint_mode dnsrr)";
    # Swarm publishes on every interface of every node: asking for one
    # address must not quietly give all of them.
    fixed.publishAddress = {
      value = "0.0.0.0";
      why = "swarm publishes on every interface (0.0.0.0); put a firewall in front to narrow it";
    };
    inherit options;
  };
  w = extended.settings;

  # Every task takes an address of the backend overlay, a /24 from Docker's
  # default address pool: 256, less the network, broadcast and gateway
  # addresses, each node's load-balancer endpoint, nginx's tasks and the
  # start-first updates' spare task. 240 leaves room for those on 8 nodes.
  overlayTasks = 240;
  boundedReplicas =
    if extended.stackOptions.maxReplicas or 0 > overlayTasks then
      throw "hostinfo swarm: option 'maxReplicas' is ${toString extended.stackOptions.maxReplicas}, above ${toString overlayTasks}: every task takes an address of the backend overlay network, a /24 (256 addresses) from Docker's default pool (docs/scaling.md)"
    else
      true;

  stack = import ./stack.nix extended.stackOptions;
  s = stack.settings;
  composeServices = stack.compose.services;

  # Compose's restart policies in swarm's words. Swarm restarts a task by
  # replacing it with a new one (new container, new hostname).
  restartCondition = {
    "no" = "none";
    always = "any";
    unless-stopped = "any";
    on-failure = "on-failure";
  };

  # Compose keys `docker stack deploy` will not take, as it says (CLI 28,
  # engine 20.10), each with its swarm form in `swarmOf` and `lb`, or none:
  # - restart, security_opt: "Ignoring unsupported options".
  # - mem_limit, pids_limit: "Configuration contains forbidden properties".
  # - depends_on with a condition: "must be a list". Swarm starts services in
  #   no order anyway; nginx needs none: with `resolve` it starts without the
  #   replicas, and `just swarm-up` waits for every one.
  # - tmpfs: dropped without a word, and nginx fails on a read-only /tmp.
  # - volumes: a bind mount of ./nginx.conf exists only on this node.
  # - ports: swarm cannot bind a host address (see publishAddress above).
  # security_opt's no-new-privileges has no swarm form before Docker 27 (API
  # 1.46). What stands in: both images run as uid 65534 with every
  # capability dropped and hold no setuid or setgid file, so there is no
  # privilege left to gain.
  composeOnly = [
    "restart"
    "security_opt"
    "mem_limit"
    "pids_limit"
    "tmpfs"
    "volumes"
    "depends_on"
    "ports"
  ];

  # Rolling updates and rollbacks one task at a time, by default the new
  # task healthy before the old one stops: the same capacity throughout.
  swarmOf =
    {
      service,
      order ? "start-first",
      endpointMode,
    }:
    removeAttrs service composeOnly
    // {
      deploy = (service.deploy or { }) // {
        endpoint_mode = endpointMode;
        restart_policy = {
          condition = restartCondition.${service.restart};
          # A crash loop is retried once a second, not as fast as it fails.
          delay = "1s";
        };
        update_config = {
          parallelism = 1;
          inherit order;
          failure_action = w.updateFailureAction;
          monitor = w.updateMonitor;
        };
        rollback_config = {
          parallelism = 1;
          inherit order;
        };
        # Compose's mem_limit and pids_limit.
        resources.limits = {
          memory = service.mem_limit;
          pids = service.pids_limit;
        };
      };
    };

  hostMode = w.publishMode == "host";

  nginxConf = stack.nginxConf;
  # The content's hash in the config's name: swarm configs cannot change,
  # so a changed nginx.conf is a new config, and naming it rolls nginx.
  nginxConfig = "nginx-${substring 0 12 (hashString "sha256" nginxConf)}";

  # compose's "/tmp:size=16m,mode=1777", as a mount.
  tmpfsMount =
    spec:
    let
      parts = match "([^:]+):size=([0-9]+[kmg]?).*" spec;
    in
    {
      type = "tmpfs";
      target = head parts;
      # Swarm gives a tmpfs mode 1777 by itself; 20.10 cannot set it.
      # Compose sizes are binary ("16m" is 16 MiB), and swarm's tmpfs takes bytes.
      tmpfs.size = bytes (elemAt parts 1);
    };

  compose = {
    # `docker stack deploy` reads no Compose file without a version.
    version = "3.9";

    services = {
      ${services.app} = swarmOf {
        service = composeServices.${services.app};
        # Every task's address under the service name, and no virtual IP:
        # nginx balances and fails over between the tasks itself, as under
        # compose, with the same nginx.conf.
        endpointMode = "dnsrr";
      };

      ${services.lb} =
        swarmOf {
          service = composeServices.${services.lb};
          # Two nginx tasks cannot hold one host port on one node: under
          # `mode: host` the old one stops first.
          order = if hostMode then "stop-first" else "start-first";
          # Nothing asks for nginx by name. The routing mesh needs a virtual
          # IP; a port published on the host needs none.
          endpointMode = if hostMode then "dnsrr" else "vip";
        }
        // {
          ports = [
            {
              target = s.lbPort;
              published = s.publishPort;
              protocol = "tcp";
              mode = w.publishMode;
            }
          ];
          configs = [
            {
              source = nginxConfig;
              target = stack.images.lb.config;
              # Read-only for everyone: owned by root, read by nobody.
              mode = 292; # 0444
            }
          ];
          volumes = map tmpfsMount composeServices.${services.lb}.tmpfs;
        };
    };

    # Compose's networks as overlays no container outside the stack can join.
    networks = mapAttrs (
      _: network:
      network
      // {
        driver = "overlay";
        attachable = false;
      }
    ) stack.compose.networks;

    # Written next to compose.yaml by `just swarm-up`, as `files` says.
    configs.${nginxConfig}.file = "./nginx.conf";
  };
in
# Bad options fail whatever part of the result is asked for.
seq (deepSeq w (seq boundedReplicas stack.settings)) {
  inherit compose nginxConf;
  settings = s // w;
  files = {
    "compose.yaml" = toJSON compose;
    "nginx.conf" = nginxConf;
  };
}
