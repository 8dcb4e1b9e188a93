# Copies each image stream to REGISTRY with skopeo, no Docker daemon, then
# prints what was pushed as JSON: { "registry": …, "digests": { name: "sha256:…" } }.
#
# nix/push.nix sets PUSH_PATTERN (what a registry must match, from
# nix/options.nix) and PUSH_IMAGES (a line "name tag stream" per image, where
# stream is a dockerTools.streamLayeredImage script). Options after REGISTRY
# go to `skopeo copy`, e.g. --dest-tls-verify=false for a plain-HTTP
# registry. Credentials: skopeo's own places (REGISTRY_AUTH_FILE, auth.json,
# Docker's config.json), or --authfile FILE; never a password argument.

if [ $# -lt 1 ]; then
  echo "usage: nix run .#push -- REGISTRY [skopeo copy options]" >&2
  exit 2
fi
registry=$1
shift
if ! [[ $registry =~ ^($PUSH_PATTERN)$ ]]; then
  echo "error: REGISTRY must be host[:port][/path], such as registry.example.com or 127.0.0.1:5000/hostinfo, got '$registry'" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
digests='{}'
while read -r name tag stream; do
  # To a file, not down a pipe: skopeo copies a docker-archive from a pipe into
  # a temporary file anyway, and reads one from a pipe only since 1.11
  # (containers/image#1750); this way the script runs the same with Debian's
  # skopeo 1.9, which the tests use.
  if ! "$stream" >"$work/image.tar"; then
    echo "error: the image stream $stream failed (see above)" >&2
    exit 1
  fi
  # --insecure-policy: the trust policy is about pulling signed images, and
  # this is the image just built.
  if ! skopeo --insecure-policy copy --quiet --digestfile "$work/digest" "$@" \
    "docker-archive:$work/image.tar" "docker://$registry/$name:$tag" 2>"$work/stderr"; then
    echo "error: pushing $name:$tag to $registry failed: $(grep . "$work/stderr" | tail -n 1)" >&2
    exit 1
  fi
  digests=$(jq --arg name "$name" --arg digest "$(cat "$work/digest")" '. + {($name): $digest}' <<<"$digests")
done <<<"$PUSH_IMAGES"
# Printed only now: both images are in the registry.
jq -n --arg registry "$registry" --argjson digests "$digests" '{registry: $registry, digests: $digests}'
