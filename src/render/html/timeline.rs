//! The timeline of a connection drawn to scale, as inline SVG.
//!
//! In: a [`ConnectionReport`]: its frame log (every frame with `--timeline`, else the last
//! frames each way), each side's frame statistics (last frame, ping and pong), close
//! frames, TCP, HTTP/2 stream and TLS endings, TCP counters and the quiet spell before the
//! end. Out: an `<svg>` whose x axis is capture time from the connection's first packet to
//! its last, with one lane per direction: a bar per frame, its height the payload's size on
//! a log scale (frames closer than a pixel share one bar, the largest); pings and pongs as
//! dots joined to their answer with the round trip; quiet spells shaded with their length;
//! what the frame log lost shaded apart; along the bottom the close frames, FIN, RST,
//! stream endings and close_notify. Nothing is drawn where the model has no time for it
//! (retransmissions are counted per direction, not timed): the caption says what it shows.

use super::h;
use crate::report::{ConnectionReport, StreamEndName};
use crate::units::Ms;
use crate::units::Secs;
use crate::vocab::{EndKind, FrameRecord, Opcode, PerSide, Role, Timestamp};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

const WIDTH: f64 = 960.0;
/// The plot's left and right edges.
const X0: f64 = 150.0;
const X1: f64 = 925.0;
/// The lanes' top and baseline (bars grow up from it): the client's frames above, the
/// server's below.
const CLIENT_LANE: (f64, f64) = (26.0, 88.0);
const SERVER_LANE: (f64, f64) = (98.0, 160.0);
/// The markers of the endings, and their labels' two rows.
const MARKS: f64 = 176.0;
const MARK_LABELS: (f64, f64) = (194.0, 207.0);
const AXIS: f64 = 218.0;
const HEIGHT: f64 = 242.0;
/// The tallest bar.
const BAR: f64 = 54.0;
/// Quiet spells shaded, the longest first.
const SPELLS: usize = 6;
/// Round trips labelled with their time (all are drawn).
const RTT_LABELS: usize = 24;
/// Close frames and HTTP/2 stream endings marked along the bottom (each list).
const MARKS_SHOWN: usize = 16;
/// Pings and pongs drawn each way (past this, only counted).
const CONTROL_DRAWN: usize = 400;

/// The top and baseline of a sender's lane.
fn lane(r: Role) -> (f64, f64) {
    match r {
        Role::Client => CLIENT_LANE,
        Role::Server => SERVER_LANE,
    }
}

/// A value per side, to count into.
fn side_mut<T>(p: &mut PerSide<T>, r: Role) -> &mut T {
    match r {
        Role::Client => &mut p.client,
        Role::Server => &mut p.server,
    }
}

/// A "nice" step (1, 2 or 5 times a power of ten) near `x`.
fn nice(x: f64) -> f64 {
    let p = 10f64.powf(x.log10().floor());
    let m = x / p;
    p * if m < 1.5 {
        1.0
    } else if m < 3.5 {
        2.0
    } else if m < 7.5 {
        5.0
    } else {
        10.0
    }
}

/// `t` seconds as an axis label with as many decimals as `step` needs.
fn tick_label(t: f64, step: f64) -> String {
    let decimals = (-step.log10().floor()).clamp(0.0, 6.0) as usize;
    format!("{t:.decimals$} s")
}

/// Bytes as "512 B", "34.2 kB", "1.5 MB".
fn bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.1} GB", n as f64 / 1e9),
    }
}

/// A marker along the bottom: where, its shape's class, and its text (made here, no wire
/// text in it).
struct Mark {
    x: f64,
    class: &'static str,
    text: String,
}

