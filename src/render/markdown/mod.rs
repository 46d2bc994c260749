//! `--format markdown`: a report made for a GitHub/GitLab/Jira ticket.
//!
//! In: a [`Report`] (connections in memory or in its store; and, for the header, each
//! input's SHA-256, computed by the caller, or for a stream as it was read), and a size limit ([`LIMIT`] by default, none
//! with `--full`). Out, CommonMark/GFM: a one-line summary fit for the ticket's title; the
//! tool, command line and inputs; one overview table of every connection (status, who
//! closed, codes, reason, packets; the file when there are several); each status's cause
//! and fix once; then per connection a folded `<details>` section (`connection`, with the
//! Mermaid sequence diagram of its last moments from `sequence`); then the encrypted
//! connections that could not be read.
//!
//! The walk and the limit are `document::write`'s, the same for HTML; this module gives it
//! a `Layout` (the title, the rows, the folded sections, what else it leaves out to fit).
//! Within the limit: the connections are read twice. The first pass sizes every row and
//! section and keeps the best that fit (problems before clean closes, then by id; memory
//! bounded by the limit, not the capture); the second writes the chosen sections in id
//! order. The report says what it left out and that `--full` shows it all.
//!
//! Every string from the wire goes through `sanitize::markdown` (tables, text),
//! `sanitize::html` (inside `<summary>`) or `sanitize::mermaid` (inside the diagram), so
//! nothing can break a table, open a code span, inject HTML or a Mermaid statement.

mod connection;
mod sequence;
mod sink;

use super::document::{self, Layout, Walk};
use super::text::string_of;
use super::Names;
use crate::report::{ConnectionReport, Report};
use crate::sanitize::markdown as md;
use connection::connection;
use sink::Markdown;
use std::fmt::Write;

/// The default size of a report, in characters: what a GitHub issue or comment holds.
pub const LIMIT: usize = 65_536;

/// Frames each way a Markdown report needs logged (`Options::frame_log`): the frames around
/// each close and its sequence diagram read no further back.
pub const FRAME_LOG: usize = 12;

/// Characters kept back for the notes on what was left out.
const NOTES: usize = 1_500;

/// Characters the status meanings may take of a limited report; the statuses past it are
/// named with `wsclose explain`.
const MEANINGS: usize = 16_384;

/// Characters the encrypted connections may take of a limited report.
const ENCRYPTED: usize = 8_192;

/// The whole report as a string, within [`LIMIT`] characters. `hashes[i]` is the SHA-256
/// of input `i`, when it could be computed.
pub fn render(report: &Report, hashes: &[Option<String>]) -> String {
    render_with(report, hashes, Some(LIMIT))
}

/// The whole report as a string, within `limit` characters if given.
pub fn render_with(report: &Report, hashes: &[Option<String>], limit: Option<usize>) -> String {
    string_of(|buf| write_with(report, hashes, limit, buf))
}

/// Writes the report within [`LIMIT`] characters.
pub fn write(
    report: &Report,
    hashes: &[Option<String>],
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    write_with(report, hashes, Some(LIMIT), out)
}

/// Writes the report, within `limit` characters if given (else every connection's
/// section: `--full`), as `document::write` walks it. Connections are read back from the
/// store, never held whole.
pub fn write_with(
    report: &Report,
    hashes: &[Option<String>],
    limit: Option<usize>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    document::write(report, hashes, limit, &mut Ticket, out)
}

/// The Markdown report around its blocks: the title, the overview's rows and the folded
/// sections.
struct Ticket;

impl Layout for Ticket {
    type Sink = Markdown;
    const MEANINGS: usize = MEANINGS;
    const ENCRYPTED: usize = ENCRYPTED;
    const NOTES: usize = NOTES;
    const DETAILS: &'static str = "\n## Connections in detail\n";
    const DETAILS_END: &'static str = "";
    const END: &'static str = "";
    const NONE: &'static str = "\nNo WebSocket connection to show.\n";
    const FORMAT: &'static str = "markdown";
    const ALSO_LEFT_OUT: &'static str = ", and each section's table of the frames around the close";

    fn sink(&self) -> &Markdown {
        &Markdown
    }

    fn head(&self, report: &Report, hashes: &[Option<String>]) -> String {
        let mut head = title(report);
        document::header(&mut head, report, hashes, &Markdown);
        head
    }

    // The command line and the input paths count as a fixed allowance, not as their
    // length: which sections fit must not depend on where the capture lies or on flags
    // that change nothing in the report (a path longer than its allowance makes the report
    // that much longer than the limit).
    fn head_budget(&self, head: &str, report: &Report) -> usize {
        head_budget(head, report)
    }

