# The stack as Kubernetes manifests, rendered from the same declaration as compose.
#
# Builtins only, like nix/stack.nix: `nix build .#k8s` writes `files`, and a
# bare `nix-instantiate --eval --strict --json` renders them anywhere. Takes
# the stack's options plus the few that only Kubernetes has
# (nix/k8s-options.nix); the Deployments are nix/k8s-workload.nix's, the
# objects around them are here.
options:
let
  inherit (builtins) deepSeq seq toJSON;
  inherit (import ./options.nix) extend;

  # The Kubernetes options checked here, the rest by stack.nix.
  extended = extend {
    prefix = "hostinfo k8s:";
    base = import ./stack-options.nix;
    extra = import ./k8s-options.nix stack.settings;
    forbidden.appHost = "nginx asks for the headless Service ${names.app}";
    inherit options;
  };
  k = extended.settings;

  # The cluster DNS by name, which nginx resolves once at start through the
  # pod's resolv.conf: portable, where its ClusterIP differs per cluster. A
  # given `resolver` (NodeLocal DNSCache, say) wins.
  stack = import ./stack.nix (
    {
      resolver = "kube-dns.kube-system.svc.${k.clusterDomain}";
    }
    // extended.stackOptions
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

  deployments = import ./k8s-workload.nix {
    inherit stack names metadata labels selector http;
    settings = s // k;
  };

  inherit (stack) nginxConf;

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
    deployments.app
    deployments.lb
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
