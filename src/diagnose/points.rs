//! Points, not files (issue 103 items 1, 2, 6): captures of the same traffic at different
//! points of its path (the client's host and the server's, two files given together; two
//! interfaces of one file, a merge) read as one session with its points.
//!
//! In: the finished reports, each with its trail (`vocab::trail`: what its capture point
//! saw of its packets), and the inputs' summaries. Out: for each session seen at two
//! points, one report (the first point's, in the report's order) with its
//! [`PointsReport`], the other point's report removed; its evidence says what the two
//! points show together.
//!
//! Two reports are one session at two points when they are the only two that carry their
//! `Sec-WebSocket-Key` (compared whole: the 16 random bytes of each handshake, RFC 6455
//! §4.1; a key several sessions carry pairs none), their handshakes are the same (request
//! line, Host, the response's status and its `Sec-WebSocket-Accept`, which is the key's:
//! an invalid one at either point pairs nothing), they are both HTTP/1.1 and no leg of a
//! proxied session, began within [`POINTS_S`] of each other, and both endpoints are the
//! same (a stateful firewall, a router) or exactly one differs (a NAT); the same packets at
//! the same times in two inputs are one file given twice, read as today. A single report
//! whose packets came on two interfaces (its trail names two) is one session at two
//! points likewise, and so is one of a merge with one interface for both whose copies show
//! two TTLs each way (`vocab::trail::Trail::two_ttls`): the packets whose copies show both
//! are placed there, and of those seen with one TTL only, data with its sender's own TTL
//! (at its sender's point) and a reset its sender sent data after at its own point (made
//! between the points: a host that reset a connection deleted it, RFC 9293 §3.10.5, and
//! sends nothing on it again, not even a retransmission); any other may be either
//! point's. The analyzer keeps such a connection after
//! its first point's reset for the second point's copies (`analyzer::finish`).
//!
//! Their packets must agree too: a copied handshake (the same key, request and response
//! in an unrelated session, at another time or address: THREATS kind 3) is the only thing
//! two sessions share, so two views of which nothing after the handshake was seen at both
//! points, while in one direction each holds packets the other never saw (or one holds data
//! in a side's name the other never saw that side send), are two sessions, read as today.
//!
//! Every packet placed: each direction's marks at the two points are lined up by their
//! sequence offset from a packet both saw (the upgrade request, else the SYN: RFC 9293
//! §3.4, so a box that rewrites ISNs changes nothing), their length and a hash of their
//! bytes and flags; each copy is matched once (a segment sent again: its last copies
//! matched, its first ones the lost). A packet seen at both points; only at its sender's
//! (lost between them); only at its receiver's (made between them). Which point is nearer
//! which end is told by the TTLs (RFC 791 §3.2: a point nearer the sender sees the higher
//! TTL), else by the timing once the clock offset is taken out. The offset is the middle
//! of the two directions' median differences (each is the offset plus or less the path's
//! delay between the points). A packet at one point only is placed only while the other
//! point's capture ran: from its first packet; to its last where reading stopped early (a
//! cut or damaged file), and for the session to the last packet it saw of it where the
//! other point shows data passing it after that (a capture stopped early); the rest is
//! "not placed".
//!
//! Work and memory: the candidates come from the incident stage's endings (their whole
//! keys; those carried once dropped by one hash map, the rest sorted once); only the
//! reports of a candidate pair are read back; each pair's
//! matching is linear in its marks (at most `vocab::trail::MAX_MARKS` per report) with one
//! hash map of them.

use crate::report::points::{
    LostBetween, MadeBetween, MadeKind, Point, PointsReport, MAX_LOST_LISTED, MAX_MADE,
};
use crate::report::Host;
use crate::report::{ConnectionReport, Store};
use crate::vocab::trail::{Mark, Trail, FIN, FROM_B, RST, SYN};
use crate::vocab::{Endpoint, InputSummary, PerSide, Role, Timestamp};
use rustc_hash::FxHashMap;

/// Most seconds between the starts of two views of one session (two hosts' clocks may
/// differ by minutes; the key, 16 random bytes, is what pairs them).
pub const POINTS_S: f64 = 600.0;

/// Timing tells which point is nearer a sender only past this difference, ns.
const TIMING_NS: i64 = 2_000;

/// One point's view of a session: its marks, each with the side that sent it.
struct View<'a> {
    input: usize,
    interface: Option<String>,
    client: Host,
    server: Host,
    ends: (Endpoint, Endpoint),
    marks: Vec<(Role, &'a Mark)>,
    /// The span of the marks its trail did not keep (between its first and its last).
    gap: Option<(i64, i64)>,
    /// Marks left out of either view of a merged capture: seen with one TTL only, they
    /// may be either point's (a box's packet or a lost one look alike there).
    left_out: u64,
}

