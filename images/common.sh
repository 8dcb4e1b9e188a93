# Shared by images/build-*-image (sourced, not run): checks, image settings
# from nix/images.nix, and the Dockerfile-from-settings build.
# shellcheck shell=bash

die() { echo "${0##*/}: $*" >&2; exit 1; }

# need COMMAND HINT: fail in one line that says how to get COMMAND.
need() { command -v "$1" >/dev/null || die "$1 not found: $2"; }

# Run from the repo root whatever the caller's cwd.
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

need jq "install jq (apt-get install jq)"
need nix-instantiate "install nix-bin (apt-get install nix-bin)"
need docker "install Docker (apt-get install docker.io)"
docker info >/dev/null 2>&1 || die "docker is not running (or this user may not use it): docker info failed"

# settings NAME: one image's settings (app or lb) as JSON, from the one file
# both roads read, with `oci`, the image config the Nix road gives it. The
# revision label is added only for a clean checkout, as the flake's
# `self.rev` is (null for a dirty tree): an image must not claim a commit it
# was not built from.
settings() {
  local revision=null
  if git rev-parse --verify -q HEAD >/dev/null 2>&1 && git diff --quiet HEAD -- 2>/dev/null; then
    revision="\"$(git rev-parse HEAD)\""
  fi
  # Captured whole: on an error nix has already printed half the JSON.
  local json
  json=$(nix-instantiate --eval --strict --json -E "
    let
      images = import ./nix/images.nix { revision = $revision; };
      oci = import ./nix/image-config.nix { inherit images; };
    in images.$1 // { oci = oci.$1; }") \
    || die "nix/images.nix does not evaluate (error above; is Cargo.toml complete?)"
  echo "$json"
}

# Fixed mtimes where it is cheap. The legacy builder stamps `created` with
# the build time, so image ids still differ from build to build: the Nix road
# (nix build .#image) is the reproducible one.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0}

# build_image CONTEXT SETTINGS: write CONTEXT/Dockerfile from
# one image's settings (an attrset of nix/images.nix, as JSON), build it
# quietly (its log is shown only on failure) and print "name:tag".
build_image() {
  local ctx=$1 image=$2 ref old log
  jq -r '.oci' <<<"$image" | jq -r -f images/dockerfile.jq >"$ctx/Dockerfile"
  ref=$(jq -r '"\(.name):\(.tag)"' <<<"$image")
  old=$(docker image inspect -f '{{.Id}}' "$ref" 2>/dev/null || true)
  log=$(docker build --quiet --tag "$ref" "$ctx" 2>&1) || { echo "$log" >&2; die "docker build of $ref failed"; }
  # The image this tag replaced, unless something else still uses it: no
  # pile of <none> images from rebuilds.
  if [[ -n $old && $old != "$(docker image inspect -f '{{.Id}}' "$ref")" ]]; then
    docker image rm "$old" >/dev/null 2>&1 || true
  fi
  echo "$ref"
}

# The one summary line: image, its size as docker reports it.
summary() {
  local size
  size=$(docker image inspect -f '{{.Size}}' "$1")
  echo "$1 built: $((size / 1024)) KiB ($size bytes) uncompressed"
}

# Debian sid's .debs through a private apt state (sid_update, sid_download).
# shellcheck source-path=SCRIPTDIR source=sid.sh
source images/sid.sh

# keep_needed_libraries FILE...: in a merged-/usr root (the cwd), delete every
# library in usr/lib/<triplet> outside the FILEs' NEEDED closure.
keep_needed_libraries() {
  need readelf "install binutils (apt-get install binutils)"
  local libdir=usr/lib/x86_64-linux-gnu file needed lib f
  local -A keep=()
  local todo=("$@")
  for f in "$@"; do keep[${f##*/}]=1; done
  while ((${#todo[@]})); do
    file=${todo[0]}
    needed=$(readelf -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    todo=("${todo[@]:1}")
    for lib in $needed; do
      [[ -v keep[$lib] ]] && continue
      [[ -e $libdir/$lib ]] || die "$file needs $lib, which none of the packages provides: add its package to this script"
      keep[$lib]=1 keep[$(basename "$(readlink -f "$libdir/$lib")")]=1
      todo+=("$libdir/$lib")
    done
  done
  for f in "$libdir"/*; do [[ -v keep[${f##*/}] ]] || rm -rf "$f"; done
}
