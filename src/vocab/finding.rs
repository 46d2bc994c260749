//! A finding: something wrong or notable inside a capture ([`Finding`]), of a [`Kind`] whose
//! kebab-case name is part of the JSON contract (`findings[].kind`).
//!
//! In: nothing of the project. Out: the values the tcp, http and websocket stages push
//! (`finding::Findings` bounds the list).

use super::found::Found;
use super::side::Role;
use serde::{Deserialize, Serialize};

/// What a finding is about; its stable name in JSON (`findings[].kind`, kebab-case) is
/// [`Kind::as_str`].
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[non_exhaustive]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    // RFC 6455 §5.1 / §5.3: masking.
    /// A client frame not masked (§5.1: a client masks every frame).
    UnmaskedClientFrame,
    /// A server frame masked (§5.1: a server never masks).
    MaskedServerFrame,
    // §5.2: header fields.
    /// An RSV bit set with no extension agreed that defines it (§5.2).
    RsvBitsSet,
    /// An opcode RFC 6455 reserves (3-7, 0xB-0xF).
    ReservedOpcode,
    /// A payload length not in the fewest bytes (§5.2).
    NonMinimalLength,
    /// A 64-bit payload length with its most significant bit set (§5.2).
    LengthTopBitSet,
    // §5.4 / §5.5: fragmentation and control frames.
    /// A control frame with more than 125 bytes of payload (§5.5).
    ControlFrameTooLong,
    /// A control frame without FIN (§5.5: control frames are never fragmented).
    FragmentedControlFrame,
    /// A continuation frame with no fragmented message to continue (§5.4).
    ContinuationWithoutStart,
    /// A new text or binary frame before the fragmented message was finished (§5.4).
    DataFrameInsideFragmentedMessage,
    // §5.6 / §8.1: text payloads.
    /// A text message that is not valid UTF-8 (§5.6, §8.1).
    InvalidUtf8Text,
    // §5.5.1 / §7.1.4: after a close frame.
    /// A frame sent after its sender's close frame (§5.5.1).
    FrameAfterClose,
    /// Bytes that are no frames where frames were expected: after their sender's close frame
    /// (§5.5.1), or an HTTP response in the upgraded stream; counted, not decoded.
    NotFrames,
    // §5.5.1, §7.4: close payloads.
    /// A close frame whose payload breaks a rule (§5.5.1, §7.4): one byte, a code never sent, a
    /// reason not UTF-8.
    MalformedClose,
    // RFC 7692: permessage-deflate.
    /// A compressed message that did not inflate (RFC 7692).
    InflateFailed,
    /// A compressed message inflated past the cap, where inflating stopped.
    InflateCapHit,
    /// Compressed messages that can no longer be inflated: part of one was missing and the sender
    /// keeps its window.
    InflateStopped,
    // §4: the handshake.
    /// `Sec-WebSocket-Accept` does not match the request's key (§4.2.2).
    AcceptMismatch,
    /// An upgrade request or response that breaks a rule of §4 (or of HTTP).
    HandshakeInvalid,
    /// The server refused the upgrade.
    UpgradeRefused,
    // Capture quality (docs/reassembly.md).
    /// Bytes missing from the capture in one direction (a gap in TCP's sequence space).
    Gap,
    /// Bytes missing where a frame header was expected: the direction's frames were not followed
    /// past them.
    OutOfSync,
    /// A message that never arrived whole (its bytes missing, or the stream stopped in it).
    TruncatedMessage,
    /// A retransmission whose bytes differ from those first sent.
    InconsistentRetransmission,
    /// Data sent after its sender's FIN.
    DataAfterFin,
    /// A segment more than 1 GiB ahead of the data so far: not believed, ignored.
    ImplausibleSegment,
    /// A reassembly buffer reached its cap: the oldest hole was declared a gap.
    BufferCapHit,
    /// The capture holds each packet (or some) more than once: taken on several
    /// interfaces or hops (`tcpdump -i any` on a host with a bridge). Counted once.
    CapturedCopies,
    /// The capture starts after the handshake: the connection was found by its frames.
    HandshakeNotCaptured,
    /// Part of the upgrade request or response is missing (snap length, a drop); the
    /// frames after it were found by the probe.
    HandshakeCut,
    // TLS (RFC 8446 §6, RFC 5246 §7.2): alerts, and a direction that could not be decrypted.
    /// A TLS alert (RFC 8446 §6).
    TlsAlert,
    /// A direction's TLS stream could not be decrypted any further.
    TlsStopped,
    // HTTP/2 (RFC 9113, RFC 7541): framing or header compression that could not be followed.
    /// HTTP/2 framing or header compression (HPACK) that could not be followed.
    H2Lost,
    // Live capture.
    /// Packets were lost from a live capture while the connection was open (the kernel's
    /// ring, the interface or the queue to the analysis): a close may be missing.
    LiveDrop,
}

