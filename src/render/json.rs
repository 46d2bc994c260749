//! `--format json`: the stable machine contract (see the `report` module and docs/json.md).
//!
//! In: a [`Report`] (connections in memory or in a store). Out: pretty-printed JSON,
//! written straight to the output, the connections a chunk at a time (the report is never
//! held twice in memory, nor, from a store, once), with strings safe to print on a terminal:
//! JSON escaping covers the C0 controls, and the writer (`pretty`) also escapes DEL, the
//! C1 controls, format characters (bidirectional overrides, zero-width and tag characters),
//! line separators and Hangul fillers (`sanitize::is_unsafe`). The layout is
//! serde_json's pretty layout, byte for byte (RFC 8259 text).

use super::pretty;
use crate::report::{ConnectionReport, Report};
use serde::Serialize;
use std::io::{self, Write};

/// Writes `value` as pretty JSON at `depth` levels of indentation.
fn value<T: Serialize + ?Sized>(out: &mut dyn Write, depth: usize, v: &T) -> io::Result<()> {
    let mut buf = Vec::new();
    pretty::write(&mut buf, depth, v)?;
    out.write_all(&buf)
}

/// Writes the report as pretty JSON followed by a newline: the same bytes as serde_json's
/// pretty printer gives for the whole report, but with the connections (nearly all of a
/// large report) read back and rendered a few dozen at a time by the report's rendering
/// threads while this thread writes the rendered ones in order
/// ([`Report::render_chunks`]), so that neither the time nor the memory grows with one
/// long single-threaded pass.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let key = |out: &mut dyn Write, first: bool, name: &str| -> io::Result<()> {
        if !first {
            out.write_all(b",")?;
        }
        write!(out, "\n  \"{name}\": ")
    };
    out.write_all(b"{")?;
    key(out, true, "version")?;
    value(out, 1, &report.version)?;
    key(out, false, "tool")?;
    value(out, 1, &report.tool)?;
    key(out, false, "command")?;
    value(out, 1, &report.command)?;
    key(out, false, "redacted")?;
    value(out, 1, &report.redacted)?;
    key(out, false, "inputs")?;
    value(out, 1, &report.inputs)?;
    key(out, false, "connections")?;
    let any = connections(report, out)?;
    if any {
        out.write_all(b"\n  ]")?;
    } else {
        out.write_all(b"[]")?;
    }
    key(out, false, "summary")?;
    value(out, 1, &report.summary)?;
    key(out, false, "seen")?;
    value(out, 1, &report.seen)?;
    if !report.incidents.is_empty() {
        key(out, false, "incidents")?;
        value(out, 1, &report.incidents)?;
    }
    if !report.doubts.is_empty() {
        key(out, false, "doubts")?;
        value(out, 1, &report.doubts)?;
    }
    if !report.key_logs.is_empty() {
        key(out, false, "key_logs")?;
        value(out, 1, &report.key_logs)?;
    }
    if !report.key_log_warnings.is_empty() {
        key(out, false, "key_log_warnings")?;
        value(out, 1, &report.key_log_warnings)?;
    }
    if !report.warnings.is_empty() {
        key(out, false, "warnings")?;
        value(out, 1, &report.warnings)?;
    }
    out.write_all(b"\n}\n")
}

/// Writes the connections of `report` (after `"connections": `, without the closing
/// bracket); false if there were none.
fn connections(report: &Report, out: &mut dyn Write) -> io::Result<bool> {
    let chunks = report.render_chunks(
        |k: usize, part: &[ConnectionReport]| -> io::Result<Vec<u8>> {
            // Room for twice the usual connection (4-5 KB of JSON): a part that outgrew
            // its buffer was copied as it grew, whole, into one twice the size.
            let mut buf = pretty::Buffer::with_capacity(part.len() * 8192);
            for (i, c) in part.iter().enumerate() {
                buf.push(if k == 0 && i == 0 { b'[' } else { b',' });
                buf.newline(2);
                buf.write(2, c)?;
            }
            Ok(buf.into_bytes())
        },
        out,
    )?;
    Ok(chunks > 0)
}

pub use super::pretty::line;

/// The same, as a string (tests, small reports).
pub fn render(report: &Report) -> String {
    super::text::string_of(|buf| write(report, buf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::RENDER_CHUNK;
    use crate::sanitize::is_unsafe;

    /// The report of every fixture with its connections repeated past two rounds of the
    /// threaded writer: byte for byte what serde_json's own pretty printer writes.
    #[test]
    fn same_bytes_as_serde_json_pretty() {
        let report = crate::report::repeated_fixture_report(2 * RENDER_CHUNK + 7);
        for n in [
            0,
            1,
            RENDER_CHUNK,
            RENDER_CHUNK + 1,
            report.connections.len(),
        ] {
            let mut r = report.clone();
            r.connections.truncate(n);
            let ours = render(&r);
            let theirs = serde_json::to_string_pretty(&r).unwrap() + "\n";
            // The fixtures' one hostile reason is escaped by us and not by serde_json.
            let back: serde_json::Value = serde_json::from_str(&ours).unwrap();
            assert_eq!(back, serde_json::to_value(&r).unwrap(), "{n} connections");
            if !theirs.chars().any(is_unsafe_printed) {
                assert_eq!(ours, theirs, "{n} connections");
            } else {
                assert_eq!(ours.len(), theirs.len() + extra_escape_bytes(&theirs));
            }
        }
    }

    /// A live capture's final line: the fixtures' report as serde_json writes it compact,
    /// but for the characters only this writer escapes, and on one line.
    #[test]
    fn a_line_is_serde_json_compact_made_terminal_safe() {
        let r = crate::report::repeated_fixture_report(0);
        let ours = line(&r);
        let theirs = serde_json::to_string(&r).unwrap();
        assert!(!ours.contains('\n'));
        assert!(!ours.chars().any(is_unsafe));
        let back: serde_json::Value = serde_json::from_str(&ours).unwrap();
        assert_eq!(back, serde_json::to_value(&r).unwrap());
        if theirs.chars().any(is_unsafe_printed) {
            assert_eq!(ours.len(), theirs.len() + extra_escape_bytes(&theirs));
        } else {
            assert_eq!(ours, theirs);
        }
    }

    fn is_unsafe_printed(c: char) -> bool {
        is_unsafe(c) && c != '\n'
    }

    /// Each unsafe character becomes `\uXXXX` (6 bytes; twice that for a surrogate pair)
    /// instead of its UTF-8 bytes.
    fn extra_escape_bytes(s: &str) -> usize {
        s.chars()
            .filter(|&c| is_unsafe_printed(c))
            .map(|c| 6 * c.len_utf16() - c.len_utf8())
            .sum()
    }
}