/// The views of `r`: one per interface its trail names (several when one capture holds
/// the session at two points).
fn views(r: &ConnectionReport) -> Vec<View<'_>> {
    let Some(t) = r.trail.as_deref() else {
        return Vec::new();
    };
    let gap = t.gap;
    if t.ifaces.len() < 2 {
        if let Some(two) = t.two_ttls() {
            return by_ttl(r, t, two, gap);
        }
    }
    (0..t.ifaces.len().max(1))
        .map(|k| View {
            input: r.input,
            interface: t.names.get(k).cloned().flatten(),
            client: r.client.clone(),
            server: r.server.clone(),
            ends: r.endpoints,
            marks: t
                .marks
                .iter()
                .filter(|m| usize::from(m.point) == k)
                .map(|m| (role(t, m), m))
                .collect(),
            gap,
            left_out: 0,
        })
        .filter(|v| !v.marks.is_empty())
        .collect()
}

/// The two views of a merged capture whose copies tell the points apart by their TTLs
/// ([`Trail::two_ttls`]): the point nearer the client saw the client's packets with the
/// higher TTL and the server's with the lower. The packets whose copies show both TTLs
/// (seen at both points, or sent again with one copy crossing) are placed; of those seen
/// with one TTL only, data with its sender's own TTL (at its sender's point) and a reset
/// its sender sent data after at its own point (made between, at its receiver's); any
/// other may be either point's, and is left out (counted).
fn by_ttl<'a>(
    r: &'a ConnectionReport,
    t: &'a Trail,
    two: crate::vocab::trail::TwoTtls,
    gap: Option<(i64, i64)>,
) -> Vec<View<'a>> {
    let (client, server) = if t.client_is_a {
        (two.a, two.b)
    } else {
        (two.b, two.a)
    };
    // Per packet (its copies' key): seen with the higher TTL, with the lower.
    let mut both: FxHashMap<(Role, MarkKey), (bool, bool)> = FxHashMap::default();
    let k = |m: &Mark| (role(t, m), key(m, 0));
    for m in &t.marks {
        let e = both.entry(k(m)).or_default();
        let hi = if role(t, m) == Role::Client {
            client.0
        } else {
            server.0
        };
        if m.ttl == hi {
            e.0 = true;
        } else {
            e.1 = true;
        }
    }
    // The point nearer the client: the client's higher TTL, the server's lower.
    let at_client = |m: &Mark| match role(t, m) {
        Role::Client => m.ttl == client.0,
        Role::Server => m.ttl == server.1,
    };
    let ttls_known = |m: &Mark| match role(t, m) {
        Role::Client => m.ttl == client.0 || m.ttl == client.1,
        Role::Server => m.ttl == server.0 || m.ttl == server.1,
    };
    // A side's packets with its own point's TTL (the higher): a copy at its point.
    let own_ttl = |m: &Mark| match role(t, m) {
        Role::Client => m.ttl == client.0,
        Role::Server => m.ttl == server.0,
    };
    let once = |m: &Mark| both.get(&k(m)).is_some_and(|&(x, y)| x != y);
    // The last time each side was seen sending data at its own point: data with its own
    // point's TTL (no box between the points makes a side's data: `place`).
    let mut spoke = [i64::MIN; 2];
    for m in t.marks.iter().filter(|m| m.len > 0 && own_ttl(m)) {
        let s = usize::from(role(t, m) == Role::Server);
        if let Some(x) = spoke.get_mut(s) {
            *x = (*x).max(m.ts);
        }
    }
    let later_spoke = |m: &Mark| {
        let s = usize::from(role(t, m) == Role::Server);
        spoke.get(s).is_some_and(|&x| x > m.ts)
    };
    // Seen once with its sender's own TTL: its data at its sender's point (lost between
    // them, if the other never saw it); a reset after which its sender still sent data at
    // its own point is no reset of that sender's (a host that reset a connection deleted
    // it, RFC 9293 §3.10.5: not even a retransmission follows), so made between the
    // points, at its receiver's. A FIN is not decided so (its sender may still send its
    // earlier data again). Any other packet seen once may be either point's (a box's
    // packet and a lost one look alike there) and is left out.
    let data_once =
        |m: &Mark| once(m) && own_ttl(m) && m.len > 0 && m.flags & (SYN | FIN | RST) == 0;
    let made_once = |m: &Mark| once(m) && own_ttl(m) && m.flags & RST != 0 && later_spoke(m);
    let placed = |m: &Mark| {
        ttls_known(m)
            && (both.get(&k(m)).is_some_and(|&(x, y)| x && y) || data_once(m) || made_once(m))
    };
    let at_client = |m: &Mark| at_client(m) != made_once(m);
    let left_out = t.marks.iter().filter(|m| !placed(m)).count() as u64;
    [true, false]
        .into_iter()
        .map(|near_client| View {
            input: r.input,
            interface: t.names.first().cloned().flatten(),
            client: r.client.clone(),
            server: r.server.clone(),
            ends: r.endpoints,
            marks: t
                .marks
                .iter()
                .filter(|m| placed(m) && at_client(m) == near_client)
                .map(|m| (role(t, m), m))
                .collect(),
            gap,
            left_out: if near_client { left_out } else { 0 },
        })
        .collect()
}

