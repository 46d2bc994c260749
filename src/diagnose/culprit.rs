//! The culprit from both views (issue 103 item 3): a session seen at two points of its
//! path gets the cause the two points decide together, `between-points`.
//!
//! In: the report kept for the session (its own status, the first point's view), the other
//! point's report when the session was two reports (two files, or a NAT's two 4-tuples in
//! one), each with its trail (`vocab::trail`), and the [`PointsReport`] placing their
//! packets. Out: for a session that ended without a close frame (1006) by a TCP reset or
//! FIN, one cause, [`Cause::BetweenPoints`], decided on the placed packets' fields:
//! - the ending packet made between the points (its sender's point never saw it sent:
//!   RFC 9293 §3.10.7 lets any box that knows the 4-tuple and a window's sequence number
//!   reset it) → a box between the points, never the sender's software;
//! - the ending packet seen at both points (its sender's host's own) after packets of one
//!   side lost between the points → the path's loss, with its direction, times and sizes;
//!   where that side's own view found an MTU black hole and every lost segment was larger
//!   than any of its that crossed → a path MTU black hole between the points (RFC 2923 §2.1);
//! - seen at both with nothing lost, made or left unplaced before it → that endpoint's own;
//! - one copy only, with its sender's own TTL, in a capture with one interface for both
//!   points, and no data of its sender's after it (which would show it made between:
//!   `diagnose::points`) → undecided, and why.
//!
//! Where it decides a box or the path, the causes that name an endpoint's software
//! (`abrupt-ending`, `unanswered-message`) give way: one row, one cause. Where it decides
//! the ending reset was made between the points, a single view's TTL reading of the same
//! reset (`reset-not-from-peer`) gives way too: said once (the incident stage reads either
//! as a forged reset, `report::incidents`).

use crate::report::cause::{Cause, PointsVerdict};
use crate::report::points::{LostBetween, MadeKind, PointsReport};
use crate::report::{ConnectionReport, Status};
use crate::vocab::trail::{Trail, FIN, FROM_B, RST, SYN};
use crate::vocab::{EndKind, Opcode};

/// Where the two points saw the session's ending packet.
enum Seen {
    /// Only at the receiver's point: made between them.
    Made,
    /// At both: its sender's host's own.
    Both,
    /// With one TTL only, in a capture whose copies cannot say at which point.
    Once,
}

