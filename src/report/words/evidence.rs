//! Evidence lines in words: each part of a status's evidence (`report::evidence`) that
//! `diagnose::evidence` and `diagnose::diagnosis` draw from the capture, said here from
//! its fields.
//!
//! In: the facts of a part (sides, packets, sizes, the ending, a quiet spell, the findings
//! before a close). Out: its words, with the joint that links it to the part before it
//! where it has one ("; then ...", "...; ").

use super::phrases::{end_phrase, StreamFrames};
use crate::report::cause::{End, Ending};
use crate::units::Secs;
use crate::vocab::{CloseFrame, Finding, Kind, NotSeen, Opcode, ResponseFault, Role};
use crate::vocab::{Unanswered, Unseen};
use std::fmt::Write as _;

/// The quiet spell before a 1006's ending, as its evidence says it.
#[derive(Debug, Clone, Copy)]
pub struct Quiet {
    /// Its seconds.
    pub seconds: f64,
    /// The message it left unanswered, if any.
    pub unanswered: Option<Unanswered>,
    /// It runs from the last frame (otherwise from the connection's first packet: no
    /// frame either way).
    pub since_frame: bool,
    /// It matches a known idle timeout.
    pub timeout_like: bool,
}

/// A 1006's evidence: a close frame its receiver refused before the ending (it leads), how
/// the ending came (`end`), and the quiet spell before it.
pub fn ended(refused: Option<&CloseFrame>, end: &End, quiet: Option<Quiet>) -> String {
    let mut s = String::new();
    if let Some(bad) = refused {
        let _ = write!(
            s,
            "the {}'s close frame (packet {}) could not be accepted ({}); then ",
            bad.from,
            bad.packet,
            super::finding::problem_names(&bad.problems)
        );
    }
    s.push_str(&end_phrase(end));
    match quiet {
        Some(Quiet {
            seconds,
            unanswered: Some(u),
            ..
        }) => {
            let _ = write!(s, ", {} after {}, unanswered", Secs(seconds), u.phrase());
        }
        Some(q) => {
            let since = if q.since_frame {
                "the last frame"
            } else {
                "the connection's first packet (no frame either way)"
            };
            let _ = write!(s, ", {} after {since}", Secs(q.seconds));
            if q.timeout_like {
                let _ = write!(
                    s,
                    " (an idle timeout of the peer, a proxy or the {}?)",
                    end.by
                );
            }
        }
        None => {}
    }
    s
}

/// What a close code names, not visible before the close frame (packet `packet`) from
/// `peer`, and why.
pub fn unseen(what: Unseen, peer: Role, packet: u64, why: &NotSeen) -> String {
    let what = match what {
        Unseen::Violation => "protocol violation",
        Unseen::BadText => "invalid UTF-8 text or undecodable compressed message",
        Unseen::Message => "message",
    };
    let why = match why {
        NotSeen::Missing => "part of the capture is missing, so it may be there".to_string(),
        NotSeen::Disagree => "the code and the capture disagree".to_string(),
        NotSeen::Application {
            from,
            protocol,
            cause,
        } => format!(
            "the {from}'s 1002 is about {protocol}, not WebSocket framing ({protocol}: {cause})"
        ),
    };
    format!("no {what} from the {peer} is visible before the close (packet {packet}): {why}")
}

/// The findings of `peer` that broke the protocol before a close: their kinds and packets.
pub fn broke(peer: Role, kinds: &[Kind], packets: &[u64]) -> String {
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    let list: Vec<String> = packets.iter().map(u64::to_string).collect();
    format!(
        "the {peer} broke the protocol first: {} (packet{} {})",
        kinds.join(", "),
        if packets.len() == 1 { "" } else { "s" },
        list.join(", ")
    )
}

/// The message of `peer` a 1007 answered: its finding.
pub fn bad_message(peer: Role, f: &Finding) -> String {
    format!(
        "the {peer}'s message at packet {}: {}",
        f.packet.unwrap_or(0),
        f.detail
    )
}

/// The largest message (or, with none whole, frame of opcode `frame`) of `peer`, `size`
/// bytes at `packet`, over the limit of the side that closed.
pub fn largest(peer: Role, frame: Option<Opcode>, size: u64, packet: u64, closer: Role) -> String {
    let what = match frame {
        None => "message".to_string(),
        Some(op) => format!("frame ({op})"),
    };
    format!("the largest {what} from the {peer} was {size} bytes (packet {packet}); the {closer} closed because it is over its limit")
}

/// The last message of `peer` before a 1003.
pub fn last_message(peer: Role, op: Opcode, size: u64, packet: u64) -> String {
    format!("the {peer}'s last message before the close was {op} ({size} bytes, packet {packet})")
}

/// A close frame of `from` with no code (1005).
pub fn no_code(from: Role, packet: u64) -> String {
    format!("the {from} sent a close frame with no status code (packet {packet}): close() was called without a code")
}

/// A CONNECT the proxy refused: the request and the answer.
pub fn tunnel_refused(request: u64, status: u16, packet: u64) -> String {
    format!("the CONNECT (packet {request}) and the proxy's HTTP {status} answer (packet {packet})")
}

/// The server's 101 whose Sec-WebSocket-Accept is wrong, leading the line.
pub fn accept_mismatch(packet: u64) -> String {
    format!("the server's 101 (packet {packet}) has a Sec-WebSocket-Accept that does not match the client's key, on which a conforming client fails the connection; ")
}

/// The server's 101 with a fault, leading the line.
pub fn handshake_fault(fault: ResponseFault, packet: u64) -> String {
    format!(
        "the server's 101 (packet {packet}) {}, on which a conforming client fails the connection; ",
        super::fault_words(fault)
    )
}

/// The other frames that ended (or announced the end of) HTTP/2 stream `stream`.
pub fn stream_frames(stream: u32, endings: &[Ending]) -> String {
    format!("; on {}", StreamFrames(stream, endings))
}

/// A side that reset TCP after its own FIN.
pub fn rst_after_fin(by: Role, packet: u64) -> String {
    format!("; then the {by} reset TCP (RST, packet {packet})")
}

/// The TCP ending that answered a close_notify.
pub fn then_end(end: &End) -> String {
    format!("; then {}", end_phrase(end))
}

/// The peer's message an ending came right after.
pub fn right_after(from: Role, packet: u64) -> String {
    format!("; right after the {from}'s message (packet {packet})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unseen_violation_says_why() {
        let said = |why| unseen(Unseen::Violation, Role::Server, 7, &why);
        assert_eq!(
            said(NotSeen::Disagree),
            "no protocol violation from the server is visible before the close (packet 7): the code and the capture disagree"
        );
        assert!(said(NotSeen::Application {
            from: Role::Server,
            protocol: "MQTT".into(),
            cause: "login refused".into(),
        })
        .ends_with(
            ": the server's 1002 is about MQTT, not WebSocket framing (MQTT: login refused)"
        ));
    }

    #[test]
    fn broke_lists_kinds_and_packets() {
        assert_eq!(
            broke(Role::Client, &[Kind::RsvBitsSet], &[4, 9]),
            "the client broke the protocol first: rsv-bits-set (packets 4, 9)"
        );
    }
}
