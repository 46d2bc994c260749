//! The application decoders (`wsclose::app::Tracker`), fed WebSocket messages directly.
//!
//! `app_mqtt`: MQTT over WebSocket is a byte stream (MQTT 3.1.1 and 5.0 §6: a message may
//! carry several control packets or part of one). The input is a list of segments, each a
//! side's bytes as one packet of the capture (one packet number, one time); each is fed once
//! as one binary message and once cut into several messages at the input's cut points, all
//! with that packet's number and time (a TCP segment may carry several WebSocket messages).
//! Checked: no panic; under each ending, the same report (side, cause, summary, fix,
//! evidence, version, identities, heartbeat) whatever the cuts: only the counts of
//! WebSocket messages (read, undecodable) may differ.
//!
//! `app_json`: hostile JSON through every JSON protocol (socket.io, graphql-ws and
//! graphql-transport-ws, SignalR, Phoenix, Action Cable, OCPP, WAMP, SockJS): the input is
//! cut into messages, each one of them may be wrapped in nesting 1 000 deep, given a number of 400
//! digits or a string of 4 000 bytes, or made invalid UTF-8. Checked: no panic; the work
//! and memory stay bounded (reading a message takes at most 1 MiB at its peak, and the
//! decoder holds at most 64 KiB more after it than before, whatever its length); a cause that quotes the peer's text is
//! quoted as its words (`kind "text"`, at most 60 characters), never a bare label made of
//! wire text the tool did not conclude; the summary is at most 2 000 bytes.

use crate::mem;
use wsclose::vocab::{Timestamp, Role};
use wsclose::app::{Ending, Message, Tracker, TransportEnd, KEEP};
use wsclose::vocab::ApplicationReport;

/// A side's bytes that one packet of the capture carried, with the cuts into messages.
#[derive(Debug, Clone)]
pub struct Segment<'a> {
    pub from: Role,
    pub bytes: &'a [u8],
    /// Where the bytes are cut into messages (offsets, sorted, within the bytes).
    pub cuts: Vec<usize>,
    pub packet: u64,
    pub ts: Timestamp,
}

/// Reads `app_mqtt`'s input: byte 0 flags (bit 0: subprotocol `mqttv5` rather than
/// `mqtt`); then segments `[head][len][bytes][n][n cut bytes]`, where head bit 7 says the
/// broker sent it and bits 0-6 are the time since the last segment in 100 ms steps, len is
/// the number of bytes (0-255), and each cut byte an offset (mod len + 1).
pub fn segments(data: &[u8]) -> (u8, Vec<Segment<'_>>) {
    let flags = data.first().copied().unwrap_or(0);
    let mut rest = data.get(1..).unwrap_or_default();
    let mut out = Vec::new();
    let (mut packet, mut ms) = (4u64, 0i64);
    while let [head, len, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        let (bytes, tail) = tail.split_at(len);
        let (n, tail) = match tail.split_first() {
            Some((n, t)) => (usize::from(*n % 8).min(t.len()), t),
            None => (0, tail),
        };
        let (cut_bytes, tail) = tail.split_at(n);
        let mut cuts: Vec<usize> = cut_bytes
            .iter()
            .map(|&c| usize::from(c) % (len + 1))
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        packet += 1;
        ms += i64::from(head & 0x7f) * 100;
        out.push(Segment {
            from: if head & 0x80 != 0 {
                Role::Server
            } else {
                Role::Client
            },
            bytes,
            cuts,
            packet,
            ts: Timestamp(ms * 1_000_000),
        });
        rest = tail;
    }
    (flags, out)
}

/// The endings a verdict is asked under, after the last packet `p` at `ms`: none, the
/// broker's FIN right away, the client's close frame, and the broker's FIN after a long
/// quiet spell (for the keep alive timeout).
pub fn endings(p: u64, ms: i64) -> Vec<Ending> {
    let t = |ms: i64| Timestamp(ms * 1_000_000);
    vec![
        Ending::default(),
        Ending {
            close: None,
            transport: Some(TransportEnd::tcp(Role::Server, false, p + 1, t(ms + 1))),
            last_ts: Some(t(ms + 1)),
        },
        Ending {
            close: Some((Role::Client, Some(1000), String::new(), p + 1, t(ms + 5))),
            transport: Some(TransportEnd::tcp(Role::Client, false, p + 2, t(ms + 6))),
            last_ts: Some(t(ms + 6)),
        },
        Ending {
            close: None,
            transport: Some(TransportEnd::tcp(
                Role::Server,
                true,
                p + 1,
                t(ms + 400_000),
            )),
            last_ts: Some(t(ms + 400_000)),
        },
    ]
}

