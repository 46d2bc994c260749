//! The reports' one walk and size limit: [`write()`] reads the connections, sizes and
//! chooses within a limit, and writes the document's blocks in order through a format's
//! [`Layout`].
//!
//! In: a [`Report`] (connections in memory or in its store), the inputs' hashes, a size
//! limit (none: `--full`, and the terminal's table) and a layout (Markdown's, HTML's, the
//! table's). Out: the document, written as it is made: the head, the incidents, the
//! overview table, what each status means, the connections in detail, the encrypted
//! connections (the table's right after its rows); within a limit, the rows and sections
//! that fit (problems before clean closes, then by id) and notes on what was left out.

use super::Sink;
use crate::render::{problems_first, report_ids_not_in, Best, Names};
use crate::report::statuses::Statuses;
use crate::report::{ConnectionReport, Report};
use crate::vocab::InputSummary;
use std::borrow::Cow;

/// What every connection's row and section shares, gathered by the walk's first pass: the
/// inputs (to place packets in rotated files), their file names when there are several,
/// and the status groups (each status's fix, said once).
pub(crate) struct Walk<'a> {
    pub inputs: &'a [InputSummary],
    pub names: Names,
    pub statuses: Statuses,
}

/// A report's format (Markdown, HTML, the terminal's table): the markup of its blocks ([`Layout::Sink`])
/// and what it writes around and between them. The walk and the size limit ([`write()`])
/// are the same for every format, and so are the notes on what a limit left out (the
/// document's [`rows_left_out`](super::rows_left_out) and
/// [`sections_left_out`](super::sections_left_out), in the sink's unit); a format decides
/// only its markup, and names what else it leaves out.
pub(crate) trait Layout: Sync {
    /// The markup of the blocks.
    type Sink: Sink;
    /// Size (as [`Sink::size`] counts) the status meanings may take of a limited report;
    /// the statuses past it are named with `wsclose explain`.
    const MEANINGS: usize;
    /// Size the encrypted connections may take of a limited report.
    const ENCRYPTED: usize;
    /// Size kept back for the notes on what was left out.
    const NOTES: usize;
    /// What opens the connections in detail (their heading).
    const DETAILS: &'static str;
    /// What closes them.
    const DETAILS_END: &'static str;
    /// The document's end.
    const END: &'static str;
    /// What a report without a connection says in their place.
    const NONE: &'static str;

    fn sink(&self) -> &Self::Sink;
    /// Sees each connection in the first pass, before its row and section are sized.
    fn observe(&mut self, _c: &ConnectionReport) {}
    /// The document's start: its title and summary, then [`super::header()`].
    fn head(&self, report: &Report, hashes: &[Option<String>]) -> String;
    /// What the head counts for in the size limit.
    fn head_budget(&self, head: &str, _report: &Report) -> usize {
        self.sink().size(head)
    }
    /// The overview table's start.
    fn table_head(&self, names: &Names) -> String;
    /// A connection's row of the overview; `link`: to its section, where the format links.
    fn row(&self, o: &mut String, c: &ConnectionReport, names: &Names, link: bool);
    /// A row made with its link, without it (its section was left out).
    fn unlink<'r>(&self, row: &'r str, _id: u64) -> Cow<'r, str> {
        Cow::Borrowed(row)
    }
    /// The overview table's end; within a limit, `left_out` is (rows not in it, all the
    /// connections, the limit).
    fn rows_end(&self, o: &mut String, left_out: Option<(u64, u64, usize)>);
    /// A connection's section; `full`: no limit asked for.
    fn connection(&self, o: &mut String, c: &ConnectionReport, walk: &Walk<'_>, full: bool);
    /// How much a section may grow after it was sized (read after it: the other leg).
    fn slack(&self, _c: &ConnectionReport) -> usize {
        0
    }
    /// The `--format` that names this format, for the notes on what was left out.
    const FORMAT: &'static str;
    /// What else a limited report leaves out of each section, as a clause after the
    /// sections left out (empty: nothing).
    const ALSO_LEFT_OUT: &'static str;
    /// Whether the format has a section per connection (the terminal's table has none:
    /// its rows say it all).
    const SECTIONS: bool = true;
    /// Whether the encrypted connections come right after the overview's rows (the
    /// terminal's table) rather than at the document's end.
    const ENCRYPTED_AFTER_ROWS: bool = false;
    /// The status groups the walk gathers (the terminal's keep each status's fixes).
    fn statuses(&self) -> Statuses {
        Statuses::default()
    }
    /// The size the status meanings may take of a whole report (the terminal's table of a
    /// capture of thousands); none: every status's.
    fn meanings_limit(&self) -> Option<usize> {
        None
    }
    /// What comes right after the status meanings (the terminal's counts by status).
    fn after_meanings(&self, _o: &mut String, _report: &Report, _statuses: &Statuses) {}
}