/// The side that sent `m`.
fn role(t: &Trail, m: &Mark) -> Role {
    if (m.flags & FROM_B == 0) == t.client_is_a {
        Role::Client
    } else {
        Role::Server
    }
}

/// Whether `x` and `y` hold one session at two points (see the module's header).
pub fn same_session(x: &ConnectionReport, y: &ConnectionReport) -> bool {
    let (hx, hy) = (&x.handshake, &y.handshake);
    let whole = x.ws_key.is_some() && x.ws_key == y.ws_key;
    let shake = hx.path == hy.path
        && hx.host == hy.host
        && hx.status == hy.status
        && hx.accept_valid != Some(false)
        && hy.accept_valid != Some(false)
        && hx.subprotocol == hy.subprotocol;
    let plain = x.h2_stream.is_none()
        && y.h2_stream.is_none()
        && x.leg.is_none()
        && y.leg.is_none()
        && x.handshake.proxy_product.is_none()
        && y.handshake.proxy_product.is_none();
    let near = (x.start.0 - y.start.0).abs() as f64 <= POINTS_S * 1e9;
    let twice = x.input != y.input
        && x.start == y.start
        && x.end == y.end
        && x.endpoints == y.endpoints
        && x.first_packet == y.first_packet
        && x.last_packet == y.last_packet;
    // Within one capture (one clock) the two views of a session live at the same time (a
    // box forwards within microseconds) and a box between the points translated an
    // endpoint: the same 4-tuple twice in one capture is two TCP connections (a port
    // reused, two VLANs), and a client that sends a constant key (RFC 6455 §4.1 asks for
    // 16 random bytes per handshake) makes sessions that share it one after the other.
    let one_clock = x.input == y.input;
    let together = !one_clock
        || ((x.start.0 - y.start.0).abs() as f64 <= crate::incident::TWIN_S * 1e9
            && x.start.0 < y.end.0
            && y.start.0 < x.end.0);
    let moved = translated(x.endpoints, y.endpoints);
    let between = if one_clock {
        matches!(moved, Some(Some(_)))
    } else {
        moved.is_some()
    };
    whole && shake && plain && near && together && !twice && between
}

/// Which endpoint two views show translated: `Some(None)` for neither (the same 4-tuple),
/// `Some(Some(role))` for one; `None` when both differ (a proxy's two legs).
fn translated(x: (Endpoint, Endpoint), y: (Endpoint, Endpoint)) -> Option<Option<Role>> {
    match (x.0 == y.0, x.1 == y.1) {
        (true, true) => Some(None),
        (false, true) => Some(Some(Role::Client)),
        (true, false) => Some(Some(Role::Server)),
        (false, false) => None,
    }
}

/// What the matching found of one direction.
#[derive(Default)]
struct Dir {
    /// Pairs of indexes into the two views' marks.
    matched: Vec<(usize, usize)>,
    /// Marks seen at one point only, by index into its view's marks.
    only: [Vec<usize>; 2],
    /// The direction could not be lined up: its marks are not placed.
    unaligned: bool,
    /// The offset from the second point's sequence numbers to the first's.
    delta: u32,
}

/// The key a mark is matched by: its sequence offset (in the first point's numbering),
/// length, bytes and flags.
type MarkKey = (u32, u16, u32, u8);

fn key(m: &Mark, delta: u32) -> MarkKey {
    (
        m.seq.wrapping_add(delta),
        m.len,
        m.hash,
        m.flags & (SYN | FIN | RST),
    )
}

