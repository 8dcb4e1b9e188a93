//! Command-line arguments. There are few, so they are parsed by hand.

pub const USAGE: &str = "\
hostinfo: answers GET /info with facts about the host that served it

Usage:
  hostinfo               serve HTTP (the default)
  hostinfo healthcheck   exit 0 if the local server answers GET /health with 200, 1 otherwise
  hostinfo --version     print the version
  hostinfo --help        print this help

Environment:
  HOSTINFO_LISTEN            socket address to listen on (default 0.0.0.0:8000)
  HOSTINFO_WORKERS           worker threads (default: available parallelism)
  HOSTINFO_SHUTDOWN_TIMEOUT  seconds to drain requests after SIGTERM/SIGINT (default 8)
  HOSTINFO_KEEP_ALIVE        seconds an idle keep-alive connection stays open (default 5)
  RUST_LOG                   log filter (default info)
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Serve,
    Healthcheck,
    Version,
    Help,
}

/// Parses the arguments after the program name.
pub fn parse<I, S>(args: I) -> Result<Command, String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut args = args.into_iter();
    let command = match args.next() {
        None => return Ok(Command::Serve),
        Some(arg) => match arg.as_ref() {
            "serve" => Command::Serve,
            "healthcheck" => Command::Healthcheck,
            "-V" | "--version" => Command::Version,
            "-h" | "--help" | "help" => Command::Help,
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        },
    };
    match args.next() {
        None => Ok(command),
        Some(extra) => Err(format!(
            "unexpected argument {:?} (try --help)",
            extra.as_ref()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_arguments_means_serve() {
        assert_eq!(parse(Vec::<String>::new()), Ok(Command::Serve));
    }

    #[test]
    fn subcommands_and_flags_are_recognised() {
        assert_eq!(parse(["healthcheck"]), Ok(Command::Healthcheck));
        assert_eq!(parse(["serve"]), Ok(Command::Serve));
        assert_eq!(parse(["--version"]), Ok(Command::Version));
        assert_eq!(parse(["-V"]), Ok(Command::Version));
        assert_eq!(parse(["--help"]), Ok(Command::Help));
        assert_eq!(parse(["-h"]), Ok(Command::Help));
    }

    #[test]
    fn unknown_or_extra_arguments_are_errors_naming_the_argument() {
        assert!(parse(["--verbose"]).unwrap_err().contains("\"--verbose\""));
        assert!(
            parse(["healthcheck", "now"])
                .unwrap_err()
                .contains("\"now\"")
        );
    }
}
