//! WebSocket framing (RFC 6455 §5): the pure nom header parser (`frame`), incremental
//! UTF-8 validation (`utf8`) and the per-direction streaming decoder (`decoder`).
//!
//! Between the stack and the application layer: the stack (`stack::http1`, `stack::h2`)
//! makes the [`session::Session`]s and feeds their decoders, each session hands its messages
//! to the application layer (`app`). It imports nothing of the stack.

pub mod decoder;
pub mod deflate;
pub mod frame;
pub mod lastwords;
pub mod library;
pub mod probe;
pub mod session;
pub mod tap;
pub mod utf8;
