//! The document every report but the data formats shares, walked once: which blocks a
//! report holds, in what order (the incidents first), what each line and cell says, and
//! within a size limit which connections fit ([`write()`], the one walk); a [`Layout`]
//! (Markdown's, HTML's, the terminal table's) gives what a format writes around the
//! blocks, a [`Sink`] decides only the markup and the escape. The terminal's sink has a
//! brief form ([`Sink::brief`]) that says first sentences.
//!
//! In: a [`Report`] and its connections. Out: through a sink, the header ([`header()`]: the
//! tool, command line, each input with the facts `report::facts::inputs` counts once, live
//! drops, refused tunnels, redaction, selection; the ticket reports write it as labelled
//! lines, the terminal as a line per input with the notes under them), the meaning of each status
//! ([`meanings`]), a connection's close frames ([`close_frames`]) and findings
//! ([`findings`]), and the encrypted connections ([`encrypted`]). A fact added here
//! appears in every format that walks the document; one a format words its own way (the
//! overview's row, the frames around the close) stays in that format.
//!
//! The words are the model's or this walker's, as [`Span`]s: the tool's own words
//! ([`Span::Own`]: Markdown writes them as they are, HTML escapes them as everything),
//! text from the model or the wire ([`Span::Text`]: escaped by both), a value to copy
//! ([`Span::Value`]), a command to type ([`Span::Code`]) and a warning ([`Span::Bad`]).

mod doubts;
mod header;
mod incidents;
mod walk;

pub(crate) use doubts::doubts;
pub(crate) use header::{header, Header, REDACTED};
pub(crate) use incidents::incidents;
pub(crate) use walk::{write, Layout, Walk};

use crate::report::facts::{self, Fact, Place};
use crate::report::statuses::{SameFix, Status, Statuses};
use crate::report::{ConnectionReport, Report};
use crate::vocab::InputSummary;
use rustc_hash::FxHashMap;

/// A piece of a line or a cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Span {
    /// The tool's own words, numbers and names: nothing a format's markup reads in them.
    Own(String),
    /// Text from the model or the wire: escaped for the medium.
    Text(String),
    /// A value the reader copies (a hash, the command line): set apart where the format
    /// can, else escaped in the line.
    Value(String),
    /// A command to type: code in every format.
    Code(String),
    /// Something that went wrong, with its sign.
    Bad(String),
}

fn own(s: impl Into<String>) -> Span {
    Span::Own(s.into())
}

fn text(s: impl Into<String>) -> Span {
    Span::Text(s.into())
}

/// A column of a table: its title, whether it holds numbers (aligned right), and whether
/// it holds text from the wire (marked as such where the format can).
pub(crate) struct Column {
    pub title: &'static str,
    pub numeric: bool,
    pub wire: bool,
}

impl Column {
    /// A column of words.
    pub(crate) const fn col(title: &'static str) -> Column {
        Column {
            title,
            numeric: false,
            wire: false,
        }
    }

    /// A column of numbers.
    pub(crate) const fn num(title: &'static str) -> Column {
        Column {
            title,
            numeric: true,
            wire: false,
        }
    }

    /// A column of text from the wire.
    pub(crate) const fn wire(title: &'static str) -> Column {
        Column {
            title,
            numeric: false,
            wire: true,
        }
    }
}

/// A table's kind, for the formats that style each (HTML's class).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TableKind {
    Closes,
    Frames,
    Findings,
    Encrypted,
}

/// The colour of a status: a clean close, one to look at (1005, no code, still open), a
/// problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tone {
    Ok,
    Warn,
    Bad,
}

/// What each status means, for [`Sink::status`].
pub(crate) struct StatusBlock<'a> {
    pub label: &'a str,
    pub tone: Tone,
    pub count: u64,
    /// The ids listed (some of `count` when there are many).
    pub ids: &'a [u64],
    /// Labelled lines: what each application saw, the cause, the fix, the fixes some of
    /// its connections have of their own; an empty label: a line of the walk's own.
    pub lines: Vec<(String, String)>,
    /// In the brief form, the statuses said with it because their lines are the same
    /// (the private-use codes, the clean closes): label, tone, count, ids.
    pub with: Vec<(&'a str, Tone, u64, &'a [u64])>,
}