/// Lines up direction `from`'s marks at `a` and `b` (see the module's header).
fn match_dir(a: &View<'_>, b: &View<'_>, from: Role) -> Dir {
    let am: Vec<usize> = (0..a.marks.len())
        .filter(|&i| a.marks.get(i).is_some_and(|m| m.0 == from))
        .collect();
    let bm: Vec<usize> = (0..b.marks.len())
        .filter(|&i| b.marks.get(i).is_some_and(|m| m.0 == from))
        .collect();
    let mut d = Dir::default();
    let mark = |v: &View<'_>, i: usize| v.marks.get(i).map(|m| *m.1);
    // The offset from `b`'s sequence numbers to `a`'s: a packet both saw (the first of
    // `a`'s with data, found among `b`'s first), else the SYN.
    let first_data = am.iter().filter_map(|&i| mark(a, i)).find(|m| m.len > 0);
    let by_data = first_data.and_then(|fa| {
        bm.iter()
            .take(64)
            .filter_map(|&i| mark(b, i))
            .find(|m| m.len == fa.len && m.hash == fa.hash)
            .map(|fb| fa.seq.wrapping_sub(fb.seq))
    });
    let syn = |v: &View<'_>, ix: &[usize]| {
        ix.iter()
            .filter_map(|&i| mark(v, i))
            .find(|m| m.flags & SYN != 0)
            .map(|m| m.seq)
    };
    let by_syn = syn(a, &am).zip(syn(b, &bm)).map(|(x, y)| x.wrapping_sub(y));
    let Some(delta) = by_data.or(by_syn) else {
        d.unaligned = !am.is_empty() || !bm.is_empty();
        d.only = [am, bm];
        return d;
    };
    d.delta = delta;
    let mut at_b: FxHashMap<MarkKey, Vec<usize>> = FxHashMap::default();
    for &i in &bm {
        if let Some(m) = mark(b, i) {
            at_b.entry(key(&m, delta)).or_default().push(i);
        }
    }
    let mut at_a: FxHashMap<MarkKey, Vec<usize>> = FxHashMap::default();
    let mut order: Vec<MarkKey> = Vec::new();
    for &i in &am {
        if let Some(m) = mark(a, i) {
            let k = key(&m, 0);
            let v = at_a.entry(k).or_default();
            if v.is_empty() {
                order.push(k);
            }
            v.push(i);
        }
    }
    for k in order {
        let av = at_a.remove(&k).unwrap_or_default();
        let bv = at_b.remove(&k).unwrap_or_default();
        let n = av.len().min(bv.len());
        // A segment sent again: its last copies are the ones that crossed.
        let (a_lost, a_kept) = av.split_at(av.len() - n);
        let (b_more, b_kept) = bv.split_at(bv.len() - n);
        d.matched
            .extend(a_kept.iter().copied().zip(b_kept.iter().copied()));
        d.only[0].extend_from_slice(a_lost);
        d.only[1].extend_from_slice(b_more);
    }
    for (_, bv) in at_b {
        d.only[1].extend(bv);
    }
    d.matched.sort_unstable();
    d.only[0].sort_unstable();
    d.only[1].sort_unstable();
    d
}

/// The median of `v` (sorted here).
fn median(v: &mut [i64]) -> Option<i64> {
    v.sort_unstable();
    v.get(v.len() / 2).copied()
}

/// The marks of `d` both points saw after the handshake: neither a SYN nor the first
/// with data of its direction at `a` (the upgrade's request or response, which a copied
/// handshake carries too).
fn after_handshake(d: &Dir, a: &View<'_>) -> usize {
    let mut data = 0;
    d.matched
        .iter()
        .filter_map(|&(i, _)| a.marks.get(i))
        .filter(|m| m.1.flags & SYN == 0)
        .filter(|m| {
            data += usize::from(m.1.len > 0);
            !(m.1.len > 0 && data == 1)
        })
        .count()
}

/// Whether both views of one direction hold packets the other never saw (SYNs aside).
fn both_alone(d: &Dir, a: &View<'_>, b: &View<'_>) -> bool {
    let alone = |v: &View<'_>, only: &[usize]| {
        only.iter()
            .filter_map(|&i| v.marks.get(i))
            .any(|m| m.1.flags & SYN == 0)
    };
    alone(a, &d.only[0]) && alone(b, &d.only[1])
}

