//! One renderer per format, each a function of the finished [`Report`].
//!
//! In: a report (connections in memory or in its store), or for [`events`] one live
//! [`CloseEvent`](crate::CloseEvent). Out: text, written as
//! it is made: [`table`] (the terminal), [`json`] (the stable contract), [`jsonl`] (the records, one line per connection), [`ecs`] (the same as Elastic Common Schema documents), [`markdown`] (a
//! ticket), [`html`] (a ticket anywhere, with pictures), [`csv`] (spreadsheets), [`events`]
//! (live lines). It reads only the model: `wsclose explain`, which reads the close-code
//! catalog, is [`crate::explain`]. Every string from the wire goes through `sanitize` for the medium it lands in.
//!
//! [`Format`] chooses one by value: `Format::Markdown.write(report, out, &options)` is what
//! `--format markdown` and `--export-markdown` write.
//!
//! No renderer imports another; what several share sits below them: `document` (the
//! one walk and size limit, `document::write`: which blocks a report holds, in what order
//! (the incidents first), what each says over `report::facts`, and which connections fit;
//! Markdown, HTML and the table each give it a `Layout` and a `Sink` (and the ticket
//! reports a `Section`) that decide only the markup), `terminal` (the table's sink), `text`
//! (pieces each renderer words itself) and `pretty` (the JSON writer). The renderers read
//! the model (`report`, `vocab`, `sanitize`, `units`), never a stage: only `explain`, the
//! close-code catalog's own page, reads the catalog (`close::catalog`) and the incident
//! kinds' general words.
//! What a connection's facts are (`report::facts`, each with its `FactKind`), who closed it
//! and its codes (`report::facts::closed_by`, `codes`: the table, Markdown, HTML, ECS and
//! the CSV's `initiator` follow that one rule), whether it closed cleanly
//! (`report::facts::clean_close`), each status explained once (`report::statuses`) and its
//! Wireshark filter (`report::wireshark`) are the model's.
//!
//! A new fact of a connection goes in `report::facts::facts`: Markdown and HTML show it,
//! and the annotated capture's comments a headline or lead one. A new block of the ticket
//! reports goes in `document` (a walker function called from `document::write`, and a
//! `Sink` method if it needs new markup). A new ticket format implements `Layout`, `Sink`
//! and `Section`, and `Format` names it.

mod chunks;
pub mod csv;
mod document;
pub mod ecs;
pub mod events;
mod format;
pub mod html;
pub mod json;
pub mod jsonl;
pub mod markdown;
// The JSON writer, kept among the crate's internals (benches/json_writer.rs weighs it).
#[doc(hidden)]
pub mod pretty;

pub mod table;
mod terminal;
pub(crate) mod text;

use crate::report::facts::clean_key;
use crate::report::{ConnectionReport, Report};
use std::collections::BinaryHeap;
use std::fmt::Write;

pub use format::{Format, Options};

/// Incidents described one by one in the table, Markdown and HTML; the rest are counted
/// (JSON lists them all).
pub(crate) const INCIDENTS_SHOWN: usize = 50;

/// An input's file name without its folders (the whole path if it has no file name).
pub(crate) fn file_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// Ids 1..=`total` not in `shown` (sorted), as ranges ("3, 5–9"), cut after a few hundred
/// characters.
pub(crate) fn report_ids_not_in(total: u64, shown: &[u64]) -> String {
    let mut out = String::new();
    let mut run: Option<(u64, u64)> = None;
    let flush = |out: &mut String, (a, b): (u64, u64)| {
        if !out.is_empty() {
            out.push_str(", ");
        }
        if a == b {
            let _ = write!(out, "{a}");
        } else {
            let _ = write!(out, "{a}–{b}");
        }
    };
    for id in (1..=total).filter(|id| shown.binary_search(id).is_err()) {
        run = match run {
            Some((a, b)) if b + 1 == id => Some((a, id)),
            Some(r) => {
                flush(&mut out, r);
                if out.len() > 300 {
                    out.push_str(", …");
                    return format!("connections {out}");
                }
                Some((id, id))
            }
            None => Some((id, id)),
        };
    }
    if let Some(r) = run {
        flush(&mut out, r);
    }
    format!("connections {out}")
}

/// What a row or section needs of the report beyond its connection: the inputs' file
/// names when there are several.
pub(crate) struct Names(pub(crate) Option<Vec<String>>);

impl Names {
    pub(crate) fn of(report: &Report) -> Names {
        Names(
            (report.inputs.len() > 1)
                .then(|| report.inputs.iter().map(|i| file_name(&i.path)).collect()),
        )
    }