/// The markup of a format: every method writes one block into `o`, in the format's
/// markup, escaping [`Span::Text`] as the medium needs.
pub(crate) trait Sink {
    /// The size of a block, as the format counts its limit.
    fn size(&self, s: &str) -> usize;
    /// What [`Sink::size`] counts, in the notes on what was left out to fit.
    fn unit(&self) -> &'static str {
        "characters"
    }
    /// Spans in a line.
    fn spans(&self, o: &mut String, spans: &[Span]);
    /// A paragraph.
    fn paragraph(&self, o: &mut String, spans: &[Span]);
    /// A note on what was left out.
    fn note(&self, o: &mut String, spans: &[Span]);
    /// A block's small heading ("Findings").
    fn heading(&self, o: &mut String, title: &str);
    /// A section's start, with its heading.
    fn section(&self, o: &mut String, id: &str, title: &str);
    /// A section's end.
    fn section_end(&self, o: &mut String);
    /// The header's list of labelled lines: its start.
    fn meta_start(&self, o: &mut String);
    /// A labelled line of the header, with warnings under it; `warn`: the whole line is one.
    fn meta(&self, o: &mut String, label: &str, value: &[Span], warnings: &[String], warn: bool);
    /// The header's end.
    fn meta_end(&self, o: &mut String);
    /// A table's head.
    fn table_head(&self, o: &mut String, kind: TableKind, columns: &[Column]);
    /// A table's row.
    fn table_row(&self, o: &mut String, columns: &[Column], cells: &[Vec<Span>]);
    /// A table's end.
    fn table_end(&self, o: &mut String);
    /// What a status means.
    fn status(&self, o: &mut String, s: &StatusBlock<'_>);
    /// The header block: the ticket reports' labelled lines ([`header::labelled`]) unless
    /// the format writes it in a form of its own.
    fn header(&self, o: &mut String, h: &Header<'_>)
    where
        Self: Sized,
    {
        header::labelled(o, h, self);
    }
    /// An incident's picture (its ends and reconnects over time), where the format draws.
    fn incident_picture(&self, _o: &mut String, _i: &crate::vocab::Incident) {}
    /// The brief form (the terminal's short answer): a catalog text's first sentence
    /// where the blocks would give it whole, each connection's own fixes a few at most.
    fn brief(&self) -> bool {
        false
    }
}

/// `text`, or its first sentence in the brief form.
fn said<'t>(s: &impl Sink, text: &'t str) -> &'t str {
    if s.brief() {
        super::text::first_sentence(text)
    } else {
        text
    }
}

/// The note under an overview table cut to fit `limit`: `n` of `total` connections are
/// not in it.
pub(crate) fn rows_left_out(o: &mut String, n: u64, total: u64, limit: usize, s: &impl Sink) {
    s.note(
        o,
        &[
            own(format!(
                "{n} of {total} connections are not in this table (clean closes first, to fit {limit} {}); ",
                s.unit()
            )),
            Span::Code("--full".into()),
            own(" lists them all."),
        ],
    );
}

/// The note on the connections' sections left out to fit `limit`: `n` of them, `ids` in
/// words, and `also` what else a format leaves out of a limited report (each a clause);
/// `format`: the `--format` that shows it all with `--full`.
pub(crate) fn sections_left_out(
    o: &mut String,
    n: u64,
    ids: &str,
    limit: usize,
    (format, also): (&str, &str),
    s: &impl Sink,
) {
    s.note(
        o,
        &[
            own(format!(
                "Left out to fit {limit} {}: the details of {n} connection{} ({ids}; problems are shown before clean closes){also}. ",
                s.unit(),
                if n == 1 { "" } else { "s" },
            )),
            Span::Code(format!("wsclose analyze --format {format} --full")),
            own(" shows it all; "),
            Span::Code("--connection ID".into()),
            own(" one connection."),
        ],
    );
}

/// The note above a list of every frame of `c` (`--timeline`) that not all were kept:
/// how many earlier frames fell out of the frame log. Nothing when none did.
pub(crate) fn frames_left_out(o: &mut String, c: &ConnectionReport, s: &impl Sink) {
    if let Some(n) = c.timeline_frames_left_out().filter(|n| *n > 0) {
        s.paragraph(
            o,
            &[own(format!(
                "({n} earlier frames fell out of the frame log and are not listed)"
            ))],
        );
    }
}

/// The colour of a connection's status: clean closes, 1005 and no code, the rest.
pub(crate) fn tone(c: &ConnectionReport) -> Tone {
    if facts::clean_close(c) {
        Tone::Ok
    } else if matches!(c.status.code, Some(1005) | None) {
        Tone::Warn
    } else {
        Tone::Bad
    }
}

/// The colour of a status by its key in `summary.by_status` or its label's first word:
/// clean closes, 1005 and the statuses without a code, the rest.
pub(crate) fn tone_of_key(key: &str) -> Tone {
    if facts::clean_key(key) {
        Tone::Ok
    } else if key == "1005" || !key.starts_with(char::is_numeric) {
        Tone::Warn
    } else {
        Tone::Bad
    }
}

