//! What a report says of TLS: the `tls` object of a WebSocket session carried by TLS, and
//! the list of TLS connections that could not be read (no key, a key that does not match),
//! each with how to get a key log.
//!
//! In: a TLS layer's facts (`stack::tls::layer::TlsFacts`) and the TCP connection's roles
//! and endings. Out: [`TlsReport`] and [`EncryptedReport`], plain data for every renderer.
//! SNI and ALPN come from the wire: renderers sanitize them like any other wire text. No
//! secret is ever part of these. RFC 8446 §4.1.2 (ClientHello: SNI, ALPN), §6 (alerts).

use super::Host;
use crate::flow::{PerSide, Role};
use crate::stack::tcp::connection::{Connection, EndKind};
use crate::stack::tls::layer::TlsFacts;
use serde::{Deserialize, Serialize};

/// How to get a key log, by client: shown under the connections that were not decrypted,
/// after "To decrypt it: " or "To decrypt them: " ([`keylog_howto`]).
pub const KEYLOG_HOWTO: &str = "capture again with a key log and pass it with --keylog FILE: \
browsers (Chrome, Firefox) and curl write one when started with SSLKEYLOGFILE=FILE; Node: \
node --tls-keylog=FILE; Python: ssl.SSLContext.keylog_filename = FILE; Go: tls.Config{KeyLogWriter: f}; \
rustls (also under tokio-tungstenite) logs nothing by default: set key_log = \
Arc::new(rustls::KeyLogFile::new()) on the ClientConfig (tokio-tungstenite: pass it with \
Connector::Rustls) and start with SSLKEYLOGFILE=FILE. Or embed the secrets in the capture: \
editcap --inject-secrets tls,FILE in.pcap out.pcapng";

/// The key-log advice for `n` connections not decrypted: "To decrypt it: …" for one,
/// "To decrypt them: …" for more.
pub fn keylog_howto(n: usize) -> String {
    let what = if n == 1 { "it" } else { "them" };
    format!("To decrypt {what}: {KEYLOG_HOWTO}")
}

/// Said under the encrypted connections when `n` of them were not read because the key
/// log's secrets for them did not open their records ("this key log does not match this
/// connection"): the key log has lines for their client randoms, so "capture again with a
/// key log" alone misleads.
pub fn key_mismatch_note(n: usize) -> String {
    let (what, them, their) = if n == 1 {
        ("1 connection by its client random".to_owned(), "it", "its")
    } else {
        (
            format!("{n} connections by their client randoms"),
            "them",
            "their",
        )
    };
    format!(
        "The key log names {what}, but the secrets logged for {them} do not decrypt {their} \
records: check that it is the key log the captured session wrote, unchanged (not edited, not \
another run's file)."
    )
}

/// How many of `encrypted` were not read because the key log did not match them.
pub fn key_mismatches(encrypted: &[EncryptedReport]) -> usize {
    encrypted
        .iter()
        .filter(|e| e.tls.not_decrypted.as_deref() == Some(crate::stack::tls::KEY_MISMATCH))
        .count()
}

/// One alert of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct AlertReport {
    pub from: Role,
    /// "fatal" or "warning".
    pub level: String,
    /// Its name (RFC 8446 §6), e.g. "handshake_failure".
    pub description: String,
    pub packet: u64,
}

/// The TLS under a session (or of an encrypted connection).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct TlsReport {
    /// The ClientHello's random, in hex: the second field of the connection's lines in a
    /// key log (public, never a secret).
    pub client_random: Option<String>,
    /// "TLS 1.3", "TLS 1.2", … (what the server chose), when its hello was captured.
    pub version: Option<String>,
    pub cipher_suite: Option<String>,
    /// The server name the client asked for (SNI).
    pub sni: Option<String>,
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
}

impl TlsReport {
    /// The report of `facts`, whose TLS client is the connection's side `tls_client`.
    pub(crate) fn new(facts: &TlsFacts, c: &Connection) -> TlsReport {
        let s = &facts.summary;
        // The TLS client is the side that sent the ClientHello; the report's roles are
        // the connection's, which agree but for captures that defy rule 3.
        let role = |from_client: bool| {
            let client = c.client_side();
            c.role(if from_client { client } else { client.other() })
        };
        let (cn_client, cn_server) = facts.close_notify;
        TlsReport {
            client_random: s
                .client_random
                .map(|r| r.iter().map(|b| format!("{b:02x}")).collect()),
            version: s.version_name(),
            cipher_suite: s.cipher_suite_name(),
            sni: s.sni.clone(),
            alpn_offered: s.alpn_offered.clone(),
            alpn: s.alpn_chosen.clone(),
            decrypted: s.decrypted,
            not_decrypted: s.why_not.as_ref().map(ToString::to_string),
            close_notify: PerSide {
                client: cn_client,
                server: cn_server,
            },
            alerts: facts
                .alerts
                .iter()
                .map(|a| AlertReport {
                    from: role(a.from_client),
                    level: if a.fatal { "fatal" } else { "warning" }.to_owned(),
                    description: a.name.to_owned(),
                    packet: a.packet,
                })
                .collect(),
        }
    }

    /// Whether the side of `role` ended TLS with close_notify.
    pub fn closed_cleanly_by(&self, role: Role) -> bool {
        self.close_notify.of(role).is_some()
    }
}

