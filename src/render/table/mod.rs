//! `--format table` (the default): the shared document (`document::write`, the walk
//! Markdown and HTML take) laid out for a terminal: comfy-tables sized to it, then what
//! each status means, once per status (and fix) rather than once per connection.
//!
//! In: a [`Report`] (connections in memory or in its store). Out: text for a terminal or a
//! pipe, written as it is made: a line per input and the notes under them (the document's
//! header block through the terminal sink); the incidents (each with its figures, cause
//! and fix); one row per connection (endpoints, path and input; every close frame each
//! way, the reply as the model finds it, `ConnectionReport::close_reply`; how TCP ended;
//! the status with its evidence, the causes no other part of the row says, in the words of
//! Markdown's and HTML's sections, `report::row::row_causes`; violations and capture
//! notes), in
//! tables of up to 250 rows read back from the store one at a time, each followed, with
//! `--timeline`, by every frame of its connections (time, side, opcode, flags, length,
//! preview) and their Wireshark filter; in the brief form, a run of an incident's members
//! that ended alike (and of the new sessions that replaced them) is one row, each its own
//! with `-v` or `--connection`; the encrypted connections that could not be read and each
//! status with its documented cause and fix (the shared document's blocks, through the
//! terminal sink, `render::terminal`: its brief form unless `-v`); the counts by status.
//! In the brief form, a capture of more than `groups::MANY` connections gets, after the
//! incidents, a summary by status and cause and the connections grouped (`groups.rs`)
//! in place of their rows, and the statuses' meanings within `MEANINGS_MANY` characters.
//! Every string from the wire goes through `sanitize::terminal`.

use super::document::{self, Layout, Sink, Span, Walk};
use super::terminal::Terminal;
use super::text::{string_of, TcpEnding};
use super::Names;
use crate::report::facts::{self, NoClose};
use crate::report::statuses::{self, Statuses};
use crate::report::{ConnectionReport, Report};
use crate::sanitize::terminal;
use crate::vocab::{CloseFrame, Role};
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, Color, ContentArrangement, Table};
use std::fmt::Write;
use std::sync::{Mutex, PoisonError};

mod groups;
mod points;

/// Findings of one kind of list (violations or notes) shown per connection before "+N more".
const FINDINGS_SHOWN: usize = 3;

fn close_lines(c: &ConnectionReport, from: Role) -> String {
    let frames: Vec<_> = c.close_frames.iter().filter(|f| f.from == from).collect();
    if frames.is_empty() {
        return format!("{from}: {}", facts::no_close(c, from).words());
    }
    let mut out = String::new();
    for (i, f) in frames.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match f.code {
            Some(code) => {
                let _ = write!(out, "{from}: {code} {}", facts::code_name(code));
            }
            None => {
                let _ = write!(out, "{from}: empty close (no code)");
            }
        }
        reason_and_packet(&mut out, f, true);
    }
    out
}

/// ` "reason" [pkt N] (problems)` of a close frame: the reason (unless `reason` is false)
/// escaped and cut at [`REASON_SHOWN`] characters (its length said when cut).
fn reason_and_packet(out: &mut String, f: &CloseFrame, reason: bool) {
    if reason && !f.reason.is_empty() {
        let shown = shown_reason(&f.reason);
        let _ = write!(out, " \"{}", terminal(shown));
        if shown.len() < f.reason.len() {
            let _ = write!(out, "\u{2026}\" ({} bytes)", f.reason.len());
        } else {
            out.push('"');
        }
    }
    let _ = write!(out, " [pkt\u{a0}{}]", f.packet);
    if !f.problems.is_empty() {
        let _ = write!(out, " ({})", facts::problem_names(&f.problems));
    }
}

/// The line a status cell starts with: the application's own words, when its protocol said
/// why; else a heartbeat that gave up.
fn lead_line(c: &ConnectionReport) -> Option<String> {
    facts::lead_line(c)
}

