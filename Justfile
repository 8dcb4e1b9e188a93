# hostinfo: build, run and test N replicas behind nginx from one declaration.

set shell := ["bash", "-euo", "pipefail", "-c"]

# The road the images take: `nix` (the flake) or `local` (cargo and Docker, no Nix store).
images := env("IMAGES", "nix")
# The compose project and the host port: recipes find the stack by them.
project := env("HOSTINFO_PROJECT", "hostinfo")
port := env("HOSTINFO_PORT", "8000")
# More stack options, as a Nix attribute set: STACK_OPTIONS='{ readTimeout = "5s"; }'.
options := env("STACK_OPTIONS", "{ }")

stack_dir := ".stack" / project
stack := "python3 scripts/stack.py --project " + project + " --port " + port
compose := "$(" + stack + " compose) -p " + project + " -f " + stack_dir + "/compose.yaml"

# List the recipes
default:
    @just --list --unsorted

# Build nginx and N replicas, start them, wait until all are healthy, print the URL
up replicas="5": preflight (render replicas) image
    {{ compose }} up -d --remove-orphans
    {{ stack }} wait {{ replicas }}

# Run N replicas; nginx follows through DNS, without a reload
scale replicas: (render replicas)
    {{ compose }} up -d --no-recreate --no-deps --scale app={{ replicas }} app
    {{ stack }} wait {{ replicas }}

# Remove the stack's containers, networks and rendered files
down:
    if [ -f {{ stack_dir }}/compose.yaml ]; then {{ compose }} down --remove-orphans --timeout 10; fi
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
      --arg options '{{ options }}' --argstr replicas '{{ replicas }}' --argstr publishPort '{{ port }}')
    mkdir -p {{ dir }}
    for file in $(jq -r 'keys[]' <<<"$rendered"); do
      jq -j --arg file "$file" '.[$file]' <<<"$rendered" > "{{ dir }}/$file"
    done

# Build the service and nginx images and load them into Docker
image:
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

[private]
_image-local:
    images/build-app-image
    images/build-nginx-image

# Check that docker, compose and nix-instantiate are there and the port is free
preflight:
    @{{ stack }} preflight

# Every check that needs no Nix store: what CI runs
test: test-rust test-openapi test-stack test-e2e test-swarm

# Rust: formatting, clippy without warnings, unit and black-box tests
test-rust:
    cargo fmt --all -- --check
    cargo clippy --all-targets --locked -- --deny warnings
    cargo test --locked

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

# Benchmark the stack side by side with nginx's own ceiling; writes results/
bench:
    python3 scripts/bench-stack.py

# Measure the service alone: /info against /health, start-up time, memory
bench-service:
    scripts/bench-service.sh

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
swarm_stack := env("HOSTINFO_STACK", "hostinfo-swarm")
swarm_dir := ".stack" / swarm_stack
swarm := "python3 scripts/stack.py --project " + swarm_stack + " --port " + port

# Deploy nginx and N replicas as a swarm stack (a one-node swarm if none), wait until all are healthy, print the URL
swarm-up replicas="5": _swarm-preflight image (_render "swarm" replicas swarm_dir)
    {{ swarm }} swarm-join
    docker stack deploy --resolve-image never -c {{ swarm_dir }}/compose.yaml {{ swarm_stack }}
    {{ swarm }} swarm-wait {{ replicas }}

# Remove the swarm stack and its rendered files; leave the swarm if swarm-up started it
swarm-down:
    {{ swarm }} swarm-remove
    {{ swarm }} swarm-leave
    rm -rf {{ swarm_dir }}

[private]
_swarm-preflight:
    @{{ swarm }} swarm-preflight