/// Fixes of their own said per status in the brief form, before "and N more".
const OWN_FIXES: usize = 3;

/// "connection 3", "connections 1, 4, …": `count` connections, of which `ids` are listed.
pub(crate) fn connections(ids: &[u64], count: u64) -> String {
    let mut l: Vec<String> = ids.iter().map(u64::to_string).collect();
    if count > ids.len() as u64 {
        l.push("…".into());
    }
    format!(
        "connection{} {}",
        if count == 1 { "" } else { "s" },
        l.join(", ")
    )
}

/// The lines of status `g`: what each application saw, what it means, its fix, and the
/// fixes of its connections that are their own (fitted to what the capture shows: a
/// proxy's idle timeout in seconds, the packet to read the logs at), known where
/// `statuses` were made [`Statuses::with_fixes`]: one shared by all of them is the
/// status's fix there, else a line for each (a few in the brief form). Without fix groups
/// (the ticket reports), the own fix every connection shares is the status's fix, else the
/// fix counts those that have one of their own.
fn status_lines(g: &Status, fixes: &[&SameFix], s: &impl Sink) -> Vec<(String, String)> {
    let mut lines: Vec<(String, String)> = g
        .apps
        .iter()
        .map(|a| (a.label.to_string(), a.text()))
        .collect();
    if s.brief() && g.is_clean() {
        lines.push((String::new(), "clean closes, nothing to fix.".into()));
        return lines;
    }
    if !g.cause.is_empty() {
        lines.push(("Cause".into(), said(s, &g.cause).to_string()));
    }
    let mut own = Vec::new();
    let (mut generic, mut more) = (false, 0);
    for f in fixes {
        let fix = said(s, &f.fix);
        if f.fix == g.fix || fix.is_empty() {
            generic = true;
        } else if !s.brief() || own.len() < OWN_FIXES {
            let ids = f.ids.get(..f.ids.len().min(8)).unwrap_or_default();
            own.push((connections(ids, f.ids.len() as u64), fix.to_string()));
        } else {
            more += 1;
        }
    }
    match own.as_slice() {
        // Without fix groups (the ticket reports keep none: they are bounded by their
        // size, not the capture's), what the connections' own fixes come to: the one
        // they all share leads, else a note that each section has its own.
        [] if fixes.is_empty() => match g.shared_fix.as_deref().map(|f| said(s, f)) {
            Some(shared) if !shared.is_empty() && g.own_fixes > 0 => {
                lines.push(("Fix".into(), shared.to_string()));
            }
            _ => {
                let mut fix = said(s, &g.fix).to_string();
                if g.own_fixes > 0 {
                    let one = g.own_fixes == 1;
                    fix.push_str(&format!(
                        " ({} of these connections {} a fix of {} own, in {} section{}.)",
                        g.own_fixes,
                        if one { "has" } else { "have" },
                        if one { "its" } else { "their" },
                        if one { "its" } else { "their" },
                        if one { "" } else { "s" },
                    ));
                }
                lines.push(("Fix".into(), fix));
            }
        },
        [] => lines.push(("Fix".into(), said(s, &g.fix).to_string())),
        [(_, only)] if !generic && more == 0 => lines.push(("Fix".into(), only.clone())),
        _ => {
            if generic {
                lines.push(("Fix".into(), said(s, &g.fix).to_string()));
            }
            for (who, fix) in own {
                lines.push((format!("Fix for {who}"), fix));
            }
            if more > 0 {
                lines.push((
                    String::new(),
                    format!(
                        "({more} more fix{} of their own: -v)",
                        if more == 1 { "" } else { "es" }
                    ),
                ));
            }
        }
    }
    lines
}

