//! Command-line arguments. There are few, so they are parsed by hand.

use std::fmt::Write;

use crate::config::SETTINGS;

const COMMANDS: &str = "\
hostinfo: answers GET /info with facts about the host that served it

Usage:
  hostinfo               serve HTTP (the default)
  hostinfo healthcheck   exit 0 if the local server answers GET /health with 200, 1 otherwise
  hostinfo --version     print the version
  hostinfo --help        print this help

Environment (an empty value counts as unset):
";

/// The text of `--help`: the commands, then every one of [`SETTINGS`].
pub fn usage() -> String {
    let width = SETTINGS.iter().map(|s| s.variable.len()).max().unwrap_or(0);
    let mut text = COMMANDS.to_owned();
    for setting in SETTINGS {
        // The meanings are Markdown for the README; a terminal shows no code spans.
        let meaning = setting.meaning.replace('`', "");
        let default = setting.default.text();
        writeln!(
            text,
            "  {:width$}  {meaning} [default: {default}]",
            setting.variable
        )
        .expect("writing to a String cannot fail");
    }
    text
}

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
    fn usage_lists_every_setting_with_its_default_the_meanings_in_one_column() {
        let usage = usage();
        let lines: Vec<&str> = usage.lines().collect();
        let environment = lines
            .iter()
            .position(|l| l.starts_with("Environment"))
            .unwrap();
        let settings = &lines[environment + 1..];
        assert_eq!(settings.len(), SETTINGS.len());
        let mut columns = Vec::new();
        for (line, setting) in settings.iter().zip(SETTINGS) {
            assert!(
                line.starts_with(&format!("  {} ", setting.variable)),
                "{line}"
            );
            let default = format!(" [default: {}]", setting.default.text());
            assert!(line.ends_with(&default), "{line}");
            columns.push(line.find(&setting.meaning.replace('`', "")).expect(line));
        }
        assert!(columns.windows(2).all(|c| c[0] == c[1]), "{usage}");
        assert!(!usage.contains('`'), "{usage}");
    }

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
