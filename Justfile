# hostinfo: build, run and test N replicas behind nginx from one declaration.

set shell := ["bash", "-euo", "pipefail", "-c"]
# Variables are evaluated when a recipe uses them (just >= 1.47): `just --list`
# and the recipes that need no Python run without python3.
set lazy

# The road the images take: `nix` (the flake), `local` (cargo and Docker, no
# Nix store), or `auto`: nix where a Nix that builds the flake is found.
images := env("IMAGES", "auto")
# crane v0.23.4 needs Nix >= 2.31.2 (its CHANGELOG); Debian's nix-bin is 2.8.
nix_floor := "2.31.2"
road := if images == "auto" { shell('scripts/images-road auto "$1"', nix_floor) } \
  else if images =~ '^(nix|local)$' { images } \
  else { error("IMAGES must be auto, nix or local, got " + images) }
# The compose project and the host port: recipes find the stack by them.
# Their defaults live in nix/names.toml.
project := env("HOSTINFO_PROJECT", `python3 scripts/stack.py name project`)
port := env("HOSTINFO_PORT", `python3 scripts/stack.py name publishPort`)
# More stack options, as a Nix attribute set: STACK_OPTIONS='{ readTimeout = "5s"; }'.
options := env("STACK_OPTIONS", "{ }")

stack_dir := ".stack" / project
# What `just push` pushed, read when STACK_OPTIONS name a `registry`.
digests_file := env("HOSTINFO_DIGESTS", ".stack/digests.json")
stack := "python3 scripts/stack.py --project " + project + " --port " + port
compose := "$(" + stack + " compose) -p " + project + " -f " + stack_dir + "/compose.yaml"

# List the recipes
default:
    @just --list --unsorted

# Build nginx and N replicas, start them, wait until nginx routes to every one, print the URL
up replicas="5": _images-ready preflight (render replicas) (_verify stack_dir) image
    {{ compose }} up -d --remove-orphans
    {{ stack }} wait {{ replicas }}

# Run N replicas (at most the stack option maxReplicas); wait until nginx, following DNS without a reload, routes to every one
scale replicas: (render replicas)
    app=$({{ stack }} name app); {{ compose }} up -d --no-recreate --no-deps --scale "$app={{ replicas }}" "$app"
    {{ stack }} wait {{ replicas }}

# Remove the stack's containers, networks and rendered files (each container stopped within its stop_grace_period)
down:
    if [ -f {{ stack_dir }}/compose.yaml ]; then {{ compose }} down --remove-orphans; fi
    {{ stack }} purge
    rm -rf {{ stack_dir }}

# Show the stack's containers: hostname, health, address
ps:
    {{ stack }} ps

# Follow the logs of the stack, or of one service (app or lb)
logs service="":
    {{ compose }} logs --follow --tail 50 {{ service }}

# Send COUNT requests through nginx and count the replicas that served them
smoke count="100":
    {{ stack }} smoke {{ count }}

# Crash, pause, restart or scale one random replica a round, under load through nginx; ends as it began (at most 2 min)
chaos rounds="10":
    python3 scripts/chaos.py --project {{ project }} --port {{ port }} {{ rounds }}

# Write compose.yaml and nginx.conf for N replicas into .stack/<project>/
render replicas="5": (_render "compose" replicas stack_dir)

[private]
_render target replicas dir:
    #!/usr/bin/env bash
    set -euo pipefail
    # Rendered in full before anything is written: a bad option leaves the
    # files of a running stack as they were.
    rendered=$(nix-instantiate --eval --strict --json nix/render.nix --argstr target '{{ target }}' \
      --arg options '{{ options }}' --argstr replicas '{{ replicas }}' --argstr publishPort '{{ port }}' \
      --argstr digestsFile "$(realpath -m {{ quote(digests_file) }})")
    mkdir -p {{ dir }}
    for file in $(jq -r 'keys[]' <<<"$rendered"); do
      jq -j --arg file "$file" '.[$file]' <<<"$rendered" > "{{ dir }}/$file"
    done

# With `registry`, each image the rendered stack pulls must carry a signature by
# the public key (HOSTINFO_VERIFY_KEY, cosign.pub or .stack/cosign.pub), checked
# before anything starts; HOSTINFO_SKIP_VERIFY=1 skips it, with a warning.
[private]
_verify dir:
    @python3 scripts/stack.py verify-images {{ dir }}/compose.yaml