/// Writes a ticket report in `layout`'s format, within `limit` (as its sink counts) if
/// given, else every connection's section (`--full`). `hashes[i]` is the SHA-256 of input
/// `i`, when the caller computed it.
///
/// The document: the head, the incidents, the overview table, what each status means, the
/// connections in detail, the encrypted connections. Within a limit the connections are
/// read twice: the first pass sizes every row and section and keeps the best that fit
/// (problems before clean closes, then by id; memory bounded by the limit, not the
/// capture), the second writes the chosen sections in id order; the report says what it
/// left out. Connections are read back from the store, never held whole.
pub(crate) fn write<L: Layout>(
    report: &Report,
    hashes: &[Option<String>],
    limit: Option<usize>,
    layout: &mut L,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut walk = Walk {
        inputs: &report.inputs,
        names: Names::of(report),
        statuses: layout.statuses(),
    };
    let head = layout.head(report, hashes);
    let incidents = super::incidents(report, layout.sink()) + &super::doubts(report, layout.sink());
    let encrypted = if report.seen.encrypted.is_empty() {
        String::new()
    } else {
        super::encrypted(report, limit.map(|_| L::ENCRYPTED), layout.sink())
    };
    let Some(limit) = limit else {
        return whole(report, [head, incidents, encrypted], walk, layout, out);
    };

    // The first pass: the statuses, what the format keeps of each connection, and (within
    // a limit) the rows and sections that fit.
    let (mut rows, mut sections) = (Best::new(limit), Best::new(limit));
    report.for_each_connection(|c| {
        walk.statuses.add(c);
        layout.observe(c);
        let key = problems_first(c);
        let mut r = String::new();
        layout.row(&mut r, c, &walk.names, true);
        rows.offer(key, layout.sink().size(&r), r);
        if sections.would_take(key) {
            let mut o = String::new();
            layout.connection(&mut o, c, &walk, false);
            sections.offer(key, layout.sink().size(&o) + layout.slack(c), ());
        }
        Ok(())
    })?;
    let layout = &*layout;
    let total = report.summary.connections;
    if total == 0 {
        out.write_all(head.as_bytes())?;
        out.write_all(L::NONE.as_bytes())?;
        out.write_all(encrypted.as_bytes())?;
        return out.write_all(L::END.as_bytes());
    }
    let mut meanings = String::new();
    super::meanings(
        &mut meanings,
        &walk.statuses,
        Some(L::MEANINGS),
        layout.sink(),
    );

    // Within the limit: the head, the statuses and the encrypted list first, then as many
    // rows as fit, then as many sections as fit in what is left.
    let size = |s: &str| layout.sink().size(s);
    let fixed = size(&meanings)
        + size(&encrypted)
        + size(&incidents)
        + layout.head_budget(&head, report)
        + size(&layout.table_head(&walk.names))
        + size(L::DETAILS)
        + size(L::END)
        + L::NOTES;
    let left = limit.saturating_sub(fixed);
    rows.keep(left);
    let left = left.saturating_sub(rows.total);
    sections.keep(left);
    let rows = rows.into_sorted();
    let shown: Vec<u64> = sections
        .into_sorted()
        .into_iter()
        .map(|(id, ())| id)
        .collect();

    out.write_all(head.as_bytes())?;
    out.write_all(incidents.as_bytes())?;
    let mut o = layout.table_head(&walk.names);
    for (id, r) in &rows {
        if shown.binary_search(id).is_ok() {
            o.push_str(r);
        } else {
            // The same row, without its link to a section that is not there.
            o.push_str(&layout.unlink(r, *id));
        }
    }
    let not_in = total.saturating_sub(rows.len() as u64);
    layout.rows_end(&mut o, Some((not_in, total, limit)));
    o.push_str(&meanings);
    o.push_str(L::DETAILS);
    out.write_all(o.as_bytes())?;
    report.render_chunks(
        |_, part| {
            let mut o = String::new();
            for c in part.iter().filter(|c| shown.binary_search(&c.id).is_ok()) {
                layout.connection(&mut o, c, &walk, false);
            }
            Ok(o.into_bytes())
        },
        out,
    )?;
    if (shown.len() as u64) < total {
        let mut o = String::new();
        let n = total - shown.len() as u64;
        let ids = report_ids_not_in(total, &shown);
        let format = (L::FORMAT, L::ALSO_LEFT_OUT);
        super::sections_left_out(&mut o, n, &ids, limit, format, layout.sink());
        out.write_all(o.as_bytes())?;
    }
    out.write_all(L::DETAILS_END.as_bytes())?;
    out.write_all(encrypted.as_bytes())?;
    out.write_all(L::END.as_bytes())
}

