# The load balancer image: nginx, passwd/group and the directories it needs to run as nobody.
{
  dockerTools,
  fakeNss,
  nginx,
  images,
  imageConfig,
  created,
}:
dockerTools.streamLayeredImage {
  inherit (images.lb) name tag;
  # `created` alone: nixpkgs' fixed file mtime keeps the nginx and OpenSSL
  # layers' digests from commit to commit, so they are not pulled again.
  inherit created;
  # /bin/nginx comes from the links to `nginx`. nginx reads passwd and group
  # only when it starts as root (the image runs it as nobody): it then takes
  # the user `nobody` and the group compiled in, which nginx's configure picks
  # from the build machine's /etc/group. The Nix sandbox has `nogroup`, not
  # `nobody`, and fakeNss lacks it (pkgs/by-name/fa/fakeNss/package.nix).
  contents = [
    (fakeNss.override { extraGroupLines = [ "nogroup:x:65534:" ]; })
    nginx
  ];
  # var/log/nginx: nginx checks its compiled-in log directory even when the
  # config logs elsewhere. /tmp: nixpkgs compiles its temp paths under /tmp;
  # compose mounts a tmpfs there, and the 1777 directory covers a plain `docker run`.
  # etc/nginx: where compose bind-mounts the rendered nginx.conf.
  extraCommands = ''
    mkdir -p var/log/nginx var/cache/nginx etc/nginx
    mkdir -m 1777 tmp
  '';
  config = imageConfig.lb;
}
