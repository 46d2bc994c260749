//! What came after a session's abrupt ending from the same client host to the same server
//! endpoint: its new SYNs refused with a RST (the port closed: the server was down, RFC
//! 9293 §3.10.7.1: a SYN to a port with no listener is answered by a RST), and the next
//! new session the server accepted (it came back), with when and the packets that show it.
//!
//! In: the endings (one per WebSocket session, [`Ending`]) and the refused connection
//! attempts ([`Refusals`]: one per TCP connection whose SYN was answered by the server's RST
//! and never by a SYN-ACK, kept by the analyzer as such a flow finishes, at most a room in
//! bytes charged to `--max-memory`, `memory::refusals_room`). Out: per connection ended by
//! a side's FIN or RST before any close frame (or by the server's close frame), its
//! [`After`] (`Link::after`): after a server's ending only where an attempt was refused,
//! after a client's only where a session of its host was accepted (cited only when it is
//! its own reconnect), which the report writes into the connection's `abrupt-ending` cause
//! (or its `unprompted-close`) and its evidence. What is read is the client's host's, not
//! one process's: several clients of one host share it (the incident stage's `reconnect`
//! says which session is the connection's own).
//!
//! Work: each ending's (server, client host) numbered once (one hash map), two sorts
//! (n log n), then two binary searches per ending: constant work per connection beyond the
//! sort, whatever the number of connections or attempts.

use super::{Ending, How, RECONNECT_MAX_S};
use crate::vocab::{Accepted, After, Endpoint, Role};

/// One connection attempt refused: the client's SYN answered by the server's RST.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Refusal {
    /// The server's endpoint (the port the SYN asked for).
    pub server: Endpoint,
    /// The client's host: its address, port 0.
    pub host: Endpoint,
    /// When the SYN was captured, nanoseconds.
    pub at: i64,
    /// The SYN's packet (its input's numbering).
    pub syn: u64,
    /// The RST's packet.
    pub rst: u64,
}

/// Most seconds from a server's ending to the client's first refused attempt for the
/// refusal to show that the server's process had stopped (its port closed right after).
pub const DOWN_SOON_S: f64 = 5.0;

/// What one refusal costs the budget (its vector may grow to twice what it keeps).
pub const REFUSAL_BYTES: usize = std::mem::size_of::<Refusal>() * 2;

/// The refused attempts seen, kept up to a room in bytes: the earliest ones.
#[derive(Debug, Clone, Default)]
pub struct Refusals {
    list: Vec<Refusal>,
    /// Kept at most (0: no limit).
    max: usize,
    /// Left out so far for want of room.
    left_out: u64,
}

impl Refusals {
    /// What the list holds, at its capacity.
    pub fn held_bytes(&self) -> usize {
        self.list.capacity() * std::mem::size_of::<Refusal>()
    }

    /// Keeps at most `bytes` of refusals (0: no limit).
    pub fn set_room(&mut self, bytes: usize) {
        self.max = (bytes / REFUSAL_BYTES).max(usize::from(bytes > 0));
    }

    /// None yet, room for `bytes` of them ([`Refusals::set_room`]).
    pub fn with_room(bytes: usize) -> Refusals {
        let mut r = Refusals::default();
        r.set_room(bytes);
        r
    }

    /// Keeps `r`.
    pub fn push(&mut self, r: Refusal) {
        self.list.push(r);
        if self.max > 0 && self.list.len() >= 2 * self.max {
            self.cut();
        }
    }

    /// Keeps the `max` earliest.
    fn cut(&mut self) {
        if self.max == 0 || self.list.len() <= self.max {
            return;
        }
        self.list
            .select_nth_unstable_by_key(self.max, |r| (r.at, r.syn));
        self.left_out += (self.list.len() - self.max) as u64;
        self.list.truncate(self.max);
    }

    /// Takes in another shard's refusals.
    pub fn append(&mut self, mut other: Refusals) {
        self.left_out += other.left_out;
        self.max = self.max.max(other.max);
        self.list.append(&mut other.list);
        self.cut();
    }

    /// How many are kept.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Refusals left out for want of room.
    pub fn left_out(&mut self) -> u64 {
        self.cut();
        self.left_out
    }
}

/// Seconds from `a` to `b` (nanoseconds), to the millisecond.
fn secs(a: i64, b: i64) -> f64 {
    (b.saturating_sub(a) as f64 / 1e6).round() / 1000.0
}

