//! The terminal's markup for the shared document ([`document`](super::document)): the
//! header above `--format table`'s connections (a line per input, the notes under them)
//! and the blocks under them (the incidents, the encrypted connections, what each status
//! means) as plain text for a terminal or a pipe.
//!
//! In: the document's blocks. Out: prose filled to the width (a wide character counts
//! two), tables drawn by comfy-table fitted to it, colour (the status's [`Tone`]) only
//! where asked; every string from the model or the wire through `sanitize::terminal`, the
//! tool's own words as they are. The brief form ([`Sink::brief`]) is a property of the
//! sink: the walk gives a catalog text's first sentence, and a status is one paragraph.

use super::document::{Column, Header, Sink, Span, StatusBlock, TableKind, Tone, REDACTED};
use super::text::fill;
use crate::report::facts::Continuity;
use crate::sanitize::terminal;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, Color, ContentArrangement, Table};
use std::fmt::Write;
use std::sync::Mutex;

/// The terminal's markup. A table is drawn whole at its end, so its rows are kept here
/// between [`Sink::table_head`] and [`Sink::table_end`] rather than written into the
/// block (a size limit, which counts the block, is not for this sink); behind a lock, as
/// a layout's sink is shared with the rendering threads.
pub(crate) struct Terminal {
    /// The width tables are fitted to (120 when not known: piped).
    width: u16,
    /// The width the header's lines are wrapped to, when known.
    known: Option<u16>,
    color: bool,
    brief: bool,
    table: Mutex<Option<Table>>,
}

impl Terminal {
    pub(crate) fn new(width: Option<u16>, color: bool, brief: bool) -> Terminal {
        Terminal {
            width: width.unwrap_or(120),
            known: width,
            color,
            brief,
            table: Mutex::new(None),
        }
    }

    /// The width prose is filled to: the table's, within 40 to 120 columns.
    fn prose(&self) -> usize {
        usize::from(self.width).clamp(40, 120)
    }

    fn line(&self, spans: &[Span]) -> String {
        let mut o = String::new();
        self.spans(&mut o, spans);
        o
    }

    /// `text` filled to the width, its continuations after `hanging`, and a line end.
    fn filled(&self, o: &mut String, text: &str, first: &str, hanging: &str) {
        if text.trim().is_empty() {
            return;
        }
        o.push_str(&fill(text, first, hanging, self.prose()));
        o.push('\n');
    }

    /// `label` in its tone's colour where colour is on.
    fn toned(&self, label: &str, tone: Tone) -> String {
        if !self.color {
            return terminal(label).into_owned();
        }
        let sgr = match tone {
            Tone::Ok => 32,
            Tone::Warn => 33,
            Tone::Bad => 31,
        };
        format!("\x1b[{sgr}m{}\x1b[39m", terminal(label))
    }
}

