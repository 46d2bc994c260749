//! `--format markdown`: a report made for a GitHub/GitLab/Jira ticket.
//!
//! In: a [`Report`] (connections in memory or in its store; and, for the header, each
//! input's SHA-256, computed by the caller, or for a stream as it was read), and a size limit ([`LIMIT`] by default, none
//! with `--full`). Out, CommonMark/GFM: a one-line summary fit for the ticket's title; the
//! tool, command line and inputs; one overview table of every connection (status, who
//! closed, codes, reason, packets; the file when there are several); each status's cause
//! and fix once; then per connection a folded `<details>` section: what the capture shows,
//! the handshake, how TCP ended, a Wireshark display filter, a Mermaid sequence diagram of
//! its last moments (handshake, the last frames, the close frames each way, FIN/RST, with
//! times; GitHub and GitLab draw it), the close frames, the frames around the close and
//! the findings.
//!
//! Within the limit: the connections are read twice. The first pass sizes every row and
//! section and keeps the best that fit (problems before clean closes, then by id; memory
//! bounded by the limit, not the capture); the second writes the chosen sections in id
//! order. The report says what it left out and that `--full` shows it all.
//!
//! Every string from the wire goes through `sanitize::markdown` (tables, text),
//! `sanitize::html` (inside `<summary>`) or `sanitize::mermaid` (inside the diagram), so
//! nothing can break a table, open a code span, inject HTML or a Mermaid statement.

use super::{closed_by, codes, report_ids_not_in, status_label, Best, Groups, Names};
use crate::capture::file::InputSummary;
use crate::diagnose::Secs;
use crate::flow::Role;
use crate::report::{ConnectionReport, Report};
use crate::sanitize::{html, markdown as md, mermaid};
use std::fmt::Write;

/// The default size of a report, in characters: what a GitHub issue or comment holds.
pub const LIMIT: usize = 65_536;

/// How many frames before the end the "frames around the close" table shows.
const AROUND_CLOSE: usize = 12;

/// Frames other than close frames the sequence diagram shows before the end.
const DIAGRAM_FRAMES: usize = 6;

/// Characters of a close reason in the overview table.
const REASON_SHOWN: usize = 60;

/// Characters kept back for the notes on what was left out.
const NOTES: usize = 1_500;

/// Characters the status meanings may take of a limited report; the statuses past it are
/// named with `wsclose explain`.
const MEANINGS: usize = 16_384;

/// Characters the encrypted connections may take of a limited report.
const ENCRYPTED: usize = 8_192;

fn opt(v: &Option<String>) -> String {
    v.as_deref().map_or("—".to_string(), md)
}

/// The whole report as a string, within [`LIMIT`] characters. `hashes[i]` is the SHA-256
/// of input `i`, when it could be computed.
pub fn render(report: &Report, hashes: &[Option<String>]) -> String {
    render_with(report, hashes, Some(LIMIT))
}

