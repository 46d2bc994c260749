//! What a capture of one direction shows of the path (issue 92 item 7): the captured side's
//! bytes sent again. With the other direction not captured, its acknowledgements are not
//! either: what the captured side sent is never seen acknowledged, so no stall, black hole
//! or silence of the peer is read from it (`one-direction` withholds those); that the side
//! retransmitted, though, its own packets show: acknowledgements of those bytes did not
//! reach it in time (RFC 9293 §3.8.1). Said, the verdict left to the missing direction.
//!
//! In: the connection's TCP state, the captured side. Out: [`Cause::OneDirectionResent`],
//! where that side sent bytes again.
//!
//! And the view a capture of both directions was taken from, where data went
//! unacknowledged (a half-open connection, a dead path): a host's own packets leave it with
//! the TTL its stack sets (64 on Linux and macOS, 128 on Windows, 255 on some others) and
//! the peer's arrive lowered by one per router (RFC 791 §3.2; RFC 8200 §3's hop limit);
//! when one side's packets all carry an initial value and the other's all one value below
//! it, the capture was taken at the first side's host ([`Cause::SeenAt`]), and the data
//! never acknowledged either left it (lost beyond it) or reached it. Not said when the TTLs
//! do not tell (both equal: no router between, or a tap on the path).
//!
//! Where the TTLs name no host, the side that kept sending still tells which side of the
//! break the capture was on ([`Cause::SeenBeforeBreak`]): its data never acknowledged, sent
//! again at least [`MIN_RETRANSMISSIONS`] times over at least [`MIN_STALL_SECONDS`] (its
//! kernel's retransmissions by timeout, RFC 6298 §5.5), every one of them seen, and no
//! packet of the peer's after its first segment though the peer's packets had reached the
//! capture before (it acknowledged that side's bytes): a break between the sender and the
//! capture point would have kept the retransmissions from it, so whatever broke (the path
//! one way or both, or the peer's host) lies beyond the capture point, between it and the
//! peer's application. The host is not named: a retransmission is seen at its sender's
//! host, on the path, and at the peer's own host in front of a firewall that drops what
//! comes in (tcpdump takes a packet before the input hook, and a host's outgoing packets
//! after the output hook), and `path/python-half-open-{server,client}.pcap`, taken at the
//! two hosts, hold the same packets. Not said where the peer answered after the data's
//! first segment (a duplicate ACK, a SACK, a zero window: the peer's packets still reached
//! the capture, the break, if any, is one way and the black-hole causes read it), where the
//! peer never acknowledged that side at all (a capture of one direction shows that too),
//! or with fewer retransmissions (a lost packet, not a break).

use super::delivery::{MIN_RETRANSMISSIONS, MIN_STALL_SECONDS};
use crate::flow::Side;
use crate::report::cause::{Cause, PeerSilent};
use crate::stack::tcp::connection::Connection;
use crate::vocab::{PerSide, Role, Stats};

/// The cause of `seen`'s (side `s`) retransmissions in a capture of its direction alone.
pub fn one_direction_resent(c: &Connection, seen: Role, s: Side) -> Option<Cause> {
    let retransmissions = c.tcp[s].counters.retransmissions;
    if retransmissions == 0 {
        return None;
    }
    // (No acknowledgement is captured: the stall began at its first data and runs on.)
    let stall = c.path[s].stall()?;
    let after_s = (c.last_ts.since(stall.last_ts).max(0.0) * 1000.0).round() / 1000.0;
    Some(Cause::OneDirectionResent {
        from: seen,
        retransmissions,
        last_packet: stall.last_packet,
        after_s,
    })
}

/// The TTLs a host's stack gives its packets.
const INITIAL_TTLS: [u8; 3] = [64, 128, 255];

