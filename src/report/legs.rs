//! Sessions through a proxy: the two legs of one WebSocket session linked, and the proxy
//! named when it is what ended them.
//!
//! In: finished [`ConnectionReport`]s of one report (in memory, or in a [`Store`] whose
//! index of legs, [`Index`], was filled as the reports came in). Out: the same reports with
//! each leg naming the other (`other_leg`, `leg`), the relayed close frames described, and
//! a 1006's cause and fix rewritten when the two legs together show who ended them: the
//! proxy on both legs after a quiet spell (an idle timeout, measured to the millisecond),
//! or one application whose end the proxy relayed to the other leg.
//!
//! Two connections of one input are two legs of one session when their upgrade requests
//! carry the same `Sec-WebSocket-Key` (RFC 6455 §4.1: 16 random bytes per handshake,
//! which nginx and HAProxy forward unchanged) and the back leg starts while the front leg
//! is open. The front leg is the one that started first; the proxy is its server and the
//! back leg's client. A key seen on more than two connections is paired in time order,
//! each connection at most once. HTTP/2 front legs (RFC 8441) carry no key and are not
//! linked.
//!
//! Memory: the index keeps one small entry ([`Leg`], 56 bytes) per session with a key, as
//! the store keeps one per report; the links are made at the end by reading two reports
//! back at a time and writing them back patched ([`link_store`]).

use super::{ConnectionReport, Host, Latest as _, Store, TcpEndReport as End};
use crate::capture::Timestamp;
use crate::close::diagnosis::{Evidence, Secs};
use crate::flow::Role;
use crate::stack::tcp::connection::EndKind;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// Longest key the index keeps (a conforming key is 24 characters of base64); sessions
/// with a longer one are not linked.
const KEY_MAX: usize = 32;

/// What the index keeps of one session to pair it: its key, where it sorts in the report,
/// and when it started and ended.
#[derive(Debug, Clone, Copy)]
pub struct Leg {
    key: [u8; KEY_MAX],
    /// The report's order in its store: input above bit 48, first packet below.
    order: u64,
    start: Timestamp,
    end: Timestamp,
}

/// The sessions of a report that may be legs of one another.
#[derive(Debug, Clone, Default)]
pub struct Index {
    legs: Vec<Leg>,
}

impl Index {
    /// Notes `r` if its upgrade request carried a key; `order` is its place in the store.
    pub fn add(&mut self, order: u64, r: &ConnectionReport) {
        if let Some(key) = r.ws_key.as_deref().and_then(fixed) {
            self.legs.push(Leg {
                key,
                order,
                start: r.start,
                end: r.end,
            });
        }
    }

    pub fn append(&mut self, other: Index) {
        self.legs.extend(other.legs);
    }

    /// The pairs (front, back) of legs, by store order.
    pub fn pairs(mut self) -> Vec<(u64, u64)> {
        // Same input and key together, in order of start.
        self.legs
            .sort_unstable_by_key(|l| (l.order >> 48, l.key, l.start, l.order));
        let mut pairs = Vec::new();
        for group in self
            .legs
            .chunk_by(|x, y| (x.order >> 48, x.key) == (y.order >> 48, y.key))
        {
            pair_group(group, &mut pairs);
        }
        pairs
    }
}

/// Pairs the legs of one key (sorted by start): each with the next one that starts while
/// it is open, each leg at most once.
fn pair_group(group: &[Leg], pairs: &mut Vec<(u64, u64)>) {
    let mut used = vec![false; group.len()];
    for (a, front) in group.iter().enumerate() {
        if used.get(a).copied().unwrap_or(true) {
            continue;
        }
        let back = group.iter().enumerate().skip(a + 1).find(|(b, l)| {
            !used.get(*b).copied().unwrap_or(true) && l.start >= front.start && l.start <= front.end
        });
        if let Some((b, back)) = back {
            for k in [a, b] {
                if let Some(u) = used.get_mut(k) {
                    *u = true;
                }
            }
            pairs.push((front.order, back.order));
        }
    }
}