/// The brief form's cell: the status, then in one paragraph every close frame (its code,
/// reason and packet; the reply the closing handshake says echoed the first frame's code,
/// `CloseHandshake::echoed`, "echoed", with its reason when that differs), how TCP (and an
/// HTTP/2 stream) ended, and the evidence; the causes no other part says
/// (`report::row::row_causes`), violations and capture notes a line each. The
/// catalog names of the codes are left to the status and to `-v`.
fn brief_status(c: &ConnectionReport) -> String {
    let mut out = match lead_line(c) {
        Some(line) => format!("{}\n", terminal(&line)),
        None => String::new(),
    };
    out.push_str(&statuses::label(c));
    let mut parts = Vec::new();
    let first = c.close_frames.first();
    // The reply: the model's (`ConnectionReport::close_reply`).
    let reply = c.close_reply();
    let echoed = c.close_handshake.as_ref().is_some_and(|h| h.echoed);
    for f in &c.close_frames {
        let mut p = format!("{} ", f.from);
        if echoed && reply.is_some_and(|r| std::ptr::eq(r, f)) {
            p.push_str("echoed");
            let same = first.is_some_and(|a| a.reason == f.reason);
            reason_and_packet(&mut p, f, !same);
        } else {
            match f.code {
                Some(code) => {
                    let _ = write!(p, "{code}");
                }
                None => p.push_str("empty close"),
            }
            reason_and_packet(&mut p, f, true);
        }
        parts.push(p);
    }
    let side_none = |side: Role| format!("{side}: {}", facts::no_close(c, side).words());
    match first {
        None if c.decoded_to_end.client && c.decoded_to_end.server => {
            parts.push(NoClose::NotSent.words().into())
        }
        None => {
            parts.push(side_none(Role::Client));
            parts.push(side_none(Role::Server));
        }
        Some(f) if reply.is_none() => parts.push(side_none(f.from.peer())),
        Some(_) => {}
    }
    match c.h2_stream {
        Some(_) => {
            let ends = c.stream_ends_text("pkt").unwrap_or_else(|| "none".into());
            parts.push(format!("h2 stream: {}", terminal(&ends)));
            parts.push(format!("TCP (whole connection): {}", tcp_text(c)));
        }
        None => parts.push(tcp_text(c)),
    }
    let _ = write!(out, ": {}", parts.join(", "));
    if let Some(e) = &c.evidence {
        let mark = if e.consistent { "" } else { "⚠ " };
        let _ = write!(out, "; {mark}{}", terminal(&e.summary));
    }
    // The causes no other part of the cell says, in their words (`report::row::row_part`).
    for (_, words) in crate::report::row::row_causes(c) {
        let _ = write!(out, "\n{}", terminal(&words));
    }
    if let Some(line) = crate::report::words::incident::connection_line(c) {
        let _ = write!(out, "\n{}", terminal(&line));
    }
    let (violations, notes): (Vec<_>, Vec<_>) =
        c.findings.iter().partition(|f| f.kind.is_violation());
    for (title, items) in [("⚠ violations", &violations), ("capture notes", &notes)] {
        if items.is_empty() {
            continue;
        }
        let shown: Vec<String> = items
            .iter()
            .take(FINDINGS_SHOWN)
            .map(|f| match f.packet {
                Some(p) => format!("{} [pkt\u{a0}{p}]", f.kind.as_str()),
                None => f.kind.as_str().to_string(),
            })
            .collect();
        let more = items.len().saturating_sub(FINDINGS_SHOWN);
        let more = if more > 0 {
            format!(", +{more} more")
        } else {
            String::new()
        };
        let _ = write!(out, "\n{title}: {}{more}", shown.join(", "));
    }
    out
}

/// Characters of a close reason shown in a table cell. A valid reason has at most 123
/// bytes (RFC 6455 §5.5); a longer one (a violation) would fill the screen, and the JSON
/// and Markdown reports keep it whole.
const REASON_SHOWN: usize = 80;

/// The first [`REASON_SHOWN`] characters of `reason`.
fn shown_reason(reason: &str) -> &str {
    reason
        .char_indices()
        .nth(REASON_SHOWN)
        .map_or(reason, |(i, _)| reason.get(..i).unwrap_or(reason))
}

/// The colour of a status: the document's [`tone`](super::document::tone), as in
/// Markdown's and HTML's.
fn status_color(c: &ConnectionReport) -> Color {
    super::terminal::color(super::document::tone(c))
}

/// "kind [pkt N]" for up to `FINDINGS_SHOWN` findings, then how many more.
fn finding_list(out: &mut String, title: &str, items: &[&crate::vocab::Finding]) {
    if items.is_empty() {
        return;
    }
    let _ = write!(out, "\n{title} ({}):", items.len());
    for f in items.iter().take(FINDINGS_SHOWN) {
        let _ = write!(out, "\n  {}", f.kind.as_str());
        if let Some(p) = f.packet {
            let _ = write!(out, " [pkt\u{a0}{p}]");
        }
    }
    if items.len() > FINDINGS_SHOWN {
        let _ = write!(out, "\n  … (all in --format json or markdown)");
    }
}

