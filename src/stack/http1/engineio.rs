//! engine.io's HTTP long-polling transport, as far as linking a socket.io session to the
//! polling connections it began on needs: the session id (`sid`) of each request, the
//! engine.io OPEN packet a handshake request's response carries (its `sid`,
//! `pingInterval`, `pingTimeout`), and where the last response ended.
//!
//! In: a connection whose first request is a polling request (`EIO=` and
//! `transport=polling` in its target), then each direction's bytes in order. Out: a
//! [`Polling`] summary. Each HTTP/1.1 message is read one after another (RFC 9112 §6:
//! bodies by `Content-Length`; a chunked or unbounded body ends the reading of that
//! direction). Only the body of a response to a request without `sid` is kept, and only
//! its first `KEEP_OPEN` bytes. engine.io protocol v4 separates the packets of a polling
//! payload with `\x1e`; v3 prefixes each packet with its length and `:`.

use super::parse::{self as http, Parsed};
use crate::app::query_value;
use crate::flow::{Side, Sides};
use crate::vocab::Identity;
use crate::vocab::Timestamp;
use crate::vocab::{Open, PollingFacts};

/// Bytes of a handshake response's body kept to read the OPEN packet (the OPEN of
/// socket.io's servers is about 120 bytes).
const KEEP_OPEN: usize = 1024;

/// One direction's place in its HTTP/1.1 messages.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
enum Reading {
    /// Headers so far.
    Head(#[serde(with = "serde_bytes")] Vec<u8>),
    /// Bytes of a body still to come; what is kept of it (a handshake response).
    Body { left: u64, keep: Option<Vec<u8>> },
    /// Not read further.
    #[default]
    Off,
}

/// An engine.io long-polling connection, as its requests and responses showed it.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Polling {
    pub eio: u8,
    /// The session id: a request's `sid`, or the OPEN packet's.
    pub sid: Option<String>,
    pub open: Option<Open>,
    /// Requests read.
    pub requests: u32,
    /// The packet that completed the last response read, and its time.
    pub last_response: Option<(u64, Timestamp)>,
    sides: Sides<Reading>,
    client: Side,
    /// Responses still owed to handshake requests (a request without `sid`), and to the
    /// others, in order: true for a handshake.
    owed: Vec<bool>,
}

/// What the application layer links to socket.io sessions (`vocab::Polls`).
impl PollingFacts for Polling {
    fn sid(&self) -> Option<&String> {
        self.sid.as_ref()
    }

    fn last_response(&self) -> Option<(u64, Timestamp)> {
        self.last_response
    }

    fn requests(&self) -> u32 {
        self.requests
    }

    fn open(&self) -> Option<Open> {
        self.open
    }
}

impl Polling {
    /// The connection whose client (side `client`) sent request `r`, if it is an engine.io
    /// polling request.
    pub fn start(client: Side, r: &http::Request) -> Option<Polling> {
        let target = r.path.as_str();
        if query_value(target, "transport") != Some("polling") {
            return None;
        }
        let eio = match query_value(target, "EIO")? {
            "3" => 3,
            "4" => 4,
            _ => return None,
        };
        let mut p = Polling {
            eio,
            sid: None,
            open: None,
            requests: 0,
            last_response: None,
            sides: Sides::new(Reading::Head(Vec::new()), Reading::Head(Vec::new())),
            client,
            owed: Vec::new(),
        };
        p.request(
            target,
            body_len(r.content_length.as_deref(), r.transfer_encoding, Some(0)),
        );
        Some(p)
    }

    /// A request for `target` with a body of `body` bytes (`None`: not delimited).
    fn request(&mut self, target: &str, body: Option<u64>) {
        self.requests = self.requests.saturating_add(1);
        let sid =
            query_value(target, "sid").filter(|s| !s.is_empty() && s.len() <= Identity::MAX_LEN);
        if self.sid.is_none() {
            self.sid = sid.map(str::to_string);
        }
        if self.owed.len() < 16 {
            self.owed.push(sid.is_none());
        }
        self.sides[self.client] = match body {
            Some(0) => Reading::Head(Vec::new()),
            Some(left) => Reading::Body { left, keep: None },
            None => Reading::Off,
        };
    }

