//! The evidence for a status: what in the capture shows it, with packet numbers.
//!
//! In: the status's code and the connection's facts ([`Facts`]: close frames, findings,
//! what each side sent, the first ending and the quiet spell before it). Out: an
//! [`Evidence`] line for the table with its packets: for 1002 the violations that preceded
//! it, for 1007 the offending message, for 1009 the largest message, for 1003 the message
//! type before it, for 1005 the empty close frame, for 1006 how the carrier ended and the
//! quiet spell before it (RFC 6455 §7.4.1); and whether the code and the capture agree.

use super::idle::{idle_timeout_match, Idle};
use crate::report::cause::End;
use crate::report::evidence::Evidence;
use crate::report::words::phrases::end_phrase;
use crate::units::Secs;
use crate::vocab::CloseFrame;
use crate::vocab::{Finding, Found, Kind, PerSide, Problem, Stats};
use std::fmt::Write as _;

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

/// The words of a 1002's evidence when no WebSocket violation preceded it.
pub(crate) const DISAGREE: &str = "the code and the capture disagree";

/// The evidence for a status of code `code`.
pub fn evidence(code: Option<u16>, f: &Facts<'_>) -> Option<Evidence> {
    let code = code?;
    if code == 1006 {
        let e = f.first_end?;
        let mut summary = String::new();
        let mut packets = Vec::new();
        // A close frame its receiver refused came before TCP ended: it is why no close
        // handshake took place, so it leads the evidence.
        if let Some(bad) = f.refused_close.filter(|c| c.order < e.order) {
            let _ = write!(
                summary,
                "the {}'s close frame (packet {}) could not be accepted ({}); then ",
                bad.from,
                bad.packet,
                crate::report::words::finding::problem_names(&bad.problems)
            );
            packets.push(bad.packet);
        }
        summary.push_str(&end_phrase(&e));
        match f.idle {
            Some(Idle {
                seconds,
                unanswered: Some(u),
                ..
            }) => {
                let _ = write!(
                    summary,
                    ", {} after {}, unanswered",
                    Secs(seconds),
                    u.phrase()
                );
                packets.push(u.packet);
            }
            Some(idle) => {
                // With no frame either way, the spell runs from the connection's first packet.
                let since = match idle.last_frame_packet {
                    Some(_) => "the last frame",
                    None => "the connection's first packet (no frame either way)",
                };
                let _ = write!(summary, ", {} after {since}", Secs(idle.seconds));
                if !idle_timeout_match(idle.seconds).is_empty() {
                    summary.push_str(" (an idle timeout of the peer, a proxy or the ");
                    summary.push_str(e.by.as_str());
                    summary.push_str("?)");
                }
            }
            None => {}
        }
        packets.push(e.packet);
        packets.sort_unstable();
        return Some(Evidence::new(summary, packets));
    }
    let close = f.first_close?;
    let peer = close.from.peer();
    let before = |x: &&Finding| x.from == Some(peer) && x.packet.is_none_or(|p| p <= close.packet);
    let unseen = |what: &str| {
        let why = if f.missing {
            "part of the capture is missing, so it may be there"
        } else {
            DISAGREE
        };
        Evidence {
            summary: format!(
                "no {what} from the {peer} is visible before the close (packet {}): {why}",
                close.packet
            ),
            packets: vec![close.packet],
            consistent: f.missing,
        }
    };
    let listed = |items: Vec<&Finding>| {
        let mut packets: Vec<u64> = items.iter().filter_map(|x| x.packet).collect();
        packets.dedup();
        let mut kinds: Vec<&str> = items.iter().map(|x| x.kind.as_str()).collect();
        kinds.dedup();
        let summary = format!(
            "the {peer} broke the protocol first: {} (packet{} {})",
            kinds.join(", "),
            if packets.len() == 1 { "" } else { "s" },
            packets
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
        Evidence::new(summary, packets)
    };
    match code {
        1002 => {
            let v: Vec<&Finding> = f
                .findings
                .iter()
                .filter(before)
                .filter(|x| x.kind.is_violation() && x.kind != Kind::InvalidUtf8Text)
                .collect();
            Some(if v.is_empty() { unseen("protocol violation") } else { listed(v) })
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
                None => unseen("invalid UTF-8 text or undecodable compressed message"),
                Some(x) => Evidence::new(
                    format!("the {peer}'s message at packet {}: {}", x.packet.unwrap_or(0), x.detail),
                    x.packet.into_iter().collect(),
                ),
            })
        }
        1009 => {
            let sent = *f.sent.of(peer);
            let (what, size, packet) = match (sent.largest_message, sent.largest_frame) {
                (Some((size, packet)), _) => ("message".to_string(), size, packet),
                (None, Some((size, packet, op))) => (format!("frame ({op})"), size, packet),
                (None, None) => return Some(unseen("message")),
            };
            Some(Evidence::new(
                format!(
                    "the largest {what} from the {peer} was {size} bytes (packet {packet}); the {} closed because it is over its limit",
                    close.from
                ),
                vec![packet],
            ))
        }
        1003 => f.sent.of(peer).last_message.map(|(op, size, packet)| Evidence::new(
            format!("the {peer}'s last message before the close was {op} ({size} bytes, packet {packet})"),
            vec![packet],
        )),
        1005 => Some(Evidence::new(
            format!(
                "the {} sent a close frame with no status code (packet {}): close() was called without a code",
                close.from, close.packet
            ),
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
