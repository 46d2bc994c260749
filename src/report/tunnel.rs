//! A connection through a forward proxy's CONNECT tunnel (RFC 9110 §9.3.6), as reported.
//!
//! In: what `diagnose` reads from a finished connection's tunnel (`stack::connect`) and the
//! connection's server, the proxy. Out: [`TunnelReport`] (JSON `tunnel`); its phrase is in
//! `words::proxy`. The target, the reason phrase and the body are wire text: kept as sent
//! here (the body as the words of its page, cut at [`BODY_TEXT`] bytes), escaped by each
//! renderer.

use super::Host;
use crate::vocab::Timestamp;
use serde::{Deserialize, Serialize};

/// Bytes of a refusal's body text kept in the report.
pub const BODY_TEXT: usize = 300;

/// The CONNECT tunnel a connection asked a forward proxy for (JSON `tunnel`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct TunnelReport {
    /// The forward proxy: the connection's server, to which the client sent its CONNECT.
    pub proxy: Host,
    /// The CONNECT's request-target (`host:port`), as sent.
    pub target: String,
    /// The proxy's final HTTP status: 2xx opened the tunnel (the WebSocket, or TLS and
    /// then the WebSocket, ran inside it); anything else refused it; null when no answer
    /// was captured.
    pub status: Option<u16>,
    /// Its reason phrase, as sent (one longer than 128 bytes cut there, ending in `…`).
    pub reason: Option<String>,
    /// The packet that completed the CONNECT request.
    pub request_packet: u64,
    /// When it was captured.
    pub request_time: Timestamp,
    /// The packet that completed the proxy's answer.
    pub response_packet: Option<u64>,
    /// A refusal's body as text (an HTML error page's words), cut at 300 bytes; null when
    /// there was none (or with `--redact`).
    pub body: Option<String>,
    /// The body went on past what wsclose keeps (4 KiB), or part of it is not in the
    /// capture.
    pub body_cut: bool,
    /// The proxy's answers to earlier CONNECTs on the same connection (a 407 before the
    /// client sent credentials), in order.
    pub earlier: Vec<EarlierAnswer>,
    /// The proxy product its final answer names (its `Proxy-agent`, else its `Server`,
    /// else its `Via`: tinyproxy and Apache httpd name themselves in a CONNECT's 200,
    /// Squid only in a refusal), one wsclose knows; null when it names none. Only the
    /// product and a version of digits and dots are kept.
    pub proxy_product: Option<crate::vocab::ProxyProduct>,
}

/// An answer the proxy gave to an earlier CONNECT on the same connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EarlierAnswer {
    /// Its HTTP status.
    pub status: u16,
    /// Its packet.
    pub packet: u64,
}

impl TunnelReport {
    /// The proxy answered 2xx.
    pub fn opened(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}
