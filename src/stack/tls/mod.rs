//! TLS decryption for one TCP connection (wss://), given NSS key logs.
//!
//! In: the connection's two reassembled byte streams, fed chunk by chunk as the TCP layer
//! delivers them ([`TlsSession::feed`], each chunk tagged with the packet that carried it),
//! the TCP layer's gaps ([`TlsSession::gap`]), and a [`KeyLog`] (files, `SSLKEYLOGFILE`,
//! pcapng Decryption Secrets Blocks). Out: [`TlsEvent`]s — decrypted application data,
//! tagged with the packet that COMPLETED its record, and alerts — and a [`Summary`]:
//! version, cipher suite, SNI, ALPN, and whether decryption worked and why not.
//!
//! Layout:
//! - [`keylog`]: the NSS key-log format.
//! - [`handshake`]: handshake message reassembly and parsing (RFC 8446 §4, RFC 5246 §7.4).
//! - [`keys`]: cipher suites and key schedules (RFC 8446 §7, RFC 5246 §5 and §6.3).
//! - [`record`]: record framing and protection (RFC 8446 §5, RFC 5246 §6.2, RFC 5288,
//!   RFC 7905, RFC 7366).
//! - `machine`: the per-connection state machine (`TlsSession`), its TLS 1.3
//!   (`machine::tls13`) and TLS 1.2 (`machine::tls12`) parts.
//! - `summary`: what a session tells the report; `names`: version and alert names.
//!
//! Key material is never printed or logged.
//!
//! Use, per TCP connection whose client stream starts with a ClientHello:
//!
//! ```
//! use wsclose::__internals::stack::tls::{looks_like_client_hello, KeyLog, TlsEvent, TlsSession};
//!
//! let mut keys = KeyLog::new();
//! for warning in keys.add_text("keys.txt", b"# no secrets yet\n") {
//!     eprintln!("{warning}"); // names the file and line, never a secret
//! }
//! let first_client_bytes = [0x16, 0x03, 0x01, 0x00, 0x05, 0x01];
//! assert!(looks_like_client_hello(&first_client_bytes));
//! let mut tls = TlsSession::new();
//! for event in tls.feed(true, &first_client_bytes, 1, &keys) {
//!     match event {
//!         TlsEvent::Data { from_client, bytes, packet } => { /* to the HTTP/WebSocket layer */ }
//!         TlsEvent::Alert { from_client, level, description, packet } => {}
//!     }
//! }
//! tls.gap(false, Some(7)); // the TCP layer lost server bytes at packet 7
//! let summary = tls.summary();
//! assert!(!summary.decrypted);
//! ```

pub mod handshake;
pub mod keylog;
pub mod keys;
pub mod layer;
mod machine;
mod names;
pub mod record;
mod summary;

pub use keylog::KeyLog;
pub use keylog::{ClientRandom, ConnectionSecrets, KeyLogWarning, Label};
pub use machine::Events;
pub use machine::TlsSession;
pub use names::alert_name;
pub use names::{alert_level_name, version_name};
pub use summary::DirectionSummary;
pub use summary::Summary;

/// Whether `bytes` (the first bytes of a client's stream, on any port) start a TLS
/// ClientHello record: handshake content type 22, version 3.0-3.4, then handshake type 1.
pub fn looks_like_client_hello(bytes: &[u8]) -> bool {
    matches!(bytes, [0x16, 0x03, 0x00..=0x04, _, _, 0x01, ..])
}

/// What a session hands on: the plaintext is borrowed from the session (decrypted where
/// the record's bytes were gathered, not copied again) until its next feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsEvent<'a> {
    /// Decrypted application data; `packet` completed the record that carried it.
    Data {
        from_client: bool,
        bytes: &'a [u8],
        packet: u64,
    },
    /// An alert (RFC 8446 §6, RFC 5246 §7.2), plaintext or decrypted.
    Alert {
        from_client: bool,
        level: u8,
        description: u8,
        packet: u64,
    },
}

#[cfg(test)]
mod tests;