/// What came after each session ended by a side's FIN or RST before any close frame (or by
/// the server's close frame, followed only where attempts were refused), among `endings`
/// and `refusals` (see the module's header), by the session's position: only those after
/// which something came.
pub fn link(endings: &[Ending], refusals: Refusals) -> Vec<(u32, After)> {
    let mut out = Vec::new();
    let mut refused = refusals.list;
    if endings.is_empty() {
        return out;
    }
    refused.sort_unstable_by_key(|r| (r.server, r.host, r.at, r.syn));
    // Each ending's (server, client host) numbered as first seen: the accepted sessions
    // sort by that number (their order within one pair is all that is read), not by two
    // endpoints in an 88-byte tuple.
    let mut pairs: rustc_hash::FxHashMap<(Endpoint, Endpoint), u32> = Default::default();
    let pair: Vec<u32> = endings
        .iter()
        .map(|e| {
            let next = pairs.len() as u32;
            *pairs.entry((e.server, e.host())).or_insert(next)
        })
        .collect();
    drop(pairs);
    // Accepted sessions by (server, client host, start): not refused, not a proxied leg.
    let mut accepted: Vec<(u32, i64, u32, u64)> = endings
        .iter()
        .zip(&pair)
        .filter(|(e, _)| !matches!(e.how, How::Refused(_)))
        .map(|(e, &g)| (g, e.start, e.pos, e.order & ((1 << 48) - 1)))
        .collect();
    accepted.sort_unstable();
    let max_ns = (RECONNECT_MAX_S * 1e9) as i64;
    for (e, &g) in endings.iter().zip(&pair) {
        // A server's close frame too: an unprompted close followed by its own TCP end and
        // refusals is its shutdown (issue 92 item 4; cited by `unprompted-close`).
        let ((Some(by), How::Fin | How::Rst) | (Some(by @ Role::Server), How::Close(_))) =
            (e.by, e.how)
        else {
            continue;
        };
        let limit = e.end.saturating_add(max_ns);
        let k = accepted.partition_point(|a| (a.0, a.1) <= (g, e.end));
        let next = accepted.get(k).filter(|a| a.0 == g && a.1 <= limit);
        let until = next.map_or(limit, |a| a.1);
        let (mut n, mut first, mut last) = (0u64, None, None);
        if by == Role::Server {
            let lo = refused
                .partition_point(|r| (r.server, r.host, r.at) <= (e.server, e.host(), e.end));
            let hi = refused
                .partition_point(|r| (r.server, r.host, r.at) <= (e.server, e.host(), until));
            if let Some(rs) = refused.get(lo..hi).filter(|rs| !rs.is_empty()) {
                n = rs.len() as u64;
                first = rs.first().copied();
                last = rs.last().copied();
            }
        }
        // A server's ending is followed up where its port was found closed (a session
        // accepted later alone says nothing of it); a client's where it came back (its
        // own reconnect, told in the report from the stage's `reconnect`).
        if (by == Role::Server && n == 0) || (by == Role::Client && next.is_none()) {
            continue;
        }
        out.push((
            e.pos,
            After {
                refused: n,
                first_refused: first.map(|r| r.syn),
                first_refused_s: first.map(|r| secs(e.end, r.at)),
                last_refused: last.map(|r| r.syn),
                last_refused_s: last.map(|r| secs(e.end, r.at)),
                accepted: next.map(|a| Accepted {
                    connection: u64::from(a.2) + 1,
                    packet: a.3,
                    after_s: secs(e.end, a.1),
                    reconnect: false,
                }),
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::Links;
    use super::*;

    /// Links holding `after` (from [`link`]).
    fn links_of(after: Vec<(u32, After)>) -> Links {
        let mut links = Links::default();
        links.set_after(after);
        links
    }

    fn ep(a: u8, port: u16) -> Endpoint {
        Endpoint::new(std::net::IpAddr::from([10, 0, 0, a]), port)
    }

    fn ending(pos: u32, client: u16, start: i64, end: i64, how: How, by: Role) -> Ending {
        Ending {
            order: u64::from(pos) * 10 + 1,
            stream: 0,
            pos,
            client: ep(1, client),
            server: ep(2, 80),
            route: 0,
            start,
            end,
            packet: u64::from(pos) * 10 + 5,
            how,
            by: Some(by),
            idle_ms: u32::MAX,
            proxied: false,
            signs: Default::default(),
            forged: false,
            between: false,
            lost_from: 0,
            lost_to: 0,
            lost_by: None,
            ident: 0,
            said: 0,
            answered_us: u32::MAX,
            answered_size: 0,
            answered_op: 0,
            closed_after_peer: 0,
            dark: 0,
            server_dark: 0,
            key: super::super::NO_KEY,
        }
    }

    fn refusal(at: i64, syn: u64) -> Refusal {
        Refusal {
            server: ep(2, 80),
            host: ep(1, 0),
            at,
            syn,
            rst: syn + 1,
        }
    }

    const S: i64 = 1_000_000_000;

    /// A server's close frame is followed up as its FIN is (an unprompted close then cites
    /// the refusals); a client's close frame is not (its refusals say nothing of it).
    #[test]
    fn refusals_after_a_servers_close_frame_are_counted_not_after_a_clients() {
        for (by, linked) in [(Role::Server, true), (Role::Client, false)] {
            let endings = [ending(0, 40000, 0, 10 * S, How::Close(None), by)];
            let mut r = Refusals::default();
            for (at, syn) in [(11 * S, 100), (12 * S, 110)] {
                r.push(refusal(at, syn));
            }
            let links = links_of(link(&endings, r));
            let a = links.get(0).and_then(|l| l.after);
            assert_eq!(a.is_some(), linked, "{by:?}: {a:?}");
            if let Some(a) = a {
                assert_eq!(
                    (a.refused, a.first_refused, a.last_refused),
                    (2, Some(100), Some(110))
                );
            }
        }
    }

    #[test]
    fn refusals_between_the_end_and_the_next_session_are_counted() {
        let endings = [
            ending(0, 40000, 0, 10 * S, How::Fin, Role::Server),
            ending(
                1,
                40009,
                14 * S,
                20 * S,
                How::Close(Some(1000)),
                Role::Client,
            ),
        ];
        let mut r = Refusals::default();
        // One before the end, three between, one after the next session started.
        for (at, syn) in [
            (9 * S, 90),
            (11 * S, 100),
            (12 * S, 110),
            (13 * S, 120),
            (15 * S, 150),
        ] {
            r.push(refusal(at, syn));
        }
        // Another host's refusal, and another port's, are not this client's.
        r.push(Refusal {
            host: ep(3, 0),
            ..refusal(11 * S, 101)
        });
        r.push(Refusal {
            server: ep(2, 81),
            ..refusal(11 * S, 102)
        });
        let links = links_of(link(&endings, r));
        let a = links.get(0).and_then(|l| l.after).expect("linked");
        assert_eq!(
            (a.refused, a.first_refused, a.last_refused),
            (3, Some(100), Some(120))
        );
        assert_eq!(
            (a.first_refused_s, a.last_refused_s),
            (Some(1.0), Some(3.0))
        );
        assert_eq!(
            a.accepted,
            Some(Accepted {
                connection: 2,
                packet: 11,
                after_s: 4.0,
                reconnect: false,
            })
        );
        // The second session ended with a close frame: nothing after it is read.
        assert!(links.get(1).and_then(|l| l.after).is_none());
    }

    #[test]
    fn a_client_that_ended_gets_no_refusals_and_no_reconnect_after_the_limit() {
        let endings = [
            ending(0, 40000, 0, 10 * S, How::Rst, Role::Client),
            ending(1, 40009, 10 * S + 400 * S, 500 * S, How::Fin, Role::Server),
        ];
        let mut r = Refusals::default();
        r.push(refusal(11 * S, 100));
        let links = links_of(link(&endings, r));
        assert!(links.get(0).is_none(), "{:?}", links.get(0));
    }

    #[test]
    fn a_server_ending_with_nothing_refused_is_not_followed_up() {
        let endings = [
            ending(0, 40000, 0, 10 * S, How::Fin, Role::Server),
            ending(1, 40009, 12 * S, 20 * S, How::Fin, Role::Server),
        ];
        let links = links_of(link(&endings, Refusals::default()));
        assert!(links.is_empty(), "{:?}", links.get(0));
    }

    /// THREATS kind 3: one client host reconnecting 50 000 times to one server, each
    /// ending followed by one refusal: each counts its own, in time linear but for the
    /// sorts (two binary searches per ending).
    #[test]
    fn one_host_ending_many_times_counts_each_its_own() {
        let n = 50_000i64;
        let endings: Vec<Ending> = (0..n)
            .map(|k| {
                ending(
                    k as u32,
                    40000,
                    k * 10 * S,
                    k * 10 * S + 5 * S,
                    How::Rst,
                    Role::Server,
                )
            })
            .collect();
        let mut r = Refusals::default();
        for k in 0..n {
            r.push(refusal(k * 10 * S + 6 * S, k as u64));
        }
        let out = link(&endings, r);
        assert_eq!(out.len(), n as usize);
        assert!(out.iter().all(|(pos, a)| a.refused == 1
            && a.first_refused == Some(u64::from(*pos))
            && a.accepted.map(|x| x.connection) == Some(u64::from(*pos) + 2)
            || (*pos as i64 == n - 1 && a.accepted.is_none())));
    }

    #[test]
    fn the_room_keeps_the_earliest() {
        let mut r = Refusals::default();
        r.set_room(2 * REFUSAL_BYTES);
        for k in (0..10).rev() {
            r.push(refusal(k * S, k as u64));
        }
        assert_eq!(r.left_out(), 8);
        assert_eq!(r.list.iter().map(|x| x.syn).collect::<Vec<_>>().len(), 2);
        assert!(r.list.iter().all(|x| x.syn < 2));
    }
}
