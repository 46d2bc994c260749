//! One WebSocket session: the unit a report is about.
//!
//! In: from the layer that carries it (today `stack::http1`; tomorrow an HTTP/2 stream),
//! the opening handshake's facts and, per direction, a [`Decoder`] fed with that
//! direction's bytes. Out: what the report needs of the session: the handshake, the
//! frames and close frames each side sent, and its transport path ([`Transport`]: TLS or
//! not, which HTTP/2 stream). One TCP connection carries zero, one or (over HTTP/2) many
//! sessions. RFC 6455 §4 (handshake), §4.2.2 (the accept check).

use crate::finding::{Findings, Kind};
use crate::stack::http1::parse as http;
use crate::stack::{Side, Sides, Transport};
use crate::websocket::decoder::{Decoder, Stats};
use crate::websocket::deflate;

/// What the opening handshake showed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Handshake {
    /// The upgrade request was captured.
    pub request_seen: bool,
    pub request_packet: Option<u64>,
    pub host: Option<String>,
    pub path: Option<String>,
    /// Set through `set_key`, which checks the accept value again.
    key: Option<String>,
    pub version: Option<String>,
    pub offered_protocols: Option<String>,
    pub offered_extensions: Option<String>,
    /// The server's reply status, when captured.
    pub status: Option<u16>,
    pub response_packet: Option<u64>,
    pub reason: Option<String>,
    pub subprotocol: Option<String>,
    pub extensions: Option<String>,
    /// Set through `set_accept`, which checks it against the key.
    accept: Option<String>,
    pub deflate: bool,
    /// permessage-deflate parameters the server agreed to.
    pub deflate_params: Option<deflate::Params>,
    /// [`Handshake::accept_valid`], worked out (a SHA-1) when the key or the accept value
    /// is set, not each time it is asked.
    accept_ok: Option<bool>,
    /// Bytes of the upgrade request or response are missing from the capture (the first
    /// side whose handshake was cut, and why): its frames were found by the probe.
    pub cut: Option<HandshakeCut>,
}

/// Why the capture lacks part of the opening handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum HandshakeCut {
    /// The packet was captured, its end was not (`tcpdump -s 96`, `editcap -s 80`).
    SnapLength,
    /// A segment of it is missing (dropped by the capture).
    Missing,
}

impl HandshakeCut {
    /// Its name in reports (`handshake.cut` in the JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            HandshakeCut::SnapLength => "snaplen",
            HandshakeCut::Missing => "missing",
        }
    }
}

impl Handshake {
    /// Sec-WebSocket-Accept matches the key (None if either is missing).
    pub fn accept_valid(&self) -> Option<bool> {
        self.accept_ok
    }

    /// Sets the client's Sec-WebSocket-Key and checks the pair again.
    pub fn set_key(&mut self, key: Option<String>) {
        self.key = key;
        self.check_accept();
    }

    /// Sets the server's Sec-WebSocket-Accept and checks the pair again.
    pub fn set_accept(&mut self, accept: Option<String>) {
        self.accept = accept;
        self.check_accept();
    }

    fn check_accept(&mut self) {
        self.accept_ok = match (self.key.as_deref(), self.accept.as_deref()) {
            (Some(key), Some(accept)) => Some(http::accept_for(key) == accept.trim()),
            _ => None,
        };
    }
}

/// One WebSocket session and the decoders of its two directions (by TCP side).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Session {
    pub handshake: Handshake,
    pub transport: Transport,
    /// The decoder of each direction that became a WebSocket stream.
    pub decoders: Sides<Option<Box<Decoder>>>,
}

impl Session {
    /// True when the session is or tried to become a WebSocket: its upgrade request was
    /// seen, the server agreed, or a direction was found by its frames.
    pub fn is_websocket(&self) -> bool {
        self.handshake.request_seen
            || self.handshake.status == Some(101)
            || self.decoders.iter().any(Option::is_some)
    }

    /// The decoder of side `s`, if that side became a WebSocket stream.
    pub fn decoder(&self, s: Side) -> Option<&Decoder> {
        self.decoders[s].as_deref()
    }

    /// The frame statistics of what side `s` sent (all zero if it never became a WebSocket
    /// stream).
    pub fn stats(&self, s: Side) -> Stats {
        self.decoder(s).map(|d| d.stats).unwrap_or_default()
    }

    /// Side `s` ended its stream (`how`) in the middle of a frame or fragmented message:
    /// say so.
    pub fn cut_mid_message(&self, s: Side, how: &str, packet: u64, findings: &mut Findings) {
        if let Some(d) = self.decoder(s) {
            if d.mid_message() {
                let from = d.from();
                findings.push(
                    Kind::TruncatedMessage,
                    Some(from),
                    Some(packet),
                    format!("the {from} {how} in the middle of a frame or fragmented message: that message never arrived whole"),
                );
            }
        }
    }

    /// Whether the session has a frozen form now: not while a direction is in the middle
    /// of inflating a permessage-deflate message.
    pub fn can_freeze(&self) -> bool {
        self.decoders.iter().flatten().all(|d| d.can_freeze())
    }
}
