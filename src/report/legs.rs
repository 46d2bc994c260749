//! Sessions through a proxy: the two legs of one WebSocket session linked, and the proxy
//! named when it is what ended them.
//!
//! In: finished [`ConnectionReport`]s of one report (in memory, or in a [`Store`](super::Store) whose
//! index of legs, [`Index`], was filled as the reports came in). Out: the same reports with
//! each leg naming the other (`other_leg`, `leg`) and what the two legs show together (the
//! relayed close frames, who ended the session), which `diagnose::proxied::link` writes.
//!
//! Two connections of one input are two legs of one session when their upgrade requests
//! carry the same `Sec-WebSocket-Key` (RFC 6455 §4.1: 16 random bytes per handshake,
//! which nginx and HAProxy forward unchanged), the back leg starts while the front leg
//! is open, and it leaves from the front leg's server address for another endpoint (the
//! key alone is not enough: some clients send a constant one). The front leg is the one that started first; the proxy is its server and the
//! back leg's client. A key seen on more than two connections is paired in time order,
//! each connection at most once. A proxy with an address on each network sends its back
//! leg from another address: two connections that alone carry a key are linked then when
//! their handshakes nest (the back leg's upgrade request and 101 between the front leg's
//! request and 101: the proxy passes the upgrade on and answers the client once the
//! backend has; [`LinkedBy::KeyAndHandshakes`]); with a third, none is.
//!
//! An HTTP/2 front leg (RFC 8441 §4: a WebSocket on a stream, opened by an extended
//! CONNECT) carries no key, and the proxy opens an HTTP/1.1 WebSocket to the backend with
//! a key of its own. Such a stream and an HTTP/1.1 connection not linked by a key are
//! linked by what both carry ([`Candidate`]): the same path (`:path`, the request target;
//! RFC 9113 §8.3.1), the back leg's upgrade request sent after the stream's CONNECT and
//! before its 200 (a proxy answers the CONNECT once the backend has answered), to another
//! address than the stream's server (the proxy), and the two legs beginning to close within
//! [`CLOSE_GAP_S`] of each other (or both still open). That
//! is weaker than a key, so it is made only when it is unambiguous: the stream has exactly
//! one such connection and the connection exactly one such stream; the report says which
//! evidence linked them ([`LinkedBy`]), and whether the host (`:authority`, `Host`)
//! matched too (proxies may rewrite it, so it is not required).
//!
//! A front leg inside a forward proxy's CONNECT tunnel (RFC 9110 §9.3.6) names its back leg
//! better than a key does: the proxy opens it to the target the CONNECT named, after the
//! CONNECT. Such a leg is paired only with a connection that has the same key, goes to the
//! target's port (and address, when the target is an IP literal) and starts after the
//! CONNECT was sent ([`LinkedBy::KeyAndConnect`]).
//!
//! Memory: the index keeps one small entry ([`Leg`], 88 bytes) per session with a key, and
//! one [`Candidate`] (72 bytes) per HTTP/2 WebSocket and per HTTP/1.1 upgrade with a path,
//! as the store keeps one per report; the links are made at the end by reading two reports
//! back at a time and writing them back patched ([`link_store`](super::store::link_store)).

use super::{ConnectionReport, Host};
use crate::vocab::Timestamp;
use serde::{Deserialize, Serialize};

/// Longest key the index keeps (a conforming key is 24 characters of base64); sessions
/// with a longer one are not linked.
const KEY_MAX: usize = 32;

/// What a leg (88 bytes) or a candidate (72) takes in the index on average, in vectors that
/// may be twice their length.
pub const LEG_BYTES: usize = 160;

/// What the index keeps of one session to pair it: its key, where it sorts in the report,
/// and when it started and ended.
#[derive(Debug, Clone, Copy)]
pub struct Leg {
    key: [u8; KEY_MAX],
    /// The report's order in its store: input above bit 48, first packet below.
    order: u64,
    start: Timestamp,
    end: Timestamp,
    /// Hashes of the client's address (without the port), of the server's address and of
    /// the server's address and port: a back leg leaves from its front leg's server address
    /// (the proxy's) for another endpoint than the proxy.
    client_ip: u32,
    server_ip: u32,
    server: u32,
    /// The server's port.
    server_port: u16,
    /// A front leg in a CONNECT tunnel (`tunnel`): the port its target names (0: no
    /// tunnel), a hash of the target's address when the target is an IP literal (0:
    /// a name), and when the CONNECT was sent.
    target_port: u16,
    target_ip: u32,
    connect: Timestamp,
}

