//! An abrupt ending read from its evidence: which side's software ended a session that
//! closed without a close frame, or that the capture cannot tell.
//!
//! In: a session's causes so far (the first one `no-close-frame`), its quiet spell before
//! the first ending ([`Idle`]), what each side sent (its last frame and ping) and the
//! ending itself. Out: a [`Cause::AbruptEnding`] ([`cause`]), only where nothing else
//! already names what happened (a path fault, a proxy, a known timeout, a heartbeat, a
//! handshake fault, TLS's alert, the application's own words), and never where bytes are
//! missing (a close frame may have been lost) or the ending is an HTTP/2 stream's own.
//!
//! The reading (RFC 6455 §7.1.1: an endpoint that closes on purpose sends a close frame
//! first; §7.1.5 and §7.4.1: without one both see 1006):
//! - data of either side was sent again and never acknowledged (too little for
//!   `unacknowledged-data`): the network or the process; the capture cannot tell
//!   (`unknown`);
//! - the spell before the ending is whole seconds ([`whole_seconds`]) that no known
//!   timeout matches, and the side did not end right after a message: a timeout of that
//!   length in the application or a middlebox, or the process by chance; the capture
//!   cannot tell (`unknown`, both ranked in the words);
//! - else that side's own software ended it (`server-process`, `client-process`): not at
//!   an idle boundary (or right after the peer's message, unanswered), not the network
//!   (nothing above found data left unacknowledged), not a frozen peer (no heartbeat gave
//!   up). Its RST answering what the peer sent after its FIN (the socket gone, RFC 9293
//!   §3.10.7.1) is cited with it; then the spell before the FIN is not known (only each
//!   side's last frame is kept) and the RST decides.
//!
//! A peer that froze (pings unanswered before the end) is `heartbeat-timeout`'s and
//! `pings-stopped`'s, decided before this; a known idle timeout is `idle-timeout`'s.
//!
//! What came after the ending on other connections (the client host's attempts refused,
//! the server back) is only known once every connection is read: the incident stage finds
//! it (`incident::after`) and `diagnose::incidents` writes it into the cause
//! (`afterwards`), where a refusal soon after a server's ending decides an `unknown` verdict.

use super::idle::Idle;
use crate::report::cause::{Cause, EndHow, Ending, EndingVerdict, StillUnacked};
use crate::report::words::proxy::whole_seconds;
use crate::report::words::{names_what_happened, states_own_cause};

/// The abrupt ending of a session whose `causes` begin with `no-close-frame`, read from
/// its quiet spell `idle` before the first ending (none when a frame came after it) and
/// the data still unacknowledged at the end though sent again, if any (`unacked`).
pub fn cause(
    causes: &[Cause],
    idle: Option<&Idle>,
    unacked: Option<StillUnacked>,
) -> Option<Cause> {
    let Some(Cause::NoCloseFrame {
        end,
        bytes_missing: false,
        ..
    }) = causes.first()
    else {
        return None;
    };
    if !matches!(end.how, EndHow::Tcp(_) | EndHow::CloseNotify)
        || causes
            .iter()
            .any(|c| names_what_happened(c) || own(c) || explained(c))
    {
        return None;
    }
    let by = end.by;
    let idle = idle.filter(|i| i.end_packet == end.packet);
    let reset_packet = causes.iter().find_map(|c| match c {
        Cause::RstAfterFin {
            by: b,
            rst_packet,
            after: Some(_),
            ..
        } if *b == by => Some(*rst_packet),
        _ => None,
    });
    // Without the spell and without the RST there is nothing to read the ending from.
    if idle.is_none() && reset_packet.is_none() {
        return None;
    }
    let after_message = idle.and_then(|i| i.unanswered).map(|u| u.packet);
    let whole = idle.is_some_and(|i| whole_seconds(i.seconds).is_some());
    let verdict =
        if unacked.is_some() || (whole && after_message.is_none() && reset_packet.is_none()) {
            EndingVerdict::Unknown
        } else {
            EndingVerdict::process(by)
        };
    Some(Cause::AbruptEnding {
        verdict,
        end: Ending {
            by,
            how: end.how,
            packet: end.packet,
        },
        quiet_s: idle.map(|i| (i.seconds * 1000.0).round() / 1000.0),
        after_message,
        reset_packet,
        unacknowledged: unacked,
        afterwards: None,
    })
}

/// A cause that gives the session's own cause, but a reaction to the peer's message: that
/// one is read here too, as the process's doing right after it (`after_message`).
fn own(c: &Cause) -> bool {
    states_own_cause(c) && !matches!(c, Cause::UnansweredMessage { .. })
}

/// Causes that explain a 1006 in their own way without being a path fault or the
/// application's words: a proxy's legs, a relayed end, a close frame no one read, a
/// lighttpd gateway, one direction only, frames after a close (each kind's `explains`
/// facet, `report/cause/mod.rs`).
fn explained(c: &Cause) -> bool {
    c.explains_1006()
}
