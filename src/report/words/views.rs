//! What a capture of one direction shows of the path (issue 92 item 7): its side's bytes
//! sent again, said as what they show (acknowledgements did not reach that side in time)
//! with the verdict that would rest on the other direction withheld and said so: whether
//! the bytes died on the path, the peer's acknowledgements did, or the peer was gone, only
//! the peer's direction tells (RFC 9293 §3.8.1: a sender retransmits what no acknowledgement
//! covered within its timeout; §3.10.7.4: the receiver's acknowledgement says what it holds).
//!
//! And where data went unacknowledged, the view a capture was taken from, named from the
//! TTLs (`seen-at`): whether the data left the capture's host or reached it.
//!
//! Where the TTLs name no host, the side of the break the capture was on
//! (`seen-before-break`): the sender's data and its retransmissions reached the capture
//! point, nothing of the peer's did after it; the host is not named.
//!
//! In: a [`Cause::OneDirectionResent`], [`Cause::SeenAt`] or [`Cause::SeenBeforeBreak`].
//! Out: its sentences.

use crate::report::cause::Cause;
use crate::units::Secs;

/// The sentences of [`Cause::OneDirectionResent`], [`Cause::SeenAt`] and
/// [`Cause::SeenBeforeBreak`] (their `words` facet).
pub fn words(c: &Cause, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    if let Cause::SeenBeforeBreak {
        from,
        packet,
        retransmissions,
        seconds,
        peer_silent,
    } = c
    {
        let peer = from.peer();
        let times = match retransmissions {
            1 => "once".to_string(),
            n => format!("{n} times"),
        };
        write!(
            f,
            "Where this capture was taken: on the {from}'s side of the break. The {from}'s data from packet {packet}, sent again {times} over {}, reached the capture point every time and was never acknowledged, and nothing of the {peer}'s reached it after that segment, though the {peer}'s packets had before: whatever broke (the path, one way or both, or the {peer}'s host) lies beyond the capture point, between it and the {peer}'s application.",
            Secs(*seconds)
        )?;
        if let Some(q) = peer_silent {
            write!(
                f,
                " The {peer}'s last frame here was packet {}, {} before the connection's last packet in the capture",
                q.last_frame,
                Secs(q.before_end_s)
            )?;
            if q.data {
                write!(f, "; the {peer}'s data stopped arriving.")?;
            } else {
                f.write_str(".")?;
            }
        }
        return write!(
            f,
            " Which host the capture was taken at is not said: the TTLs do not tell (no router between, or a tap on the path), and a capture at the {peer}'s own host, in front of a firewall that drops what comes in, holds the same packets."
        );
    }
    if let Cause::SeenAt {
        host,
        own_ttl,
        peer_ttl,
        unacknowledged,
        packet,
        peer_silent,
    } = c
    {
        let peer = host.peer();
        let hops = own_ttl.saturating_sub(*peer_ttl);
        let routers = if hops == 1 { "router" } else { "routers" };
        write!(
            f,
            "The capture was taken at the {host}'s host: its packets carry TTL {own_ttl}, an initial value, and the {peer}'s arrived with {peer_ttl} ({hops} {routers} between)."
        )?;
        return if unacknowledged == host {
            write!(
                f,
                " The {host}'s data from packet {packet} left this host and was never acknowledged: it was lost beyond it, on the path or at a {peer} gone, not before the capture; a capture at the {peer}'s end shows which."
            )?;
            let Some(q) = peer_silent else {
                return Ok(());
            };
            let segments = match q.sent_since {
                1 => "segment".to_string(),
                n => format!("{n} segments"),
            };
            write!(
                f,
                " Nothing of the {peer}'s reached this host from packet {packet} on: its last frame here was packet {}, {} before the connection's last packet in the capture, and the {host}'s {segments} since went unanswered",
                q.last_frame,
                Secs(q.before_end_s)
            )?;
            if q.data {
                write!(f, "; the {peer}'s data stopped arriving.")
            } else {
                f.write_str(".")
            }
        } else {
            write!(
                f,
                " The {peer}'s data from packet {packet} reached this host and was never acknowledged from it: the {host}'s acknowledgements did not leave it, or its host dropped what came in (a firewall, a process gone); the path before this host carried it."
            )
        };
    }
    let Cause::OneDirectionResent {
        from,
        retransmissions,
        last_packet,
        after_s,
    } = c
    else {
        return Ok(());
    };
    let peer = from.peer();
    let times = match retransmissions {
        1 => "once".to_string(),
        n => format!("{n} times"),
    };
    write!(
        f,
        "What the {from}'s direction shows of the path: it sent bytes it had sent before again {times} (TCP retransmissions; its last segment with data at packet {last_packet}"
    )?;
    if *after_s > 0.0 {
        write!(
            f,
            ", {} before its last packet in the capture",
            Secs(*after_s)
        )?;
    }
    write!(
        f,
        "), so the {peer}'s acknowledgement of them did not reach the {from} in time. Whether they were lost on the path, the {peer}'s acknowledgements were, or the {peer} was gone, rests on the {peer}'s direction, which is not in the capture: no verdict on the path is drawn."
    )
}

/// The clause [`Cause::SeenBeforeBreak`] adds to the evidence line (its `evidence` facet),
/// and its packet.
pub fn evidence(c: &Cause) -> Option<(String, Vec<u64>)> {
    let Cause::SeenBeforeBreak { from, packet, .. } = c else {
        return None;
    };
    Some((
        format!(
            "captured on the {from}'s side of the break: nothing of the {}'s from packet {packet} on",
            from.peer()
        ),
        vec![*packet],
    ))
}
