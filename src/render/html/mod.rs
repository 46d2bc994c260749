//! `--format html`: a report to attach to any ticket (Jira, Linear, e-mail, a chat), one
//! file that any browser opens with no network.
//!
//! In: a [`Report`] (connections in memory or in its store), each input's SHA-256 (computed
//! by the caller, or for a stream as it was read), and a size limit ([`LIMIT`] bytes by
//! default, none with `--full`). Out: one HTML5 document with its CSS inline (light and
//! dark by `prefers-color-scheme`, and for print) and its pictures as inline SVG; no
//! script, font, image or stylesheet from elsewhere. It holds a one-line summary; the
//! tool, command line and inputs; the overview table of every connection in id order
//! (client → server, status coloured by tone, who closed, codes, reason, the quiet spell
//! before the end, packets); each
//! status's cause and fix once; then per connection what the capture shows, the evidence,
//! its own fix, a sequence picture of its last moments (`sequence`: both legs when a
//! proxy is in between), a timeline drawn to scale (`timeline`), the facts (TLS,
//! handshake, how TCP and an HTTP/2 stream ended, the Wireshark filter), the close frames,
//! the frames around the close and the findings; then the TLS connections that could not
//! be read.
//!
//! Within the limit, by the walk the Markdown report takes too (`document::write`, given
//! this module's `Layout`): the connections are read twice; the first pass sizes every
//! row and section and keeps the best that fit (problems first, then by id; the rows kept
//! are shown in id order), the second writes them; the report says what it left out and
//! that `--full` shows it all.
//!
//! Every string of the model goes through one function, `sanitize::html` (control and
//! invisible characters made visible as for a terminal, then `& < > " '` as character
//! references), in text, attributes and SVG alike, so nothing from the wire becomes markup.

mod sequence;
mod sink;
mod timeline;

pub use sequence::AppMessage;

use super::document::{self, Column, Heading, Layout, Section, Sink, Span, TableKind, Walk};
use super::Names;
use crate::report::facts::{self, Fact, Piece, Place};
use crate::report::{ConnectionReport, Report};
use sequence::Sketch;
use sink::Html;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write;

/// The default size of a report, in bytes: what a ticket's attachment and a mail carry
/// without trouble, and a browser opens at once.
pub const LIMIT: usize = 2_000_000;

/// The frames kept per direction for the pictures when `--timeline` is not given: the
/// last ones before the end, enough for the sequence and the timeline's closing seconds.
pub const FRAME_LOG: usize = 64;

/// Frames listed in a section's table of the frames around the close; with `--timeline`,
/// at most [`FRAMES_LISTED`].
const AROUND_CLOSE: usize = 12;
const FRAMES_LISTED: usize = 200;

/// The columns of the table of frames.
const FRAMES: [Column; 9] = [
    Column::num("Packet"),
    Column::num("Time"),
    Column::col("From"),
    Column::col("Opcode"),
    Column::col("FIN"),
    Column::col("RSV"),
    Column::col("Mask"),
    Column::num("Length"),
    Column::wire("Detail"),
];

/// Bytes kept back for the notes on what was left out and the end of the document.
const NOTES: usize = 2_000;

/// Bytes the status meanings and the encrypted connections may each take of a limited
/// report.
const MEANINGS: usize = 32_768;
const ENCRYPTED: usize = 32_768;

/// Bytes a section may grow by when the other leg of its proxied session is drawn in it
/// (the other leg is read after the section was sized).
const OTHER_LEG: usize = 240 * sequence::SKETCH_EVENTS;

/// Legs of proxied sessions whose sketch is kept for the other leg's picture; past this,
/// a leg is drawn alone.
const SKETCHES: usize = 20_000;

/// The one escape for everything written into the document.
fn h(s: &str) -> String {
    crate::sanitize::html(s)
}

/// The whole report as a string, within [`LIMIT`] bytes. `hashes[i]` is the SHA-256 of
/// input `i`, when it could be computed.
pub fn render(report: &Report, hashes: &[Option<String>]) -> String {
    render_with(report, hashes, Some(LIMIT))
}

