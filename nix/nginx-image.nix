# The load balancer image: nginx, passwd/group and the directories it needs to run as nobody.
{
  dockerTools,
  nginx,
  images,
  imageConfig,
  created,
}:
dockerTools.streamLayeredImage {
  inherit (images.lb) name tag;
  inherit created;
  mtime = created;
  # /bin/nginx comes from the links to `nginx`; fakeNss gives /etc/passwd and
  # /etc/group with nobody (65534), which nginx looks up at start.
  contents = [
    dockerTools.fakeNss
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
