//! What one TLS session tells the report: version, cipher suite, SNI, ALPN, resumption,
//! early data (RFC 8446 §4.2.10), per-direction counters, and why decryption stopped.
//!
//! In: the session's state, read by [`TlsSession::summary`](super::TlsSession::summary).
//! Out: a [`Summary`] with a [`DirectionSummary`] per side and a [`NotDecrypted`] reason.

use super::keys;
use super::names::version_name;
use crate::vocab::NotDecrypted;

/// One direction's counters and state for the report. Laid out in the order written
/// (`repr(C)`): what every record reads or updates first, in the session's hot lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[repr(C)]
pub struct DirectionSummary {
    /// Why this direction stopped, if it did.
    pub stopped: Option<NotDecrypted>,
    /// Records framed.
    pub records: u64,
    /// Protected records opened.
    pub decrypted_records: u64,
    /// Application data bytes emitted.
    pub app_bytes: u64,
    /// Of `app_bytes`, early data (0-RTT) bytes.
    pub early_bytes: u64,
    /// KeyUpdates followed.
    pub key_updates: u64,
    /// The last record framed: its content type and payload length (0, 0: none). A TLS 1.3
    /// client that rejects the server's certificate ends with an alert (RFC 8446 §6.2): 2
    /// bytes, or 19 protected with a 16-byte tag; one that completes sends its Finished
    /// (at least 49).
    pub last_len: u16,
    /// See `last_len`.
    pub last_type: u8,
    /// Records of content type application_data (23) framed, saturating at 255: in TLS 1.3
    /// every protected record (RFC 8446 §5.2).
    pub protected: u8,
    /// Early-data records that could not be decrypted and were skipped (at most
    /// `MAX_SKIPPED_EARLY`). With the three fields above, one word: the stats stay the size
    /// they were before the last record was kept.
    pub skipped_early_records: u32,
}

/// What a session found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// The ClientHello's random: the key a key log files this connection's secrets under
    /// (public: it travels in the clear).
    pub client_random: Option<[u8; 32]>,
    /// Negotiated version (`TLS12` or `TLS13`, or what the server chose).
    pub version: Option<u16>,
    pub cipher_suite: Option<u16>,
    pub sni: Option<String>,
    pub alpn_offered: Vec<String>,
    pub alpn_chosen: Option<String>,
    pub hello_retry_request: bool,
    /// The session was resumed: a TLS 1.3 server accepted a pre-shared key (RFC 8446
    /// §2.2), or a TLS 1.2 one answered with the session ID the client asked to resume
    /// (RFC 5246 §7.3, an abbreviated handshake; RFC 5077 §3.4 for a session ticket).
    pub resumed: bool,
    /// The client offered early data (0-RTT).
    pub early_data_offered: bool,
    /// The server accepted it (EncryptedExtensions), when known.
    pub early_data_accepted: Option<bool>,
    /// At least one protected record was decrypted.
    pub decrypted: bool,
    /// The first reason decryption did not cover the whole connection (session-wide, or
    /// the first direction that stopped).
    pub why_not: Option<NotDecrypted>,
    pub client: DirectionSummary,
    pub server: DirectionSummary,
}

impl Summary {
    pub fn version_name(&self) -> Option<String> {
        self.version.map(version_name)
    }
    pub fn cipher_suite_name(&self) -> Option<String> {
        self.cipher_suite.map(keys::suite_name)
    }
}
