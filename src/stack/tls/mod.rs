//! TLS (placeholder header, completed with the session state machine).

pub mod handshake;
pub mod keylog;
pub mod keys;
pub mod record;