/// Longest gap between the moments two legs of one session begin to close (a proxy relays
/// a close frame, a reset or a FIN within milliseconds; an idle timeout ends both at once),
/// in seconds, for legs linked by path and timing.
pub const CLOSE_GAP_S: f64 = 1.0;

/// Most HTTP/2 WebSockets of one path whose CONNECT is waiting for its 200 at one moment
/// that a back leg's upgrade is compared with: with more, the back legs of that moment are
/// ambiguous anyway, and are left unlinked (which keeps hostile captures linear).
const ACTIVE_MAX: usize = 64;

/// What the index keeps of an HTTP/2 WebSocket (a front leg) or an HTTP/1.1 upgrade (a
/// back leg) to pair them by path and timing.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    /// The report's order in its store (an HTTP/2 stream shares its TCP connection's).
    order: u64,
    /// The HTTP/2 stream; 0 for an HTTP/1.1 connection.
    stream: u32,
    /// Hashes of the path, of the host (`:authority` or `Host`; 0 when absent) and of the
    /// server's address.
    path: u64,
    host: u64,
    server: u64,
    /// The packets of the request (CONNECT or GET) and of the answer (200 or 101).
    request: u64,
    response: u64,
    /// When the leg began to close (its first close frame, stream ending or FIN/RST), if
    /// it did.
    closing: Option<Timestamp>,
}

/// The sessions of a report that may be legs of one another.
#[derive(Debug, Clone, Default)]
pub struct Index {
    legs: Vec<Leg>,
    /// HTTP/2 WebSockets (`stream` > 0) and HTTP/1.1 upgrades with a path.
    candidates: Vec<Candidate>,
    /// The legs, and the candidates, it keeps at the end: those of the smallest orders
    /// ([`Index::set_room`]; 0: no limit). Each vector may grow to twice this before it is
    /// cut back, so that what is kept does not depend on the order reports came in, nor
    /// on how many stores (threads) noted them.
    room: usize,
    /// Legs and candidates left out past that room.
    left_out: u64,
}

/// Two legs to link: the front's and the back's store order and HTTP/2 stream (0 for an
/// HTTP/1.1 connection), and what linked them.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// The front leg: its place in the store and its HTTP/2 stream.
    pub front: (u64, u32),
    /// The back leg: its place in the store and its HTTP/2 stream.
    pub back: (u64, u32),
    /// What linked them.
    pub by: LinkedBy,
}

/// What linked two legs (JSON `leg.linked_by`, its [`LinkedBy::name`], and
/// `leg.link_evidence`, its [`LinkedBy::text`]).
#[derive(Debug, Clone, PartialEq)]
pub enum LinkedBy {
    /// The same `Sec-WebSocket-Key` in both upgrade requests, the back leg started while
    /// the front leg was open.
    Key,
    /// The key, and the front leg's CONNECT tunnel: the back leg goes to the port (and
    /// address) the CONNECT named and starts after it.
    KeyAndConnect {
        /// The packet of the front leg's CONNECT.
        connect: u64,
        /// Its target, as sent.
        target: String,
    },
    /// The key, shared by these two connections alone in their input, where the back leg
    /// leaves from another address than the front leg's server (a proxy with an address
    /// on each network): both handshakes nested, the back leg's upgrade request and 101
    /// between the front leg's request and 101, as a proxy passes the upgrade on and
    /// answers the client once the backend answered.
    KeyAndHandshakes {
        /// The front leg's upgrade request.
        request: u64,
        /// The back leg's upgrade request.
        upgrade: u64,
        /// The back leg's 101.
        upgrade_answer: u64,
        /// The front leg's 101.
        answer: u64,
    },
    /// An HTTP/2 front leg: the same path, the back leg's upgrade between the stream's
    /// CONNECT and its 200, the closes within [`CLOSE_GAP_S`], and no other candidate
    /// either way.
    PathAndTiming {
        /// The hosts (`:authority` and `Host`) were the same too.
        host: bool,
        /// The packets: the stream's CONNECT, the back leg's upgrade request, the
        /// stream's 200.
        connect: u64,
        /// The back leg's upgrade request.
        upgrade: u64,
        /// The stream's 200.
        answer: u64,
        /// Milliseconds between the legs' first closing events (null: both open).
        closes_ms: Option<f64>,
    },
}