/// Lays `a` and `b` side by side: the points, the offset, where each packet was. None when
/// they are two sessions that share a handshake (a copied one: THREATS kind 3): nothing
/// after the handshake was seen at both, and the views disagree (in one direction each
/// holds packets the other never saw, or one holds data in a side's name that the other
/// never saw that side send), so that a copy can neither join nor hide a session.
fn place(a: &View<'_>, b: &View<'_>, inputs: &[InputSummary]) -> Option<PointsReport> {
    let dirs = [match_dir(a, b, Role::Client), match_dir(a, b, Role::Server)];
    let shared: usize = dirs.iter().map(|d| after_handshake(d, a)).sum();
    if shared == 0 && dirs.iter().any(|d| both_alone(d, a, b)) {
        return None;
    }
    let ts = |v: &View<'_>, i: usize| v.marks.get(i).map_or(0, |m| m.1.ts);
    let ttl = |v: &View<'_>, i: usize| v.marks.get(i).map_or(0, |m| m.1.ttl);
    // Each direction's median of (b's time less a's) over the packets seen at both.
    let med: Vec<Option<i64>> = dirs
        .iter()
        .map(|d| {
            let mut v: Vec<i64> = d
                .matched
                .iter()
                .map(|&(i, j)| ts(b, j).saturating_sub(ts(a, i)))
                .collect();
            median(&mut v)
        })
        .collect();
    let (mc, ms) = (
        med.first().copied().flatten(),
        med.get(1).copied().flatten(),
    );
    let offset = mc.zip(ms).map(|(c, s)| c / 2 + s / 2);
    // Which end `a` is nearer: the TTLs (a's higher for the client's packets, lower for the
    // server's: a is nearer the client), else the timing.
    let mut vote = 0i64;
    for (d, sign) in dirs.iter().zip([1i64, -1]) {
        for &(i, j) in &d.matched {
            vote += sign * i64::from(ttl(a, i).cmp(&ttl(b, j)) as i8);
        }
    }
    let (a_near, by) = if vote != 0 {
        (
            Some(if vote > 0 { Role::Client } else { Role::Server }),
            "ttl",
        )
    } else {
        match (mc, offset) {
            (Some(c), Some(o)) if (c - o).abs() > TIMING_NS => (
                Some(if c > o { Role::Client } else { Role::Server }),
                "timing",
            ),
            _ => (None, ""),
        }
    };
    // Marks within a span a point did not keep are not placed (their copies may be among
    // those), with a margin either side of four times the one-way delay between the points
    // and 10 ms (a second when the delay is not known): in the first point's clock.
    let o = offset.unwrap_or(0);
    let margin = match (mc, offset) {
        (Some(c), Some(o)) => (c - o).abs().saturating_mul(4).saturating_add(10_000_000),
        _ => 1_000_000_000,
    };
    let gap = [a.gap, b.gap.map(|(x, y)| (x - o, y - o))]
        .into_iter()
        .flatten()
        .fold(None, |acc: Option<(i64, i64)>, (x, y)| {
            Some(acc.map_or((x, y), |(p, q)| (p.min(x), q.max(y))))
        })
        .map(|(x, y)| (x.saturating_sub(margin), y.saturating_add(margin)));
    let in_a_clock = |v: usize, t: i64| if v == 0 { t } else { t - o };
    let views = [a, b];
    // Each point saw the path only while its capture ran (THREATS kind 6: a second capture
    // stopped, cut or damaged early): a packet is placed as lost or made between the points
    // only while the other point was capturing, and neither is a segment one of whose
    // copies fell outside that (which copy crossed is unknown). A file's capture ran from
    // its first packet (through the files before it, a rotation); to its last, the margin
    // in, where the reader stopped before the data did (cut or damaged); and, for this
    // session, to the last packet a point saw of it where the other point shows data from
    // the side this one is nearer after that (that side's data always passes it first).
    let mut cover: [(i64, i64); 2] = [(i64::MIN, i64::MAX); 2];
    if a.input != b.input {
        for (p, v) in views.iter().enumerate() {
            let shift = if p == 0 { 0 } else { o };
            if let Some((x, y, cut)) = coverage(inputs, v.input) {
                let end = if cut {
                    y.saturating_sub(margin)
                } else {
                    i64::MAX
                };
                if let Some(c) = cover.get_mut(p) {
                    *c = (x.saturating_sub(shift), end.saturating_sub(shift));
                }
            }
        }
    }
    if shared > 0 {
        for (d, from) in dirs.iter().zip([Role::Client, Role::Server]) {
            let Some(s) = a_near.map(|n| usize::from(n != from)) else {
                continue;
            };
            let (Some(sv), Some(rv), Some(ro)) =
                (views.get(s), views.get(1 - s), d.only.get(1 - s))
            else {
                continue;
            };
            let last = sv.marks.iter().map(|m| in_a_clock(s, m.1.ts)).max();
            let Some(last) = last else { continue };
            let data_after = ro.iter().filter_map(|&i| rv.marks.get(i)).any(|m| {
                m.1.len > 0
                    && m.1.flags & (SYN | FIN | RST) == 0
                    && in_a_clock(1 - s, m.1.ts) > last
            });
            if let (true, Some(c)) = (data_after, cover.get_mut(s)) {
                c.1 = c.1.min(last.saturating_sub(margin));
            }
        }
    }
    let mark_key = |d: &Dir, p: usize, m: &Mark| key(m, if p == 0 { 0 } else { d.delta });
    let blind: Vec<rustc_hash::FxHashSet<MarkKey>> = dirs
        .iter()
        .map(|d| {
            let mut set = rustc_hash::FxHashSet::default();
            for (p, only) in d.only.iter().enumerate() {
                let (Some(v), Some(&(x, y))) = (views.get(p), cover.get(1 - p)) else {
                    continue;
                };
                for &i in only {
                    if let Some(&(_, m)) = v.marks.get(i) {
                        if !(x..=y).contains(&in_a_clock(p, m.ts)) {
                            set.insert(mark_key(d, p, m));
                        }
                    }
                }
            }
            set
        })
        .collect();
    let mut lost_between = Vec::new();
    let mut made_between = Vec::new();
    let mut made_more = 0u64;
    let mut made_data = 0u64;
    let mut unplaced = a.left_out + b.left_out;
    for ((d, from), blind) in dirs.iter().zip([Role::Client, Role::Server]).zip(&blind) {
        // The point nearer this direction's sender.
        let sender = a_near.map(|n| usize::from(n != from));
        let mut lost: Option<LostBetween> = None;
        for (p, only) in d.only.iter().enumerate() {
            let Some(v) = views.get(p) else { continue };
            for &i in only {
                let Some(&(_, m)) = v.marks.get(i) else {
                    continue;
                };
                let past = gap.is_some_and(|(x, y)| (x..=y).contains(&in_a_clock(p, m.ts)))
                    || blind.contains(&mark_key(d, p, m));
                let Some(s) = sender.filter(|_| !d.unaligned && !past) else {
                    unplaced += 1;
                    continue;
                };
                if p == s {
                    let l = lost.get_or_insert(LostBetween {
                        from,
                        seen_at: p,
                        packets: 0,
                        bytes: 0,
                        smallest: u32::MAX,
                        largest: 0,
                        first: Timestamp(m.ts),
                        last: Timestamp(m.ts),
                        first_packet: m.packet,
                        last_packet: m.packet,
                        listed: Vec::new(),
                    });
                    if l.listed.len() < MAX_LOST_LISTED {
                        l.listed.push(m.packet);
                    }
                    l.packets += 1;
                    l.bytes += u64::from(m.len);
                    l.smallest = l.smallest.min(u32::from(m.len));
                    l.largest = l.largest.max(u32::from(m.len));
                    if m.ts < l.first.0 {
                        (l.first, l.first_packet) = (Timestamp(m.ts), m.packet);
                    }
                    if m.ts >= l.last.0 {
                        (l.last, l.last_packet) = (Timestamp(m.ts), m.packet);
                    }
                } else if m.len > 0 && m.flags & (SYN | FIN | RST) == 0 && shared == 0 {
                    made_data += 1;
                } else if made_between.len() < MAX_MADE {
                    // That side's packets' TTL at this point: the last matched before it.
                    let side_ttl = d
                        .matched
                        .iter()
                        .map(|&(x, y)| if p == 0 { x } else { y })
                        .filter_map(|k| v.marks.get(k))
                        .filter(|o| o.1.ts <= m.ts)
                        .max_by_key(|o| o.1.ts)
                        .or_else(|| {
                            d.matched
                                .first()
                                .and_then(|&(x, y)| v.marks.get(if p == 0 { x } else { y }))
                        })
                        .map(|o| o.1.ttl);
                    made_between.push(MadeBetween {
                        from,
                        seen_at: p,
                        kind: if m.flags & RST != 0 {
                            MadeKind::Rst
                        } else if m.flags & FIN != 0 {
                            MadeKind::Fin
                        } else if m.flags & SYN != 0 {
                            MadeKind::Syn
                        } else {
                            MadeKind::Data
                        },
                        bytes: u32::from(m.len),
                        packet: m.packet,
                        time: Timestamp(m.ts),
                        ttl: m.ttl,
                        side_ttl,
                        ip_id: m.ip_id,
                    });
                } else {
                    made_more += 1;
                }
            }
        }
        lost_between.extend(lost);
    }
    if made_data > 0 {
        return None;
    }
    made_between.sort_by_key(|m| (m.seen_at, m.time.0, m.packet));
    let near_of = |p: usize| a_near.map(|n| if p == 0 { n } else { n.peer() });
    let point = |p: usize, v: &View<'_>| {
        let first_ttl = |r: Role| v.marks.iter().find(|m| m.0 == r).map(|m| m.1.ttl);
        Point {
            input: v.input,
            file: inputs
                .get(v.input)
                .map(|i| crate::capture::file::rotation::file_name(&i.path))
                .unwrap_or_default(),
            interface: v.interface.clone(),
            client: v.client.clone(),
            server: v.server.clone(),
            first_packet: v.marks.iter().map(|m| m.1.packet).min().unwrap_or(0),
            last_packet: v.marks.iter().map(|m| m.1.packet).max().unwrap_or(0),
            ttl: PerSide {
                client: first_ttl(Role::Client),
                server: first_ttl(Role::Server),
            },
            nearer: near_of(p),
            nearer_by: near_of(p).map(|_| by.to_string()),
        }
    };
    let seen = |k: usize| dirs.get(k).map_or(0, |d| d.matched.len() as u64);
    Some(PointsReport {
        points: vec![point(0, a), point(1, b)],
        translated: translated(a.ends, b.ends).flatten(),
        clock_offset_s: offset.map(|o| o as f64 / 1e9),
        seen_at_both: PerSide {
            client: seen(0),
            server: seen(1),
        },
        lost_between,
        made_between,
        made_between_more: made_more,
        not_placed: unplaced,
        placed_whole: gap.is_none(),
        unplaced_from: gap.map(|g| Timestamp(g.0)),
        unplaced_to: gap.map(|g| Timestamp(g.1)),
    })
}

