//! TLS decryption for one TCP connection (wss://, issue 30), given NSS key logs.
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
//! - this module: the per-connection state machine.
//!
//! The state machine, per direction: records are plaintext until keys take effect — in
//! TLS 1.3 every record whose outer type is application_data (23) is protected (RFC 8446
//! §5.2), under the client early key (when `CLIENT_EARLY_TRAFFIC_SECRET` is logged), the
//! handshake key, then after each side's Finished the application key, renewed by each
//! KeyUpdate (§4.6.3, §7.2); in TLS 1.2 a side's keys take effect after its
//! ChangeCipherSpec, and its first protected message is Finished (RFC 5246 §7.1). Client
//! records that need the server's choice (suite, version) wait until the ServerHello is
//! seen; records that need keys wait while the key log has none for the connection (a live
//! capture's key log may be written a moment after the handshake), up to a bound.
//!
//! Early data (0-RTT): the client's protected records wait until the server's
//! EncryptedExtensions tell whether it was accepted (RFC 8446 §4.2.10; never after a
//! HelloRetryRequest). Accepted early data is decrypted when `CLIENT_EARLY_TRAFFIC_SECRET`
//! is logged; early data that was rejected (the server never read it: the client sends it
//! again) or cannot be decrypted (no early secret logged) is found by trial — while early
//! data was offered, a client record that does not open under the handshake key is skipped
//! and counted, not taken as a key mismatch. A record that fails authentication otherwise stops that direction ("this key
//! log does not match this connection") and nothing of it is emitted; a TCP gap stops the
//! direction at that packet: nothing is guessed.
//!
//! Key material is never printed or logged.
//!
//! Use, per TCP connection whose client stream starts with a ClientHello:
//!
//! ```
//! use wsclose::stack::tls::{looks_like_client_hello, KeyLog, TlsEvent, TlsSession};
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
//!
//! Size: about 1 100 lines: one state machine whose phases (early data, handshake,
//! application, KeyUpdate; TLS 1.2 ChangeCipherSpec) share the per-direction ciphers and
//! waiting records; its tests are in `tests.rs`.

pub mod handshake;
pub mod keylog;
pub mod keys;
pub mod layer;
pub mod record;

#[cfg(any(test, feature = "internals"))]
pub use keylog::{ClientRandom, KeyLogWarning};
pub use keylog::{ConnectionSecrets, KeyLog, Label};

use handshake::{kind, ClientHello, Message, Reassembler, ServerHello, TLS12, TLS13};
use keylog::Secret;
use keys::{Bulk, Suite};
use record::{content, FrameError, Framer, OpenError, Record, RecordCipher, RecordHead};
use std::collections::VecDeque;
use std::fmt;

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

/// An alert level's name.
#[cfg(any(test, feature = "internals"))]
pub fn alert_level_name(level: u8) -> &'static str {
    match level {
        1 => "warning",
        2 => "fatal",
        _ => "unknown",
    }
}

/// An alert description's name (RFC 8446 §6, RFC 5246 §7.2, RFC 8446's registry).
pub fn alert_name(description: u8) -> &'static str {
    match description {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => "unknown_alert",
    }
}

/// Why (part of) a connection was not decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotDecrypted {
    /// The key logs hold nothing usable for this connection's client random.
    NoKey,
    /// The key logs hold some of this connection's TLS 1.3 secrets but not all that
    /// decryption needs (the handshake secrets without the traffic secrets, which a client
    /// logs only once its handshake completes).
    PartialKey,
    /// A record failed authentication under the logged key.
    KeyMismatch,
    UnsupportedSuite(u16),
    UnsupportedVersion(u16),
    /// A TCP gap; the packet that showed it, if known.
    Gap {
        packet: Option<u64>,
    },
    /// The capture does not start with the handshake.
    HandshakeNotCaptured,
    /// Something this decoder does not follow (renegotiation).
    Unsupported(&'static str),
    /// The bytes broke the TLS rules.
    ProtocolViolation(String),
}

impl fmt::Display for NotDecrypted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotDecrypted::NoKey => f.write_str("no key for this connection"),
            NotDecrypted::PartialKey => f.write_str("the key log holds only part of this connection's secrets (no application traffic secrets: a client logs them once its handshake completes, so this one most likely never completed)"),
            NotDecrypted::KeyMismatch => f.write_str("this key log does not match this connection"),
            NotDecrypted::UnsupportedSuite(id) => {
                write!(f, "unsupported cipher suite {}", keys::suite_name(*id))
            }
            NotDecrypted::UnsupportedVersion(v) => {
                write!(f, "unsupported TLS version {}", version_name(*v))
            }
            NotDecrypted::Gap { packet: Some(p) } => {
                write!(f, "TCP gap at packet {p}: cannot continue")
            }
            NotDecrypted::Gap { packet: None } => f.write_str("TCP gap: cannot continue"),
            NotDecrypted::HandshakeNotCaptured => f.write_str("handshake not captured"),
            NotDecrypted::Unsupported(what) => write!(f, "{what} is not supported"),
            NotDecrypted::ProtocolViolation(what) => write!(f, "TLS protocol violation: {what}"),
        }
    }
}

