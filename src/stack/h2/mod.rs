//! HTTP/2 connections as a passive reader sees them, for WebSockets over HTTP/2
//! (RFC 8441).
//!
//! In: the two byte streams of one TCP connection, each in order as TCP reassembly hands
//! them over (`feed`), with the holes it could not fill (`gap`); the caller knows which
//! side is the client. Out: [`H2Event`]s, in the order their last byte arrived: each side's
//! SETTINGS (with SETTINGS_ENABLE_CONNECT_PROTOCOL, RFC 8441 §3), every request and
//! response head (an extended CONNECT is `:method CONNECT` with `:protocol websocket`,
//! RFC 8441 §4-5), DATA payloads without their padding, RST_STREAM and GOAWAY with their
//! error codes (RFC 9113 §7), and [`H2Event::Lost`] when a direction can no longer be read.
//!
//! What applies: RFC 9113 §3.4 (the client's preface, SETTINGS first on both sides), §4
//! (frame header, size limits, header blocks split over CONTINUATION), §5.4.1 (a connection
//! error ends the reading of that direction: nothing after it can be trusted), §6 (the
//! frame types, parsed in [`frame`]); RFC 7541 (HPACK, in [`hpack`]), one dynamic table per
//! direction, so every header block of a direction is decoded in order whatever its stream.
//!
//! Never a guess: a gap or a framing error stops the direction ([`LostReason::framing_lost`]);
//! a header block that does not decode loses that direction's HPACK table, and every later
//! head of that direction is reported as [`H2Event::Unreadable`] ("HPACK state lost at
//! packet N") while its DATA, RST_STREAM and GOAWAY frames are still followed.
//!
//! Memory: no state per stream (heads are told apart by their pseudo-header fields, RFC
//! 9113 §8.3, so a capture with a million streams costs nothing more); DATA is passed on as
//! it arrives, never buffered; other frames are kept whole only when split across chunks,
//! up to [`MAX_BUFFERED_FRAME`]; a header block up to [`MAX_HEADER_BLOCK`]; a dynamic table
//! up to [`hpack::MAX_TABLE_SIZE`]. Over a cap, the direction is lost, and says so.
//!
//! Files: this one holds the connection ([`H2Conn`]: its two directions, the h2c upgrade's
//! SETTINGS); `direction` reads one direction frame by frame; `events` is what they say
//! ([`H2Event`], [`LostReason`]); `frame` parses a frame, `hpack` a header block, `layer`
//! puts the events to the WebSocket sessions of the streams; `unread` counts the streams a
//! client opened after its connection was let go.

mod direction;
mod events;
pub mod frame;
pub mod hpack;
mod huffman;
pub mod layer;
pub mod unread;

use crate::vocab::Timestamp;
use direction::{At, Dir, Phase};
pub use events::{H2Event, LostReason};
use frame::{Frame, FrameError, FrameHeader, FrameType};

/// The client connection preface (RFC 9113 §3.4).
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// The longest header block (HEADERS or PUSH_PROMISE and its CONTINUATION fragments) kept.
pub const MAX_HEADER_BLOCK: usize = 256 * 1024;
/// The longest payload of a frame other than DATA kept whole when it is split across
/// chunks (DATA is never kept; unknown types are skipped).
pub const MAX_BUFFERED_FRAME: u32 = 256 * 1024;
/// Buffers grown past this are released after use.
const KEEP_CAPACITY: usize = 16 * 1024;

/// Whether `bytes` (the first bytes the client sent) start like the HTTP/2 client preface:
/// all of it, or as much of it as there is. Empty input is not a preface.
pub fn looks_like_preface(bytes: &[u8]) -> bool {
    let n = bytes.len().min(PREFACE.len());
    n > 0 && bytes.get(..n) == PREFACE.get(..n)
}

/// One HTTP/2 connection: the client's and the server's byte streams.
#[derive(Debug)]
pub struct H2Conn {
    client: Dir,
    server: Dir,
}

impl Default for H2Conn {
    fn default() -> Self {
        H2Conn::new()
    }
}

