//! The evidence for a status: what in the capture shows it, with packet numbers.
//!
//! In: the status's code and the connection's facts ([`Facts`]: close frames, findings,
//! what each side sent, the first ending and the quiet spell before it). Out: an
//! [`Evidence`] line for the table with its packets: for 1002 the violations that preceded
//! it, for 1007 the offending message, for 1009 the largest message, for 1003 the message
//! type before it, for 1005 the empty close frame, for 1006 how the carrier ended and the
//! quiet spell before it (RFC 6455 §7.4.1); and whether the code and the capture agree.
//! Its words are made in `report/words/evidence.rs`; a code the capture does not show is
//! kept as a value ([`Part::Unseen`]) that a later stage may decide on.

use super::idle::{idle_timeout_match, Idle};
use crate::report::cause::End;
use crate::report::evidence::{Evidence, Part};
use crate::report::words::evidence::{self as words, Quiet};
use crate::vocab::CloseFrame;
use crate::vocab::{Finding, Found, Kind, PerSide, Problem, Stats};
use crate::vocab::{NotSeen, Unseen};

/// Facts about a connection that evidence is drawn from.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The first close frame on the wire that its receiver could accept, if any.
    pub first_close: Option<&'a CloseFrame>,
    /// The first close frame its receiver had to refuse (it breaks a rule), if any.
    pub refused_close: Option<&'a CloseFrame>,
    /// The connection's findings.
    pub findings: &'a [Finding],
    /// Frame statistics of what each side sent.
    pub sent: PerSide<&'a Stats>,
    /// The first ending (TCP, close_notify or the HTTP/2 stream), if any.
    pub first_end: Option<End>,
    /// The quiet spell before it, if any.
    pub idle: Option<Idle>,
    /// Part of a stream is missing from the capture.
    pub missing: bool,
}

/// The evidence for a status of code `code`.
pub fn evidence(code: Option<u16>, f: &Facts<'_>) -> Option<Evidence> {
    let code = code?;
    if code == 1006 {
        let e = f.first_end?;
        // A close frame its receiver refused came before TCP ended: it is why no close
        // handshake took place, so it leads the evidence.
        let refused = f.refused_close.filter(|c| c.order < e.order);
        let quiet = f.idle.map(|idle| Quiet {
            seconds: idle.seconds,
            unanswered: idle.unanswered,
            // With no frame either way, the spell runs from the connection's first packet.
            since_frame: idle.last_frame_packet.is_some(),
            timeout_like: !idle_timeout_match(idle.seconds).is_empty(),
        });
        let mut packets: Vec<u64> = refused.map(|c| c.packet).into_iter().collect();
        packets.extend(f.idle.and_then(|i| i.unanswered).map(|u| u.packet));
        packets.push(e.packet);
        packets.sort_unstable();
        return Some(Evidence::new(words::ended(refused, &e, quiet), packets));
    }
    let close = f.first_close?;
    let peer = close.from.peer();
    let before = |x: &&Finding| x.from == Some(peer) && x.packet.is_none_or(|p| p <= close.packet);
    let unseen = |what: Unseen| {
        let why = if f.missing {
            NotSeen::Missing
        } else {
            NotSeen::Disagree
        };
        let part = Part::Unseen {
            what,
            peer,
            packet: close.packet,
            why,
        };
        Evidence::of(part, vec![close.packet])
    };
    let listed = |items: Vec<&Finding>| {
        let mut packets: Vec<u64> = items.iter().filter_map(|x| x.packet).collect();
        packets.dedup();
        let mut kinds: Vec<Kind> = items.iter().map(|x| x.kind).collect();
        kinds.dedup();
        Evidence::new(words::broke(peer, &kinds, &packets), packets)
    };
    match code {
        1002 => {
            let v: Vec<&Finding> = f
                .findings
                .iter()
                .filter(before)
                .filter(|x| x.kind.is_violation() && x.kind != Kind::InvalidUtf8Text)
                .collect();
            Some(if v.is_empty() {
                unseen(Unseen::Violation)
            } else {
                listed(v)
            })
        }
        1007 => {
            let v: Vec<&Finding> = f
                .findings
                .iter()
                .filter(before)
                .filter(|x| {
                    matches!(x.kind, Kind::InvalidUtf8Text | Kind::InflateFailed)
                        || matches!(&x.found, Some(Found::MalformedClose { problems })
                            if problems.contains(&Problem::ReasonNotUtf8))
                })
                .collect();
            Some(match v.first() {
                None => unseen(Unseen::BadText),
                Some(x) => {
                    Evidence::new(words::bad_message(peer, x), x.packet.into_iter().collect())
                }
            })
        }
        1009 => {
            let sent = *f.sent.of(peer);
            let (frame, size, packet) = match (sent.largest_message, sent.largest_frame) {
                (Some((size, packet)), _) => (None, size, packet),
                (None, Some((size, packet, op))) => (Some(op), size, packet),
                (None, None) => return Some(unseen(Unseen::Message)),
            };
            Some(Evidence::new(
                words::largest(peer, frame, size, packet, close.from),
                vec![packet],
            ))
        }
        1003 => f.sent.of(peer).last_message.map(|(op, size, packet)| {
            Evidence::new(words::last_message(peer, op, size, packet), vec![packet])
        }),
        1005 => Some(Evidence::new(
            words::no_code(close.from, close.packet),
            vec![close.packet],
        )),
        _ => {
            let v: Vec<&Finding> = f
                .findings
                .iter()
                .filter(before)
                .filter(|x| x.kind.is_violation())
                .collect();
            (!v.is_empty()).then(|| listed(v))
        }
    }
}
