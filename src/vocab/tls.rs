//! Why (part of) a TLS connection was not decrypted ([`NotDecrypted`]), as a value: the TLS
//! layer records it, the report's `tls.not_decrypted` and a `tls-stopped` finding are said
//! from it in `report/words/tls.rs`.
//!
//! In: nothing of the project. Out: the value, with the names of the suites it does not
//! decrypt and of the versions (RFC 8446 §B.4, the IANA registry) that its words give.

use serde::{Deserialize, Serialize};

/// Why (part of) a connection was not decrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NotDecrypted {
    /// The key logs hold nothing usable for this connection's client random.
    NoKey,
    /// The key logs hold some of this connection's TLS 1.3 secrets but not all that
    /// decryption needs (the handshake secrets without the traffic secrets, which a client
    /// logs only once its handshake completes).
    PartialKey,
    /// A record failed authentication under the logged key.
    KeyMismatch,
    /// A cipher suite this decoder does not decrypt (named by [`tls_other_suite_name`]).
    UnsupportedSuite(u16),
    /// A TLS version this decoder does not decrypt.
    UnsupportedVersion(u16),
    /// A TCP gap; the packet that showed it, if known.
    Gap {
        /// The packet.
        packet: Option<u64>,
    },
    /// The capture does not start with the handshake.
    HandshakeNotCaptured,
    /// A renegotiation (RFC 5246 §7.4.1.1), which this decoder does not follow.
    Renegotiation,
    /// The bytes broke the TLS rules: which, as the layer found it.
    ProtocolViolation(Violation),
}

/// A TLS rule the bytes broke, as the TLS layer found it: its words are made in
/// `report/words/tls.rs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Violation {
    /// A protected record that does not open as one (too short for its protection),
    /// completed by a packet.
    MalformedRecord {
        /// The packet that completed it.
        packet: u64,
    },
    /// A handshake message longer than the reader keeps.
    HandshakeMessageTooLong {
        /// Its type (RFC 8446 §4).
        kind: u8,
        /// Its length.
        len: u64,
    },
    /// A ClientHello that does not parse (RFC 8446 §4.1.2).
    MalformedClientHello,
    /// A ServerHello that does not parse (RFC 8446 §4.1.3).
    MalformedServerHello,
    /// A KeyUpdate that does not parse (RFC 8446 §4.6.3).
    MalformedKeyUpdate,
    /// A cipher suite of one TLS version chosen with the other.
    SuiteForOtherVersion {
        /// The suite's name (the IANA registry's, as the TLS layer's table names it),
        /// boxed so that a session's stop reason stays small (its layout test).
        suite: Box<str>,
        /// The version chosen.
        version: u16,
    },
    /// A record longer than TLS allows.
    RecordTooLong {
        /// Its length.
        len: u32,
        /// The packet it starts in.
        packet: u64,
        /// The longest allowed.
        max: u32,
    },
    /// Bytes that are not a TLS record header where one was expected.
    NotRecordHeader {
        /// The packet they are in.
        packet: u64,
    },
}

impl NotDecrypted {
    /// Bytes its fields take on the heap.
    pub fn heap_bytes(&self) -> usize {
        match self {
            NotDecrypted::ProtocolViolation(Violation::SuiteForOtherVersion { suite, .. }) => {
                suite.len()
            }
            _ => 0,
        }
    }
}

/// Names of a few suites seen in the wild that the TLS layer does not decrypt (those it
/// decrypts are named by its own table).
const OTHER_SUITES: &[(u16, &str)] = &[
    (0x1304, "TLS_AES_128_CCM_SHA256"),
    (0x1305, "TLS_AES_128_CCM_8_SHA256"),
    (0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
    (0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"),
    (0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"),
    (0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"),
];

/// The IANA name of a suite the TLS layer does not decrypt, when it is one of the few
/// seen in the wild; `None` otherwise.
pub fn tls_other_suite_name(id: u16) -> Option<&'static str> {
    OTHER_SUITES
        .iter()
        .find(|(n, _)| *n == id)
        .map(|(_, name)| *name)
}

/// A protocol version's name ("TLS 1.3"), or the value in hex.
pub fn tls_version_name(v: u16) -> String {
    match v {
        0x0300 => "SSL 3.0".to_owned(),
        0x0301 => "TLS 1.0".to_owned(),
        0x0302 => "TLS 1.1".to_owned(),
        0x0303 => "TLS 1.2".to_owned(),
        0x0304 => "TLS 1.3".to_owned(),
        _ => format!("0x{v:04x}"),
    }
}
