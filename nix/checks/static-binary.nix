# The service binary is static and its closure is itself alone: the image needs nothing else.
{
  runCommand,
  binutils,
  closureInfo,
  hostinfo,
}:
runCommand "hostinfo-static-binary"
  {
    nativeBuildInputs = [ binutils ];
    closure = closureInfo { rootPaths = [ hostinfo ]; };
  }
  ''
    binary=${hostinfo}/bin/hostinfo
    if readelf --program-headers "$binary" | grep -q INTERP; then
      echo "$binary asks for a dynamic loader" >&2
      exit 1
    fi
    if readelf --dynamic "$binary" | grep -q NEEDED; then
      echo "$binary needs shared libraries:" >&2
      readelf --dynamic "$binary" | grep NEEDED >&2
      exit 1
    fi
    if [ "$(cat "$closure/store-paths")" != ${hostinfo} ]; then
      echo "the closure of ${hostinfo} holds more than itself, and so would the image:" >&2
      cat "$closure/store-paths" >&2
      exit 1
    fi
    touch $out
  ''
