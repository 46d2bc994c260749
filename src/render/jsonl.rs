//! `--format jsonl`: the JSON contract as JSON Lines, for log shippers (Filebeat, Vector,
//! Fluent Bit) that read one object per line (docs/json.md, "JSON Lines").
//!
//! In: a [`Report`] (connections in memory or in a store). Out: one compact line per
//! connection shown, the object of the JSON contract's `connections[]` with
//! `"type":"connection"` first, then one last line with `"type":"summary"` first and the
//! contract's other top-level fields (`version`, `tool`, `command`, `redacted`, `inputs`,
//! `summary`, `seen`, and `key_logs`, `key_log_warnings`, `warnings` when not empty), each
//! line ended by `\n`. Written as `json` writes: the connections a chunk at a time, by the
//! report's rendering threads ([`Report::render_chunks`]), never the whole report in
//! memory; strings as terminal-safe as there (`pretty`), and no line break inside a line.

use super::pretty;
use crate::report::InputSummary;
use crate::report::KeySource;
use crate::report::{ConnectionReport, Report, Seen, Summary};
use serde::Serialize;
use std::io::{self, Write};

/// What a connection's line says it is (`type`).
pub const CONNECTION: &str = "connection";

/// What the last line says it is (`type`).
pub const SUMMARY: &str = "summary";

/// The last line: the report less its connections, in the JSON contract's order.
#[derive(Serialize)]
struct SummaryLine<'a> {
    version: u32,
    tool: &'a str,
    command: &'a Option<String>,
    redacted: bool,
    inputs: &'a [InputSummary],
    summary: &'a Summary,
    seen: &'a Seen,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    key_logs: &'a [KeySource],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    key_log_warnings: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    warnings: &'a [String],
}

/// Writes the report as JSON Lines: a line per connection shown, then the summary's.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    report.render_chunks(
        |_, part: &[ConnectionReport]| -> io::Result<Vec<u8>> {
            // A connection is 2-3 KB compact; room for twice that (see `json`).
            let mut buf = pretty::Buffer::with_capacity(part.len() * 6144);
            for c in part {
                buf.write_tagged(CONNECTION, c)?;
                buf.push(b'\n');
            }
            Ok(buf.into_bytes())
        },
        out,
    )?;
    let last = SummaryLine {
        version: report.version,
        tool: &report.tool,
        command: &report.command,
        redacted: report.redacted,
        inputs: &report.inputs,
        summary: &report.summary,
        seen: &report.seen,
        key_logs: &report.key_logs,
        key_log_warnings: &report.key_log_warnings,
        warnings: &report.warnings,
    };
    let mut buf = pretty::Buffer::with_capacity(4096);
    buf.write_tagged(SUMMARY, &last)?;
    buf.push(b'\n');
    out.write_all(&buf.into_bytes())
}

/// The same, as a string (tests, small reports).
pub fn render(report: &Report) -> String {
    super::text::string_of(|buf| write(report, buf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::RENDER_CHUNK;
    use serde_json::Value;

    /// Every line parses; a line per connection, each the contract's connection object
    /// with `type` first, in order past two rounds of the threaded writer; then the
    /// summary line, the contract's other fields.
    #[test]
    fn lines_are_the_contracts_connections_then_its_summary() {
        let report = crate::report::repeated_fixture_report(2 * RENDER_CHUNK + 7);
        for n in [0, 1, RENDER_CHUNK + 1, report.connections.len()] {
            let mut r = report.clone();
            r.connections.truncate(n);
            let text = render(&r);
            assert!(text.ends_with('\n'));
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), n + 1, "{n} connections");
            let whole = serde_json::to_value(&r).unwrap();
            for (line, c) in lines.iter().zip(whole["connections"].as_array().unwrap()) {
                assert!(line.starts_with("{\"type\":\"connection\","), "{line}");
                let mut v: Value = serde_json::from_str(line).unwrap();
                assert_eq!(v["type"].take(), Value::from("connection"));
                v.as_object_mut().unwrap().remove("type");
                assert_eq!(&v, c);
            }
            let last = lines.last().unwrap();
            assert!(last.starts_with("{\"type\":\"summary\","), "{last}");
            let mut v: Value = serde_json::from_str(last).unwrap();
            v.as_object_mut().unwrap().remove("type");
            let mut want = whole.clone();
            want.as_object_mut().unwrap().remove("connections");
            assert_eq!(v, want, "{n} connections");
        }
    }

    #[test]
    fn an_empty_object_is_tagged_too() {
        #[derive(Serialize)]
        struct Empty {}
        let mut buf = pretty::Buffer::default();
        buf.write_tagged("x", &Empty {}).unwrap();
        assert_eq!(buf.into_bytes(), b"{\"type\":\"x\"}");
    }
}
