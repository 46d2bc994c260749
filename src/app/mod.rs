//! The application protocol a WebSocket session carries, and what its own messages say about
//! how the session ended.
//!
//! In: the handshake's `Sec-WebSocket-Protocol` and request target, then each side's
//! complete data messages in order (their first [`KEEP`] bytes, or fewer where the protocol
//! reads fewer, [`Keep`]; inflated when compressed)
//! and WebSocket pings and pongs, each with its packet number and time; at the end, how the
//! WebSocket and TCP ended ([`Ending`]). Out: an [`ApplicationReport`](crate::vocab::ApplicationReport): the protocol as its
//! specification names it, how it was recognized, and — only when its messages show it —
//! which application ended the session, why (a label in the protocol's own words), the fix,
//! the packets, and the heartbeat each side kept.
//!
//! Each protocol is one file here and one row of `registry`: its name, subprotocols, target
//! matcher and constructor; [`Tracker`] looks the rows up and has no branch of its own for
//! any protocol. A decoder's verdict is typed (its `Why`, plain data in `vocab::said`, one
//! variant of `vocab::AppSaid`) and kept so in the report; its words are made where the
//! report is finished (`report::words::app`).
//!
//! A protocol is recognized by the subprotocol the server agreed to, by the request target
//! (socket.io's `EIO=`, Phoenix's `vsn=`; SockJS's `…/<server>/<session>/websocket` once the
//! server's first message is its open frame `o`), or by a first message that only that
//! protocol sends (SignalR's handshake); never from one ambiguous message. A message cut by a gap,
//! or longer than [`KEEP`] where its end matters, is counted as undecodable: nothing is
//! guessed from it. Memory per session is constant: one partial message per side, capped,
//! and each protocol's own state (MQTT, a byte stream: per side the packet in progress's
//! header and at most 1 KiB of its body).
//!
//! The last of the stream stages: the stack and the WebSocket session hand it what they read
//! (messages through `websocket::tap`, long-polling connections as [`crate::vocab::PollingFacts`]) and it
//! imports nothing of them, only the capture's and the flow's types.

pub(crate) mod actioncable;
pub(crate) mod binser;
pub(crate) mod graphql;
mod heartbeat;
mod lite;
mod machine;
pub(crate) mod mqtt;
pub(crate) mod ocpp;
pub(crate) mod phoenix;
pub mod polls;
pub(crate) mod pool;
mod registry;
pub(crate) mod signalr;
pub(crate) mod socketio;
pub(crate) mod sockjs;
pub(crate) mod stomp;
mod tracker;
pub(crate) mod wamp;

use crate::vocab::{Role, Timestamp};
use serde::{Deserialize, Serialize};

pub use heartbeat::{ControlMarks, Recent};
pub(crate) use machine::{Machine, Seen, Verdict};
pub use registry::Protocol;
pub use tracker::Tracker;

/// Bytes of each data message kept for the protocol decoders: every message that says why
/// a session ended is far shorter; the rest of a longer message is counted, not kept.
pub const KEEP: usize = 4096;

/// How much of each message a protocol's decoder reads: the tap keeps no more.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Keep {
    /// The first [`KEEP`] bytes of every message.
    #[default]
    All,
    /// socket.io: an event or ack (`42`, `43`, binary `45`, `46`) is read by its first two
    /// bytes, a binary message by none (only their lengths count); every other packet by
    /// its first [`KEEP`].
    SocketIo,
}

impl Keep {
    /// The bytes to keep of a message (text or not) that starts with `first` (its first
    /// two bytes, or fewer when it is shorter or they have not arrived).
    pub fn cap(self, text: bool, first: &[u8]) -> usize {
        match (self, first) {
            (Keep::All, _) => KEEP,
            (Keep::SocketIo, _) if !text => 0,
            (Keep::SocketIo, [b'4', b'2' | b'3' | b'5' | b'6', ..]) => 2,
            (Keep::SocketIo, _) => KEEP,
        }
    }
}

