# The whole stack in a VM: both images in Docker, started by docker-compose, failover under load.
{
  testers,
  image,
  nginx-image,
  stack,
}:
testers.runNixOSTest {
  name = "hostinfo-stack";

  nodes.machine =
    { pkgs, ... }:
    {
      virtualisation = {
        docker.enable = true;
        memorySize = 2048;
        diskSize = 4096;
      };
      environment.systemPackages = [
        pkgs.curl
        pkgs.docker-compose
        pkgs.jq
      ];
    };

  # Ports, replica count and service names are read from the rendered
  # compose.yaml, so the test follows nix/stack.nix rather than repeating it.
  testScript = ''
    import json

    compose = json.load(open("${stack}/compose.yaml"))
    replicas = compose["services"]["app"]["deploy"]["replicas"]
    published = compose["services"]["lb"]["ports"][0].split(":")[-2]
    url = f"http://127.0.0.1:{published}/info"
    stack = "docker-compose --project-name hostinfo --file ${stack}/compose.yaml"

    machine.wait_for_unit("docker.service")

    with subtest("both images load"):
        machine.succeed("${image} | docker load")
        machine.succeed("${nginx-image} | docker load")

    with subtest("the stack comes up healthy"):
        machine.succeed(f"{stack} up --detach --wait --wait-timeout 180")
        machine.wait_until_succeeds(f"curl --fail --silent {url}", timeout=60)

    # A container's hostname is the first 12 characters of its id.
    ids = machine.succeed(f"{stack} ps --quiet app").split()
    assert len(ids) == replicas, f"expected {replicas} replicas, found {ids}"
    hostnames = [i[:12] for i in ids]

    with subtest("every replica answers through nginx"):
        machine.wait_until_succeeds(
            "diff"
            f" <(for i in $(seq 100); do curl --fail --silent {url} | jq -r .hostname; done | sort -u)"
            f" <(printf '%s\\n' {' '.join(hostnames)} | sort)",
            timeout=60,
        )

    with subtest("a crashed replica costs no request"):
        victim = ids[0]
        pid = machine.succeed("docker inspect --format '{{.State.Pid}}' " + victim).strip()
        # `|| true`: a failed request is recorded (as 000), not the end of the loop.
        machine.succeed(
            "(for i in $(seq 300); do"
            f" curl --silent --output /dev/null --max-time 10 --write-out '%{{http_code}}\\n' {url} || true;"
            " sleep 0.01; done > /tmp/codes; touch /tmp/load.done) >/dev/null 2>&1 &"
        )
        machine.sleep(1)
        # A crash, not `docker kill`: only a crash is restarted under `restart: unless-stopped`.
        machine.succeed(f"kill -9 {pid}")
        machine.wait_for_file("/tmp/load.done", timeout=120)
        codes = machine.succeed("cat /tmp/codes").split()
        assert len(codes) == 300, f"expected 300 answers, got {len(codes)}"
        failed = [code for code in codes if code != "200"]
        assert not failed, f"{len(failed)} of 300 requests failed while a replica crashed: {failed}"
        machine.wait_until_succeeds(
            "test \"$(docker inspect --format '{{.RestartCount}} {{.State.Health.Status}}' "
            + victim
            + ")\" = '1 healthy'",
            timeout=60,
        )

    with subtest("down leaves nothing behind"):
        machine.succeed(f"{stack} down --timeout 15")
        machine.succeed("test -z \"$(docker ps --all --quiet)\"")
  '';
}