/// Characters the statuses' meanings may take in the table of a capture of thousands
/// (about 80 lines); the statuses past it are named with `wsclose explain`.
const MEANINGS_MANY: usize = 9_000;

/// Connections per table: a capture of thousands is written a table at a time, never
/// held whole (small captures, the usual case, get one table).
const ROWS: usize = 250;

/// The whole output as a string (tests, live mode's end report).
pub fn render(report: &Report, width: Option<u16>, color: bool) -> String {
    string_of(|buf| write(report, width, color, buf))
}

/// How much the table says of each status below the connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Each problem status in a sentence of what it means and one of the fix, the clean
    /// closes (1000, 1001) in one line, the counts by status in one line.
    Brief,
    /// Each status's whole catalog text (meaning, typical causes, fix), and the counts by
    /// status in a table.
    Full,
}

/// Writes the report: a line per input, the connections in tables of up to `ROWS`
/// rows, each status's meaning and fix once, and the counts by status. Connections are
/// read back from the store a table at a time.
pub fn write(
    report: &Report,
    width: Option<u16>,
    color: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    write_detail(report, width, color, Detail::Full, out)
}

/// [`write()`], saying as much of each status as `detail` asks.
pub fn write_detail(
    report: &Report,
    width: Option<u16>,
    color: bool,
    detail: Detail,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let brief = detail == Detail::Brief;
    // `--connection` asks for those connections each in its row.
    let chosen = report
        .selection
        .as_ref()
        .is_some_and(|s| !s.connections.is_empty());
    let groups = if brief && !chosen {
        groups::Groups::of(report)
    } else {
        None
    };
    let mut board = Board {
        sink: Terminal::new(width, color, brief),
        width,
        color,
        detail,
        group: brief && !chosen,
        groups,
        state: Mutex::new(State::default()),
    };
    document::write(report, &[], None, &mut board, out)
}

/// The terminal's layout of the document: the rows of connections in comfy-tables of up to
/// [`ROWS`] rows (each followed by its connections' `--timeline`), a run of an incident's
/// members that ended alike one row in the brief form; the encrypted connections after
/// them; after the statuses, the counts by status.
struct Board {
    sink: Terminal,
    width: Option<u16>,
    color: bool,
    detail: Detail,
    /// Runs of members are said in one row (the brief form, no `--connection`).
    group: bool,
    /// A capture of thousands: its summary and groups, said in place of the rows.
    groups: Option<groups::Groups>,
    /// The table being filled, shared with the walk's threads (which never touch it: the
    /// terminal has no sections).
    state: Mutex<State>,
}

/// The table of rows being filled, the timelines that follow it, and the run of members
/// not written yet.
#[derive(Default)]
struct State {
    table: Option<Table>,
    rows: usize,
    timelines: String,
    run: Option<Run>,
}

/// What makes connections one run: members of the same incident (or new sessions that
/// replaced ended ones) to the same server, whose status, lead line and closer are the
/// same, with no violation of their own (whether the peer answered the close, its codes,
/// may differ).
#[derive(Debug, Clone, PartialEq)]
struct RunKey {
    incident: Option<u32>,
    replaces: bool,
    server: String,
    input: usize,
    lead: Option<String>,
    status: String,
    closed_by: String,
}

/// Consecutive connections of one [`RunKey`], and the other legs of their proxied
/// sessions among them: the rows, kept until the run has a second member.
struct Run {
    key: RunKey,
    first_id: u64,
    last_id: u64,
    count: u64,
    /// The other legs in the run: their status and closer (the same for all), and how many.
    legs: Option<((String, String), u64)>,
    /// The path they all asked for, while they asked for the same.
    path: Option<Option<String>>,
    /// The codes they all sent (`report::facts::codes`), while they sent the same.
    codes: Option<String>,
    color: Color,
    rows: Vec<Vec<Cell>>,
}

impl Board {
    fn brief(&self) -> bool {
        self.detail == Detail::Brief
    }

