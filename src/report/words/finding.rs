//! Findings in words: the one place a finding recorded as a value is said.
//!
//! In: a finding's side and what it found ([`Found`]). Out: its `detail` ([`Detail`]: the
//! sentence, with the ranges that quote the wire for `--redact`), made when the stage
//! records it and again when `diagnose` adds to it ([`reword`]); a close frame's problems
//! as a list ([`problem_names`]), the one comma-join of them.

use crate::vocab::{
    CapHit, ControlBytes, H2Lost, H2cSettings, HandshakeProblem, Invalid, Truncated,
};
use crate::vocab::{
    Detail, EndKind, Finding, Found, Gap, GapWhy, NotFramesWhat, Problem, Quoted, Role,
};
use std::fmt::Write as _;

/// The words of what a finding found, `from` the side it is about.
pub fn detail(from: Option<Role>, found: &Found) -> Detail {
    let who = from.map_or("", Role::as_str);
    let said = match found {
        Found::Gap(g) => gap(from, g),
        Found::MalformedClose { problems } => {
            format!("close frame problems: {}", problem_names(problems))
        }
        Found::UnmaskedClientFrame { opcode } => format!(
            "the client sent a {opcode} frame without a mask (RFC 6455 §5.1: a server must close with 1002)"
        ),
        Found::MaskedServerFrame { opcode } => format!(
            "the server sent a masked {opcode} frame (RFC 6455 §5.1: a client must close with 1002)"
        ),
        Found::RsvBitsSet {
            rsv,
            opcode,
            deflate,
        } => format!(
            "RSV bits {rsv:03b} set on a {opcode} frame{} (RFC 6455 §5.2{})",
            if *deflate {
                ""
            } else {
                " with no extension negotiated"
            },
            if *deflate { ", RFC 7692 §6" } else { "" }
        ),
        Found::ReservedOpcode { opcode } => {
            format!("reserved opcode 0x{:X} (RFC 6455 §5.2)", opcode.0)
        }
        Found::NonMinimalLength { length } => format!(
            "payload length {length} written in a longer form than needed (RFC 6455 §5.2)"
        ),
        Found::LengthTopBitSet { length } => format!(
            "64-bit payload length {length} has its top bit set (RFC 6455 §5.2); the payload is skipped, not buffered"
        ),
        Found::ControlFrameTooLong { opcode, length } => format!(
            "{opcode} frame with a {length}-byte payload; control frames carry at most 125 (RFC 6455 §5.5)"
        ),
        Found::FragmentedControlFrame { opcode } => format!(
            "{opcode} frame without FIN: control frames must not be fragmented (RFC 6455 §5.5)"
        ),
        Found::ContinuationWithoutStart => {
            "continuation frame with no message in progress (RFC 6455 §5.4)".to_string()
        }
        Found::DataFrameInsideFragmentedMessage { opcode, open } => format!(
            "a new {opcode} frame started while a fragmented {open} message was still open (RFC 6455 §5.4)"
        ),
        Found::FrameAfterClose { opcode } => format!(
            "a {opcode} frame was sent after this side's close frame (RFC 6455 §5.5.1)"
        ),
        Found::InvalidUtf8Text {
            inflated,
            at,
            ends_inside,
        } => {
            if *ends_inside {
                format!("text message ends inside a UTF-8 sequence at message byte {at} (RFC 6455 §8.1)")
            } else {
                let what = if *inflated {
                    "inflated text message"
                } else {
                    "text message"
                };
                format!("{what} is not valid UTF-8 at message byte {at} (RFC 6455 §8.1: the receiver must close with 1007)")
            }
        }
        Found::InflateFailed { why } => return Detail::default()
            .say("a compressed message does not inflate (")
            .quote(Quoted::Text, why)
            .say("); RFC 7692 §8: the receiver must fail the connection (libraries close with 1007 or 1002). Later messages of this direction are not inflated"),
        Found::InflateCapHit { cap } => format!(
            "a compressed message inflates past {} MiB; inflating stopped there (a decompression bomb, or a very large message). Later messages of this direction are not inflated",
            cap >> 20
        ),
        Found::InflateStopped => "part of a compressed message is missing, and the sender keeps its compression window between messages: later messages of this direction cannot be inflated".to_string(),
        Found::TruncatedMessage(t) => truncated(who, *t),
        Found::OutOfSync { len, offset } => format!(
            "{len} bytes at stream offset {offset} are missing from the capture where a frame header was expected; \
             nothing after it in this direction is decoded (no frame or close code is guessed)"
        ),
        Found::NotFrames {
            after_close,
            what,
            status_line,
            first_bytes,
        } => return not_frames(who, *after_close, *what, status_line.as_deref(), first_bytes.as_deref()),
        Found::Ignored {
            after_fin,
            segments,
        } => {
            let what = if *after_fin {
                "carried data after its FIN (RFC 9293 §3.10.7.4); it was not decoded"
            } else {
                "started more than 1 GiB past the bytes delivered so far (a corrupt or forged sequence number); they were ignored, not held"
            };
            format!("{segments} segments from the {who} {what}")
        }
        Found::InconsistentRetransmission { segments } => format!(
            "{segments} retransmitted segments carried bytes different from the first copy (the first copy was kept)"
        ),
        Found::BufferCapHit(CapHit::OutOfOrder) => "the out-of-order buffer of one direction reached its cap; the oldest hole was declared a gap".to_string(),
        Found::BufferCapHit(CapHit::H2cHeld { max }) => format!("the {who} sent more than {max} bytes after its Upgrade: h2c request before the answer came (RFC 7540 §3.2 allows only its body): nothing past them is read"),
        Found::BufferCapHit(CapHit::Budget) => "the analysis reached its memory budget (--max-memory): the out-of-order bytes this connection held were handed on past the holes before them, which were declared gaps".to_string(),
        Found::CapturedCopies {
            packets,
            copied,
            copies,
            interfaces,
            by_index,
        } => captured_copies(*packets, *copied, *copies, interfaces, *by_index),
        Found::HandshakeInvalid(Invalid::NotOffered {
            protocol,
            value,
            offered,
        }) => return not_offered(*protocol, value, offered.as_deref()),
        Found::HandshakeInvalid(i) => return invalid(i),
        Found::AcceptMismatch => "Sec-WebSocket-Accept does not match the client's Sec-WebSocket-Key (RFC 6455 §4.2.2); a conforming client fails the connection".to_string(),
        Found::UpgradeRefused {
            status,
            reason,
            stream,
        } => match stream {
            Some(stream) => format!("the server answered the extended CONNECT of stream {stream} with :status {status}"),
            None => {
                return Detail::default()
                    .say(&format!("the server answered the upgrade with HTTP {status} "))
                    .quote(Quoted::Text, reason.as_deref().unwrap_or(""))
            }
        },
        Found::HandshakeNotCaptured => "the capture starts after the WebSocket handshake: the connection was found by its frames, extensions are unknown (RSV1 is accepted on data frames)".to_string(),
        Found::HandshakeCut { h2c, snap } => {
            let how = if *snap {
                "cut by the capture's snap length"
            } else {
                "partly missing from the capture"
            };
            if *h2c {
                format!("the answer to the client's Upgrade: h2c request is {how} before its status: whether the connection went on in HTTP/2 is unknown, and nothing after it is read")
            } else {
                format!("the WebSocket handshake was {how}: the connection was found by its frames after it; path, headers and extensions are unknown as far as they were cut (RSV1 is accepted on data frames)")
            }
        }
        Found::H2Lost(l) => h2_lost(from, who, l),
        Found::TlsAlert {
            fatal,
            description,
            name,
        } => format!(
            "the {who} sent a {} TLS alert: {name} ({description}){}",
            if *fatal { "fatal" } else { "warning" },
            if *fatal {
                "; the TLS connection ends there, and a browser's WebSocket sees 1006"
            } else {
                ""
            }
        ),
        Found::TlsStopped { why } => super::tls::stopped(from.unwrap_or(Role::Client), why),
        Found::LiveDrop => "packets were lost from the live capture while this connection was open \
             (seen.live_drops): its report may be missing a close frame or its TCP ending"
            .to_string(),
    };
    Detail::default().say(&said)
}

