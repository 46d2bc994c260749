//! What a finding found, as a value ([`Found`]): one variant per finding kind made a value,
//! each holding what was seen (packets' numbers, sizes, offsets, codes; a quote of the wire
//! as its own field), never a sentence.
//!
//! In: nothing of the project. Out: the values the stages record and `diagnose/` decides
//! on; their words are made in `report/words/finding.rs`, the one place a finding is said.

use super::close::Problem;
use super::frames::Opcode;
use super::h2::{H2Broke, H2Stop};
use super::notframes::NotFramesWhat;
use super::side::Role;
use super::tcp::EndKind;
use super::tls::NotDecrypted;
use serde::{Deserialize, Serialize};

/// What a finding found: its kind's own fields. The side it is about is the finding's
/// `from`; a packet it names is its `packet`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Found {
    /// Bytes missing from one direction's stream (`Kind::Gap`).
    Gap(Gap),
    /// A close frame whose payload breaks a rule (`Kind::MalformedClose`).
    MalformedClose {
        /// What is wrong with it, the capture's own loss (`Problem::Truncated`) aside.
        problems: Vec<Problem>,
    },
    /// A client frame without a mask (RFC 6455 §5.1).
    UnmaskedClientFrame {
        /// The frame's opcode.
        opcode: Opcode,
    },
    /// A server frame with a mask (RFC 6455 §5.1).
    MaskedServerFrame {
        /// The frame's opcode.
        opcode: Opcode,
    },
    /// RSV bits set that no extension agreed defines (RFC 6455 §5.2).
    RsvBitsSet {
        /// The three bits, RSV1 highest.
        rsv: u8,
        /// The frame's opcode.
        opcode: Opcode,
        /// permessage-deflate was agreed (RFC 7692 §6: RSV1 on a first data frame only).
        deflate: bool,
    },
    /// An opcode RFC 6455 reserves (§5.2).
    ReservedOpcode {
        /// The opcode.
        opcode: Opcode,
    },
    /// A payload length written in more bytes than it needs (§5.2).
    NonMinimalLength {
        /// The length.
        length: u64,
    },
    /// A 64-bit payload length with its top bit set (§5.2).
    LengthTopBitSet {
        /// The length.
        length: u64,
    },
    /// A control frame with more than 125 bytes of payload (§5.5).
    ControlFrameTooLong {
        /// The frame's opcode.
        opcode: Opcode,
        /// Its payload's length.
        length: u64,
    },
    /// A control frame without FIN (§5.5).
    FragmentedControlFrame {
        /// The frame's opcode.
        opcode: Opcode,
    },
    /// A continuation frame with no message in progress (§5.4).
    ContinuationWithoutStart,
    /// A new data frame while a fragmented message was open (§5.4).
    DataFrameInsideFragmentedMessage {
        /// The new frame's opcode.
        opcode: Opcode,
        /// The open message's opcode.
        open: Opcode,
    },
    /// A frame after its sender's close frame (§5.5.1).
    FrameAfterClose {
        /// The frame's opcode.
        opcode: Opcode,
    },
    /// A text message that is not valid UTF-8 (§5.6, §8.1).
    InvalidUtf8Text {
        /// The message was inflated (permessage-deflate) before it was read.
        inflated: bool,
        /// The message's byte where the invalid sequence starts.
        at: u64,
        /// The message ended inside a sequence (rather than holding an invalid one).
        ends_inside: bool,
    },
    /// A compressed message that does not inflate (RFC 7692 §8).
    InflateFailed {
        /// What the inflater said (zlib's message).
        why: String,
    },
    /// A compressed message that inflates past the cap.
    InflateCapHit {
        /// The cap, in bytes.
        cap: u64,
    },
    /// Part of a compressed message is missing and the sender keeps its window: the
    /// direction's later messages cannot be inflated.
    InflateStopped,
    /// A message that never arrived whole.
    TruncatedMessage(Truncated),
    /// Bytes missing where a frame header was expected.
    OutOfSync {
        /// How many.
        len: u64,
        /// Where they start in the direction's stream.
        offset: u64,
    },
    /// A direction's bytes that are no frames (`Kind::NotFrames`): what they are, and
    /// the quotes of the wire that say it (`--redact` treats them).
    NotFrames {
        /// They follow the side's close frame (otherwise they stand where a frame was
        /// expected).
        after_close: bool,
        /// What they are.
        what: NotFramesWhat,
        /// An HTTP response's status line, as sent.
        status_line: Option<String>,
        /// Otherwise their first bytes, as text.
        first_bytes: Option<String>,
    },
    /// Segments of a side ignored: data after its FIN (`Kind::DataAfterFin`) or past
    /// what is plausible (`Kind::ImplausibleSegment`).
    Ignored {
        /// Data after the side's FIN (otherwise implausibly far ahead).
        after_fin: bool,
        /// How many segments.
        segments: u64,
    },
    /// Retransmitted segments whose bytes differ from the first copy.
    InconsistentRetransmission {
        /// How many.
        segments: u64,
    },
    /// A reassembly buffer reached its cap (`Kind::BufferCapHit`).
    BufferCapHit(CapHit),
    /// Packets of the connection captured more than once.
    CapturedCopies {
        /// The connection's packets.
        packets: u64,
        /// Those captured more than once.
        copied: u64,
        /// The copies beyond the first, all told.
        copies: u64,
        /// The interfaces they were captured on, by name (or by index, `by_index`).
        interfaces: Vec<String>,
        /// `interfaces` are indexes, not names.
        by_index: bool,
    },
    /// Packets lost from a live capture while the connection was open.
    LiveDrop,
    /// An upgrade that breaks a rule of RFC 6455 §4 or RFC 8441 (`Kind::HandshakeInvalid`).
    HandshakeInvalid(Invalid),
    /// `Sec-WebSocket-Accept` does not match the request's key (§4.2.2).
    AcceptMismatch,
    /// The server refused the upgrade.
    UpgradeRefused {
        /// The HTTP status (`:status` over HTTP/2).
        status: u16,
        /// The status line's reason phrase, as sent (HTTP/1.1 only).
        reason: Option<String>,
        /// The HTTP/2 stream of an extended CONNECT.
        stream: Option<u32>,
    },
    /// The capture starts after the WebSocket handshake.
    HandshakeNotCaptured,
    /// Part of an upgrade is missing (`Kind::HandshakeCut`).
    HandshakeCut {
        /// The answer to an `Upgrade: h2c` request (otherwise a WebSocket handshake).
        h2c: bool,
        /// Cut by the snap length (otherwise missing from the capture).
        snap: bool,
    },
    /// HTTP/2 that could not be followed ([`Kind::H2Lost`](crate::vocab::Kind::H2Lost)), for a reason of its own.
    H2Lost(H2Lost),
    /// A TLS alert (RFC 8446 §6).
    TlsAlert {
        /// Its level is fatal (otherwise a warning).
        fatal: bool,
        /// Its description's code.
        description: u8,
        /// The code's name in the TLS registry ("handshake_failure").
        name: String,
    },
    /// A direction's TLS stream stopped decrypting: nothing after it in that direction is
    /// decoded.
    TlsStopped {
        /// Why.
        why: NotDecrypted,
    },
}

