# Rendered files (file name -> content, as nix/render.nix gives them) as one directory.
{
  lib,
  runCommand,
  writeText,
  name,
  files,
}:
# Copies, not links: compose bind-mounts ./nginx.conf from the same directory.
runCommand name { } ''
  mkdir $out
  ${lib.concatStrings (
    lib.mapAttrsToList (file: text: "cp ${writeText file text} $out/${file}\n") files
  )}
''
