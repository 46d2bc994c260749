//! The Mermaid sequence diagram of a connection's last moments, for its Markdown section.
//!
//! In: a [`ConnectionReport`]. Out: a fenced `mermaid` block (GitHub and GitLab draw it):
//! the handshake, the last frames and every close frame, FIN and RST each way, HTTP/2
//! stream endings and TLS close_notify, with packet numbers and seconds since the
//! connection's first packet. Text from the wire goes through `sanitize::mermaid`.

use crate::report::ConnectionReport;
use crate::sanitize::mermaid;
use crate::units::Secs;
use crate::vocab::TcpEndName;
use crate::vocab::{FrameRecord, Opcode, Role};
use std::fmt::Write;

/// Frames other than close frames the sequence diagram shows before the end.
const DIAGRAM_FRAMES: usize = 6;

/// The last `n` frames each way of `frames`, in order: what a frame log of `n` frames each
/// way keeps. A report analysed with a longer log (for an HTML export beside the Markdown)
/// draws the diagram a Markdown report alone draws.
fn last_each_way(frames: &[FrameRecord], n: usize) -> Vec<&FrameRecord> {
    let (mut client, mut server) = (0, 0);
    let mut kept: Vec<&FrameRecord> = frames
        .iter()
        .rev()
        .filter(|f| {
            let seen = match f.from {
                Role::Client => &mut client,
                Role::Server => &mut server,
            };
            *seen += 1;
            *seen <= n
        })
        .collect();
    kept.reverse();
    kept
}

/// The Mermaid sequence diagram of the connection's last moments: the handshake, the last
/// frames (every close frame among them), FIN and RST each way, with packet numbers and
/// seconds since the connection's first packet.
pub(super) fn sequence(o: &mut String, c: &ConnectionReport) {
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
    // The last frames that are not close frames, and every close frame, of what a Markdown
    // report's frame log keeps.
    let all: Vec<&FrameRecord> = match &c.timeline {
        Some(t) => t.iter().collect(),
        None => last_each_way(&c.recent_frames, super::FRAME_LOG),
    };
    let others: Vec<usize> = (0..all.len())
        .filter(|&i| all.get(i).is_some_and(|f| f.opcode != Opcode::CLOSE))
        .collect();
    let from_other = others.len().saturating_sub(DIAGRAM_FRAMES);
    let keep = |i: usize| {
        all.get(i).is_some_and(|f| f.opcode == Opcode::CLOSE)
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
        let what = if f.opcode == Opcode::CLOSE {
            format!(
                "CLOSE {}",
                f.detail
                    .as_deref()
                    .map_or(String::new(), |d| mermaid(d, 70))
            )
        } else {
            let mut w = format!("{} {} B", f.opcode.name(), f.len);
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
            crate::vocab::EndKind::Fin => ("--)", "FIN"),
            crate::vocab::EndKind::Rst => ("-x", "RST"),
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
    if c.tcp_end() == TcpEndName::Open {
        let note = c
            .evicted
            .map_or("still open at the end of the capture", |e| e.short());
        let _ = writeln!(o, "    Note over C,S: {}", mermaid(note, 80));
    }
    o.push_str("```\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report analysed with HTML's longer frame log draws the diagram one analysed for
    /// Markdown alone draws: not a close frame that a log of 12 each way had dropped.
    #[test]
    fn a_longer_frame_log_draws_what_markdowns_own_draws() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/path/python-slow-reader.pcap");
        let opts = crate::analyzer::Options {
            frame_log: crate::render::html::FRAME_LOG,
            threads: 1,
            ..Default::default()
        };
        let report = crate::analyze_files(&[path], opts).unwrap();
        let mut long = report.connections[0].clone();
        // A close frame 20 frames before the end of its side's frames: in the long log
        // only.
        let side = long.recent_frames.last().unwrap().from;
        let at = long
            .recent_frames
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, f)| f.from == side)
            .nth(20)
            .unwrap()
            .0;
        long.recent_frames[at].opcode = crate::vocab::Opcode::CLOSE;
        long.recent_frames[at].detail = Some("4999 \"long ago\"".into());
        // What a log of 12 each way keeps: the last 12 of each side.
        let mut short = long.clone();
        let kept: Vec<FrameRecord> = last_each_way(&long.recent_frames, super::super::FRAME_LOG)
            .into_iter()
            .cloned()
            .collect();
        short.frames_not_logged += (long.recent_frames.len() - kept.len()) as u64;
        short.recent_frames = kept;
        assert!(short.recent_frames.len() < long.recent_frames.len());
        let draw = |c: &ConnectionReport| {
            let mut o = String::new();
            sequence(&mut o, c);
            o
        };
        assert_eq!(draw(&long), draw(&short));
        assert!(!draw(&long).contains("long ago"));
    }
}
