# The rendered compose.yaml against the Compose Specification, and as docker-compose reads it.
{
  runCommand,
  check-jsonschema,
  docker-compose,
  stack,
}:
runCommand "hostinfo-compose"
  {
    nativeBuildInputs = [
      check-jsonschema
      docker-compose
    ];
  }
  ''
    # JSON is YAML; the .yaml name makes both tools read it as YAML, as a user's tools will.
    check-jsonschema --schemafile ${../../schemas/compose-spec.json} ${stack}/compose.yaml

    # `config` resolves the file without a Docker daemon; it may look for a client config in $HOME.
    export HOME=$TMPDIR
    docker-compose --project-name hostinfo --file ${stack}/compose.yaml config --quiet
    touch $out
  ''