/// The whole report as a string, within `limit` bytes if given.
pub fn render_with(report: &Report, hashes: &[Option<String>], limit: Option<usize>) -> String {
    let mut buf = Vec::new();
    let _ = write_with(report, hashes, limit, &mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

/// Writes the report within [`LIMIT`] bytes.
pub fn write(
    report: &Report,
    hashes: &[Option<String>],
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    write_with(report, hashes, Some(LIMIT), out)
}

/// The HTML report around its blocks: the document's head and end, the overview's rows,
/// and the sections with their pictures; it keeps the
/// other legs' sketches seen in the first pass.
struct Page {
    sketches: HashMap<u64, Sketch>,
    frame_log: usize,
}

impl Page {
    /// The sketch of the other leg of `c`'s session, if `c` is a leg and it was kept.
    fn other_leg(&self, c: &ConnectionReport) -> Option<&Sketch> {
        self.sketches.get(&c.leg.as_ref()?.other_leg)
    }
}

/// Writes the report, within `limit` bytes if given (else every connection's section:
/// `--full`), as `document::write` walks it. Connections are read back from the store,
/// never held whole.
pub fn write_with(
    report: &Report,
    hashes: &[Option<String>],
    limit: Option<usize>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut page = Page {
        sketches: HashMap::new(),
        frame_log: FRAME_LOG,
    };
    document::write(report, hashes, limit, &mut page, out)
}

impl Layout for Page {
    type Sink = Html;
    const MEANINGS: usize = MEANINGS;
    const ENCRYPTED: usize = ENCRYPTED;
    const NOTES: usize = NOTES;
    const DETAILS: &'static str = DETAILS;
    const DETAILS_END: &'static str = "</section>\n";
    const END: &'static str = END;
    const NONE: &'static str = "<p>No WebSocket connection to show.</p>\n";
    const FORMAT: &'static str = "html";
    const ALSO_LEFT_OUT: &'static str = "";

    fn sink(&self) -> &Html {
        &Html
    }

    fn observe(&mut self, c: &ConnectionReport) {
        if c.leg.is_some() && self.sketches.len() < SKETCHES {
            if let Some(s) = Sketch::of(c) {
                self.sketches.insert(c.id, s);
            }
        }
    }

    fn head(&self, report: &Report, hashes: &[Option<String>]) -> String {
        let mut head = String::new();
        document_head(&mut head, report);
        document::header(&mut head, report, hashes, &Html);
        head
    }

    fn table_head(&self, names: &Names) -> String {
        table_head(names)
    }

    fn row(&self, o: &mut String, c: &ConnectionReport, names: &Names, link: bool) {
        row(o, c, names, link);
    }

    fn unlink<'r>(&self, row: &'r str, id: u64) -> Cow<'r, str> {
        Cow::Owned(unlink(row, id))
    }

    fn rows_end(&self, o: &mut String, left_out: Option<(u64, u64, usize)>) {
        let Some((n, total, limit)) = left_out else {
            o.push_str("</tbody></table></section>\n");
            return;
        };
        o.push_str("</tbody></table>\n");
        if n > 0 {
            document::rows_left_out(o, n, total, limit, &Html);
        }
        o.push_str("</section>\n");
    }

    fn connection(&self, o: &mut String, c: &ConnectionReport, walk: &Walk<'_>, _full: bool) {
        connection(o, c, self, walk);
    }

    // The other leg is drawn in the section, and read after it was sized.
    fn slack(&self, c: &ConnectionReport) -> usize {
        if c.leg.is_some() {
            OTHER_LEG
        } else {
            0
        }
    }
}

/// A row without the link to its section.
fn unlink(row: &str, id: u64) -> String {
    row.replacen(&format!("<a href=\"#c{id}\">{id}</a>"), &id.to_string(), 1)
}

const DETAILS: &str = "<section id=\"details\"><h2>Connections in detail</h2>\n";
const END: &str = "</main>\n</body>\n</html>\n";