/// Decides `x`'s cause from both views (see the module's header); `y` is the other
/// point's report, none when `x` holds both points.
pub fn decide(x: &mut ConnectionReport, y: Option<&ConnectionReport>, p: &PointsReport) {
    if x.status.code != Some(1006) || !x.status.inferred {
        return;
    }
    let Some(end) = x.tcp_ends.first().copied() else {
        return;
    };
    let end_kind = match end.kind {
        EndKind::Rst => MadeKind::Rst,
        EndKind::Fin => MadeKind::Fin,
    };
    let one_input = y.is_none_or(|y| y.input == x.input);
    let made = p.made_between.iter().find(|m| {
        m.kind == end_kind
            && m.from == end.by
            && m.packet == end.packet
            && (m.seen_at == 0 || one_input)
    });
    let in_gap = p
        .unplaced_from
        .zip(p.unplaced_to)
        .is_some_and(|(a, b)| (a.0..=b.0).contains(&end.time.0));
    let seen = if made.is_some() {
        Seen::Made
    } else if in_gap {
        return;
    } else {
        match (y, x.trail.as_deref()) {
            // Two reports: every packet of the first point's is placed or counted; the
            // ending, neither made nor among the unplaced, was seen at both.
            (Some(_), _) if p.not_placed == 0 => Seen::Both,
            (Some(_), _) => return,
            (None, Some(t)) => match copies(t, end.packet) {
                Some(true) => Seen::Both,
                Some(false) => Seen::Once,
                None => return,
            },
            (None, None) => return,
        }
    };
    // The first point's clock: the second's times less the offset.
    let offset = p.clock_offset_s.map_or(0, |o| (o * 1e9) as i64);
    let at_first = |l: &LostBetween, t: i64| if l.seen_at == 0 { t } else { t - offset };
    let secs = |t: i64| (t - x.start.0) as f64 / 1e9;
    // The losses before the end, the largest first.
    let mut losses: Vec<&LostBetween> = p
        .lost_between
        .iter()
        .filter(|l| at_first(l, l.first.0) <= end.time.0)
        .collect();
    losses.sort_by_key(|l| std::cmp::Reverse(l.packets));
    let (verdict, lost) = match seen {
        // The loss beside a packet made between: the one its peer's packet crossed.
        Seen::Made => (
            PointsVerdict::MadeBetween,
            losses
                .iter()
                .find(|l| l.from == end.by.peer())
                .or(losses.first())
                .copied(),
        ),
        Seen::Once => (PointsVerdict::Undecided, losses.first().copied()),
        Seen::Both => match losses.first().copied() {
            Some(l) => match mtu_crossed(x, y, l) {
                Some(_) => (PointsVerdict::MtuBetween, Some(l)),
                None => (PointsVerdict::LostBetween, Some(l)),
            },
            None if p.not_placed == 0 && p.placed_whole && p.made_between.is_empty() => {
                (PointsVerdict::Endpoint, None)
            }
            None => return,
        },
    };
    let crossed_largest = lost.and_then(|l| mtu_crossed(x, y, l));
    let peer_made = p
        .made_between
        .iter()
        .filter(|m| m.from == end.by.peer() && matches!(m.kind, MadeKind::Rst | MadeKind::Fin));
    let first_peer_made = peer_made.clone().next();
    let (ttl, side_ttl, ip_id) = match made {
        Some(m) => (m.ttl, m.side_ttl, m.ip_id),
        None => x
            .trail
            .as_deref()
            .and_then(|t| t.marks.iter().find(|m| m.packet == end.packet))
            .map_or((0, None, 0), |m| (m.ttl, None, m.ip_id)),
    };
    let pings = lost.map_or(0, |l| pings_in(x, l, one_input));
    let file = |k: usize| {
        p.points
            .get(k)
            .map(|pt| pt.file.clone())
            .unwrap_or_default()
    };
    let cause = Cause::BetweenPoints {
        verdict,
        end_by: end.by,
        end_kind,
        end_packet: end.packet,
        ttl,
        side_ttl,
        ip_id,
        peer_made: peer_made.count() as u64,
        peer_made_packet: first_peer_made.map(|m| m.packet),
        peer_made_at: first_peer_made.map(|m| m.seen_at),
        peer_made_ttl: first_peer_made.map(|m| m.ttl),
        peer_made_side_ttl: first_peer_made.and_then(|m| m.side_ttl),
        lost_from: lost.map(|l| l.from),
        lost_packets: lost.map_or(0, |l| l.packets),
        lost_bytes: lost.map_or(0, |l| l.bytes),
        lost_smallest: lost.map_or(0, |l| l.smallest),
        lost_largest: lost.map_or(0, |l| l.largest),
        lost_seen_at: lost.map_or(0, |l| l.seen_at),
        lost_first_packet: lost.map_or(0, |l| l.first_packet),
        lost_last_packet: lost.map_or(0, |l| l.last_packet),
        lost_from_s: lost.map_or(0.0, |l| secs(at_first(l, l.first.0))),
        lost_to_s: lost.map_or(0.0, |l| secs(at_first(l, l.last.0))),
        lost_pings: pings,
        crossed_largest,
        translated: p.translated,
        first_file: file(0),
        second_file: file(1),
    };
    let endpoint = verdict == PointsVerdict::Endpoint;
    let made_between = verdict == PointsVerdict::MadeBetween;
    let mut causes = std::mem::take(&mut x.status.causes);
    if !endpoint {
        // A single view's TTL reading of the same packet says what the points say: once.
        causes.retain(|c| match c {
            Cause::AbruptEnding { .. } | Cause::UnansweredMessage { .. } => false,
            Cause::ForeignReset { packet, by, .. } => {
                !(made_between && *packet == end.packet && *by == end.by)
            }
            _ => true,
        });
    }
    causes.push(cause);
    Status::set_causes(&mut x.status, causes);
}