fn fixed(key: &str) -> Option<[u8; KEY_MAX]> {
    let b = key.trim().as_bytes();
    if b.is_empty() || b.len() > KEY_MAX {
        return None;
    }
    let mut k = [0; KEY_MAX];
    k.iter_mut().zip(b).for_each(|(k, b)| *k = *b);
    Some(k)
}

/// Which leg of a proxied session a connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Client → proxy.
    Front,
    /// Proxy → backend.
    Back,
}

/// A connection's part in a proxied session (JSON `leg`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LegReport {
    pub side: Side,
    /// The other leg's id (as `other_leg`).
    pub other_leg: u64,
    /// The proxy's address as the client saw it (the front leg's server).
    pub proxy: Host,
    /// Close frames relayed from one leg to the other, and what the proxy changed.
    pub relayed: Vec<String>,
    /// The proxy changed a close code or reason in transit, or answered or started a close
    /// itself.
    pub proxy_changed_close: bool,
    /// Who ended the session, as the two legs together show it (when they do).
    pub ended_by: Option<String>,
}

/// Links the legs among `reports` (in memory, ids given).
pub fn link_vec(reports: &mut [ConnectionReport]) {
    let mut index = Index::default();
    for r in reports.iter() {
        index.add(super::store::order(r.input, r.first_packet), r);
    }
    let pos = |order: u64| {
        reports
            .binary_search_by_key(&order, |r| super::store::order(r.input, r.first_packet))
            .ok()
    };
    let pairs: Vec<(usize, usize)> = index
        .pairs()
        .into_iter()
        .filter_map(|(f, b)| Some((pos(f)?, pos(b)?)))
        .collect();
    for (f, b) in pairs {
        // Two different reports: the later one is the first of the upper part.
        let (lo, hi) = reports.split_at_mut(f.max(b));
        if let (Some(x), Some(y)) = (lo.get_mut(f.min(b)), hi.first_mut()) {
            if f < b {
                link(x, y);
            } else {
                link(y, x);
            }
        }
    }
}

/// Links the legs of a sorted store: each pair read back, linked, and written back.
pub fn link_store(store: &mut Store) -> std::io::Result<()> {
    let mut buf = Vec::new();
    for (f, b) in store.take_legs().pairs() {
        let (Some(i), Some(j)) = (store.position(f), store.position(b)) else {
            continue;
        };
        let mut front = store.get(i, &mut buf)?;
        let mut back = store.get(j, &mut buf)?;
        link(&mut front, &mut back);
        store.replace(i, front)?;
        store.replace(j, back)?;
    }
    Ok(())
}

fn kind_name(k: EndKind) -> &'static str {
    match k {
        EndKind::Fin => "FIN",
        EndKind::Rst => "RST",
    }
}

/// The last frame of a connection, either way: (packet, time).
fn last_frame(r: &ConnectionReport) -> Option<(u64, Timestamp)> {
    r.frames
        .client
        .last_frame
        .max_by_key_ts(r.frames.server.last_frame)
}

/// Milliseconds from `a` to `b`.
fn ms(a: Timestamp, b: Timestamp) -> f64 {
    (b.since(a) * 1000.0).max(0.0)
}

