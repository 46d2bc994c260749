//! One connection's folded `<details>` section of the Markdown report.
//!
//! In: a [`ConnectionReport`], the inputs (to place its packets in rotated files), the
//! report's file names and status groups. Out: what the capture shows, the fix when it is
//! the connection's own, TLS, time, the handshake, how TCP (and an HTTP/2 stream) ended, the
//! Wireshark filter, the sequence diagram, the close frames, the frames around the close
//! (`full`, or with `--timeline` every frame) and the findings.

use super::sequence::sequence;
use super::sink::Markdown;
use super::Names;
use crate::render::document::{self, Column, Heading, Section, Sink, Span, TableKind};
use crate::report::facts::{Fact, Piece};
use crate::report::statuses::Statuses;
use crate::report::ConnectionReport;
use crate::sanitize::{html, markdown as md};
use crate::vocab::InputSummary;
use std::fmt::Write;

/// The columns of the table of frames (the connection's start is in the diagram, not a
/// column).
const FRAMES: [Column; 8] = [
    Column::num("Packet"),
    Column::col("From"),
    Column::col("Opcode"),
    Column::col("FIN"),
    Column::col("RSV"),
    Column::col("Mask"),
    Column::num("Length"),
    Column::col("Detail"),
];

/// How many frames before the end the "frames around the close" table shows.
const AROUND_CLOSE: usize = 12;
// The last 12 of the merged frames are the last 12 of a log of `FRAME_LOG` each way however
// long the log was: a report analysed for an HTML export beside the Markdown lists the same.
const _: () = assert!(AROUND_CLOSE <= super::FRAME_LOG);

/// One connection's folded section.
/// `full`: with the table of the frames around the close (the diagram shows the last of
/// them, with any unusual flag).
pub(super) fn connection(
    o: &mut String,
    c: &ConnectionReport,
    inputs: &[InputSummary],
    names: &Names,
    statuses: &Statuses,
    full: bool,
) {
    let file = names.of_connection(c);
    document::connection(o, c, inputs, file, statuses, &Markdown, &Folded { full });
}

/// The section as a folded `<details>`: its facts one list, the sequence diagram under
/// them.
struct Folded {
    /// With the table of the frames around the close.
    full: bool,
}

impl Section for Folded {
    fn start(&self, o: &mut String, h: &Heading<'_>) {
        let _ = write!(
            o,
            "\n<details><summary>Connection {}: {} → {} — {}",
            h.id,
            html(&h.client),
            html(&h.server),
            html(&h.status)
        );
        if let Some(name) = h.file {
            let _ = write!(o, " — {}", html(name));
        }
        o.push_str("</summary>\n\n");
    }

    fn lead(&self, o: &mut String, f: &Fact) {
        self.row(o, f);
    }

    fn after_lead(&self, _o: &mut String, _c: &ConnectionReport) {}

    fn rows_start(&self, _o: &mut String) {}

    fn row(&self, o: &mut String, f: &Fact) {
        let _ = write!(o, "- **{}", f.label);
        if let Some(of) = &f.label_of {
            let _ = write!(o, " ({})", md(of));
        }
        let _ = writeln!(o, ":** {}", pieces(&f.line));
        for m in &f.more {
            let _ = writeln!(o, "  - {}", pieces(m));
        }
    }

    fn rows_end(&self, _o: &mut String) {}

    fn after_facts(&self, o: &mut String, c: &ConnectionReport) {
        sequence(o, c);
    }

    fn frames(&self, o: &mut String, c: &ConnectionReport) {
        if self.full || c.timeline.is_some() {
            frames(o, c);
        }
    }

    fn end(&self, o: &mut String) {
        o.push_str("\n</details>\n");
    }
}

/// A fact's pieces in Markdown: wire text and the tool's escaped alike, a filter as code,
/// a warning after its sign; the other leg of a proxy is named in the fact's text already.
fn pieces(ps: &[Piece]) -> String {
    let mut s = String::new();
    for p in ps {
        match p {
            Piece::Text(t) | Piece::Wire(t) => s.push_str(&md(t)),
            Piece::Code(t) => {
                let _ = write!(s, "`{t}`");
            }
            Piece::Warn(t) => {
                let _ = write!(s, "⚠️ {}", md(t));
            }
            Piece::Leg(_) => {}
        }
    }
    s
}
fn frames(o: &mut String, c: &ConnectionReport) {
    let frames = c.timeline.as_ref().unwrap_or(&c.recent_frames);
    if frames.is_empty() {
        return;
    }
    let shown: &[_] = if c.timeline.is_some() {
        frames
    } else {
        frames
            .get(frames.len().saturating_sub(AROUND_CLOSE)..)
            .unwrap_or(frames)
    };
    let title = if c.timeline.is_some() {
        "Every frame"
    } else {
        "Frames around the close"
    };
    Markdown.heading(o, title);
    document::frames_left_out(o, c, &Markdown);
    Markdown.table_head(o, TableKind::Frames, &FRAMES);
    for f in shown {
        let cells = [
            vec![Span::Own(f.packet.to_string())],
            vec![Span::Own(f.from.to_string())],
            vec![Span::Own(f.opcode.name().to_string())],
            vec![Span::Own(if f.fin { "✓" } else { "" }.into())],
            vec![Span::Own(format!("{:03b}", f.rsv))],
            vec![Span::Own(if f.masked { "✓" } else { "" }.into())],
            vec![Span::Own(f.len.to_string())],
            vec![Span::Text(f.detail.clone().unwrap_or_default())],
        ];
        Markdown.table_row(o, &FRAMES, &cells);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quiet spell before the end is written as the diagnosis writes durations:
    /// milliseconds under 10 s, tenths of a second above.
    #[test]
    fn quiet_before_the_end_reads_like_the_diagnosis() {
        let report = crate::report::repeated_fixture_report(1);
        let mut c = report.connections[0].clone();
        let statuses = Statuses::default();
        for (idle, want) in [(0.25, "0.250 s"), (61.04, "61.0 s")] {
            c.idle_before_end_s = Some(idle);
            let mut o = String::new();
            connection(&mut o, &c, &[], &Names(None), &statuses, false);
            let line = format!("- **Quiet before the end:** {want} since the last frame\n");
            assert!(o.contains(&line), "{idle}: {o}");
        }
    }
}
