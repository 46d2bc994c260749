//! `--format table` (the default): a comfy-table per report, sized to the terminal.
//!
//! In: a [`Report`]. Out: text for a terminal or a pipe. One row per connection (endpoints
//! and path, close frames each way, how TCP ended, status with cause and fix, findings),
//! then counts by status. Every string from the wire goes through `sanitize::terminal`.

use super::{ConnectionReport, Report};
use crate::close::catalog;
use crate::flow::Role;
use crate::sanitize::terminal;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, Color, ContentArrangement, Table};
use std::fmt::Write;

fn close_line(c: &ConnectionReport, from: Role) -> String {
    let frames: Vec<_> = c.close_frames.iter().filter(|f| f.from == from).collect();
    let Some(f) = frames.first() else {
        return format!("{from}: no close frame");
    };
    let mut s = match f.code {
        Some(code) => format!("{from}: {code} {}", catalog::lookup(code).name),
        None => format!("{from}: empty close (no code)"),
    };
    if !f.reason.is_empty() {
        let _ = write!(s, " \"{}\"", terminal(&f.reason));
    }
    let _ = write!(s, " [pkt {}]", f.packet);
    if !f.problems.is_empty() {
        let _ = write!(s, " ({})", f.problems.join(", "));
    }
    if frames.len() > 1 {
        let _ = write!(s, " +{} more", frames.len() - 1);
    }
    s
}

/// Green for clean closes, yellow for 1005 and still-open, red for the rest.
fn status_color(c: &ConnectionReport) -> Color {
    match c.status.code {
        Some(1000) | Some(1001) if !c.findings.iter().any(|f| f.kind.is_violation()) => {
            Color::Green
        }
        Some(1005) | None => Color::Yellow,
        _ => Color::Red,
    }
}

pub fn render(report: &Report, width: Option<u16>, color: bool) -> String {
    let mut out = String::new();
    for (i, input) in report.inputs.iter().enumerate() {
        let n = report.connections.iter().filter(|c| c.input == i).count();
        let _ = writeln!(
            out,
            "{}: {} packets, {} WebSocket connection{}",
            terminal(&input.path),
            input.packets,
            n,
            if n == 1 { "" } else { "s" }
        );
    }
    if report.connections.is_empty() {
        return out;
    }
    let mut t = Table::new();
    if !color {
        t.force_no_tty();
    } else {
        t.enforce_styling();
    }
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec![
            "#",
            "Connection",
            "Close frames / TCP",
            "Status",
            "Cause and fix",
        ]);
    t.set_width(width.unwrap_or(160));
    for c in &report.connections {
        let mut conn = format!("{}\n→ {}", c.client, c.server);
        if let Some(p) = &c.handshake.path {
            let _ = write!(conn, "\n{}", terminal(p));
        }
        if !c.handshake.seen {
            conn.push_str("\n(handshake not captured)");
        }
        let tcp = match (c.tcp_end, c.tcp_end_by, c.tcp_end_packet) {
            ("open", ..) => "tcp: still open at end of capture".to_string(),
            (kind, Some(by), Some(p)) => format!("tcp: {} by {by} [pkt {p}]", kind.to_uppercase()),
            (kind, ..) => format!("tcp: {kind}"),
        };
        // The initiator's line first: its code is the status.
        let first = c.close_frames.first().map_or(Role::Client, |f| f.from);
        let closes = format!(
            "{}\n{}\n{tcp}",
            close_line(c, first),
            close_line(c, first.peer())
        );
        let mut status = match c.status.code {
            Some(code) => format!("{code} {}", c.status.name),
            None => c.status.name.clone(),
        };
        if c.status.inferred {
            status.push_str("\n(inferred)");
        }
        let violations: Vec<_> = c
            .findings
            .iter()
            .filter(|f| f.kind.is_violation())
            .collect();
        let notes = c.findings.len() - violations.len();
        if !violations.is_empty() {
            let _ = write!(
                status,
                "\n⚠ {} violation{}:",
                violations.len(),
                if violations.len() == 1 { "" } else { "s" }
            );
            for f in violations.iter().take(3) {
                let _ = write!(status, "\n  {}", f.kind.as_str());
                if let Some(p) = f.packet {
                    let _ = write!(status, " [pkt {p}]");
                }
            }
            if violations.len() > 3 {
                let _ = write!(status, "\n  …");
            }
        }
        if notes > 0 {
            let _ = write!(
                status,
                "\n{notes} capture note{}",
                if notes == 1 { "" } else { "s" }
            );
        }
        let mut cause = String::new();
        if let Some(e) = &c.evidence {
            let mark = if e.consistent {
                "Evidence"
            } else {
                "⚠ Evidence"
            };
            let _ = writeln!(cause, "{mark}: {}", terminal(&e.summary));
        }
        let _ = write!(
            cause,
            "{}\nFix: {}",
            terminal(&c.status.cause),
            terminal(&c.status.fix)
        );
        let mut status_cell = Cell::new(status);
        if color {
            status_cell = status_cell.fg(status_color(c));
        }
        t.add_row(vec![
            Cell::new(c.id),
            Cell::new(conn),
            Cell::new(closes),
            status_cell,
            Cell::new(cause),
        ]);
    }
    let _ = writeln!(out, "{t}");
    let mut sum = Table::new();
    sum.load_style(UTF8_FULL_CONDENSED)
        .set_header(vec!["Status", "Connections"]);
    for (key, n) in &report.summary.by_status {
        let label = match key.parse::<u16>() {
            Ok(code) => {
                let e = catalog::lookup(code);
                let inferred = if matches!(code, 1005 | 1006) {
                    " (inferred)"
                } else {
                    ""
                };
                format!("{code} {}{inferred}", e.name)
            }
            Err(_) => key.clone(),
        };
        sum.add_row(vec![label, n.to_string()]);
    }
    let _ = writeln!(out, "{sum}");
    out
}