    /// The run `c` belongs to: none for a connection no incident names, one with a
    /// violation, or one listed with its frames (`--timeline`).
    fn key(&self, c: &ConnectionReport) -> Option<RunKey> {
        if !self.group
            || (c.incident.is_none() && c.replaces.is_none())
            || c.timeline.is_some()
            || c.findings.iter().any(|f| f.kind.is_violation())
        {
            return None;
        }
        Some(RunKey {
            incident: c.incident,
            replaces: c.incident.is_none(),
            server: c.server.to_string(),
            input: c.input,
            lead: lead_line(c),
            status: statuses::label(c),
            closed_by: facts::closed_by(c).to_string(),
        })
    }

    /// The status and closer of `c` when it is the other leg of a proxied session of one
    /// of `run`'s connections, itself no member of an incident, and would be in a run.
    fn other_leg(&self, c: &ConnectionReport, run: &Run) -> Option<(String, String)> {
        let other = c.leg.as_ref()?.other_leg;
        let ok = self.group
            && c.incident.is_none()
            && (run.first_id..=run.last_id).contains(&other)
            && c.timeline.is_none()
            && !c.findings.iter().any(|f| f.kind.is_violation());
        ok.then(|| (statuses::label(c), facts::closed_by(c).to_string()))
    }

    /// Adds a row to the table, drawing it (and its timelines) into `o` when full.
    fn add(&self, st: &mut State, o: &mut String, row: Vec<Cell>) {
        let table = st.table.get_or_insert_with(|| self.table());
        table.add_row(row);
        st.rows += 1;
        if st.rows == ROWS {
            self.draw(st, o);
        }
    }

    /// Draws the table and its timelines into `o`.
    fn draw(&self, st: &mut State, o: &mut String) {
        if let Some(t) = st.table.take() {
            let _ = writeln!(o, "{t}");
        }
        o.push_str(&std::mem::take(&mut st.timelines));
        st.rows = 0;
    }

    /// Ends the run: its one row, or the row that says them all.
    fn end_run(&self, st: &mut State, o: &mut String) {
        let Some(run) = st.run.take() else {
            return;
        };
        if run.count == 1 {
            for row in run.rows {
                self.add(st, o, row);
            }
            return;
        }
        let row = self.run_row(&run);
        self.add(st, o, row);
    }

    /// The row of a run: its ids, how many and where to, their common status and how they
    /// ended, and what they belong to.
    fn run_row(&self, run: &Run) -> Vec<Cell> {
        let k = &run.key;
        let path = match &run.path {
            Some(Some(p)) => {
                let sep = if p.starts_with('/') { "" } else { " " };
                format!("{sep}{}", terminal(p))
            }
            _ => String::new(),
        };
        let conn = match &run.legs {
            Some((_, n)) => format!(
                "{} connections (and {n} other legs) →\n{}{path}",
                run.count, k.server
            ),
            None => format!("{} connections →\n{}{path}", run.count, k.server),
        };
        let mut status = match &k.lead {
            Some(line) => format!("{}\n", terminal(line)),
            None => String::new(),
        };
        status.push_str(&k.status);
        if k.closed_by != "—" {
            let _ = write!(status, ": closed by {}", k.closed_by);
        }
        if let Some(codes) = run.codes.as_deref().filter(|c| *c != "—") {
            let _ = write!(status, ", codes {codes}");
        }
        match k.incident {
            Some(n) => {
                let _ = write!(
                    status,
                    "\n{} closes of incident {n}, which belong together (see incident {n} above)",
                    run.count
                );
            }
            None => {
                let _ = write!(
                    status,
                    "\n{} new sessions that replaced connections that ended (see the incidents above)",
                    run.count
                );
            }
        }
        if let Some(((label, by), n)) = &run.legs {
            let _ = write!(
                status,
                "; and the other leg of {n} of their proxied sessions ({label}, closed by {by})"
            );
        }
        status.push_str("; each in a row of its own: -v, or --connection ID");
        let mut cell = Cell::new(status);
        if self.color {
            cell = cell.fg(run.color);
        }
        vec![
            Cell::new(format!("{}–{}", run.first_id, run.last_id)),
            Cell::new(conn),
            cell,
        ]
    }

    fn table(&self) -> Table {
        let header = if self.brief() {
            vec!["#", "Connection", "Status, close frames and TCP"]
        } else {
            vec![
                "#",
                "Connection",
                "Close frames / TCP",
                "Status and evidence",
            ]
        };
        new_table(header, self.width, self.color)
    }
}