/// The whole document, no limit asked for (`--full`, the terminal's table): `parts` are
/// the head, the incidents and the encrypted connections, made before. The connections
/// are read once for the rows (which gather the statuses and what the format keeps of
/// each) and, where the format has sections, once more for them.
fn whole<L: Layout>(
    report: &Report,
    [head, incidents, encrypted]: [String; 3],
    mut walk: Walk<'_>,
    layout: &mut L,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    out.write_all(head.as_bytes())?;
    if report.summary.connections == 0 {
        out.write_all(L::NONE.as_bytes())?;
        out.write_all(encrypted.as_bytes())?;
        return out.write_all(L::END.as_bytes());
    }
    out.write_all(incidents.as_bytes())?;
    out.write_all(layout.table_head(&walk.names).as_bytes())?;
    report.for_each_chunk(crate::report::RENDER_CHUNK, |part| {
        let mut o = String::new();
        for c in part.iter() {
            walk.statuses.add(c);
            layout.observe(c);
            layout.row(&mut o, c, &walk.names, true);
        }
        out.write_all(o.as_bytes())
    })?;
    let layout = &*layout;
    let mut o = String::new();
    layout.rows_end(&mut o, None);
    if L::ENCRYPTED_AFTER_ROWS {
        o.push_str(&encrypted);
    }
    super::meanings(
        &mut o,
        &walk.statuses,
        layout.meanings_limit(),
        layout.sink(),
    );
    layout.after_meanings(&mut o, report, &walk.statuses);
    o.push_str(L::DETAILS);
    out.write_all(o.as_bytes())?;
    if L::SECTIONS {
        let walk = &walk;
        report.render_chunks(
            |_, part| {
                let mut o = String::with_capacity(part.len() * 4096);
                for c in part {
                    layout.connection(&mut o, c, walk, true);
                }
                Ok(o.into_bytes())
            },
            out,
        )?;
    }
    out.write_all(L::DETAILS_END.as_bytes())?;
    if !L::ENCRYPTED_AFTER_ROWS {
        out.write_all(encrypted.as_bytes())?;
    }
    out.write_all(L::END.as_bytes())
}