/// The document's start: its head (title, inline style) and the summary line.
fn document_head(o: &mut String, report: &Report) {
    let title = super::summary_line(report, |s| s.to_string());
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"color-scheme\" content=\"light dark\">\n<meta name=\"generator\" content=\"{}\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n",
        h(&report.tool),
        h(&title),
        h(&title)
    );
    // The statuses at a glance, problems first.
    o.push_str("<p class=\"glance\">");
    for (key, n) in super::statuses_in_order(report) {
        let label = crate::report::statuses::key_label(key);
        let class = match key.as_str() {
            k if facts::clean_key(k) => "ok",
            "1005" | "open" | "evicted" | "unknown" => "warn",
            _ => "bad",
        };
        let _ = write!(
            o,
            "<span class=\"chip {class}\">{n} × {}</span> ",
            h(&label)
        );
    }
    o.push_str("</p>\n");
}

fn table_head(names: &Names) -> String {
    let file = if names.0.is_some() {
        "<th>File</th>"
    } else {
        ""
    };
    format!(
        "<section id=\"connections\"><h2>Connections</h2>\n<table class=\"overview\"><thead><tr><th>#</th>{file}<th>Client → server</th><th>Host / path</th><th>Status</th><th>Closed by</th><th>Codes</th><th>Reason</th><th>Quiet before the end</th><th>Packets</th></tr></thead><tbody>\n"
    )
}

/// An endpoint for the overview: escaped, kept whole (`ep`: no break inside), an IPv6
/// one with a break allowed after each colon (`ep6`) so that it fits a narrow page.
fn endpoint(text: &str) -> String {
    let escaped = h(text);
    if text.starts_with('[') {
        format!(
            "<span class=\"ep6\">{}</span>",
            escaped.replace(':', ":<wbr>")
        )
    } else {
        format!("<span class=\"ep\">{escaped}</span>")
    }
}

/// The characters of a request target the overview shows before cutting it.
const TARGET_SHOWN: usize = 80;

/// The upgrade request's Host and path, as the table's `host/path` (escaped, cut at
/// [`TARGET_SHOWN`] characters), or a dash when neither was captured.
fn target(c: &ConnectionReport) -> String {
    let hs = &c.handshake;
    let text = format!(
        "{}{}",
        hs.host.as_deref().unwrap_or_default(),
        hs.path.as_deref().unwrap_or_default()
    );
    if text.is_empty() {
        return "—".into();
    }
    let shown: String = text.chars().take(TARGET_SHOWN).collect();
    let cut = if shown.len() < text.len() { "…" } else { "" };
    let host = hs.host.as_deref().map_or(0, str::len);
    format!("{}{cut}", breakable(&shown, host))
}

/// A request target escaped, with a line break allowed only where a reader expects one:
/// before each `/` of the path and after its `?` and each `&`. The first `host` bytes (the
/// Host, `127.0.0.1:8765`) are never broken; the cell breaks a piece only when it alone is
/// wider than the column (`td.tgt`: `overflow-wrap: break-word`, which unlike `anywhere`
/// does not let the table squeeze the column to a character).
fn breakable(text: &str, host: usize) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut piece = String::new();
    for (i, c) in text.char_indices() {
        let path = i >= host;
        if path && c == '/' && !piece.is_empty() {
            out.push_str(&h(&piece));
            out.push_str("<wbr>");
            piece.clear();
        }
        piece.push(c);
        if path && matches!(c, '?' | '&') {
            out.push_str(&h(&piece));
            out.push_str("<wbr>");
            piece.clear();
        }
    }
    out.push_str(&h(&piece));
    out
}