/// What each status means (problems first, then by count), within `limit` (as the sink
/// counts) if given; the statuses past it are named with `wsclose explain`.
pub(crate) fn meanings(o: &mut String, statuses: &Statuses, limit: Option<usize>, s: &impl Sink) {
    let start = o.len();
    s.section(o, "statuses", "What the statuses mean");
    let mut not_shown = Vec::new();
    let key = |g: &Status| g.label.split(' ').next().unwrap_or_default().to_string();
    // Each status's fix groups, found in one pass (a capture has thousands of each).
    let mut fixes: FxHashMap<*const Status, Vec<&SameFix>> = FxHashMap::default();
    for (st, f) in statuses.by_fix() {
        fixes.entry(std::ptr::from_ref(st)).or_default().push(f);
    }
    let mut blocks: Vec<(StatusBlock<'_>, Vec<String>)> = Vec::new();
    // In the brief form, the block of each set of lines, to say the same statuses with.
    let mut by_lines: FxHashMap<Vec<(String, String)>, usize> = FxHashMap::default();
    for g in statuses.problems_first() {
        let own = fixes
            .get(&std::ptr::from_ref(g))
            .map_or(&[][..], Vec::as_slice);
        let lines = status_lines(g, own, s);
        let tone = tone_of_key(&key(g));
        // The brief form says statuses whose lines are the same together, unless what
        // their applications said or their own fixes set them apart.
        let alone = !s.brief()
            || lines
                .iter()
                .any(|(l, _)| l.starts_with("Fix for") || l == "Application" || l == "Known cause");
        let next = blocks.len();
        if !alone {
            by_lines.entry(lines.clone()).or_insert(next);
        }
        let same = match by_lines.get(&lines).filter(|&&i| i != next) {
            Some(&i) if !alone => blocks.get_mut(i),
            _ => None,
        };
        match same {
            Some((b, keys)) => {
                b.with.push((&g.label, tone, g.count, &g.ids));
                keys.push(key(g));
            }
            None => blocks.push((
                StatusBlock {
                    label: &g.label,
                    tone,
                    count: g.count,
                    ids: &g.ids,
                    lines,
                    with: Vec::new(),
                },
                vec![key(g)],
            )),
        }
    }
    for (b, keys) in blocks {
        let mut block = String::new();
        s.status(&mut block, &b);
        if limit.is_some_and(|l| s.size(&o[start..]) + s.size(&block) > l) {
            for k in keys {
                if !not_shown.contains(&k) {
                    not_shown.push(k);
                }
            }
            continue;
        }
        o.push_str(&block);
    }
    if !not_shown.is_empty() {
        s.note(
            o,
            &[
                own("Left out to fit: what "),
                text(not_shown.join(", ")),
                own(format!(
                    " mean{} (",
                    if not_shown.len() == 1 { "s" } else { "" }
                )),
                Span::Code("wsclose explain CODE".into()),
                own(" says it)."),
            ],
        );
    }
    s.section_end(o);
}

const CLOSES: [Column; 7] = [
    Column::num("Close at packet"),
    Column::col("Time"),
    Column::col("From"),
    Column::num("Code"),
    Column::col("Name"),
    Column::wire("Reason"),
    Column::col("Problems"),
];

/// A connection's close frames: when, from whom, the code, its name, the reason and what
/// was wrong with each.
pub(crate) fn close_frames(o: &mut String, c: &ConnectionReport, s: &impl Sink) {
    if c.close_frames.is_empty() {
        s.paragraph(o, &[own("No close frame in the capture.")]);
        return;
    }
    s.table_head(o, TableKind::Closes, &CLOSES);
    for f in &c.close_frames {
        let cells = [
            vec![own(f.packet.to_string())],
            vec![text(f.time.rfc3339())],
            vec![own(f.from.to_string())],
            vec![own(f.code.map_or("—".into(), |v| v.to_string()))],
            vec![f.name.map_or(own("no status code"), text)],
            vec![if f.reason.is_empty() {
                own("—")
            } else {
                text(&f.reason)
            }],
            vec![if f.problems.is_empty() {
                own("—")
            } else {
                text(facts::problem_names(&f.problems))
            }],
        ];
        s.table_row(o, &CLOSES, &cells);
    }
    s.table_end(o);
}

const FINDINGS: [Column; 4] = [
    Column::num("Packet"),
    Column::col("From"),
    Column::col("Kind"),
    Column::wire("Detail"),
];

/// A connection's findings, and how many more were not kept.
pub(crate) fn findings(o: &mut String, c: &ConnectionReport, s: &impl Sink) {
    if c.findings.is_empty() {
        return;
    }
    s.heading(o, "Findings");
    s.table_head(o, TableKind::Findings, &FINDINGS);
    for f in &c.findings {
        let cells = [
            vec![own(f.packet.map_or("—".into(), |p| p.to_string()))],
            vec![own(f.from.map_or("—", |r| r.as_str()))],
            vec![own(f.kind.as_str())],
            vec![text(&f.detail)],
        ];
        s.table_row(o, &FINDINGS, &cells);
    }
    s.table_end(o);
    if c.findings_dropped > 0 {
        s.note(
            o,
            &[own(format!(
                "…and {} more findings not listed.",
                c.findings_dropped
            ))],
        );
    }
}

const ENCRYPTED: [Column; 4] = [
    Column::col("Client → server"),
    Column::wire("TLS"),
    Column::col("Not read because"),
    Column::col("TCP"),
];

/// The TLS connections that could not be read, and what to do about each reason; within
/// `limit` bytes if given.
pub(crate) fn encrypted(report: &Report, limit: Option<usize>, s: &impl Sink) -> String {
    let seen = &report.seen;
    let mut o = String::new();
    s.section(&mut o, "encrypted", "Encrypted connections");
    s.table_head(&mut o, TableKind::Encrypted, &ENCRYPTED);
    let mut not_listed = seen.encrypted_not_listed;
    for (i, e) in seen.encrypted.iter().enumerate() {
        let mut tls = crate::report::words::tls::parts(&e.tls).join(", ");
        if e.without_sni() {
            tls.push_str(", no SNI");
        }
        let cells = [
            vec![
                text(e.client.to_string()),
                own(" → "),
                text(e.server.to_string()),
            ],
            vec![text(tls)],
            vec![text(crate::report::words::tls::why(e))],
            vec![text(crate::report::words::tls::tcp_end_text(
                e.first_end.as_ref(),
            ))],
        ];
        let mut line = String::new();
        s.table_row(&mut line, &ENCRYPTED, &cells);
        if limit.is_some_and(|l| o.len() + line.len() > l) {
            not_listed += (seen.encrypted.len() - i) as u64;
            break;
        }
        o.push_str(&line);
    }
    s.table_end(&mut o);
    if not_listed > 0 {
        s.note(
            &mut o,
            &[
                own(format!(
                    "… and {not_listed} more encrypted connections (counted, not listed; "
                )),
                Span::Code("--format json".into()),
                own(format!(" lists up to {}).", seen.max_encrypted())),
            ],
        );
    }
    for line in crate::report::words::tls::advice_lines(&seen.encrypted) {
        s.paragraph(&mut o, &[text(line)]);
    }
    s.section_end(&mut o);
    o
}

/// What a connection's section is headed with.
pub(crate) struct Heading<'a> {
    pub id: u64,
    pub client: String,
    pub server: String,
    /// The status's label.
    pub status: String,
    pub tone: Tone,
    /// The HTTP/2 stream the WebSocket is carried on.
    pub h2_stream: Option<u32>,
    /// The input's file name, when there are several.
    pub file: Option<&'a str>,
}