    /// Bytes of side `s`, completed by `packet` at `ts`.
    pub fn data(&mut self, s: Side, bytes: &[u8], packet: u64, ts: Timestamp) {
        let mut rest = self.step(s, bytes, packet, ts);
        while let Some(r) = rest {
            rest = self.step(s, &r, packet, ts);
        }
    }

    /// Reads `bytes` of side `s` up to the end of the next message's headers; returns what
    /// follows them, for the next step.
    fn step(&mut self, s: Side, mut bytes: &[u8], packet: u64, ts: Timestamp) -> Option<Vec<u8>> {
        loop {
            if bytes.is_empty() {
                return None;
            }
            match &mut self.sides[s] {
                Reading::Off => return None,
                Reading::Body { left, keep } => {
                    let n = usize::try_from(*left)
                        .unwrap_or(usize::MAX)
                        .min(bytes.len());
                    if let Some(k) = keep.as_mut() {
                        let room = KEEP_OPEN.saturating_sub(k.len()).min(n);
                        k.extend_from_slice(bytes.get(..room).unwrap_or_default());
                    }
                    *left -= n as u64;
                    bytes = bytes.get(n..).unwrap_or_default();
                    if *left == 0 {
                        let kept = keep.take();
                        self.sides[s] = Reading::Head(Vec::new());
                        if s != self.client {
                            self.responded(kept, packet, ts);
                        }
                    }
                }
                Reading::Head(buf) => {
                    buf.extend_from_slice(bytes);
                    if !http::worth_parsing(buf, bytes.len()) {
                        return None;
                    }
                    let head = std::mem::take(buf);
                    let done = if s == self.client {
                        match http::parse_request(&head) {
                            Parsed::Partial => None,
                            Parsed::Invalid => Some(None),
                            Parsed::Done(r, n) => {
                                let body = body_len(
                                    r.content_length.as_deref(),
                                    r.transfer_encoding,
                                    Some(0),
                                );
                                self.request(&r.path, body);
                                Some(Some(n))
                            }
                        }
                    } else {
                        match http::parse_response(&head) {
                            Parsed::Partial => None,
                            Parsed::Invalid => Some(None),
                            Parsed::Done(r, n) => {
                                self.response(r.status, &r, packet, ts);
                                Some(Some(n))
                            }
                        }
                    };
                    return match done {
                        None => {
                            self.sides[s] = Reading::Head(head);
                            None
                        }
                        Some(None) => {
                            self.sides[s] = Reading::Off;
                            None
                        }
                        Some(Some(n)) => {
                            head.get(n..).filter(|r| !r.is_empty()).map(<[u8]>::to_vec)
                        }
                    };
                }
            }
        }
    }

    /// A response's headers, completed by `packet`.
    fn response(&mut self, status: u16, r: &http::Response, packet: u64, ts: Timestamp) {
        let handshake = !self.owed.is_empty() && self.owed.remove(0);
        let keep = (handshake && status == 200).then(Vec::new);
        let server = self.client.other();
        match body_len(r.content_length.as_deref(), r.transfer_encoding, None) {
            Some(0) => self.responded(keep, packet, ts),
            Some(left) => self.sides[server] = Reading::Body { left, keep },
            None => {
                self.responded(None, packet, ts);
                self.sides[server] = Reading::Off;
            }
        }
    }

    /// A gap in side `s`: nothing more of it is read.
    pub fn gap(&mut self, s: Side) {
        self.sides[s] = Reading::Off;
    }

    /// A response ended at `packet`; `body` is the kept body of a handshake's.
    fn responded(&mut self, body: Option<Vec<u8>>, packet: u64, ts: Timestamp) {
        self.last_response = Some((packet, ts));
        let Some(body) = body else {
            return;
        };
        let Some(v) = open_packet(self.eio, &body) else {
            return;
        };
        if let Some(sid) = v
            .get("sid")
            .and_then(|s| s.as_str())
            .filter(|s| s.len() <= Identity::MAX_LEN)
        {
            self.sid.get_or_insert_with(|| sid.to_string());
        }
        self.open = Some(Open {
            packet,
            ts,
            ping_interval: v.get("pingInterval").and_then(|x| x.as_u64()),
            ping_timeout: v.get("pingTimeout").and_then(|x| x.as_u64()),
        });
    }
}

