//! WebSocket framing (RFC 6455 §5): the pure nom header parser (`frame`), incremental
//! UTF-8 validation (`utf8`) and the per-direction streaming decoder (`decoder`).

pub mod decoder;
pub mod deflate;
pub mod frame;
pub mod library;
pub mod probe;
pub mod session;
pub mod tap;
pub mod unanswered;
pub mod utf8;
