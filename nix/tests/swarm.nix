# Tests of the swarm renderer: `passed` lists them, or fails naming each failure.
#
# Builtins only, like nix/swarm.nix: a bare
# `nix-instantiate --eval --strict --json nix/tests/swarm.nix` runs them.
let
  inherit (builtins)
    all
    attrNames
    fromJSON
    head
    readFile
    removeAttrs
    ;

  mkSwarm = import ../swarm.nix;
  mkStack = import ../stack.nix;

  # The golden stack: the compose golden's options.
  small = mkSwarm {
    replicas = 2;
    publishPort = 18000;
  };
  defaults = mkSwarm { };
  inherit (defaults.compose.services) app lb;
  composed = (mkStack { }).compose.services;

  inherit (import ./lib.nix) occurrences fails run;
  rejects = options: fails (mkSwarm options).files;
  both = f: f app && f lb;

  tests = {
    "a small stack renders the golden swarm compose file" =
      small.compose == fromJSON (readFile ./golden/swarm.json);
    "the rendered file is the compose set, as JSON" =
      fromJSON defaults.files."compose.yaml" == defaults.compose;
    "docker stack deploy is given a version it reads" = defaults.compose.version == "3.9";

    "no key swarm ignores or rejects is left" = both (
      svc:
      all (key: !(svc ? ${key})) [
        "restart"
        "security_opt"
        "mem_limit"
        "pids_limit"
        "tmpfs"
        "depends_on"
      ]
    );
    "everything else of compose's services is kept as it is" =
      let
        kept =
          svc:
          removeAttrs svc [
            "deploy"
            "volumes"
            "configs"
            "ports"
          ];
        fromCompose =
          name:
          removeAttrs composed.${name} [
            "restart"
            "security_opt"
            "mem_limit"
            "pids_limit"
            "tmpfs"
            "volumes"
            "depends_on"
            "ports"
            "deploy"
          ];
      in
      kept app == fromCompose "app" && kept lb == fromCompose "lb";
    "hardening survives: read-only, no capabilities, nobody, health check, stop signal" =
      both (svc: svc.read_only && svc.cap_drop == [ "ALL" ] && svc.user == "65534:65534")
      && app.healthcheck == composed.app.healthcheck
      && app.stop_signal == "SIGTERM"
      && lb.stop_signal == "SIGQUIT"
      && both (svc: svc.stop_grace_period == "10s");
    "restart: unless-stopped becomes a restart policy" = both (
      svc: svc.deploy.restart_policy.condition == "any"
    );
    "memory and pid limits move under deploy.resources.limits" =
      app.deploy.resources.limits == {
        memory = "64m";
        pids = 64;
      }
      && lb.deploy.resources.limits == {
        memory = "128m";
        pids = 256;
      };
    "nginx's tmpfs is a tmpfs mount of the same size" =
      lb.volumes == [
        {
          type = "tmpfs";
          target = "/tmp";
          tmpfs.size = 16 * 1024 * 1024;
        }
      ]
      && (head (mkSwarm { lbTmpSize = "1g"; }).compose.services.lb.volumes).tmpfs.size == 1073741824;

    "the declaration's replicas reach the app service" =
      app.deploy.replicas == 5 && (mkSwarm { replicas = 3; }).compose.services.app.deploy.replicas == 3;
    "nginx resolves every task, not a virtual IP" =
      app.deploy.endpoint_mode == "dnsrr" && occurrences "server app:8000 resolve max_fails" defaults.nginxConf == 1;
    "nginx.conf is compose's own" = defaults.nginxConf == (mkStack { }).nginxConf;
    "updates go one task at a time, the new one healthy first, and roll back" =
      app.deploy.update_config == {
        parallelism = 1;
        order = "start-first";
        failure_action = "rollback";
        monitor = "6s";
      }
      && app.deploy.rollback_config == {
        parallelism = 1;
        order = "start-first";
      };
    "the update monitor and failure action can be chosen" =
      (mkSwarm {
        updateMonitor = "30s";
        updateFailureAction = "pause";
      }).compose.services.app.deploy.update_config == {
        parallelism = 1;
        order = "start-first";
        failure_action = "pause";
        monitor = "30s";
      };

    "nginx.conf is a config named by its content" =
      let
        source = (head lb.configs).source;
      in
      attrNames defaults.compose.configs == [ source ]
      && defaults.compose.configs.${source}.file == "./nginx.conf"
      && (head lb.configs).target == "/etc/nginx/nginx.conf"
      && attrNames (mkSwarm { readTimeout = "5s"; }).compose.configs != [ source ]
      && attrNames (mkSwarm { replicas = 9; }).compose.configs == [ source ];
    "the rendered files are the compose file and the config it names" =
      attrNames defaults.files == [
        "compose.yaml"
        "nginx.conf"
      ]
      && defaults.files."nginx.conf" == defaults.nginxConf;

    "nginx is published on the host, replaced stop-first, without a virtual IP" =
      lb.ports == [
        {
          target = 8080;
          published = 8000;
          protocol = "tcp";
          mode = "host";
        }
      ]
      && lb.deploy.update_config.order == "stop-first"
      && lb.deploy.rollback_config.order == "stop-first"
      && lb.deploy.endpoint_mode == "dnsrr";
    "through the routing mesh nginx is replaced start-first, behind a virtual IP" =
      let
        mesh = (mkSwarm { publishMode = "ingress"; }).compose.services.lb;
      in
      (head mesh.ports).mode == "ingress"
      && mesh.deploy.update_config.order == "start-first"
      && mesh.deploy.endpoint_mode == "vip";
    "replicas publish no port" = !(app ? ports);
    "the replicas' network is an internal overlay nothing else can join" =
      app.networks == [ "backend" ]
      && defaults.compose.networks.backend == {
        internal = true;
        driver = "overlay";
        attachable = false;
      }
      && lb.networks == [
        "backend"
        "frontend"
      ]
      && defaults.compose.networks.frontend == {
        driver = "overlay";
        attachable = false;
      };
    "0.0.0.0 may be asked for, since it is what swarm gives" =
      !(rejects { publishAddress = "0.0.0.0"; });

    "a publish address swarm cannot bind is rejected" = rejects { publishAddress = "127.0.0.1"; };
    "appHost cannot be set" = rejects { appHost = "tasks.app"; };
    "an unknown publish mode is rejected" = rejects { publishMode = "bridge"; };
    "an unknown failure action is rejected" = rejects { updateFailureAction = "retry"; };
    "a malformed update monitor is rejected" = rejects { updateMonitor = "soon"; };
    "an unknown option is rejected" = rejects { publish_mode = "host"; };
    "a bad stack option is still rejected" = rejects { replicas = 0; };
  };
in
{
  passed = run "swarm" tests;

  # What `just golden` should write to ./golden/swarm.json after a change meant to alter it.
  goldenSwarm = small.compose;
}
