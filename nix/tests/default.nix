# Tests of the stack declaration: `passed` lists them, or fails naming each failure.
#
# Builtins only, like nix/stack.nix: `nix flake check` runs them, and so does
# a bare `nix-instantiate --eval --strict --json nix/tests` on any machine.
let
  inherit (builtins)
    fromJSON
    readFile
    ;

  mkStack = import ../stack.nix;

  # The golden stack: small, and different from the defaults where it can be.
  small = mkStack {
    replicas = 2;
    publishPort = 18000;
  };
  defaults = mkStack { };

  inherit (import ./lib.nix) occurrences fails run;
  rejects = options: fails (mkStack options);

  tests = {
    "a small stack renders the golden compose file" =
      small.compose == fromJSON (readFile ./golden/compose.json);
    "a small stack renders the golden nginx.conf" = small.nginxConf == readFile ./golden/nginx.conf;

    "the default stack runs five replicas" = defaults.compose.services.app.deploy.replicas == 5;
    "replicas publish no port" = !(defaults.compose.services.app ? ports);
    "nginx is published on loopback port 8000 by default" =
      defaults.compose.services.lb.ports == [ "127.0.0.1:8000:8080" ];
    "replicas sit only on the internal network" =
      defaults.compose.services.app.networks == [ "backend" ]
      && defaults.compose.networks.backend.internal;
    "every container is read-only, without capabilities, as nobody" =
      let
        hardened =
          svc:
          svc.read_only && svc.cap_drop == [ "ALL" ] && svc.user == "65534:65534"
          && svc.security_opt == [ "no-new-privileges:true" ];
      in
      hardened defaults.compose.services.app && hardened defaults.compose.services.lb;
    "nginx waits for healthy replicas" =
      defaults.compose.services.lb.depends_on.app.condition == "service_healthy";
    "the app port reaches both the replicas and nginx" =
      let
        stack = mkStack { appPort = 9000; };
      in
      stack.compose.services.app.environment.HOSTINFO_LISTEN == "0.0.0.0:9000"
      && occurrences "server app:9000 resolve max_fails" stack.nginxConf == 1;

    "a worker count reaches the replicas only when one is given" =
      (mkStack { appWorkers = 1; }).compose.services.app.environment.HOSTINFO_WORKERS == "1"
      && !(defaults.compose.services.app.environment ? HOSTINFO_WORKERS);

    "every placeholder in nginx.conf is filled" = occurrences "@[A-Za-z]+@" defaults.nginxConf == 0;
    "nginx follows the replicas through DNS" =
      occurrences "server app:8000 resolve max_fails" defaults.nginxConf == 1
      && occurrences "resolver 127.0.0.11 valid=1s" defaults.nginxConf == 1;
    "a GET that nginx could not place gets one more pass, not a 502" =
      occurrences "error_page 502 = @again;" defaults.nginxConf == 1
      && occurrences "location @again [{]" defaults.nginxConf == 1;
    "when every replica is benched, nginx tries them all again rather than answer 502" =
      occurrences "server app:8000 resolve backup max_fails=0 max_conns=256;" defaults.nginxConf == 1;
    "one request makes at most nextUpstreamTries attempts: the first pass all but one, @again one" =
      occurrences "proxy_next_upstream_tries 2;" defaults.nginxConf == 1
      && occurrences "proxy_next_upstream off;" defaults.nginxConf == 1
      && occurrences "proxy_next_upstream_tries 4;" (mkStack { nextUpstreamTries = 5; }).nginxConf == 1;
    "nginx holds at most replicaConnections to a replica per entry, and delayedPerClient per client" =
      occurrences "max_conns=256;" defaults.nginxConf == 2
      && occurrences "max_conns=9;" (mkStack { replicaConnections = 9; }).nginxConf == 2
      && occurrences "limit_conn delayed 7;" (mkStack { delayedPerClient = 7; }).nginxConf == 1;
    "the benchmark location is there only when asked for" =
      occurrences "/_bench/ceiling" defaults.nginxConf == 0
      && occurrences "/_bench/ceiling" (mkStack { benchmarkLocation = true; }).nginxConf == 1;
    "nginx refuses the readiness switches unless the stack exposes them" =
      occurrences "location \\^~ /ready/ [{]" defaults.nginxConf == 1
      && occurrences "return 403" defaults.nginxConf == 1
      && occurrences "location \\^~ /ready/" (mkStack { exposeReadyToggle = true; }).nginxConf == 0;
    "a non-boolean exposeReadyToggle is rejected" = rejects { exposeReadyToggle = "no"; };
    "the access log can be turned off" =
      occurrences "access_log off;" (mkStack { accessLog = false; }).nginxConf == 1;

    "nginx's upstream zone grows with maxReplicas, not with replicas" =
      let
        zoneOf = options: builtins.head (builtins.match ".*zone app ([0-9]+)k;.*" (mkStack options).nginxConf);
      in
      zoneOf { } == zoneOf { replicas = 64; }
      && builtins.fromJSON (zoneOf { maxReplicas = 400; }) > builtins.fromJSON (zoneOf { })
      && builtins.fromJSON (zoneOf { maxReplicas = 20; }) < builtins.fromJSON (zoneOf { });
    "replicas up to maxReplicas render, one more is rejected" =
      !(fails (mkStack { replicas = 64; }).nginxConf)
      && rejects { replicas = 65; }
      && rejects {
        replicas = 11;
        maxReplicas = 10;
      }
      && rejects { maxReplicas = 0; };
    "the bound holds for swarm and Kubernetes too" =
      fails (import ../swarm.nix { replicas = 65; }).compose
      && fails (import ../k8s.nix { replicas = 65; }).list;
    "health checks stay at 32 a second as maxReplicas grows" =
      let
        interval = options: (mkStack options).compose.services.app.healthcheck.interval;
      in
      interval { } == "2s" && interval { maxReplicas = 200; } == "7s";
    "zero replicas are rejected" = rejects { replicas = 0; };
    "a replica count that is not an integer is rejected" = rejects { replicas = "5"; };
    "a port above 65535 is rejected" = rejects { publishPort = 70000; };
    "port 0 is rejected" = rejects { appPort = 0; };
    "an unknown option is rejected" = rejects { replica = 3; };
    "a malformed duration is rejected" = rejects { readTimeout = "2 s"; };
    "a malformed size is rejected" = rejects { appMemory = "lots"; };
    "a malformed publish address is rejected" = rejects { publishAddress = "localhost"; };
    "a non-boolean flag is rejected" = rejects { accessLog = "yes"; };
    "an empty image is rejected" = rejects { appImage = ""; };
    "a bad nginx worker count is rejected" = rejects { nginxWorkers = 0; };
    "a bad replica worker count is rejected" = rejects { appWorkers = "all"; };

    # Couplings rendered from one option each (stopGracePeriod, appKeepAlive).
    "the replicas drain for their grace period less 2 s, on every target" =
      let
        options.stopGracePeriod = "3500ms";
        drain = svc: svc.environment.HOSTINFO_SHUTDOWN_TIMEOUT;
        k8sApp = builtins.elemAt (import ../k8s.nix options).list.items 4;
        pod = k8sApp.spec.template.spec // {
          container = builtins.head k8sApp.spec.template.spec.containers;
        };
      in
      drain defaults.compose.services.app == "8"
      && drain (mkStack options).compose.services.app == "1"
      && drain (import ../swarm.nix options).compose.services.app == "1"
      && builtins.elem {
        name = "HOSTINFO_SHUTDOWN_TIMEOUT";
        value = "1";
      } pod.container.env
      # The kubelet's grace period also covers the preStop pause before SIGTERM.
      && pod.terminationGracePeriodSeconds - pod.container.lifecycle.preStop.sleep.seconds >= 1 + 2;
    "nginx lets go of an idle connection 1 s before the replica would" =
      let
        stack = mkStack { appKeepAlive = "30s"; };
      in
      defaults.compose.services.app.environment.HOSTINFO_KEEP_ALIVE == "5"
      && occurrences "keepalive_timeout 4s;" defaults.nginxConf == 1
      && stack.compose.services.app.environment.HOSTINFO_KEEP_ALIVE == "30"
      && occurrences "keepalive_timeout 29s;" stack.nginxConf == 1;
    "a grace period too short to drain is rejected" = rejects { stopGracePeriod = "2999ms"; };
    "a drain longer than the service takes is rejected" = rejects { stopGracePeriod = "2h"; };
    "a keep-alive nginx cannot stay below is rejected" = rejects { appKeepAlive = "1s"; };
  };
in
{
  passed = run "stack" tests;

  # What `just golden` writes to ./golden after a change meant to alter it.
  goldenStack = { inherit (small) compose nginxConf; };
}