/// The span input `i`'s capture ran, from its first packet to its last (through the files
/// that continue it, a rotation), in its own clock, ns; and whether reading stopped before
/// its data did (a file cut or damaged there).
fn coverage(inputs: &[InputSummary], i: usize) -> Option<(i64, i64, bool)> {
    let mut first = i;
    while first > 0 && inputs.get(first).is_some_and(|x| x.continues_previous) {
        first -= 1;
    }
    let mut last = i;
    while inputs.get(last + 1).is_some_and(|x| x.continues_previous) {
        last += 1;
    }
    let at = |k: usize, end: bool| {
        let x = inputs.get(k)?;
        let t = if end { &x.last_time } else { &x.first_time };
        crate::report::record::parse_rfc3339(t.as_deref()?).map(|t| t.0)
    };
    let cut = inputs.get(last).is_some_and(|x| x.truncated);
    Some((at(first, false)?, at(last, true)?, cut))
}

/// Writes into `x` that it is one session with `y` (another report of it, or none: `x`'s
/// own two interfaces), seen at two points: its [`PointsReport`], and its evidence.
/// Returns whether a reset in the name of the side that ended `x` was made between the
/// points (the ending's reset is then no endpoint's); None, and `x` unchanged, when their
/// packets show two sessions that share a handshake ([`place`]).
fn join(
    x: &mut ConnectionReport,
    y: Option<&ConnectionReport>,
    inputs: &[InputSummary],
) -> Option<bool> {
    let p = {
        let vx = views(x);
        let pair = match y {
            Some(y) => {
                let vy = views(y);
                match (vx.into_iter().next(), vy.into_iter().next()) {
                    (Some(a), Some(b)) => Some(place(&a, &b, inputs)),
                    _ => None,
                }
            }
            None => {
                let mut it = vx.into_iter();
                match (it.next(), it.next()) {
                    (Some(a), Some(b)) => Some(place(&a, &b, inputs)),
                    _ => None,
                }
            }
        };
        match pair {
            Some(p) => p?,
            // No trail at one of them: the points named, nothing placed.
            None => bare(x, y, inputs),
        }
    };
    super::culprit::decide(x, y, &p);
    x.trail = None;
    let end = x
        .tcp_ends
        .first()
        .filter(|e| e.kind == crate::vocab::EndKind::Rst)
        .map(|e| (e.by, e.packet));
    let forged = end.is_some_and(|(by, packet)| {
        p.made_between.iter().any(|m| {
            m.kind == MadeKind::Rst && m.from == by && m.seen_at == 0 && m.packet == packet
        })
    });
    if let Some(e) = x.evidence.as_mut() {
        let (words, packets) = crate::report::words::points::evidence(&p);
        e.add(format_args!("{words}"), packets);
    }
    x.points = Some(p);
    Some(forged)
}

