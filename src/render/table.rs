//! `--format table` (the default): comfy-tables sized to the terminal, then what each
//! status means, once per status (and fix) rather than once per connection.
//!
//! In: a [`Report`] (connections in memory or in its store). Out: text for a terminal or a
//! pipe, written as it is made: a line per input and the notes under them (the document's
//! header block through the terminal sink); one row per connection (endpoints, path
//! and input; every close frame each way; how TCP ended; the status with its evidence,
//! violations and capture notes), in tables of up to 250 rows read back from the store one
//! at a time, each followed, with `--timeline`, by every frame of its connections (time,
//! side, opcode, flags, length, preview) and their Wireshark filter; the encrypted
//! connections that could not be read, the incidents and each status with its documented
//! cause and fix (the shared document's blocks, `render::document`, through the terminal
//! sink, `render::terminal`: its brief form unless `-v`); the counts by status. Every
//! string from the wire goes through `sanitize::terminal`.

use super::document::{self, Sink, Span};
use super::terminal::Terminal;
use super::text::{string_of, TcpEnding};
use crate::capture::file::rotation::file_name;
use crate::report::facts::{self, NoClose};
use crate::report::statuses::{self, Statuses};
use crate::report::{CloseFrameReport, ConnectionReport, Report};
use crate::sanitize::terminal;
use crate::vocab::Role;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, Color, ContentArrangement, Table};
use std::fmt::Write;

/// Findings of one kind of list (violations or notes) shown per connection before "+N more".
const FINDINGS_SHOWN: usize = 3;

fn close_lines(c: &ConnectionReport, from: Role) -> String {
    let frames: Vec<_> = c.close_frames.iter().filter(|f| f.from == from).collect();
    if frames.is_empty() {
        return match facts::no_close(c, from) {
            NoClose::NotCaptured => format!("{from}: not captured"),
            NoClose::NotSent => format!("{from}: no close frame"),
            NoClose::BytesMissing => format!("{from}: none seen (bytes missing)"),
        };
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
        reason_and_packet(&mut out, f);
    }
    out
}

/// ` "reason" [pkt N] (problems)` of a close frame: the reason escaped and cut at
/// [`REASON_SHOWN`] characters (its length said when cut).
fn reason_and_packet(out: &mut String, f: &CloseFrameReport) {
    if !f.reason.is_empty() {
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
        let _ = write!(out, " ({})", crate::close::problem_names(&f.problems));
    }
}

/// The line a status cell starts with: the application's own words, when its protocol said
/// why; else a heartbeat that gave up.
fn lead_line(c: &ConnectionReport) -> Option<String> {
    facts::lead_line(c)
}