# Build the service and nginx images and load them into Docker
image: _images-ready
    just _image-{{ road }}

[private]
_image-nix:
    #!/usr/bin/env bash
    set -euo pipefail
    command -v nix >/dev/null || { echo "error: nix is missing: install Nix (https://nixos.org/download), or build without it: IMAGES=local just image" >&2; exit 1; }
    for image in image nginx-image; do
      # Each is a script that streams the image tar (dockerTools.streamLayeredImage).
      stream=$(nix --extra-experimental-features 'nix-command flakes' build --no-link --json ".#$image" | jq -r '.[0].outputs.out')
      "$stream" | docker load --quiet
    done

# On the nix road, a Nix that can build the flake, checked before anything
# starts; otherwise one line with what was found, what is needed, the way round.
[private]
_images-ready:
    #!/usr/bin/env bash
    {{ if road == "nix" { "scripts/images-road nix " + nix_floor + " >/dev/null" } else { "" } }}

[private]
_image-local:
    images/build-app-image
    images/build-nginx-image

# Check that docker, compose and nix-instantiate are there and the port is free
preflight:
    @{{ stack }} preflight

# Every check that needs no Nix store: what CI runs
test: lint test-rust test-msrv test-openapi test-stack test-stack-nix-current test-e2e test-swarm

# Python: ruff's checks (pyproject.toml) over every Python file
lint:
    python3 -m ruff check --quiet .

# Rust: formatting, clippy without warnings, unit and black-box tests
test-rust:
    cargo fmt --all -- --check
    cargo clippy --all-targets --locked -- --deny warnings
    cargo test --locked

# Cargo.toml's rust-version (read from it, its one home) builds every target
test-msrv:
    #!/usr/bin/env bash
    set -euo pipefail
    msrv=$(cargo metadata --no-deps --format-version 1 | jq -r '.packages[] | select(.name == "hostinfo") | .rust_version')
    [[ $msrv =~ ^[0-9]+\.[0-9]+(\.[0-9]+)?$ ]] || { echo "error: Cargo.toml's rust-version is missing or malformed: '$msrv'" >&2; exit 1; }
    log=$(rustup toolchain install "$msrv" --profile minimal --no-self-update 2>&1) \
      || { echo "$log" >&2; echo "error: rustup could not install Rust $msrv (Cargo.toml's rust-version)" >&2; exit 1; }
    # Its own target dir: the toolchains' artifacts do not mix.
    cargo "+$msrv" check --locked --all-targets --target-dir target/msrv

# /openapi.json: a valid OpenAPI 3.1 document that the real binary's answers match
test-openapi:
    python3 -m pytest -q tests/openapi

# The stack declaration: pure Nix tests, error messages, the Compose schema
test-stack:
    python3 -m pytest -q tests/stack

# The same suites under Debian sid's Nix 2.34 (in a throwaway container), which shapes errors unlike 2.8
test-stack-nix-current:
    images/build-nix-eval-image
    HOSTINFO_NIX_INSTANTIATE={{ quote(justfile_directory() / "scripts/nix-instantiate-2.34") }} python3 -m pytest -q tests/stack

# The stack on real Docker with local images: failover, scaling, hardening
test-e2e:
    IMAGES=local python3 -m pytest -q -s tests/e2e

# The swarm stack on real Docker with local images: every task, a crash, a rolling update, swarm-down
test-swarm:
    IMAGES=local python3 -m pytest -q -s tests/swarm

# The README's first line on a fresh Debian root from a clean clone; `all`: its test line too (root, a few minutes)
test-fresh what="":
    scripts/test-fresh {{ what }}

# Benchmark the stack side by side with nginx's own ceiling, then at steady loads; writes results/
bench: _bench-tools
    python3 scripts/bench-stack.py

# Take a stack from 1 to 200 replicas: time until all serve through nginx, how many do, memory, latency; writes results/
bench-scale: _bench-tools
    python3 scripts/bench-scale.py

# hostinfo against Go's net/http, nginx-hello and the Flask app: alone, then behind nginx; writes results/
bench-peers: _bench-tools
    @command -v go >/dev/null || { echo "error: go is missing (the Go net/http peer): apt-get install golang-go" >&2; exit 1; }
    missing=$(python3 scripts/missing-requirements.py bench); [ -z "$missing" ] || python3 -m pip install --quiet $missing
    python3 scripts/bench-peers.py

