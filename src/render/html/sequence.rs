//! The sequence picture of a connection's last moments, as inline SVG.
//!
//! In: a [`ConnectionReport`] (and, for a leg of a proxied session, a [`Sketch`] of the
//! other leg, made from its report as it was read), and application messages to draw on
//! their own arrows ([`AppMessage`]; none yet). Out: an `<svg>` with one lifeline per party
//! (client, the proxy when the legs are linked, server) and one row per event in capture
//! order: the upgrade request and its answer, the last frames, every close frame each way,
//! FIN and RST (RFC 9293 §3.6), an HTTP/2 stream's END_STREAM, RST_STREAM and GOAWAY
//! (RFC 9113 §6.1, §6.4, §6.8), TLS close_notify (RFC 8446 §6.1), a note for the quiet spell
//! before the end, each with its packet number and its time since the picture's first
//! packet. Every label is wire text escaped by `sanitize::html`, cut to fit its arrow.

use super::h;
use crate::report::legs::Side as LegSide;
use crate::report::{ConnectionReport, Host, StreamEndName};
use crate::units::Secs;
use crate::vocab::TcpEndName;
use crate::vocab::{EndKind, Opcode, Role, Timestamp};
use std::fmt::Write;

/// Frames other than close frames drawn before the end.
const FRAMES_SHOWN: usize = 6;

/// Close frames drawn (a hostile peer may send many).
const CLOSES_SHOWN: usize = 8;

/// HTTP/2 stream endings and TLS alerts drawn (each list).
const ENDINGS_SHOWN: usize = 8;

/// Of the other leg of a proxied session: the frames other than close frames drawn.
const OTHER_LEG_FRAMES: usize = 2;

/// Events of the other leg kept in its sketch.
pub(super) const SKETCH_EVENTS: usize = 16;

/// The picture's width; heights follow from its rows.
const WIDTH: f64 = 1000.0;
/// Where the lifelines start (below the parties' boxes).
const TOP: f64 = 52.0;
const ROW: f64 = 24.0;
const NOTE_ROW: f64 = 22.0;
const QUIET_ROW: f64 = 34.0;
/// Pixels per character of a label (12 px sans-serif, on average).
const CHAR_PX: f64 = 6.6;

/// A message of the application protocol that decided the ending (a socket.io disconnect,
/// an MQTT DISCONNECT), drawn on its own arrow from its sender.
#[derive(Debug, Clone)]
pub struct AppMessage {
    /// The side that sent it.
    pub from: Role,
    /// The packet that completed it.
    pub packet: u64,
    /// When that packet was captured, when known.
    pub time: Option<Timestamp>,
    /// What it was, as the application protocol names it (wire text: escaped here).
    pub label: String,
}

/// The parties of a picture, left to right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lane {
    Client,
    Proxy,
    Server,
}

/// How an arrow is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// The upgrade request and its answer.
    Http,
    Data,
    /// Ping, pong.
    Control,
    Close,
    /// FIN, END_STREAM, a GOAWAY: one direction (or the stream) ends in order.
    Fin,
    /// RST, RST_STREAM: both directions cut at once.
    Rst,
    Tls,
    App,
}

impl Style {
    fn class(self) -> &'static str {
        match self {
            Style::Http => "s-http",
            Style::Data => "s-data",
            Style::Control => "s-ctl",
            Style::Close => "s-close",
            Style::Fin => "s-fin",
            Style::Rst => "s-rst",
            Style::Tls => "s-tls",
            Style::App => "s-app",
        }
    }

    /// Whether it ends what carried the session (the quiet spell is noted before the
    /// first such row).
    fn ends(self) -> bool {
        matches!(self, Style::Fin | Style::Rst)
    }
}

/// One row of the picture: an arrow or a note across the lifelines.
#[derive(Debug, Clone)]
enum Row {
    Arrow {
        /// Capture order: the packet, then frames before TCP's end in the same packet.
        at: (u64, u8),
        time: Option<Timestamp>,
        from: Lane,
        to: Lane,
        style: Style,
        /// Wire text as it is (escaped when drawn).
        label: String,
        /// The connection it belongs to, in a picture of two legs.
        conn: u64,
    },
    Note {
        text: String,
        quiet: bool,
    },
}

