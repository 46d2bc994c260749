//! The status each application saw.
//!
//! In: a connection's close frames (both directions, in delivery order), how each side
//! ended what carried the session (TCP, an HTTP/2 stream, a TLS close_notify), the
//! handshake outcome, and which directions lost bytes. Out: the [`Cause`]s a [`Status`] is
//! made of: the code of the first valid close frame on the wire (RFC 6455 §7.1.5), 1005 when
//! that frame had no code, 1006 when the carrier ended before any close frame (§7.1.5,
//! §7.4.1), or none while the connection was still open; the status each side saw
//! ([`seen_by`]) and the closing handshake (§7.1.1-§7.1.4, [`close_handshake`]). Nothing is
//! guessed: a close frame whose code bytes are missing from the capture gives "unknown",
//! not 1005. Which frame is the reply is the model's rule (`report::status::reply_to`),
//! which the reports read again from the connection (`ConnectionReport::close_reply`).

use crate::report::cause::Cause;
use crate::report::cause::{End, Eviction};
use crate::report::status::{reply_to, CloseHandshake, Status};
use crate::vocab::CloseFrame;
use crate::vocab::{PerSide, Role};

/// Which directions' frames could not be followed to their end: bytes were missing where a
/// frame header (or the end of the handshake) was expected, so nothing after them was
/// decoded and a close frame of that direction may be among what is not in the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Missing {
    /// Whether each direction lost bytes where its frames were being followed.
    pub lost: PerSide<bool>,
    /// The packet where a lost direction's frames stop (its gap), when known.
    pub stops: PerSide<Option<u64>>,
    /// Bytes of either direction are missing somewhere, even where decoding kept in step
    /// (a gap inside a payload can hold what explains a code, or be what a 1006 lost).
    pub gaps: bool,
}

impl Missing {
    /// The frames `role` sent may not all be in the report.
    pub fn of(&self, role: Role) -> bool {
        *self.lost.of(role)
    }

    /// Part of the capture is missing, in step or not.
    pub fn any(&self) -> bool {
        self.gaps || self.lost.client || self.lost.server
    }
}

/// The cause of an upgrade the server refused with `code`: over HTTP/1.1 a status other
/// than 101, over HTTP/2 (`h2`, RFC 8441 §5) a `:status` other than 2xx answering the
/// extended CONNECT.
pub fn refused(code: u16, h2: bool) -> Cause {
    Cause::UpgradeRefused {
        http_status: code,
        h2,
        body: None,
    }
}

/// The causes of a session's status: the first valid close frame or the first ending, and
/// what goes with it (the reply, a close frame refused or come too late). `closes` and
/// `ends` in any order; they are ordered here by delivery order. `missing` says which
/// directions the capture lacks part of (a gap, or a direction out of sync), so that a
/// close frame may have been sent without being seen.
pub fn causes(
    closes: &[&CloseFrame],
    ends: &[End],
    http_status: Option<u16>,
    upgraded: bool,
    missing: Missing,
) -> Vec<Cause> {
    if let Some(code) = http_status.filter(|&c| c != 101) {
        return vec![refused(code, false)];
    }
    // A close frame that breaks the rules is refused by its receiver (which then fails the
    // connection with a code of its own): it sets no status, it is evidence.
    let rejected = closes.iter().copied().find(|c| c.rejected());
    let valid: Vec<&CloseFrame> = closes.iter().copied().filter(|c| !c.rejected()).collect();
    let first_close = valid.iter().copied().min_by_key(|c| c.order);
    let first_end = ends.iter().min_by_key(|e| e.order);
    let mut causes = match (first_close, first_end) {
        (Some(c), e) if e.is_none_or(|e| c.order < e.order) => close_causes(c, &valid, missing),
        (_, Some(e)) => {
            let mut v = vec![Cause::NoCloseFrame {
                end: e.ending(),
                bytes_missing: missing.any(),
                invalid_close: rejected.is_some(),
            }];
            v.extend(first_close.map(|c| Cause::LateCloseFrame {
                from: c.from,
                packet: c.packet,
            }));
            v
        }
        (_, None) => vec![Cause::StillOpen { upgraded }],
    };
    causes.extend(rejected.map(|bad| Cause::InvalidCloseFrame {
        from: bad.from,
        packet: bad.packet,
        problems: bad.problems.clone(),
        code: bad.code,
    }));
    causes
}

