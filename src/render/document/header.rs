//! The header block of every report that walks the document: the tool, the command line,
//! each input with what it holds, and the notes under the inputs (live drops, refused
//! tunnels, redaction, the selection).
//!
//! In: a [`Report`], the inputs' hashes (computed by the caller, when it did). Out: a
//! [`Header`], whose facts are counted once (each input's [`InputFacts`] from
//! `report::facts`: packets, WebSocket connections, encrypted connections, how it was
//! taken after the input before, what went wrong reading it), given to the sink's
//! [`Sink::header`]: the ticket reports write it as labelled lines ([`labelled`]), the
//! terminal as a line per input and its notes under them.

use super::{own, text, Sink, Span};
use crate::report::facts::{self, Continuity, InputFacts};
use crate::report::Report;

/// What a redacted report leaves out and keeps, said under the inputs of every format.
pub(crate) const REDACTED: &str = "addresses, host names (Host, SNI), subprotocols no registry knows and the user names of mail addresses are replaced by pseudonyms, inside close reasons too; query strings, credentials, payloads (an HTTP page's words in the stream too, its status code kept) and TLS client randoms are left out; close reasons are kept.";

/// The header's facts, for a sink to write in its form.
pub(crate) struct Header<'a> {
    pub report: &'a Report,
    /// `hashes[i]`: the SHA-256 of input `i`, when the caller computed it.
    pub hashes: &'a [Option<String>],
    /// Each input's facts, in order.
    pub inputs: Vec<InputFacts<'a>>,
    /// "N of M WebSocket connections shown, … (filter: …)", when a filter left some out.
    pub shown: Option<String>,
}

/// Writes the header block of `report` through `s` (its [`Sink::header`]).
pub(crate) fn header(o: &mut String, report: &Report, hashes: &[Option<String>], s: &impl Sink) {
    let h = Header {
        report,
        hashes,
        inputs: facts::inputs(report),
        shown: crate::report::filter::shown_line(report),
    };
    s.header(o, &h);
}