/// Links `front` (client → proxy) and `back` (proxy → backend), which carry the same key.
pub fn link(front: &mut ConnectionReport, back: &mut ConnectionReport) {
    let proxy = front.server.clone();
    let (fid, bid) = (front.id, back.id);
    let (relayed, changed) = relays(front, back);
    let verdict = ending(front, back);
    // Who closed first: the verdict's, else the sender of the earliest close frame on
    // either leg: the client's on the front leg, the backend's on the back leg, and one the
    // proxy sent to either (a close from the other application would have come first).
    let ended_by = verdict
        .as_ref()
        .map(|v| v.who)
        .or_else(|| first_closer(front, back))
        .map(str::to_string);
    for (r, side, other) in [
        (&mut *front, Side::Front, bid),
        (&mut *back, Side::Back, fid),
    ] {
        r.other_leg = Some(other);
        r.leg = Some(LegReport {
            side,
            other_leg: other,
            proxy: proxy.clone(),
            relayed: relayed.clone(),
            proxy_changed_close: changed,
            ended_by: ended_by.clone(),
        });
    }
    if !relayed.is_empty() {
        // A code that came through the proxy: where it came from, on both legs.
        for r in [&mut *front, &mut *back] {
            if r.status.code.is_some() && !r.status.inferred {
                let _ = write!(
                    r.status.detail,
                    " Through the proxy: {}.",
                    relayed.join("; ")
                );
            }
        }
    }
    if let Some(v) = verdict {
        for r in [front, back] {
            if r.status.code == Some(1006) {
                r.status.detail = v.detail.clone();
                r.status.fix = v.fix.clone().into();
                r.evidence = Some(Evidence {
                    summary: v.summary.clone(),
                    packets: v.packets.clone(),
                    consistent: true,
                });
            }
        }
    }
}

/// Who sent the earliest close frame of the two legs: "client", "backend" or "proxy".
fn first_closer(front: &ConnectionReport, back: &ConnectionReport) -> Option<&'static str> {
    let on = |r: &ConnectionReport, is_front: bool| {
        r.close_frames.first().map(|f| (f.time, is_front, f.from))
    };
    let earliest = match (on(front, true), on(back, false)) {
        (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
        (a, b) => a.or(b),
    }?;
    Some(match (earliest.1, earliest.2) {
        (true, Role::Client) => "client",
        (false, Role::Server) => "backend",
        _ => "proxy",
    })
}

/// Who ended a proxied session, and how that reads in a report.
struct Verdict {
    who: &'static str,
    detail: String,
    fix: String,
    summary: String,
    packets: Vec<u64>,
}

/// "a FIN (packet 21)".
fn end_text(e: &End) -> String {
    let article = if e.kind == EndKind::Fin { "a" } else { "an" };
    format!("{article} {} (packet {})", kind_name(e.kind), e.packet)
}