/// The whole report as a string, within `limit` characters if given.
pub fn render_with(report: &Report, hashes: &[Option<String>], limit: Option<usize>) -> String {
    let mut buf = Vec::new();
    let _ = write_with(report, hashes, limit, &mut buf);
    String::from_utf8(buf).unwrap_or_default()
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
/// section: `--full`). Connections are read back from the store, never held whole.
pub fn write_with(
    report: &Report,
    hashes: &[Option<String>],
    limit: Option<usize>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let names = Names::of(report);
    let mut head = title(report);
    header(&mut head, report, hashes);
    let encrypted = if report.seen.encrypted.is_empty() {
        String::new()
    } else {
        encrypted(report, limit.map(|_| ENCRYPTED))
    };

    // The first pass: the statuses, and (within a limit) the rows and sections that fit.
    let mut groups = Groups::default();
    let mut chosen = limit.map(|limit| (Best::new(limit), Best::new(limit)));
    report.for_each_connection(|c| {
        groups.add(c);
        if let Some((rows, sections)) = &mut chosen {
            let key = super::problems_first(c);
            let mut r = String::new();
            row(&mut r, c, &names);
            rows.offer(key, r.chars().count(), r);
            if sections.would_take(key) {
                let mut o = String::new();
                connection(&mut o, c, &report.inputs, &names, &groups, false);
                sections.offer(key, o.chars().count(), ());
            }
        }
        Ok(())
    })?;
    let total = report.summary.connections;
    if total == 0 {
        out.write_all(head.as_bytes())?;
        out.write_all(b"\nNo WebSocket connection to show.\n")?;
        return out.write_all(encrypted.as_bytes());
    }
    let meanings = meanings(&groups, limit.map(|_| MEANINGS));

    let Some((mut rows, mut sections)) = chosen else {
        // No limit: the rows as they are read again, then every section.
        out.write_all(head.as_bytes())?;
        out.write_all(table_head(&names).as_bytes())?;
        report.for_each_chunk(crate::report::RENDER_CHUNK, |part| {
            let mut o = String::new();
            for c in part.iter() {
                row(&mut o, c, &names);
            }
            out.write_all(o.as_bytes())
        })?;
        out.write_all(meanings.as_bytes())?;
        out.write_all(b"\n## Connections in detail\n")?;
        report.render_chunks(
            |_, part| {
                let mut o = String::with_capacity(part.len() * 4096);
                for c in part {
                    connection(&mut o, c, &report.inputs, &names, &groups, true);
                }
                Ok(o.into_bytes())
            },
            out,
        )?;
        return out.write_all(encrypted.as_bytes());
    };

    // Within the limit: the head, the statuses and the encrypted list first, then as many
    // rows as fit, then as many sections as fit in what is left.
    let limit = limit.unwrap_or(LIMIT);
    let fixed = [&head, &meanings, &encrypted]
        .iter()
        .map(|t| t.chars().count())
        .sum::<usize>()
        + table_head(&names).chars().count()
        + "\n## Connections in detail\n".len()
        + NOTES;
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
    let mut o = table_head(&names);
    for (_, r) in &rows {
        o.push_str(r);
    }
    if (rows.len() as u64) < total {
        let _ = writeln!(
            o,
            "\n{} of {total} connections are not in this table (clean closes first, to fit {limit} characters); `--full` lists them all.",
            total - rows.len() as u64
        );
    }
    o.push_str(&meanings);
    o.push_str("\n## Connections in detail\n");
    out.write_all(o.as_bytes())?;
    report.render_chunks(
        |_, part| {
            let mut o = String::new();
            for c in part.iter().filter(|c| shown.binary_search(&c.id).is_ok()) {
                connection(&mut o, c, &report.inputs, &names, &groups, false);
            }
            Ok(o.into_bytes())
        },
        out,
    )?;
    if (shown.len() as u64) < total {
        let left_out = report_ids_not_in(total, &shown);
        let _ = writeln!(
            out,
            "\nLeft out to fit {limit} characters: the details of {} connection{} ({left_out}; problems are shown before clean closes), and each section's table of the frames around the close. `wsclose analyze --format markdown --full` shows it all; `--connection ID` one connection.",
            total - shown.len() as u64,
            if total - shown.len() as u64 == 1 { "" } else { "s" },
        );
    }
    out.write_all(encrypted.as_bytes())
}

/// The first line: what the report shows, fit for a ticket's title.
fn title(report: &Report) -> String {
    format!("# {}\n\n", super::summary_line(report, md))
}

/// The tool, the command line, the inputs.
fn header(o: &mut String, report: &Report, hashes: &[Option<String>]) {
    let _ = writeln!(o, "- **Tool:** {}", md(&report.tool));
    if let Some(cmd) = &report.command {
        let _ = writeln!(o, "- **Command:** {}", md(cmd));
    }
    for (i, input) in report.inputs.iter().enumerate() {
        let _ = write!(o, "- **Input:** {}", md(&input.path));
        if let Some(b) = input.bytes {
            let _ = write!(o, ", {b} bytes");
        }
        // The caller's hash of a file, or the one computed as a stream was read.
        match (hashes.get(i), &input.sha256) {
            (Some(Some(h)), _) | (_, Some(Ok(h))) => {
                let _ = write!(o, ", SHA-256 {}", md(h));
            }
            (_, Some(Err(why))) => {
                let _ = write!(o, ", SHA-256 unknown ({})", md(why));
            }
            _ => {}
        }
        let _ = write!(
            o,
            ", {} ({}), {} packets",
            input.format,
            input
                .link_types
                .iter()
                .map(|l| l.name())
                .collect::<Vec<_>>()
                .join(", "),
            input.packets
        );
        if let (Some(a), Some(b)) = (&input.first_time, &input.last_time) {
            let _ = write!(o, ", {} to {}", md(a), md(b));
        }
        if let Some(e) = &input.error {
            let _ = write!(o, " — ⚠️ not read: {}", md(e));
        }
        if input.packets > 0 {
            if let Some(why) = &input.continuity {
                let _ = write!(o, " — {}", md(why));
            }
        }
        o.push('\n');
        for w in &input.warnings {
            let _ = writeln!(o, "  - ⚠️ {}", md(w));
        }
    }
    if report.redacted {
        let _ = writeln!(
            o,
            "- **Redacted:** addresses and host names (Host, SNI) are replaced by stable pseudonyms; query strings, credentials, payloads and TLS client randoms are left out; close reasons are kept."
        );
    }
    if let Some(line) = crate::report::filter::shown_line(report) {
        let _ = writeln!(o, "- **Selected:** {}.", md(&line));
    } else if report.summary.total_connections != report.summary.connections {
        let _ = writeln!(
            o,
            "- **Selected:** {} of {} WebSocket connections (on the command line).",
            report.summary.connections, report.summary.total_connections
        );
    }
}

fn table_head(names: &Names) -> String {
    let file = if names.0.is_some() { " File |" } else { "" };
    let line = if names.0.is_some() { "---|" } else { "" };
    format!(
        "\n## Connections\n\n| # |{file} Status | Closed by | Codes | Reason | Packets |\n|---:|{line}---|---|---|---|---|\n"
    )
}

/// A row of the overview table.
fn row(o: &mut String, c: &ConnectionReport, names: &Names) {
    match c.h2_stream {
        // The streams of one HTTP/2 connection share its endpoints and packets.
        Some(n) => {
            let _ = write!(o, "| {} (h2 stream {n}) |", c.id);
        }
        None => {
            let _ = write!(o, "| {} |", c.id);
        }
    }
    if let Some(name) = names.of_connection(c) {
        let _ = write!(o, " {} |", md(name));
    }
    let reason =
        c.close_frames
            .iter()
            .find(|f| !f.reason.is_empty())
            .map_or("—".to_string(), |f| {
                let shown: String = f.reason.chars().take(REASON_SHOWN).collect();
                let more = if shown.len() < f.reason.len() {
                    "…"
                } else {
                    ""
                };
                format!("{}{more}", md(&shown))
            });
    let _ = writeln!(
        o,
        " {} | {} | {} | {reason} | {}–{} |",
        md(&status_label(c)),
        closed_by(c),
        codes(c),
        c.first_packet,
        c.last_packet
    );
}

/// The section on what each status means (problems first, then by count), within
/// `limit` characters if given.
fn meanings(groups: &Groups, limit: Option<usize>) -> String {
    let mut o = String::from("\n## What the statuses mean\n");
    let mut not_shown = Vec::new();
    for g in groups.in_order() {
        let mut s = String::new();
        let mut list: Vec<String> = g.ids.iter().map(u64::to_string).collect();
        if g.count > g.ids.len() as u64 {
            list.push("…".into());
        }
        let n = g.count;
        let _ = writeln!(
            s,
            "\n### {} — {n} connection{}: {}\n",
            md(&g.label),
            if n == 1 { "" } else { "s" },
            list.join(", ")
        );
        if !g.cause.is_empty() {
            let _ = writeln!(s, "- **Cause:** {}", md(&g.cause));
        }
        let _ = writeln!(s, "- **Fix:** {}", md(&g.fix));
        if limit.is_some_and(|l| o.chars().count() + s.chars().count() > l) {
            not_shown.push(g.label.split(' ').next().unwrap_or_default().to_string());
            continue;
        }
        o.push_str(&s);
    }
    if !not_shown.is_empty() {
        let _ = writeln!(
            o,
            "\nLeft out to fit: what {} mean{} (`wsclose explain CODE` says it).",
            md(&not_shown.join(", ")),
            if not_shown.len() == 1 { "s" } else { "" }
        );
    }
    o
}

/// A TLS report in a sentence: "TLS 1.3, TLS_AES_128_GCM_SHA256, SNI example.com, ALPN
/// http/1.1".
fn tls_text(tls: &crate::report::tls::TlsReport) -> String {
    md(&super::tls_parts(tls).join(", "))
}

/// The TLS connections that could not be read, and what to do about each reason; within `limit`
/// characters if given.
fn encrypted(report: &Report, limit: Option<usize>) -> String {
    let seen = &report.seen;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "\n## Encrypted connections\n\n| Client → server | TLS | Not read because | TCP |\n|---|---|---|---|"
    );
    let mut not_listed = seen.encrypted_not_listed;
    for (i, e) in seen.encrypted.iter().enumerate() {
        let line = format!(
            "| {} → {} | {} | {} | {} |\n",
            md(&e.client.to_string()),
            md(&e.server.to_string()),
            tls_text(&e.tls) + if e.without_sni() { ", no SNI" } else { "" },
            md(&e.why()),
            md(&crate::report::tls::tcp_end_text(
                e.tcp_end,
                e.tcp_end_by,
                e.tcp_end_packet
            ))
        );
        if limit.is_some_and(|l| o.len() + line.len() > l) {
            not_listed += (seen.encrypted.len() - i) as u64;
            break;
        }
        o.push_str(&line);
    }
    if not_listed > 0 {
        let _ = writeln!(
            o,
            "\n… and {not_listed} more encrypted connections (counted, not listed; `--format json` lists up to {}).",
            crate::report::Seen::MAX_ENCRYPTED
        );
    }
    for line in crate::report::tls::advice_lines(&seen.encrypted) {
        let _ = writeln!(o, "\n{}", md(&line));
    }
    o
}

