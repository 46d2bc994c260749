//! What the path under a session shows: a close frame no application read, data never
//! acknowledged, an RST its sender's address did not send.
//!
//! In: a finished connection's path watch (`stack::tcp::path`: each direction's first RST
//! with its TTL and the TTLs before it, and the data still unacknowledged at the end with
//! its retransmissions), the session's close frames and what each side sent. Out: the
//! [`Cause`]s `close-frame-not-read`, `close-frame-not-delivered`, `unacknowledged-data`,
//! `receive-window-closed` (zero-window probes answered with a zero window to the end,
//! RFC 9293 §3.8.6.1), `reader-stopped` (a zero window the other side probed, and the
//! connection's end during it or queued behind it, §3.8.6), `mtu-black-hole` (data never
//! acknowledged that starts with a segment larger than any acknowledged, while the
//! peer's frames were acknowledged: RFC 2923 §2.1), `mtu-black-hole-receiver` (the same
//! seen from the receiver: bytes it never had, its acknowledgements at their start, while
//! the sender's smaller segments after them arrived), `tcp-keepalive` (keepalive probes at a
//! steady interval that nothing answered to the end, RFC 9293 §3.8.4, RFC 1122 §4.2.3.6)
//! and `reset-not-from-peer`.
//! RFC 9293 §3.10.7.1 (a host with no connection answers a segment with an RST, without
//! ACK when the segment had one), RFC 6298 §5 (retransmissions back off), RFC 791 §3.2 and
//! RFC 8200 §3 (TTL and hop limit fall by one per router).

use crate::flow::Side;
use crate::report::cause::{Cause, EndHow, Ending, OpcodeName, Unacked};
use crate::stack::tcp::connection::Connection;
use crate::stack::tcp::path_watch::Stall;
use crate::vocab::CloseFrame;
use crate::vocab::{EndKind, PerSide, Role, Stats, Timestamp};

/// Retransmissions of data never acknowledged before the path is said to have died: a
/// lone retransmission is a lost packet; three that back off are a path that is gone.
pub const MIN_RETRANSMISSIONS: u64 = 3;

/// ... and the least time from the first segment to the last retransmission: three
/// retransmissions by timeout back off over at least 1.4 s (200 ms, 400 ms, 800 ms from
/// Linux's least timeout, RFC 6298 §5.5); segments repeated faster are reordering or
/// copies, not a dead path.
pub const MIN_STALL_SECONDS: f64 = 1.0;

/// The data of side `s` never acknowledged, when it shows a dead path: the peer had
/// acknowledged this side before (a capture that holds one direction only shows no ACK
/// at all), the retransmissions back off, and at least [`MIN_RETRANSMISSIONS`] of them
/// came after the peer last answered with a zero window (zero-window probes answered with
/// a zero window are a peer that is alive and reads nothing, RFC 9293 §3.8.6.1, not a dead
/// path).
fn dead(c: &Connection, s: Side) -> Option<Stall> {
    let w = &c.path[s];
    w.unacknowledged(MIN_RETRANSMISSIONS).filter(|st| {
        w.was_acknowledged()
            && (!st.window_shut || st.since_answer >= MIN_RETRANSMISSIONS)
            && st.last_ts.since(st.first_ts) >= MIN_STALL_SECONDS
    })
}