/// The causes a close frame sets: itself, and the peer's reply (or why there is none to
/// see). When the peer's direction lost bytes, its reply, if any, may not be in the capture.
fn close_causes(c: &CloseFrame, closes: &[&CloseFrame], missing: Missing) -> Vec<Cause> {
    let peer = c.from.peer();
    let reply = reply_to(c, closes.iter().copied())
        .map(|r| Cause::CloseReply {
            from: r.from,
            code: r.code,
            reason: r.reason.clone(),
            packet: r.packet,
        })
        .unwrap_or_else(|| {
            if missing.of(peer) {
                // The packet where the gap was found, which may come after the bytes it
                // lost: no claim about which close came first.
                Cause::CloseReplyNotCaptured {
                    from: peer,
                    gap_packet: *missing.stops.of(peer),
                }
            } else {
                Cause::NoCloseReply { from: peer }
            }
        });
    let (from, packet) = (c.from, c.packet);
    match c.received_status() {
        Some(1005) if c.code.is_none() => vec![Cause::EmptyClose { from, packet }, reply],
        Some(code) => vec![
            Cause::Closed {
                from,
                code,
                reason: c.reason.clone(),
                packet,
            },
            reply,
        ],
        None => vec![Cause::CodeNotCaptured { from, packet }],
    }
}

/// The closing handshake of a connection, from its close frames, its endings and what its
/// directions lost; none without a close frame.
pub fn close_handshake(
    closes: &[&CloseFrame],
    ends: &[End],
    missing: Missing,
) -> Option<CloseHandshake> {
    let first = closes.iter().min_by_key(|c| c.order)?;
    let reply = reply_to(first, closes.iter().copied());
    let first_end = ends.iter().min_by_key(|e| e.order);
    Some(CloseHandshake {
        initiator: first.from,
        reply: reply.is_some(),
        reply_code: reply.and_then(|r| r.code),
        reply_may_be_missing: reply.is_none() && missing.of(first.from.peer()),
        echoed: reply.is_some_and(|r| r.code == first.code),
        // A reply stamped before the close it answers (capture times out of order) has
        // no delay that can be told: none rather than a negative one.
        reply_after_s: reply
            .filter(|r| r.time >= first.time)
            .map(|r| (r.time.since(first.time) * 1e6).round() / 1e6),
        tcp_closed_first_by: first_end.filter(|e| e.order > first.order).map(|e| e.by),
    })
}

/// The status the application on side `role` saw: the code in the peer's close frame (1005
/// if it had none) when it arrived before the peer's direction ended (a FIN from the peer,
/// or an RST from either side); else none when bytes of the peer's direction are missing
/// (its close frame may be among them: no 1006 is guessed); else 1006 if TCP ended; else
/// none (still open).
pub fn seen_by(role: Role, closes: &[&CloseFrame], ends: &[End], missing: Missing) -> Option<u16> {
    let from_peer = closes
        .iter()
        .filter(|c| c.from == role.peer() && !c.rejected())
        .min_by_key(|c| c.order);
    let cut_off = ends
        .iter()
        .filter(|e| e.by == role.peer() || e.both_ways())
        .map(|e| e.order)
        .min();
    match from_peer {
        Some(c) if cut_off.is_none_or(|e| c.order < e) => c.received_status(),
        None if missing.of(role.peer()) => None,
        _ if !ends.is_empty() => Some(1006),
        _ => None,
    }
}

/// The status of a connection still open that a cap (`why`, at `limit`) ended early, after
/// packet `last_packet`: where and why wsclose stopped following it, and which flag to
/// raise. A status that has a code or that is not "still open" is left as it is.
pub fn evicted(status: &mut Status, why: Eviction, last_packet: u64, limit: u64) {
    if let Some(Cause::StillOpen { .. }) = status.causes.first() {
        status.set_causes(vec![Cause::Evicted {
            why,
            last_packet,
            limit,
        }]);
    }
}

/// The status of a connection still open at the end of a capture that dropped `dropped`
/// packets (a pcapng's Interface Statistics Blocks, a live capture's drops): its end may
/// be in them.
pub fn dropped(status: &mut Status, dropped: u64) {
    if let Some(&Cause::StillOpen { upgraded }) = status.causes.first() {
        status.set_causes(vec![Cause::PacketsDropped { upgraded, dropped }]);
    }
}

/// The status of a connection still open at the end of an input that stops early
/// (truncated or damaged): whatever ended it may be after the cut.
pub fn cut(status: &mut Status) {
    if let Some(&Cause::StillOpen { upgraded }) = status.causes.first() {
        status.set_causes(vec![Cause::CaptureCut { upgraded }]);
    }
}