/// One connection's folded section.
/// `full`: with the table of the frames around the close (the diagram shows the last of
/// them, with any unusual flag).
fn connection(
    o: &mut String,
    c: &ConnectionReport,
    inputs: &[InputSummary],
    names: &Names,
    groups: &Groups,
    full: bool,
) {
    let _ = write!(
        o,
        "\n<details><summary>Connection {}: {} → {} — {}",
        c.id,
        html(&c.client.to_string()),
        html(&c.server.to_string()),
        html(&status_label(c))
    );
    if let Some(name) = names.of_connection(c) {
        let _ = write!(o, " — {}", html(name));
    }
    o.push_str("</summary>\n\n");
    let _ = writeln!(o, "- **What the capture shows:** {}", md(&c.status.detail));
    if let Some(e) = &c.evidence {
        let mark = if e.consistent { "" } else { "⚠️ " };
        let _ = writeln!(o, "- **Evidence:** {mark}{}", md(&e.summary));
    }
    let fix: &str = &c.status.fix;
    match groups.fix(c) {
        Some(shared) if shared == fix => {}
        Some(shared) if fix.ends_with(shared) => {
            let own = fix.strip_suffix(shared).unwrap_or(fix).trim_end();
            let _ = writeln!(
                o,
                "- **Fix for this connection:** {} (then the status's fix above)",
                md(own)
            );
        }
        _ => {
            let _ = writeln!(o, "- **Fix for this connection:** {}", md(fix));
        }
    }
    if let Some(leg) = &c.leg {
        let _ = writeln!(
            o,
            "- **Proxied:** {}",
            md(&crate::report::legs::describe(leg))
        );
    }
    if let Some(tls) = &c.tls {
        let _ = write!(o, "- **TLS (wss://):** {}", tls_text(tls));
        let clean = |p: Option<u64>| {
            p.map_or("no close_notify".to_owned(), |p| {
                format!("close_notify at packet {p}")
            })
        };
        let _ = writeln!(
            o,
            "; client {}, server {}",
            clean(tls.close_notify.client),
            clean(tls.close_notify.server)
        );
        if let Some(why) = &tls.not_decrypted {
            let _ = writeln!(o, "  - ⚠️ not decrypted in full: {}", md(why));
        }
    }
    let _ = writeln!(
        o,
        "- **Seen by the applications:** client {}, server {}",
        c.seen_by.client.map_or("—".into(), |v| v.to_string()),
        c.seen_by.server.map_or("—".into(), |v| v.to_string())
    );
    // Rotated files read as one capture number packets on across them: which file and
    // packet that is.
    let files = if inputs.iter().any(|i| i.continues_previous) {
        format!(
            " ({} to {})",
            md(&crate::report::place(inputs, c.input, c.first_packet)),
            md(&crate::report::place(inputs, c.input, c.last_packet))
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        o,
        "- **Time:** {} to {} ({:.3} s), packets {} to {}{files}",
        md(&c.start.rfc3339()),
        md(&c.end.rfc3339()),
        c.duration_s,
        c.first_packet,
        c.last_packet
    );
    handshake(o, c);
    let tcp = match (c.tcp_end, c.tcp_end_by, c.tcp_end_packet) {
        ("open", ..) => match c.evicted {
            Some(e) => e.short().to_string(),
            None => "still open at the end of the capture".to_string(),
        },
        (kind, Some(by), Some(p)) => {
            let mut t = format!("{} from the {by} (packet {p})", kind.to_uppercase());
            // The same side's RST after its FIN.
            if let Some(r) = c.tcp_ends.first().and_then(|e| e.rst_after_fin) {
                let _ = write!(t, ", then RST from the {by} (packet {})", r.packet);
            }
            t
        }
        (kind, ..) => kind.to_string(),
    };
    let _ = writeln!(o, "- **TCP ended:** {tcp}");
    if let Some(n) = c.h2_stream {
        let ends = c.stream_ends_text("packet").unwrap_or_else(|| {
            if c.tcp_end == "open" {
                "still open at the end of the capture".into()
            } else {
                "no frame of its own: it ended with its TCP connection".into()
            }
        });
        let _ = writeln!(o, "- **HTTP/2 stream {n} ended:** {}", md(&ends));
    }
    if let Some(idle) = c.idle_before_end_s {
        // As the diagnosis texts write it: milliseconds under 10 s, tenths above.
        let _ = writeln!(
            o,
            "- **Quiet before the end:** {} since the last frame",
            Secs(idle)
        );
    }
    if let Some(f) = super::wireshark::filter(c) {
        let _ = writeln!(o, "- **Wireshark:** `{f}`");
        if let Some(s) = super::wireshark::stream_filter(c) {
            let _ = writeln!(o, "  - its HTTP/2 stream only: `{s}`");
        }
        if let Some(d) = super::wireshark::decode_as_tls(c) {
            let _ = writeln!(
                o,
                "  - TLS on a port Wireshark does not decode as TLS: {}",
                md(&d)
            );
        }
    }
    sequence(o, c);
    close_frames(o, c);
    if full || c.timeline.is_some() {
        frames(o, c);
    }
    findings(o, c);
    o.push_str("\n</details>\n");
}

fn handshake(o: &mut String, c: &ConnectionReport) {
    let h = &c.handshake;
    let request = if h.seen {
        format!(
            "request at packet {}: {} {}, Host {}",
            h.request_packet.unwrap_or(0),
            if c.h2_stream.is_some() {
                "extended CONNECT (:protocol websocket)"
            } else {
                "GET"
            },
            opt(&h.path),
            opt(&h.host)
        )
    } else if let Some(cut) = &h.cut {
        let how = if cut == "snaplen" {
            "cut by the capture's snap length"
        } else {
            "partly missing from the capture"
        };
        let at = h
            .request_packet
            .map(|p| format!(" (packet {p})"))
            .unwrap_or_default();
        format!("request {how}{at}: the connection was found by its frames after it")
    } else if !c.decoded_to_end.client
        && !c
            .findings
            .iter()
            .any(|f| f.kind == crate::finding::Kind::HandshakeNotCaptured)
    {
        // The request's end is among bytes the capture lacks (a snaplen, a drop).
        "request incomplete: bytes of it are missing from the capture (see the gap findings)"
            .to_string()
    } else {
        "request not captured (the capture starts after the handshake)".to_string()
    };
    let response = match h.status {
        Some(s) => {
            let accept = match h.accept_valid {
                Some(true) => "Sec-WebSocket-Accept valid",
                Some(false) => "⚠️ Sec-WebSocket-Accept does not match the key",
                None => "no accept check",
            };
            format!(
                "response at packet {}: HTTP {s}, {accept}",
                h.response_packet.unwrap_or(0)
            )
        }
        None => "response not captured".to_string(),
    };
    let _ = write!(o, "- **Handshake:** {request}; {response}");
    if h.subprotocol.is_some() {
        let _ = write!(o, "; subprotocol {}", opt(&h.subprotocol));
    }
    if h.extensions.is_some() {
        let _ = write!(o, "; extensions {}", opt(&h.extensions));
    }
    o.push('\n');
}

/// The Mermaid sequence diagram of the connection's last moments: the handshake, the last
/// frames (every close frame among them), FIN and RST each way, with packet numbers and
/// seconds since the connection's first packet.
fn sequence(o: &mut String, c: &ConnectionReport) {
    let side = |r: Role| match r {
        Role::Client => ("C", "S"),
        Role::Server => ("S", "C"),
    };
    o.push_str("\n```mermaid\nsequenceDiagram\n");
    let _ = writeln!(
        o,
        "    participant C as client {}",
        mermaid(&c.client.to_string(), 60)
    );
    let _ = writeln!(
        o,
        "    participant S as server {}",
        mermaid(&c.server.to_string(), 60)
    );
    let h = &c.handshake;
    if let Some(p) = h.request_packet {
        let path = h.path.as_deref().map_or(String::new(), |p| mermaid(p, 40));
        let method = if c.h2_stream.is_some() {
            "CONNECT"
        } else {
            "GET"
        };
        let _ = writeln!(o, "    C->>S: pkt {p} {method} {path}");
    }
    if let (Some(p), Some(s)) = (h.response_packet, h.status) {
        let _ = writeln!(o, "    S->>C: pkt {p} HTTP {s}");
    }
    if h.request_packet.is_none() && h.response_packet.is_none() {
        let _ = writeln!(o, "    Note over C,S: handshake not captured");
    }
    if c.tls.is_some() {
        let _ = writeln!(o, "    Note over C,S: inside TLS (wss)");
    }
    // The last frames that are not close frames, and every close frame.
    let all = c.timeline.as_ref().unwrap_or(&c.recent_frames);
    let others: Vec<usize> = (0..all.len())
        .filter(|&i| all.get(i).is_some_and(|f| f.opcode != "close"))
        .collect();
    let from_other = others.len().saturating_sub(DIAGRAM_FRAMES);
    let keep = |i: usize| {
        all.get(i).is_some_and(|f| f.opcode == "close")
            || others.get(from_other..).is_some_and(|o| o.contains(&i))
    };
    let shown: Vec<_> = (0..all.len())
        .filter(|&i| keep(i))
        .filter_map(|i| all.get(i))
        .collect();
    let frames = c.frames.client.frames + c.frames.server.frames;
    let hidden = frames.saturating_sub(shown.len() as u64);
    if hidden > 0 {
        let _ = writeln!(
            o,
            "    Note over C,S: {hidden} earlier frame{} not shown",
            if hidden == 1 { "" } else { "s" }
        );
    }
    // Frames and TCP ends in capture order (a FIN after a frame of the same packet).
    let mut lines: Vec<((u64, u8), String)> = Vec::new();
    for f in shown {
        let (a, b) = side(f.from);
        let what = if f.opcode == "close" {
            format!(
                "CLOSE {}",
                f.detail
                    .as_deref()
                    .map_or(String::new(), |d| mermaid(d, 70))
            )
        } else {
            let mut w = format!("{} {} B", f.opcode, f.len);
            if !f.fin {
                w.push_str(" not final");
            }
            if f.rsv != 0 {
                let _ = write!(w, " RSV {:03b}", f.rsv);
            }
            // RFC 6455 §5.1: a client masks every frame, a server none.
            if f.masked != (f.from == Role::Client) {
                w.push_str(if f.masked { " masked" } else { " unmasked" });
            }
            if let Some(d) = &f.detail {
                let _ = write!(w, " {}", mermaid(d, 30));
            }
            w
        };
        lines.push((
            (f.packet, 0),
            format!(
                "    {a}->>{b}: pkt {} +{:.3} s {what}",
                f.packet,
                f.ts.since(c.start).max(0.0)
            ),
        ));
    }
    for (k, e) in c.tcp_ends.iter().enumerate() {
        let (a, b) = side(e.by);
        let (arrow, kind) = match e.kind {
            crate::stack::tcp::connection::EndKind::Fin => ("--)", "FIN"),
            crate::stack::tcp::connection::EndKind::Rst => ("-x", "RST"),
        };
        let mut line = String::new();
        if k == 0 {
            if let Some(idle) = c.idle_before_end_s.filter(|&s| s >= 1.0) {
                let _ = writeln!(line, "    Note over C,S: quiet for {}", Secs(idle));
            }
        }
        let _ = write!(
            line,
            "    {a}{arrow}{b}: pkt {} +{:.3} s {kind}",
            e.packet,
            e.time.since(c.start).max(0.0)
        );
        lines.push(((e.packet, 1), line));
        // The same side's RST after its FIN.
        if let Some(r) = e.rst_after_fin {
            lines.push((
                (r.packet, 1),
                format!(
                    "    {a}-x{b}: pkt {} +{:.3} s RST",
                    r.packet,
                    r.time.since(c.start).max(0.0)
                ),
            ));
        }
    }
    // An HTTP/2 WebSocket's stream: its END_STREAM, RST_STREAM and GOAWAY frames.
    for e in &c.stream_ends {
        let (a, b) = side(e.by);
        let arrow = match e.kind {
            crate::report::StreamEndName::RstStream => "-x",
            crate::report::StreamEndName::EndStream | crate::report::StreamEndName::Goaway => "--)",
        };
        let kind = e.kind.frame();
        let code = e
            .error_code
            .as_deref()
            .map(|c| crate::sanitize::mermaid(c, 24))
            .unwrap_or_default();
        lines.push((
            (e.packet, 1),
            format!(
                "    {a}{arrow}{b}: pkt {} +{:.3} s {kind} {code}",
                e.packet,
                e.time.since(c.start).max(0.0)
            )
            .trim_end()
            .to_string(),
        ));
    }
    // TLS's close_notify alerts (RFC 8446 §6.1): each side's clean end of TLS, in the
    // packet that carried it (before a FIN in the same packet).
    if let Some(tls) = &c.tls {
        for (role, packet) in [
            (Role::Client, tls.close_notify.client),
            (Role::Server, tls.close_notify.server),
        ] {
            if let Some(p) = packet {
                let (a, b) = side(role);
                lines.push(((p, 0), format!("    {a}--){b}: pkt {p} TLS close_notify")));
            }
        }
    }
    lines.sort_by_key(|(k, _)| *k);
    for (_, l) in lines {
        o.push_str(&l);
        o.push('\n');
    }
    if c.tcp_end == "open" {
        let note = c
            .evicted
            .map_or("still open at the end of the capture", |e| e.short());
        let _ = writeln!(o, "    Note over C,S: {}", mermaid(note, 80));
    }
    o.push_str("```\n");
}

fn close_frames(o: &mut String, c: &ConnectionReport) {
    if c.close_frames.is_empty() {
        let _ = writeln!(o, "\nNo close frame in the capture.");
        return;
    }
    let _ = writeln!(
        o,
        "\n| Close at packet | Time | From | Code | Name | Reason | Problems |\n|---:|---|---|---:|---|---|---|"
    );
    for f in &c.close_frames {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} |",
            f.packet,
            md(&f.time.rfc3339()),
            f.from,
            f.code.map_or("—".into(), |v| v.to_string()),
            f.name.map_or("no status code".to_string(), md),
            if f.reason.is_empty() {
                "—".to_string()
            } else {
                md(&f.reason)
            },
            if f.problems.is_empty() {
                "—".to_string()
            } else {
                md(&f.problems.join(", "))
            }
        );
    }
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
    let _ = writeln!(o, "\n**{title}**");
    if let Some(n) = c.timeline_frames_left_out().filter(|n| *n > 0) {
        let _ = writeln!(
            o,
            "\n({n} earlier frames fell out of the frame log and are not listed)"
        );
    }
    let _ = writeln!(o, "\n| Packet | From | Opcode | FIN | RSV | Mask | Length | Detail |\n|---:|---|---|---|---|---|---:|---|");
    for f in shown {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {:03b} | {} | {} | {} |",
            f.packet,
            f.from,
            f.opcode,
            if f.fin { "✓" } else { "" },
            f.rsv,
            if f.masked { "✓" } else { "" },
            f.len,
            f.detail.as_deref().map_or(String::new(), md)
        );
    }
}

