{
  description = "hostinfo: which replica answered, as a static Rust service behind nginx, built and tested from one declaration";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";
    # Its last release: master's cross-compilation rewrite is untested with a static target.
    crane.url = "github:ipetkov/crane/v0.23.4";
  };

  outputs =
    {
      self,
      nixpkgs,
      crane,
    }:
    let
      inherit (nixpkgs) lib;

      # Images and the VM test need Linux; the rendered stack and the shell do not.
      linuxSystems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      allSystems = linuxSystems ++ [
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forSystems = systems: f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});

      images = import ./nix/images.nix { revision = self.rev or null; };
      imageConfig = import ./nix/image-config.nix { inherit images; };
      # The commit's date, not the build's: one commit, one image digest.
      created = import ./nix/timestamp.nix self.lastModifiedDate;

      build = pkgs: rec {
        hostinfo = pkgs.callPackage ./nix/package.nix { inherit crane pkgs; };
        nginx = pkgs.callPackage ./nix/nginx.nix { inherit images; };
        image = pkgs.callPackage ./nix/image.nix {
          inherit hostinfo images imageConfig created;
        };
        nginx-image = pkgs.callPackage ./nix/nginx-image.nix {
          inherit nginx images imageConfig created;
        };
        # The same declaration rendered for each target.
        rendered =
          target:
          pkgs.callPackage ./nix/rendered-files.nix {
            name = "hostinfo-${target}";
            files = import ./nix/render.nix { inherit target; };
          };
        stack = rendered "compose";
        swarm = rendered "swarm";
        k8s = rendered "kubernetes";
        push = pkgs.callPackage ./nix/push.nix { inherit images image nginx-image; };
        e2e-test = pkgs.callPackage ./nix/e2e-test.nix { inherit image nginx-image stack; };
      };
    in
    {
      lib = {
        mkStack = import ./nix/stack.nix;
        mkSwarm = import ./nix/swarm.nix;
        mkK8s = import ./nix/k8s.nix;
      };

      packages = forSystems allSystems (
        pkgs:
        let
          built = build pkgs;
        in
        { inherit (built) stack swarm k8s; }
        // lib.optionalAttrs pkgs.stdenv.hostPlatform.isLinux {
          default = built.hostinfo;
          # The NixOS VM test of the whole stack: `nix build .#e2e-test`, on a
          # host with KVM. Not a check, as nixpkgs keeps its own VM tests out
          # of `checks` (they are `nixosTests` / `passthru.tests`): its
          # derivation requires the `kvm` system feature, so as a check it
          # would fail `nix flake check` on every host without KVM. `nix
          # flake check` still evaluates it, as a package.
          inherit (built) image nginx-image e2e-test;
        }
      );

      # `nix run .#push -- REGISTRY`: see README, "On several machines".
      apps = forSystems linuxSystems (pkgs: {
        push = {
          type = "app";
          program = "${(build pkgs).push}/bin/hostinfo-push";
          meta.description = "Push both images to a registry and print their digests";
        };
      });

      checks = forSystems linuxSystems (
        pkgs: import ./nix/checks ({ inherit pkgs; } // build pkgs)
      );

      devShells = forSystems allSystems (pkgs: {
        default = pkgs.callPackage ./nix/dev-shell.nix { };
      });

      formatter = forSystems allSystems (pkgs: pkgs.nixfmt-tree);
    };
}