/// The points of `x` and `y` where no trail lets their packets be placed.
fn bare(
    x: &ConnectionReport,
    y: Option<&ConnectionReport>,
    inputs: &[InputSummary],
) -> PointsReport {
    let point = |r: &ConnectionReport| Point {
        input: r.input,
        file: inputs
            .get(r.input)
            .map(|i| crate::capture::file::rotation::file_name(&i.path))
            .unwrap_or_default(),
        interface: None,
        client: r.client.clone(),
        server: r.server.clone(),
        first_packet: r.first_packet,
        last_packet: r.last_packet,
        ttl: PerSide::default(),
        nearer: None,
        nearer_by: None,
    };
    PointsReport {
        points: std::iter::once(point(x)).chain(y.map(point)).collect(),
        translated: y.and_then(|y| translated(x.endpoints, y.endpoints).flatten()),
        clock_offset_s: None,
        seen_at_both: PerSide::default(),
        lost_between: Vec::new(),
        made_between: Vec::new(),
        made_between_more: 0,
        not_placed: 0,
        placed_whole: false,
        unplaced_from: None,
        unplaced_to: None,
    }
}

/// Whether `r` holds its session at two points of one capture: two interfaces, or one
/// whose copies two TTLs tell apart (a merge).
fn two_interfaces(r: &ConnectionReport) -> bool {
    r.h2_stream.is_none()
        && r.trail
            .as_deref()
            .is_some_and(|t| t.ifaces.len() == 2 || (t.ifaces.len() < 2 && t.two_ttls().is_some()))
}

/// The pairs of positions (in `keys`' order: `(whole key, position)`) whose key exactly
/// two carry.
fn candidates(mut keys: Vec<(crate::incident::Key, usize)>) -> Vec<(usize, usize)> {
    keys.sort_unstable();
    keys.chunk_by(|a, b| a.0 == b.0)
        .filter_map(|g| match g {
            [(_, a), (_, b)] if a != b => Some(((*a).min(*b), (*a).max(*b))),
            _ => None,
        })
        .collect()
}