impl Kind {
    /// Its stable name in JSON: "rsv-bits-set", "gap", ...
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::UnmaskedClientFrame => "unmasked-client-frame",
            Kind::MaskedServerFrame => "masked-server-frame",
            Kind::RsvBitsSet => "rsv-bits-set",
            Kind::ReservedOpcode => "reserved-opcode",
            Kind::NonMinimalLength => "non-minimal-length",
            Kind::LengthTopBitSet => "length-top-bit-set",
            Kind::ControlFrameTooLong => "control-frame-too-long",
            Kind::FragmentedControlFrame => "fragmented-control-frame",
            Kind::ContinuationWithoutStart => "continuation-without-start",
            Kind::DataFrameInsideFragmentedMessage => "data-frame-inside-fragmented-message",
            Kind::InvalidUtf8Text => "invalid-utf8-text",
            Kind::FrameAfterClose => "frame-after-close",
            Kind::NotFrames => "not-frames",
            Kind::MalformedClose => "malformed-close",
            Kind::InflateFailed => "inflate-failed",
            Kind::InflateCapHit => "inflate-cap-hit",
            Kind::InflateStopped => "inflate-stopped",
            Kind::AcceptMismatch => "accept-mismatch",
            Kind::HandshakeInvalid => "handshake-invalid",
            Kind::UpgradeRefused => "upgrade-refused",
            Kind::Gap => "gap",
            Kind::OutOfSync => "out-of-sync",
            Kind::TruncatedMessage => "truncated-message",
            Kind::InconsistentRetransmission => "inconsistent-retransmission",
            Kind::DataAfterFin => "data-after-fin",
            Kind::ImplausibleSegment => "implausible-segment",
            Kind::BufferCapHit => "buffer-cap-hit",
            Kind::CapturedCopies => "captured-copies",
            Kind::HandshakeNotCaptured => "handshake-not-captured",
            Kind::HandshakeCut => "handshake-cut",
            Kind::TlsAlert => "tls-alert",
            Kind::TlsStopped => "tls-stopped",
            Kind::H2Lost => "h2-lost",
            Kind::LiveDrop => "live-drop",
        }
    }

    /// A breach of RFC 6455 by the sender (as opposed to a note about the capture).
    pub fn is_violation(self) -> bool {
        !matches!(
            self,
            Kind::Gap
                | Kind::OutOfSync
                | Kind::TruncatedMessage
                | Kind::InconsistentRetransmission
                | Kind::DataAfterFin
                | Kind::ImplausibleSegment
                | Kind::BufferCapHit
                | Kind::CapturedCopies
                | Kind::HandshakeNotCaptured
                | Kind::HandshakeCut
                | Kind::UpgradeRefused
                | Kind::InflateCapHit
                | Kind::InflateStopped
                | Kind::TlsAlert
                | Kind::TlsStopped
                | Kind::H2Lost
                | Kind::LiveDrop
        )
    }
}

// `Found`'s kind is said here, beside the kinds, so that `found.rs` needs none of them.
impl Found {
    /// The finding's kind (`findings[].kind`).
    pub fn kind(&self) -> Kind {
        match self {
            Found::Gap(_) => Kind::Gap,
            Found::MalformedClose { .. } => Kind::MalformedClose,
            Found::UnmaskedClientFrame { .. } => Kind::UnmaskedClientFrame,
            Found::MaskedServerFrame { .. } => Kind::MaskedServerFrame,
            Found::RsvBitsSet { .. } => Kind::RsvBitsSet,
            Found::ReservedOpcode { .. } => Kind::ReservedOpcode,
            Found::NonMinimalLength { .. } => Kind::NonMinimalLength,
            Found::LengthTopBitSet { .. } => Kind::LengthTopBitSet,
            Found::ControlFrameTooLong { .. } => Kind::ControlFrameTooLong,
            Found::FragmentedControlFrame { .. } => Kind::FragmentedControlFrame,
            Found::ContinuationWithoutStart => Kind::ContinuationWithoutStart,
            Found::DataFrameInsideFragmentedMessage { .. } => {
                Kind::DataFrameInsideFragmentedMessage
            }
            Found::FrameAfterClose { .. } => Kind::FrameAfterClose,
            Found::InvalidUtf8Text { .. } => Kind::InvalidUtf8Text,
            Found::InflateFailed { .. } => Kind::InflateFailed,
            Found::InflateCapHit { .. } => Kind::InflateCapHit,
            Found::InflateStopped => Kind::InflateStopped,
            Found::TruncatedMessage(_) => Kind::TruncatedMessage,
            Found::OutOfSync { .. } => Kind::OutOfSync,
            Found::NotFrames { .. } => Kind::NotFrames,
            Found::Ignored {
                after_fin: true, ..
            } => Kind::DataAfterFin,
            Found::Ignored { .. } => Kind::ImplausibleSegment,
            Found::InconsistentRetransmission { .. } => Kind::InconsistentRetransmission,
            Found::BufferCapHit(_) => Kind::BufferCapHit,
            Found::CapturedCopies { .. } => Kind::CapturedCopies,
            Found::LiveDrop => Kind::LiveDrop,
            Found::HandshakeInvalid(_) => Kind::HandshakeInvalid,
            Found::AcceptMismatch => Kind::AcceptMismatch,
            Found::UpgradeRefused { .. } => Kind::UpgradeRefused,
            Found::HandshakeNotCaptured => Kind::HandshakeNotCaptured,
            Found::HandshakeCut { .. } => Kind::HandshakeCut,
            Found::H2Lost(_) => Kind::H2Lost,
            Found::TlsAlert { .. } => Kind::TlsAlert,
            Found::TlsStopped { .. } => Kind::TlsStopped,
        }
    }
}