/// Who ended the session, when neither application sent a close frame and the legs show
/// it: the proxy on both legs (an idle timeout), or one application whose end the proxy
/// passed on to the other leg.
fn ending(front: &ConnectionReport, back: &ConnectionReport) -> Option<Verdict> {
    if !front.close_frames.is_empty() || !back.close_frames.is_empty() {
        return None;
    }
    let (fe, be) = (&front.tcp_ends, &back.tcp_ends);
    let (f0, b0) = (fe.first()?, be.first()?);
    let (fid, bid) = (front.id, back.id);
    // The proxy is the front leg's server and the back leg's client.
    if f0.by == Role::Server && b0.by == Role::Client {
        let first = if f0.time <= b0.time { f0 } else { b0 };
        let last_frame = last_frame(front).max_by_key_ts(last_frame(back));
        let since = last_frame.map_or(front.start.max(back.start), |(_, t)| t);
        let quiet = ms(since, first.time);
        let secs = quiet / 1000.0;
        let last = match last_frame {
            Some((p, _)) => format!("the last frame on either leg was packet {p}"),
            None => "no frame was sent on either leg".to_string(),
        };
        let ended = format!(
            "The proxy ended both legs of this session with no close frame from either application: it closed the client's leg (connection {fid}) with {} and the backend's leg (connection {bid}) with {}, after {quiet:.0} ms of quiet on both legs ({last}); both applications see 1006.",
            end_text(f0),
            end_text(b0),
        );
        let ends = format!(
            "the proxy closed both legs: {} to the client (connection {fid}, packet {}), {} to the backend (connection {bid}, packet {}), after {quiet:.0} ms of quiet on both legs",
            kind_name(f0.kind),
            f0.packet,
            kind_name(b0.kind),
            b0.packet,
        );
        let (detail, fix, summary) = match whole_seconds(secs) {
            Some(n) => (
                format!("{ended} A proxy that drops both sides at once after a quiet spell is the signature of an idle timeout of that length ({n} s): nginx proxy_read_timeout / proxy_send_timeout, HAProxy timeout tunnel, an AWS ALB idle timeout."),
                format!(
                    "Keep the session busy for the proxy: send a ping (or an application heartbeat) from either end well inside {n} s (every {} s, say; a proxy counts any frame as activity), or raise the proxy's idle timeout (nginx proxy_read_timeout, HAProxy timeout tunnel, the load balancer's idle timeout) above the longest quiet spell the application needs. Clients should reconnect with backoff.",
                    heartbeat(secs)
                ),
                format!("{ends}: an idle timeout of {n} s"),
            ),
            // Configured timeouts are whole seconds nearly always: a spell that is not one
            // may as well be the moment the proxy was stopped.
            None => (
                format!("{ended} A proxy drops both sides at once when its idle timeout expires, but {} is not a whole number of seconds, as configured timeouts usually are: either the timeout is set that short (nginx proxy_read_timeout, HAProxy timeout tunnel and load balancers take milliseconds too), or the proxy was stopped, reloaded or restarted at that moment (nginx -s stop, an HAProxy hard stop, a deploy); the proxy's logs for that moment say which.", Secs(secs)),
                "If the proxy's idle timeout is that short, send pings (or application heartbeats) more often or raise it (nginx proxy_read_timeout, HAProxy timeout tunnel); if the proxy was stopped or restarted, drain it gracefully (nginx -s quit with worker_shutdown_timeout, HAProxy hard-stop-after, a load balancer's deregistration delay) and have clients reconnect with backoff.".to_string(),
                format!("{ends}: an idle timeout that short, or the proxy stopped or restarted"),
            ),
        };
        return Some(Verdict {
            who: "proxy",
            detail,
            fix,
            summary,
            packets: {
                let mut p = vec![f0.packet, b0.packet];
                p.sort_unstable();
                p
            },
        });
    }
    // One application ended its leg; the proxy passed the end on to the other leg.
    let relayed = |app: &End, app_leg: u64, proxy_ends: &[End], proxy_role: Role| {
        let p = proxy_ends
            .iter()
            .find(|e| e.by == proxy_role && e.time >= app.time)
            .copied()?;
        Some((*app, app_leg, p))
    };
    let (who, app, app_leg, p, other_leg, peer) = if b0.by == Role::Server && b0.time <= f0.time {
        let (a, l, p) = relayed(b0, bid, fe, Role::Server)?;
        ("backend", a, l, p, fid, "client")
    } else if f0.by == Role::Client && f0.time <= b0.time {
        let (a, l, p) = relayed(f0, fid, be, Role::Client)?;
        ("client", a, l, p, bid, "backend")
    } else {
        return None;
    };
    let delay = Ms(ms(app.time, p.time));
    let detail = format!(
        "The {who} ended its leg (connection {app_leg}) with {} and no close frame; the proxy passed that on {delay} later, closing the {peer}'s leg (connection {other_leg}) with {}. Neither application sent a close frame, so both see 1006; the proxy only relayed the end.{}",
        end_text(&app),
        end_text(&p),
        if who == "backend" {
            " A backend that drops its connections without a close frame crashed, was killed (SIGKILL, the OOM killer) or restarted."
        } else {
            ""
        }
    );
    let fix = if who == "backend" {
        format!("Read the backend's logs (and the system's: OOM killer, restarts) at the time of packet {}. On shutdown have it close its WebSockets with 1001, and with 1011 on errors, so that the proxy relays a code instead of a bare end. Clients should reconnect with backoff.", app.packet)
    } else {
        "The client left without a close frame (a closed tab, a killed process, a lost network): have it close with 1000 or 1001 when it can; the backend should treat a bare end as a normal disconnect.".to_string()
    };
    let summary = format!(
        "the {who} ended its leg (connection {app_leg}) with {} and no close frame; the proxy relayed it {delay} later to the {peer}'s leg (connection {other_leg}) with {}",
        end_text(&app),
        end_text(&p)
    );
    Some(Verdict {
        who,
        detail,
        fix,
        summary,
        packets: vec![app.packet.min(p.packet), app.packet.max(p.packet)],
    })
}