# The load generators: wrk from the system, oha (constant rate) built by cargo on first use
[private]
_bench-tools:
    @command -v wrk >/dev/null || { echo "error: wrk is missing: apt-get install wrk" >&2; exit 1; }
    @command -v oha >/dev/null || [ -x ~/.cargo/bin/oha ] || { echo "installing oha (cargo install --locked oha, a few minutes)" >&2; cargo install --locked --quiet oha; }

# Measure the service alone: /info against /health, start-up time, memory
bench-service:
    scripts/bench-service.sh

# Rewrite the option and environment tables in docs/ from the option records and the service's settings
docs:
    python3 scripts/docs.py

# Rewrite the stack generator's golden files after a change you meant to make
golden:
    #!/usr/bin/env bash
    set -euo pipefail
    rendered=$(nix-instantiate --eval --strict --json -E '(import ./nix/tests).goldenStack')
    jq '.compose' <<<"$rendered" > nix/tests/golden/compose.json
    jq -j '.nginxConf' <<<"$rendered" > nix/tests/golden/nginx.conf
    nix-instantiate --eval --strict --json -E '(import ./nix/tests/k8s.nix).goldenK8s' | jq . > nix/tests/golden/k8s.json
    nix-instantiate --eval --strict --json -E '(import ./nix/tests/swarm.nix).goldenSwarm' | jq . > nix/tests/golden/swarm.json
    git diff --stat -- nix/tests/golden

# The swarm stack's name and files: its own, so it never meets a compose project.
swarm_stack := env("HOSTINFO_STACK", `python3 scripts/stack.py name swarmStack`)
swarm_dir := ".stack" / swarm_stack
swarm := "python3 scripts/stack.py --project " + swarm_stack + " --port " + port

# Deploy nginx and N replicas as a swarm stack (a one-node swarm if none), wait until nginx routes to every one, print the URL
swarm-up replicas="5": _swarm-preflight (_render "swarm" replicas swarm_dir) (_verify swarm_dir) _swarm-images
    {{ swarm }} swarm-join
    {{ swarm }} swarm-deploy {{ swarm_dir }}/compose.yaml {{ replicas }}

# Remove the swarm stack and its rendered files; leave the swarm if swarm-up started it
swarm-down:
    {{ swarm }} swarm-remove
    {{ swarm }} swarm-leave
    rm -rf {{ swarm_dir }}

[private]
_swarm-preflight:
    @{{ swarm }} swarm-preflight

# Images named by digest come from the registry on every node; tagged ones are built here.
[private]
_swarm-images:
    if [ "$({{ swarm }} resolve-image {{ swarm_dir }}/compose.yaml)" = never ]; then just image; fi

# Make a cosign key pair to try signing: .stack/cosign.key (password COSIGN_PASSWORD, empty if unset) and .stack/cosign.pub
keygen:
    #!/usr/bin/env bash
    set -euo pipefail
    command -v cosign >/dev/null || { echo "error: cosign is missing: scripts/install-cosign installs it" >&2; exit 1; }
    [ ! -e .stack/cosign.key ] || { echo "error: .stack/cosign.key exists: remove it (and .stack/cosign.pub) to make a new pair" >&2; exit 1; }
    mkdir -p .stack
    # An unset password would make cosign prompt: empty is the trial pair's.
    log=$(cd .stack && COSIGN_PASSWORD="${COSIGN_PASSWORD-}" cosign generate-key-pair </dev/null 2>&1) \
      || { echo "$log" >&2; echo "error: cosign generate-key-pair failed" >&2; exit 1; }
    echo "made .stack/cosign.key and .stack/cosign.pub (git-ignored): just push signs with the one, just up verifies with the other"

# Print a sigstore policy-controller ClusterImagePolicy: the cluster runs the images from `registry` only if signed by the public key
k8s-policy:
    @python3 scripts/stack.py k8s-policy {{ quote(options) }}

# Push both images to REGISTRY (host[:port][/path]), sign and attest them (SBOM, provenance), write their digests to .stack/digests.json
push registry: _images-ready
    #!/usr/bin/env bash
    set -euo pipefail
    python3 scripts/push.py --check {{ quote(registry) }}
    # The local road pushes what Docker holds, so it builds first; the Nix road streams its own build.
    if [ {{ road }} = local ]; then IMAGES=local just image; fi
    python3 scripts/push.py --images {{ road }} --digests {{ quote(digests_file) }} {{ quote(registry) }}
