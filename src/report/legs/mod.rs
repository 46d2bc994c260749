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
//! back at a time and writing them back patched (`diagnose::legs::link_store`).
//!
//! Here: the types (the index, a [`Pair`], [`LinkedBy`], a [`LegReport`]) and the facts the
//! index keeps of a report; the pairing itself is `diagnose::legs`.

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
    pub(crate) key: [u8; KEY_MAX],
    /// The report's order in its store: input above bit 48, first packet below.
    pub(crate) order: u64,
    pub(crate) start: Timestamp,
    pub(crate) end: Timestamp,
    /// Hashes of the client's address (without the port), of the server's address and of
    /// the server's address and port: a back leg leaves from its front leg's server address
    /// (the proxy's) for another endpoint than the proxy.
    pub(crate) client_ip: u32,
    pub(crate) server_ip: u32,
    pub(crate) server: u32,
    /// The server's port.
    pub(crate) server_port: u16,
    /// A front leg in a CONNECT tunnel (`tunnel`): the port its target names (0: no
    /// tunnel), a hash of the target's address when the target is an IP literal (0:
    /// a name), and when the CONNECT was sent.
    pub(crate) target_port: u16,
    pub(crate) target_ip: u32,
    pub(crate) connect: Timestamp,
}

/// Longest gap between the moments two legs of one session begin to close (a proxy relays
/// a close frame, a reset or a FIN within milliseconds; an idle timeout ends both at once),
/// in seconds, for legs linked by path and timing.
pub const CLOSE_GAP_S: f64 = 1.0;

/// What the index keeps of an HTTP/2 WebSocket (a front leg) or an HTTP/1.1 upgrade (a
/// back leg) to pair them by path and timing.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    /// The report's order in its store (an HTTP/2 stream shares its TCP connection's).
    pub(crate) order: u64,
    /// The HTTP/2 stream; 0 for an HTTP/1.1 connection.
    pub(crate) stream: u32,
    /// Hashes of the path, of the host (`:authority` or `Host`; 0 when absent) and of the
    /// server's address.
    pub(crate) path: u64,
    pub(crate) host: u64,
    pub(crate) server: u64,
    /// The packets of the request (CONNECT or GET) and of the answer (200 or 101).
    pub(crate) request: u64,
    pub(crate) response: u64,
    /// When the leg began to close (its first close frame, stream ending or FIN/RST), if
    /// it did.
    pub(crate) closing: Option<Timestamp>,
}

/// The sessions of a report that may be legs of one another.
#[derive(Debug, Clone, Default)]
pub struct Index {
    pub(crate) legs: Vec<Leg>,
    /// HTTP/2 WebSockets (`stream` > 0) and HTTP/1.1 upgrades with a path.
    pub(crate) candidates: Vec<Candidate>,
    /// The legs, and the candidates, it keeps at the end: those of the smallest orders
    /// ([`Index::set_room`]; 0: no limit). Each vector may grow to twice this before it is
    /// cut back, so that what is kept does not depend on the order reports came in, nor
    /// on how many stores (threads) noted them.
    pub(crate) room: usize,
    /// Legs and candidates left out past that room.
    pub(crate) left_out: u64,
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
    /// The key, shared by these two connections alone in all the inputs, each captured at
    /// a point of its own (two inputs: the client's leg at the client's host, the proxy's
    /// leg to the server at the server's), and their handshakes nested by the two
    /// captures' clocks (`diagnose::legs`).
    KeyAtTwoPoints {
        /// The front leg's upgrade request (a packet of `front_file`).
        request: u64,
        /// The back leg's upgrade request (a packet of `back_file`).
        upgrade: u64,
        /// The back leg's 101.
        upgrade_answer: u64,
        /// The front leg's 101.
        answer: u64,
        /// The file name of the front leg's input.
        front_file: String,
        /// The file name of the back leg's input.
        back_file: String,
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
    /// "sec_websocket_key_and_handshakes", "sec_websocket_key_at_two_points" or
    /// "path_and_timing".
    pub fn name(&self) -> &'static str {
        match self {
            LinkedBy::Key => "sec_websocket_key",
            LinkedBy::KeyAndConnect { .. } => "sec_websocket_key_and_connect_target",
            LinkedBy::KeyAndHandshakes { .. } => "sec_websocket_key_and_handshakes",
            LinkedBy::KeyAtTwoPoints { .. } => "sec_websocket_key_at_two_points",
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
    pub(crate) fn trim(&mut self, slack: usize) {
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

    /// What its vectors hold, at their capacity.
    pub fn held_bytes(&self) -> usize {
        self.legs.capacity() * std::mem::size_of::<Leg>()
            + self.candidates.capacity() * std::mem::size_of::<Candidate>()
    }

    /// Holds what `bytes` of memory hold from now on, at [`LEG_BYTES`] a leg or candidate
    /// (each thread's store holds its own).
    pub fn set_room(&mut self, bytes: usize) {
        self.room = (bytes / LEG_BYTES / 2).max(1);
    }
}

/// A hash of a path, a host or a server address, the same in every run (std's SipHash with
/// its fixed keys).
pub(crate) fn digest<T: std::hash::Hash + ?Sized>(v: &T) -> u64 {
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

/// A key as the index keeps it: up to [`KEY_MAX`] bytes, trimmed; none when empty or
/// longer.
pub(crate) fn fixed(key: &str) -> Option<[u8; KEY_MAX]> {
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
    /// from another address than the proxy's; made only when unambiguous),
    /// "sec_websocket_key_at_two_points" (each leg in its own input, a capture of its own
    /// point; made only when unambiguous), or "path_and_timing" (an HTTP/2 front leg;
    /// weaker evidence, made only when unambiguous).
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

/// The sort key of a report: its input, then its first packet.
pub(crate) fn order(input: usize, first_packet: u64) -> u64 {
    let input = u64::try_from(input).unwrap_or(u64::MAX).min(0xFFFF);
    input << 48 | first_packet.min((1 << 48) - 1)
}

#[cfg(test)]
mod tests;