/// Writes the timeline of `c` as an `<svg>`, and returns its caption (escaped HTML).
pub(super) fn write(o: &mut String, c: &ConnectionReport, frame_log: usize) -> String {
    let log: &[FrameRecord] = c.timeline.as_deref().unwrap_or(&c.recent_frames);
    let t0 = c.start;
    // Every time the model has, to fit the axis around them.
    let mut t_end = c.end;
    for t in log
        .iter()
        .map(|f| f.ts)
        .chain(c.tcp_ends.iter().map(|e| e.time))
        .chain(c.close_frames.iter().map(|f| f.time))
        .chain(c.stream_ends.iter().map(|e| e.time))
    {
        t_end = t_end.max(t);
    }
    let span = t_end.since(t0).max(1e-3);
    let x = |t: Timestamp| X0 + (t.since(t0) / span).clamp(0.0, 1.0) * (X1 - X0);

    let _ = write!(
        o,
        "<svg class=\"tl\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" aria-labelledby=\"tl{id}\"><title id=\"tl{id}\">Timeline of connection {id}, {}</title>",
        Secs(span),
        id = c.id
    );
    // The lanes, with who sends, how much, and what TCP repeated.
    for role in [Role::Client, Role::Server] {
        let peer = role.peer();
        let (top, base) = lane(role);
        let stats = c.frames.of(role);
        let tcp = c.tcp.of(role);
        let _ = write!(
            o,
            "<rect class=\"lane\" x=\"{X0}\" y=\"{top}\" width=\"{:.1}\" height=\"{:.1}\"/><line class=\"base\" x1=\"{X0}\" y1=\"{base}\" x2=\"{X1}\" y2=\"{base}\"/>",
            X1 - X0,
            base - top
        );
        let _ = write!(
            o,
            "<text class=\"lh\" x=\"8\" y=\"{:.1}\">{role} → {peer}</text><text class=\"ls\" x=\"8\" y=\"{:.1}\">{} frame{}, {}</text>",
            top + 14.0,
            top + 28.0,
            stats.frames,
            if stats.frames == 1 { "" } else { "s" },
            bytes(stats.payload_bytes)
        );
        if stats.pings + stats.pongs > 0 {
            let _ = write!(
                o,
                "<text class=\"ls\" x=\"8\" y=\"{:.1}\">{} ping{}, {} pong{}</text>",
                top + 41.0,
                stats.pings,
                if stats.pings == 1 { "" } else { "s" },
                stats.pongs,
                if stats.pongs == 1 { "" } else { "s" }
            );
        }
        if tcp.retransmissions > 0 {
            let _ = write!(
                o,
                "<text class=\"ls warn\" x=\"8\" y=\"{:.1}\">{} TCP retransmission{}</text>",
                top + 54.0,
                tcp.retransmissions,
                if tcp.retransmissions == 1 { "" } else { "s" }
            );
        }
    }

    // What the frame log lost: each direction's earlier frames.
    let mut logged = PerSide {
        client: 0u64,
        server: 0,
    };
    let mut first_logged: PerSide<Option<Timestamp>> = PerSide {
        client: None,
        server: None,
    };
    for f in log {
        *side_mut(&mut logged, f.from) += 1;
        side_mut(&mut first_logged, f.from).get_or_insert(f.ts);
    }
    let mut not_logged = 0;
    // Both directions' frames are all in the log from here on (a quiet spell before it may
    // hold frames the log lost).
    let mut complete_from = t0;
    for role in [Role::Client, Role::Server] {
        let lost = c.frames.of(role).frames.saturating_sub(*logged.of(role));
        if lost == 0 {
            continue;
        }
        not_logged += lost;
        complete_from = complete_from.max(first_logged.of(role).unwrap_or(t_end));
        let (top, base) = lane(role);
        let upto = first_logged.of(role).map_or(X1, x);
        let _ = write!(
            o,
            "<rect class=\"unlogged\" x=\"{X0}\" y=\"{top}\" width=\"{:.1}\" height=\"{:.1}\"/>",
            (upto - X0).max(0.0),
            base - top
        );
        if upto - X0 > 150.0 {
            let _ = write!(
                o,
                "<text class=\"ul\" x=\"{:.1}\" y=\"{:.1}\">{lost} earlier frame{} not drawn</text>",
                (X0 + upto) / 2.0,
                (top + base) / 2.0 + 4.0,
                if lost == 1 { "" } else { "s" }
            );
        }
    }

    // Quiet spells: between frames either way where the log holds every frame, and before
    // the end (the model's).
    let thr = nice(span * 0.04).max(0.05);
    let mut spells: Vec<(Timestamp, Timestamp)> = log
        .windows(2)
        .filter_map(|w| match w {
            [a, b] if a.ts >= complete_from && b.ts.since(a.ts) >= thr => Some((a.ts, b.ts)),
            _ => None,
        })
        .collect();
    let last_frame = [Role::Client, Role::Server]
        .into_iter()
        .filter_map(|r| c.frames.of(r).last_frame.map(|(_, t)| t))
        .max();
    if let (Some(idle), Some(last)) = (c.idle_before_end_s, last_frame) {
        if idle >= thr.min(1.0) {
            let end = Timestamp(last.0.saturating_add((idle * 1e9) as i64));
            if !spells.iter().any(|(a, _)| *a == last) {
                spells.push((last, end));
            }
        }
    }
    spells.sort_by(|a, b| b.1.since(b.0).total_cmp(&a.1.since(a.0)));
    let spells_not_drawn = spells.len().saturating_sub(SPELLS);
    spells.truncate(SPELLS);
    for (a, b) in &spells {
        let (xa, xb) = (x(*a), x(*b));
        let secs = b.since(*a);
        let _ = write!(
            o,
            "<g class=\"quiet\"><rect x=\"{xa:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"/>",
            CLIENT_LANE.0,
            (xb - xa).max(1.0),
            SERVER_LANE.1 - CLIENT_LANE.0
        );
        let long = format!("quiet {}", Secs(secs));
        let short = Secs(secs).to_string();
        let text = if xb - xa > long.len() as f64 * 6.6 + 8.0 {
            Some(long)
        } else if xb - xa > short.len() as f64 * 6.6 + 4.0 {
            Some(short)
        } else {
            None
        };
        if let Some(t) = text {
            let _ = write!(
                o,
                "<text x=\"{:.1}\" y=\"{:.1}\">{t}</text>",
                (xa + xb) / 2.0,
                (CLIENT_LANE.1 + SERVER_LANE.0) / 2.0 + 4.0
            );
        }
        o.push_str("</g>");
    }

    // The frames: one bar per pixel per kind, the largest there.
    let max_len = log
        .iter()
        .filter(|f| !matches!(f.opcode, Opcode::PING | Opcode::PONG))
        .map(|f| f.len)
        .max()
        .unwrap_or(0);
    let height = |len: u64| {
        if max_len == 0 {
            3.0
        } else {
            3.0 + (BAR - 3.0) * ((1 + len) as f64).ln() / ((1 + max_len) as f64).ln()
        }
    };
    let mut bars: BTreeMap<(Role, &'static str, i64), u64> = BTreeMap::new();
    let mut dots: BTreeMap<(Role, &'static str, i64), ()> = BTreeMap::new();
    for f in log {
        let l = f.from;
        let px = x(f.ts).round() as i64;
        match f.opcode {
            Opcode::PING | Opcode::PONG => {
                if dots.len() < 2 * CONTROL_DRAWN {
                    dots.insert((l, f.opcode.name(), px), ());
                }
            }
            op => {
                let class = match op {
                    Opcode::CLOSE => "b-close",
                    Opcode::TEXT => "b-text",
                    Opcode::BINARY => "b-binary",
                    Opcode::CONTINUATION => "b-cont",
                    _ => "b-other",
                };
                let e = bars.entry((l, class, px)).or_insert(0);
                *e = (*e).max(f.len);
            }
        }
    }
    // With no frame log, the last frame, ping and pong each way.
    if log.is_empty() {
        for role in [Role::Client, Role::Server] {
            let s = c.frames.of(role);
            let l = role;
            if let Some((_, t)) = s.last_frame {
                bars.insert((l, "b-other", x(t).round() as i64), 0);
            }
            for (op, at) in [("ping", s.last_ping), ("pong", s.last_pong)] {
                if let Some((_, t)) = at {
                    dots.insert((l, op, x(t).round() as i64), ());
                }
            }
        }
    }
    let mut per_lane = PerSide {
        client: 0usize,
        server: 0,
    };
    for (l, _, _) in bars.keys() {
        *side_mut(&mut per_lane, *l) += 1;
    }
    let mut paths: BTreeMap<(Role, &'static str), String> = BTreeMap::new();
    for ((l, class, px), len) in &bars {
        let d = paths.entry((*l, class)).or_default();
        let _ = write!(d, "M{px} {}v-{:.1}", lane(*l).1, height(*len));
    }
    for ((l, class), d) in &paths {
        let w = ((X1 - X0) / (*per_lane.of(*l)).max(1) as f64 * 0.5).clamp(1.2, 6.0);
        let _ = write!(
            o,
            "<path class=\"{class}\" stroke-width=\"{w:.1}\" d=\"{d}\"/>"
        );
    }
    // The largest frame each way, labelled.
    for role in [Role::Client, Role::Server] {
        let l = role;
        if let Some(f) = log
            .iter()
            .filter(|f| f.from == role && !matches!(f.opcode, Opcode::PING | Opcode::PONG))
            .max_by_key(|f| f.len)
        {
            let fx = x(f.ts);
            let anchor = if fx > X1 - 60.0 { "end" } else { "start" };
            let _ = write!(
                o,
                "<text class=\"sz\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
                fx + if anchor == "end" { -3.0 } else { 3.0 },
                lane(l).1 - height(f.len) + 8.0,
                bytes(f.len)
            );
        }
    }
    // Pings and pongs, and each pong joined to the ping it answers.
    for (l, op, px) in dots.keys() {
        let _ = write!(
            o,
            "<circle class=\"c-{op}\" cx=\"{px}\" cy=\"{:.1}\" r=\"3.5\"/>",
            lane(*l).1 - 8.0
        );
    }
    let mut pending: PerSide<Option<&FrameRecord>> = PerSide {
        client: None,
        server: None,
    };
    let mut rtts: Vec<f64> = Vec::new();
    let mut label_end = f64::MIN;
    for f in log {
        let l = f.from;
        match f.opcode {
            Opcode::PING => *side_mut(&mut pending, l) = Some(f),
            Opcode::PONG => {
                if let Some(p) = side_mut(&mut pending, l.peer()).take() {
                    let ms = f.ts.since(p.ts) * 1e3;
                    if rtts.len() < CONTROL_DRAWN {
                        let (xa, xb) = (x(p.ts), x(f.ts));
                        let _ = write!(
                            o,
                            "<line class=\"rtt\" x1=\"{xa:.1}\" y1=\"{:.1}\" x2=\"{xb:.1}\" y2=\"{:.1}\"/>",
                            lane(l.peer()).1 - 8.0,
                            lane(l).1 - 8.0
                        );
                        let text = Ms(ms).to_string();
                        if rtts.len() < RTT_LABELS && xb > label_end + 4.0 {
                            let _ = write!(
                                o,
                                "<text class=\"rttl\" x=\"{:.1}\" y=\"{:.1}\">{text}</text>",
                                xb + 4.0,
                                (CLIENT_LANE.1 + SERVER_LANE.0) / 2.0 + 4.0
                            );
                            label_end = xb + 4.0 + text.len() as f64 * 6.0;
                        }
                    }
                    rtts.push(ms);
                }
            }
            _ => {}
        }
    }

    // The endings along the bottom.
    // The times of packets, to place a close_notify (which has none of its own).
    let mut times: HashMap<u64, Timestamp> = HashMap::new();
    if c.tls.is_some() {
        for f in log {
            times.insert(f.packet, f.ts);
        }
    }
    let mut marks: Vec<Mark> = Vec::new();
    for f in c.close_frames.iter().take(MARKS_SHOWN) {
        times.insert(f.packet, f.time);
        marks.push(Mark {
            x: x(f.time),
            class: "m-close",
            text: match f.code {
                Some(code) => format!("{} close {code}", f.from),
                None => format!("{} close (empty)", f.from),
            },
        });
    }
    for e in &c.tcp_ends {
        times.insert(e.packet, e.time);
        let (class, kind) = match e.kind {
            EndKind::Fin => ("m-fin", "FIN"),
            EndKind::Rst => ("m-rst", "RST"),
        };
        marks.push(Mark {
            x: x(e.time),
            class,
            text: format!("{} {kind}", e.by),
        });
        if let Some(r) = e.rst_after_fin {
            times.insert(r.packet, r.time);
            marks.push(Mark {
                x: x(r.time),
                class: "m-rst",
                text: format!("{} RST", e.by),
            });
        }
    }
    for e in c.stream_ends.iter().take(MARKS_SHOWN) {
        times.insert(e.packet, e.time);
        marks.push(Mark {
            x: x(e.time),
            class: if e.kind == StreamEndName::RstStream {
                "m-rst"
            } else {
                "m-fin"
            },
            text: format!("{} {}", e.by, e.kind.frame()),
        });
    }
    let mut untimed = Vec::new();
    if let Some(tls) = &c.tls {
        for (role, packet) in [
            (Role::Client, tls.close_notify.client),
            (Role::Server, tls.close_notify.server),
        ] {
            let Some(p) = packet else { continue };
            match times.get(&p) {
                Some(t) => marks.push(Mark {
                    x: x(*t),
                    class: "m-tls",
                    text: format!("{role} close_notify"),
                }),
                None => untimed.push(format!("{role} close_notify (packet {p})")),
            }
        }
    }
    marks.sort_by(|a, b| a.x.total_cmp(&b.x));
    let mut rows = [(MARK_LABELS.0, f64::MIN), (MARK_LABELS.1, f64::MIN)];
    for m in &marks {
        let (mx, my) = (m.x, MARKS);
        let shape = match m.class {
            "m-close" => format!("M{mx:.1} {:.1}l6 6l-6 6l-6 -6z", my - 6.0),
            "m-rst" => format!("M{:.1} {:.1}l10 10m0 -10l-10 10", mx - 5.0, my - 5.0),
            "m-tls" => format!("M{mx:.1} {:.1}v12", my - 6.0),
            _ => format!("M{:.1} {:.1}l10 6l-10 6z", mx - 4.0, my - 6.0),
        };
        let _ = write!(
            o,
            "<path class=\"{}\" d=\"{shape}\"><title>{}</title></path>",
            m.class,
            h(&m.text)
        );
        let w = m.text.chars().count() as f64 * 6.6;
        let left = (mx - w / 2.0).clamp(X0 - 40.0, WIDTH - w - 2.0);
        if let Some((y, end)) = rows.iter_mut().find(|(_, end)| left > *end + 6.0) {
            let _ = write!(
                o,
                "<text class=\"ml\" x=\"{left:.1}\" y=\"{y:.1}\">{}</text>",
                h(&m.text)
            );
            *end = left + w;
        }
    }

    // The time axis.
    let step = nice(span / 6.0);
    let _ = write!(
        o,
        "<line class=\"axis\" x1=\"{X0}\" y1=\"{AXIS}\" x2=\"{X1}\" y2=\"{AXIS}\"/>"
    );
    let mut k = 0.0;
    while k * step <= span * 1.0001 {
        let t = k * step;
        let tx = X0 + t / span * (X1 - X0);
        let _ = write!(
            o,
            "<line class=\"axis\" x1=\"{tx:.1}\" y1=\"{AXIS}\" x2=\"{tx:.1}\" y2=\"{:.1}\"/><text class=\"tick\" x=\"{tx:.1}\" y=\"{:.1}\">+{}</text>",
            AXIS + 4.0,
            AXIS + 16.0,
            tick_label(t, step)
        );
        k += 1.0;
    }
    o.push_str("</svg>");

    // The caption: what is drawn, and what is not.
    let mut cap = format!(
        "Drawn to scale: {} from packet {} to packet {}. Bars: each frame's payload, its \
height on a log scale (the largest {}); dots: pings and pongs, each pong joined to the \
ping it answers; shaded: quiet spells of at least {}; along the bottom: close frames (◆), \
FIN (▶), RST (✕).",
        Secs(span),
        c.first_packet,
        c.last_packet,
        bytes(max_len),
        Secs(thr)
    );
    if !rtts.is_empty() {
        let mut sorted = rtts.clone();
        sorted.sort_by(f64::total_cmp);
        let lo = sorted.first().copied().unwrap_or_default();
        let hi = sorted.last().copied().unwrap_or_default();
        let median = sorted.get(sorted.len() / 2).copied().unwrap_or_default();
        let _ = write!(
            cap,
            " Round trips ({}): {} to {}, median {}.",
            rtts.len(),
            Ms(lo),
            Ms(hi),
            Ms(median)
        );
    }
    if spells_not_drawn > 0 {
        let _ = write!(
            cap,
            " {spells_not_drawn} shorter quiet spell{} not shaded.",
            if spells_not_drawn == 1 { "" } else { "s" }
        );
    }
    if !untimed.is_empty() {
        let _ = write!(
            cap,
            " Not placed (no time in the report): {}.",
            untimed.join(", ")
        );
    }
    let retrans = c.tcp.client.retransmissions + c.tcp.server.retransmissions;
    if retrans > 0 {
        cap.push_str(" TCP retransmissions are counted per direction, not placed in time.");
    }
    if not_logged > 0 {
        if c.timeline.is_some() {
            let _ = write!(
                cap,
                " {not_logged} earlier frames fell out of the frame log and are not drawn."
            );
        } else {
            let _ = write!(
                cap,
                " The last {frame_log} frames each way are drawn; <code>--timeline</code> draws every frame."
            );
        }
    }
    cap
}
