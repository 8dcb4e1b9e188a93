# `nginx -t` on each rendered nginx.conf, with the very nginx the image ships.
#
# The configs keep their pid and temp paths under /tmp, which the build
# sandbox has; `server ... resolve` defers name lookups, so no DNS is needed.
{
  lib,
  runCommand,
  writeText,
  nginx,
  configs,
}:
runCommand "hostinfo-nginx-config" { } ''
  ${lib.concatStrings (
    lib.mapAttrsToList (target: text: ''
      echo "nginx -t: ${target}"
      ${nginx}/bin/nginx -t -e stderr -c ${writeText "nginx-${target}.conf" text}
    '') configs
  )}
  touch $out
''