/// A protocol version's name.
pub fn version_name(v: u16) -> String {
    match v {
        0x0300 => "SSL 3.0".to_owned(),
        0x0301 => "TLS 1.0".to_owned(),
        0x0302 => "TLS 1.1".to_owned(),
        TLS12 => "TLS 1.2".to_owned(),
        TLS13 => "TLS 1.3".to_owned(),
        _ => format!("0x{v:04x}"),
    }
}

/// One direction's counters and state for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectionSummary {
    /// Records framed.
    pub records: u64,
    /// Protected records opened.
    pub decrypted_records: u64,
    /// Application data bytes emitted.
    pub app_bytes: u64,
    /// Of those, early data (0-RTT) bytes.
    pub early_bytes: u64,
    /// Early-data records that could not be decrypted and were skipped.
    pub skipped_early_records: u64,
    /// KeyUpdates followed.
    pub key_updates: u64,
    /// Why this direction stopped, if it did.
    pub stopped: Option<NotDecrypted>,
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

/// An event of the last feed, its plaintext a range of the session's buffer.
#[derive(Debug, Clone, Copy)]
enum Out {
    Data {
        from_client: bool,
        start: usize,
        end: usize,
        packet: u64,
    },
    Alert(TlsEvent<'static>),
}

/// The events of one feed ([`TlsSession::feed`], [`TlsSession::events`]).
#[derive(Debug, Clone)]
pub struct Events<'a> {
    out: std::slice::Iter<'a, Out>,
    plain: &'a [u8],
}

impl<'a> Iterator for Events<'a> {
    type Item = TlsEvent<'a>;

    fn next(&mut self) -> Option<TlsEvent<'a>> {
        Some(match *self.out.next()? {
            Out::Data {
                from_client,
                start,
                end,
                packet,
            } => TlsEvent::Data {
                from_client,
                bytes: self.plain.get(start..end).unwrap_or_default(),
                packet,
            },
            Out::Alert(a) => a,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.out.size_hint()
    }
}

/// The plaintext buffer's capacity kept from one feed to the next (one feed's records
/// are gathered and decrypted in it); a feed that needed more frees it afterwards.
const PLAIN_KEEP: usize = 64 << 10;

/// Records held (per direction) while waiting for the other side's hello or for keys.
const MAX_PENDING_BYTES: usize = 4 << 20;

/// What a waiting record costs in memory: its payload and the record itself, so that a
/// flood of empty records is bounded like a few large ones.
fn held(rec: &Record) -> usize {
    rec.payload.len() + std::mem::size_of::<Record>()
}
/// Undecryptable early-data records skipped before the key is taken as wrong.
const MAX_SKIPPED_EARLY: u64 = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// TLS 1.3 client: early data may come (early key, or skipped).
    Early,
    Handshake,
    Application,
}

#[derive(Debug, Default)]
struct Dir {
    framer: Framer,
    hs: Reassembler,
    pending: VecDeque<Record>,
    pending_bytes: usize,
    /// Any record framed (a framing error before is "handshake not captured").
    framed_any: bool,
    stats: DirectionSummary,
    // TLS 1.3
    phase: Option<Phase>,
    early: Option<RecordCipher>,
    handshake: Option<RecordCipher>,
    app: Option<RecordCipher>,
    app_secret: Option<Secret>,
    handshake_opened: bool,
    early_offered: bool,
    // TLS 1.2
    next12: Option<RecordCipher>,
    current12: Option<RecordCipher>,
}

impl Dir {
    fn stopped(&self) -> bool {
        self.stats.stopped.is_some()
    }