/// How a message never arrived whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Truncated {
    /// Bytes of a frame's payload are not in the capture; decoding stays in sync.
    Payload {
        /// How many.
        len: u64,
        /// The frame's opcode.
        opcode: Opcode,
    },
    /// The side's stream stops (the layer below can deliver nothing more of it).
    StreamStops,
    /// The side ended TCP in the middle of the message.
    Ended(EndKind),
}

/// Which reassembly buffer reached its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CapHit {
    /// The out-of-order buffer of one direction: its oldest hole was declared a gap.
    OutOfOrder,
    /// The analysis's memory budget (`--max-memory`): the out-of-order bytes were handed
    /// on past the holes before them.
    Budget,
    /// What a side sent after its `Upgrade: h2c` request before the answer came, over the
    /// bytes kept (RFC 7540 §3.2 allows only the request's body).
    H2cHeld {
        /// The bytes kept.
        max: u64,
    },
}

/// How an upgrade breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Invalid {
    /// A rule of RFC 6455 §4.1 (the request) or §4.2.2 (a 101 response).
    Rule {
        /// The response's (otherwise the request's).
        response: bool,
        /// Which.
        problem: HandshakeProblem,
    },
    /// An extended CONNECT (RFC 8441 §4) on a stream whose server's SETTINGS did not enable
    /// it (§3).
    ConnectNotEnabled {
        /// The stream.
        stream: u32,
        /// The SETTINGS turned it off (otherwise they did not carry it).
        turned_off: bool,
    },
    /// The server's answer on a stream has no valid `:status` (RFC 9113 §8.3.2).
    NoStatus {
        /// The stream.
        stream: u32,
    },
    /// Header lines that hold a control byte RFC 9110 (§5.1, §5.5) does not allow there,
    /// read leniently.
    ControlBytes {
        /// The response's (otherwise the request's).
        response: bool,
        /// Which headers, and what they hold.
        bytes: ControlBytes,
    },
    /// A 101 response's extension or subprotocol the client did not offer (RFC 6455 §4.1).
    NotOffered {
        /// The subprotocol (`Sec-WebSocket-Protocol`; otherwise the extensions,
        /// `Sec-WebSocket-Extensions`).
        protocol: bool,
        /// The response's value, as sent (cut at 80 bytes).
        value: String,
        /// What the client offered, as sent (cut at 80 bytes), if anything.
        offered: Option<String>,
    },
    /// The server switched to HTTP/2 at the 101 to an `Upgrade: h2c` request that has no
    /// valid `HTTP2-Settings` (RFC 7540 §3.2.1: a server must not upgrade then).
    H2cSettings {
        /// The 101's packet.
        switched_at: u64,
        /// What is wrong with the field.
        problem: H2cSettings,
    },
}