fn findings(o: &mut String, c: &ConnectionReport) {
    if c.findings.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "\n**Findings**\n\n| Packet | From | Kind | Detail |\n|---:|---|---|---|"
    );
    for f in &c.findings {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} |",
            f.packet.map_or("—".into(), |p| p.to_string()),
            f.from.map_or("—", |r| r.as_str()),
            f.kind.as_str(),
            md(&f.detail)
        );
    }
    if c.findings_dropped > 0 {
        let _ = writeln!(o, "\n…and {} more findings not listed.", c.findings_dropped);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::RENDER_CHUNK;

    /// Connections rendered in parts on two threads come out whole and in id order: the
    /// same text as one pass over them.
    #[test]
    fn parts_rendered_on_two_threads_come_out_in_order() {
        let report = crate::report::repeated_fixture_report(3 * RENDER_CHUNK + 5);
        let text = render_with(&report, &[], None);
        let names = Names::of(&report);
        let mut groups = Groups::default();
        for c in &report.connections {
            groups.add(c);
        }
        let mut one_pass = String::new();
        for c in &report.connections {
            connection(&mut one_pass, c, &report.inputs, &names, &groups, true);
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

    /// The quiet spell before the end is written as the diagnosis writes durations:
    /// milliseconds under 10 s, tenths of a second above.
    #[test]
    fn quiet_before_the_end_reads_like_the_diagnosis() {
        let report = crate::report::repeated_fixture_report(1);
        let mut c = report.connections[0].clone();
        let groups = Groups::default();
        for (idle, want) in [(0.25, "0.250 s"), (61.04, "61.0 s")] {
            c.idle_before_end_s = Some(idle);
            let mut o = String::new();
            connection(&mut o, &c, &[], &Names(None), &groups, false);
            let line = format!("- **Quiet before the end:** {want} since the last frame\n");
            assert!(o.contains(&line), "{idle}: {o}");
        }
    }
}