/// An upgrade that breaks a rule, the values it quotes from the wire quoted for `--redact`.
fn invalid(i: &Invalid) -> Detail {
    let said = match i {
        Invalid::Rule { response, problem } => {
            let rfc = if *response {
                "RFC 6455 §4.2.2"
            } else {
                "RFC 6455 §4.1"
            };
            return handshake_problem(problem).say(&format!(" ({rfc})"));
        }
        Invalid::ConnectNotEnabled { stream, turned_off } => format!(
            "the client opened a WebSocket on stream {stream} with an extended CONNECT, but the server's SETTINGS {} SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3): a conforming server refuses it",
            if *turned_off { "turned off" } else { "did not carry" }
        ),
        Invalid::NoStatus { stream } => format!(
            "the server's answer on stream {stream} has no valid :status (RFC 9113 §8.3.2)"
        ),
        Invalid::ControlBytes { response, bytes } => {
            let whose = if *response { "response" } else { "request" };
            return control_bytes(Detail::default().say(&format!("the {whose}'s ")), bytes);
        }
        Invalid::NotOffered { protocol, value, offered } => {
            return not_offered(*protocol, value, offered.as_deref())
        }
        Invalid::H2cSettings {
            switched_at,
            problem,
        } => {
            let d = Detail::default().say(&format!(
                "the server switched to HTTP/2 at packet {switched_at}, but "
            ));
            let d = match problem {
                H2cSettings::Missing => d.say("the request has no HTTP2-Settings field"),
                H2cSettings::NotBase64(v) => d
                    .say("its HTTP2-Settings field is not base64url: ")
                    .quote(Quoted::Text, &format!("{v:?}")),
                H2cSettings::NotSettings(b) => d.say(&format!(
                    "its HTTP2-Settings field is not a SETTINGS payload: {}",
                    super::h2::broke(b)
                )),
            };
            return d.say(" (RFC 7540 §3.2.1: a server must not upgrade then)");
        }
    };
    Detail::default().say(&said)
}