/// Of `keyed`, those whose key another carries too: the only ones [`candidates`] can pair
/// (most keys are carried once; those are not looked for in the store, nor sorted).
fn shared(keyed: Vec<(crate::incident::Key, u64)>) -> Vec<(crate::incident::Key, u64)> {
    let mut seen: FxHashMap<crate::incident::Key, bool> = FxHashMap::default();
    seen.reserve(keyed.len());
    for (k, _) in &keyed {
        seen.entry(*k)
            .and_modify(|twice| *twice = true)
            .or_insert(false);
    }
    keyed
        .into_iter()
        .filter(|(k, _)| seen.get(k).copied().unwrap_or(false))
        .collect()
}

/// Joins the sessions seen at two points among `cs` (in the report's order, numbered):
/// the later view of each pair removed, the rest numbered again.
pub fn join_vec(cs: &mut Vec<ConnectionReport>, inputs: &[InputSummary]) {
    let keys = cs
        .iter()
        .enumerate()
        .filter(|(_, c)| c.h2_stream.is_none() && c.leg.is_none())
        .map(|(i, c)| (crate::report::incidents::whole_key(c.ws_key.as_deref()), i))
        .filter(|(k, _)| *k != crate::incident::NO_KEY)
        .collect();
    let mut keep = vec![true; cs.len()];
    for (i, j) in candidates(keys) {
        let (Some(x), Some(y)) = (cs.get(i), cs.get(j)) else {
            continue;
        };
        if !same_session(x, y) {
            continue;
        }
        let y = y.clone();
        let joined = cs.get_mut(i).and_then(|x| join(x, Some(&y), inputs));
        if let (Some(_), Some(k)) = (joined, keep.get_mut(j)) {
            *k = false;
        }
    }
    for (i, c) in cs.iter_mut().enumerate() {
        if keep.get(i).copied().unwrap_or(false) && c.points.is_none() && two_interfaces(c) {
            join(c, None, inputs);
        }
    }
    let mut flags = keep.iter();
    cs.retain(|_| flags.next().copied().unwrap_or(true));
    for (i, c) in cs.iter_mut().enumerate() {
        c.id = i as u64 + 1;
    }
}

/// [`join_vec`] on a sorted store: only the reports of candidate pairs (from the incident
/// stage's endings, by their whole keys) and those whose trail names two interfaces are
/// read back. The store is sorted again when a report was removed; the endings of the
/// views kept whose reset was made between the points are marked so. Returns a note when
/// the incident stage left endings out (its room full) and two captures were given: the
/// sessions among those are not paired, each view listed.
pub fn join_store(store: &mut Store, inputs: &[InputSummary]) -> std::io::Result<Option<String>> {
    // Said where two captures were given together (a rotation's files are one capture).
    let captures = inputs.iter().filter(|i| !i.continues_previous).count();
    let left_out = store.incidents_mut().left_out();
    let note =
        (left_out > 0 && captures > 1).then(|| crate::report::words::points::unpaired(left_out));
    let keyed = shared(store.incidents_mut().keyed());
    let mut keys = Vec::with_capacity(keyed.len());
    for (k, order) in keyed {
        let at = store.positions(order);
        // One report per order (an HTTP/2 connection's streams share one: never paired).
        if at.len() == 1 {
            keys.push((k, at.start));
        }
    }
    let mut buf = Vec::new();
    let mut drop = rustc_hash::FxHashSet::default();
    let mut forged = Vec::new();
    // The endings of the views kept whose packets were lost between the points.
    let mut lost = Vec::new();
    for (i, j) in candidates(keys) {
        let mut x = store.get(i, &mut buf)?;
        let y = store.get(j, &mut buf)?;
        if !same_session(&x, &y) {
            continue;
        }
        let Some(reset_made) = join(&mut x, Some(&y), inputs) else {
            continue;
        };
        if reset_made {
            forged.push(crate::report::legs::order(x.input, x.first_packet));
        }
        if let Some((from, to, by)) = crate::report::incidents::lost_between(&x) {
            lost.push((
                crate::report::legs::order(x.input, x.first_packet),
                from,
                to,
                by,
            ));
        }
        store.replace(i, x)?;
        drop.insert(j);
    }
    for order in store.two_point_orders().to_vec() {
        let at = store.positions(order);
        if at.len() != 1 || drop.contains(&at.start) {
            continue;
        }
        let mut x = store.get(at.start, &mut buf)?;
        if x.points.is_some() || !two_interfaces(&x) {
            continue;
        }
        match join(&mut x, None, inputs) {
            Some(true) => forged.push(order),
            Some(false) => {}
            None => continue,
        }
        if let Some((from, to, by)) = crate::report::incidents::lost_between(&x) {
            lost.push((order, from, to, by));
        }
        store.replace(at.start, x)?;
    }
    store.incidents_mut().forge(&forged);
    store.incidents_mut().lose(&lost);
    if !drop.is_empty() {
        let mut keep = vec![true; store.len()];
        for j in drop {
            if let Some(k) = keep.get_mut(j) {
                *k = false;
            }
        }
        store.retain(&keep);
        store.sort();
    }
    Ok(note)
}
