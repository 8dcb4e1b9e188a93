# The stack as Kubernetes manifests, rendered from the same declaration as compose.
#
# Builtins only, like nix/stack.nix: `nix build .#k8s` writes `files`, and a
# bare `nix-instantiate --eval --strict --json` renders them anywhere. Takes
# the stack's options plus the few below that only Kubernetes has.
options:
let
  inherit (builtins)
    attrNames
    deepSeq
    filter
    fromJSON
    hashString
    head
    isString
    match
    removeAttrs
    seq
    stringLength
    toJSON
    ;
  inherit (import ./options.nix)
    count
    fail
    matching
    oneOf
    quantity
    seconds
    show
    validate
    ;

  defaults = {
    # The namespace the stack owns: created with it, held to the restricted
    # Pod Security Standard, and removed with it.
    namespace = "hostinfo";
    # nginx's resolver uses no search list, so it needs names in full.
    clusterDomain = "cluster.local";
    # Two, so that a node drain or an evicted pod never leaves the Service
    # without nginx; each is stateless and finds the replicas by itself.
    lbReplicas = 2;
    # ClusterIP (port-forward, an Ingress), NodePort or LoadBalancer.
    serviceType = "ClusterIP";
    # How long a terminating pod keeps serving before its SIGTERM: the
    # longest a removed endpoint can still be seen, that is CoreDNS's record
    # TTL (5 s unless the cluster says otherwise), then nginx's `valid=`, plus
    # a second for the EndpointSlice to reach DNS.
    drainSeconds = coreDnsTtl + seconds stack.settings.resolverValid + 1;
  };
  coreDnsTtl = 5;

  dnsLabel = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
  types = {
    namespace = {
      check = v: isString v && match dnsLabel v != null && stringLength v <= 63;
      expected = "a DNS label (lower-case letters, digits and '-', at most 63 characters)";
    };
    clusterDomain = matching "${dnsLabel}(\\.${dnsLabel})*" "a DNS domain such as cluster.local";
    lbReplicas = count 1;
    serviceType = oneOf serviceTypes;
    # Kubernetes before 1.33 rejects a sleep of 0 seconds.
    drainSeconds = count 1;
  };
  serviceTypes = [
    "ClusterIP"
    "NodePort"
    "LoadBalancer"
  ];

  prefix = "hostinfo k8s:";

  # Checked here rather than left to stack.nix, so that the list of known
  # options a typo is met with has the Kubernetes ones in it.
  known =
    filter (name: name != "appHost") (attrNames (import ./stack.nix { }).settings)
    ++ attrNames defaults;

  stackOptions = removeAttrs options (attrNames defaults);

  k =
    if stackOptions ? appHost then
      fail prefix "option 'appHost' cannot be set: nginx asks for the headless Service ${names.app}, got ${show stackOptions.appHost}"
    else
      validate {
        inherit prefix defaults types options known;
      };

  # The cluster DNS by name, which nginx resolves once at start through the
  # pod's resolv.conf: portable, where its ClusterIP differs per cluster. A
  # given `resolver` (NodeLocal DNSCache, say) wins.
  stack = import ./stack.nix (
    {
      resolver = "kube-dns.kube-system.svc.${k.clusterDomain}";
    }
    // stackOptions
    // {
      inherit appHost;
    }
  );
  s = stack.settings;
  # Read directly, not through `stack`: the names below go into its options.
  images = import ./images.nix { };

  # Every object of a component has its name.
  names = {
    app = "${images.app.name}-app";
    lb = "${images.app.name}-lb";
  };
  appHost = "${names.app}.${k.namespace}.svc.${k.clusterDomain}";

  # The tmpfs compose gives nginx, so both targets give it the same room.
  tmpSize = stack.settings.lbTmpSize;

  uid = v: fromJSON (head (match "([0-9]+):[0-9]+" v));
  gid = v: fromJSON (head (match "[0-9]+:([0-9]+)" v));

  selector = component: {
    "app.kubernetes.io/name" = images.app.name;
    "app.kubernetes.io/instance" = k.namespace;
    "app.kubernetes.io/component" = component;
  };
  # The version stays out of selectors, which a Deployment cannot change.
  labels =
    component:
    selector component
    // {
      "app.kubernetes.io/version" = images.${component}.tag;
    };
  metadata = component: {
    name = names.${component};
    inherit (k) namespace;
    labels = labels component;
  };

  # The one port of a container or a Service.
  http = fields: [
    (
      {
        name = "http";
        protocol = "TCP";
      }
      // fields
    )
  ];

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
            terminationGracePeriodSeconds = k.drainSeconds + seconds s.stopGracePeriod;
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
                  # by hand (see README, "On several machines").
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
                  lifecycle.preStop.sleep.seconds = k.drainSeconds;
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

  nginxConf = stack.nginxConf;

  namespace = {
    apiVersion = "v1";
    kind = "Namespace";
    metadata = {
      name = k.namespace;
      labels = {
        inherit (selector "app") "app.kubernetes.io/name" "app.kubernetes.io/instance";
        "pod-security.kubernetes.io/enforce" = "restricted";
        "pod-security.kubernetes.io/enforce-version" = "latest";
      };
    };
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

  # Every ready replica's address, not one virtual IP: nginx balances and
  # fails over between them itself.
  appService = {
    apiVersion = "v1";
    kind = "Service";
    metadata = metadata "app";
    spec = {
      clusterIP = "None";
      publishNotReadyAddresses = false;
      selector = selector "app";
      ports = http {
        port = s.appPort;
        targetPort = s.appPort;
      };
    };
  };

  disruptionBudget = component: {
    apiVersion = "policy/v1";
    kind = "PodDisruptionBudget";
    metadata = metadata component;
    spec = {
      maxUnavailable = 1;
      selector.matchLabels = selector component;
    };
  };

  lbConfig = {
    apiVersion = "v1";
    kind = "ConfigMap";
    metadata = metadata "lb";
    data."nginx.conf" = nginxConf;
  };

  lbDeployment = deployment {
    component = "lb";
    replicas = k.lbReplicas;
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

  lbService = {
    apiVersion = "v1";
    kind = "Service";
    metadata = metadata "lb";
    spec = {
      type = k.serviceType;
      selector = selector "lb";
      ports = http {
        port = s.publishPort;
        targetPort = s.lbPort;
      };
    };
  };

  # In the order `kubectl apply` should create them: the namespace first.
  manifests = [
    namespace
    lbConfig
    appService
    lbService
    appDeployment
    lbDeployment
    (disruptionBudget "app")
    (disruptionBudget "lb")
  ];

  # One JSON document `kubectl apply -f` takes as it is (JSON is YAML).
  list = {
    apiVersion = "v1";
    kind = "List";
    items = manifests;
  };
in
# Bad options fail whatever part of the result is asked for.
seq (deepSeq k stack.settings) {
  inherit manifests list nginxConf;
  settings = s // k;
  files = {
    "hostinfo.json" = toJSON list;
    "nginx.conf" = nginxConf;
  };
}
