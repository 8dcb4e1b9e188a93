"""The commands behind the Justfile's recipes: `python3 scripts/stack.py COMMAND`."""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time

from stacktool import docker, ports, preflight, sign, smoke, swarm, table
from stacktool.names import DEFAULTS, NAMES


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(description="Operate a running hostinfo stack.")
    top.add_argument("--project", default=os.environ.get("HOSTINFO_PROJECT", DEFAULTS["project"]),
                     help="the compose project, or the swarm stack's name")
    top.add_argument("--port", type=int,
                     default=int(os.environ.get("HOSTINFO_PORT", DEFAULTS["publishPort"])))
    commands = top.add_subparsers(dest="command", required=True)

    def command(name: str, help: str, *args: tuple) -> None:
        """A subcommand, with (name, type, default) for each argument it takes."""
        sub = commands.add_parser(name, help=help)
        for flag, kind, default in args:
            sub.add_argument(flag, type=kind, **({} if default is None else {"default": default}))

    commands.add_parser("name", help="print a service name or default from nix/names.toml") \
        .add_argument("key", choices=sorted(NAMES["services"] | DEFAULTS))
    command("free-port", "print a port nothing listens on now")
    command("preflight", "check docker, compose, nix-instantiate and the port")
    command("compose", "print the compose command for this machine")
    command("wait", "wait until every replica is healthy and served through nginx",
            ("replicas", int, None), ("--timeout", float, None))
    command("ps", "a table of the stack's containers")
    command("purge", "remove every container and network of the project")
    command("smoke", "send requests, count who served them", ("count", int, None))
    command("swarm-preflight", "check docker, the swarm state and the port")
    command("swarm-join", "start a single-node swarm unless the engine is in one")
    command("swarm-deploy", "deploy the stack file, wait until every task is healthy and serving",
            ("compose_file", pathlib.Path, None), ("replicas", int, None),
            ("--timeout", float, None))
    command("resolve-image", "always or never: how to deploy this stack file",
            ("compose_file", pathlib.Path, None))
    command("verify-images", "check that every image the stack file pulls from a registry is signed",
            ("compose_file", pathlib.Path, None))
    command("k8s-policy", "print a policy-controller ClusterImagePolicy for the stack options",
            ("options", str, None))
    command("deploy-flags", "docker stack deploy's flags for this stack file",
            ("compose_file", pathlib.Path, None))
    command("swarm-remove", "remove the stack and wait until nothing of it is left")
    command("swarm-leave", "leave the swarm if swarm-join started it and it is empty")
    return top


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    project, port = args.project, args.port
    if args.command == "name":
        print(NAMES["services"].get(args.key, DEFAULTS.get(args.key)))
    elif args.command == "free-port":
        print(ports.free_port())
    elif args.command == "preflight":
        preflight.preflight(project, port)
    elif args.command == "compose":
        print(" ".join(docker.compose_command()))
    elif args.command == "wait":
        timeout = args.timeout or smoke.wait_seconds(60, args.replicas)
        deadline = time.monotonic() + timeout
        apps = smoke.wait_ready(project, port, args.replicas, timeout)
        smoke.wait_serving(port, apps, max(deadline - time.monotonic(), 1))
        print(f"hostinfo is up: http://127.0.0.1:{port}/info")
        table.print_table(project)
    elif args.command == "ps":
        table.print_table(project)
    elif args.command == "purge":
        docker.purge(project)
    elif args.command == "smoke":
        sys.exit(0 if smoke.smoke(port, args.count) else 1)
    elif args.command == "swarm-preflight":
        preflight.swarm_preflight(project, port)
    elif args.command == "swarm-join":
        swarm.swarm_join()
    elif args.command == "swarm-deploy":
        swarm.swarm_deploy(project, args.compose_file, port, args.replicas,
                           args.timeout or smoke.wait_seconds(180, args.replicas))
        print(f"hostinfo is up: http://127.0.0.1:{port}/info "
              f"(published on every interface: see docs/targets.md)")
        table.print_table(project, find=docker.tasks)
    elif args.command == "resolve-image":
        print(swarm.resolve_image(args.compose_file))
    elif args.command == "verify-images":
        sign.verify_stack(args.compose_file)
    elif args.command == "k8s-policy":
        print(json.dumps(sign.k8s_policy(args.options), indent=2))
    elif args.command == "deploy-flags":
        print(" ".join(swarm.deploy_flags(args.compose_file)))
    elif args.command == "swarm-remove":
        swarm.swarm_remove(project)
    elif args.command == "swarm-leave":
        swarm.swarm_leave()