/// `lines` with each line wider than `width` columns wrapped to it (a path longer than the
/// width cut where it must), its continuations indented.
fn fitted(lines: &str, width: usize) -> String {
    let mut out = String::with_capacity(lines.len());
    for line in lines.lines() {
        if textwrap::core::display_width(line) <= width {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let opts = textwrap::Options::new(width.max(8))
            .break_words(true)
            .subsequent_indent("  ");
        for part in textwrap::wrap(line, opts) {
            out.push_str(&part);
            out.push('\n');
        }
    }
    out
}

/// The colour of a status in a comfy-table cell.
pub(crate) fn color(tone: Tone) -> Color {
    match tone {
        Tone::Ok => Color::Green,
        Tone::Warn => Color::Yellow,
        Tone::Bad => Color::Red,
    }
}

impl Sink for Terminal {
    fn size(&self, s: &str) -> usize {
        s.chars().count()
    }

    fn spans(&self, o: &mut String, spans: &[Span]) {
        for sp in spans {
            match sp {
                Span::Own(t) | Span::Code(t) => o.push_str(t),
                Span::Text(t) | Span::Value(t) => o.push_str(&terminal(t)),
                Span::Bad(t) => {
                    let _ = write!(o, " — ⚠ {}", terminal(t));
                }
            }
        }
    }

    fn paragraph(&self, o: &mut String, spans: &[Span]) {
        self.filled(o, &self.line(spans), "", "  ");
    }

    fn note(&self, o: &mut String, spans: &[Span]) {
        self.paragraph(o, spans);
    }

    fn heading(&self, o: &mut String, title: &str) {
        self.filled(o, &terminal(title), "", "  ");
    }

    /// The section's title; the brief form gives it only to the encrypted connections,
    /// whose table does not say what they are (each incident and each status starts with
    /// its name).
    fn section(&self, o: &mut String, id: &str, title: &str) {
        if !self.brief || id == "encrypted" {
            let _ = writeln!(o, "{title}:");
        }
    }

    fn section_end(&self, _o: &mut String) {}

    fn meta_start(&self, _o: &mut String) {}

    fn meta(&self, o: &mut String, label: &str, value: &[Span], warnings: &[String], _warn: bool) {
        self.filled(o, &format!("{label}: {}", self.line(value)), "", "  ");
        for w in warnings {
            self.filled(o, &format!("⚠ {}", terminal(w)), "  ", "    ");
        }
    }

    fn meta_end(&self, _o: &mut String) {}

    /// A line per input (its packets, WebSocket connections, how it was taken after the
    /// file before, its encrypted connections; or why it was not read), then the refused
    /// tunnels, the redaction and what a filter left out; each line wrapped to the width
    /// when it is known.
    fn header(&self, o: &mut String, h: &Header<'_>) {
        let plural = |n: u64| if n == 1 { "" } else { "s" };
        let mut head = String::new();
        for f in &h.inputs {
            let (input, n, e) = (f.input, f.connections, f.encrypted);
            if let Some(e) = &input.error {
                let _ = writeln!(head, "{}: not read: {}", terminal(&input.path), terminal(e));
                continue;
            }
            let _ = write!(
                head,
                "{}: {} packet{}, {n} WebSocket connection{}",
                terminal(&input.path),
                input.packets,
                plural(input.packets),
                plural(n),
            );
            match f.continuity {
                Continuity::Continues { first, last, .. } => {
                    let _ = write!(head, " (continues the file before: one capture with it, its packets numbered {first} to {last} here)");
                }
                Continuity::Apart(why) => {
                    let _ = write!(head, " (a capture of its own: {})", terminal(why));
                }
                Continuity::Unsaid => {}
            }
            if e > 0 {
                let _ = write!(
                    head,
                    ", {e} encrypted connection{} without a readable WebSocket",
                    plural(e)
                );
            }
            head.push('\n');
        }
        if let Some(note) = super::refused_tunnels(h.report) {
            let _ = writeln!(
                head,
                "{note} (nothing the client sent asked for a WebSocket)"
            );
        }
        if h.report.redacted {
            let _ = writeln!(head, "Redacted: {REDACTED}");
        }
        if let Some(line) = &h.shown {
            let _ = writeln!(head, "{}", terminal(line));
        }
        match self.known {
            Some(w) => o.push_str(&fitted(&head, usize::from(w))),
            None => o.push_str(&head),
        }
    }

    fn table_head(&self, _o: &mut String, _kind: TableKind, columns: &[Column]) {
        let mut t = Table::new();
        t.force_no_tty();
        t.load_style(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(columns.iter().map(|c| c.title));
        t.set_width(self.width);
        for (i, c) in columns.iter().enumerate() {
            if let Some(col) = t.column_mut(i).filter(|_| c.numeric) {
                col.set_cell_alignment(CellAlignment::Right);
            }
        }
        *self.table.lock().unwrap_or_else(|e| e.into_inner()) = Some(t);
    }

    fn table_row(&self, _o: &mut String, _columns: &[Column], cells: &[Vec<Span>]) {
        if let Some(t) = self
            .table
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            t.add_row(cells.iter().map(|c| self.line(c)));
        }
    }

    fn table_end(&self, o: &mut String) {
        let table = self.table.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(t) = table {
            let _ = writeln!(o, "{t}");
        }
    }

    /// Full: the label and its connections, then each line indented. Brief: what the
    /// applications said, then one paragraph (the meaning, then the fix), the other lines
    /// indented under it.
    fn status(&self, o: &mut String, s: &StatusBlock<'_>) {
        let who = |label: &str, tone: Tone, count: u64, ids: &[u64]| {
            let ids = super::document::connections(ids, count);
            (self.toned(label, tone), ids)
        };
        let head = match s.with.as_slice() {
            [] => {
                let (label, ids) = who(s.label, s.tone, s.count, s.ids);
                format!("{label} — {ids}")
            }
            with => {
                let mut all = vec![who(s.label, s.tone, s.count, s.ids)];
                all.extend(with.iter().map(|w| who(w.0, w.1, w.2, w.3)));
                let all: Vec<String> = all.iter().map(|(l, i)| format!("{l} ({i})")).collect();
                all.join(", ")
            }
        };
        let labelled = |label: &str, text: &str| match label {
            "" => terminal(text).into_owned(),
            l => format!("{l}: {}", terminal(text)),
        };
        if !self.brief {
            self.filled(o, &head, "", "  ");
            for (label, text) in &s.lines {
                self.filled(o, &labelled(label, text), "  ", "  ");
            }
            o.push('\n');
            return;
        }
        // What the applications said leads, a line each; the meaning and the status's
        // fix in the paragraph; the connections' own fixes (and how many more) a line
        // each under it.
        let mut first = format!("{head}:");
        let mut rest = Vec::new();
        for (label, text) in &s.lines {
            match label.as_str() {
                "Application" | "Known cause" => self.filled(o, &terminal(text), "", "  "),
                "Cause" => {
                    let _ = write!(first, " {}", terminal(text));
                }
                "" if !rest.iter().any(|l: &String| l.starts_with("Fix for")) => {
                    let _ = write!(first, " {}", terminal(text));
                }
                "Fix" => {
                    let _ = write!(first, " {}", labelled(label, text));
                }
                _ => rest.push(labelled(label, text)),
            }
        }
        self.filled(o, &first, "", "  ");
        for line in rest {
            self.filled(o, &line, "  ", "    ");
        }
    }

    fn brief(&self) -> bool {
        self.brief
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text from the wire reaches the terminal escaped in every block: a paragraph, a
    /// table's cell, a status's lines; the tool's own words stay as they are.
    #[test]
    fn text_from_the_wire_is_escaped_in_every_block() {
        let hostile = "bye\x1b[2J\u{202e}olleh";
        let escaped = "bye\\x1b[2J\\u{202e}olleh";
        let t = Terminal::new(Some(80), false, false);
        let mut o = String::new();
        t.paragraph(
            &mut o,
            &[Span::Own("Cause: ".into()), Span::Text(hostile.into())],
        );
        let cols = [Column::col("A"), Column::wire("B")];
        t.table_head(&mut o, TableKind::Encrypted, &cols);
        t.table_row(
            &mut o,
            &cols,
            &[
                vec![Span::Value(hostile.into())],
                vec![Span::Text(hostile.into())],
            ],
        );
        t.table_end(&mut o);
        t.status(
            &mut o,
            &StatusBlock {
                label: hostile,
                tone: Tone::Bad,
                count: 1,
                ids: &[7],
                lines: vec![("Cause".into(), hostile.into())],
                with: Vec::new(),
            },
        );
        assert!(!o.contains('\x1b') && !o.contains('\u{202e}'), "{o}");
        assert_eq!(o.matches(escaped).count(), 5, "{o}");
        assert!(o.starts_with("Cause: "), "{o}");
    }

    /// Prose and tables fit the width; the brief form says a status in one paragraph,
    /// the full form a line each.
    #[test]
    fn blocks_fit_the_width_and_the_brief_form_is_one_paragraph() {
        let long = "word ".repeat(60);
        let block = StatusBlock {
            label: "1006 Abnormal Closure (inferred)",
            tone: Tone::Bad,
            count: 2,
            ids: &[1, 2],
            lines: vec![
                ("Cause".into(), long.clone()),
                ("Fix".into(), "Do it.".into()),
            ],
            with: Vec::new(),
        };
        for brief in [false, true] {
            let t = Terminal::new(Some(50), false, brief);
            let mut o = String::new();
            t.status(&mut o, &block);
            assert!(o.lines().all(|l| l.chars().count() <= 50), "{o}");
            let fix = o.lines().find(|l| l.contains("Fix: Do it.")).unwrap();
            assert_eq!(fix.starts_with("  Fix:"), !brief, "{o}");
            let joined = o.replace("\n  ", " ");
            assert!(
                joined.starts_with("1006 Abnormal Closure (inferred) — connections 1, 2"),
                "{o}"
            );
        }
        let t = Terminal::new(Some(50), true, true);
        let mut o = String::new();
        t.status(&mut o, &block);
        assert!(o.starts_with("\x1b[31m1006"), "{o}");
    }
}