/// The length of a body from its headers: `Content-Length`, or `absent` without one;
/// `None` when it is chunked or the length is not one number (RFC 9112 §6.3).
fn body_len(content_length: Option<&str>, chunked: bool, absent: Option<u64>) -> Option<u64> {
    if chunked {
        return None;
    }
    match content_length {
        Some(v) => v.trim().parse().ok(),
        None => absent,
    }
}

/// The JSON of the OPEN packet that starts a polling payload, if it does.
fn open_packet(eio: u8, body: &[u8]) -> Option<serde_json::Value> {
    let first = if eio >= 4 {
        body.split(|&b| b == 0x1e).next()?
    } else {
        // `<length>:<packet>`, the length in characters.
        let colon = body.iter().position(|&b| b == b':')?;
        let len: usize = std::str::from_utf8(body.get(..colon)?).ok()?.parse().ok()?;
        let packet = std::str::from_utf8(body.get(colon + 1..)?).ok()?;
        let end = packet
            .char_indices()
            .nth(len)
            .map_or(packet.len(), |(i, _)| i);
        packet.get(..end)?.as_bytes()
    };
    let json = first.strip_prefix(b"0")?;
    serde_json::from_slice::<serde_json::Value>(json)
        .ok()
        .filter(serde_json::Value::is_object)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(client: Side, target: &str) -> Option<Polling> {
        let r = http::Request {
            path: target.into(),
            ..http::Request::default()
        };
        Polling::start(client, &r)
    }

    const OPEN: &str = r#"0{"sid":"abc","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}"#;

    fn response(body: &str) -> String {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    }

    #[test]
    fn a_handshake_and_its_open_packet() {
        let mut p =
            start(Side::A, "/socket.io/?EIO=4&transport=polling&t=x").expect("a polling request");
        assert_eq!(p.sid, None);
        let r = response(OPEN);
        // Split inside the headers and inside the body.
        p.data(Side::B, &r.as_bytes()[..20], 5, Timestamp(5));
        p.data(Side::B, &r.as_bytes()[20..70], 6, Timestamp(6));
        assert_eq!(p.open, None);
        p.data(Side::B, &r.as_bytes()[70..], 7, Timestamp(7));
        assert_eq!(p.sid.as_deref(), Some("abc"));
        assert_eq!(
            p.open,
            Some(Open {
                packet: 7,
                ts: Timestamp(7),
                ping_interval: Some(300),
                ping_timeout: Some(200)
            })
        );
        assert_eq!(p.last_response, Some((7, Timestamp(7))));
        // A keep-alive POST with a body, then its answer, in one segment each.
        let post = "POST /socket.io/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\nContent-Length: 2\r\n\r\n40";
        p.data(Side::A, post.as_bytes(), 9, Timestamp(9));
        p.data(Side::B, response("ok").as_bytes(), 10, Timestamp(10));
        assert_eq!(p.requests, 2);
        assert_eq!(p.last_response, Some((10, Timestamp(10))));
        assert_eq!(
            p.open.map(|o| o.packet),
            Some(7),
            "only a handshake's body is read"
        );
    }

    /// The handshake's answer, then a polling request with a 60 KiB cookie and its answer,
    /// one byte per segment: each head is parsed when a line ends, not on every byte (the
    /// whole head again on each was quadratic), and they are read as before.
    #[test]
    fn heads_one_byte_per_segment_are_parsed_once_per_line() {
        use super::super::parse::PARSED;
        let mut p = start(Side::A, "/socket.io/?EIO=4&transport=polling&t=x").expect("polling");
        let request = format!(
            "GET /socket.io/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\nCookie: c={}\r\n\r\n",
            "x".repeat(60_000)
        );
        let exchange = [
            (Side::B, response(OPEN)),
            (Side::A, request),
            (Side::B, response("6")),
        ];
        PARSED.with(|n| n.set(0));
        let mut packet = 4;
        let mut lines = 0;
        for (side, bytes) in &exchange {
            for b in bytes.as_bytes() {
                p.data(
                    *side,
                    std::slice::from_ref(b),
                    packet,
                    Timestamp(packet as i64),
                );
                packet += 1;
            }
            lines += bytes.matches('\n').count() as u64;
        }
        let parsed = PARSED.with(std::cell::Cell::get);
        assert!(parsed <= lines + 3, "{parsed} parses for {lines} lines");
        assert_eq!(p.sid.as_deref(), Some("abc"));
        assert_eq!(p.requests, 2);
        assert_eq!(p.last_response.map(|l| l.0), Some(packet - 1));
    }

    #[test]
    fn a_request_with_its_sid_and_version_3() {
        let p = start(Side::B, "/socket.io/?EIO=3&transport=polling&sid=xyz").expect("polling");
        assert_eq!((p.eio, p.sid.as_deref()), (3, Some("xyz")));
        assert!(start(Side::A, "/socket.io/?EIO=4&transport=websocket").is_none());
        assert!(start(Side::A, "/socket.io/?transport=polling").is_none());
        let v3 = r#"78:0{"sid":"s3","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000}2:40"#;
        let v = open_packet(3, v3.as_bytes()).expect("v3 payload");
        assert_eq!(v["sid"], "s3");
    }

    #[test]
    fn chunked_or_malformed_bodies_stop_the_reading_without_guessing() {
        let mut p = start(Side::A, "/engine.io/?EIO=4&transport=polling").expect("polling");
        p.data(
            Side::B,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7b\r\n0{\"sid\":",
            4,
            Timestamp(4),
        );
        assert_eq!((p.open, p.sid.as_deref()), (None, None));
        assert_eq!(p.last_response.map(|l| l.0), Some(4));
        let mut p = start(Side::A, "/socket.io/?EIO=4&transport=polling").expect("polling");
        p.data(Side::B, response("0{not json").as_bytes(), 4, Timestamp(4));
        assert_eq!(p.open, None);
        p.data(Side::B, b"\x00\x01garbage", 5, Timestamp(5));
        assert_eq!(p.last_response.map(|l| l.0), Some(4));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// Random bytes, and a real exchange cut at random places with some bytes
        /// changed, never panic; what is read stays within the caps.
        #[test]
        fn malformed_exchanges_never_panic(
            cuts in proptest::collection::vec(0usize..400, 0..6),
            flips in proptest::collection::vec((0usize..400, proptest::prelude::any::<u8>()), 0..4),
            noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let mut server = response(OPEN).into_bytes();
            server.extend(response("6").as_bytes());
            let mut client = b"POST /socket.io/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\nContent-Length: 2\r\n\r\n40".to_vec();
            for (at, b) in &flips {
                if let Some(x) = server.get_mut(*at) { *x = *b; }
                if let Some(x) = client.get_mut(*at) { *x = *b; }
            }
            let mut p = start(Side::A, "/socket.io/?EIO=4&transport=polling&t=x").unwrap();
            let mut at = 0;
            let mut cuts = cuts.clone();
            cuts.sort_unstable();
            for (k, c) in cuts.iter().chain(std::iter::once(&usize::MAX)).enumerate() {
                let end = (*c).min(server.len()).max(at);
                p.data(Side::B, &server[at..end], k as u64, Timestamp(k as i64));
                p.data(Side::A, &client[at.min(client.len())..end.min(client.len())], k as u64, Timestamp(k as i64));
                at = end;
            }
            p.data(Side::B, &noise, 99, Timestamp(99));
            p.data(Side::A, &noise, 99, Timestamp(99));
            proptest::prop_assert!(p.owed.len() <= 16);
            proptest::prop_assert!(p.requests >= 1);
        }
    }

    /// A sid longer than any engine.io sid (`Identity::MAX_LEN`) is not kept: a polling
    /// connection holds no wire string of the peer's choosing beyond that (issue 57 item 9:
    /// long-polling sids took 452 MB in a capture with no WebSocket at all).
    #[test]
    fn a_sid_over_the_longest_identity_is_not_kept() {
        let long = "s".repeat(Identity::MAX_LEN + 1);
        let p = start(
            Side::A,
            &format!("/socket.io/?EIO=4&transport=polling&sid={long}"),
        );
        assert_eq!(p.expect("a polling connection").sid, None);
        let fits = "s".repeat(Identity::MAX_LEN);
        let p = start(
            Side::A,
            &format!("/socket.io/?EIO=4&transport=polling&sid={fits}"),
        );
        assert_eq!(
            p.expect("a polling connection").sid.as_deref(),
            Some(fits.as_str())
        );
    }
}