/// What a leg of a proxied session shows of itself in the other leg's picture: its
/// parties' addresses and its closing rows, kept from the first pass over the report.
#[derive(Debug, Clone)]
pub(super) struct Sketch {
    client: Host,
    server: Host,
    start: Timestamp,
    rows: Vec<Row>,
}

impl Sketch {
    /// The sketch of a leg (`c.leg` is set).
    pub(super) fn of(c: &ConnectionReport) -> Option<Sketch> {
        let leg = c.leg.as_ref()?;
        let lanes = lanes_of(leg.side);
        let mut rows = events(c, lanes, OTHER_LEG_FRAMES, &[]);
        // The closing rows first: the handshake and frames may go.
        if rows.len() > SKETCH_EVENTS {
            rows.drain(..rows.len() - SKETCH_EVENTS);
        }
        Some(Sketch {
            client: c.client.clone(),
            server: c.server.clone(),
            start: c.start,
            rows,
        })
    }
}

/// The lanes of a leg's client and server.
fn lanes_of(side: LegSide) -> (Lane, Lane) {
    match side {
        LegSide::Front => (Lane::Client, Lane::Proxy),
        LegSide::Back => (Lane::Proxy, Lane::Server),
    }
}

/// The arrows of connection `c` whose client and server are `lanes`: the handshake, the
/// last `frames` frames that are not close frames, every close frame (up to a cap), TCP's,
/// the HTTP/2 stream's and TLS's endings, and `apps`, in capture order.
fn events(
    c: &ConnectionReport,
    lanes: (Lane, Lane),
    frames: usize,
    apps: &[AppMessage],
) -> Vec<Row> {
    let ends = |r: Role| match r {
        Role::Client => (lanes.0, lanes.1),
        Role::Server => (lanes.1, lanes.0),
    };
    let mut rows = Vec::new();
    let mut arrow = |at: (u64, u8), time, by: Role, style, label: String| {
        let (from, to) = ends(by);
        rows.push(Row::Arrow {
            at,
            time,
            from,
            to,
            style,
            label,
            conn: c.id,
        });
    };
    let hs = &c.handshake;
    if let Some(p) = hs.request_packet {
        let method = if c.h2_stream.is_some() {
            "CONNECT"
        } else {
            "GET"
        };
        let path = hs.path.as_deref().unwrap_or_default();
        arrow(
            (p, 0),
            None,
            Role::Client,
            Style::Http,
            format!("{method} {path}"),
        );
    }
    if let (Some(p), Some(s)) = (hs.response_packet, hs.status) {
        arrow((p, 0), None, Role::Server, Style::Http, format!("HTTP {s}"));
    }
    let all = c.timeline.as_ref().unwrap_or(&c.recent_frames);
    let others: Vec<usize> = (0..all.len())
        .filter(|&i| all.get(i).is_some_and(|f| f.opcode != Opcode::CLOSE))
        .collect();
    let from_other = others.len().saturating_sub(frames);
    let kept = others.get(from_other..).unwrap_or_default();
    let mut closes = 0;
    for (i, f) in all.iter().enumerate() {
        let label = if f.opcode == Opcode::CLOSE {
            closes += 1;
            if closes > CLOSES_SHOWN {
                continue;
            }
            format!("CLOSE {}", f.detail.as_deref().unwrap_or_default())
        } else if kept.contains(&i) {
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
                let _ = write!(w, " {d}");
            }
            w
        } else {
            continue;
        };
        let style = match f.opcode {
            Opcode::CLOSE => Style::Close,
            Opcode::PING | Opcode::PONG => Style::Control,
            _ => Style::Data,
        };
        arrow((f.packet, 0), Some(f.ts), f.from, style, label);
    }
    // A close frame the frame log did not keep (no log: a library caller's report).
    if all.is_empty() {
        for f in c.close_frames.iter().take(CLOSES_SHOWN) {
            let mut label = match f.code {
                Some(code) => format!("CLOSE {code}"),
                None => "CLOSE (no code)".to_string(),
            };
            if !f.reason.is_empty() {
                let _ = write!(label, " \"{}\"", f.reason);
            }
            arrow((f.packet, 0), Some(f.time), f.from, Style::Close, label);
        }
    }
    for e in &c.tcp_ends {
        let (style, kind) = match e.kind {
            EndKind::Fin => (Style::Fin, "FIN"),
            EndKind::Rst => (Style::Rst, "RST"),
        };
        arrow((e.packet, 1), Some(e.time), e.by, style, kind.to_string());
        // The same side's RST after its FIN.
        if let Some(r) = e.rst_after_fin {
            arrow((r.packet, 1), Some(r.time), e.by, Style::Rst, "RST".into());
        }
    }
    for e in c.stream_ends.iter().take(ENDINGS_SHOWN) {
        let style = match e.kind {
            StreamEndName::RstStream => Style::Rst,
            StreamEndName::EndStream | StreamEndName::Goaway => Style::Fin,
        };
        arrow((e.packet, 1), Some(e.time), e.by, style, e.name());
    }
    // TLS's close_notify, before a FIN in the same packet.
    if let Some(tls) = &c.tls {
        for (role, packet) in [
            (Role::Client, tls.close_notify.client),
            (Role::Server, tls.close_notify.server),
        ] {
            if let Some(p) = packet {
                arrow((p, 0), None, role, Style::Tls, "TLS close_notify".into());
            }
        }
        for a in tls.alerts.iter().take(ENDINGS_SHOWN) {
            let label = format!("TLS alert {} {}", a.level, a.description);
            arrow((a.packet, 0), None, a.from, Style::Rst, label);
        }
    }
    for m in apps {
        arrow((m.packet, 0), m.time, m.from, Style::App, m.label.clone());
    }
    rows.sort_by_key(|r| match r {
        Row::Arrow { at, .. } => *at,
        Row::Note { .. } => (0, 0),
    });
    rows
}

