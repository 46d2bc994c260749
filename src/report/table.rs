//! `--format table` (the default): a comfy-table sized to the terminal, then what each
//! status means, once per status rather than once per connection.
//!
//! In: a [`Report`]. Out: text for a terminal or a pipe. One row per connection (endpoints,
//! path and input; every close frame each way; how TCP ended; the status with its evidence,
//! violations and capture notes), then each status shown with its documented cause and fix,
//! then counts by status. Every string from the wire goes through `sanitize::terminal`.

use super::{ConnectionReport, Report};
use crate::close::catalog;
use crate::flow::Role;
use crate::sanitize::terminal;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, Color, ContentArrangement, Table};
use std::fmt::Write;

/// Findings of one kind of list (violations or notes) shown per connection before "+N more".
const FINDINGS_SHOWN: usize = 3;

fn close_lines(c: &ConnectionReport, from: Role) -> String {
    let frames: Vec<_> = c.close_frames.iter().filter(|f| f.from == from).collect();
    if frames.is_empty() {
        return format!("{from}: no close frame");
    }
    let mut out = String::new();
    for (i, f) in frames.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match f.code {
            Some(code) => {
                let _ = write!(out, "{from}: {code} {}", catalog::lookup(code).name);
            }
            None => {
                let _ = write!(out, "{from}: empty close (no code)");
            }
        }
        if !f.reason.is_empty() {
            let _ = write!(out, " \"{}\"", terminal(&f.reason));
        }
        let _ = write!(out, " [pkt\u{a0}{}]", f.packet);
        if !f.problems.is_empty() {
            let _ = write!(out, " ({})", f.problems.join(", "));
        }
    }
    out
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

fn status_label(c: &ConnectionReport) -> String {
    match c.status.code {
        Some(code) if c.status.inferred => format!("{code} {} (inferred)", c.status.name),
        Some(code) => format!("{code} {}", c.status.name),
        None => c.status.name.to_string(),
    }
}

/// "kind [pkt N]" for up to `FINDINGS_SHOWN` findings, then how many more.
fn finding_list(out: &mut String, title: &str, items: &[&crate::finding::Finding]) {
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

pub fn render(report: &Report, width: Option<u16>, color: bool) -> String {
    let mut out = String::new();
    let many_inputs = report.inputs.len() > 1;
    for (i, input) in report.inputs.iter().enumerate() {
        if let Some(e) = &input.error {
            let _ = writeln!(out, "{}: not read: {}", terminal(&input.path), terminal(e));
            continue;
        }
        let n = report.connections.iter().filter(|c| c.input == i).count();
        let _ = writeln!(
            out,
            "{}: {} packet{}, {} WebSocket connection{}",
            terminal(&input.path),
            input.packets,
            if input.packets == 1 { "" } else { "s" },
            n,
            if n == 1 { "" } else { "s" }
        );
    }
    if report.redacted {
        let _ = writeln!(
            out,
            "(redacted: addresses are pseudonyms; query strings and payloads left out)"
        );
    }
    if report.connections.is_empty() {
        return out;
    }
    let mut t = Table::new();
    if color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec![
            "#",
            "Connection",
            "Close frames / TCP",
            "Status and evidence",
        ]);
    t.set_width(width.unwrap_or(160));
    for c in &report.connections {
        let mut conn = format!("{}\n→ {}", c.client, c.server);
        if let Some(p) = &c.handshake.path {
            let _ = write!(conn, "\n{}", terminal(p));
        }
        if many_inputs {
            if let Some(input) = report.inputs.get(c.input) {
                let name = std::path::Path::new(&input.path)
                    .file_name()
                    .map_or(input.path.clone(), |n| n.to_string_lossy().into_owned());
                let _ = write!(conn, "\n[{}]", terminal(&name));
            }
        }
        let tcp = match (c.tcp_end, c.tcp_end_by, c.tcp_end_packet) {
            ("open", ..) => "tcp: still open at end of capture".to_string(),
            (kind, Some(by), Some(p)) => {
                format!("tcp: {} by {by} [pkt\u{a0}{p}]", kind.to_uppercase())
            }
            (kind, ..) => format!("tcp: {kind}"),
        };
        // The initiator's lines first: its code is the status.
        let first = c.close_frames.first().map_or(Role::Client, |f| f.from);
        let closes = format!(
            "{}\n{}\n{tcp}",
            close_lines(c, first),
            close_lines(c, first.peer())
        );
        let mut status = status_label(c);
        if let Some(e) = &c.evidence {
            let mark = if e.consistent { "" } else { "⚠ " };
            let _ = write!(status, "\n{mark}{}", terminal(&e.summary));
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
    let _ = writeln!(out, "{t}");
    explanations(&mut out, report, width.unwrap_or(160));
    let mut sum = Table::new();
    sum.force_no_tty();
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

/// Wraps `text` to `width` columns with `indent` before every line.
fn wrap(out: &mut String, text: &str, indent: &str, width: usize) {
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty()
            && indent.len() + line.chars().count() + 1 + word.chars().count() > width
        {
            let _ = writeln!(out, "{indent}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{indent}{line}");
    }
}

/// Each status once: its meaning and typical causes, and the fix; with the connections.
fn explanations(out: &mut String, report: &Report, width: u16) {
    let mut groups: Vec<(String, String, String, Vec<u64>)> = Vec::new();
    for c in &report.connections {
        let label = status_label(c);
        let fix = c.status.fix.to_string();
        match groups.iter_mut().find(|g| g.0 == label && g.2 == fix) {
            Some(g) => g.3.push(c.id),
            None => {
                let cause = match c.status.code {
                    Some(code) => {
                        let e = catalog::lookup(code);
                        format!("{} {}", e.meaning, e.causes)
                    }
                    None => c.status.cause(),
                };
                groups.push((label, cause, fix, vec![c.id]));
            }
        }
    }
    let width = usize::from(width).clamp(40, 120);
    for (label, cause, fix, ids) in groups {
        let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
        let _ = writeln!(
            out,
            "{label} — connection{} {}",
            if ids.len() == 1 { "" } else { "s" },
            ids.join(", ")
        );
        wrap(out, &format!("Cause: {}", terminal(&cause)), "  ", width);
        wrap(out, &format!("Fix: {}", terminal(&fix)), "  ", width);
        out.push('\n');
    }
}