/// The brief form's cell: the status, then in one paragraph every close frame (its code,
/// reason and packet; a reply that repeats the first frame's code and reason "echoed"),
/// how TCP (and an HTTP/2 stream) ended, and the evidence; violations and capture notes
/// a line each. The catalog names of the codes are left to the status and to `-v`.
fn brief_status(c: &ConnectionReport) -> String {
    let mut out = match lead_line(c) {
        Some(line) => format!("{}\n", terminal(&line)),
        None => String::new(),
    };
    out.push_str(&statuses::label(c));
    let mut parts = Vec::new();
    let first = c.close_frames.first();
    for f in &c.close_frames {
        let echoed = first.is_some_and(|a| {
            a.from != f.from && a.code == f.code && a.reason == f.reason && f.problems.is_empty()
        });
        let mut p = format!("{} ", f.from);
        if echoed {
            let _ = write!(p, "echoed [pkt\u{a0}{}]", f.packet);
        } else {
            match f.code {
                Some(code) => {
                    let _ = write!(p, "{code}");
                }
                None => p.push_str("empty close"),
            }
            reason_and_packet(&mut p, f);
        }
        parts.push(p);
    }
    let side_none = |side: Role| match facts::no_close(c, side) {
        NoClose::NotCaptured => format!("the {side}'s packets not captured"),
        NoClose::NotSent => format!("no close frame from the {side}"),
        NoClose::BytesMissing => format!("none seen from the {side} (bytes missing)"),
    };
    match first {
        None if c.decoded_to_end.client && c.decoded_to_end.server => {
            parts.push("no close frame".into())
        }
        None => {
            parts.push(side_none(Role::Client));
            parts.push(side_none(Role::Server));
        }
        Some(f) if !c.close_frames.iter().any(|g| g.from != f.from) => {
            parts.push(side_none(f.from.peer()))
        }
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
    if let Some(line) = facts::incident_line(c) {
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
    let many_inputs = report.inputs.len() > 1;
    let sink = Terminal::new(width, color, detail == Detail::Brief);
    let mut head = String::new();
    document::header(&mut head, report, &[], &sink);
    out.write_all(head.as_bytes())?;
    let mut statuses = Statuses::with_fixes();
    let mut any = false;
    report.for_each_chunk(ROWS, |chunk| {
        any = true;
        for c in chunk.iter() {
            statuses.add(c);
        }
        let t = connections_table(report, &chunk, many_inputs, width, color, detail);
        writeln!(out, "{t}")?;
        for c in chunk.iter() {
            if let Some(frames) = &c.timeline {
                out.write_all(timeline(c, frames, width, &sink).as_bytes())?;
            }
        }
        Ok(())
    })?;
    if !report.seen.encrypted.is_empty() {
        out.write_all(document::encrypted(report, None, &sink).as_bytes())?;
    }
    if !any {
        return Ok(());
    }
    let mut tail = document::incidents(report, &sink);
    document::meanings(&mut tail, &statuses, None, &sink);
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
            &mut tail,
            &[Span::Own(
                "The clean closes in an incident above belong together: its fix applies.".into(),
            )],
        );
    }
    if detail == Detail::Brief {
        counts(&mut tail, report, &sink);
        return out.write_all(tail.as_bytes());
    }
    let mut sum = Table::new();
    sum.force_no_tty();
    sum.load_style(UTF8_FULL_CONDENSED)
        .set_header(vec!["Status", "Connections"]);
    for (key, n) in &report.summary.by_status {
        let label = match key.parse::<u16>() {
            Ok(code) => {
                let inferred = if matches!(code, 1005 | 1006) {
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
    out.write_all(tail.as_bytes())
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

/// One table of connections.
fn connections_table(
    report: &Report,
    connections: &[ConnectionReport],
    many_inputs: bool,
    width: Option<u16>,
    color: bool,
    detail: Detail,
) -> Table {
    let brief = detail == Detail::Brief;
    let header = if brief {
        vec!["#", "Connection", "Status, close frames and TCP"]
    } else {
        vec![
            "#",
            "Connection",
            "Close frames / TCP",
            "Status and evidence",
        ]
    };
    let mut t = new_table(header, width, color);
    for c in connections {
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
        match facts::behind_tls_proxy(c) {
            0 => {}
            1 => conn.push_str(
                "\nits Host is an encrypted connection's server: a TLS proxy's back leg?",
            ),
            n => {
                let _ = write!(conn, "\nits Host is the server of {n} encrypted connections: a TLS proxy's back leg?");
            }
        }
        if many_inputs {
            if let Some(input) = report.inputs.get(c.input) {
                // A connection that goes on into the files continuing its own: where it ends.
                let last = match report.inputs.get(c.last_input) {
                    Some(l) if c.last_input != c.input => {
                        format!(" → {}", file_name(&l.path))
                    }
                    _ => String::new(),
                };
                let name = file_name(&input.path);
                let _ = write!(conn, "\n[{}]", terminal(&format!("{name}{last}")));
            }
        }
        if brief {
            let mut status_cell = Cell::new(brief_status(c));
            if color {
                status_cell = status_cell.fg(status_color(c));
            }
            t.add_row(vec![Cell::new(c.id), Cell::new(conn), status_cell]);
            continue;
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
        if let Some(e) = &c.evidence {
            let mark = if e.consistent { "" } else { "⚠ " };
            let _ = write!(status, "\n{mark}{}", terminal(&e.summary));
        }
        if let Some(line) = facts::incident_line(c) {
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
        t.add_row(vec![
            Cell::new(c.id),
            Cell::new(conn),
            Cell::new(closes),
            status_cell,
        ]);
    }
    t
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
    for note in tls.notes() {
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
        .map(|(key, n)| format!("{n} × {}", super::status_key_label(key)))
        .collect();
    sink.paragraph(
        out,
        &[Span::Own(format!(
            "By status: {}. The whole text of each status: -v, or wsclose explain CODE.",
            counts.join(", ")
        ))],
    );
}