/// A row of the overview table (linked to the connection's section when `link`).
fn row(o: &mut String, c: &ConnectionReport, names: &Names, link: bool) {
    let r = crate::report::row::overview(c, names.of_connection(c));
    let tone = sink::tone(document::tone(c));
    let _ = write!(o, "<tr class=\"{tone}\"><td class=\"n\">");
    if link {
        let _ = write!(o, "<a href=\"#c{id}\">{id}</a>", id = r.id);
    } else {
        let _ = write!(o, "{}", r.id);
    }
    if let Some(n) = r.h2_stream {
        let _ = write!(o, " <small>h2 stream {n}</small>");
    }
    o.push_str("</td>");
    if let Some(name) = r.file {
        let _ = write!(o, "<td>{}</td>", h(name));
    }
    // Each endpoint whole on its line: a break only between them, or at an IPv6
    // address's colons, never inside a number.
    let _ = write!(
        o,
        "<td class=\"eps\">{} → {}</td><td class=\"tgt\">{}</td>",
        endpoint(&c.client.to_string()),
        endpoint(&c.server.to_string()),
        target(c)
    );
    let reason = r.reason.map_or("—".to_string(), |(shown, cut)| {
        format!("{}{}", h(&shown), if cut { "…" } else { "" })
    });
    // The application's verdict leads, as in the table.
    let app = r
        .verdict
        .map_or_else(String::new, |a| format!("<strong>{}</strong><br>", h(&a)));
    let quiet = r.quiet.unwrap_or_else(|| "—".to_string());
    let _ = writeln!(
        o,
        "<td>{app}<span class=\"st {tone}\">{}</span></td><td>{}</td><td>{}</td><td class=\"wire\">{reason}</td><td class=\"n\">{quiet}</td><td class=\"n\">{}–{}</td></tr>",
        h(&r.status),
        h(&r.closed_by),
        h(&r.codes),
        r.first_packet,
        r.last_packet
    );
}

/// One connection's section.
fn connection(o: &mut String, c: &ConnectionReport, page: &Page, walk: &Walk<'_>) {
    let file = walk.names.of_connection(c);
    document::connection(
        o,
        c,
        walk.inputs,
        file,
        &walk.statuses,
        &Html,
        &Drawn { page },
    );
}

/// The section with its pictures: what the capture shows and the evidence, the sequence
/// and the timeline, then the facts as a list of terms.
struct Drawn<'a> {
    page: &'a Page,
}

impl Section for Drawn<'_> {
    fn start(&self, o: &mut String, hd: &Heading<'_>) {
        let t = sink::tone(hd.tone);
        let _ = write!(
            o,
            "<section class=\"conn {t}\" id=\"c{id}\"><h3>Connection {id}: {} → {} <span class=\"st {t}\">{}</span>",
            h(&hd.client),
            h(&hd.server),
            h(&hd.status),
            id = hd.id
        );
        if let Some(n) = hd.h2_stream {
            let _ = write!(o, " <small>HTTP/2 stream {n}</small>");
        }
        if let Some(name) = hd.file {
            let _ = write!(o, " <small>{}</small>", h(name));
        }
        o.push_str("</h3>\n");
    }

    fn lead(&self, o: &mut String, f: &Fact) {
        let class = if f.place == Place::Headline {
            " class=\"what\""
        } else {
            ""
        };
        let _ = writeln!(
            o,
            "<p{class}><strong>{}:</strong> {}</p>",
            label(f),
            pieces(&f.line)
        );
    }

    fn after_lead(&self, o: &mut String, c: &ConnectionReport) {
        o.push_str("<figure class=\"pic\">");
        let caption = sequence::write(o, c, self.page.other_leg(c), &app_messages(c));
        let _ = writeln!(o, "<figcaption>{caption}</figcaption></figure>");
        o.push_str("<figure class=\"pic\">");
        let caption = timeline::write(o, c, self.page.frame_log);
        let _ = writeln!(o, "<figcaption>{caption}</figcaption></figure>");
    }

    fn rows_start(&self, o: &mut String) {
        o.push_str("<dl class=\"facts\">\n");
    }

    fn row(&self, o: &mut String, f: &Fact) {
        let _ = write!(o, "<dt>{}</dt><dd>{}", label(f), pieces(&f.line));
        for m in &f.more {
            let _ = write!(o, "<br>{}", pieces(m));
        }
        o.push_str("</dd>\n");
    }

    fn rows_end(&self, o: &mut String) {
        o.push_str("</dl>\n");
    }

    fn after_facts(&self, _o: &mut String, _c: &ConnectionReport) {}

    fn frames(&self, o: &mut String, c: &ConnectionReport) {
        frames(o, c);
    }

    fn end(&self, o: &mut String) {
        o.push_str("</section>\n");
    }
}

/// A fact's label, with the wire text it names.
fn label(f: &Fact) -> String {
    match &f.label_of {
        Some(of) => format!("{} ({})", h(&f.label), h(of)),
        None => h(&f.label),
    }
}