    fn stop(&mut self, why: NotDecrypted) {
        if self.stats.stopped.is_none() {
            self.stats.stopped = Some(why);
        }
        self.pending.clear();
        self.pending_bytes = 0;
        self.framer.clear();
        self.hs.clear();
        self.early = None;
        self.handshake = None;
        self.app = None;
        self.app_secret = None;
        self.next12 = None;
        self.current12 = None;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyState {
    /// Before the ServerHello.
    Unknown,
    /// ServerHello seen; no key logged yet.
    Awaiting,
    Ready,
    /// Nothing more will be decrypted (unsupported, mismatch at setup…).
    Failed,
}

/// One TCP connection's TLS state.
pub struct TlsSession {
    client: Dir,
    server: Dir,
    client_hello: Option<ClientHello>,
    /// The second ClientHello, after a HelloRetryRequest.
    client_hello2: Option<ClientHello>,
    server_hello: Option<ServerHello>,
    hello_retry_request: bool,
    suite: Option<&'static Suite>,
    alpn_chosen: Option<Vec<u8>>,
    /// Whether the server accepted early data: `None` until its EncryptedExtensions.
    early_accepted: Option<bool>,
    key_state: KeyState,
    /// Some of the connection's secrets are logged, not all that are needed.
    partial_key: bool,
    problem: Option<NotDecrypted>,
    /// The last feed's events.
    out: Vec<Out>,
    /// The last feed's records: each is gathered at the end, decrypted in place, and cut
    /// back to the end of the last plaintext handed on (`keep`).
    plain: Vec<u8>,
    keep: usize,
}

impl fmt::Debug for TlsSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSession")
            .field("summary", &self.summary())
            .finish_non_exhaustive()
    }
}

impl Drop for TlsSession {
    fn drop(&mut self) {
        record::spare::give(std::mem::take(&mut self.plain));
    }
}

impl Default for TlsSession {
    fn default() -> Self {
        TlsSession::new()
    }
}

impl TlsSession {
    pub fn new() -> TlsSession {
        TlsSession {
            client: Dir::default(),
            server: Dir::default(),
            client_hello: None,
            client_hello2: None,
            server_hello: None,
            hello_retry_request: false,
            suite: None,
            alpn_chosen: None,
            early_accepted: None,
            key_state: KeyState::Unknown,
            partial_key: false,
            problem: None,
            out: Vec::new(),
            plain: Vec::new(),
            keep: 0,
        }
    }

    fn dir(&mut self, from_client: bool) -> &mut Dir {
        if from_client {
            &mut self.client
        } else {
            &mut self.server
        }
    }

    fn dir_ref(&self, from_client: bool) -> &Dir {
        if from_client {
            &self.client
        } else {
            &self.server
        }
    }