/// Header lines that hold control bytes, after "the request's " or "the response's "
/// (`d`): their names as sent quoted for `--redact`.
pub fn control_bytes(d: Detail, c: &ControlBytes) -> Detail {
    let (which, holds) = if c.headers.len() as u64 + c.more == 1 {
        ("header", "holds")
    } else {
        ("headers", "hold")
    };
    let mut d = d.say(which).say(" ");
    for (i, h) in c.headers.iter().enumerate() {
        let bytes: Vec<String> = h.bytes.iter().map(|b| format!("0x{b:02x}")).collect();
        let part = if h.in_name { "name" } else { "value" };
        if i > 0 {
            d = d.say(", ");
        }
        d = d
            .quote(Quoted::Text, &h.name)
            .say(&format!(" ({} in its {part})", bytes.join(", ")));
    }
    if c.more > 0 {
        d = d.say(&format!(" and {} more", c.more));
    }
    d.say(&format!(
        " {holds} a control byte, which RFC 9110 (§5.1, §5.5) allows in a header line only as HTAB in a value: read leniently, the bytes kept as sent"
    ))
}

/// A 101's extension (`protocol` false) or subprotocol the client did not offer: the
/// values quoted for `--redact` to treat (a subprotocol may be a credential; an extension
/// is no secret, and is said as it is).
fn not_offered(protocol: bool, value: &str, offered: Option<&str>) -> Detail {
    let quote = |d: Detail, text: &str| {
        if protocol {
            d.quote(Quoted::Subprotocols, text)
        } else {
            d.say(text)
        }
    };
    let what = if protocol {
        "Sec-WebSocket-Protocol"
    } else {
        "Sec-WebSocket-Extensions"
    };
    let d = quote(
        Detail::default().say(&format!("the 101 response's {what} \"")),
        value,
    )
    .say("\" was not offered by the client (");
    match offered {
        Some(l) => quote(d.say("it offered \""), l).say("\""),
        None => d.say("it offered none"),
    }
    .say("); a conforming client fails the connection (RFC 6455 §4.1)")
}

