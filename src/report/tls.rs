//! What a report says of TLS: the `tls` object of a WebSocket session carried by TLS, and
//! the list of TLS connections that could not be read (no key, a key that does not match),
//! each with its reason and what to do about it (its words, and the advice, are in
//! `words::tls`).
//!
//! In: a TLS layer's facts (`stack::tls::layer::TlsFacts`) and the TCP connection's roles
//! and endings. Out: [`TlsReport`] and [`EncryptedReport`], plain data for every renderer.
//! SNI and ALPN come from the wire: renderers sanitize them like any other wire text. No
//! secret is ever part of these. RFC 8446 §4.1.2 (ClientHello: SNI, ALPN), §6 (alerts).

use super::Host;
use crate::vocab::{PerSide, Role, TcpEnd, TcpEndName};
use serde::{Deserialize, Serialize};

/// Why a TLS connection is listed as encrypted, by a stable name (`EncryptedReport::reason`
/// in JSON, its serde name), in the order [`Reason::ALL`] lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Reason {
    /// The key logs hold nothing for its client random (or none was given).
    NoKey,
    /// Only its handshake secrets were logged.
    PartialKey,
    /// Secrets were logged for its client random, and its records fail authentication
    /// under them.
    KeyMismatch,
    /// A TCP gap stopped decryption.
    Gap,
    /// The capture lacks its ClientHello or ServerHello.
    HandshakeNotCaptured,
    /// A cipher suite, version or feature (renegotiation) wsclose does not decrypt.
    Unsupported,
    /// Bytes that break the TLS rules.
    ProtocolViolation,
    /// Decrypted, and what it carried was not a WebSocket.
    NotWebsocket,
    /// Neither side sent a protected record.
    NoApplicationData,
}

impl Reason {
    /// Every reason, in the order the report counts them.
    pub const ALL: [Reason; 9] = [
        Reason::NoKey,
        Reason::PartialKey,
        Reason::KeyMismatch,
        Reason::Gap,
        Reason::HandshakeNotCaptured,
        Reason::Unsupported,
        Reason::ProtocolViolation,
        Reason::NotWebsocket,
        Reason::NoApplicationData,
    ];

    /// Its name in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NoKey => "no-key",
            Reason::PartialKey => "partial-key",
            Reason::KeyMismatch => "key-mismatch",
            Reason::Gap => "gap",
            Reason::HandshakeNotCaptured => "handshake-not-captured",
            Reason::Unsupported => "unsupported",
            Reason::ProtocolViolation => "protocol-violation",
            Reason::NotWebsocket => "not-websocket",
            Reason::NoApplicationData => "no-application-data",
        }
    }

    /// The reason of `name` ([`Reason::as_str`]).
    pub fn from_name(name: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// One alert of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct AlertReport {
    /// The side that sent it.
    pub from: Role,
    /// "fatal" or "warning".
    pub level: String,
    /// Its name (RFC 8446 §6), e.g. "handshake_failure".
    pub description: String,
    /// The packet that carried it.
    pub packet: u64,
}

/// The TLS under a session (or of an encrypted connection).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct TlsReport {
    /// The ClientHello's random, in hex: the second field of the connection's lines in a
    /// key log (public, never a secret). Null when redacted: it links the report to a key log.
    pub client_random: Option<String>,
    /// "TLS 1.3", "TLS 1.2", … (what the server chose), when its hello was captured.
    pub version: Option<String>,
    /// The cipher suite the server chose, by its IANA name, when its hello was captured.
    pub cipher_suite: Option<String>,
    /// The server name the client asked for (SNI); when redacted, the pseudonym its host
    /// got (the one a Host header naming it gets, `host-5be01c`).
    pub sni: Option<String>,
    /// The protocols the client offered (ALPN).
    pub alpn_offered: Vec<String>,
    /// The protocol the server chose (ALPN), when it was seen.
    pub alpn: Option<String>,
    /// Records were decrypted.
    pub decrypted: bool,
    /// Why the connection (or part of it) was not decrypted.
    pub not_decrypted: Option<String>,
    /// The packet of each side's close_notify, if it sent one.
    pub close_notify: PerSide<Option<u64>>,
    /// Alerts other than close_notify, in order.
    pub alerts: Vec<AlertReport>,
    /// The server answered the first ClientHello with a HelloRetryRequest (TLS 1.3,
    /// RFC 8446 §4.1.4: the client's key share did not suit it).
    pub hello_retry_request: bool,
    /// The session was resumed from an earlier one: a TLS 1.3 server accepted a pre-shared
    /// key (RFC 8446 §2.2), or a TLS 1.2 one answered with the session ID the client asked
    /// to resume (an abbreviated handshake, RFC 5246 §7.3; also a session ticket's).
    pub resumed: bool,
    /// "accepted" or "rejected" when the client offered TLS 1.3 early data (0-RTT,
    /// RFC 8446 §2.3), "offered" when the server's answer was not read.
    pub early_data: Option<String>,
    /// KeyUpdates each side sent and the decryption followed (RFC 8446 §4.6.3).
    pub key_updates: PerSide<u64>,
}