impl Layout for Board {
    type Sink = Terminal;
    const MEANINGS: usize = usize::MAX;
    const ENCRYPTED: usize = usize::MAX;
    const NOTES: usize = 0;
    const DETAILS: &'static str = "";
    const DETAILS_END: &'static str = "";
    const END: &'static str = "";
    const NONE: &'static str = "";
    const FORMAT: &'static str = "table";
    const ALSO_LEFT_OUT: &'static str = "";
    const SECTIONS: bool = false;
    const ENCRYPTED_AFTER_ROWS: bool = true;

    fn sink(&self) -> &Terminal {
        &self.sink
    }

    fn head(&self, report: &Report, _hashes: &[Option<String>]) -> String {
        let mut head = String::new();
        document::header(&mut head, report, &[], &self.sink);
        head
    }

    fn table_head(&self, _names: &Names) -> String {
        let mut o = String::new();
        if let Some(g) = &self.groups {
            g.write(&mut o, self.width, self.color);
        }
        o
    }

    fn meanings_limit(&self) -> Option<usize> {
        self.groups.as_ref().map(|_| MEANINGS_MANY)
    }

    fn row(&self, o: &mut String, c: &ConnectionReport, names: &Names, _link: bool) {
        if self.groups.is_some() {
            return;
        }
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let st = &mut *st;
        let row = connection_row(c, names, self.color, self.detail);
        if let Some(frames) = &c.timeline {
            st.timelines
                .push_str(&timeline(c, frames, self.width, &self.sink));
        }
        let key = self.key(c);
        if let Some(run) = st.run.as_mut().filter(|r| r.last_id + 1 == c.id) {
            if key.as_ref() == Some(&run.key) {
                run.last_id = c.id;
                run.count += 1;
                if run.path.as_ref().is_some_and(|p| *p != c.handshake.path) {
                    run.path = None;
                }
                if run.codes.as_ref().is_some_and(|k| *k != facts::codes(c)) {
                    run.codes = None;
                }
                if run.count == 2 {
                    run.rows = Vec::new();
                } else if run.count < 2 {
                    run.rows.push(row);
                }
                return;
            }
            // The other leg of a member's proxied session (its back leg to the server, or
            // the client's front leg), ended alike with the other legs of the run.
            if let Some(leg) = self.other_leg(c, run) {
                let same = match &mut run.legs {
                    None => {
                        run.legs = Some((leg, 1));
                        true
                    }
                    Some((k, n)) if *k == leg => {
                        *n += 1;
                        true
                    }
                    Some(_) => false,
                };
                if same {
                    run.last_id = c.id;
                    if run.count < 2 {
                        run.rows.push(row);
                    }
                    return;
                }
            }
        }
        self.end_run(st, o);
        match key {
            Some(key) => {
                st.run = Some(Run {
                    key,
                    first_id: c.id,
                    last_id: c.id,
                    count: 1,
                    legs: None,
                    path: Some(c.handshake.path.clone()),
                    codes: Some(facts::codes(c)),
                    color: status_color(c),
                    rows: vec![row],
                })
            }
            None => self.add(st, o, row),
        }
    }

    fn rows_end(&self, o: &mut String, _left_out: Option<(u64, u64, usize)>) {
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let st = &mut *st;
        self.end_run(st, o);
        self.draw(st, o);
    }