/// Writes the picture of `c` (with the other leg's `sketch` when it is a leg of a
/// proxied session) as an `<svg>`, and returns its caption's text (escaped HTML).
pub(super) fn write(
    o: &mut String,
    c: &ConnectionReport,
    sketch: Option<&Sketch>,
    apps: &[AppMessage],
) -> String {
    let leg = c.leg.as_ref();
    let lanes = leg.map_or((Lane::Client, Lane::Server), |l| lanes_of(l.side));
    let mut rows = events(c, lanes, FRAMES_SHOWN, apps);
    let mut origin = c.start;
    let mut since = format!("packet {}", c.first_packet);
    // The parties: client, the proxy (both of its addresses), server.
    let mut parties: Vec<(Lane, &str, String)> = Vec::new();
    match (leg, sketch) {
        (Some(l), other) => {
            let other_id = l.other_leg;
            let (front_client, proxy_front, proxy_back, back_server) = match l.side {
                LegSide::Front => (
                    c.client.to_string(),
                    c.server.to_string(),
                    other.map(|s| s.client.to_string()),
                    other.map(|s| s.server.to_string()),
                ),
                LegSide::Back => (
                    other.map_or_else(String::new, |s| s.client.to_string()),
                    other.map_or_else(|| l.proxy.to_string(), |s| s.server.to_string()),
                    Some(c.client.to_string()),
                    Some(c.server.to_string()),
                ),
            };
            let mut proxy = proxy_front;
            if let Some(b) = proxy_back {
                let _ = write!(proxy, " / {b}");
            }
            parties.push((Lane::Client, "client", front_client));
            parties.push((Lane::Proxy, "proxy", proxy));
            parties.push((
                Lane::Server,
                "server",
                back_server.unwrap_or_else(|| format!("(connection {other_id})")),
            ));
            if let Some(s) = other {
                rows.extend(s.rows.iter().cloned());
                rows.sort_by_key(|r| match r {
                    Row::Arrow { at, .. } => *at,
                    Row::Note { .. } => (0, 0),
                });
                if s.start < origin {
                    origin = s.start;
                    since = format!("the first packet of connection {other_id}");
                }
            }
        }
        (None, _) => {
            parties.push((Lane::Client, "client", c.client.to_string()));
            parties.push((Lane::Server, "server", c.server.to_string()));
        }
    }
    // Notes: what is not drawn, the quiet spell before the first ending, still open.
    let drawn = rows
        .iter()
        .filter(|r| {
            matches!(r, Row::Arrow { style, conn, .. }
                if *conn == c.id && matches!(style, Style::Data | Style::Control | Style::Close))
        })
        .count() as u64;
    let frames = c.frames.client.frames + c.frames.server.frames;
    let mut notes_at_top = Vec::new();
    if c.handshake.request_packet.is_none() && c.handshake.response_packet.is_none() {
        notes_at_top.push("handshake not captured".to_string());
    }
    if c.tls.is_some() {
        notes_at_top.push("inside TLS (wss)".to_string());
    }
    let hidden = frames.saturating_sub(drawn);
    if hidden > 0 {
        notes_at_top.push(format!(
            "{hidden} earlier frame{} not shown here",
            if hidden == 1 { "" } else { "s" }
        ));
    }
    if let Some(idle) = c.idle_before_end_s.filter(|&s| s >= 1.0) {
        let at = rows
            .iter()
            .position(|r| matches!(r, Row::Arrow { style, .. } if style.ends()))
            .unwrap_or(rows.len());
        rows.insert(
            at,
            Row::Note {
                text: format!("quiet for {}", Secs(idle)),
                quiet: true,
            },
        );
    }
    if c.tcp_end() == TcpEndName::Open {
        let note = c
            .evicted
            .map_or("still open at the end of the capture", |e| e.short());
        rows.push(Row::Note {
            text: note.to_string(),
            quiet: false,
        });
    }
    if !notes_at_top.is_empty() {
        rows.insert(
            0,
            Row::Note {
                text: notes_at_top.join("; "),
                quiet: false,
            },
        );
    }
    draw(o, c, &parties, &rows, origin, leg.is_some());
    format!(
        "Who sent what, in capture order: #packet and seconds since {}. Solid arrows are \
frames (bold: close frames), dashed ones FIN or an HTTP/2 stream's end, an arrow ending in \
✕ a reset; dotted, TLS.{}",
        h(&since),
        if leg.is_some() {
            " Both legs of the proxied session are drawn: what the proxy did on one leg \
shows beside what it did on the other."
        } else {
            ""
        }
    )
}