/// A connection's section in a format, beyond the blocks of [`Sink`]: its heading, its
/// facts (the headline and lead ones, then the rows), where its pictures go, and its end.
pub(crate) trait Section {
    /// The section's start and heading.
    fn start(&self, o: &mut String, h: &Heading<'_>);
    /// A headline or lead fact.
    fn lead(&self, o: &mut String, f: &Fact);
    /// What comes between the lead facts and the rows (pictures).
    fn after_lead(&self, o: &mut String, c: &ConnectionReport);
    /// The list of facts: its start.
    fn rows_start(&self, o: &mut String);
    /// A fact of the list.
    fn row(&self, o: &mut String, f: &Fact);
    /// The list's end.
    fn rows_end(&self, o: &mut String);
    /// What comes after the facts (pictures).
    fn after_facts(&self, o: &mut String, c: &ConnectionReport);
    /// The frames around the close, as the format lists them (or not).
    fn frames(&self, o: &mut String, c: &ConnectionReport);
    /// The section's end.
    fn end(&self, o: &mut String);
}

/// One connection's section: its heading, its facts ([`facts::facts`], with the fix its
/// status group shares left to the group), the pictures where the format puts them, its
/// close frames, the frames around the close and its findings.
pub(crate) fn connection(
    o: &mut String,
    c: &ConnectionReport,
    inputs: &[InputSummary],
    file: Option<&str>,
    statuses: &Statuses,
    sink: &impl Sink,
    section: &impl Section,
) {
    section.start(
        o,
        &Heading {
            id: c.id,
            client: c.client.to_string(),
            server: c.server.to_string(),
            status: crate::report::statuses::label(c),
            tone: tone(c),
            h2_stream: c.h2_stream,
            file,
        },
    );
    let facts = facts::facts(c, inputs, statuses.of(c).map(|g| g.fix.as_str()));
    for f in facts.iter().filter(|f| f.place != Place::Row) {
        section.lead(o, f);
    }
    section.after_lead(o, c);
    section.rows_start(o);
    for f in facts.iter().filter(|f| f.place == Place::Row) {
        section.row(o, f);
    }
    section.rows_end(o);
    section.after_facts(o, c);
    close_frames(o, c, sink);
    section.frames(o, c);
    findings(o, c, sink);
    section.end(o);
}

#[cfg(test)]
mod tests;
