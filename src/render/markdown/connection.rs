//! One connection's folded `<details>` section of the Markdown report.
//!
//! In: a [`ConnectionReport`], the inputs (to place its packets in rotated files), the
//! report's file names and status groups. Out: what the capture shows, the fix when it is
//! the connection's own, TLS, time, the handshake, how TCP (and an HTTP/2 stream) ended, the
//! Wireshark filter, the sequence diagram, the close frames, the frames around the close
//! (`full`, or with `--timeline` every frame) and the findings.

use super::sequence::sequence;
use super::{tls_text, Names};
use crate::capture::file::InputSummary;
use crate::diagnose::text::Secs;
use crate::render::statuses::{self, Statuses};
use crate::render::text::{handshake_words, TcpEnding};
use crate::report::wireshark;
use crate::report::ConnectionReport;
use crate::sanitize::{html, markdown as md};
use std::fmt::Write;

/// How many frames before the end the "frames around the close" table shows.
const AROUND_CLOSE: usize = 12;

fn opt(v: &Option<String>) -> String {
    v.as_deref().map_or("—".to_string(), md)
}

/// One connection's folded section.
/// `full`: with the table of the frames around the close (the diagram shows the last of
/// them, with any unusual flag).
pub(super) fn connection(
    o: &mut String,
    c: &ConnectionReport,
    inputs: &[InputSummary],
    names: &Names,
    statuses: &Statuses,
    full: bool,
) {
    let _ = write!(
        o,
        "\n<details><summary>Connection {}: {} → {} — {}",
        c.id,
        html(&c.client.to_string()),
        html(&c.server.to_string()),
        html(&statuses::label(c))
    );
    if let Some(name) = names.of_connection(c) {
        let _ = write!(o, " — {}", html(name));
    }
    o.push_str("</summary>\n\n");
    if let Some(a) = &c.application {
        let _ = writeln!(
            o,
            "- **Application ({}):** {}",
            md(&a.protocol),
            md(&crate::render::app_text(a))
        );
    }
    let _ = writeln!(o, "- **What the capture shows:** {}", md(&c.status.detail));
    if let Some(e) = &c.evidence {
        let mark = if e.consistent { "" } else { "⚠️ " };
        let _ = writeln!(o, "- **Evidence:** {mark}{}", md(&e.summary));
    }
    let fix: &str = &c.status.fix;
    match statuses.of(c).map(|s| s.fix.as_str()) {
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
    if let Some(t) = &c.tunnel {
        let _ = writeln!(
            o,
            "- **Forward proxy:** {}",
            md(&t.phrase(crate::report::tunnel::BODY_TEXT))
        );
    }
    if let Some(leg) = &c.leg {
        let _ = writeln!(
            o,
            "- **Proxied:** {}",
            md(&crate::report::legs::describe(leg))
        );
    }
    if let Some(e) = &c.encapsulation {
        let _ = writeln!(o, "- **Tunnel:** {}", md(&e.to_string()));
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
    let tcp = match TcpEnding::of(c) {
        TcpEnding::Open(why) => why
            .unwrap_or("still open at the end of the capture")
            .to_string(),
        TcpEnding::By {
            kind,
            by,
            packet,
            rst,
        } => {
            let mut t = format!("{kind} from the {by} (packet {packet})");
            // The same side's RST after its FIN.
            if let Some(r) = rst {
                let _ = write!(t, ", then RST from the {by} (packet {r})");
            }
            t
        }
        TcpEnding::Unplaced(kind) => kind.to_string(),
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
    if let Some(f) = wireshark::filter(c) {
        let _ = writeln!(o, "- **Wireshark:** `{f}`");
        if let Some(s) = wireshark::stream_filter(c) {
            let _ = writeln!(o, "  - its HTTP/2 stream only: `{s}`");
        }
        if let Some(d) = wireshark::decode_as_tls(c) {
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
    let (request, response) = handshake_words(c, &opt, "⚠️");
    let _ = write!(o, "- **Handshake:** {request}; {response}");
    if h.subprotocol.is_some() {
        let _ = write!(o, "; subprotocol {}", opt(&h.subprotocol));
    }
    if h.extensions.is_some() {
        let _ = write!(o, "; extensions {}", opt(&h.extensions));
    }
    o.push('\n');
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

    /// The quiet spell before the end is written as the diagnosis writes durations:
    /// milliseconds under 10 s, tenths of a second above.
    #[test]
    fn quiet_before_the_end_reads_like_the_diagnosis() {
        let report = crate::report::repeated_fixture_report(1);
        let mut c = report.connections[0].clone();
        let statuses = Statuses::default();
        for (idle, want) in [(0.25, "0.250 s"), (61.04, "61.0 s")] {
            c.idle_before_end_s = Some(idle);
            let mut o = String::new();
            connection(&mut o, &c, &[], &Names(None), &statuses, false);
            let line = format!("- **Quiet before the end:** {want} since the last frame\n");
            assert!(o.contains(&line), "{idle}: {o}");
        }
    }
}
