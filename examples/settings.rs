//! Prints the service's environment settings as JSON, in `--help`'s order:
//! `[{"variable", "default", "meaning"}, ...]`, default and meaning in
//! Markdown. `just docs` makes the README's table from it.

use hostinfo::config::SETTINGS;
use serde::Serialize;

/// One row of the README's table; field order is the key order.
#[derive(Serialize)]
struct Row {
    variable: &'static str,
    default: String,
    meaning: &'static str,
}

fn main() {
    let rows: Vec<Row> = SETTINGS
        .iter()
        .map(|setting| Row {
            variable: setting.variable,
            default: setting.default.markdown(),
            meaning: setting.meaning,
        })
        .collect();
    let text = serde_json::to_string_pretty(&rows).expect("strings always serialise");
    println!("{text}");
}