/// Whether the packet `packet` of a capture holding both points (`t`) shows copies with
/// two TTLs (seen at both points: `Some(true)`) or one copy only (`Some(false)`); none
/// when the trail did not keep it.
fn copies(t: &Trail, packet: u64) -> Option<bool> {
    let m = t.marks.iter().find(|m| m.packet == packet)?;
    let key = |m: &crate::vocab::trail::Mark| {
        (m.flags & (FROM_B | SYN | FIN | RST), m.seq, m.len, m.hash)
    };
    let k = key(m);
    let mut ttls = t.marks.iter().filter(|o| key(o) == k).map(|o| o.ttl);
    let first = ttls.next()?;
    Some(ttls.any(|x| x != first))
}

/// The largest payload of the side that lost `l` that crossed, where that side's own view
/// (`x` or `y`) found an MTU black hole of its segments and every segment lost between the
/// points was larger: then the loss is a path MTU black hole between the points.
fn mtu_crossed(x: &ConnectionReport, y: Option<&ConnectionReport>, l: &LostBetween) -> Option<u64> {
    std::iter::once(x)
        .chain(y)
        .flat_map(|r| r.status.causes.iter())
        .find_map(|c| match c {
            Cause::MtuBlackHole {
                from,
                largest_acked,
                ..
            } if *from == l.from => Some(*largest_acked),
            Cause::MtuBlackHoleReceiver {
                from,
                largest_received,
                ..
            } if *from == l.from => Some(*largest_received),
            _ => None,
        })
        .filter(|&crossed| u64::from(l.smallest) > crossed)
}

/// The ping frames completed in the lost packets, as far as `x`'s frames kept and its
/// side's last ping tell (the
/// lost packets' numbers are `x`'s input's only when seen at its point, or in one input).
fn pings_in(x: &ConnectionReport, l: &LostBetween, one_input: bool) -> u64 {
    if l.seen_at != 0 && !one_input {
        return 0;
    }
    let within = |p: u64| (l.first_packet..=l.last_packet).contains(&p);
    let frames = x.timeline.as_deref().unwrap_or(&x.recent_frames);
    let kept = frames
        .iter()
        .filter(|f| f.from == l.from && f.opcode == Opcode::PING && within(f.packet))
        .count() as u64;
    // The side's last ping, when the frames kept have left it out.
    let last = x
        .frames
        .of(l.from)
        .last_ping
        .is_some_and(|(p, _)| within(p));
    kept.max(u64::from(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mark of the client's (`FROM_B` unset) with `ttl`.
    fn mark(packet: u64, ttl: u8, flags: u8) -> crate::vocab::trail::Mark {
        crate::vocab::trail::Mark {
            ts: packet as i64,
            packet,
            seq: 1000,
            hash: 7,
            len: 0,
            ip_id: 0,
            ttl,
            flags,
            point: 0,
        }
    }

    /// A reset with copies at two TTLs was seen at both points; one copy alone says
    /// nothing of where.
    #[test]
    fn copies_with_two_ttls_are_both_points() {
        let mut t = Trail {
            marks: vec![mark(5, 64, RST), mark(6, 63, RST)],
            ..Trail::default()
        };
        assert_eq!(copies(&t, 5), Some(true));
        t.marks.truncate(1);
        assert_eq!(copies(&t, 5), Some(false));
        assert_eq!(copies(&t, 9), None);
    }
}
