//! `--format markdown`: a self-contained report to paste into a GitHub/GitLab/Jira ticket.
//!
//! In: a [`Report`] (connections in memory or in its store; and, for the header, each
//! input's SHA-256, computed by the caller). Out, written as it is made: CommonMark/GFM: the tool, command line, inputs (name, size, SHA-256, time span), a
//! summary by status, then one section per connection: status with evidence, cause and
//! fix; the handshake; the close frames; the frames around the close; the findings. Every
//! string from the wire goes through `sanitize::markdown`, so nothing can break a table,
//! open a code span or inject HTML.

use super::{ConnectionReport, Report};
use crate::close::catalog;
use crate::sanitize::markdown as md;
use std::fmt::Write;

/// How many frames before the end the "frames around the close" table shows.
const AROUND_CLOSE: usize = 12;

fn status_label(c: &ConnectionReport) -> String {
    match c.status.code {
        Some(code) if c.status.inferred => format!("{code} {} (inferred)", c.status.name),
        Some(code) => format!("{code} {}", c.status.name),
        None => c.status.name.to_string(),
    }
}

fn opt(v: &Option<String>) -> String {
    v.as_deref().map_or("—".to_string(), md)
}

/// The whole report as a string (tests). `hashes[i]` is the SHA-256 of input `i`, when it
/// could be computed.
pub fn render(report: &Report, hashes: &[Option<String>]) -> String {
    let mut buf = Vec::new();
    let _ = write(report, hashes, &mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

/// Writes the report: its header and summary, then each connection's section as it is
/// read back from the store (a large report is never held whole).
pub fn write(
    report: &Report,
    hashes: &[Option<String>],
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut o = String::new();
    let _ = writeln!(o, "# WebSocket close report\n");
    let _ = writeln!(o, "- **Tool:** {}", md(&report.tool));
    if let Some(cmd) = &report.command {
        let _ = writeln!(o, "- **Command:** {}", md(cmd));
    }
    for (i, input) in report.inputs.iter().enumerate() {
        let _ = write!(o, "- **Input:** {}", md(&input.path));
        if let Some(b) = input.bytes {
            let _ = write!(o, ", {b} bytes");
        }
        if let Some(Some(h)) = hashes.get(i) {
            let _ = write!(o, ", SHA-256 {}", md(h));
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
        o.push('\n');
        for w in &input.warnings {
            let _ = writeln!(o, "  - ⚠️ {}", md(w));
        }
    }
    if report.redacted {
        let _ = writeln!(
            o,
            "- **Redacted:** addresses are replaced by stable pseudonyms; query strings, credentials and payloads are left out; close reasons are kept."
        );
    }
    let _ = writeln!(o, "\n## Summary\n");
    if report.summary.total_connections != report.summary.connections {
        let _ = writeln!(
            o,
            "{} of {} WebSocket connections are shown (selected on the command line).\n",
            report.summary.connections, report.summary.total_connections
        );
    }
    let _ = writeln!(o, "| Status | Connections |\n|---|---:|");
    for (key, n) in &report.summary.by_status {
        let label = match key.parse::<u16>() {
            Ok(code) => format!("{code} {}", catalog::lookup(code).name),
            Err(_) => key.clone(),
        };
        let _ = writeln!(o, "| {} | {n} |", md(&label));
    }
    out.write_all(o.as_bytes())?;
    let parts = report.render_chunks(
        |_, part| {
            let mut o = String::with_capacity(part.len() * 2048);
            for c in part {
                connection(&mut o, c);
            }
            Ok(o.into_bytes())
        },
        out,
    )?;
    if parts == 0 {
        out.write_all(b"\nNo WebSocket connection to show.\n")?;
    }
    if !report.seen.encrypted.is_empty() {
        out.write_all(encrypted(report).as_bytes())?;
    }
    Ok(())
}

/// A TLS report in a sentence: "TLS 1.3, TLS_AES_128_GCM_SHA256, SNI example.com, ALPN
/// http/1.1".
fn tls_text(tls: &super::tls::TlsReport) -> String {
    let mut parts = vec![tls.version.clone().unwrap_or_else(|| "TLS".into())];
    parts.extend(tls.cipher_suite.clone());
    if let Some(sni) = &tls.sni {
        parts.push(format!("SNI {sni}"));
    }
    match &tls.alpn {
        Some(a) => parts.push(format!("ALPN {a}")),
        None if !tls.alpn_offered.is_empty() => {
            parts.push(format!("ALPN offered {}", tls.alpn_offered.join(", ")))
        }
        None => {}
    }
    md(&parts.join(", "))
}

/// The TLS connections that could not be read, and how to get a key log.
fn encrypted(report: &Report) -> String {
    let seen = &report.seen;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "\n## Encrypted connections\n\n| Client → server | TLS | Not read because | TCP |\n|---|---|---|---|"
    );
    for e in &seen.encrypted {
        let _ = writeln!(
            o,
            "| {} → {} | {} | {} | {} |",
            md(&e.client.to_string()),
            md(&e.server.to_string()),
            tls_text(&e.tls),
            md(&e.why()),
            md(&super::tls::tcp_end_text(
                e.tcp_end,
                e.tcp_end_by,
                e.tcp_end_packet
            ))
        );
    }
    if seen.encrypted_not_listed > 0 {
        let _ = writeln!(
            o,
            "\n… and {} more encrypted connections (counted, not listed).",
            seen.encrypted_not_listed
        );
    }
    if seen.encrypted.iter().any(|e| e.tls.not_decrypted.is_some()) {
        let _ = writeln!(o, "\nHow to read them: {}.", md(super::tls::KEYLOG_HOWTO));
    }
    o
}

fn connection(o: &mut String, c: &ConnectionReport) {
    let _ = writeln!(
        o,
        "\n## Connection {}: {} → {} — {}\n",
        c.id,
        md(&c.client.to_string()),
        md(&c.server.to_string()),
        md(&status_label(c))
    );
    if let Some(e) = &c.evidence {
        let mark = if e.consistent { "" } else { "⚠️ " };
        let _ = writeln!(o, "- **Evidence:** {mark}{}", md(&e.summary));
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
    let _ = writeln!(o, "- **Cause:** {}", md(&c.status.cause()));
    let _ = writeln!(o, "- **Fix:** {}", md(&c.status.fix));
    let _ = writeln!(
        o,
        "- **Seen by the applications:** client {}, server {}",
        c.seen_by.client.map_or("—".into(), |v| v.to_string()),
        c.seen_by.server.map_or("—".into(), |v| v.to_string())
    );
    let _ = writeln!(
        o,
        "- **Time:** {} to {} ({:.3} s), packets {} to {}",
        md(&c.start.rfc3339()),
        md(&c.end.rfc3339()),
        c.duration_s,
        c.first_packet,
        c.last_packet
    );

    let h = &c.handshake;
    let _ = writeln!(o, "\n### Handshake\n\n| | |\n|---|---|");
    if h.seen {
        let _ = writeln!(
            o,
            "| Request | packet {}: GET {}, Host {} |",
            h.request_packet.unwrap_or(0),
            opt(&h.path),
            opt(&h.host)
        );
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
        let _ = writeln!(
            o,
            "| Request | {how}{at}: the connection was found by its frames after it |"
        );
    } else if !c.decoded_to_end.client
        && !c
            .findings
            .iter()
            .any(|f| f.kind == crate::finding::Kind::HandshakeNotCaptured)
    {
        // The request's end is among bytes the capture lacks (a snaplen, a drop).
        let _ = writeln!(
            o,
            "| Request | incomplete: bytes of it are missing from the capture (see the gap findings) |"
        );
    } else {
        let _ = writeln!(
            o,
            "| Request | not captured (the capture starts after the handshake) |"
        );
    }
    match h.status {
        Some(s) => {
            let accept = match h.accept_valid {
                Some(true) => "Sec-WebSocket-Accept valid",
                Some(false) => "⚠️ Sec-WebSocket-Accept does not match the key",
                None => "no accept check",
            };
            let _ = writeln!(
                o,
                "| Response | packet {}: HTTP {s}, {accept} |",
                h.response_packet.unwrap_or(0)
            );
        }
        None => {
            let _ = writeln!(o, "| Response | not captured |");
        }
    }
    let _ = writeln!(o, "| Subprotocol | {} |", opt(&h.subprotocol));
    let _ = writeln!(o, "| Extensions | {} |", opt(&h.extensions));

    let _ = writeln!(o, "\n### Close\n");
    if c.close_frames.is_empty() {
        let _ = writeln!(o, "No close frame in the capture.\n");
    } else {
        let _ = writeln!(o, "| Packet | Time | From | Code | Name | Reason | Problems |\n|---:|---|---|---:|---|---|---|");
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
        o.push('\n');
    }
    let tcp = match (c.tcp_end, c.tcp_end_by, c.tcp_end_packet) {
        ("open", ..) => "still open at the end of the capture".to_string(),
        (kind, Some(by), Some(p)) => format!("{} from the {by} (packet {p})", kind.to_uppercase()),
        (kind, ..) => kind.to_string(),
    };
    let _ = writeln!(o, "- **TCP ended:** {tcp}");
    if let Some(idle) = c.idle_before_end_s {
        // As the diagnosis texts write it: milliseconds under 10 s, tenths above.
        let idle = crate::close::diagnosis::Secs(idle);
        let _ = writeln!(o, "- **Quiet before the end:** {idle} since the last frame");
    }

    let frames = c.timeline.as_ref().unwrap_or(&c.recent_frames);
    if !frames.is_empty() {
        let shown: &[_] = if c.timeline.is_some() {
            frames
        } else {
            frames
                .get(frames.len().saturating_sub(AROUND_CLOSE)..)
                .unwrap_or(frames)
        };
        let title = if c.timeline.is_some() {
            "Timeline"
        } else {
            "Frames around the close"
        };
        let _ = writeln!(o, "\n### {title}\n\n| Packet | From | Opcode | FIN | RSV | Mask | Length | Detail |\n|---:|---|---|---|---|---|---:|---|");
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

    if !c.findings.is_empty() {
        let _ = writeln!(
            o,
            "\n### Findings\n\n| Packet | From | Kind | Detail |\n|---:|---|---|---|"
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
        let mut out = Vec::new();
        write(&report, &[], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut one_pass = String::new();
        for c in &report.connections {
            connection(&mut one_pass, c);
        }
        let start = text.find("\n## Connection 1:").unwrap();
        assert_eq!(&text[start..], one_pass);
        let ids: Vec<u64> = text
            .match_indices("\n## Connection ")
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
        let mut c = crate::report::repeated_fixture_report(1).connections[0].clone();
        for (idle, want) in [(0.25, "0.250 s"), (61.04, "61.0 s")] {
            c.idle_before_end_s = Some(idle);
            let mut o = String::new();
            connection(&mut o, &c);
            let line = format!("- **Quiet before the end:** {want} since the last frame\n");
            assert!(o.contains(&line), "{idle}: {o}");
        }
    }
}