/// A TLS connection that carried no WebSocket the report could read: it was not decrypted
/// (no key, a key that does not match) or its plaintext was not a WebSocket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct EncryptedReport {
    /// Index into `inputs`.
    pub input: usize,
    pub client: Host,
    pub server: Host,
    pub tls: TlsReport,
    /// "fin", "rst" or "open": how TCP ended first, and who ended it.
    #[schemars(schema_with = "super::schema::tcp_end")]
    pub tcp_end: &'static str,
    pub tcp_end_by: Option<Role>,
    pub tcp_end_packet: Option<u64>,
    pub first_packet: u64,
    pub last_packet: u64,
}

impl EncryptedReport {
    /// The entry of finished connection `c`, if it was TLS and carried no session.
    pub(crate) fn of(c: &Connection) -> Option<EncryptedReport> {
        let facts = c.up.tls()?;
        let tls = TlsReport::new(&facts, c);
        let client = c.client_side();
        let first_end = c.first_end();
        Some(EncryptedReport {
            input: c.input,
            client: Host::Addr(c.ep[client]),
            server: Host::Addr(c.ep[client.other()]),
            tls,
            tcp_end: super::tcp_end_name(first_end.map(|(_, e)| e.kind)),
            tcp_end_by: first_end.map(|(by, _)| by),
            tcp_end_packet: first_end.map(|(_, e)| e.packet),
            first_packet: c.first_packet,
            last_packet: c.last_packet,
        })
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
pub fn tcp_end_text(kind: &str, by: Option<Role>, packet: Option<u64>) -> String {
    match (kind, by, packet) {
        ("open", ..) => "still open when the capture ended".to_owned(),
        (k, Some(by), Some(p)) => format!("{} by {by} at packet {p}", k.to_uppercase()),
        (k, ..) => k.to_uppercase(),
    }
}

impl TlsReport {
    /// Adds to a 1006's detail what TLS shows about the ending: a fatal alert, or whether
    /// the side that ended first closed TLS (close_notify) before ending TCP. `tcp_first`
    /// is the side that ended TCP first, how and at which packet; `notify_first` the side
    /// and packet of a close_notify that came before any TCP ending, when that is where
    /// the session ended (no close frame).
    pub fn explain_1006(
        &self,
        status: &mut crate::close::diagnosis::Status,
        tcp_first: Option<(Role, EndKind, u64)>,
        notify_first: Option<(Role, u64)>,
    ) {
        use std::fmt::Write;
        if status.code != Some(1006) {
            return;
        }
        if let Some(a) = self.alerts.iter().find(|a| a.level == "fatal") {
            let _ = write!(
                status.detail,
                " Over TLS, the {} sent a fatal alert, {} (packet {}): TLS ended there, and a browser's WebSocket reports 1006 for it.",
                a.from, a.description, a.packet
            );
            return;
        }
        if let Some((by, p)) = notify_first {
            let then = match tcp_first {
                Some((t, kind, tp)) if t != by => format!(
                    "; the {t} answered by ending TCP ({}, packet {tp}), before the {by} did",
                    match kind {
                        EndKind::Fin => "FIN",
                        EndKind::Rst => "RST",
                    }
                ),
                _ => String::new(),
            };
            let _ = write!(
                status.detail,
                " Over TLS, the {by} closed TLS cleanly (close_notify at packet {p}) before ending TCP{then}: the {by}'s side shut the connection on purpose, only without a WebSocket close frame."
            );
            return;
        }
        let Some((by, _, packet)) = tcp_first else {
            return;
        };
        match self.close_notify.of(by) {
            &Some(p) if p <= packet => {
                let _ = write!(
                    status.detail,
                    " Over TLS, the {by} closed TLS cleanly (close_notify at packet {p}) before ending TCP: its side shut the connection on purpose, only without a WebSocket close frame."
                );
            }
            _ => {
                let _ = write!(
                    status.detail,
                    " Over TLS, the {by} ended TCP with no close_notify before it: TLS was not closed cleanly either (a process that exited or was killed, a proxy or load balancer dropping the connection, or a TLS stack or application that skips it, such as a tokio-rustls stream dropped without shutdown())."
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::close::diagnosis::Status;

    fn report(close_notify: PerSide<Option<u64>>) -> TlsReport {
        TlsReport {
            client_random: None,
            version: Some("TLS 1.3".into()),
            cipher_suite: None,
            sni: None,
            alpn_offered: Vec::new(),
            alpn: None,
            decrypted: true,
            not_decrypted: None,
            close_notify,
            alerts: Vec::new(),
        }
    }

    fn status_1006() -> Status {
        Status {
            code: Some(1006),
            name: "Abnormal Closure".into(),
            inferred: true,
            detail: String::new(),
            general: "",
            fix: "".into(),
        }
    }

    /// Chromium answers a server's close_notify with its own FIN before the server's: the
    /// server closed on purpose, and the client's FIN is named as its answer, not as the
    /// client leaving with TLS unclosed.
    #[test]
    fn a_close_notify_before_any_tcp_ending_names_its_sender() {
        let t = report(PerSide {
            client: None,
            server: Some(102),
        });
        let mut s = status_1006();
        t.explain_1006(
            &mut s,
            Some((Role::Client, EndKind::Fin, 104)),
            Some((Role::Server, 102)),
        );
        assert_eq!(
            s.detail,
            " Over TLS, the server closed TLS cleanly (close_notify at packet 102) before ending TCP; the client answered by ending TCP (FIN, packet 104), before the server did: the server's side shut the connection on purpose, only without a WebSocket close frame."
        );
        // Without that close_notify first, the client's FIN is a TCP ending with TLS open.
        let mut s = status_1006();
        t.explain_1006(&mut s, Some((Role::Client, EndKind::Fin, 104)), None);
        assert!(
            s.detail
                .contains("the client ended TCP with no close_notify"),
            "{}",
            s.detail
        );
    }
}
