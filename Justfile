# hostinfo: build, run and test N replicas behind nginx from one declaration.

set shell := ["bash", "-euo", "pipefail", "-c"]

# The road the images take: `nix` (the flake) or `local` (cargo and Docker, no Nix store).
images := env("IMAGES", "nix")
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

# Build nginx and N replicas, start them, wait until all are healthy, print the URL
up replicas="5": _images-ready preflight (render replicas) image
    {{ compose }} up -d --remove-orphans
    {{ stack }} wait {{ replicas }}

# Run N replicas; nginx follows through DNS, without a reload
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

# Build the service and nginx images and load them into Docker
image: _images-ready
    just _image-{{ if images =~ '^(nix|local)$' { images } else { error("IMAGES must be nix or local, got " + images) } }}

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

# crane v0.23.4 needs Nix >= 2.31.2 (its CHANGELOG); Debian's nix-bin is 2.8.
nix_floor := "2.31.2"

# With IMAGES=nix, a Nix that can build the flake, checked before anything
# starts; otherwise one line with what was found, what is needed, the way round.
[private]
_images-ready:
    #!/usr/bin/env bash
    set -euo pipefail
    [[ '{{ images }}' == nix ]] || exit 0
    fail() { echo "error: IMAGES=nix needs Nix >= {{ nix_floor }} with flakes, found $1: install Nix >= {{ nix_floor }} (https://nixos.org/download), or build the images without a Nix store: IMAGES=local" >&2; exit 1; }
    version=$(nix --version 2>/dev/null | awk '{print $NF}') || true
    [[ -n $version ]] || fail "no nix on PATH"
    [[ $(printf '%s\n' '{{ nix_floor }}' "$version" | sort -V | head -n1) == '{{ nix_floor }}' ]] || fail "Nix $version"
    [[ $(nix --extra-experimental-features 'nix-command flakes' eval --expr 'builtins ? getFlake' 2>/dev/null) == true ]] \
      || fail "Nix $version, which does not evaluate flakes (nix eval --expr 'builtins ? getFlake' failed)"

[private]
_image-local:
    images/build-app-image
    images/build-nginx-image

# Check that docker, compose and nix-instantiate are there and the port is free
preflight:
    @{{ stack }} preflight

# Every check that needs no Nix store: what CI runs
test: lint test-rust test-msrv test-openapi test-stack test-e2e test-swarm

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

# The stack on real Docker with local images: failover, scaling, hardening
test-e2e:
    IMAGES=local python3 -m pytest -q -s tests/e2e

# The swarm stack on real Docker with local images: every task, a crash, a rolling update, swarm-down
test-swarm:
    IMAGES=local python3 -m pytest -q -s tests/swarm

# Benchmark the stack side by side with nginx's own ceiling, then at steady loads; writes results/
bench: _bench-tools
    python3 scripts/bench-stack.py

# Take a stack from 1 to 40 replicas: time to healthy, memory, latency at a fixed rate; writes results/
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

# Rewrite README.md's option and environment tables from the option records and the service's settings
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

# Deploy nginx and N replicas as a swarm stack (a one-node swarm if none), wait until all are healthy, print the URL
swarm-up replicas="5": _swarm-preflight (_render "swarm" replicas swarm_dir) _swarm-images
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

# Push both images to REGISTRY (host[:port][/path]), print their digests, write them to .stack/digests.json
push registry:
    #!/usr/bin/env bash
    set -euo pipefail
    python3 scripts/push.py --check {{ quote(registry) }}
    # The local road pushes what Docker holds, so it builds first; the Nix road streams its own build.
    if [ {{ quote(images) }} = local ]; then just image; fi
    python3 scripts/push.py --images {{ quote(images) }} --digests {{ quote(digests_file) }} {{ quote(registry) }}