/// Feeds `segs` to a tracker of subprotocol `sp`, each segment one message (`split`
/// false) or cut at its cut points; the reports under each of [`endings`].
pub fn mqtt_reports(sp: &str, segs: &[Segment<'_>], split: bool) -> Vec<Option<ApplicationReport>> {
    let mut t = Tracker::new(Some(sp), None);
    for s in segs {
        let mut parts = Vec::new();
        if split {
            let mut at = 0;
            for &c in s.cuts.iter().chain(std::iter::once(&s.bytes.len())) {
                parts.push(s.bytes.get(at..c).unwrap_or_default());
                at = c;
            }
        } else {
            parts.push(s.bytes);
        }
        for part in parts {
            t.message(&Message {
                from: s.from,
                text: false,
                bytes: part,
                len: part.len() as u64,
                damaged: false,
                packet: s.packet,
                ts: s.ts,
            });
        }
    }
    let (p, ms) = segs
        .last()
        .map_or((4, 0), |s| (s.packet, s.ts.0 / 1_000_000));
    endings(p, ms).iter().map(|e| worded(&t, e)).collect()
}

/// What must not depend on how the bytes were cut into messages.
fn verdict(r: &Option<ApplicationReport>) -> Option<ApplicationReport> {
    r.clone().map(|mut r| {
        r.messages = 0;
        r.undecodable = 0;
        r
    })
}

/// The `app_mqtt` target's body.
pub fn app_mqtt(data: &[u8]) {
    let (flags, segs) = segments(data);
    let sp = if flags & 1 == 0 { "mqtt" } else { "mqttv5" };
    let whole = mqtt_reports(sp, &segs, false);
    let cut = mqtt_reports(sp, &segs, true);
    for (i, (a, b)) in whole.iter().zip(&cut).enumerate() {
        assert!(a.is_some() && b.is_some(), "an MQTT session reports");
        assert_eq!(
            verdict(a),
            verdict(b),
            "ending {i}: the report depends on how the bytes were cut into messages"
        );
    }
}

/// The JSON protocols, as a session names them: (subprotocol, request target).
pub const JSON_SESSIONS: [(Option<&str>, Option<&str>); 11] = [
    (None, Some("/socket.io/?EIO=4&transport=websocket")),
    (None, Some("/socket.io/?EIO=3&transport=websocket")),
    (Some("graphql-transport-ws"), None),
    (Some("graphql-ws"), None),
    (None, Some("/hub?id=x")),
    (None, Some("/socket/websocket?vsn=2.0.0")),
    (None, Some("/socket/websocket?vsn=1.0.0")),
    (Some("actioncable-v1-json"), None),
    (Some("ocpp1.6"), None),
    (Some("wamp.2.json"), None),
    (None, Some("/echo/123/a1b2c3d4/websocket")),
];

/// Makes one message hostile as `how` says: nested 1 000 deep, a 400-digit number, a
/// 4 000-byte string (of the message's own bytes), invalid UTF-8 after it, or as it is.
pub fn hostile(msg: &[u8], how: u8) -> Vec<u8> {
    match how % 6 {
        0 => {
            let mut v = vec![b'['; 1000];
            v.extend_from_slice(msg);
            v.extend(std::iter::repeat_n(b']', 1000));
            v
        }
        1 => {
            let mut v = msg.to_vec();
            let at = msg
                .iter()
                .position(|&b| b == b':' || b == b',')
                .map_or(msg.len(), |p| p + 1);
            let digits: Vec<u8> = std::iter::once(b'-')
                .chain((0..400).map(|i| b'1' + (i % 9) as u8))
                .chain(*b"e999999")
                .collect();
            v.splice(at..at, digits);
            v
        }
        2 => {
            let mut v = msg.to_vec();
            let at = msg
                .iter()
                .position(|&b| b == b'"')
                .map_or(msg.len(), |p| p + 1);
            let fill: Vec<u8> = (0..4000)
                .map(|i| msg.get(i % msg.len().max(1)).copied().unwrap_or(b'x'))
                .filter(|&b| b != b'"' && b != b'\\')
                .collect();
            v.splice(at..at, fill);
            v
        }
        3 => {
            let mut v = msg.to_vec();
            v.extend_from_slice(b"\xff\xfe\xc0\x80\xed\xa0\x80");
            v
        }
        4 => {
            // A string with escapes that decode to a lone surrogate and control characters.
            let mut v = msg.to_vec();
            let at = msg
                .iter()
                .position(|&b| b == b'"')
                .map_or(msg.len(), |p| p + 1);
            v.splice(at..at, b"\\ud800\\u0000\\u001b[31m".iter().copied());
            v
        }
        _ => msg.to_vec(),
    }
}

/// Whether `label` is a cause the tool could have concluded: a label of the protocols'
/// own words (no wire text), or the peer's words quoted as such (`kind "text"`, at most
/// 60 characters of it, "…" after a longer one).
pub fn label_is_concluded_or_quoted(label: &str) -> bool {
    match label.split_once(" \"") {
        Some((kind, rest)) => {
            let Some(text) = rest.strip_suffix('"') else {
                return false;
            };
            let shown = text.strip_suffix('…').unwrap_or(text);
            !kind.contains('"') && shown.chars().count() <= 60
        }
        // A label with no quote is the protocol's own words: short, and plain.
        None => {
            label.len() <= 80
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || " :-_./()'".contains(c))
        }
    }
}