/// The close frames, first ones first (`closes` in delivery order), that no application
/// read: one never acknowledged (its sender's data from it on got no ACK, however often
/// sent again), or one answered by the peer's first ending, an RST without the ACK flag
/// with no frame of the peer's in between (the host had no such connection). Each with
/// its packet and cause, up to the first close frame that was read.
pub fn unread_closes(
    c: &Connection,
    closes: &[&CloseFrame],
    sent: PerSide<&Stats>,
) -> Vec<(u64, Cause)> {
    let mut out = Vec::new();
    for f in closes.iter().filter(|f| !f.rejected()) {
        let own = side_of(c, f.from);
        let peer = own.other();
        if let Some(st) = dead(c, own).filter(|st| st.first_packet <= f.packet) {
            out.push((
                f.packet,
                Cause::CloseNotDelivered {
                    from: f.from,
                    code: f.code,
                    packet: f.packet,
                    retransmissions: st.retransmissions,
                },
            ));
            continue;
        }
        let answered = sent
            .of(f.from.peer())
            .last_frame
            .is_some_and(|(p, _)| p > f.packet);
        let no_socket = match (c.path[peer].reset, c.ends[peer].as_deref().copied()) {
            (Some(mark), Some(end)) => {
                !mark.ack_flag
                    && mark.packet > f.packet
                    && end.kind == EndKind::Rst
                    && end.packet == mark.packet
            }
            _ => false,
        };
        if !no_socket || answered {
            break;
        }
        if let Some(mark) = c.path[peer].reset {
            out.push((
                f.packet,
                Cause::CloseNotRead {
                    from: f.from,
                    code: f.code,
                    packet: f.packet,
                    rst_packet: mark.packet,
                },
            ));
        }
    }
    out
}

/// The side whose receive window stayed closed to the end: side `s`'s zero-window probes
/// sent again at least once, and the last of them answered by the peer with a zero window
/// (fewer than [`MIN_RETRANSMISSIONS`] unanswered after it: else the path died).
fn window_closed(c: &Connection, s: Side) -> Option<Cause> {
    let w = &c.path[s];
    let st = w.stall().filter(|st| {
        st.window_shut && st.retransmissions >= 1 && st.since_answer < MIN_RETRANSMISSIONS
    })?;
    Some(Cause::WindowClosed {
        reader: c.role(s.other()),
        first_packet: st.first_packet,
        probes: st.retransmissions,
        seconds: round_ms(st.last_ts.since(st.first_ts)),
        last_packet: st.last_packet,
    })
}

/// The least payload of a segment whose loss, alone, reads as a path MTU black hole: a
/// path's MTU is at least 576 bytes (IPv4, RFC 791) or 1280 (IPv6, RFC 8200 §5), and the
/// narrow links that make black holes (tunnels, PPPoE, VPNs) are over 1 200 bytes.
pub const BLACK_HOLE_MIN_BYTES: u16 = 1000;

/// Side `s`'s stall read as a path MTU black hole: data never acknowledged, sent again at
/// least [`MIN_RETRANSMISSIONS`] times (not zero-window probes the peer answered), whose
/// first segment carried at least [`BLACK_HOLE_MIN_BYTES`] and more than any segment of `s`
/// the peer acknowledged (one was), and a smaller packet of `s` during the stall that
/// acknowledged new bytes of the peer's that the peer then did not send again (that packet
/// got through). The stall lasted at least [`MIN_STALL_SECONDS`] to its last
/// retransmission, or to the peer's last packet during it: a sender that gives up sooner
/// (an application's heartbeat ends the connection 0.7 s into the stall) leaves a peer
/// that, alive, still had not acknowledged the segment a second after it was first sent.
/// The peer's SACK blocks on its duplicate acknowledgements at the segment's start (RFC
/// 2018 §4), when it sent them: one of bytes after the segment is named (the later, smaller
/// segments reached the peer, the large one did not); one over the segment's own bytes
/// shows it arrived, and no black hole is read.
fn black_hole(c: &Connection, s: Side) -> Option<Cause> {
    let w = &c.path[s];
    let st = w.unacknowledged(MIN_RETRANSMISSIONS).filter(|st| {
        let until = st.peer_last.map_or(st.last_ts, |p| p.max(st.last_ts));
        w.was_acknowledged()
            && (!st.window_shut || st.since_answer >= MIN_RETRANSMISSIONS)
            && until.since(st.first_ts) >= MIN_STALL_SECONDS
    })?;
    // (A SACK block of the peer's over the segment: it arrived, whatever else died.)
    if st.sack_over {
        return None;
    }
    let ack = st.acked_peer?;
    let peer_ok = c.path[s.other()]
        .stall()
        .is_none_or(|p| p.first_packet > ack);
    (st.first_len >= BLACK_HOLE_MIN_BYTES
        && st.largest_acked > 0
        && st.first_len > st.largest_acked
        && peer_ok)
        .then(|| Cause::MtuBlackHole {
            from: c.role(s),
            first_packet: st.first_packet,
            at: st.first_ts.rfc3339(),
            segment_bytes: u64::from(st.first_len),
            largest_acked: u64::from(st.largest_acked),
            retransmissions: st.retransmissions,
            seconds: round_ms(st.last_ts.since(st.first_ts)),
            last_packet: st.last_packet,
            small_ack: ack,
            sacked: st.sacked,
        })
}