/// What a WebSocket direction's tap (`websocket::tap`) hands over: a finished data message
/// (its first [`KEEP`] bytes, its length, whether part of it is missing) or a ping or pong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tapped {
    /// A finished data message.
    Message {
        /// A text message (else binary).
        text: bool,
        /// Its first bytes (at most [`KEEP`]).
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
        /// Its whole length.
        len: u64,
        /// Part of it is missing from the capture (a gap, or it does not inflate).
        damaged: bool,
        /// The packet that completed it.
        packet: u64,
        /// When that packet was captured.
        ts: Timestamp,
    },
    /// Nothing more of this direction can be decoded (bytes missing where a WebSocket frame
    /// header was due), from this packet on.
    Lost {
        /// The packet of the gap, or the last one with bytes of the direction.
        packet: u64,
    },
    /// A ping (`pong` false) or a pong.
    Control {
        /// A pong (else a ping).
        pong: bool,
        /// The packet that carried it.
        packet: u64,
        /// When that packet was captured.
        ts: Timestamp,
    },
}

/// A data message as the protocol decoders see it.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// The side that sent it.
    pub from: Role,
    /// A text message (else binary).
    pub text: bool,
    /// Its first bytes (at most [`KEEP`]).
    pub bytes: &'a [u8],
    /// Its whole length.
    pub len: u64,
    /// Part of it is missing from the capture (a gap, or it does not inflate).
    pub damaged: bool,
    /// The packet that completed it.
    pub packet: u64,
    /// When the packet that completed it was captured.
    pub ts: Timestamp,
}

impl Message<'_> {
    /// The whole message is here and kept.
    pub fn whole(&self) -> bool {
        !self.damaged && self.len == self.bytes.len() as u64
    }
}

/// How the session ended below the application, as the report decided it.
#[derive(Debug, Clone, Default)]
pub struct Ending {
    /// The first close frame: who sent it, its code and reason, its packet and time.
    pub close: Option<(Role, Option<u16>, String, u64, Timestamp)>,
    /// The first ending of what carried the session, read at its nearest layer: over HTTP/2
    /// the stream's own END_STREAM, RST_STREAM or a GOAWAY that ends it (RFC 9113 §5.1,
    /// §6.4, §6.8), over TLS a close_notify, or else (or when first) the TCP connection's
    /// FIN or RST.
    pub transport: Option<TransportEnd>,
    /// The last packet of the capture's time for this connection.
    pub last_ts: Option<Timestamp>,
}

/// The first ending of the layer that carried a session: who, how, its packet and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportEnd {
    /// The side that ended it.
    pub by: Role,
    /// How it ended.
    pub how: EndHow,
    /// The packet that ended it.
    pub packet: u64,
    /// When that packet was captured.
    pub ts: Timestamp,
}

impl TransportEnd {
    /// A TCP FIN (or, when `rst`, a RST) from `by` at `packet`, captured at `ts`.
    pub fn tcp(by: Role, rst: bool, packet: u64, ts: Timestamp) -> TransportEnd {
        let how = if rst { EndHow::Rst } else { EndHow::Fin };
        TransportEnd {
            by,
            how,
            packet,
            ts,
        }
    }
}

/// How the layer that carried a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndHow {
    /// A TCP FIN: the sender sends nothing more.
    Fin,
    /// A TCP RST: the connection is over both ways at once.
    Rst,
    /// A TLS close_notify alert (RFC 8446 §6.1) before either side ended TCP: the sender
    /// closed its TLS on purpose.
    CloseNotify,
    /// A frame that ended the session's HTTP/2 stream: `frame` as RFC 9113 names it, with
    /// its error code ("END_STREAM", "RST_STREAM CANCEL", "GOAWAY NO_ERROR (last stream
    /// 1)"); `abrupt` for RST_STREAM and GOAWAY (the stream over both ways at once), not
    /// END_STREAM (the sender's half only, as a FIN).
    Stream {
        /// The frame and its error code, as RFC 9113 names them.
        frame: String,
        /// RST_STREAM or GOAWAY: the stream over both ways at once.
        abrupt: bool,
    },
}

impl EndHow {
    /// Whether it cut the session both ways at once (a RST, a RST_STREAM, a GOAWAY).
    pub fn abrupt(&self) -> bool {
        match self {
            EndHow::Fin | EndHow::CloseNotify => false,
            EndHow::Rst => true,
            EndHow::Stream { abrupt, .. } => *abrupt,
        }
    }