impl LinkedBy {
    /// "sec_websocket_key", "sec_websocket_key_and_connect_target",
    /// "sec_websocket_key_and_handshakes" or "path_and_timing".
    pub fn name(&self) -> &'static str {
        match self {
            LinkedBy::Key => "sec_websocket_key",
            LinkedBy::KeyAndConnect { .. } => "sec_websocket_key_and_connect_target",
            LinkedBy::KeyAndHandshakes { .. } => "sec_websocket_key_and_handshakes",
            LinkedBy::PathAndTiming { .. } => "path_and_timing",
        }
    }
}

impl Index {
    /// Notes `r` if its upgrade request carried a key, or if it is an HTTP/2 WebSocket or
    /// an HTTP/1.1 upgrade with a path; `order` is its place in the store.
    pub fn add(&mut self, order: u64, r: &ConnectionReport) {
        if let Some(key) = r.ws_key.as_deref().and_then(fixed) {
            let (client, server) = r.endpoints;
            let tunnel = r.tunnel.as_ref().filter(|t| t.opened());
            let target = tunnel.and_then(|t| t.target.rsplit_once(':'));
            let target_ip = target
                .map(|(host, _)| host.trim_start_matches('[').trim_end_matches(']'))
                .and_then(|host| host.parse::<std::net::IpAddr>().ok());
            self.legs.push(Leg {
                key,
                order,
                start: r.start,
                end: r.end,
                client_ip: digest(&client.ip()) as u32,
                server_ip: digest(&server.ip()) as u32,
                server: digest(&server) as u32,
                server_port: server.port,
                target_port: target.and_then(|(_, p)| p.parse().ok()).unwrap_or(0),
                target_ip: target_ip.map_or(0, |ip| digest(&ip) as u32),
                connect: tunnel.map_or(r.start, |t| t.request_time),
            });
        }
        if let Some(c) = candidate(order, r) {
            self.candidates.push(c);
        }
        self.trim(2);
    }

    /// Cuts each vector back to the `room` of smallest orders once it holds `slack` times
    /// that, counting what it leaves out.
    fn trim(&mut self, slack: usize) {
        let room = self.room;
        if room == 0 {
            return;
        }
        if self.legs.len() >= room.saturating_mul(slack) && self.legs.len() > room {
            self.legs.sort_unstable_by_key(|l| l.order);
            self.left_out += (self.legs.len() - room) as u64;
            self.legs.truncate(room);
        }
        if self.candidates.len() >= room.saturating_mul(slack) && self.candidates.len() > room {
            self.candidates
                .sort_unstable_by_key(|c| (c.order, c.stream));
            self.left_out += (self.candidates.len() - room) as u64;
            self.candidates.truncate(room);
        }
    }

    /// Legs and candidates left out past the room, once cut back to it.
    pub fn left_out(&mut self) -> u64 {
        self.trim(1);
        self.left_out
    }

    /// Adds the legs and candidates another index noted (of another shard or input).
    pub fn append(&mut self, other: Index) {
        self.legs.extend(other.legs);
        self.candidates.extend(other.candidates);
        self.left_out += other.left_out;
        self.room = self.room.max(other.room);
        self.trim(1);
    }

    /// Holds what `bytes` of memory hold from now on, at [`LEG_BYTES`] a leg or candidate
    /// (each thread's store holds its own).
    pub fn set_room(&mut self, bytes: usize) {
        self.room = (bytes / LEG_BYTES / 2).max(1);
    }

    /// The pairs of legs: by key first, then HTTP/2 front legs by path and timing among
    /// the connections no key linked.
    pub fn pairs(mut self) -> Vec<Pair> {
        self.trim(1);
        self.pairs_counted(&mut 0)
    }