/// The x of each lane's lifeline.
fn lane_x(lane: Lane, three: bool) -> f64 {
    match (lane, three) {
        (Lane::Client, false) => 360.0,
        (Lane::Server, false) | (Lane::Proxy, false) => 840.0,
        (Lane::Client, true) => 315.0,
        (Lane::Proxy, true) => 605.0,
        (Lane::Server, true) => 875.0,
    }
}

/// `text` cut to `max` characters (then `…`), escaped.
fn fit(text: &str, max: usize) -> (String, bool) {
    let mut cut: String = text.chars().take(max).collect();
    let over = cut.len() < text.len();
    if over {
        cut.pop();
        cut.push('…');
    }
    (h(&cut), over)
}

fn draw(
    o: &mut String,
    c: &ConnectionReport,
    parties: &[(Lane, &str, String)],
    rows: &[Row],
    origin: Timestamp,
    legs: bool,
) {
    let three = parties.len() == 3;
    let height: f64 = TOP
        + 8.0
        + rows
            .iter()
            .map(|r| match r {
                Row::Arrow { .. } => ROW,
                Row::Note { quiet: true, .. } => QUIET_ROW,
                Row::Note { .. } => NOTE_ROW,
            })
            .sum::<f64>();
    let _ = write!(
        o,
        "<svg class=\"seq\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-labelledby=\"seq{id}\"><title id=\"seq{id}\">Sequence of connection {id}</title>",
        id = c.id
    );
    // The parties' boxes and lifelines.
    let box_w = if three { 230.0 } else { 300.0 };
    for (lane, role, addr) in parties {
        let x = lane_x(*lane, three);
        let (addr, _) = fit(addr, (box_w / 6.2) as usize);
        let _ = write!(
            o,
            "<g class=\"party p-{role}\"><rect x=\"{:.1}\" y=\"4\" width=\"{box_w}\" height=\"38\" rx=\"5\"/><text x=\"{x}\" y=\"20\" class=\"role\">{role}</text><text x=\"{x}\" y=\"35\" class=\"addr\">{addr}</text></g><line class=\"life\" x1=\"{x}\" y1=\"42\" x2=\"{x}\" y2=\"{height}\"/>",
            x - box_w / 2.0,
        );
    }
    let _ = write!(
        o,
        "<text x=\"6\" y=\"20\" class=\"colh\">packet</text><text x=\"190\" y=\"20\" class=\"colh end\">time</text>"
    );
    let left = lane_x(Lane::Client, three);
    let right = lane_x(Lane::Server, three);
    let mut y = TOP;
    for r in rows {
        match r {
            Row::Note { text, quiet } => {
                let hgt = if *quiet { QUIET_ROW } else { NOTE_ROW };
                let class = if *quiet { "note quiet" } else { "note" };
                let (t, _) = fit(text, 120);
                let _ = write!(
                    o,
                    "<g class=\"{class}\"><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"4\"/><text x=\"{:.1}\" y=\"{:.1}\">{t}</text></g>",
                    left - 40.0,
                    y + 2.0,
                    right - left + 80.0,
                    hgt - 4.0,
                    (left + right) / 2.0,
                    y + hgt / 2.0 + 4.0
                );
                y += hgt;
            }
            Row::Arrow {
                at,
                time,
                from,
                to,
                style,
                label,
                conn,
            } => {
                let (x1, x2) = (lane_x(*from, three), lane_x(*to, three));
                let ay = y + 17.0;
                let d = if x2 > x1 { 1.0 } else { -1.0 };
                let _ = write!(o, "<g class=\"{}\">", style.class());
                let _ = write!(
                    o,
                    "<text x=\"6\" y=\"{ay:.1}\" class=\"pkt\">#{}{}</text>",
                    at.0,
                    if legs && *conn != c.id {
                        format!(" · conn {conn}")
                    } else {
                        String::new()
                    }
                );
                if let Some(t) = time {
                    let _ = write!(
                        o,
                        "<text x=\"190\" y=\"{ay:.1}\" class=\"pkt end\">+{:.3} s</text>",
                        t.since(origin).max(0.0)
                    );
                }
                let _ = write!(
                    o,
                    "<line x1=\"{x1}\" y1=\"{ay:.1}\" x2=\"{:.1}\" y2=\"{ay:.1}\"/>",
                    x2 - d * 2.0
                );
                match style {
                    Style::Rst => {
                        let _ = write!(
                            o,
                            "<path class=\"head\" d=\"M{:.1} {:.1}l10 10m0 -10l-10 10\"/>",
                            x2 - 5.0 - d * 6.0,
                            ay - 5.0
                        );
                    }
                    Style::Fin | Style::Tls => {
                        let _ = write!(
                            o,
                            "<path class=\"head open\" d=\"M{:.1} {:.1}L{x2:.1} {ay:.1}L{:.1} {:.1}\"/>",
                            x2 - d * 9.0,
                            ay - 5.0,
                            x2 - d * 9.0,
                            ay + 5.0
                        );
                    }
                    _ => {
                        let _ = write!(
                            o,
                            "<path class=\"head\" d=\"M{x2:.1} {ay:.1}l{:.1} -5v10z\"/>",
                            -d * 9.0
                        );
                    }
                }
                let room = ((x1 - x2).abs() - 16.0) / CHAR_PX;
                let (t, over) = fit(label, room.max(4.0) as usize);
                let _ = write!(
                    o,
                    "<text x=\"{:.1}\" y=\"{:.1}\" class=\"lbl\">{t}",
                    (x1 + x2) / 2.0,
                    ay - 4.0
                );
                if over {
                    let (all, _) = fit(label, 400);
                    let _ = write!(o, "<title>{all}</title>");
                }
                o.push_str("</text></g>");
                y += ROW;
            }
        }
    }
    o.push_str("</svg>");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Application messages get arrows of their own, with their packet, their label
    /// escaped.
    #[test]
    fn application_messages_are_drawn_on_their_own_arrows() {
        let report = crate::report::repeated_fixture_report(1);
        let c = report
            .connections
            .iter()
            .find(|c| c.leg.is_none() && !c.close_frames.is_empty())
            .unwrap();
        let close = c.close_frames.first().unwrap();
        let app = AppMessage {
            from: close.from,
            packet: close.packet,
            time: Some(close.time),
            label: "socket.io <disconnect>".into(),
        };
        let mut o = String::new();
        write(&mut o, c, None, std::slice::from_ref(&app));
        assert!(o.contains(">socket.io &lt;disconnect&gt;<"), "{o}");
        assert!(!o.contains("<disconnect>"));
        let at = o.find("class=\"s-app\"").unwrap();
        let pkt = format!(">#{}<", close.packet);
        assert!(
            o[at..].starts_with("class=\"s-app\"><text x=\"6\" y="),
            "{o}"
        );
        assert!(o[at..].contains(&pkt));
    }
}