impl TlsReport {
    /// Whether the side of `role` ended TLS with close_notify.
    pub fn closed_cleanly_by(&self, role: Role) -> bool {
        self.close_notify.of(role).is_some()
    }
}

impl EncryptedReport {
    /// Whether its ClientHello was read and named no server (SNI): a client that connected
    /// by address. Said in the list, where the SNI is what names a connection.
    pub fn without_sni(&self) -> bool {
        self.tls.sni.is_none() && self.reason != Reason::HandshakeNotCaptured
    }
}

/// A TLS connection that carried no WebSocket the report could read: it was not decrypted
/// (no key, a key that does not match) or its plaintext was not a WebSocket. In JSON,
/// [`EncryptedReportJson`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EncryptedReport {
    /// Index into `inputs`.
    pub input: usize,
    /// The client's endpoint.
    pub client: Host,
    /// The server's endpoint.
    pub server: Host,
    /// What its handshake showed, and why it was not decrypted.
    pub tls: TlsReport,
    /// How TCP ended first, and who ended it (JSON `tcp_end`, `tcp_end_by`,
    /// `tcp_end_packet`); `None` while open.
    pub first_end: Option<TcpEnd>,
    /// The connection's first packet.
    pub first_packet: u64,
    /// The connection's last packet.
    pub last_packet: u64,
    /// Why it is listed, by a stable name (`no-key`, `key-mismatch`, …); `tls.not_decrypted`
    /// says it in words.
    pub reason: Reason,
    /// What to do to read it, for its reason and the key logs given (null when a key log
    /// would not help).
    pub advice: Option<String>,
}

// The JSON view of an [`EncryptedReport`]: its fields, and its TCP connection's Community
// ID (the doc comment below is the schema's description).
/// A TLS connection that carried no WebSocket the report could read: it was not decrypted
/// (no key, a key that does not match) or its plaintext was not a WebSocket.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(remote = "EncryptedReport", rename = "EncryptedReport")]
pub struct EncryptedReportJson {
    /// Index into `inputs`.
    input: usize,
    /// The client's endpoint.
    client: Host,
    /// The server's endpoint.
    server: Host,
    /// The Community ID (v1, seed 0) of its TCP connection, as a connection's
    /// `community_id` (null when redacted: it would give the addresses away).
    #[serde(getter = "EncryptedReport::community_id")]
    community_id: Option<String>,
    /// What its handshake showed, and why it was not decrypted.
    tls: TlsReport,
    /// "fin", "rst" or "open": how TCP ended first, and who ended it.
    #[serde(getter = "EncryptedReport::tcp_end")]
    #[schemars(schema_with = "super::schema::tcp_end")]
    tcp_end: TcpEndName,
    /// Who ended TCP first; null while open.
    #[serde(getter = "EncryptedReport::tcp_end_by")]
    tcp_end_by: Option<Role>,
    /// The packet of that first FIN or RST.
    #[serde(getter = "EncryptedReport::tcp_end_packet")]
    tcp_end_packet: Option<u64>,
    /// The connection's first packet.
    first_packet: u64,
    /// The connection's last packet.
    last_packet: u64,
    /// Why it is listed, by a stable name (`no-key`, `key-mismatch`, …); `tls.not_decrypted`
    /// says it in words.
    #[schemars(schema_with = "super::schema::encrypted_reason")]
    reason: Reason,
    /// What to do to read it, for its reason and the key logs given (null when a key log
    /// would not help).
    advice: Option<String>,
}

impl Serialize for EncryptedReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        EncryptedReportJson::serialize(self, s)
    }
}

impl EncryptedReport {
    /// How TCP ended first (JSON `tcp_end`): "fin", "rst", or "open" for neither.
    pub fn tcp_end(&self) -> TcpEndName {
        self.first_end.map_or(TcpEndName::Open, |e| e.name())
    }

    /// Who ended TCP first (JSON `tcp_end_by`); `None` while open.
    pub fn tcp_end_by(&self) -> Option<Role> {
        self.first_end.map(|e| e.by)
    }

    /// The packet of the first FIN or RST (JSON `tcp_end_packet`); `None` while open.
    pub fn tcp_end_packet(&self) -> Option<u64> {
        self.first_end.map(|e| e.packet)
    }

    /// The Community ID (v1, seed 0) of its TCP connection ([`crate::community_id`]), as
    /// [`super::ConnectionReport::community_id`] gives a connection's; none when the
    /// endpoints were redacted.
    pub fn community_id(&self) -> Option<String> {
        match (&self.client, &self.server) {
            (Host::Addr(c), Host::Addr(s)) => crate::community_id::tcp((*c).into(), (*s).into()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reason's JSON (its serde name) is the name the schema lists ([`Reason::as_str`]).
    #[test]
    fn a_reasons_json_is_its_name() {
        for r in Reason::ALL {
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
            assert_eq!(Reason::from_name(r.as_str()), Some(r));
        }
    }
}