    /// [`Index::pairs`], adding to `work` the legs it looked at (one for each leg it
    /// considered as a front or a back, or searched for): what tests count to see that the
    /// work grows as n log n, not n², with the sessions sharing one key.
    fn pairs_counted(mut self, work: &mut u64) -> Vec<Pair> {
        // Only a key that two legs or more of one input share can pair them: those legs
        // are moved to the front and sorted, the others (most keys are alone) left out of
        // the sort. A count per hash slot (a byte per slot, four slots a leg at least, not
        // a copy of the legs): legs that share a slot by chance are sorted too, and grouped
        // by their real keys.
        let slots = self.legs.len().saturating_mul(4).next_power_of_two();
        let slot = |l: &Leg| {
            use std::hash::{Hash, Hasher};
            let mut h = rustc_hash::FxHasher::default();
            (l.order >> 48).hash(&mut h);
            l.key.hash(&mut h);
            h.finish() as usize & (slots - 1)
        };
        let mut count = vec![0u8; slots];
        for l in &self.legs {
            if let Some(c) = count.get_mut(slot(l)) {
                *c = c.saturating_add(1);
            }
        }
        let mut shared = 0;
        for i in 0..self.legs.len() {
            if self
                .legs
                .get(i)
                .and_then(|l| count.get(slot(l)))
                .is_some_and(|&c| c > 1)
            {
                self.legs.swap(shared, i);
                shared += 1;
            }
        }
        drop(count);
        let shared = self.legs.get_mut(..shared).unwrap_or_default();
        // Same input and key together, in order of start: compared field by field, not
        // through a tuple of copies of each (the key is 32 bytes).
        shared.sort_unstable_by(|a, b| {
            (a.order >> 48)
                .cmp(&(b.order >> 48))
                .then_with(|| a.key.cmp(&b.key))
                .then_with(|| a.start.cmp(&b.start))
                .then_with(|| a.order.cmp(&b.order))
        });
        let (mut keyed, mut apart) = (Vec::new(), Vec::new());
        for group in shared.chunk_by(|x, y| (x.order >> 48, x.key) == (y.order >> 48, y.key)) {
            let before = keyed.len();
            pair_group(group, &mut keyed, work);
            if keyed.len() == before {
                apart.extend(apart_pair(group));
            }
        }
        let nested = nested_handshakes(&self.candidates, &apart, work);
        let mut linked: Vec<u64> = keyed
            .iter()
            .flat_map(|&(f, b)| [f, b])
            .chain(nested.iter().flat_map(|p| [p.front.0, p.back.0]))
            .collect();
        linked.sort_unstable();
        self.candidates
            .retain(|c| c.stream > 0 || linked.binary_search(&c.order).is_err());
        let mut pairs: Vec<Pair> = keyed
            .into_iter()
            .map(|(f, b)| Pair {
                front: (f, 0),
                back: (b, 0),
                by: LinkedBy::Key,
            })
            .collect();
        // A front leg in a tunnel says what linked it in the report (`link`).
        let mut tunnels: Vec<u64> = self
            .legs
            .iter()
            .filter(|l| l.target_port != 0)
            .map(|l| l.order)
            .collect();
        tunnels.sort_unstable();
        for p in &mut pairs {
            *work += 1;
            if tunnels.binary_search(&p.front.0).is_ok() {
                p.by = LinkedBy::KeyAndConnect {
                    connect: 0,
                    target: String::new(),
                };
            }
        }
        pairs.extend(nested);
        pair_by_path(&self.candidates, &mut pairs);
        pairs
    }
}

/// The two legs of `group` (one input's connections with one key, by start) to link by
/// their handshakes ([`nested_handshakes`]) though the back leg leaves from another
/// address than the front leg's server (the group's legs linked by address, none): when
/// the key is these two connections' alone (more share it: a load test or a client's
/// constant key, and nothing tells which is which, THREATS kind 3), the second starts
/// while the first is open, from another address than the first's client and than its
/// server, to another endpoint, and the first is in no CONNECT tunnel.
fn apart_pair(group: &[Leg]) -> Option<(u64, u64)> {
    let [front, back] = group else {
        return None;
    };
    (front.target_port == 0
        && back.start >= front.start
        && back.start <= front.end
        && back.client_ip != front.client_ip
        && back.client_ip != front.server_ip
        && back.server != front.server)
        .then_some((front.order, back.order))
}

