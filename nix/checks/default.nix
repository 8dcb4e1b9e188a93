# Every check of `nix flake check` on Linux, one file per concern. None needs
# KVM: the VM test is the package `e2e-test` (flake.nix says why).
{
  pkgs,
  hostinfo,
  nginx,
  stack,
  ...
}:
let
  inherit (pkgs) callPackage;
in
{
  # The package build itself.
  inherit hostinfo;
  clippy = callPackage ./clippy.nix { inherit hostinfo; };
  rustfmt = callPackage ./rustfmt.nix { inherit hostinfo; };
  nextest = callPackage ./nextest.nix { inherit hostinfo; };
  static-binary = callPackage ./static-binary.nix { inherit hostinfo; };
  stack-tests = callPackage ./pure-tests.nix {
    name = "hostinfo-stack-tests";
    suite = import ../tests;
  };
  swarm-tests = callPackage ./pure-tests.nix {
    name = "hostinfo-swarm-tests";
    suite = import ../tests/swarm.nix;
  };
  k8s-tests = callPackage ./pure-tests.nix {
    name = "hostinfo-k8s-tests";
    suite = import ../tests/k8s.nix;
  };
  registry-tests = callPackage ./pure-tests.nix {
    name = "hostinfo-registry-tests";
    suite = import ../tests/registry.nix;
  };
  nginx-config = callPackage ./nginx-config.nix {
    inherit nginx;
    configs = {
      compose = (import ../stack.nix { }).nginxConf;
      # The sandbox cannot resolve the cluster's DNS name, which nginx
      # looks up at start; everything but the resolver line is the same.
      kubernetes = (import ../k8s.nix { resolver = "127.0.0.1"; }).nginxConf;
    };
  };
  compose = callPackage ./compose.nix { inherit stack; };
}