/// One thing wrong or notable inside a capture.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct Finding {
    /// What it is.
    pub kind: Kind,
    /// The side that caused it, when one did.
    pub from: Option<Role>,
    /// The packet it is in, when one is.
    pub packet: Option<u64>,
    /// A sentence saying what happened (wire text in it is escaped when written out).
    pub detail: String,
    /// The parts of `detail` quoted from the wire that `--redact` must treat ([`Quote`]):
    /// kept in the stored form, left out of the JSON (its `detail` holds them).
    #[serde(default)]
    #[schemars(skip)]
    pub quotes: Vec<Quote>,
    /// What was found, as values, for the kinds made values ([`Found`]): `detail` is its
    /// words (`report::words::finding`), made again when `diagnose` adds to it. Kept in the
    /// stored form, left out of the JSON (its `detail` says it).
    #[serde(default)]
    #[schemars(skip)]
    pub found: Option<Found>,
}

// Its JSON leaves out `quotes`; its stored form (not human-readable) keeps them, so that a
// report read back from the store is redacted as one in memory.
impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let human = s.is_human_readable();
        let mut st = s.serialize_struct("Finding", 6)?;
        st.serialize_field("kind", &self.kind)?;
        st.serialize_field("from", &self.from)?;
        st.serialize_field("packet", &self.packet)?;
        st.serialize_field("detail", &self.detail)?;
        if human {
            st.skip_field("quotes")?;
            st.skip_field("found")?;
        } else {
            st.serialize_field("quotes", &self.quotes)?;
            st.serialize_field("found", &self.found)?;
        }
        st.end()
    }
}

/// What a part of a finding's detail quotes from the wire, and so what `--redact` does with
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Quoted {
    /// Bytes of a stream (the first bytes of what is no frame): the application's payload,
    /// left out.
    Payload,
    /// A `Sec-WebSocket-Protocol` value or list: a subprotocol no registry or decoder knows
    /// may be a credential, named item by item.
    Subprotocols,
    /// An HTTP response's status line a side wrote into the WebSocket stream: its version
    /// and code kept, its words (an error page's, the application's) left out.
    StatusLine,
    /// Other text of the wire kept under `--redact` (a header's value as sent, a reason
    /// phrase, what the inflater said of a message): the addresses, host names, URLs and
    /// mail addresses in it named as in a close reason.
    Text,
}

/// A part of a finding's `detail` quoted from the wire: its byte range there, and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// What it quotes.
    pub what: Quoted,
    /// Its first byte in `detail`.
    pub start: u32,
    /// The byte after its last.
    pub end: u32,
}

/// A finding's detail made of wsclose's words and quotes from the wire, each quote's range
/// kept ([`Quote`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detail {
    /// The sentence so far.
    pub text: String,
    /// The quotes in it.
    pub quotes: Vec<Quote>,
}

impl Detail {
    /// Appends words of wsclose's own.
    pub fn say(mut self, words: &str) -> Detail {
        self.text.push_str(words);
        self
    }

    /// Appends `text` from the wire, of kind `what`.
    pub fn quote(mut self, what: Quoted, text: &str) -> Detail {
        let start = self.text.len();
        self.text.push_str(text);
        if let (Ok(start), Ok(end)) = (u32::try_from(start), u32::try_from(self.text.len())) {
            self.quotes.push(Quote { what, start, end });
        }
        self
    }
}

impl Finding {
    /// A finding whose detail holds no quote `--redact` must treat.
    pub fn new(kind: Kind, from: Option<Role>, packet: Option<u64>, detail: String) -> Finding {
        Finding {
            kind,
            from,
            packet,
            detail,
            quotes: Vec::new(),
            found: None,
        }
    }

    /// A finding whose detail quotes the wire ([`Detail`]).
    pub fn quoting(kind: Kind, from: Option<Role>, packet: Option<u64>, detail: Detail) -> Finding {
        Finding {
            kind,
            from,
            packet,
            detail: detail.text,
            quotes: detail.quotes,
            found: None,
        }
    }

    /// A finding recorded as a value ([`Found`]), with `detail`, its words
    /// (`report::words::finding::detail`).
    pub fn found(from: Option<Role>, packet: Option<u64>, found: Found, detail: Detail) -> Finding {
        Finding {
            kind: found.kind(),
            from,
            packet,
            detail: detail.text,
            quotes: detail.quotes,
            found: Some(found),
        }
    }
}