/// The pairs of `apart` ([`apart_pair`]) whose handshakes are nested: the back leg's
/// upgrade request and its 101 both between the front leg's request and its 101 (a proxy
/// passes the upgrade on and answers the client once the backend answered; RFC 6455 §4.1
/// lets no endpoint answer before the request). Their handshakes are those of
/// `candidates` (HTTP/1.1 upgrades answered 101, with a path); a leg without one is not
/// linked. `work` counts the candidates looked at.
fn nested_handshakes(candidates: &[Candidate], apart: &[(u64, u64)], work: &mut u64) -> Vec<Pair> {
    if apart.is_empty() {
        return Vec::new();
    }
    let mut wanted: Vec<u64> = apart.iter().flat_map(|&(f, b)| [f, b]).collect();
    wanted.sort_unstable();
    let mut hs: Vec<(u64, u64, u64)> = candidates
        .iter()
        .filter(|c| c.stream == 0 && wanted.binary_search(&c.order).is_ok())
        .map(|c| (c.order, c.request, c.response))
        .collect();
    *work += candidates.len() as u64;
    hs.sort_unstable();
    let of = |o: u64| {
        hs.binary_search_by_key(&o, |h| h.0)
            .ok()
            .and_then(|i| hs.get(i))
            .copied()
    };
    apart
        .iter()
        .filter_map(|&(f, b)| {
            let ((_, request, answer), (_, upgrade, upgrade_answer)) = (of(f)?, of(b)?);
            (request < upgrade && upgrade < upgrade_answer && upgrade_answer < answer).then_some(
                Pair {
                    front: (f, 0),
                    back: (b, 0),
                    by: LinkedBy::KeyAndHandshakes {
                        request,
                        upgrade,
                        upgrade_answer,
                        answer,
                    },
                },
            )
        })
        .collect()
}

