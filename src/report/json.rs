//! `--format json`: the stable machine contract (see the `report` module and README.md).
//!
//! In: a [`Report`]. Out: pretty-printed JSON whose strings are safe to print on a terminal.

use super::Report;
use crate::sanitize;

pub fn render(report: &Report) -> String {
    let text = serde_json::to_string_pretty(report).unwrap_or_else(|e| {
        // Serializing plain structs of strings and numbers cannot fail; say so if it did.
        format!("{{\"error\": \"could not serialize the report: {e}\"}}")
    });
    let mut out = sanitize::json(text);
    out.push('\n');
    out
}
