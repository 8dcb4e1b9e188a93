# The one home of the image settings, read by both image roads and the stack.
#
# Pure Nix (builtins only): nix/image.nix and nix/nginx-image.nix build from
# it with dockerTools, the Dockerfile road reads it as JSON through
# `nix-instantiate --eval --strict --json`, and nix/stack.nix takes image
# names, ports and the health check from it.
{
  # The commit the image is built from, when known (the flake's `self.rev`).
  revision ? null,
}:
let
  crate = (builtins.fromTOML (builtins.readFile ../Cargo.toml)).package;

  # Both images run as `nobody`, by number: the service image has no
  # /etc/passwd to look a name up in.
  nobody = "65534:65534";

  ociLabels =
    {
      title,
      description,
      version,
      licenses,
    }:
    {
      "org.opencontainers.image.title" = title;
      "org.opencontainers.image.description" = description;
      "org.opencontainers.image.version" = version;
      "org.opencontainers.image.source" = crate.repository;
      "org.opencontainers.image.licenses" = licenses;
    }
    // (if revision == null then { } else { "org.opencontainers.image.revision" = revision; });
in
rec {
  app = rec {
    name = crate.name;
    tag = crate.version;
    # Where the static binary lives inside the image, on both roads.
    binary = "/bin/${crate.name}";
    entrypoint = [ binary ];
    user = nobody;
    port = 8000;
    env = {
      HOSTINFO_LISTEN = "0.0.0.0:${toString port}";
      RUST_LOG = "info";
      # The binary (musl, on both roads) uses mimalloc, which by default
      # commits its arenas up front: about 13 MB idle instead of 3.
      MIMALLOC_ARENA_EAGER_COMMIT = "0";
    };
    stopSignal = "SIGTERM";
    # The image has no shell and no curl: the binary checks itself.
    healthcheck = {
      command = [
        binary
        "healthcheck"
      ];
      intervalSeconds = 2;
      # The binary's own budget, BUDGET in src/healthcheck.rs, which is its
      # home (tests/stack/test_couplings.py holds the two equal).
      timeoutSeconds = 2;
      startPeriodSeconds = 10;
      retries = 3;
    };
    labels = ociLabels {
      title = crate.name;
      inherit (crate) description;
      version = crate.version;
      licenses = crate.license;
    };
  };

  lb = rec {
    name = "${crate.name}-nginx";
    # Tagged with the nginx release series; both roads check that the nginx
    # they pack belongs to it, and that it is at least `minimumNginx`.
    nginxSeries = "1.30";
    tag = nginxSeries;
    # `server … resolve` in an upstream is open source from 1.27.3; 1.30.6
    # is the first of the series with no CVE in gixy-ng's database
    # (tests/stack/test_nginx_hardening.py checks both roads against it).
    minimumNginx = "1.30.6";
    binary = "/bin/nginx";
    config = "/etc/nginx/nginx.conf";
    # `-e stderr`: nginx opens its compiled-in error log before it reads the
    # config, and there is no writable /var/log in the image. `daemon off;`:
    # in the foreground whatever config is mounted; a daemonised nginx would
    # leave the container to exit at once with status 0.
    entrypoint = [
      binary
      "-e"
      "stderr"
      "-g"
      "daemon off;"
      "-c"
      config
    ];
    user = nobody;
    # Unprivileged, so nginx needs no capability; compose publishes it.
    port = 8080;
    stopSignal = "SIGQUIT"; # nginx's graceful shutdown
    labels = ociLabels {
      title = name;
      description = "nginx in front of the ${crate.name} replicas";
      version = nginxSeries;
      # nginx's own licence (nixpkgs' nginx meta.license, licenses.bsd2;
      # nginx.org/LICENSE), not the service's.
      licenses = "BSD-2-Clause";
    };
  };
}
