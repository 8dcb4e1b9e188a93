# The two Deployments, replicas and nginx: hardened pods, with their probes, memory and drain before SIGTERM.
#
# Builtins only, like nix/k8s.nix, which names and labels them as it does
# every object, and sets the Services that reach them beside them.
{
  # nix/stack.nix's result: images, the replicas' environment, nginx.conf.
  stack,
  # The stack's settings and Kubernetes' own.
  settings,
  # nix/k8s.nix's: each component's object name, metadata, labels and
  # selector, and the one port of a container.
  names,
  metadata,
  labels,
  selector,
  http,
}:
let
  inherit (builtins)
    attrNames
    fromJSON
    hashString
    head
    match
    ;
  inherit (import ./options.nix) quantity seconds;
  inherit (stack) images nginxConf;
  s = settings;

  # The tmpfs compose gives nginx, so both targets give it the same room.
  tmpSize = s.lbTmpSize;

  uid = v: fromJSON (head (match "([0-9]+):[0-9]+" v));
  gid = v: fromJSON (head (match "[0-9]+:([0-9]+)" v));

  # Pod and container settings of both Deployments: what compose's
  # read_only, cap_drop, no-new-privileges and user say, and what the
  # restricted Pod Security Standard asks for.
  deployment =
    {
      component,
      replicas,
      annotations ? { },
      container,
      volumes ? [ ],
    }:
    {
      apiVersion = "apps/v1";
      kind = "Deployment";
      metadata = metadata component;
      spec = {
        inherit replicas;
        selector.matchLabels = selector component;
        # Full capacity throughout a rollout: a new pod first, then an old one goes.
        strategy = {
          type = "RollingUpdate";
          rollingUpdate = {
            maxSurge = 1;
            maxUnavailable = 0;
          };
        };
        template = {
          metadata = {
            labels = labels component;
          }
          // (if annotations == { } then { } else { inherit annotations; });
          spec = {
            # Neither talks to the API server, and the environment is
            # exactly what compose gives, without service-link variables.
            automountServiceAccountToken = false;
            enableServiceLinks = false;
            # preStop drain, then the same time to finish as compose's
            # stop_grace_period gives after SIGTERM.
            terminationGracePeriodSeconds = s.drainSeconds + seconds s.stopGracePeriod;
            securityContext = {
              runAsNonRoot = true;
              runAsUser = uid images.${component}.user;
              runAsGroup = gid images.${component}.user;
              fsGroup = gid images.${component}.user;
              seccompProfile.type = "RuntimeDefault";
            };
            # Spread over nodes where there are several, so one node lost is
            # not every replica lost.
            topologySpreadConstraints = [
              {
                maxSkew = 1;
                topologyKey = "kubernetes.io/hostname";
                whenUnsatisfiable = "ScheduleAnyway";
                labelSelector.matchLabels = selector component;
              }
            ];
            containers = [
              (
                {
                  name = component;
                  # A node pulls an image only when it lacks it: by digest
                  # (`registry`) it cannot change, and by tag it was loaded
                  # by hand (see docs/targets.md, "On several machines").
                  imagePullPolicy = "IfNotPresent";
                  securityContext = {
                    readOnlyRootFilesystem = true;
                    allowPrivilegeEscalation = false;
                    capabilities.drop = [ "ALL" ];
                  };
                  # The image has no shell, so no `exec: sleep`: the kubelet
                  # sleeps (Kubernetes >= 1.30) while endpoint removal reaches
                  # DNS, nginx and kube-proxy. The stop signal after it is
                  # the image's own (SIGQUIT for nginx), which containerd and
                  # CRI-O honour.
                  lifecycle.preStop.sleep.seconds = s.drainSeconds;
                }
                // container
              )
            ];
          }
          // (if volumes == [ ] then { } else { inherit volumes; });
        };
      };
    };

  # Memory is a hard limit in compose; the same request reserves it. Compose
  # sizes are binary ("64m" is 64 MiB), and so is the quantity ("64Mi").
  memory = size: {
    requests.memory = quantity size;
    limits.memory = quantity size;
  };

  hc = images.app.healthcheck;
  # Docker's interval, timeout and retries. Its start period needs no
  # startupProbe: the binary serves within milliseconds of its start.
  probe = path: {
    httpGet = {
      inherit path;
      port = s.appPort;
    };
    periodSeconds = hc.intervalSeconds;
    timeoutSeconds = hc.timeoutSeconds;
    failureThreshold = hc.retries;
  };

  appDeployment = deployment {
    component = "app";
    inherit (s) replicas;
    container = {
      image = s.appImage;
      ports = http { containerPort = s.appPort; };
      env = map (name: {
        inherit name;
        value = stack.compose.services.app.environment.${name};
      }) (attrNames stack.compose.services.app.environment);
      resources = memory s.appMemory;
      livenessProbe = probe "/health";
      readinessProbe = probe "/ready";
    };
  };

  lbDeployment = deployment {
    component = "lb";
    replicas = s.lbReplicas;
    # A changed nginx.conf changes the pod template, so `kubectl apply` rolls
    # nginx; that is also why a subPath mount, which never updates, is fine.
    annotations."checksum/nginx.conf" = hashString "sha256" nginxConf;
    container = {
      image = s.lbImage;
      ports = http { containerPort = s.lbPort; };
      resources = memory s.lbMemory;
      # nginx has no health endpoint of its own, and `/` would tie its
      # liveness to the replicas': the listening socket is what is checked.
      livenessProbe = {
        tcpSocket.port = s.lbPort;
        periodSeconds = hc.intervalSeconds;
        timeoutSeconds = hc.timeoutSeconds;
        failureThreshold = hc.retries;
      };
      readinessProbe = {
        tcpSocket.port = s.lbPort;
        periodSeconds = hc.intervalSeconds;
      };
      volumeMounts = [
        {
          name = "config";
          mountPath = images.lb.config;
          subPath = "nginx.conf";
          readOnly = true;
        }
        {
          name = "tmp";
          mountPath = "/tmp";
        }
      ];
    };
    volumes = [
      {
        name = "config";
        configMap.name = names.lb;
      }
      {
        name = "tmp";
        # tmpfs, as in compose; it counts against the memory limit there too.
        emptyDir = {
          medium = "Memory";
          sizeLimit = quantity tmpSize;
        };
      }
    ];
  };
in
{
  app = appDeployment;
  lb = lbDeployment;
}
