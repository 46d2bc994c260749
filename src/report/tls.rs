//! What a report says of TLS: the `tls` object of a WebSocket session carried by TLS, and
//! the list of TLS connections that could not be read (no key, a key that does not match),
//! each with its reason and what to do about it (how to get a key log, or which key log to
//! pass instead, or to capture again).
//!
//! In: a TLS layer's facts (`stack::tls::layer::TlsFacts`) and the TCP connection's roles
//! and endings. Out: [`TlsReport`] and [`EncryptedReport`], plain data for every renderer.
//! SNI and ALPN come from the wire: renderers sanitize them like any other wire text. No
//! secret is ever part of these. RFC 8446 §4.1.2 (ClientHello: SNI, ALPN), §6 (alerts).

use super::Host;
use crate::vocab::{PerSide, Role, TcpEnd, TcpEndName};
use serde::{Deserialize, Serialize};

/// How to get a key log, by client: the advice for a connection with no key when no key log
/// was given ([`advice`]).
pub const KEYLOG_HOWTO: &str = "capture again with a key log and pass it with --keylog FILE: \
browsers (Chrome, Firefox) and curl write one when started with SSLKEYLOGFILE=FILE; Node: \
node --tls-keylog=FILE; Python: ssl.SSLContext.keylog_filename = FILE; Go: tls.Config{KeyLogWriter: f}; \
rustls (also under tokio-tungstenite) logs nothing by default: set key_log = \
Arc::new(rustls::KeyLogFile::new()) on the ClientConfig (tokio-tungstenite: pass it with \
Connector::Rustls) and start with SSLKEYLOGFILE=FILE. Or embed the secrets in the capture: \
editcap --inject-secrets tls,FILE in.pcap out.pcapng";

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

    /// The connections it concerns, after "To decrypt the N with ": where the advice of
    /// several reasons is given under one list.
    fn with(self) -> &'static str {
        match self {
            Reason::NoKey => "no key",
            Reason::PartialKey => "only part of their secrets logged",
            Reason::KeyMismatch => "a key log that does not match",
            Reason::Gap => "a TCP gap",
            Reason::HandshakeNotCaptured => "no handshake captured",
            Reason::Unsupported => "TLS that wsclose does not decrypt",
            Reason::ProtocolViolation => "a TLS protocol violation",
            Reason::NotWebsocket => "no WebSocket inside",
            Reason::NoApplicationData => "no application data",
        }
    }
}

/// What to do about a connection listed for `reason`, given the key logs that were read
/// (`key_logs`: none when no key log was given): one or more sentences, without the final
/// full stop, to follow "To decrypt it: ". `None` when a key log would not help and there
/// is nothing to capture differently (not a WebSocket, no data, broken TLS).
pub fn advice(reason: Reason, key_logs: &[crate::vocab::KeySource]) -> Option<String> {
    Some(match reason {
        Reason::NoKey if key_logs.is_empty() => KEYLOG_HOWTO.to_owned(),
        Reason::NoKey => {
            let readable: Vec<_> = key_logs.iter().filter(|k| k.error.is_none()).collect();
            if readable.is_empty() {
                return Some(
                    "pass a key log that can be read: none of those given could be (standard \
error and the JSON's key_logs say why)"
                        .to_owned(),
                );
            }
            let the = if readable.len() == 1 {
                "the key log given holds"
            } else {
                "the key logs given hold"
            };
            let others: usize = readable.iter().map(|k| k.connections).sum();
            let unmatched: u64 = readable.iter().map(|k| k.unmatched_lines).sum();
            let held = match (others, unmatched) {
                (0, 0) => String::new(),
                (0, 1) => {
                    " (1 line of secrets, for a connection that is not in this capture)".to_owned()
                }
                (0, n) => format!(
                    " ({n} lines of secrets, all for connections that are not in this capture)"
                ),
                (1, _) => " (only those of 1 other TLS connection)".to_owned(),
                (n, _) => format!(" (only those of {n} other TLS connections)"),
            };
            format!(
                "pass the key log that the client wrote while this capture was recorded: {the} \
no secrets for the connection's client random{held}, so it was written during \
another capture or run, or by another program or process; or the client never got far \
enough into this handshake to log any (a browser's spare connection closed unused, with \
nothing inside to decrypt). SSLKEYLOGFILE must be set for \
the client before it starts (a browser already running when started again with it set \
logs nothing: quit it first), and each run logs new secrets: a key log from another run \
never matches. A key log holds this connection if one of its lines has the connection's \
client random (tls.client_random in --format json, not --redact) as its second field"
            )
        }
        Reason::PartialKey => "nothing more can be decrypted if its handshake never \
completed, as is likely (its alerts and how TCP ended say why): the key log given holds \
this connection's handshake secrets but not its traffic secrets, which a client logs only \
once its handshake completes. If it did complete, pass the key log as the client left it \
after the capture: a copy taken earlier lacks them"
            .to_owned(),
        Reason::KeyMismatch => "pass the key log, unedited, that the client wrote while this \
capture was recorded (the same SSLKEYLOGFILE session): the one given has lines for this \
connection's client random, but their secrets fail authentication on its records, so they \
are not this connection's secrets. The file was altered (edited, lines cut, joined or \
mixed up), or comes from another run in which the client's random repeated (a test with \
a fixed random seed), or the program that wrote it logs wrong secrets"
            .to_owned(),
        Reason::Gap => "capture again without losing packets: decryption stops at a TCP gap \
and no key log bridges it (with tcpdump: -B 16384 for a larger buffer, -s 0, writing to \
a fast disk; it must report 0 packets dropped by kernel)"
            .to_owned(),
        Reason::HandshakeNotCaptured => "capture again from before the connection opens: a \
key log's lines are found by the ClientHello's random and the keys need the ServerHello's \
choice, and this capture lacks them"
            .to_owned(),
        Reason::Unsupported => "open it in Wireshark with the client's key log (tshark -o \
tls.keylog_file:FILE -r CAPTURE), which decrypts what wsclose does not"
            .to_owned(),
        Reason::ProtocolViolation | Reason::NotWebsocket | Reason::NoApplicationData => {
            return None
        }
    })
}

