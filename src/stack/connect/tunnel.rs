//! What a CONNECT asked for and what the proxy answered ([`Tunnel`]), as the report keeps
//! it: the target as sent, the proxy's status and reason, the packets, and the words of a
//! refusal's body (an HTML error page read as its text).

use crate::vocab::Timestamp;

/// What a CONNECT asked for and what the proxy answered.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tunnel {
    /// The request-target (authority-form `host:port`), as sent (at most [`MAX_TARGET`](super::MAX_TARGET)
    /// bytes, read as UTF-8 with replacement).
    pub target: String,
    pub request_packet: u64,
    pub request_ts: Timestamp,
    /// The proxy's final status; `None` while unanswered.
    pub status: Option<u16>,
    /// Its reason phrase, as sent (at most `parse::MAX_REASON` bytes and a `…`).
    pub reason: String,
    pub response_packet: Option<u64>,
    pub response_ts: Option<Timestamp>,
    /// The answer's `Content-Type`.
    pub content_type: Option<String>,
    /// The first bytes of a refusal's body (at most [`MAX_BODY`](super::MAX_BODY)).
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
    /// The body went on past what was kept, or part of it is not in the capture.
    pub body_cut: bool,
    /// Answers the proxy gave to earlier CONNECTs on this connection (status, packet), in
    /// order.
    pub earlier: Vec<(u16, u64)>,
    /// The proxy product the final answer's `Proxy-agent`, `Server` or `Via` names.
    pub proxy: Option<crate::vocab::ProxyProduct>,
}

impl Tunnel {
    /// The proxy answered with a final status other than 2xx.
    pub fn refused(&self) -> bool {
        self.status.is_some_and(|s| !(200..300).contains(&s))
    }

    /// The port the target names, when it is `host:port` with a port.
    pub fn target_port(&self) -> Option<u16> {
        let (_, port) = self.target.rsplit_once(':')?;
        port.parse().ok()
    }

    /// The target's host when it is an IP address literal (`[v6]` or v4).
    pub fn target_ip(&self) -> Option<std::net::IpAddr> {
        let (host, _) = self.target.rsplit_once(':')?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        host.parse().ok()
    }

    /// The refusal's body as text: an HTML page's words (its tags, styles and scripts
    /// left out, entities read), any other body as sent; whitespace runs are one space,
    /// cut at `max` bytes. `None` when there is no body.
    pub fn body_text(&self, max: usize) -> Option<String> {
        if self.body.is_empty() {
            return None;
        }
        let raw = String::from_utf8_lossy(&self.body);
        let html = self
            .content_type
            .as_deref()
            .is_some_and(|t| t.to_ascii_lowercase().contains("html"))
            || raw.trim_start().starts_with('<');
        let text = if html {
            html_words(&raw)
        } else {
            raw.into_owned()
        };
        let words: Vec<&str> = text.split_whitespace().collect();
        let joined = words.join(" ");
        let cut = crate::sanitize::cut(&joined, max);
        match (cut.len() < joined.len(), cut.is_empty()) {
            (_, true) => None,
            (true, false) => Some(format!("{cut}…")),
            (false, false) => Some(joined),
        }
    }
}

/// The words of an HTML page: tags dropped, with what `<style>`, `<script>` and comments
/// hold; the few entities error pages use read.
pub(super) fn html_words(page: &str) -> String {
    let mut out = String::with_capacity(page.len() / 2);
    let mut rest = page;
    while let Some(at) = rest.find('<') {
        out.push_str(rest.get(..at).unwrap_or_default());
        out.push(' ');
        let tag = rest.get(at..).unwrap_or_default();
        let lower = tag.get(..8).unwrap_or(tag).to_ascii_lowercase();
        let close = if tag.starts_with("<!--") {
            "-->"
        } else if lower.starts_with("<style") {
            "</style>"
        } else if lower.starts_with("<script") {
            "</script>"
        } else {
            ">"
        };
        let found = if close == ">" {
            tag.find(close)
        } else {
            tag.to_ascii_lowercase().find(close)
        };
        rest = match found {
            Some(end) => tag.get(end + close.len()..).unwrap_or_default(),
            None => "",
        };
    }
    out.push_str(rest);
    for (entity, c) in [
        ("&nbsp;", " "),
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&amp;", "&"),
    ] {
        if out.contains(entity) {
            out = out.replace(entity, c);
        }
    }
    out
}
