//! TCP reassembly, one [`assembler::HalfStream`] per direction (docs/reassembly.md, rules 1-11).
//!
//! In: segments of one direction (sequence number, payload, flags, packet number, time) and
//! the peer's acknowledgements. Out: [`Event`](crate::flow::Event)s in stream order: `Data` (borrowed from the
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
pub mod trail;