    /// What ended, as a phrase: "a bare FIN", "a TCP RST", "RST_STREAM CANCEL on its
    /// HTTP/2 stream".
    pub fn phrase(&self) -> String {
        match self {
            EndHow::Fin => "a bare FIN".to_string(),
            EndHow::Rst => "a TCP RST".to_string(),
            EndHow::CloseNotify => "a TLS close_notify".to_string(),
            EndHow::Stream { frame, .. } => format!("{frame} on its HTTP/2 stream"),
        }
    }

    /// Its frame or flag alone: "FIN", "RST", "RST_STREAM CANCEL".
    pub fn name(&self) -> &str {
        match self {
            EndHow::Fin => "FIN",
            EndHow::Rst => "RST",
            EndHow::CloseNotify => "close_notify",
            EndHow::Stream { frame, .. } => frame,
        }
    }
}

impl Ending {
    /// Who ended the session first below the application, when, and at which packet.
    pub fn first(&self) -> Option<(Role, u64, Timestamp)> {
        let close = self.close.as_ref().map(|c| (c.0, c.3, c.4));
        let tcp = self.transport.as_ref().map(|t| (t.by, t.packet, t.ts));
        match (close, tcp) {
            (Some(c), Some(t)) => Some(if t.1 < c.1 { t } else { c }),
            (c, t) => c.or(t),
        }
    }
}

/// The value of `key` in a request target's query (after the first `?`, pairs split at
/// `&`, each at its first `=`; the first pair named `key`).
pub(crate) fn query_value<'a>(target: &'a str, key: &str) -> Option<&'a str> {
    // Byte by byte: a target is short and this runs a few times for every session. The
    // separators are ASCII, so every cut falls between characters.
    let b = target.as_bytes();
    let mut at = b.iter().position(|&c| c == b'?')? + 1;
    loop {
        let rest = b.get(at..)?;
        let end = rest.iter().position(|&c| c == b'&').unwrap_or(rest.len());
        let pair = rest.get(..end)?;
        if let Some(eq) = pair.iter().position(|&c| c == b'=') {
            if pair.get(..eq) == Some(key.as_bytes()) {
                return target.get(at + eq + 1..at + end);
            }
        }
        if end == rest.len() {
            return None;
        }
        at += end + 1;
    }
}

#[cfg(test)]
mod query_tests {
    use super::query_value;

    #[test]
    fn a_querys_value_is_its_first_pair_named_so() {
        let t = "/socket.io/?EIO=4&transport=websocket&sid=a=b&&x&EIO=3";
        assert_eq!(query_value(t, "EIO"), Some("4"));
        assert_eq!(query_value(t, "transport"), Some("websocket"));
        assert_eq!(query_value(t, "sid"), Some("a=b"));
        assert_eq!(query_value(t, "x"), None);
        assert_eq!(query_value(t, "vsn"), None);
        assert_eq!(query_value("/ws", "EIO"), None);
        assert_eq!(query_value("/ws?", "EIO"), None);
        assert_eq!(query_value("/é?vsn=2.0.0?x", "vsn"), Some("2.0.0?x"));
        assert_eq!(query_value("/?EIO=", "EIO"), Some(""));
        assert_eq!(query_value("/?a=1&EIO", "EIO"), None);
    }
}

/// Milliseconds from `a` to `b` (0 when `b` is earlier).
pub(crate) fn between(a: Timestamp, b: Timestamp) -> u64 {
    u64::try_from((b.0 - a.0) / 1_000_000).unwrap_or(0)
}

/// A wire string shortened for a summary (the renderers escape it).
pub(crate) fn quote(s: &str) -> String {
    let mut out: String = s.chars().take(120).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    format!("\"{out}\"")
}

/// The JSON value of a whole text message, or None.
pub(crate) fn json(m: &Message<'_>) -> Option<serde_json::Value> {
    if !m.whole() {
        return None;
    }
    // As `serde_json::from_slice`, the UTF-8 checked once for the whole message (`lite::utf8`).
    serde_json::from_str(lite::utf8(m.bytes)?).ok()
}

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;

/// Whether wsclose decodes the protocol a server's selected subprotocol `sp` names (the
/// registry's subprotocols, compared without case).
pub(crate) fn decodes_subprotocol(sp: &str) -> bool {
    registry::by_subprotocol(sp).is_some()
}