/// A hash of a path, a host or a server address, the same in every run (std's SipHash with
/// its fixed keys).
fn digest<T: std::hash::Hash + ?Sized>(v: &T) -> u64 {
    use std::hash::Hasher;
    let mut h = std::hash::DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

/// When a leg began to close: its first close frame, stream ending (HTTP/2) or FIN/RST.
fn closing(r: &ConnectionReport) -> Option<Timestamp> {
    let frames = r.close_frames.iter().map(|f| f.time);
    let streams = r.stream_ends.iter().map(|e| e.time);
    let tcp = r.tcp_ends.iter().map(|e| e.time);
    frames.chain(streams).chain(tcp).min()
}

/// `r` as a leg to pair by path and timing: an HTTP/2 WebSocket accepted (2xx), or an
/// HTTP/1.1 upgrade answered 101, with its path and both packets of its handshake.
fn candidate(order: u64, r: &ConnectionReport) -> Option<Candidate> {
    let h = &r.handshake;
    let status = h.status?;
    let stream = match r.h2_stream {
        Some(s) if s > 0 && (200..300).contains(&status) => s,
        None if status == 101 => 0,
        _ => return None,
    };
    Some(Candidate {
        order,
        stream,
        path: digest(h.path.as_deref()?),
        host: h.host.as_deref().map_or(0, |h| digest(h.trim())),
        server: digest(&r.server),
        request: h.request_packet?,
        response: h.response_packet?,
        closing: closing(r),
    })
}

/// Whether two legs' closes follow each other: both began to close within
/// [`CLOSE_GAP_S`], or neither did. Milliseconds between them (None: both open).
fn closes_follow(f: &Candidate, b: &Candidate) -> Option<Option<f64>> {
    match (f.closing, b.closing) {
        (None, None) => Some(None),
        (Some(x), Some(y)) => {
            let gap = x.since(y).max(y.since(x));
            (gap <= CLOSE_GAP_S).then_some(Some(gap * 1000.0))
        }
        _ => None,
    }
}

/// Pairs HTTP/2 front legs with HTTP/1.1 back legs by path and timing, where exactly one
/// candidate fits each way; adds the pairs to `pairs`.
fn pair_by_path(all: &[Candidate], pairs: &mut Vec<Pair>) {
    // Only an input and path with an HTTP/2 front leg can pair: the candidates of the
    // others (every one of a capture without HTTP/2 WebSockets) are left out before the
    // sort.
    let fronts: rustc_hash::FxHashSet<(u64, u64)> = all
        .iter()
        .filter(|c| c.stream > 0)
        .map(|c| (c.order >> 48, c.path))
        .collect();
    if fronts.is_empty() {
        return;
    }
    let mut all: Vec<Candidate> = all
        .iter()
        .filter(|c| fronts.contains(&(c.order >> 48, c.path)))
        .copied()
        .collect();
    // One input and path at a time, in packet order of the requests.
    all.sort_unstable_by_key(|c| (c.order >> 48, c.path, c.request, c.stream));
    for group in all.chunk_by(|x, y| (x.order >> 48, x.path) == (y.order >> 48, y.path)) {
        pair_path_group(group, pairs);
    }
}

/// One input and path, sorted by request packet: a sweep over the requests, keeping the
/// HTTP/2 CONNECTs still waiting for their 200 (at most [`ACTIVE_MAX`]); each HTTP/1.1
/// upgrade is compared with those.
fn pair_path_group(group: &[Candidate], pairs: &mut Vec<Pair>) {
    const MANY: u8 = 2;
    // Per candidate: how many fit it (2 = two or more), and the one that did.
    let mut count = vec![0u8; group.len()];
    let mut only = vec![usize::MAX; group.len()];
    let mut active: Vec<usize> = Vec::new();
    let bump = |count: &mut [u8], only: &mut [usize], at: usize, other: usize| {
        if let (Some(c), Some(o)) = (count.get_mut(at), only.get_mut(at)) {
            *c = (*c + 1).min(MANY);
            *o = other;
        }
    };
    for (i, c) in group.iter().enumerate() {
        if c.stream > 0 {
            active.push(i);
            continue;
        }
        // The CONNECTs answered before this upgrade was sent cannot be its front.
        active.retain(|&f| group.get(f).is_some_and(|f| f.response > c.request));
        if active.len() > ACTIVE_MAX {
            // Too many at once to tell apart: none of them is linked, nor this one.
            for &f in &active {
                if let Some(n) = count.get_mut(f) {
                    *n = MANY;
                }
            }
            if let Some(n) = count.get_mut(i) {
                *n = MANY;
            }
            continue;
        }
        for &f in &active {
            let Some(front) = group.get(f) else { continue };
            // A connection to the proxy's own address is another client's, not a back leg.
            if front.request < c.request
                && front.server != c.server
                && closes_follow(front, c).is_some()
            {
                bump(&mut count, &mut only, f, i);
                bump(&mut count, &mut only, i, f);
            }
        }
    }
    for (b, back) in group.iter().enumerate() {
        if back.stream > 0 || count.get(b) != Some(&1) {
            continue;
        }
        let Some(&f) = only.get(b) else { continue };
        let Some(front) = group.get(f) else { continue };
        if count.get(f) != Some(&1) || only.get(f) != Some(&b) {
            continue;
        }
        let Some(closes_ms) = closes_follow(front, back) else {
            continue;
        };
        pairs.push(Pair {
            front: (front.order, front.stream),
            back: (back.order, 0),
            by: LinkedBy::PathAndTiming {
                host: front.host != 0 && front.host == back.host,
                connect: front.request,
                upgrade: back.request,
                answer: front.response,
                closes_ms,
            },
        });
    }
}

/// Pairs the legs of one key (sorted by start): each with the next one that starts while
/// it is open, leaves from its server's address (the proxy's) and goes to another endpoint
/// than it, each leg at most once. A key alone links nothing: embedded clients and load
/// tests send one constant key, and their unrelated sessions are no proxy's legs.
///
/// In O(n log n) however many legs share the key (issue 67 item 12): a front leg looks only
/// among the legs leaving from its server's address (`from`: the legs by client address,
/// each address's in start order), from the first that starts after it up to the first
/// that starts after it ended; legs already paired are passed over through `next` (a
/// union-find of the next leg not yet paired), and a run of legs to the front's own server
/// at once (`run_end`).
fn pair_group(group: &[Leg], pairs: &mut Vec<(u64, u64)>, work: &mut u64) {
    let n = group.len();
    let leg = |i: usize| group.get(i);
    let mut from: Vec<usize> = (0..n).collect();
    from.sort_unstable_by_key(|&i| (leg(i).map_or(0, |l| l.client_ip), i));
    let at = |j: usize| from.get(j).and_then(|&i| leg(i));
    // The first place after each in `from` that leaves from another address or goes to
    // another server.
    let mut run_end = vec![n; n];
    for j in (0..n.saturating_sub(1)).rev() {
        let same = match (at(j), at(j + 1)) {
            (Some(x), Some(y)) => (x.client_ip, x.server) == (y.client_ip, y.server),
            _ => false,
        };
        let end = if same {
            run_end.get(j + 1).copied().unwrap_or(n)
        } else {
            j + 1
        };
        if let Some(e) = run_end.get_mut(j) {
            *e = end;
        }
    }
    let mut next: Vec<usize> = (0..=n).collect();
    let find = |next: &mut [usize], mut j: usize| {
        while let Some(&p) = next.get(j).filter(|&&p| p != j) {
            let skip = next.get(p).copied().unwrap_or(p);
            if let Some(q) = next.get_mut(j) {
                *q = skip;
            }
            j = skip;
        }
        j
    };
    let mut used = vec![false; n];
    for (a, front) in group.iter().enumerate() {
        *work += 1;
        if used.get(a).copied().unwrap_or(true) {
            continue;
        }
        let lo = from
            .partition_point(|&i| (leg(i).map_or(0, |l| l.client_ip), i) <= (front.server_ip, a));
        let mut j = find(&mut next, lo);
        while let Some(l) = at(j) {
            *work += 1;
            if l.client_ip != front.server_ip || l.start > front.end {
                break;
            }
            if l.server == front.server {
                j = find(&mut next, run_end.get(j).copied().unwrap_or(n));
                continue;
            }
            let fits = l.start >= front.start
                && (front.target_port == 0
                    || (l.server_port == front.target_port
                        && (front.target_ip == 0 || l.server_ip == front.target_ip)
                        && l.start >= front.connect));
            if !fits {
                j = find(&mut next, j + 1);
                continue;
            }
            if let Some(u) = from.get(j).and_then(|&b| used.get_mut(b)) {
                *u = true;
            }
            if let Some(q) = next.get_mut(j) {
                *q = j + 1;
            }
            pairs.push((front.order, l.order));
            break;
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
#[non_exhaustive]
pub struct LegReport {
    /// Which leg this is: the front (facing the client) or the back (facing the server).
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
    /// What linked the legs: "sec_websocket_key", "sec_websocket_key_and_connect_target"
    /// (a front leg in a CONNECT tunnel), "sec_websocket_key_and_handshakes" (a back leg
    /// from another address than the proxy's; made only when unambiguous), or
    /// "path_and_timing" (an HTTP/2 front leg; weaker evidence, made only when
    /// unambiguous).
    pub linked_by: String,
    /// That evidence in words, with its packets.
    pub link_evidence: String,
    /// The front leg's CONNECT (its packet, its target as sent) when it linked the legs:
    /// what `link_evidence` names, kept as a value so that `--redact` names the target
    /// there by the pseudonym `tunnel.target` gets. Not in JSON; the stored form keeps it.
    #[serde(skip)]
    #[schemars(skip)]
    pub(crate) connect: Option<(u64, String)>,
}

/// Where the report of store order `order` and HTTP/2 stream `stream` (0: none) is among
/// `orders`, sorted: the reports of one HTTP/2 connection share their order.
fn find(
    range: std::ops::Range<usize>,
    mut stream_at: impl FnMut(usize) -> Option<u32>,
    stream: u32,
) -> Option<usize> {
    range.into_iter().find(|&i| stream_at(i) == Some(stream))
}

/// The sort key of a report: its input, then its first packet.
pub(crate) fn order(input: usize, first_packet: u64) -> u64 {
    let input = u64::try_from(input).unwrap_or(u64::MAX).min(0xFFFF);
    input << 48 | first_packet.min((1 << 48) - 1)
}

/// Pairs the legs among `reports` (in memory, ids given), and `link`s each pair.
pub fn link_vec(
    reports: &mut [ConnectionReport],
    mut link: impl FnMut(&mut ConnectionReport, &mut ConnectionReport, &LinkedBy),
) {
    let key = |r: &ConnectionReport| order(r.input, r.first_packet);
    let mut index = Index::default();
    for r in reports.iter() {
        index.add(key(r), r);
    }
    let pos = |(order, stream): (u64, u32)| {
        let lo = reports.partition_point(|r| key(r) < order);
        let hi = reports.partition_point(|r| key(r) <= order);
        find(
            lo..hi,
            |i| reports.get(i).map(|r| r.h2_stream.unwrap_or(0)),
            stream,
        )
    };
    let pairs: Vec<(usize, usize, LinkedBy)> = index
        .pairs()
        .into_iter()
        .filter_map(|p| Some((pos(p.front)?, pos(p.back)?, p.by)))
        .collect();
    for (f, b, by) in pairs {
        if f == b {
            continue;
        }
        // Two different reports: the later one is the first of the upper part.
        let (lo, hi) = reports.split_at_mut(f.max(b));
        if let (Some(x), Some(y)) = (lo.get_mut(f.min(b)), hi.first_mut()) {
            if f < b {
                link(x, y, &by);
            } else {
                link(y, x, &by);
            }
        }
    }
}

#[cfg(test)]
mod tests;