/// What is wrong with an `Upgrade: h2c` request's `HTTP2-Settings` (RFC 7540 §3.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum H2cSettings {
    /// The request has none.
    Missing,
    /// It is not base64url: the value, as sent.
    NotBase64(String),
    /// It decodes, but not to a SETTINGS payload (RFC 9113 §6.5).
    NotSettings(H2Broke),
}

/// Header lines that hold control bytes: the first few named, the others counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlBytes {
    /// The first headers that hold one.
    pub headers: Vec<ControlByteHeader>,
    /// The others that hold one, counted.
    pub more: u64,
}

/// One header line that holds control bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlByteHeader {
    /// Its name, as sent (cut at 64 characters).
    pub name: String,
    /// The control bytes it holds, each once.
    pub bytes: Vec<u8>,
    /// One is in its name (otherwise all are in its value).
    pub in_name: bool,
}

/// A rule of RFC 6455 §4 an upgrade request or 101 response breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HandshakeProblem {
    /// The request is HTTP/1.0.
    Http10,
    /// The request's Connection header does not list "Upgrade".
    RequestConnection,
    /// No Sec-WebSocket-Key.
    KeyMissing,
    /// A Sec-WebSocket-Key that is not 16 bytes in base64: the key, as sent.
    KeyNot16(String),
    /// No Sec-WebSocket-Version.
    VersionMissing,
    /// A Sec-WebSocket-Version other than 13: the version, as sent.
    Version(String),
    /// The 101 lacks "Upgrade: websocket".
    ResponseUpgrade,
    /// The 101's Connection header does not list "Upgrade".
    ResponseConnection,
    /// The 101 has no Sec-WebSocket-Accept.
    NoAccept,
}

/// Why HTTP/2 could not be followed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum H2Lost {
    /// A direction's framing, or its HPACK state ([`H2Stop::framing_lost`]), can no
    /// longer be read.
    Stopped(H2Stop),
    /// More WebSockets on one connection than are kept: this stream and those after it
    /// are not reported.
    TooManyStreams {
        /// The streams kept.
        max: u64,
        /// The first stream not reported.
        stream: u32,
    },
    /// The server's answer on a stream cannot be read: its HPACK state was lost.
    AnswerUnread {
        /// The stream.
        stream: u32,
        /// Where the state was lost, when known.
        lost_at: Option<u64>,
    },
    /// The request opening a stream cannot be read: the client's HPACK state was lost.
    RequestUnread {
        /// The stream.
        stream: u32,
        /// Where the state was lost, when known.
        lost_at: Option<u64>,
    },
    /// More GOAWAY frames from a side than are applied.
    Goaways {
        /// The frames applied.
        max: u64,
    },
}

/// Bytes of one direction's stream that are not in the capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// How many bytes.
    pub len: u64,
    /// Where they start in the direction's stream.
    pub offset: u64,
    /// Why they are missing, as far as the capture tells.
    pub why: GapWhy,
}

/// Why a gap's bytes are missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GapWhy {
    /// The packets were captured shorter than they were sent (the snap length).
    SnapLength,
    /// Dropped or cut by the capture: nothing in it explains them.
    NotCaptured,
    /// They never reached the receiver (`diagnose` decides it from the receiver's
    /// acknowledgements: RFC 9293 §3.10.7.4, RFC 5681 §4.2): lost on the path, not by the
    /// capture.
    NeverReached {
        /// The receiver.
        peer: Role,
        /// The sender's later segment that arrived while the receiver's acknowledgements
        /// stayed at the hole's start.
        later: u64,
        /// The receiver's packet whose SACK blocks held later bytes (RFC 2018 §4), if any.
        sacked: Option<u64>,
        /// The path MTU black hole a cause names explains it.
        black_hole: bool,
    },
}
