# Tests of the Kubernetes renderer: `passed` lists them, or fails naming each failure.
#
# Builtins only, like nix/k8s.nix: a bare
# `nix-instantiate --eval --strict --json nix/tests/k8s.nix` runs them.
let
  inherit (builtins)
    all
    attrNames
    filter
    fromJSON
    head
    readFile
    ;

  mkK8s = import ../k8s.nix;

  # The golden stack: the compose golden's options, in a namespace of its own.
  small = mkK8s {
    replicas = 2;
    publishPort = 18000;
    namespace = "hostinfo-demo";
  };
  defaults = mkK8s { };

  ofKind = kind: rendered: filter (m: m.kind == kind) rendered.manifests;
  named =
    kind: name: rendered:
    head (filter (m: m.metadata.name == name) (ofKind kind rendered));
  app = named "Deployment" "hostinfo-app";
  lb = named "Deployment" "hostinfo-lb";
  container = deployment: head deployment.spec.template.spec.containers;

  inherit (import ./lib.nix) occurrences fails run;
  rejects = options: fails (mkK8s options).files;

  tests = {
    "a small stack renders the golden manifests" = small.list == fromJSON (readFile ./golden/k8s.json);
    "the rendered file is the list, as JSON" = fromJSON defaults.files."hostinfo.json" == defaults.list;
    "the list is what kubectl apply takes" =
      defaults.list.apiVersion == "v1" && defaults.list.kind == "List";
    "the namespace comes first, everything else is in it" =
      (head defaults.manifests).kind == "Namespace"
      && all (m: m.metadata.namespace == "hostinfo") (
        filter (m: m.kind != "Namespace") defaults.manifests
      );
    "the namespace enforces the restricted pod security standard" =
      (head defaults.manifests).metadata.labels."pod-security.kubernetes.io/enforce" == "restricted";

    "the declaration's replicas reach the Deployment" =
      (app defaults).spec.replicas == 5 && (app (mkK8s { replicas = 3; })).spec.replicas == 3;
    "two nginx pods by default" = (lb defaults).spec.replicas == 2;
    "the images are the declaration's, never pulled" =
      (container (app defaults)).image == "hostinfo:0.1.0"
      && (container (lb defaults)).image == "hostinfo-nginx:1.30"
      && (container (app (mkK8s { appImage = "hostinfo:dev"; }))).image == "hostinfo:dev"
      && all (d: (container d).imagePullPolicy == "IfNotPresent") (ofKind "Deployment" defaults);

    "every pod runs as nobody under RuntimeDefault seccomp" = all (
      d:
      d.spec.template.spec.securityContext == {
        runAsNonRoot = true;
        runAsUser = 65534;
        runAsGroup = 65534;
        fsGroup = 65534;
        seccompProfile.type = "RuntimeDefault";
      }
    ) (ofKind "Deployment" defaults);
    "every container is read-only, without capabilities or privilege escalation" = all (
      d:
      (container d).securityContext == {
        readOnlyRootFilesystem = true;
        allowPrivilegeEscalation = false;
        capabilities.drop = [ "ALL" ];
      }
    ) (ofKind "Deployment" defaults);

    "replicas get the environment compose gives them" =
      let
        env = builtins.listToAttrs (container (app (mkK8s { logLevel = "debug"; }))).env;
      in
      env == (import ../stack.nix { logLevel = "debug"; }).compose.services.app.environment
      && env.RUST_LOG == "debug";
    "liveness is /health and readiness /ready, on the app port" =
      let
        c = container (app (mkK8s { appPort = 9000; }));
      in
      c.livenessProbe.httpGet == {
        path = "/health";
        port = 9000;
      }
      && c.readinessProbe.httpGet == {
        path = "/ready";
        port = 9000;
      }
      && c.ports == [
        {
          name = "http";
          containerPort = 9000;
          protocol = "TCP";
        }
      ];
    "compose sizes become binary quantities" =
      let
        rendered = mkK8s {
          appMemory = "96m";
          lbMemory = "1g";
        };
      in
      (container (app rendered)).resources == {
        requests.memory = "96Mi";
        limits.memory = "96Mi";
      }
      && (container (lb rendered)).resources.limits.memory == "1Gi";

    "pods drain by a kubelet sleep, not a shell" = all (
      d: (container d).lifecycle == { preStop.sleep.seconds = 7; }
    ) (ofKind "Deployment" defaults);
    "the drain outlasts CoreDNS's TTL and nginx's valid=" =
      defaults.settings.drainSeconds == 7
      && (mkK8s { resolverValid = "10s"; }).settings.drainSeconds == 16;
    "the grace period is the drain plus the declaration's stop grace period" =
      (app defaults).spec.template.spec.terminationGracePeriodSeconds == 17
      && (app (mkK8s { stopGracePeriod = "1m"; })).spec.template.spec.terminationGracePeriodSeconds == 67
      &&
        (app (
          mkK8s {
            stopGracePeriod = "3500ms";
            drainSeconds = 3;
          }
        )).spec.template.spec.terminationGracePeriodSeconds == 7;

    "the replicas' Service is headless and lists only ready pods" =
      let
        svc = named "Service" "hostinfo-app" defaults;
      in
      svc.spec.clusterIP == "None" && !svc.spec.publishNotReadyAddresses;
    "nginx's Service maps the publish port to nginx's port" =
      let
        svc = named "Service" "hostinfo-lb" (mkK8s {
          publishPort = 18000;
          serviceType = "LoadBalancer";
        });
      in
      svc.spec.type == "LoadBalancer"
      && svc.spec.ports == [
        {
          name = "http";
          port = 18000;
          targetPort = 8080;
          protocol = "TCP";
        }
      ];
    "the nginx Service is ClusterIP by default" =
      (named "Service" "hostinfo-lb" defaults).spec.type == "ClusterIP";
    "at most one pod of each Deployment is disrupted at a time" =
      map (p: p.spec.maxUnavailable) (ofKind "PodDisruptionBudget" defaults) == [
        1
        1
      ];
    "selectors match the pods and leave the version out" = all (
      d:
      let
        sel = d.spec.selector.matchLabels;
        podLabels = d.spec.template.metadata.labels;
      in
      !(sel ? "app.kubernetes.io/version")
      && all (name: podLabels.${name} == sel.${name}) (attrNames sel)
      && podLabels."app.kubernetes.io/version" == d.metadata.labels."app.kubernetes.io/version"
    ) (ofKind "Deployment" defaults);
    "labels carry name, instance, component and the image version" =
      (app defaults).metadata.labels == {
        "app.kubernetes.io/name" = "hostinfo";
        "app.kubernetes.io/instance" = "hostinfo";
        "app.kubernetes.io/component" = "app";
        "app.kubernetes.io/version" = "0.1.0";
      }
      && (lb defaults).metadata.labels."app.kubernetes.io/version" == "1.30";

    "nginx asks the cluster DNS for the headless Service" =
      occurrences "resolver kube-dns.kube-system.svc.cluster.local valid=1s" defaults.nginxConf == 1
      && occurrences "server hostinfo-app.hostinfo.svc.cluster.local:8000 resolve max_fails" defaults.nginxConf == 1;
    "the namespace and cluster domain reach nginx's names" =
      occurrences "server hostinfo-app.shop.svc.k8s.example:8000 resolve max_fails"
        (mkK8s {
          namespace = "shop";
          clusterDomain = "k8s.example";
        }).nginxConf == 1
      &&
        occurrences "resolver kube-dns.kube-system.svc.k8s.example "
          (mkK8s { clusterDomain = "k8s.example"; }).nginxConf == 1;
    "a given resolver wins over the cluster DNS" =
      occurrences "resolver 169.254.20.10 valid" (mkK8s { resolver = "169.254.20.10"; }).nginxConf == 1;
    "the ConfigMap holds the same nginx.conf as the file" =
      (named "ConfigMap" "hostinfo-lb" defaults).data."nginx.conf" == defaults.files."nginx.conf";
    "a changed nginx.conf changes nginx's pod template" =
      (lb defaults).spec.template.metadata.annotations
      != (lb (mkK8s { readTimeout = "5s"; })).spec.template.metadata.annotations;
    "nginx gets compose's 16m tmpfs at /tmp, and its config by subPath" =
      let
        pod = (lb defaults).spec.template.spec;
      in
      pod.volumes == [
        {
          name = "config";
          configMap.name = "hostinfo-lb";
        }
        {
          name = "tmp";
          emptyDir = {
            medium = "Memory";
            sizeLimit = "16Mi";
          };
        }
      ]
      && (head pod.containers).volumeMounts == [
        {
          name = "config";
          mountPath = "/etc/nginx/nginx.conf";
          subPath = "nginx.conf";
          readOnly = true;
        }
        {
          name = "tmp";
          mountPath = "/tmp";
        }
      ];
    "pods get no API token and no service-link variables" = all (
      d: !d.spec.template.spec.automountServiceAccountToken && !d.spec.template.spec.enableServiceLinks
    ) (ofKind "Deployment" defaults);

    "a namespace that is not a DNS label is rejected" = rejects { namespace = "Hostinfo"; };
    "a namespace longer than 63 characters is rejected" = rejects {
      namespace = "h234567890123456789012345678901234567890123456789012345678901234";
    };
    "a malformed cluster domain is rejected" = rejects { clusterDomain = "cluster..local"; };
    "zero nginx pods are rejected" = rejects { lbReplicas = 0; };
    "an unknown Service type is rejected" = rejects { serviceType = "ExternalName"; };
    "a zero drain is rejected" = rejects { drainSeconds = 0; };
    "appHost cannot be set" = rejects { appHost = "elsewhere"; };
    "an unknown option is rejected" = rejects { namespaces = "x"; };
    "a bad stack option is still rejected" = rejects { replicas = 0; };
  };
in
{
  passed = run "k8s" tests;

  # What `just golden` writes to ./golden/k8s.json after a change meant to alter it.
  goldenK8s = small.list;
}