/// A rule of RFC 6455 §4 an upgrade breaks, in words, a value it quotes quoted for
/// `--redact`.
pub fn handshake_problem(p: &HandshakeProblem) -> Detail {
    let said = match p {
        HandshakeProblem::Http10 => {
            "the request is HTTP/1.0; the upgrade needs HTTP/1.1 or later".to_string()
        }
        HandshakeProblem::RequestConnection => {
            "the Connection header does not list \"Upgrade\"".to_string()
        }
        HandshakeProblem::KeyMissing => "Sec-WebSocket-Key is missing".to_string(),
        HandshakeProblem::KeyNot16(k) => {
            return Detail::default()
                .say("Sec-WebSocket-Key \"")
                .quote(Quoted::Text, k)
                .say("\" is not 16 bytes in base64")
        }
        HandshakeProblem::VersionMissing => "Sec-WebSocket-Version is missing".to_string(),
        HandshakeProblem::Version(v) => {
            return Detail::default()
                .say("Sec-WebSocket-Version is ")
                .quote(Quoted::Text, v)
                .say("; RFC 6455 requires 13")
        }
        HandshakeProblem::ResponseUpgrade => {
            "the 101 response lacks \"Upgrade: websocket\"".to_string()
        }
        HandshakeProblem::ResponseConnection => {
            "the 101 response's Connection header does not list \"Upgrade\"".to_string()
        }
        HandshakeProblem::NoAccept => "the 101 response has no Sec-WebSocket-Accept".to_string(),
    };
    Detail::default().say(&said)
}

/// HTTP/2 that could not be followed, on side `who`'s part.
fn h2_lost(from: Option<Role>, who: &str, l: &H2Lost) -> String {
    let at = |lost_at: Option<u64>| {
        lost_at
            .map(|p| format!(" at packet {p}"))
            .unwrap_or_default()
    };
    match *l {
        H2Lost::Stopped(ref s) => super::h2::stopped(from.unwrap_or(Role::Client), s),
        H2Lost::TooManyStreams { max, stream } => format!("more than {max} WebSockets on one HTTP/2 connection: stream {stream} and those after it are not reported"),
        H2Lost::AnswerUnread { stream, lost_at } => format!("the server's answer on stream {stream} cannot be read: its HPACK state was lost{}; the frames that follow are decoded with the extensions unknown", at(lost_at)),
        H2Lost::RequestUnread { stream, lost_at } => format!("the request opening stream {stream} cannot be read: the client's HPACK state was lost{}; if it or a later stream was a WebSocket, it is not in this report", at(lost_at)),
        H2Lost::Goaways { max } => format!("more than {max} GOAWAY frames from the {who}: this one and those after it are counted, not applied to the streams"),
    }
}

/// A message that never arrived whole, of side `who`.
fn truncated(who: &str, t: Truncated) -> String {
    match t {
        Truncated::Payload { len, opcode } => format!(
            "{len} bytes of a {opcode} frame's payload are not in the capture; the frame is marked truncated and decoding stays in sync"
        ),
        Truncated::StreamStops => format!("the {who}'s stream stops in the middle of a frame or fragmented message: that message never arrived whole"),
        Truncated::Ended(how) => {
            let how = match how {
                EndKind::Rst => "reset TCP (RST)",
                _ => "closed TCP (FIN)",
            };
            format!("the {who} {how} in the middle of a frame or fragmented message: that message never arrived whole")
        }
    }
}

/// A side's bytes that are no frames, with the quotes of the wire `--redact` treats: a
/// status line's words, or the first bytes (the application's payload).
fn not_frames(
    side: &str,
    after_close: bool,
    what: NotFramesWhat,
    status_line: Option<&str>,
    first_bytes: Option<&str>,
) -> Detail {
    let lead = if after_close {
        format!("the {side}'s bytes after its close frame are no frames (RFC 6455 §5.5.1: nothing follows a close frame): ")
    } else {
        format!("the {side}'s stream holds ")
    };
    let detail = Detail::default().say(&lead);
    match (status_line, after_close) {
        (Some(line), true) => detail
            .say(&format!("{}, \"", what.phrase()))
            .quote(Quoted::StatusLine, line)
            .say("\""),
        (Some(line), false) => detail
            .say(&format!("{}, \"", what.phrase()))
            .quote(Quoted::StatusLine, line)
            .say("\", where a WebSocket frame was expected: its framework answered the upgraded connection over HTTP"),
        (None, _) => detail
            .say(&format!("{}; first bytes: \"", what.phrase()))
            .quote(Quoted::Payload, first_bytes.unwrap_or_default())
            .say("\""),
    }
    .say("; not decoded as frames")
}