/// Side `s`'s bytes the peer never received, read as a path MTU black hole seen from the
/// receiver's capture (`stack::tcp::path_watch::hole`): at least [`BLACK_HOLE_MIN_BYTES`]
/// missing, the peer's acknowledgements at their start to the end (it had all before
/// them, none of them) and the peer sending after them; none of `s`'s segments that
/// arrived carried as many bytes as are missing (the lost segments were larger than any
/// that crossed: a path of MTU 1280 carries a 1 176-byte tail of a message whose 1 448-byte
/// segments die, so no fixed size tells), and the peer had acknowledged bytes of `s`; a
/// packet of `s` after them acknowledged the peer's new bytes (`s` was there and its small
/// packets crossed), and `s`'s packets kept coming for at least [`MIN_STALL_SECONDS`] after
/// them, time for its kernel to send the missing bytes again (RFC 6298 §2.4, §5.5).
fn receiver_black_hole(c: &Connection, s: Side) -> Option<Cause> {
    let w = &c.path[s];
    let m = w.missing()?;
    let largest = w.largest_sent();
    let small_ack = m.ack_packet?;
    let last_ack = m.peer_last?;
    let seconds = m.last_ts.since(m.ts);
    (m.bytes >= u32::from(BLACK_HOLE_MIN_BYTES)
        && w.acks_moved()
        && u32::from(largest) < m.bytes
        && seconds >= MIN_STALL_SECONDS)
        .then(|| Cause::MtuBlackHoleReceiver {
            from: c.role(s),
            packet: m.packet,
            at: m.ts.rfc3339(),
            missing_bytes: u64::from(m.bytes),
            after_bytes: u64::from(m.after_len),
            largest_received: u64::from(largest),
            small_ack,
            last_ack,
            last_packet: m.last_packet,
            seconds: round_ms(seconds),
        })
}

/// How soon after a window update the sender's end must come to have been queued behind
/// the closed window: its bytes then leave at once, paced by nothing but the reader's
/// ACKs; an application still writing would have decided to end within this of the
/// update by chance alone. Linux's least retransmission timeout (200 ms).
pub const QUEUED_SECONDS: f64 = 0.2;