/// The advice under a list of encrypted connections, one line per distinct advice, in the
/// order first met, each ending with a full stop: "To decrypt it: …" or "To decrypt them:
/// …" when there is one, "To decrypt the 2 with no key: …" for each of several.
pub fn advice_lines(encrypted: &[EncryptedReport]) -> Vec<String> {
    let mut groups: Vec<(&str, Reason, usize)> = Vec::new();
    for e in encrypted {
        let (Some(a), r) = (e.advice.as_deref(), e.reason) else {
            continue;
        };
        match groups.iter_mut().find(|g| g.0 == a) {
            Some(g) => g.2 += 1,
            None => groups.push((a, r, 1)),
        }
    }
    let one = groups.len() == 1;
    groups
        .iter()
        .map(|&(a, r, n)| {
            let whom = match (one, n) {
                (true, 1) => "it".to_owned(),
                (true, _) => "them".to_owned(),
                (false, 1) => format!("the one with {}", r.with()),
                (false, n) => format!("the {n} with {}", r.with()),
            };
            format!("To decrypt {whom}: {a}.")
        })
        .collect()
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
    /// What the handshake and the session did beyond the usual, for the table and
    /// Markdown: "HelloRetryRequest", "resumed (PSK)", "early data accepted", "KeyUpdate:
    /// client 1, server 1". Empty for a plain full handshake.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.hello_retry_request {
            notes.push("HelloRetryRequest".to_owned());
        }
        if self.resumed {
            notes.push(if self.version.as_deref() == Some("TLS 1.3") {
                "resumed (PSK)".to_owned()
            } else {
                "resumed (session ID)".to_owned()
            });
        }
        if let Some(e) = &self.early_data {
            notes.push(format!("early data {e}"));
        }
        let k = self.key_updates;
        if k.client + k.server > 0 {
            notes.push(format!(
                "KeyUpdate: client {}, server {}",
                k.client, k.server
            ));
        }
        notes
    }

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

    /// Sets the advice for the key logs that were read (`Report::key_logs`).
    pub fn advise(&mut self, key_logs: &[crate::vocab::KeySource]) {
        self.advice = advice(self.reason, key_logs);
    }

    /// Why it is listed, in one sentence.
    pub fn why(&self) -> String {
        match &self.tls.not_decrypted {
            Some(why) => why.clone(),
            None if self.tls.decrypted => {
                "decrypted, but it carried no WebSocket (another protocol over TLS)".to_owned()
            }
            None => "no application data was captured".to_owned(),
        }
    }
}

/// How TCP ended, for a sentence: "FIN by client at packet 19".
pub fn tcp_end_text(end: Option<&TcpEnd>) -> String {
    match end {
        None => "still open when the capture ended".to_owned(),
        Some(e) => {
            let kind = e.kind.name();
            format!("{kind} by {} at packet {}", e.by, e.packet)
        }
    }
}

/// A TLS report's facts in words, wire text as it is (each renderer escapes it): the
/// version, the suite, "SNI example.com", "ALPN http/1.1" (or what was offered), and its
/// notes.
pub fn parts(tls: &TlsReport) -> Vec<String> {
    let mut parts = vec![tls.version.clone().unwrap_or_else(|| "TLS".into())];
    parts.extend(tls.cipher_suite.clone());
    if let Some(sni) = &tls.sni {
        parts.push(format!("SNI {sni}"));
    }
    match &tls.alpn {
        Some(a) => parts.push(format!("ALPN {a}")),
        None if !tls.alpn_offered.is_empty() => {
            parts.push(format!("ALPN offered {}", tls.alpn_offered.join(", ")))
        }
        None => {}
    }
    parts.extend(tls.notes());
    parts
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

    /// "No key": what the key logs held instead, as far as it is known: other connections
    /// of this capture, or (a large key log, read only for this capture's connections)
    /// lines of connections not in it.
    #[test]
    fn no_key_advice_says_what_the_key_logs_held() {
        let log = |connections, unmatched_lines| crate::vocab::KeySource {
            source: "k".into(),
            connections,
            unmatched_lines,
            error: None,
        };
        let held = |logs: &[crate::vocab::KeySource]| {
            advice(Reason::NoKey, logs).expect("advice for no key")
        };
        assert!(held(&[log(0, 0)]).contains(
            "the key log given holds no secrets for the connection's client random, so it"
        ));
        assert!(
            held(&[log(1, 0)]).contains("client random (only those of 1 other TLS connection), so")
        );
        assert!(held(&[log(3, 9)]).contains("(only those of 3 other TLS connections), so"));
        assert!(held(&[log(0, 1)])
            .contains("(1 line of secrets, for a connection that is not in this capture), so"));
        assert!(held(&[log(0, 5), log(0, 7)]).contains(
            "the key logs given hold no secrets for the connection's client random (12 lines of \
             secrets, all for connections that are not in this capture), so"
        ));
    }
}