/// Packets captured more than once: how many, on which interfaces.
fn captured_copies(
    packets: u64,
    copied: u64,
    copies: u64,
    interfaces: &[String],
    by_index: bool,
) -> String {
    let mut note = if copied == packets && packets > 0 && copies.is_multiple_of(packets) {
        format!("each packet was captured {} times", 1 + copies / packets)
    } else if copies == copied {
        format!("{copied} of {packets} packets were captured twice")
    } else {
        format!("{copied} of {packets} packets were captured more than once ({copies} copies)")
    };
    if !interfaces.is_empty() {
        let _ = write!(
            note,
            ", on interface{} {}{}",
            if interfaces.len() == 1 { "" } else { "s" },
            interfaces.join(", "),
            if by_index { " (by index)" } else { "" }
        );
    }
    note.push_str("; each is counted once, not as a retransmission");
    note
}

/// A finding of what was `found`, `from` a side, in `packet`, with its words.
pub fn finding(from: Option<Role>, packet: Option<u64>, found: Found) -> Finding {
    let words = detail(from, &found);
    Finding::found(from, packet, found, words)
}

/// `f`'s detail made again from what it found (after `diagnose` added to it); a finding
/// that holds no value keeps its words.
pub fn reword(f: &mut Finding) {
    if let Some(found) = &f.found {
        let d = detail(f.from, found);
        f.detail = d.text;
        f.quotes = d.quotes;
    }
}

/// A close frame's problems, comma-separated ("too-long, reason-not-utf8").
pub fn problem_names(problems: &[Problem]) -> String {
    let names: Vec<&str> = problems.iter().map(|p| p.as_str()).collect();
    names.join(", ")
}

/// A gap's note: how many bytes of whose stream, where, and why they are missing.
fn gap(from: Option<Role>, g: &Gap) -> String {
    let Gap { len, offset, why } = *g;
    let from = from.map_or("", Role::as_str);
    let lead = format!("{len} bytes of the {from}'s stream at offset {offset}");
    match why {
        GapWhy::SnapLength => format!(
            "{lead} are not in the capture (cut off by the capture's snap length); nothing is guessed across them"
        ),
        GapWhy::NotCaptured => format!(
            "{lead} are not in the capture ({NOT_CAPTURED}); nothing is guessed across them"
        ),
        GapWhy::NeverReached {
            peer,
            later,
            sacked,
            black_hole,
        } => {
            // Its SACK blocks held the later bytes (RFC 2018 §4): the sure sign.
            let sacked = sacked
                .map(|p| format!(", its SACK blocks holding later bytes (packet {p})"))
                .unwrap_or_default();
            if black_hole {
                format!("{lead} never reached the {peer}: its acknowledgements stayed at their start (the path MTU black hole of the cause){sacked}, so no capture on its side holds them; nothing is guessed across them")
            } else {
                format!("{lead} never reached the {peer}: its acknowledgements stayed at their start while the {from}'s later segment (packet {later}) arrived{sacked}, so they were lost on the path, not by the capture, and no capture on the {peer}'s side holds them; nothing is guessed across them")
            }
        }
    }
}

/// Why a gap's bytes are missing when nothing in the capture explains them.
const NOT_CAPTURED: &str = "dropped or cut by the snaplen";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_says_its_bytes_and_why() {
        let g = |why| {
            Found::Gap(Gap {
                len: 120,
                offset: 300,
                why,
            })
        };
        let said = |why| detail(Some(Role::Server), &g(why)).text;
        assert_eq!(
            said(GapWhy::NotCaptured),
            "120 bytes of the server's stream at offset 300 are not in the capture (dropped or cut by the snaplen); nothing is guessed across them"
        );
        assert!(said(GapWhy::SnapLength).contains("(cut off by the capture's snap length)"));
        let lost = said(GapWhy::NeverReached {
            peer: Role::Client,
            later: 9,
            sacked: Some(11),
            black_hole: false,
        });
        assert!(lost.starts_with(
            "120 bytes of the server's stream at offset 300 never reached the client: "
        ));
        assert!(lost.contains(
            "later segment (packet 9) arrived, its SACK blocks holding later bytes (packet 11)"
        ));
    }

    #[test]
    fn a_malformed_close_lists_its_problems() {
        let f = Found::MalformedClose {
            problems: vec![Problem::TooLong, Problem::ReasonNotUtf8],
        };
        assert_eq!(
            detail(Some(Role::Client), &f).text,
            "close frame problems: too-long, reason-not-utf8"
        );
    }
}