/// Milliseconds as a report writes them: whole ones, or tenths below 10 ms.
struct Ms(f64);

impl std::fmt::Display for Ms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 < 10.0 {
            write!(f, "{:.1} ms", self.0)
        } else {
            write!(f, "{:.0} ms", self.0)
        }
    }
}

/// A quiet spell of `secs` as a configured timeout's length: its whole seconds when it is
/// within 2 % (or 50 ms) of them, as a timer that fires on time is.
fn whole_seconds(secs: f64) -> Option<u64> {
    let whole = secs.round();
    (whole >= 1.0 && (secs - whole).abs() <= (0.02 * secs).max(0.05)).then_some(whole as u64)
}

/// A heartbeat interval well inside a timeout of `secs` seconds: about half, in whole
/// seconds (at least 1).
fn heartbeat(secs: f64) -> u64 {
    ((secs / 2.0).floor() as u64).max(1)
}

/// The close frames each leg carried, matched with the other leg's: which were relayed
/// (unchanged or changed), and which the proxy answered itself or never passed on.
fn relays(front: &ConnectionReport, back: &ConnectionReport) -> (Vec<String>, bool) {
    let mut notes: Vec<(i64, String)> = Vec::new();
    let mut changed = false;
    // The frames of one role on both legs: a client's close goes front → back, a
    // backend's back → front.
    for (role, from_leg, to_leg, who) in [
        (Role::Client, front, back, "client"),
        (Role::Server, back, front, "backend"),
    ] {
        let sent: Vec<_> = from_leg
            .close_frames
            .iter()
            .filter(|f| f.from == role)
            .collect();
        let got: Vec<_> = to_leg
            .close_frames
            .iter()
            .filter(|f| f.from == role)
            .collect();
        for (k, f) in sent.iter().enumerate() {
            let code = f.code.map_or("with no code".to_string(), |c| c.to_string());
            match got.get(k) {
                Some(g) if g.code == f.code && g.reason == f.reason => {
                    notes.push((f.time.0, format!(
                        "the {who}'s close frame {code} (connection {}, packet {}) was relayed unchanged to connection {} (packet {})",
                        from_leg.id, f.packet, to_leg.id, g.packet
                    )));
                }
                Some(g) => {
                    changed = true;
                    let mut s = format!(
                        "the {who}'s close frame {code} (connection {}, packet {}) was changed in transit by the proxy: connection {} got ",
                        from_leg.id, f.packet, to_leg.id
                    );
                    let _ = write!(
                        s,
                        "{} (packet {})",
                        g.code.map_or("no code".to_string(), |c| c.to_string()),
                        g.packet
                    );
                    if g.code == f.code {
                        s.push_str(" with another reason");
                    }
                    notes.push((f.time.0, s));
                }
                None => {
                    // Answered on its own leg by the proxy, with nothing passed on?
                    let answered = to_leg_answer(from_leg, role);
                    if answered {
                        changed = true;
                    }
                    notes.push((f.time.0, format!(
                        "the {who}'s close frame {code} (connection {}, packet {}) was not passed on to connection {}{}",
                        from_leg.id,
                        f.packet,
                        to_leg.id,
                        if answered {
                            ": the proxy answered it itself"
                        } else {
                            ""
                        }
                    )));
                }
            }
        }
    }
    if first_closer(front, back) == Some("proxy") {
        changed = true;
        for (leg, role, to) in [
            (front, Role::Server, "client"),
            (back, Role::Client, "backend"),
        ] {
            if let Some(f) = leg.close_frames.iter().find(|f| f.from == role) {
                notes.push((
                    f.time.0,
                    format!(
                        "the proxy sent its own close frame {} to the {to} (connection {}, packet {}): neither application started the close",
                        f.code.map_or("with no code".to_string(), |c| c.to_string()),
                        leg.id,
                        f.packet
                    ),
                ));
            }
        }
    }
    notes.sort_by_key(|n| n.0);
    (notes.into_iter().map(|n| n.1).collect(), changed)
}