impl H2Conn {
    /// A connection whose client stream starts with the preface and whose server stream
    /// starts with SETTINGS (RFC 9113 §3.4).
    pub fn new() -> H2Conn {
        H2Conn {
            client: Dir::new(true),
            server: Dir::new(false),
        }
    }

    /// A connection upgraded from HTTP/1.1 by `Upgrade: h2c` (RFC 7540 §3.2): the client's
    /// SETTINGS came in the request's `HTTP2-Settings` field (`settings`: the payload of a
    /// SETTINGS frame, §3.2.1) and bind the server's frames as a SETTINGS frame would. The
    /// client's bytes still start with the preface, the server's with its SETTINGS.
    pub fn upgraded(settings: &[u8]) -> Result<H2Conn, FrameError> {
        let header = FrameHeader {
            len: u32::try_from(settings.len()).unwrap_or(u32::MAX),
            kind: FrameType::SETTINGS,
            flags: 0,
            stream: 0,
        };
        let mut conn = H2Conn::new();
        if let Frame::Settings { settings, .. } = frame::parse_payload(&header, settings)? {
            conn.server.allow(&settings);
        }
        Ok(conn)
    }

    fn dirs(&mut self, from_client: bool) -> (&mut Dir, &mut Dir) {
        if from_client {
            (&mut self.client, &mut self.server)
        } else {
            (&mut self.server, &mut self.client)
        }
    }

    /// The next bytes of one direction, in order. Events go to `out` as soon as their
    /// last byte is read; `packet` and `ts` are the ones of the chunk that completed them.
    pub fn feed(
        &mut self,
        from_client: bool,
        bytes: &[u8],
        packet: u64,
        ts: Timestamp,
        out: &mut dyn FnMut(H2Event<'_>),
    ) {
        let (me, peer) = self.dirs(from_client);
        me.feed(bytes, At { packet, ts }, peer, out);
    }

    /// Bytes are missing from one direction: its framing and HPACK state are lost, and
    /// nothing more is read from it ([`H2Event::Lost`] with [`LostReason::Gap`], unless the
    /// direction was already lost).
    pub fn gap(
        &mut self,
        from_client: bool,
        packet: Option<u64>,
        out: &mut dyn FnMut(H2Event<'_>),
    ) {
        self.lose(from_client, LostReason::Gap, packet, out);
    }

    /// One direction cannot be read on, for `reason` (one that loses framing): as
    /// [`H2Conn::gap`].
    pub fn lose(
        &mut self,
        from_client: bool,
        reason: LostReason,
        packet: Option<u64>,
        out: &mut dyn FnMut(H2Event<'_>),
    ) {
        let (me, _) = self.dirs(from_client);
        me.lose(reason, packet, out);
    }

    /// The client's framing from where its reading stops, to count the streams it opens
    /// after (`max_id`: the highest it opened so far); `None` when it is not inside its
    /// frames (lost, or its preface not read whole).
    pub fn client_frames(&self, max_id: u32) -> Option<unread::Frames> {
        let (hdr, left) = self.client.position()?;
        Some(unread::Frames::new(hdr, left, max_id))
    }

    /// Whether a direction can no longer be read.
    pub fn is_lost(&self, from_client: bool) -> bool {
        let dir = if from_client {
            &self.client
        } else {
            &self.server
        };
        dir.phase == Phase::Dead
    }

    /// `Some(packet)` once a direction's HPACK state is lost (`Some(None)` if at an unknown
    /// packet).
    pub fn hpack_lost_at(&self, from_client: bool) -> Option<Option<u64>> {
        let dir = if from_client {
            &self.client
        } else {
            &self.server
        };
        dir.hpack_lost
    }

    /// Bytes held in buffers now (partial frames and header blocks of both directions),
    /// not counting the HPACK tables.
    pub fn buffered_bytes(&self) -> usize {
        [&self.client, &self.server]
            .iter()
            .map(|d| {
                d.pending
                    .capacity()
                    .saturating_add(d.block.as_ref().map_or(0, |b| b.buf.capacity()))
            })
            .sum()
    }
}

#[cfg(test)]
mod tests;