    pub(crate) fn of_connection(&self, c: &ConnectionReport) -> Option<&str> {
        self.0
            .as_ref()
            .map(|n| n.get(c.input).map_or("", String::as_str))
    }
}

/// The best items (smallest key) whose sizes add up to at most a limit, offered one at a
/// time: when one more would go over, the worst go. Holds no more than fits.
pub(crate) struct Best<T> {
    heap: BinaryHeap<Entry<T>>,
    /// The sizes of the items kept, added up.
    pub(crate) total: usize,
    limit: usize,
}

/// An item of [`Best`], ordered by its key alone.
struct Entry<T> {
    key: (u8, u64),
    size: usize,
    item: T,
}

impl<T> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<T> Eq for Entry<T> {}
impl<T> PartialOrd for Entry<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Entry<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

/// The smallest section worth sizing when the ones kept already fill the limit.
const SMALLEST_SECTION: usize = 400;

/// A connection's key in a [`Best`]: problems before clean closes, then by id.
pub(crate) fn problems_first(c: &ConnectionReport) -> (u8, u64) {
    (u8::from(crate::report::facts::clean_close(c)), c.id)
}

impl<T> Best<T> {
    pub(crate) fn new(limit: usize) -> Best<T> {
        Best {
            heap: BinaryHeap::new(),
            total: 0,
            limit,
        }
    }

    /// Whether an item with `key` could be kept (else it need not be made): it is better
    /// than the worst kept, or there is room left.
    pub(crate) fn would_take(&self, key: (u8, u64)) -> bool {
        self.heap.peek().is_none_or(|worst| key < worst.key)
            || self.limit.saturating_sub(self.total) >= SMALLEST_SECTION
    }

    pub(crate) fn offer(&mut self, key: (u8, u64), size: usize, item: T) {
        self.heap.push(Entry { key, size, item });
        self.total += size;
        self.keep(self.limit);
    }

    /// Lets the worst go until the rest fit in `limit`.
    pub(crate) fn keep(&mut self, limit: usize) {
        self.limit = self.limit.min(limit);
        while self.total > self.limit {
            match self.heap.pop() {
                Some(e) => self.total -= e.size,
                None => break,
            }
        }
    }

    /// The items kept, by id.
    pub(crate) fn into_sorted(self) -> Vec<(u64, T)> {
        let mut v: Vec<(u64, T)> = self.heap.into_iter().map(|e| (e.key.1, e.item)).collect();
        v.sort_by_key(|(id, _)| *id);
        v
    }
}

/// The statuses of `summary.by_status`, problems first, then by count.
pub(crate) fn statuses_in_order(report: &Report) -> Vec<(&String, &u64)> {
    let mut by: Vec<(&String, &u64)> = report.summary.by_status.iter().collect();
    by.sort_by_key(|(k, n)| (clean_key(k), std::cmp::Reverse(**n)));
    by
}

/// What the report shows in one line, fit for a ticket's title: "wsclose: 3 WebSocket
/// connections: 2 × 1006 Abnormal Closure, 1 × 1000 Normal Closure"; each status's label
/// through `esc`.
pub(crate) fn summary_line(report: &Report, esc: impl Fn(&str) -> String) -> String {
    let s = &report.summary;
    let n = s.connections;
    let mut t = format!(
        "wsclose: {n} WebSocket connection{}",
        if n == 1 { "" } else { "s" }
    );
    if s.total_connections != n {
        let _ = write!(t, " (of {})", s.total_connections);
    }
    let by = statuses_in_order(report);
    for (i, (key, count)) in by.iter().enumerate() {
        if i == 3 {
            let _ = write!(
                t,
                ", {} more status{}",
                by.len() - 3,
                if by.len() == 4 { "" } else { "es" }
            );
            break;
        }
        let label = crate::report::statuses::key_label(key);
        let sep = if i == 0 { ": " } else { ", " };
        if n == 1 {
            let _ = write!(t, "{sep}{}", esc(&label));
        } else {
            let _ = write!(t, "{sep}{count} × {}", esc(&label));
        }
    }
    if s.encrypted_connections > 0 {
        let _ = write!(t, "; {} encrypted", s.encrypted_connections);
    }
    if let Some(note) = refused_tunnels(report) {
        let _ = write!(t, "; {note}");
    }
    t
}

/// "20 CONNECT tunnels refused, not WebSocket": the tunnels a forward proxy refused where
/// nothing showed a WebSocket was asked for (`seen.refused_tunnels`), when there were any.
pub(crate) fn refused_tunnels(report: &Report) -> Option<String> {
    let n = report.seen.refused_tunnels;
    (n > 0).then(|| {
        format!(
            "{n} CONNECT tunnel{} refused, not WebSocket",
            if n == 1 { "" } else { "s" }
        )
    })
}