/// The `app_json` target's body: byte 0 picks the protocol and the ending, byte 1 the
/// side of the first message (each next message alternates unless its own byte says
/// otherwise); then messages `[how][len][bytes]` (len 0-255), each made hostile by `how`.
pub fn app_json(data: &[u8]) {
    app_messages(data, &JSON_SESSIONS);
}

/// WAMP's subprotocols, one per serialization (`app_wamp`).
pub const WAMP_SESSIONS: [(Option<&str>, Option<&str>); 6] = [
    (Some("wamp.2.json"), None),
    (Some("wamp.2.json.batched"), None),
    (Some("wamp.2.msgpack"), None),
    (Some("wamp.2.msgpack.batched"), None),
    (Some("wamp.2.cbor"), None),
    (Some("wamp.2.cbor.batched"), None),
];

/// The `app_wamp` target's body: as `app_json`'s (the same input, hostile changes and
/// checks), byte 0 picking one of WAMP's serializations: the MessagePack and CBOR readers
/// (`app::wamp::codec`) fed declared lengths and nesting beyond the bytes there.
pub fn app_wamp(data: &[u8]) {
    app_messages(data, &WAMP_SESSIONS);
}

/// The body of `app_json` and `app_wamp`, for a protocol of `sessions`.
fn app_messages(data: &[u8], sessions: &[(Option<&str>, Option<&str>)]) {
    let [pick, _, rest @ ..] = data else {
        return;
    };
    let (sp, target) = sessions
        .get(usize::from(*pick) % sessions.len())
        .copied()
        .unwrap_or_default();
    let mut t = Tracker::new(sp, target);
    let (mut packet, mut ms) = (4u64, 0i64);
    let mut rest = rest;
    let mut client = data.get(1).is_some_and(|b| b & 1 == 0);
    while let [how, len, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        let (msg, tail) = tail.split_at(len);
        rest = tail;
        let msg = hostile(msg, *how);
        if how & 0x40 != 0 {
            client = !client;
        }
        packet += 1;
        ms += i64::from(how >> 3 & 7) * 250;
        let kept = msg.get(..KEEP.min(msg.len())).unwrap_or_default();
        let before = mem::live();
        let ((), peak) = mem::peak_during(|| {
            t.message(&Message {
                from: if client { Role::Client } else { Role::Server },
                text: how & 0x80 == 0,
                bytes: kept,
                len: msg.len() as u64,
                damaged: false,
                packet,
                ts: Timestamp(ms * 1_000_000),
            })
        });
        let grew = (mem::live() - before).max(0);
        assert!(
            grew <= 64 << 10,
            "a message of {} bytes left {grew} bytes held",
            msg.len()
        );
        assert!(
            peak <= 1 << 20,
            "a message of {} bytes took {peak} bytes to read",
            msg.len()
        );
        client = !client;
    }
    let ends = endings(packet, ms);
    let end = &ends[usize::from(*pick / 16) % ends.len()];
    let Some(r) = worded(&t, end) else {
        return;
    };
    if let Some(cause) = &r.cause {
        assert!(
            label_is_concluded_or_quoted(cause),
            "a cause made of wire text the tool did not conclude: {cause:?}"
        );
    }
    if let Some(s) = &r.summary {
        assert!(s.len() <= 2000, "a summary of {} bytes", s.len());
    }
    assert!(r.undecodable <= r.messages);
    assert!(r.evidence.iter().all(|&p| p <= packet + 2), "{r:?}");
}

/// A tracker's report with its words, as the finished report has them
/// (`report::words::app::fill`, with the server's close reason).
fn worded(t: &Tracker, end: &Ending) -> Option<ApplicationReport> {
    let mut a = t.finish(end)?;
    let reason = end
        .close
        .as_ref()
        .filter(|c| c.0 == Role::Server)
        .map(|c| c.2.as_str());
    wsclose::report::words::app::fill(&mut a, reason);
    Some(a)
}
