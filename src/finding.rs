//! Typed findings: everything wrong or notable inside a capture, each with the side that
//! caused it, the packet it is in, and a detail sentence. Never a panic, never a log line.
//!
//! In: pushed by the tcp, http and websocket stages as they see things. Out: the report's
//! `findings` array. The `kind` names are part of the JSON contract (kebab-case, stable).
//!
//! ```
//! use wsclose::finding::Kind;
//!
//! // A python `websockets` server sent a frame with RSV1 set and no extension agreed.
//! let capture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/python-rule-rsv1.pcap");
//! let report = wsclose::analyze_files(&[capture.into()], wsclose::Options::default())?;
//! let finding = &report.connections[0].findings[0];
//! assert_eq!(finding.kind, Kind::RsvBitsSet);
//! assert_eq!(finding.kind.as_str(), "rsv-bits-set"); // its name in the JSON report
//! assert!(finding.kind.is_violation() && finding.packet.is_some());
//! # Ok::<(), wsclose::error::Error>(())
//! ```

use crate::flow::Role;
use serde::{Deserialize, Serialize};

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
    UnmaskedClientFrame,
    MaskedServerFrame,
    // §5.2: header fields.
    RsvBitsSet,
    ReservedOpcode,
    NonMinimalLength,
    LengthTopBitSet,
    // §5.4 / §5.5: fragmentation and control frames.
    ControlFrameTooLong,
    FragmentedControlFrame,
    ContinuationWithoutStart,
    DataFrameInsideFragmentedMessage,
    // §5.6 / §8.1: text payloads.
    InvalidUtf8Text,
    // §5.5.1 / §7.1.4: after a close frame.
    FrameAfterClose,
    // §5.5.1, §7.4: close payloads.
    MalformedClose,
    // RFC 7692: permessage-deflate.
    InflateFailed,
    InflateCapHit,
    InflateStopped,
    // §4: the handshake.
    AcceptMismatch,
    HandshakeInvalid,
    UpgradeRefused,
    // Capture quality (docs/reassembly.md).
    Gap,
    OutOfSync,
    TruncatedMessage,
    InconsistentRetransmission,
    DataAfterFin,
    ImplausibleSegment,
    BufferCapHit,
    /// The capture holds each packet (or some) more than once: taken on several
    /// interfaces or hops (`tcpdump -i any` on a host with a bridge). Counted once.
    CapturedCopies,
    HandshakeNotCaptured,
    /// Part of the upgrade request or response is missing (snap length, a drop); the
    /// frames after it were found by the probe.
    HandshakeCut,
    // TLS (RFC 8446 §6, RFC 5246 §7.2): alerts, and a direction that could not be decrypted.
    TlsAlert,
    TlsStopped,
    // HTTP/2 (RFC 9113, RFC 7541): framing or header compression that could not be followed.
    H2Lost,
}

impl Kind {
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
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct Finding {
    pub kind: Kind,
    pub from: Option<Role>,
    pub packet: Option<u64>,
    pub detail: String,
}

/// A bounded list: a hostile capture cannot grow it without limit.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Findings {
    pub items: Vec<Finding>,
    /// Findings not kept because the list was full.
    pub dropped: u64,
}

impl Findings {
    pub const MAX: usize = 200;

    pub fn push(&mut self, kind: Kind, from: Option<Role>, packet: Option<u64>, detail: String) {
        if self.items.len() < Self::MAX {
            self.items.push(Finding {
                kind,
                from,
                packet,
                detail,
            });
        } else {
            self.dropped += 1;
        }
    }

    pub fn has(&self, kind: Kind) -> bool {
        self.items.iter().any(|f| f.kind == kind)
    }
}