/// The reader that stopped reading, seen from side `s` (the sender): the reader's last
/// zero-window spell, probed by `s` at least once and at least [`MIN_STALL_SECONDS`] long,
/// that the connection's first ending came during, or that ended with a window update
/// followed within [`QUEUED_SECONDS`] by `s`'s own ending (queued behind the window).
fn stopped_reading(c: &Connection, s: Side, closes: &[&CloseFrame]) -> Option<Cause> {
    let z = c.path[s].zero_spell()?;
    if z.probes == 0 {
        return None;
    }
    let sender = c.role(s);
    let first_end = c.first_end().filter(|(_, e)| e.packet > z.since_packet);
    let ending = |(by, e): (Role, crate::stack::tcp::connection::End)| Ending {
        by,
        how: EndHow::Tcp(e.kind),
        packet: e.packet,
    };
    let (until, end, end_after_s, end_into_s) = match (z.reopened, first_end) {
        // The ending came while the window was still zero.
        (None, Some((by, e))) => (e.ts, Some(ending((by, e))), None, Some(e.ts)),
        (Some((rp, _)), Some((by, e))) if e.packet < rp => {
            (e.ts, Some(ending((by, e))), None, Some(e.ts))
        }
        (None, None) => (c.last_ts, None, None, None),
        // The sender's ending at once after the update: queued behind the window.
        (Some((rp, rts)), Some((by, e)))
            if by == sender && e.packet > rp && e.ts.since(rts) <= QUEUED_SECONDS =>
        {
            (rts, Some(ending((by, e))), Some(e.ts), None)
        }
        _ => return None,
    };
    let seconds = until.since(z.since_ts);
    if seconds < MIN_STALL_SECONDS {
        return None;
    }
    let close = end_after_s.and(z.reopened).and_then(|(rp, _)| {
        closes
            .iter()
            .find(|f| f.from == sender && f.packet >= rp && !f.rejected())
    });
    Some(Cause::StoppedReading {
        reader: c.role(s.other()),
        zero_packet: z.since_packet,
        at: z.since_ts.rfc3339(),
        seconds: round_ms(seconds),
        probes: z.probes,
        first_probe: z.first_probe,
        last_probe: z.last_probe,
        answers: z.answers,
        reopened: z.reopened.map(|(p, _)| p),
        end,
        end_after_s: end_after_s
            .zip(z.reopened)
            .map(|(t, (_, r))| (t.since(r).max(0.0) * 1e6).round() / 1e6),
        end_into_s: end_into_s.map(|t| round_ms(t.since(z.since_ts))),
        close_packet: close.map(|f| f.packet),
        close_code: close.and_then(|f| f.code),
    })
}

/// When side `s`'s data began to go unacknowledged (its first such segment) and when the
/// peer's next packet after that silence came, where [`unacknowledged`] says so of it
/// (`unacknowledged-data` with `peer_next`): a close event's dark spell, read as it
/// happens (`live::events`), as the report's incident stage reads the cause's.
pub fn dark_spell(c: &Connection, s: Side) -> Option<(Timestamp, Timestamp)> {
    if black_hole(c, s)
        .or_else(|| receiver_black_hole(c, s))
        .is_some()
    {
        return None;
    }
    let st = dead(c, s)?;
    st.peer_next.map(|(_, back)| (st.first_ts, back))
}

/// Each side's data never acknowledged, with its retransmissions; or, when the peer
/// answered it with a zero window, the peer's closed window.
pub fn unacknowledged(c: &Connection, closes: &[&CloseFrame], sent: PerSide<&Stats>) -> Vec<Cause> {
    let mut out = Vec::new();
    for s in Side::BOTH {
        if let Some(cause) = black_hole(c, s).or_else(|| receiver_black_hole(c, s)) {
            out.push(cause);
            continue;
        }
        let Some(st) = dead(c, s) else {
            match window_closed(c, s) {
                Some(cause) => out.push(cause),
                None => out.extend(stopped_reading(c, s, closes)),
            }
            continue;
        };
        let from = c.role(s);
        let stats = *sent.of(from);
        let first = st.first_packet;
        let what = if stats.last_ping.is_some_and(|(p, _)| p == first) {
            Some(Unacked::Ping)
        } else if closes.iter().any(|f| f.from == from && f.packet == first) {
            Some(Unacked::CloseFrame)
        } else {
            match stats.last_message {
                Some((opcode, size, p)) if p == first => Some(Unacked::Message {
                    opcode: OpcodeName(opcode),
                    size,
                }),
                _ => None,
            }
        };
        let (peer_next, until) = match st.peer_next {
            Some((p, ts)) => (Some(p), ts),
            None => (None, c.last_ts),
        };
        // The sender's own ending at or after its last retransmission, with nothing from
        // the peer before it: it gave up on the peer.
        let gave_up = c.ends[s]
            .as_deref()
            .filter(|e| e.packet >= st.last_packet && peer_next.is_none_or(|p| p > e.packet));
        out.push(Cause::Unacknowledged {
            from,
            first_packet: first,
            at: st.first_ts.rfc3339(),
            what,
            retransmissions: st.retransmissions,
            seconds: round_ms(st.last_ts.since(st.first_ts)),
            last_packet: st.last_packet,
            peer_next,
            peer_silent_s: round_ms(until.since(st.first_ts)),
            gave_up: gave_up.map(|e| Ending {
                by: from,
                how: EndHow::Tcp(e.kind),
                packet: e.packet,
            }),
            gave_up_s: gave_up.map(|e| round_ms(e.ts.since(st.first_ts))),
        });
    }
    out
}