/// Whether the other end of `leg` (the proxy) answered `role`'s close frame there.
fn to_leg_answer(leg: &ConnectionReport, role: Role) -> bool {
    leg.close_frames.iter().any(|f| f.from != role)
}

/// "leg of connection N through ADDR:PORT", for the table and Markdown.
pub fn phrase(l: &LegReport) -> String {
    format!("leg of connection {} through {}", l.other_leg, l.proxy)
}

/// The whole part of a leg, for Markdown: the phrase, which end it is, what was relayed.
pub fn describe(l: &LegReport) -> String {
    let mut s = format!(
        "{} ({})",
        phrase(l),
        match l.side {
            Side::Front => "the client's leg, to the proxy",
            Side::Back => "the proxy's leg, to the backend",
        }
    );
    if let Some(who) = &l.ended_by {
        let _ = write!(s, "; ended by the {who}");
    }
    for r in &l.relayed {
        let _ = write!(s, "; {r}");
    }
    if l.proxy_changed_close {
        s.push_str(" (the proxy changed a close in transit)");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leg(input: u64, key: &str, first: u64, start: i64, end: i64) -> Leg {
        Leg {
            key: fixed(key).unwrap(),
            order: input << 48 | first,
            start: Timestamp(start),
            end: Timestamp(end),
        }
    }

    fn pairs(legs: Vec<Leg>) -> Vec<(u64, u64)> {
        let mut p = Index { legs }.pairs();
        p.sort_unstable();
        p
    }

    #[test]
    fn legs_pair_by_key_and_nesting_only() {
        const A: &str = "qtxv6qxPKu9EgLpm6exfaQ==";
        const B: &str = "7+pmlFpabfgIyqjmv8ukSA==";
        // Two sessions at once, interleaved: each front with the back leg of its own key.
        let p = pairs(vec![
            leg(0, A, 1, 0, 100),
            leg(0, B, 2, 5, 100),
            leg(0, A, 3, 10, 90),
            leg(0, B, 4, 12, 90),
        ]);
        assert_eq!(p, [(1, 3), (2, 4)]);
        // The same key again after the first connection ended (a client that reuses its
        // key): not a leg of it.
        assert!(pairs(vec![leg(0, A, 1, 0, 100), leg(0, A, 9, 200, 300)]).is_empty());
        // The same key in two inputs: not linked.
        assert!(pairs(vec![leg(0, A, 1, 0, 100), leg(1, A, 1, 10, 90)]).is_empty());
        // Three with one key (two proxies in a row): paired in time order, each once.
        let p = pairs(vec![
            leg(0, A, 1, 0, 100),
            leg(0, A, 2, 10, 90),
            leg(0, A, 3, 20, 80),
        ]);
        assert_eq!(p, [(1, 2)]);
    }

    /// What the index keeps per session stays small: it is the one part of linking that
    /// grows with the sessions of a capture.
    #[test]
    fn an_index_entry_is_56_bytes() {
        assert_eq!(std::mem::size_of::<Leg>(), 56);
    }

    #[test]
    fn keys_too_long_or_empty_are_not_indexed() {
        assert!(fixed("").is_none());
        assert!(fixed(&"k".repeat(KEY_MAX + 1)).is_none());
        assert_eq!(fixed(" abc ").unwrap()[..3], *b"abc");
    }

    #[test]
    fn timeouts_read_as_configured_lengths() {
        assert_eq!(whole_seconds(1.999), Some(2));
        assert_eq!(whole_seconds(60.4), Some(60));
        assert_eq!(whole_seconds(0.745), None);
        assert_eq!(whole_seconds(1.7), None);
        assert_eq!(whole_seconds(0.3), None);
        assert_eq!(heartbeat(2.0), 1);
        assert_eq!(heartbeat(60.0), 30);
    }
}
