//! `--format jsonl`: the JSON contract as JSON Lines, for log shippers (Filebeat, Vector,
//! Fluent Bit) that read one object per line (docs/json.md, "JSON Lines").
//!
//! In: a [`Report`] (connections in memory or in a store). Out: one compact line per
//! incident (`"type":"incident"`, the finished report's, known before its connections),
//! one per connection shown, the object of the JSON contract's `connections[]` with
//! `"type":"connection"` first, then one last line with `"type":"summary"` first and the
//! contract's other top-level fields (`version`, `tool`, `command`, `redacted`, `inputs`,
//! `summary`, `seen`, and `key_logs`, `key_log_warnings`, `warnings` when not empty), each
//! line ended by `\n`. Written as `json` writes: the connections a chunk at a time, by the
//! report's rendering threads ([`Report::render_chunks`]), never the whole report in
//! memory; strings as terminal-safe as there (`pretty`), and no line break inside a line.

use super::pretty;
use crate::report::record::{ConnectionRecord, Envelope, IncidentRecord, SummaryRecord};
use crate::report::{ConnectionReport, Report};
use std::io::{self, Write};

/// What a connection's line says it is (`type`).
pub const CONNECTION: &str = "connection";

/// What the last line says it is (`type`).
pub const SUMMARY: &str = "summary";

/// Writes the report as JSON Lines: a line per incident, a line per connection shown, then
/// the summary's, each a
/// record of this run ([`crate::report::record::run_id`]).
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    write_records(report, &crate::report::record::run_id(), out)
}

/// [`write()`], the records saying `run_id`.
pub fn write_records(report: &Report, run_id: &str, out: &mut dyn Write) -> io::Result<()> {
    // The incidents first: the finished report knows them before its connections.
    let mut buf = pretty::Buffer::with_capacity(4096);
    for incident in &report.incidents {
        buf.write_line(&IncidentRecord::of(report, incident, run_id))?;
        buf.push(b'\n');
    }
    for doubt in &report.doubts {
        buf.write_line(&crate::report::record::DoubtRecord::of(
            report, doubt, run_id,
        ))?;
        buf.push(b'\n');
    }
    out.write_all(&buf.into_bytes())?;
    report.render_chunks(
        |_, part: &[ConnectionReport]| -> io::Result<Vec<u8>> {
            // A connection is 2-3 KB compact; room for twice that (see `json`).
            let mut buf = pretty::Buffer::with_capacity(part.len() * 6144);
            for c in part {
                let record = ConnectionRecord {
                    envelope: Envelope::connection(report, c, run_id),
                    connection: c,
                };
                buf.write_line(&record)?;
                buf.push(b'\n');
            }
            Ok(buf.into_bytes())
        },
        out,
    )?;
    let mut buf = pretty::Buffer::with_capacity(4096);
    buf.write_line(&SummaryRecord::of(report, run_id))?;
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

    /// The envelope's fields (`report::record::Envelope`), which every record starts with.
    const ENVELOPE: [&str; 13] = [
        "type",
        "record_version",
        "run_id",
        "input_path",
        "uid",
        "client_ip",
        "client_port",
        "server_ip",
        "server_port",
        "ts",
        "ts_epoch",
        "start_epoch",
        "end_epoch",
    ];

    /// Every line parses; a line per connection, each the envelope then the contract's
    /// connection object, in order past two rounds of the threaded writer; then the
    /// summary line, the envelope, the contract's other fields and `statuses`.
    #[test]
    fn lines_are_the_contracts_connections_then_its_summary() {
        let report = crate::report::repeated_fixture_report(2 * RENDER_CHUNK + 7);
        for n in [0, 1, RENDER_CHUNK + 1, report.connections.len()] {
            let mut r = report.clone();
            r.connections.truncate(n);
            // The copies of one connection end at once: a doubtful cluster, whose record
            // (tests/it/report/doubts.rs) is not what this test reads.
            r.doubts.clear();
            let mut out = Vec::new();
            write_records(&r, "run-1", &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert!(text.ends_with('\n'));
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), n + 1, "{n} connections");
            let whole = serde_json::to_value(&r).unwrap();
            for (line, c) in lines.iter().zip(whole["connections"].as_array().unwrap()) {
                assert!(line.starts_with("{\"type\":\"connection\","), "{line}");
                let mut v: Value = serde_json::from_str(line).unwrap();
                assert_eq!(v["run_id"], "run-1");
                assert_eq!(v["record_version"], 1);
                assert_eq!(v["ts"], c["end"]);
                assert_eq!(
                    v["client_port"],
                    c["client"]
                        .as_str()
                        .unwrap()
                        .rsplit(':')
                        .next()
                        .unwrap()
                        .parse::<u16>()
                        .unwrap()
                );
                for k in ENVELOPE {
                    v.as_object_mut().unwrap().remove(k).unwrap();
                }
                assert_eq!(&v, c);
            }
            let last = lines.last().unwrap();
            assert!(last.starts_with("{\"type\":\"summary\","), "{last}");
            let mut v: Value = serde_json::from_str(last).unwrap();
            let statuses = v.as_object_mut().unwrap().remove("statuses").unwrap();
            let by_status = whole["summary"]["by_status"].as_object().unwrap();
            assert_eq!(statuses.as_array().unwrap().len(), by_status.len());
            for s in statuses.as_array().unwrap() {
                assert_eq!(by_status[s["key"].as_str().unwrap()], s["count"], "{s}");
            }
            for k in ENVELOPE {
                v.as_object_mut().unwrap().remove(k).unwrap();
            }
            let mut want = whole.clone();
            want.as_object_mut().unwrap().remove("connections");
            assert_eq!(v, want, "{n} connections");
        }
    }

    #[test]
    fn an_empty_object_is_tagged_too() {
        #[derive(serde::Serialize)]
        struct Empty {}
        let mut buf = pretty::Buffer::default();
        buf.write_tagged("x", &Empty {}).unwrap();
        assert_eq!(buf.into_bytes(), b"{\"type\":\"x\"}");
    }
}