/// The fewest keepalive probes in a row, unanswered, that show the other side gone: one
/// lost probe is a lost packet; Linux gives up after `TCP_KEEPCNT` (9 by default, at
/// least 1), and two make an interval.
pub const MIN_KEEPALIVE_PROBES: u64 = 2;

/// The least time between two keepalive probes: `TCP_KEEPINTVL` counts whole seconds (at
/// least 1), Windows' `KeepAliveInterval` defaults to 1 s; segments repeated faster are
/// something else.
pub const MIN_KEEPALIVE_INTERVAL_S: f64 = 0.5;

/// Each side whose keepalive found the other gone: its last run of probes, at least
/// [`MIN_KEEPALIVE_PROBES`] at a steady interval (the longest at most 1.5 times the
/// shortest: retransmissions back off, doubling; keepalive probes do not), none answered
/// to the end; with the prober's RST after the last probe, if one came.
pub fn keepalives(c: &Connection) -> Vec<Cause> {
    Side::BOTH
        .into_iter()
        .filter_map(|s| {
            let w = &c.path[s];
            let run = w.keepalive_run().filter(|r| {
                r.unanswered
                    && r.probes >= MIN_KEEPALIVE_PROBES
                    && r.min_gap_s >= MIN_KEEPALIVE_INTERVAL_S
                    && r.max_gap_s <= r.min_gap_s * 1.5
            })?;
            let rst = w.reset.filter(|m| m.packet > run.last_packet);
            let until = rst.map_or(c.last_ts, |m| m.ts);
            let steps = (run.probes - 1) as f64;
            let mean = run.last_ts.since(run.first_ts) / steps;
            Some(Cause::Keepalive {
                by: c.role(s),
                probes: run.probes,
                first_packet: run.first_packet,
                at: run.first_ts.rfc3339(),
                last_packet: run.last_packet,
                interval_s: round_ms(mean),
                min_interval_s: round_ms(run.min_gap_s),
                max_interval_s: round_ms(run.max_gap_s),
                probe_bytes: u64::from(run.bytes),
                answered: run.answered,
                last_answer: run.last_answer,
                rst_packet: rst.map(|m| m.packet),
                then_s: round_ms(until.since(run.last_ts)),
            })
        })
        .collect()
}

/// Each side's first RST whose TTL is outside those of the side's packets before it.
pub fn foreign_resets(c: &Connection) -> Vec<Cause> {
    Side::BOTH
        .into_iter()
        .filter_map(|s| {
            let m = c.path[s].reset?;
            let (lo, hi) = m.before?;
            (m.ttl < lo || m.ttl > hi).then(|| Cause::ForeignReset {
                by: c.role(s),
                packet: m.packet,
                ttl: m.ttl,
                ttl_low: lo,
                ttl_high: hi,
                ip_id: m.ip_id,
                id_before: m.id_before,
            })
        })
        .collect()
}

fn side_of(c: &Connection, role: Role) -> Side {
    if c.role(Side::A) == role {
        Side::A
    } else {
        Side::B
    }
}

fn round_ms(s: f64) -> f64 {
    (s.max(0.0) * 1000.0).round() / 1000.0
}
