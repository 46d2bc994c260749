//! TCP reassembly, one [`assembler::HalfStream`] per direction (docs/reassembly.md, rules 1-11).
//!
//! In: segments of one direction (sequence number, payload, flags, packet number, time) and
//! the peer's acknowledgements. Out: [`Event`]s in stream order: `Data` (borrowed from the
//! packet when it arrives in order, so the common path copies nothing) and `Gap` (bytes the
//! capture does not hold — never spliced over, never filled with zeros). How the direction
//! ended (FIN reached, RST) is read from the half-stream by the connection. Data seen
//! before a direction's start is known is held briefly, in case its SYN was captured after
//! it (see [`assembler`]).
//! RFC 9293 §3.4 (sequence numbers) and §3.10.7 (segment arrival) apply.

pub mod assembler;
pub mod connection;
pub mod path;

use crate::capture::Timestamp;

/// What a half-stream hands to the application layer, in stream order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// Bytes at stream `offset`, from the segment in `packet` captured at `ts`.
    Data {
        offset: u64,
        bytes: &'a [u8],
        packet: u64,
        ts: Timestamp,
    },
    /// `len` bytes at `offset` that the capture does not hold; `packet` is the one that
    /// showed it (cut by the snaplen, an ACK past the hole, a cap or an RST forcing it), if any.
    /// `cut` is true when they are the end of `packet`'s own payload, cut off by the
    /// capture's snap length (the packet was captured, its end was not).
    Gap {
        offset: u64,
        len: u64,
        packet: Option<u64>,
        cut: bool,
    },
}

/// Per-direction counters for the report.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub struct Counters {
    /// Payload bytes delivered in order.
    pub bytes: u64,
    pub segments: u64,
    /// Segments that repeated bytes already seen (wholly or in part).
    pub retransmissions: u64,
    /// Segments that arrived ahead of a hole and had to wait.
    pub out_of_order: u64,
    pub gaps: u64,
    pub missing_bytes: u64,
    /// Retransmissions whose bytes differed from the first copy (the first copy is kept).
    pub inconsistencies: u64,
    /// Segments carrying data after this direction's FIN (ignored).
    pub after_fin: u64,
    /// Segments starting more than 1 GiB past the delivered bytes: not believed (a
    /// corrupt or forged sequence number, reassembly rule 2) and ignored.
    pub implausible: u64,
}