/// The header as labelled lines (the ticket reports'): the tool, the command line, the
/// inputs (each with its size, hash, format, packets, times, what went wrong reading it,
/// and why it was joined to the file before), live drops, redaction and the selection.
pub(crate) fn labelled(o: &mut String, h: &Header<'_>, s: &impl Sink) {
    let report = h.report;
    s.meta_start(o);
    s.meta(o, "Tool", &[text(&report.tool)], &[], false);
    if let Some(cmd) = &report.command {
        s.meta(o, "Command", &[Span::Value(cmd.clone())], &[], false);
    }
    for (i, f) in h.inputs.iter().enumerate() {
        let input = f.input;
        let mut v = vec![text(&input.path)];
        if let Some(b) = input.bytes {
            v.push(own(format!(", {b} bytes")));
        }
        // The caller's hash of a file, or the one computed as a stream was read.
        match (h.hashes.get(i), &input.sha256) {
            (Some(Some(h)), _) | (_, Some(Ok(h))) => {
                v.push(own(", SHA-256 "));
                v.push(Span::Value(h.clone()));
            }
            (_, Some(Err(why))) => {
                v.push(own(", SHA-256 unknown ("));
                v.push(text(why));
                v.push(own(")"));
            }
            _ => {}
        }
        let links: Vec<&str> = input.link_types.iter().map(|l| l.name()).collect();
        v.push(own(format!(
            ", {} ({}), {} packets",
            input.format,
            links.join(", "),
            input.packets
        )));
        if let (Some(a), Some(b)) = (&input.first_time, &input.last_time) {
            v.push(own(", "));
            v.push(text(a));
            v.push(own(" to "));
            v.push(text(b));
        }
        if let Some(e) = &input.error {
            v.push(Span::Bad(format!("not read: {e}")));
        }
        // Only a file joined to the one before says so (its packets are numbered on); why
        // the others were read as captures of their own is said once on stderr and in JSON.
        if let Continuity::Continues { why, .. } = f.continuity {
            v.push(own(" — "));
            v.push(text(why));
        }
        s.meta(o, "Input", &v, &input.warnings, false);
    }
    if let Some(d) = &report.seen.live_drops {
        let line = format!("{}.", crate::report::live_drops_line(d));
        s.meta(o, "Live capture", &[own(line)], &[], d.any());
    }
    if report.redacted {
        s.meta(o, "Redacted", &[own(REDACTED)], &[], false);
    }
    if let Some(line) = &h.shown {
        s.meta(o, "Selected", &[text(line), own(".")], &[], false);
    } else if report.summary.total_connections != report.summary.connections {
        let line = format!(
            "{} of {} WebSocket connections (on the command line).",
            report.summary.connections, report.summary.total_connections
        );
        s.meta(o, "Selected", &[own(line)], &[], false);
    }
    s.meta_end(o);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table's line per input and the ticket reports' "Input" lines state the facts
    /// counted once: each input's packets (and in the table its WebSocket connections,
    /// which add up to the report's); an input not read says so in both.
    #[test]
    fn the_table_and_the_ticket_reports_say_each_input_from_one_count() {
        let mut report = crate::report::repeated_fixture_report(0);
        let mut failed = report.inputs[0].clone();
        failed.path = "gone.pcap".into();
        failed.error = Some("no such file".into());
        failed.packets = 0;
        report.inputs.push(failed);
        // The second input joined to the first, the third read as a capture of its own.
        let with_packets: Vec<usize> = (1..report.inputs.len())
            .filter(|&i| report.inputs[i].packets > 0 && report.inputs[i].error.is_none())
            .take(2)
            .collect();
        let [joined, apart] = with_packets[..] else {
            panic!("two fixtures with packets after the first")
        };
        let offset = report.inputs[joined - 1].packets;
        let j = &mut report.inputs[joined];
        (j.continues_previous, j.packet_offset) = (true, offset);
        j.continuity = Some("it starts where the file before ended".into());
        let a = &mut report.inputs[apart];
        (a.continues_previous, a.unrelated) = (false, false);
        a.continuity = Some("its first packet is a day later".into());
        let table = crate::render::table::render(&report, None, false);
        let md = crate::render::markdown::render_with(&report, &[], None);
        let inputs = facts::inputs(&report);
        assert_eq!(inputs.len(), report.inputs.len());
        assert!(matches!(
            inputs[joined].continuity,
            Continuity::Continues { .. }
        ));
        assert!(matches!(inputs[apart].continuity, Continuity::Apart(_)));
        assert_eq!(
            inputs.iter().map(|f| f.connections).sum::<u64>(),
            report.summary.connections
        );
        let mut lines = table.lines();
        for f in &inputs {
            let line = lines.next().unwrap();
            let path = &f.input.path;
            let md_line = md
                .lines()
                .find(|l| l.starts_with(&format!("- **Input:** {path}, ")))
                .unwrap_or_else(|| panic!("{path}"));
            if f.input.error.is_some() {
                assert_eq!(line, format!("{path}: not read: no such file"));
                assert!(md_line.contains("not read: no such file"), "{md_line}");
                continue;
            }
            let n = f.input.packets;
            let start = format!(
                "{path}: {n} packet{}, {} WebSocket connection",
                if n == 1 { "" } else { "s" },
                f.connections
            );
            assert!(line.starts_with(&start), "{line}\n{start}");
            assert!(md_line.contains(&format!(", {n} packets")), "{md_line}");
            match f.continuity {
                Continuity::Continues { first, last, why } => {
                    assert_eq!((first, last), (offset + 1, offset + n));
                    assert!(line.contains(&format!(" (continues the file before: one capture with it, its packets numbered {first} to {last} here)")), "{line}");
                    assert!(md_line.contains(&format!(" — {why}")), "{md_line}");
                }
                Continuity::Apart(why) => {
                    assert!(
                        line.contains(&format!(" (a capture of its own: {why})")),
                        "{line}"
                    );
                    // Said once on stderr and in JSON, not in the ticket reports.
                    assert!(!md_line.contains(why), "{md_line}");
                }
                Continuity::Unsaid => {
                    assert!(!line.contains(" (c") && !line.contains(" (a "), "{line}")
                }
            }
            if f.encrypted > 0 {
                assert!(
                    line.contains(&format!(", {} encrypted", f.encrypted)),
                    "{line}"
                );
            }
        }
    }

    /// A redacted report says what it left out and kept in the same words in the table as
    /// in the ticket reports.
    #[test]
    fn the_table_says_the_redaction_as_the_ticket_reports_do() {
        let mut report = crate::report::repeated_fixture_report(0);
        report.redacted = true;
        let md = crate::render::markdown::render_with(&report, &[], None);
        let said = md
            .lines()
            .find_map(|l| l.strip_prefix("- **Redacted:** "))
            .unwrap();
        let table = crate::render::table::render(&report, Some(80), false);
        // The line as written before the table wrapped it to 80 columns.
        let unwrapped = table.replace("\n  ", " ");
        assert!(
            unwrapped.contains(&format!("\nRedacted: {said}\n")),
            "{said}\n{table}"
        );
        assert!(table.lines().all(|l| l.chars().count() <= 80));
    }
}