    /// Feeds `bytes` of one direction's stream, carried by `packet`; returns the events
    /// they (and any records that were waiting) produced, in order per direction (also
    /// [`TlsSession::events`] until the next feed).
    pub fn feed(
        &mut self,
        from_client: bool,
        mut bytes: &[u8],
        packet: u64,
        keys: &keylog::KeyLog,
    ) -> Events<'_> {
        self.out.clear();
        if self.plain.capacity() > PLAIN_KEEP {
            self.plain = Vec::new();
        }
        self.plain.clear();
        self.keep = 0;
        while !self.dir_ref(from_client).stopped() {
            let d = if from_client {
                &mut self.client
            } else {
                &mut self.server
            };
            match d.framer.next(&mut bytes, packet, &mut self.plain) {
                Ok(Some((head, start))) => {
                    d.framed_any = true;
                    self.record(from_client, head, start, keys);
                    self.plain.truncate(self.keep);
                }
                Ok(None) => break,
                Err(e) => {
                    self.frame_error(from_client, e);
                    break;
                }
            }
        }
        self.settle(keys);
        self.events()
    }

    /// The events of the last [`TlsSession::feed`].
    pub fn events(&self) -> Events<'_> {
        Events {
            out: self.out.iter(),
            plain: &self.plain,
        }
    }

    /// Bytes of one direction are missing (`packet` showed it, if known): that direction
    /// stops there. If that direction's hello had not been read yet, the other direction
    /// cannot be decrypted either (its keys need both hellos).
    pub fn gap(&mut self, from_client: bool, packet: Option<u64>) {
        let why = NotDecrypted::Gap { packet };
        self.dir(from_client).stop(why.clone());
        let own_hello_known = if from_client {
            self.client_hello.is_some()
        } else {
            self.server_hello.is_some()
        };
        if !own_hello_known {
            self.dir(!from_client).stop(why);
        }
    }

    /// The client random that names this connection in key logs (the first ClientHello's),
    /// once seen: with [`KeyLog::nss_lines`] it gives the lines to store with an extracted
    /// capture of this connection.
    #[cfg(any(test, feature = "internals"))]
    pub fn client_random(&self) -> Option<ClientRandom> {
        self.client_hello.as_ref().map(|c| c.random)
    }

    /// Why one direction stopped decrypting, if it did (what [`TlsSession::summary`]
    /// says of it, without building the rest).
    pub fn stopped(&self, from_client: bool) -> Option<&NotDecrypted> {
        self.dir_ref(from_client).stats.stopped.as_ref()
    }

    /// The protocol the server chose by ALPN (RFC 7301), once its hello (TLS 1.2) or
    /// EncryptedExtensions (TLS 1.3) was read.
    pub fn alpn_chosen(&self) -> Option<&[u8]> {
        self.alpn_chosen.as_deref()
    }

    /// What the session knows so far.
    pub fn summary(&self) -> Summary {
        let ch = self.client_hello.as_ref();
        let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let decrypted =
            self.client.stats.decrypted_records + self.server.stats.decrypted_records > 0;
        let why_not = self
            .problem
            .clone()
            .or_else(|| (self.key_state == KeyState::Awaiting).then(|| self.no_key()))
            .or_else(|| {
                // Records still waiting for the other side's hello.
                (self.client_hello.is_some()
                    && self.server_hello.is_none()
                    && !self.client.pending.is_empty())
                .then_some(NotDecrypted::HandshakeNotCaptured)
            })
            .or_else(|| self.client.stats.stopped.clone())
            .or_else(|| self.server.stats.stopped.clone())
            .or_else(|| {
                // Records, but never a ClientHello.
                (self.client_hello.is_none()
                    && self.client.stats.records + self.server.stats.records > 0)
                    .then_some(NotDecrypted::HandshakeNotCaptured)
            });
        Summary {
            client_random: ch.map(|c| c.random),
            version: self
                .server_hello
                .as_ref()
                .map(ServerHello::version)
                .or(self.hello_retry_request.then_some(TLS13)),
            cipher_suite: self.server_hello.as_ref().map(|s| s.cipher_suite),
            sni: ch.and_then(|c| c.sni.clone()),
            alpn_offered: ch
                .map(|c| c.alpn.iter().map(|a| lossy(a)).collect())
                .unwrap_or_default(),
            alpn_chosen: self.alpn_chosen.as_deref().map(lossy),
            hello_retry_request: self.hello_retry_request,
            resumed: self.server_hello.as_ref().is_some_and(|sh| {
                if sh.version() == TLS13 {
                    sh.pre_shared_key
                } else {
                    ch.is_some_and(|c| !c.session_id.is_empty() && c.session_id == sh.session_id)
                }
            }),
            early_data_offered: ch.is_some_and(|c| c.early_data),
            early_data_accepted: self.early_accepted,
            decrypted,
            why_not,
            client: self.client.stats.clone(),
            server: self.server.stats.clone(),
        }
    }

    /// Stops both directions for a reason that concerns the whole connection.
    fn fail(&mut self, why: NotDecrypted) {
        if self.problem.is_none() {
            self.problem = Some(why.clone());
        }
        self.key_state = KeyState::Failed;
        self.client.stop(why.clone());
        self.server.stop(why);
    }

    fn frame_error(&mut self, from_client: bool, e: FrameError) {
        let started = self.dir_ref(from_client).framed_any;
        if !started && (from_client || self.server_hello.is_none()) {
            self.fail(NotDecrypted::HandshakeNotCaptured);
        } else {
            self.dir(from_client)
                .stop(NotDecrypted::ProtocolViolation(e.to_string()));
        }
    }

    /// Whether a record of `content_type` must wait (for the other side's hello, or for keys).
    fn blocked(&self, from_client: bool, content_type: u8) -> bool {
        if from_client {
            if self.client_hello.is_none() {
                return false;
            }
            if self.server_hello.is_none() {
                // Plaintext handshake and alerts go on (a second ClientHello after a
                // HelloRetryRequest); protected records wait for the server's choice.
                return !matches!(content_type, content::HANDSHAKE | content::ALERT);
            }
        } else if self.client_hello.is_none() {
            return true;
        }
        if from_client
            && self.client.phase == Some(Phase::Early)
            && self.early_accepted.is_none()
            && !self.server.stopped()
            && content_type == content::APPLICATION_DATA
        {
            // Early data: wait for the server's word on it (EncryptedExtensions).
            return true;
        }
        if self.key_state != KeyState::Awaiting {
            return false;
        }
        match self.server_hello.as_ref().map(ServerHello::version) {
            Some(TLS13) => content_type == content::APPLICATION_DATA,
            _ => {
                content_type == content::CHANGE_CIPHER_SPEC
                    || self.dir_ref(from_client).current12.is_some()
            }
        }
    }

    /// A record framed from this feed's bytes: its payload is `self.plain[start..]`.
    fn record(&mut self, from_client: bool, head: RecordHead, start: usize, keys: &keylog::KeyLog) {
        let d = self.dir(from_client);
        if d.stopped() {
            return;
        }
        d.stats.records += 1;
        if !d.pending.is_empty() || self.blocked(from_client, head.content_type) {
            let rec = Record {
                content_type: head.content_type,
                version: head.version,
                payload: self.plain.get(start..).unwrap_or_default().to_vec(),
                packet: head.packet,
            };
            let d = self.dir(from_client);
            d.pending_bytes = d.pending_bytes.saturating_add(held(&rec));
            d.pending.push_back(rec);
            if d.pending_bytes > MAX_PENDING_BYTES {
                let why = if self.key_state == KeyState::Awaiting {
                    self.no_key()
                } else {
                    NotDecrypted::HandshakeNotCaptured
                };
                self.fail(why);
            }
            return;
        }
        self.process(from_client, head, start, keys);
    }

    /// Lets waiting records go once what they waited for has come, and looks the keys up
    /// again while they are missing.
    fn settle(&mut self, keys: &keylog::KeyLog) {
        loop {
            if self.key_state == KeyState::Awaiting {
                self.resolve_keys(keys);
            }
            let mut progressed = false;
            for from_client in [true, false] {
                loop {
                    let d = self.dir_ref(from_client);
                    let Some(front) = d.pending.front() else {
                        break;
                    };
                    if d.stopped() || self.blocked(from_client, front.content_type) {
                        break;
                    }
                    let d = self.dir(from_client);
                    let Some(rec) = d.pending.pop_front() else {
                        break;
                    };
                    d.pending_bytes = d.pending_bytes.saturating_sub(held(&rec));
                    let start = self.plain.len();
                    self.plain.extend_from_slice(&rec.payload);
                    self.process(from_client, rec.head(), start, keys);
                    self.plain.truncate(self.keep);
                    progressed = true;
                }
            }
            if !progressed {
                break;
            }
        }
    }

    /// One record, not blocked; its payload is `self.plain[start..]`.
    fn process(
        &mut self,
        from_client: bool,
        head: RecordHead,
        start: usize,
        keys: &keylog::KeyLog,
    ) {
        if self.dir_ref(from_client).stopped() {
            return;
        }
        let version = self.server_hello.as_ref().map(ServerHello::version);
        let protected = match version {
            Some(TLS13) => head.content_type == content::APPLICATION_DATA,
            Some(_) => self.dir_ref(from_client).current12.is_some(),
            None => false,
        };
        if !protected {
            self.plaintext(from_client, head, start, keys);
            return;
        }
        if version == Some(TLS13) {
            self.open13(from_client, head, start, keys);
            return;
        }
        let d = if from_client {
            &mut self.client
        } else {
            &mut self.server
        };
        let Some(cipher) = d.current12.as_mut() else {
            return;
        };
        match cipher.open(head, self.plain.get_mut(start..).unwrap_or_default()) {
            Ok((ty, plain)) => {
                d.stats.decrypted_records += 1;
                let (a, b) = (start + plain.start, start + plain.end);
                self.deliver(from_client, ty, a, b, head.packet, false, keys);
            }
            Err(e) => self.open_failed(from_client, e, head.packet),
        }
    }

    fn open_failed(&mut self, from_client: bool, e: OpenError, packet: u64) {
        let why = match e {
            OpenError::Auth => NotDecrypted::KeyMismatch,
            OpenError::Malformed => NotDecrypted::ProtocolViolation(format!(
                "malformed protected record completed by packet {packet}"
            )),
        };
        self.dir(from_client).stop(why);
    }

    /// A TLS 1.3 protected record: under the early, handshake or application key, by phase.
    /// Its payload is `self.plain[start..]`.
    fn open13(&mut self, from_client: bool, head: RecordHead, start: usize, keys: &keylog::KeyLog) {
        let packet = head.packet;
        let early_rejected = self.early_accepted == Some(false);
        let d = if from_client {
            &mut self.client
        } else {
            &mut self.server
        };
        let rec = self.plain.get_mut(start..).unwrap_or_default();
        let Some(phase) = d.phase else {
            // Keys not set (cannot happen once the state is Ready).
            return;
        };
        // A failed open may garble the record: a trial works on a copy. (Only the few
        // records of the early and handshake phases are tried; application data opens in
        // place.)
        let try_open = |c: &mut Option<RecordCipher>, rec: &mut [u8]| match c.as_mut() {
            Some(c) => {
                let mut copy = rec.to_vec();
                let r = c.open(head, &mut copy);
                if r.is_ok() {
                    rec.copy_from_slice(&copy);
                }
                r
            }
            None => Err(OpenError::Auth),
        };
        let open_in_place = |c: &mut Option<RecordCipher>, rec: &mut [u8]| match c.as_mut() {
            Some(c) => c.open(head, rec),
            None => Err(OpenError::Auth),
        };
        let opened = match phase {
            Phase::Early => {
                // Rejected early data is not emitted even when its key is logged: the
                // server never read it (the client sends it again after the handshake).
                let as_early = if early_rejected {
                    Err(OpenError::Auth)
                } else {
                    try_open(&mut d.early, rec)
                };
                match as_early {
                    Ok(ty) => Ok((ty, true)),
                    Err(_) => try_open(&mut d.handshake, rec).map(|ty| {
                        d.phase = Some(Phase::Handshake);
                        d.handshake_opened = true;
                        (ty, false)
                    }),
                }
            }
            Phase::Handshake => match try_open(&mut d.handshake, rec) {
                Ok(ty) => {
                    d.handshake_opened = true;
                    Ok((ty, false))
                }
                Err(e) => {
                    if d.early_offered && !d.handshake_opened {
                        Err(e)
                    } else {
                        // The handshake may have ended unseen (e.g. its Finished was in a
                        // record we could not read): try the application key.
                        match try_open(&mut d.app, rec) {
                            Ok(ty) => {
                                d.phase = Some(Phase::Application);
                                Ok((ty, false))
                            }
                            Err(e2) => Err(if e == OpenError::Malformed { e } else { e2 }),
                        }
                    }
                }
            },
            Phase::Application => open_in_place(&mut d.app, rec).map(|ty| (ty, false)),
        };
        match opened {
            Ok(((ty, plain), early)) => {
                d.stats.decrypted_records += 1;
                let (a, b) = (start + plain.start, start + plain.end);
                self.deliver(from_client, ty, a, b, packet, early, keys);
            }
            Err(e) => {
                // Undecryptable early data is skipped, unless the server's records already
                // showed that the key log does not fit this connection.
                let server_mismatch = self.server.stats.stopped == Some(NotDecrypted::KeyMismatch);
                let d = self.dir(from_client);
                let skippable = from_client
                    && !server_mismatch
                    && d.early_offered
                    && !d.handshake_opened
                    && phase != Phase::Application;
                if skippable && d.stats.skipped_early_records < MAX_SKIPPED_EARLY {
                    d.stats.skipped_early_records += 1;
                } else {
                    self.open_failed(from_client, e, packet);
                }
            }
        }
    }

    /// A record before protection (or TLS 1.3's plaintext records).
    /// Its payload is `self.plain[start..]`.
    fn plaintext(
        &mut self,
        from_client: bool,
        head: RecordHead,
        start: usize,
        keys: &keylog::KeyLog,
    ) {
        let first = self.dir_ref(from_client).stats.records == 1;
        let end = self.plain.len();
        match head.content_type {
            ty @ (content::HANDSHAKE | content::ALERT) => {
                self.deliver(from_client, ty, start, end, head.packet, false, keys)
            }
            content::CHANGE_CIPHER_SPEC => {
                if first && from_client {
                    self.fail(NotDecrypted::HandshakeNotCaptured);
                    return;
                }
                let version = self.server_hello.as_ref().map(ServerHello::version);
                if version != Some(TLS12) {
                    return; // TLS 1.3 middlebox compatibility (RFC 8446 §D.4): ignored
                }
                let d = self.dir(from_client);
                match d.next12.take() {
                    Some(c) => d.current12 = Some(c),
                    None => {
                        if self.key_state == KeyState::Ready {
                            self.dir(from_client)
                                .stop(NotDecrypted::Unsupported("TLS renegotiation"));
                        }
                    }
                }
            }
            _ => {
                if first && (from_client || self.server_hello.is_none()) {
                    self.fail(NotDecrypted::HandshakeNotCaptured);
                }
                // Plaintext application data or heartbeats: not ours to emit.
            }
        }
    }

    /// Plaintext of content type `ty` from one direction: `self.plain[start..end]`.
    #[allow(clippy::too_many_arguments)]
    fn deliver(
        &mut self,
        from_client: bool,
        ty: u8,
        start: usize,
        end: usize,
        packet: u64,
        early: bool,
        keys: &keylog::KeyLog,
    ) {
        let d = if from_client {
            &mut self.client
        } else {
            &mut self.server
        };
        let bytes = self.plain.get(start..end).unwrap_or_default();
        match ty {
            content::APPLICATION_DATA => {
                if bytes.is_empty() {
                    return;
                }
                let n = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
                d.stats.app_bytes = d.stats.app_bytes.saturating_add(n);
                if early {
                    d.stats.early_bytes = d.stats.early_bytes.saturating_add(n);
                }
                self.out.push(Out::Data {
                    from_client,
                    start,
                    end,
                    packet,
                });
                self.keep = end;
            }
            content::ALERT => {
                for pair in bytes.chunks_exact(2) {
                    if let [level, description] = *pair {
                        self.out.push(Out::Alert(TlsEvent::Alert {
                            from_client,
                            level,
                            description,
                            packet,
                        }));
                    }
                }
            }
            content::HANDSHAKE => match d.hs.push(bytes) {
                Ok(messages) => {
                    for m in messages {
                        if self.dir_ref(from_client).stopped() {
                            break;
                        }
                        self.message(from_client, m, early, keys);
                    }
                }
                Err(handshake::ReassemblyError::TooLong { kind, len }) => {
                    self.dir(from_client)
                        .stop(NotDecrypted::ProtocolViolation(format!(
                            "handshake message type {kind} of {len} bytes"
                        )));
                }
            },
            _ => {}
        }
    }

    fn message(&mut self, from_client: bool, m: Message, early: bool, keys: &keylog::KeyLog) {
        if from_client {
            self.client_message(m, early)
        } else {
            self.server_message(m, keys)
        }
    }

    fn client_message(&mut self, m: Message, early: bool) {
        if self.client_hello.is_none() {
            if m.kind != kind::CLIENT_HELLO {
                self.fail(NotDecrypted::HandshakeNotCaptured);
                return;
            }
            match handshake::parse_client_hello(&m.body) {
                Some(ch) => {
                    self.client.early_offered = ch.early_data;
                    self.client_hello = Some(ch);
                }
                None => self.fail(NotDecrypted::ProtocolViolation(
                    "malformed ClientHello".into(),
                )),
            }
            return;
        }
        match m.kind {
            kind::CLIENT_HELLO if self.hello_retry_request && self.client_hello2.is_none() => {
                self.client_hello2 = handshake::parse_client_hello(&m.body);
            }
            kind::END_OF_EARLY_DATA if early => self.client.phase = Some(Phase::Handshake),
            kind::FINISHED => self.finished(true),
            kind::KEY_UPDATE => self.key_update(true, &m.body),
            _ => {}
        }
    }

    fn server_message(&mut self, m: Message, keys: &keylog::KeyLog) {
        if self.server_hello.is_none() {
            if m.kind != kind::SERVER_HELLO {
                self.fail(NotDecrypted::HandshakeNotCaptured);
                return;
            }
            let Some(sh) = handshake::parse_server_hello(&m.body) else {
                self.fail(NotDecrypted::ProtocolViolation(
                    "malformed ServerHello".into(),
                ));
                return;
            };
            if sh.hello_retry_request {
                self.hello_retry_request = true;
                self.early_accepted = Some(false); // RFC 8446 §4.2.10
                return;
            }
            self.server_hello_received(sh, keys);
            return;
        }
        match m.kind {
            kind::ENCRYPTED_EXTENSIONS => {
                if let Some(ee) = handshake::parse_encrypted_extensions(&m.body) {
                    if ee.alpn.is_some() {
                        self.alpn_chosen = ee.alpn;
                    }
                    if self.early_accepted.is_none() {
                        self.early_accepted = Some(ee.early_data);
                    }
                }
            }
            kind::FINISHED => self.finished(false),
            kind::KEY_UPDATE => self.key_update(false, &m.body),
            _ => {} // Certificate…, NewSessionTicket: nothing to decrypt with
        }
    }

    fn server_hello_received(&mut self, sh: ServerHello, keys: &keylog::KeyLog) {
        let version = sh.version();
        if sh.alpn.is_some() {
            self.alpn_chosen = sh.alpn.clone();
        }
        let suite_id = sh.cipher_suite;
        self.server_hello = Some(sh);
        if version != TLS12 && version != TLS13 {
            self.fail(NotDecrypted::UnsupportedVersion(version));
            return;
        }
        let Some(suite) = keys::suite(suite_id) else {
            self.fail(NotDecrypted::UnsupportedSuite(suite_id));
            return;
        };
        if suite.tls13 != (version == TLS13) {
            self.fail(NotDecrypted::ProtocolViolation(format!(
                "cipher suite {} with {}",
                suite.name,
                version_name(version)
            )));
            return;
        }
        self.suite = Some(suite);
        self.key_state = KeyState::Awaiting;
        self.resolve_keys(keys);
    }

    /// Looks the connection up in the key log and sets the directions' keys.
    fn resolve_keys(&mut self, keys: &keylog::KeyLog) {
        let (Some(suite), Some(ch), Some(sh)) = (
            self.suite,
            self.client_hello.as_ref(),
            self.server_hello.as_ref(),
        ) else {
            return;
        };
        let randoms = [
            Some(ch.random),
            self.client_hello2.as_ref().map(|c| c.random),
        ];
        let Some(secrets) = randoms.iter().flatten().find_map(|r| keys.get(r)) else {
            if keys.is_complete() {
                // Nothing will come: hold no record for it.
                self.fail(NotDecrypted::NoKey);
            }
            return; // else stays Awaiting: the log may grow
        };
        let result = if suite.tls13 {
            let early_offered = ch.early_data;
            self.setup13(suite, secrets, early_offered)
        } else {
            let etm = ch.encrypt_then_mac
                && sh.encrypt_then_mac
                && matches!(suite.bulk, Bulk::Cbc { .. });
            let (cr, sr) = (ch.random, sh.random);
            self.setup12(suite, secrets, &cr, &sr, etm)
        };
        match result {
            Setup::Ready => self.key_state = KeyState::Ready,
            Setup::Missing => self.partial_key = true,
            Setup::Mismatch => self.fail(NotDecrypted::KeyMismatch),
        }
    }

    /// Why there is no key yet: none logged, or not all of them.
    fn no_key(&self) -> NotDecrypted {
        if self.partial_key {
            NotDecrypted::PartialKey
        } else {
            NotDecrypted::NoKey
        }
    }

    fn setup13(&mut self, suite: &Suite, s: &ConnectionSecrets, early_offered: bool) -> Setup {
        let (Some(chts), Some(shts), Some(cts), Some(sts)) = (
            s.get(Label::ClientHandshakeTrafficSecret),
            s.get(Label::ServerHandshakeTrafficSecret),
            s.get(Label::ClientTrafficSecret0),
            s.get(Label::ServerTrafficSecret0),
        ) else {
            return Setup::Missing;
        };
        let cipher = |secret: &[u8]| {
            keys::tls13_traffic_keys(suite, secret)
                .ok()
                .and_then(|k| RecordCipher::tls13(suite, &k))
        };
        let (Some(ch), Some(sh), Some(ca), Some(sa)) =
            (cipher(chts), cipher(shts), cipher(cts), cipher(sts))
        else {
            return Setup::Mismatch; // a secret of the wrong length for this suite's hash
        };
        let early = s.get(Label::ClientEarlyTrafficSecret).and_then(cipher);
        self.client.early_offered = early_offered;
        self.client.early = early.filter(|_| early_offered);
        self.client.handshake = Some(ch);
        self.client.app = Some(ca);
        self.client.app_secret = Secret::new(cts);
        self.client.phase = Some(if early_offered {
            Phase::Early
        } else {
            Phase::Handshake
        });
        self.server.handshake = Some(sh);
        self.server.app = Some(sa);
        self.server.app_secret = Secret::new(sts);
        self.server.phase = Some(Phase::Handshake);
        Setup::Ready
    }

    fn setup12(
        &mut self,
        suite: &Suite,
        s: &ConnectionSecrets,
        client_random: &[u8; 32],
        server_random: &[u8; 32],
        etm: bool,
    ) -> Setup {
        let Some(master) = s.master_secret() else {
            return Setup::Missing;
        };
        let Ok(k) = keys::tls12_keys(suite, master, client_random, server_random) else {
            return Setup::Mismatch;
        };
        let (Some(c), Some(sv)) = (
            RecordCipher::tls12(suite, &k.client, etm),
            RecordCipher::tls12(suite, &k.server, etm),
        ) else {
            return Setup::Mismatch;
        };
        self.client.next12 = Some(c);
        self.server.next12 = Some(sv);
        Setup::Ready
    }

    /// A Finished message: in TLS 1.3 that side's application keys follow.
    fn finished(&mut self, from_client: bool) {
        if !from_client && self.early_accepted.is_none() {
            // No readable EncryptedExtensions came before: take early data as rejected
            // rather than hold the client's records.
            self.early_accepted = Some(false);
        }
        let d = self.dir(from_client);
        if d.phase == Some(Phase::Handshake) {
            d.phase = Some(Phase::Application);
        }
    }

    /// A TLS 1.3 KeyUpdate: that side's next application secret (RFC 8446 §7.2).
    fn key_update(&mut self, from_client: bool, body: &[u8]) {
        let Some(suite) = self.suite else {
            return;
        };
        if !suite.tls13 {
            return;
        }
        if handshake::parse_key_update(body).is_none() {
            self.dir(from_client).stop(NotDecrypted::ProtocolViolation(
                "malformed KeyUpdate".into(),
            ));
            return;
        }
        let d = self.dir(from_client);
        if d.phase != Some(Phase::Application) {
            return;
        }
        let Some(secret) = d.app_secret.as_ref() else {
            return;
        };
        let next = keys::tls13_next_secret(suite, secret.as_bytes()).ok();
        let cipher = next.as_deref().and_then(|n| {
            keys::tls13_traffic_keys(suite, n)
                .ok()
                .and_then(|k| RecordCipher::tls13(suite, &k))
        });
        match (next, cipher) {
            (Some(n), Some(c)) => {
                d.app_secret = Secret::new(&n);
                d.app = Some(c);
                d.stats.key_updates += 1;
            }
            _ => d.stop(NotDecrypted::KeyMismatch),
        }
    }
}

enum Setup {
    Ready,
    Missing,
    Mismatch,
}

#[cfg(test)]
mod tests;