/// A fact's pieces in HTML: wire text marked as such, a filter as code, a warning in its
/// colour, the other leg of a proxy as a link to its section.
fn pieces(ps: &[Piece]) -> String {
    let mut s = String::new();
    for p in ps {
        match p {
            Piece::Text(t) => s.push_str(&h(t)),
            Piece::Wire(t) => {
                let _ = write!(s, "<span class=\"wire\">{}</span>", h(t));
            }
            Piece::Code(t) => {
                let _ = write!(s, "<code>{}</code>", h(t));
            }
            Piece::Warn(t) => {
                let _ = write!(s, "<span class=\"warn\">⚠ {}</span>", h(t));
            }
            Piece::Leg(id) => {
                let _ = write!(s, " (<a href=\"#c{id}\">the other leg</a>)");
            }
        }
    }
    s
}

fn frames(o: &mut String, c: &ConnectionReport) {
    let all = c.timeline.as_ref().unwrap_or(&c.recent_frames);
    if all.is_empty() {
        return;
    }
    let keep = if c.timeline.is_some() {
        FRAMES_LISTED
    } else {
        AROUND_CLOSE
    };
    let shown = all.get(all.len().saturating_sub(keep)..).unwrap_or(all);
    let title = if c.timeline.is_some() && shown.len() == all.len() {
        "Every frame"
    } else {
        "The frames around the close"
    };
    Html.heading(o, title);
    let earlier = (all.len() - shown.len()) as u64 + c.frames_not_logged;
    let total = c.frames.client.frames + c.frames.server.frames;
    if earlier > 0 || (shown.len() as u64) < total {
        let _ = writeln!(
            o,
            "<p class=\"left\">The last {} of {total} frames; <code>--format csv --timeline</code> lists every frame.</p>",
            shown.len()
        );
    }
    Html.table_head(o, TableKind::Frames, &FRAMES);
    for f in shown {
        let cells = [
            vec![Span::Own(f.packet.to_string())],
            vec![Span::Own(format!("+{:.3} s", f.ts.since(c.start).max(0.0)))],
            vec![Span::Own(f.from.to_string())],
            vec![Span::Own(f.opcode.name().to_string())],
            vec![Span::Own(if f.fin { "✓" } else { "" }.into())],
            vec![Span::Own(format!("{:03b}", f.rsv))],
            vec![Span::Own(if f.masked { "✓" } else { "" }.into())],
            vec![Span::Own(f.len.to_string())],
            vec![Span::Text(f.detail.clone().unwrap_or_default())],
        ];
        Html.table_row(o, &FRAMES, &cells);
    }
    Html.table_end(o);
}

/// The document's style: light, dark (`prefers-color-scheme`) and print; the pictures take
/// their colours from it.
const STYLE: &str = include_str!("style.css");

/// The application message that decided the ending, when the application protocol named
/// one: its last piece of evidence, from the side whose application ended the session.
fn app_messages(c: &ConnectionReport) -> Vec<AppMessage> {
    let Some(a) = &c.application else {
        return Vec::new();
    };
    let (Some(cause), Some(&packet)) = (&a.cause, a.evidence.last()) else {
        return Vec::new();
    };
    vec![AppMessage {
        from: a.ended_by.unwrap_or(crate::vocab::Role::Client),
        packet,
        time: None,
        label: format!("{}: {cause}", a.protocol),
    }]
}

#[cfg(test)]
mod tests {
    /// Breaks only in the path (before a `/`, after `?` and `&`), never in the Host, and
    /// every piece escaped.
    #[test]
    fn a_target_breaks_in_its_path_only() {
        assert_eq!(
            super::breakable("127.0.0.1:8765/chat/room?a=1&b=<x>", 14),
            "127.0.0.1:8765<wbr>/chat<wbr>/room?<wbr>a=1&amp;<wbr>b=&lt;x&gt;"
        );
        // A Host with a slash or query mark of its own (hostile) stays whole.
        assert_eq!(super::breakable("a/b?c/d", 4), "a/b?c<wbr>/d");
        assert_eq!(super::breakable("/only/path", 0), "/only<wbr>/path");
    }
}
