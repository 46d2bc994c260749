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
pub mod path_watch;
mod seq;

pub use crate::flow::Event;

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
    /// Segments with payload.
    pub segments: u64,
    /// Segments that repeated bytes already seen (wholly or in part).
    pub retransmissions: u64,
    /// Segments that arrived ahead of a hole and had to wait.
    pub out_of_order: u64,
    /// Holes in the sequence space that were never filled (bytes missing from the capture).
    pub gaps: u64,
    /// Bytes in those holes.
    pub missing_bytes: u64,
    /// Retransmissions whose bytes differed from the first copy (the first copy is kept).
    pub inconsistencies: u64,
    /// Segments carrying data after this direction's FIN (ignored).
    pub after_fin: u64,
    /// Segments starting more than 1 GiB past the delivered bytes: not believed (a
    /// corrupt or forged sequence number, reassembly rule 2) and ignored.
    pub implausible: u64,
}