    fn connection(&self, _o: &mut String, _c: &ConnectionReport, _walk: &Walk<'_>, _full: bool) {}

    fn statuses(&self) -> Statuses {
        Statuses::with_fixes()
    }

    fn after_meanings(&self, tail: &mut String, report: &Report, statuses: &Statuses) {
        let sink = &self.sink;
        // Clean closes that are members of an incident (its members closed with that clean
        // code) are not "nothing to fix"; the reconnected sessions' own clean closes are.
        let clean_members = statuses.problems_first().iter().any(|s| {
            s.is_clean()
                && report
                    .incidents
                    .iter()
                    .any(|i| i.code.is_some() && i.code == s.code)
        });
        if clean_members {
            sink.paragraph(
                tail,
                &[Span::Own(
                    "The clean closes in an incident above belong together: its fix applies."
                        .into(),
                )],
            );
        }
        if self.brief() {
            counts(tail, report, sink);
            return;
        }
        let mut sum = Table::new();
        sum.force_no_tty();
        sum.load_style(UTF8_FULL_CONDENSED)
            .set_header(vec!["Status", "Connections"]);
        for (key, n) in &report.summary.by_status {
            let label = match key.parse::<u16>() {
                Ok(code) => {
                    let inferred = if crate::report::status::inferred(code) {
                        " (inferred)"
                    } else {
                        ""
                    };
                    format!("{code} {}{inferred}", facts::code_name(code))
                }
                Err(_) => key.clone(),
            };
            sum.add_row(vec![label, n.to_string()]);
        }
        let _ = writeln!(tail, "{sum}");
    }
}

/// A table with `header`, fitted to `width` columns (120 when not known: piped, as wide as the prose under it), in colour
/// only when `color`.
fn new_table(header: Vec<&str>, width: Option<u16>, color: bool) -> Table {
    let mut t = Table::new();
    if color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    t.set_width(width.unwrap_or(120));
    t
}

/// A connection's row: its id, its endpoints (and path, TLS, tunnel, proxy leg, input),
/// and its status with its close frames and how TCP ended: in one cell in the brief form,
/// in two with `-v`.
fn connection_row(c: &ConnectionReport, names: &Names, color: bool, detail: Detail) -> Vec<Cell> {
    let brief = detail == Detail::Brief;
    // Brief: the client and the server (with the request's path) on two lines.
    let mut conn = if brief {
        let path = c.handshake.path.as_deref().map_or(String::new(), |p| {
            let sep = if p.starts_with('/') { "" } else { " " };
            format!("{sep}{}", terminal(p))
        });
        format!("{} →\n{}{path}", c.client, c.server)
    } else {
        format!("{}\n→ {}", c.client, c.server)
    };
    if let Some(tls) = &c.tls {
        let _ = write!(conn, "\nwss: {}", tls_line(tls));
    }
    if let Some(e) = &c.encapsulation {
        let _ = write!(conn, "\nvia {e}");
    }
    if let Some(p) = c.handshake.path.as_ref().filter(|_| !brief) {
        let _ = write!(conn, "\n{}", terminal(p));
    }
    if let Some(n) = c.h2_stream {
        let _ = write!(conn, "\nh2 stream {n}");
    }
    if let Some(t) = &c.tunnel {
        let _ = write!(conn, "\n{}", terminal(&t.phrase(120)));
    }
    if let Some(leg) = &c.leg {
        let _ = write!(
            conn,
            "\n{}",
            terminal(&crate::report::words::proxy::leg_phrase(leg))
        );
    }
    if let Some(all) = &names.0 {
        if let Some(name) = all.get(c.input) {
            // A connection that goes on into the files continuing its own: where it ends.
            let last = match all.get(c.last_input) {
                Some(l) if c.last_input != c.input => format!(" → {l}"),
                _ => String::new(),
            };
            let _ = write!(conn, "\n[{}]", terminal(&format!("{name}{last}")));
        }
    }
    // Seen at two points (issue 103): the other point named, with its view of the ends
    // where a NAT translated one.
    if let Some(p) = &c.points {
        for pt in p.points.iter().skip(1) {
            let mut at = pt.file.clone();
            if let Some(i) = &pt.interface {
                let _ = write!(at, " on {i}");
            }
            if p.translated.is_some() {
                let _ = write!(at, ": {} → {}", pt.client, pt.server);
            }
            let _ = write!(conn, "\nand at [{}]", terminal(&at));
        }
    }
    if brief {
        let mut status = brief_status(c);
        points::brief(&mut status, c);
        let mut status_cell = Cell::new(status);
        if color {
            status_cell = status_cell.fg(status_color(c));
        }
        return vec![Cell::new(c.id), Cell::new(conn), status_cell];
    }
    let tcp = tcp_text(c);
    // The initiator's lines first: its code is the status.
    let first = c.close_frames.first().map_or(Role::Client, |f| f.from);
    let mut closes = format!(
        "{}\n{}",
        close_lines(c, first),
        close_lines(c, first.peer())
    );
    // An HTTP/2 stream's own ending first; TCP's is that of every stream on the connection.
    let tcp_label = match c.h2_stream {
        Some(_) => {
            let ends = c.stream_ends_text("pkt").unwrap_or_else(|| "none".into());
            let _ = write!(closes, "\nh2 stream: {}", terminal(&ends));
            "tcp (whole connection)"
        }
        None => "tcp",
    };
    let _ = write!(closes, "\n{tcp_label}: {tcp}");
    let mut status = match lead_line(c) {
        Some(line) => format!("{}\n{}", terminal(&line), statuses::label(c)),
        None => statuses::label(c),
    };
    // What the capture shows, as Markdown's and HTML's sections lead with it: every cause
    // of the status in its words (`report::facts`, the fact of kind `Shows`).
    for f in facts::facts(c, &[], None)
        .iter()
        .filter(|f| f.kind == facts::FactKind::Shows)
    {
        let _ = write!(status, "\n{}", terminal(&facts::plain(&f.line)));
    }
    if let Some(e) = &c.evidence {
        let mark = if e.consistent { "" } else { "⚠ " };
        let _ = write!(status, "\n{mark}{}", terminal(&e.summary));
    }
    points::lines(&mut status, c);
    if let Some(line) = crate::report::words::incident::connection_line(c) {
        let _ = write!(status, "\n{}", terminal(&line));
    }
    let (violations, notes): (Vec<_>, Vec<_>) =
        c.findings.iter().partition(|f| f.kind.is_violation());
    finding_list(&mut status, "⚠ violations", &violations);
    finding_list(&mut status, "capture notes", &notes);
    let mut status_cell = Cell::new(status);
    if color {
        status_cell = status_cell.fg(status_color(c));
    }
    vec![
        Cell::new(c.id),
        Cell::new(conn),
        Cell::new(closes),
        status_cell,
    ]
}

/// How TCP ended first, for a cell: "FIN by client [pkt 62]", ", then RST [pkt N]" after
/// the same side's FIN, or why it is still open.
fn tcp_text(c: &ConnectionReport) -> String {
    match TcpEnding::of(c) {
        TcpEnding::Open(why) => why.unwrap_or("still open at end of capture").to_string(),
        TcpEnding::By {
            kind,
            by,
            packet,
            rst,
        } => {
            let mut t = format!("{kind} by {by} [pkt\u{a0}{packet}]");
            // The same side's RST after its FIN.
            if let Some(r) = rst {
                let _ = write!(t, ", then RST [pkt\u{a0}{r}]");
            }
            t
        }
    }
}

/// `--timeline`: every frame of connection `c` (time since its first packet, side, opcode,
/// flags, length, preview), headed by its endpoints and Wireshark filter.
fn timeline(
    c: &ConnectionReport,
    frames: &[crate::vocab::FrameRecord],
    width: Option<u16>,
    sink: &Terminal,
) -> String {
    let mut out = format!(
        "Connection {}: every frame, {} → {}, from {}\n",
        c.id,
        c.client,
        c.server,
        c.start.rfc3339()
    );
    if let Some(f) = crate::report::wireshark::filter(c) {
        let _ = writeln!(out, "wireshark: {f}");
        if let Some(s) = crate::report::wireshark::stream_filter(c) {
            let _ = writeln!(out, "wireshark, its HTTP/2 stream only: {s}");
        }
        if let Some(d) = crate::report::wireshark::decode_as_tls(c) {
            let _ = writeln!(out, "wireshark, for its TLS: {d}");
        }
    }
    document::frames_left_out(&mut out, c, sink);
    let mut t = new_table(
        vec![
            "Packet", "Time (s)", "From", "Opcode", "FIN", "RSV", "Mask", "Length", "Preview",
        ],
        width,
        false,
    );
    for f in frames {
        t.add_row(vec![
            f.packet.to_string(),
            format!("+{:.6}", f.ts.since(c.start).max(0.0)),
            f.from.to_string(),
            f.opcode.name().to_string(),
            if f.fin { "✓" } else { "" }.to_string(),
            format!("{:03b}", f.rsv),
            if f.masked { "✓" } else { "" }.to_string(),
            f.len.to_string(),
            f.detail
                .as_deref()
                .map_or(String::new(), |d| terminal(d).into_owned()),
        ]);
    }
    let _ = writeln!(out, "{t}");
    out
}

/// "TLS 1.3 TLS_AES_128_GCM_SHA256, SNI example.com": a connection's TLS. Only a session's
/// (a WebSocket read inside it) is headed "wss: "; a connection that was not read gets no
/// such claim, since what it carried is not known.
fn tls_line(tls: &crate::report::tls::TlsReport) -> String {
    let mut line = tls
        .version
        .as_deref()
        .unwrap_or("TLS (version unknown)")
        .to_string();
    if let Some(suite) = &tls.cipher_suite {
        let _ = write!(line, " {suite}");
    }
    if let Some(sni) = &tls.sni {
        let _ = write!(line, ", SNI {}", terminal(sni));
    }
    for note in crate::report::words::tls::notes(tls) {
        let _ = write!(line, ", {note}");
    }
    line
}

/// The counts by status in one line, and where the whole text of each is.
fn counts(out: &mut String, report: &Report, sink: &Terminal) {
    let counts: Vec<String> = report
        .summary
        .by_status
        .iter()
        .map(|(key, n)| format!("{n} × {}", statuses::key_label(key)))
        .collect();
    sink.paragraph(
        out,
        &[Span::Own(format!(
            "By status: {}. The whole text of each status: -v, or wsclose explain CODE.",
            counts.join(", ")
        ))],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 105 item 3: a cause reaches the table and the CSV in the words Markdown gives
    /// it, with no edit of theirs. One cause of every kind of the list, each a connection's
    /// only cause: Markdown's "What the capture shows" holds its words, and so do the `-v`
    /// cell and the CSV's `detail`; the CSV's `causes` names its kind; the brief cell says
    /// its words where no other part of the row says the cause (`report::row::row_part`: a kind
    /// added to the list is said so), and two kinds never give the same cell.
    #[test]
    fn every_cause_kind_reaches_the_table_and_the_csv() {
        let mut report = crate::report::repeated_fixture_report(0);
        report.connections.truncate(1);
        let names = Names::of(&report);
        let mut cells = std::collections::HashSet::new();
        let mut kinds = std::collections::BTreeSet::new();
        let mut own_words = Vec::new();
        for cause in crate::diagnose::tests::stored::one_of_each() {
            let (kind, words) = (cause.kind(), cause.to_string());
            assert!(!words.is_empty(), "{kind}");
            report.connections[0].status.set_causes(vec![cause.clone()]);
            let c = &report.connections[0];
            let markdown = crate::render::markdown::render(&report, &[]);
            let shows = format!(
                "**{}:** {}",
                facts::SHOWS,
                crate::sanitize::markdown(&words)
            );
            assert!(markdown.contains(&shows), "{kind}: Markdown\n{markdown}");
            let full = connection_row(c, &names, false, Detail::Full);
            let full = full.last().unwrap().content();
            assert!(full.contains(&*terminal(&words)), "{kind}: -v\n{full}");
            let brief = brief_status(c);
            if crate::report::row::row_part(&cause).is_none() {
                assert!(brief.contains(&*terminal(&words)), "{kind}: brief\n{brief}");
                own_words.push(kind);
            }
            let csv = crate::render::csv::render(&report);
            let mut r = ::csv::Reader::from_reader(csv.as_bytes());
            let headers = r.headers().unwrap().clone();
            let row = r.records().next().unwrap().unwrap();
            let col = |name: &str| &row[headers.iter().position(|h| h == name).unwrap()];
            assert_eq!(col("detail"), words, "{kind}: CSV");
            assert_eq!(col("causes"), kind, "{kind}: CSV");
            assert!(cells.insert(words), "{kind}: the words of another cause");
            kinds.insert(kind);
        }
        // The kinds of this list no other part of the row says (the proxy's back leg, once
        // worded by the table itself; the culprit two points decide, added after the row
        // parts were named) are said in the brief cell in their own words.
        assert_eq!(own_words, ["behind-tls-proxy", "between-points"]);
        assert_eq!(kinds.len(), crate::report::Cause::KINDS.len());
    }

    /// "echoed" is the closing handshake's (`CloseHandshake::echoed`: the reply carried the
    /// first frame's code), said of the reply alone; and `-v` says what the capture shows
    /// (every cause of the status in words, `report::facts`' `Shows`) for every connection.
    #[test]
    fn echoed_is_the_reports_and_the_verbose_cell_says_the_causes() {
        let report = crate::report::repeated_fixture_report(0);
        let names = Names::of(&report);
        let (mut echoed, mut not) = (0, 0);
        for c in &report.connections {
            let cell = brief_status(c);
            let said = cell.matches(" echoed").count();
            let replied = c.close_handshake.as_ref().is_some_and(|h| h.echoed);
            assert_eq!(said, usize::from(replied), "{}: {cell}", c.id);
            if replied {
                echoed += 1;
            } else if c.close_handshake.as_ref().is_some_and(|h| h.reply) {
                not += 1;
            }
            let row = connection_row(c, &names, false, Detail::Full);
            let status = row.last().unwrap().content();
            assert!(
                status.contains(&*terminal(&c.status.detail)),
                "{}: {status}",
                c.id
            );
        }
        // The fixtures hold both: replies that echoed the code, and replies that did not.
        assert!(echoed > 0 && not > 0, "{echoed} echoed, {not} not");
    }
}
