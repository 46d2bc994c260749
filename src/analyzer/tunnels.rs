//! Refused CONNECTs shown to be WebSockets' by the client's other tunnels.
//!
//! In: as connections finish, each CONNECT tunnel that opened and carried a WebSocket, and
//! each one the proxy refused where nothing the client sent on it shows a WebSocket
//! (`stack::connect::Connect::refused_unshown`), with the report it would have, each by
//! its key: the client's host, the proxy's endpoint and the target as sent. Out, at the
//! end of all input ([`Tunnels::settle`]): the refused ones whose key a WebSocket's tunnel
//! had, reported as refused WebSockets with that tunnel's CONNECT packet in their evidence;
//! the others stay counted in `seen.refused_tunnels`. Both lists are kept up to a room in
//! bytes (`memory::tunnels_room`): past it a tunnel is left out, and said.

use crate::report::{ConnectionReport, Seen, Store};
use crate::vocab::Endpoint;
use rustc_hash::FxHashMap;
use std::net::IpAddr;

/// A tunnel's key: the client's host, the proxy, the target as sent (hashed and compared
/// whole).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Key {
    pub client: IpAddr,
    pub proxy: Endpoint,
    pub target: String,
}

impl Key {
    /// What the key holds, its target at its capacity.
    fn bytes(&self) -> usize {
        std::mem::size_of::<Key>() + self.target.capacity()
    }
}

/// A refused tunnel kept for the end: its report and the group of its flow.
#[derive(Debug)]
struct Refused {
    key: Key,
    report: ConnectionReport,
    group: usize,
}

/// The WebSockets' tunnels and the refused ones, kept to the end of the input.
#[derive(Debug, Default)]
pub(super) struct Tunnels {
    /// Per key of a tunnel that carried a WebSocket: the packet of its first CONNECT.
    websocket: FxHashMap<Key, u64>,
    refused: Vec<Refused>,
    /// What both hold, by [`Tunnels::held_bytes`]'s estimate.
    held: usize,
    /// At most this many bytes (0: no limit).
    room: usize,
    /// Tunnels left out for want of room.
    left_out: u64,
}

impl Tunnels {
    /// None yet, room for `room` bytes.
    pub fn with_room(room: usize) -> Tunnels {
        Tunnels {
            room,
            ..Tunnels::default()
        }
    }

    /// What the lists hold: each key and its entry, each refused tunnel's report at
    /// `memory::REPORT_BYTES`.
    pub fn held_bytes(&self) -> usize {
        self.held
    }

    /// Whether `bytes` more fit; counts one left out when not.
    fn fits(&mut self, bytes: usize) -> bool {
        if self.room > 0 && self.held + bytes > self.room {
            self.left_out += 1;
            return false;
        }
        self.held += bytes;
        true
    }

    /// A tunnel of `key` carried a WebSocket; `packet` is its CONNECT's.
    pub fn websocket(&mut self, key: Key, packet: u64) {
        if let Some(p) = self.websocket.get_mut(&key) {
            *p = (*p).min(packet);
            return;
        }
        // The map's entry: its key, its value, and its hash table's control byte.
        if self.fits(key.bytes() + std::mem::size_of::<u64>() + 1) {
            self.websocket.insert(key, packet);
        }
    }

    /// A refused tunnel of `key` where nothing showed a WebSocket: `report` (of flow group
    /// `group`) is what it is reported as if another tunnel shows one.
    pub fn refused(&mut self, key: Key, report: ConnectionReport, group: usize) {
        let bytes = key.bytes()
            + std::mem::size_of::<Refused>()
            + crate::memory::REPORT_BYTES.max(std::mem::size_of::<ConnectionReport>());
        if self.fits(bytes) {
            self.refused.push(Refused { key, report, group });
        }
    }

    /// Takes in another shard's.
    pub fn append(&mut self, other: Tunnels) {
        self.held += other.held;
        self.left_out += other.left_out;
        for (k, p) in other.websocket {
            let at = self.websocket.entry(k).or_insert(p);
            *at = (*at).min(p);
        }
        self.refused.extend(other.refused);
    }

    /// At the end of all input: each refused tunnel whose key a WebSocket's tunnel had
    /// goes into `done` as a refused WebSocket, no longer counted in `seen` as another TCP
    /// connection and a refused tunnel; one linear pass over the refused ones. Returns the
    /// note to say when tunnels were left out.
    pub fn settle(self, done: &mut Store, seen: &mut Seen) -> Option<String> {
        for Refused {
            key,
            mut report,
            group,
        } in self.refused
        {
            let Some(&packet) = self.websocket.get(&key) else {
                continue;
            };
            let clause = crate::report::words::proxy::other_tunnel_clause(packet);
            match report.evidence.as_mut() {
                Some(e) => e.add(format_args!("; {clause}"), [packet]),
                None => {
                    report.evidence =
                        Some(crate::report::evidence::Evidence::new(clause, vec![packet]))
                }
            }
            seen.refused_tunnels = seen.refused_tunnels.saturating_sub(1);
            seen.other_tcp_connections = seen.other_tcp_connections.saturating_sub(1);
            done.push(report, group);
        }
        (self.left_out > 0).then(|| {
            format!(
                "{} CONNECT tunnels were left out of the list that shows a refused CONNECT to \
                 be a WebSocket's by the client's other tunnels to its target: it holds a \
                 thousand-and-twenty-fourth of --max-memory, so some refused CONNECTs may be \
                 counted apart although another tunnel showed a WebSocket; raise \
                 --max-memory to keep them",
                self.left_out
            )
        })
    }
}