    fn table_head(&self, names: &Names) -> String {
        table_head(names)
    }

    fn row(&self, o: &mut String, c: &ConnectionReport, names: &Names, _link: bool) {
        row(o, c, names);
    }

    fn rows_end(&self, o: &mut String, left_out: Option<(u64, u64, usize)>) {
        if let Some((n, total, limit)) = left_out.filter(|(n, ..)| *n > 0) {
            document::rows_left_out(o, n, total, limit, &Markdown);
        }
    }

    fn connection(&self, o: &mut String, c: &ConnectionReport, walk: &Walk<'_>, full: bool) {
        connection(o, c, walk.inputs, &walk.names, &walk.statuses, full);
    }
}

/// The first line: what the report shows, fit for a ticket's title.
fn title(report: &Report) -> String {
    format!("# {}\n\n", super::summary_line(report, md))
}

/// Characters of the head, with the command line counted as [`COMMAND_ALLOWANCE`] and
/// [`PATH_ALLOWANCE`] per input it names, each input's path as [`PATH_ALLOWANCE`], the
/// rest as written.
fn head_budget(head: &str, report: &Report) -> usize {
    let own = |s: &str| md(s).chars().count();
    let variable = report.command.as_deref().map_or(0, own)
        + report.inputs.iter().map(|i| own(&i.path)).sum::<usize>();
    // The command line names every input too.
    let allowance = report.command.as_ref().map_or(0, |_| {
        COMMAND_ALLOWANCE + report.inputs.len() * PATH_ALLOWANCE
    }) + report.inputs.len() * PATH_ALLOWANCE;
    head.chars().count() - variable.min(head.chars().count()) + allowance
}

/// What the command line counts for in the size limit, whatever its length.
const COMMAND_ALLOWANCE: usize = 256;
/// What an input's path counts for in the size limit, whatever its length.
const PATH_ALLOWANCE: usize = 96;

fn table_head(names: &Names) -> String {
    let file = if names.0.is_some() { " File |" } else { "" };
    let line = if names.0.is_some() { "---|" } else { "" };
    format!(
        "\n## Connections\n\n| # |{file} Status | Closed by | Codes | Reason | Packets |\n|---:|{line}---|---|---|---|---|\n"
    )
}

/// A row of the overview table.
fn row(o: &mut String, c: &ConnectionReport, names: &Names) {
    let r = crate::report::row::overview(c, names.of_connection(c));
    match r.h2_stream {
        Some(n) => {
            let _ = write!(o, "| {} (h2 stream {n}) |", r.id);
        }
        None => {
            let _ = write!(o, "| {} |", r.id);
        }
    }
    if let Some(name) = r.file {
        let _ = write!(o, " {} |", md(name));
    }
    let reason = r.reason.map_or("—".to_string(), |(shown, cut)| {
        format!("{}{}", md(&shown), if cut { "…" } else { "" })
    });
    // The application's verdict leads, as in the table.
    let status = match r.verdict {
        Some(app) => format!("{app}; {}", r.status),
        None => r.status,
    };
    let _ = writeln!(
        o,
        " {} | {} | {} | {reason} | {}–{} |",
        md(&status),
        r.closed_by,
        r.codes,
        r.first_packet,
        r.last_packet
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::statuses::Statuses;
    use crate::report::RENDER_CHUNK;

    /// Connections rendered in parts on the rendering threads come out whole and in id
    /// order: the same text as one pass over them.
    #[test]
    fn parts_rendered_on_threads_come_out_in_order() {
        let report = crate::report::repeated_fixture_report(3 * RENDER_CHUNK + 5);
        let text = render_with(&report, &[], None);
        let names = Names::of(&report);
        let mut statuses = Statuses::default();
        for c in &report.connections {
            statuses.add(c);
        }
        let mut one_pass = String::new();
        for c in &report.connections {
            connection(&mut one_pass, c, &report.inputs, &names, &statuses, true);
        }
        let start = text.find("\n<details>").unwrap();
        assert_eq!(&text[start..], one_pass);
        let ids: Vec<u64> = text
            .match_indices("<summary>Connection ")
            .map(|(at, m)| {
                let rest = &text[at + m.len()..];
                rest[..rest.find(':').unwrap()].parse().unwrap()
            })
            .collect();
        assert_eq!(
            ids,
            (1..=report.connections.len() as u64).collect::<Vec<_>>()
        );
    }
}
