//! A closing handshake cut short: a side sent the first close frame, and TCP ended before
//! the peer's close frame in reply; read from who sent the close, who ended TCP and how,
//! and what met the reply, if one came after.
//!
//! In: the session's causes so far (the first a valid close frame: `close-frame` or
//! `empty-close-frame`), its close frames, its TCP endings (each side's first, and an RST
//! after a FIN) and whether either direction lost bytes. Out: a
//! [`Cause::ClosingCutShort`] when the closer reset TCP before the reply, or closed it with
//! a FIN and then reset the reply (its socket gone), or the peer ended TCP without a reply;
//! none where the reply came before TCP ended (a closing handshake completed), where the
//! closer's FIN came first and no RST of its met a reply (a FIN shuts only its sending side,
//! RFC 9293 §3.6: the peer could still reply, and one that did not is `no-close-reply`'s),
//! and where bytes are missing (the reply may be among them).
//!
//! RFC 6455 §7.1.1: an endpoint closes TCP once it has both sent and received a close frame
//! (the server first, §7.1.1 and §7.1.2); §7.1.4: the closing handshake is complete when
//! both have. An RST flushes what the receiver had not read (RFC 9293 §3.10.7.4), so a
//! close frame followed by its sender's RST may never reach the peer's application.

use crate::report::cause::{Cause, End, EndHow};
use crate::vocab::CloseFrame;
use crate::vocab::EndKind;

/// The cut-short closing of a session whose causes begin with a valid close frame.
pub fn cause(
    causes: &[Cause],
    closes: &[&CloseFrame],
    tcp_ends: &[End],
    bytes_missing: bool,
) -> Option<Cause> {
    if bytes_missing
        || !matches!(
            causes.first(),
            Some(Cause::Closed { .. } | Cause::EmptyClose { .. })
        )
    {
        return None;
    }
    let first = closes
        .iter()
        .copied()
        .filter(|c| !c.rejected())
        .min_by_key(|c| c.order)?;
    // Any close frame of the peer's is its reply, one that breaks the rules too: it did
    // answer.
    let reply = closes
        .iter()
        .copied()
        .filter(|c| c.from != first.from)
        .min_by_key(|c| c.order);
    let end = tcp_ends
        .iter()
        .filter(|e| e.order > first.order && matches!(e.how, EndHow::Tcp(_)))
        .min_by_key(|e| e.order)?;
    if reply.is_some_and(|r| r.order < end.order) {
        return None;
    }
    let reply_reset = reply.and_then(|r| {
        tcp_ends
            .iter()
            .find(|e| e.by == first.from && e.how == EndHow::Tcp(EndKind::Rst) && e.order > r.order)
            .map(|e| e.packet)
    });
    // The closer's FIN shuts only its sending side: the peer may still reply (RFC 9293
    // §3.6). Cut short only when its socket then reset the reply; a peer that sent none
    // is `no-close-reply`'s.
    if end.by == first.from && end.how == EndHow::Tcp(EndKind::Fin) && reply_reset.is_none() {
        return None;
    }
    let after_s = if end.ts >= first.time {
        (end.ts.since(first.time) * 1000.0).round() / 1000.0
    } else {
        0.0
    };
    Some(Cause::ClosingCutShort {
        from: first.from,
        close_packet: first.packet,
        end: end.ending(),
        after_s,
        reply_packet: reply.map(|r| r.packet),
        reply_reset,
    })
}