/// Where data of `c` went unacknowledged (`unacked`: its side and first segment), the host
/// the capture was taken at, named from the TTLs (see the header). When the data left the
/// capture's host and nothing of the peer's came after its first segment, the peer's data
/// stopped arriving there: its last frame (from `sent`, each side's frames), how long
/// before the connection's last packet, and the host's segments since, unanswered.
pub fn seen_at(
    c: &Connection,
    unacked: Option<(Role, u64)>,
    client: Side,
    sent: PerSide<&Stats>,
) -> Option<Cause> {
    let (from, packet) = unacked?;
    let one = |s: Side| c.path[s].ttls().filter(|(lo, hi)| lo == hi).map(|(t, _)| t);
    let (a, b) = (one(client)?, one(client.other())?);
    let (host, own_ttl, peer_ttl) = match (INITIAL_TTLS.contains(&a), INITIAL_TTLS.contains(&b)) {
        (true, false) if b < a => (Role::Client, a, b),
        (false, true) if a < b => (Role::Server, b, a),
        _ => return None,
    };
    // (The data's first segment is the stall's: the unacknowledged data is that stall.)
    let s = side_of(host, client);
    let peer_silent = peer_silent(c, s, sent)
        .filter(|_| from == host && c.path[s].stall().map(|st| st.first_packet) == Some(packet));
    Some(Cause::SeenAt {
        host,
        own_ttl,
        peer_ttl,
        unacknowledged: from,
        packet,
        peer_silent,
    })
}

/// Where data of `c` went unacknowledged (`unacked`) and the TTLs named no host: the
/// sender's side of the break, when the evidence shows it (see the header), with what
/// stopped arriving from the peer.
pub fn seen_before_break(
    c: &Connection,
    unacked: Option<(Role, u64)>,
    client: Side,
    sent: PerSide<&Stats>,
) -> Option<Cause> {
    let (from, packet) = unacked?;
    let s = side_of(from, client);
    let w = &c.path[s];
    let st = w.stall().filter(|st| {
        st.first_packet == packet
            && st.peer_next.is_none()
            && !st.window_shut
            && st.retransmissions >= MIN_RETRANSMISSIONS
            && st.last_ts.since(st.first_ts) >= MIN_STALL_SECONDS
    })?;
    if !w.acks_moved() {
        return None;
    }
    let seconds = (st.last_ts.since(st.first_ts) * 1000.0).round() / 1000.0;
    Some(Cause::SeenBeforeBreak {
        from,
        packet,
        retransmissions: st.retransmissions,
        seconds,
        peer_silent: peer_silent(c, s, sent),
    })
}

fn side_of(role: Role, client: Side) -> Side {
    if role == Role::Client {
        client
    } else {
        client.other()
    }
}

/// Side `s`'s stall with no packet of the peer's after its first segment (a peer whose
/// packets stopped reaching the capture), with the peer's last frame before it.
fn peer_silent(c: &Connection, s: Side, sent: PerSide<&Stats>) -> Option<PeerSilent> {
    let st = c.path[s].stall()?;
    if st.peer_next.is_some() {
        return None;
    }
    let theirs = sent.of(c.role(s).peer());
    let (last_frame, at) = theirs.last_frame?;
    (last_frame < st.first_packet).then(|| PeerSilent {
        last_frame,
        data: theirs.last_message.is_some_and(|(_, _, p)| p == last_frame),
        before_end_s: (c.last_ts.since(at).max(0.0) * 1000.0).round() / 1000.0,
        sent_since: st.retransmissions + 1,
    })
}

/// The side whose data went unacknowledged and its first such segment, from the causes
/// (`unacknowledged-data`, or an abrupt ending's data left unacknowledged).
pub fn unacked(causes: &[Cause]) -> Option<(Role, u64)> {
    causes.iter().find_map(|c| match c {
        Cause::Unacknowledged {
            from, first_packet, ..
        } => Some((*from, *first_packet)),
        Cause::AbruptEnding {
            unacknowledged: Some(u),
            ..
        } => Some((u.from, u.packet)),
        _ => None,
    })
}
