//! TLS in words: the notes on a handshake ([`notes`]), its facts in one line ([`parts`]),
//! why a TLS connection is listed as encrypted ([`why`]) and what to do to read it
//! ([`advice`], [`advice_lines`]: how to get a key log, or which key log to pass instead,
//! or to capture again).
//!
//! why a direction was not decrypted ([`not_decrypted`], [`stopped`]).
//!
//! In: the report's TLS values ([`TlsReport`], [`EncryptedReport`], its [`Reason`]) and
//! the key logs given. Out: sentences, wire text as it is (each renderer escapes it).

use crate::report::tls::{EncryptedReport, Reason, TlsReport};
use crate::vocab::{tls_other_suite_name, tls_version_name, NotDecrypted, Role, TcpEnd, Violation};

/// How to get a key log, by client: the advice for a connection with no key when no key log
/// was given ([`advice`]).
pub const KEYLOG_HOWTO: &str = "capture again with a key log and pass it with --keylog FILE: \
browsers (Chrome, Firefox) and curl write one when started with SSLKEYLOGFILE=FILE; Node: \
node --tls-keylog=FILE; Python: ssl.SSLContext.keylog_filename = FILE; Go: tls.Config{KeyLogWriter: f}; \
rustls (also under tokio-tungstenite) logs nothing by default: set key_log = \
Arc::new(rustls::KeyLogFile::new()) on the ClientConfig (tokio-tungstenite: pass it with \
Connector::Rustls) and start with SSLKEYLOGFILE=FILE. Or embed the secrets in the capture: \
editcap --inject-secrets tls,FILE in.pcap out.pcapng";

/// The connections a reason concerns, after "To decrypt the N with ": where the advice of
/// several reasons is given under one list.
fn with(reason: Reason) -> &'static str {
    match reason {
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
                (false, 1) => format!("the one with {}", with(r)),
                (false, n) => format!("the {n} with {}", with(r)),
            };
            format!("To decrypt {whom}: {a}.")
        })
        .collect()
}

/// What the handshake and the session did beyond the usual, for the table and
/// Markdown: "HelloRetryRequest", "resumed (PSK)", "early data accepted", "KeyUpdate:
/// client 1, server 1". Empty for a plain full handshake.
pub fn notes(tls: &TlsReport) -> Vec<String> {
    let mut notes = Vec::new();
    if tls.hello_retry_request {
        notes.push("HelloRetryRequest".to_owned());
    }
    if tls.resumed {
        notes.push(if tls.version.as_deref() == Some("TLS 1.3") {
            "resumed (PSK)".to_owned()
        } else {
            "resumed (session ID)".to_owned()
        });
    }
    if let Some(e) = &tls.early_data {
        notes.push(format!("early data {e}"));
    }
    let k = tls.key_updates;
    if k.client + k.server > 0 {
        notes.push(format!(
            "KeyUpdate: client {}, server {}",
            k.client, k.server
        ));
    }
    notes
}

/// Why an encrypted connection is listed, in one sentence.
pub fn why(e: &EncryptedReport) -> String {
    let mut why = match &e.tls.not_decrypted {
        Some(why) => why.clone(),
        None if e.tls.decrypted => {
            "decrypted, but it carried no WebSocket (another protocol over TLS)".to_owned()
        }
        None => "no application data was captured".to_owned(),
    };
    // The first fatal alert, read in the clear or with the handshake secrets: often the
    // reason itself (a client refusing the server's certificate, RFC 8446 §6.2).
    if let Some(a) = e.tls.alerts.iter().find(|a| a.level == "fatal") {
        why.push_str(&format!(
            "; the {} sent a fatal alert {} at packet {}",
            a.from, a.description, a.packet
        ));
    }
    why
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
    parts.extend(notes(tls));
    parts
}

/// Why (part of) a connection was not decrypted, in words (the report's
/// `tls.not_decrypted`, and what [`stopped`] says).
pub fn not_decrypted(why: &NotDecrypted) -> String {
    match why {
        NotDecrypted::NoKey => "no key for this connection".to_string(),
        NotDecrypted::PartialKey => "the key log holds only part of this connection's secrets (no application traffic secrets: a client logs them once its handshake completes, so this one most likely never completed)".to_string(),
        NotDecrypted::KeyMismatch => "this key log does not match this connection".to_string(),
        NotDecrypted::UnsupportedSuite(id) => match tls_other_suite_name(*id) {
            Some(name) => format!("unsupported cipher suite {name}"),
            None => format!("unsupported cipher suite 0x{id:04x}"),
        },
        NotDecrypted::UnsupportedVersion(v) => {
            format!("unsupported TLS version {}", tls_version_name(*v))
        }
        NotDecrypted::Gap { packet: Some(p) } => format!("TCP gap at packet {p}: cannot continue"),
        NotDecrypted::Gap { packet: None } => "TCP gap: cannot continue".to_string(),
        NotDecrypted::HandshakeNotCaptured => "handshake not captured".to_string(),
        NotDecrypted::Renegotiation => "TLS renegotiation is not supported".to_string(),
        NotDecrypted::ProtocolViolation(what) => {
            format!("TLS protocol violation: {}", violation(what))
        }
    }
}

/// A TLS rule the bytes broke, in words.
fn violation(v: &Violation) -> String {
    match v {
        Violation::MalformedRecord { packet } => {
            format!("malformed protected record completed by packet {packet}")
        }
        Violation::HandshakeMessageTooLong { kind, len } => {
            format!("handshake message type {kind} of {len} bytes")
        }
        Violation::MalformedClientHello => "malformed ClientHello".to_string(),
        Violation::MalformedServerHello => "malformed ServerHello".to_string(),
        Violation::MalformedKeyUpdate => "malformed KeyUpdate".to_string(),
        Violation::SuiteForOtherVersion { suite, version } => {
            format!("cipher suite {suite} with {}", tls_version_name(*version))
        }
        Violation::RecordTooLong { len, packet, max } => {
            format!("TLS record of {len} bytes at packet {packet} (more than {max})")
        }
        Violation::NotRecordHeader { packet } => {
            format!("bytes that are not a TLS record header at packet {packet}")
        }
    }
}

/// A `tls-stopped` finding's words: side `from`'s TLS stream stopped decrypting, `why`.
pub fn stopped(from: Role, why: &NotDecrypted) -> String {
    format!(
        "the {from}'s TLS stream could not be decrypted any further: {}; nothing after it in this direction is decoded",
        not_decrypted(why)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "No key": what the key logs held instead, as far as it is known: other connections
    /// of this capture, or (a large key log, read only for this capture's connections)
    /// lines of connections not in it.
    #[test]
    fn no_key_advice_says_what_the_key_logs_held() {
        let log = |connections, unmatched_lines| crate::vocab::KeySource {
            source: crate::vocab::KeyLogName::File("k".into()),
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
