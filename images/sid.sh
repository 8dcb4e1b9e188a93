# Debian sid's .debs without touching the system's apt: sourced by
# images/common.sh (the nginx, Nix-evaluator and cosign .debs) and by
# scripts/sid-debs (Compose v2 for ./setup). No side effects when sourced.
# shellcheck shell=bash

command -v die >/dev/null || die() { echo "${0##*/}: $*" >&2; exit 1; }
command -v need >/dev/null || need() { command -v "$1" >/dev/null || die "$1 not found: $2"; }

# The mirror: this machine's own Debian sources' (DEBIAN_MIRROR overrides),
# the first `deb` or `URIs:` entry ending in /debian.
system_mirror() {
  sed -nE 's#^(URIs:[[:space:]]*|deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)(https?://[^[:space:]]+/debian)/?([[:space:]].*)?$#\3#p' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1
}
sid_mirror() {
  local mirror
  mirror=${DEBIAN_MIRROR:-$(system_mirror || true)}
  echo "${mirror:-http://deb.debian.org/debian}"
}

# sid_apt CACHE: apt-get's options for the private state in CACHE, as the
# array `apt`. The status file is empty, so apt resolves a package's whole
# Depends closure, as for an empty root.
sid_apt() {
  apt=(-o "Dir::State=$1/state" -o "Dir::Cache=$1/cache" -o "Dir::State::status=$1/state/status"
    -o "Dir::Etc::SourceList=$1/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o APT::Sandbox::User=root -o Debug::NoLocking=1 -qq)
}

# sid_update CACHE: fetch sid's Packages index into CACHE.
sid_update() {
  need apt-get "this script needs Debian's apt"
  need dpkg-deb "this script needs Debian's dpkg"
  local mirror
  mirror=$(sid_mirror)
  mkdir -p "$1/state/lists/partial" "$1/cache/archives/partial"
  : >"$1/state/status"
  # Only the Packages index: no translations, no DEP-11 metadata.
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg target=Packages] $mirror sid main" >"$1/sources.list"
  sid_apt "$1"
  apt-get "${apt[@]}" update >/dev/null || die "apt-get update of sid from $mirror failed"
}

# sid_download CACHE PACKAGE...: the packages' .debs into CACHE/debs.
# Downloaded into a fresh dir and swapped in: never a mix of versions.
sid_download() {
  local cache=$1
  shift
  sid_apt "$cache"
  rm -rf "$cache/debs.new" && mkdir "$cache/debs.new"
  (cd "$cache/debs.new" && apt-get "${apt[@]}" download "$@" >/dev/null) \
    || die "apt-get download from sid failed (packages: $*)"
  rm -rf "$cache/debs" && mv "$cache/debs.new" "$cache/debs"
}

