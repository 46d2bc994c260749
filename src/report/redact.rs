//! `--redact`: a report safe to attach to a public ticket.
//!
//! In: a finished [`Report`]. Out: the same report with every IP address replaced by a
//! stable pseudonym (the same address gets the same name throughout one report; ports are
//! kept), host names in Host headers (HTTP/2: `:authority`), in request targets of the
//! absolute form (`GET ws://host:port/path`), in TLS server names (SNI) and in a CONNECT's
//! target (the tunnel's, and the one a leg's link evidence names) replaced the same way, TLS client randoms left out (they find a connection's lines in a key log), query
//! strings dropped from paths, payload previews and the last words (`last_words`, and
//! their quote in a `last-words` cause) left out, the paths of
//! inputs and key logs cut to their file names, the value of a `--host` selection and the
//! command line dropped. This covers the WebSocket connections, their TLS, and the TLS
//! connections listed as encrypted (`seen.encrypted`). Close reasons, codes and packet
//! numbers are kept: they are the point; so are TLS versions, cipher suites, ALPN and
//! alerts. An application's cause is kept when the protocol defines it; the peer's own words
//! in it (an Action Cable disconnect reason, an OCPP CALLERROR code or a WAMP reason the
//! protocol does not define: `disconnect "…"`, `app::wire_label`) are left out, in the
//! application's cause and in the status's causes and words alike, as is its summary, and
//! so is a refused upgrade's body (it may repeat what the request carried).
//! The report says it was redacted. The encrypted connections are named first, then the
//! WebSocket connections in id order; a report whose connections are in a store redacts
//! them as they are read back, going on from the names the encrypted ones were given
//! (`Report::names`), so the pseudonyms are the same.

use super::tls::{EncryptedReport, TlsReport};
use super::{Cause, Status};
use super::{ConnectionReport, Host, Report};
use std::collections::HashMap;

/// The pseudonyms given so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct Names {
    map: HashMap<String, String>,
}

impl Names {
    fn name(&mut self, addr: &str) -> String {
        let n = self.map.len() + 1;
        self.map
            .entry(addr.to_string())
            .or_insert_with(|| format!("host-{n}"))
            .clone()
    }

    /// "1.2.3.4:80" or "[::1]:80" → "host-N:80".
    fn endpoint(&mut self, ep: &str) -> String {
        match ep.rsplit_once(':') {
            Some((ip, port)) => format!("{}:{port}", self.name(ip.trim_matches(['[', ']']))),
            None => self.name(ep),
        }
    }

    /// A Host header: "example.com:8080", "[::1]:9015", "10.0.0.1".
    fn host(&mut self, host: &str) -> String {
        let h = host.trim();
        let (name, port) = if let Some(rest) = h.strip_prefix('[') {
            match rest.split_once(']') {
                Some((ip, tail)) => (ip, tail.strip_prefix(':')),
                None => (rest, None),
            }
        } else {
            match h.rsplit_once(':') {
                Some((n, p)) if p.chars().all(|c| c.is_ascii_digit()) && !n.contains(':') => {
                    (n, Some(p))
                }
                _ => (h, None),
            }
        };
        let pseudonym = self.name(name);
        match port {
            Some(p) => format!("{pseudonym}:{p}"),
            None => pseudonym,
        }
    }
}

pub(crate) fn strip_query(path: &str) -> String {
    match path.split_once('?') {
        Some((p, _)) => format!("{p}?[redacted]"),
        None => path.to_string(),
    }
}

impl Names {
    /// A request target (RFC 9112 §3.2): origin-form (`/chat?x`) loses its query; the
    /// absolute form (`ws://leaky.internal:8080/chat?x`) also has its authority's host
    /// named as a Host header's is (port kept, any userinfo left out); `*` stays; any other
    /// form, in which a host cannot be told from a path, is left out whole.
    fn target(&mut self, target: &str) -> String {
        if target.is_empty() || target.starts_with('/') || target == "*" {
            return strip_query(target);
        }
        let Some((scheme, rest)) = target.split_once("://").filter(|(scheme, _)| {
            // RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }) else {
            return "[redacted]".to_owned();
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        let (userinfo, host) = match authority.rsplit_once('@') {
            Some((_, host)) => ("[redacted]@", host),
            None => ("", authority),
        };
        let host = if host.is_empty() {
            String::new()
        } else {
            self.host(host)
        };
        format!("{scheme}://{userinfo}{host}{}", strip_query(path))
    }
}

impl Names {
    /// Redacts one connection (connections are given in id order).
    pub(crate) fn connection(&mut self, c: &mut ConnectionReport) {
        c.client = Host::Named(self.endpoint(&c.client.to_string()));
        c.server = Host::Named(self.endpoint(&c.server.to_string()));
        if let Some(tls) = &mut c.tls {
            self.tls(tls);
        }
        if let Some(outer) = c.encapsulation.as_mut().and_then(|e| e.outer.as_mut()) {
            outer.iter_mut().for_each(|a| *a = self.name(a));
        }
        if let Some(leg) = &mut c.leg {
            leg.proxy = Host::Named(self.endpoint(&leg.proxy.to_string()));
        }
        // The target names a host as a Host header does; an error page names hosts too.
        if let Some(t) = &mut c.tunnel {
            t.proxy = Host::Named(self.endpoint(&t.proxy.to_string()));
            t.target = self.host(&t.target);
            t.body = None;
        }
        // The link's evidence names the CONNECT's target: said again with its pseudonym.
        if let Some(leg) = &mut c.leg {
            match &mut leg.connect {
                Some((connect, target)) => {
                    *target = self.host(target);
                    leg.link_evidence = super::legs::LinkedBy::KeyAndConnect {
                        connect: *connect,
                        target: target.clone(),
                    }
                    .text();
                }
                None if leg.linked_by == "sec_websocket_key_and_connect_target" => {
                    leg.link_evidence = "linked by the Sec-WebSocket-Key both upgrade requests carry and by the client's CONNECT to the back leg's server".into();
                }
                None => {}
            }
        }
        // The protocol and its cause stay; what names a client or carries its words goes.
        if let Some(a) = &mut c.application {
            for id in &mut a.related {
                id.value = "[redacted]".into();
            }
            a.summary = None;
            if let Some(label) = a.cause.as_deref().and_then(crate::app::redact_label) {
                a.cause = Some(label);
            }
        }
        // The status says the application's cause too: its words are made again from the
        // redacted causes (each kind's `redact` facet: the functions below).
        let mut relabelled = false;
        for cause in &mut c.status.causes {
            relabelled |= cause.redact();
        }
        if relabelled {
            c.status = Status::of(std::mem::take(&mut c.status.causes));
        }
        // Bytes that are no frames: their first bytes are left out, and so are those a
        // finding quotes; an HTTP response's status line and title are the framework's.
        for n in &mut c.not_frames {
            n.first_bytes = None;
        }
        for f in &mut c.findings {
            if f.kind == crate::vocab::Kind::NotFrames {
                if let Some(at) = f.detail.find("; first bytes: ") {
                    f.detail.truncate(at);
                    f.detail.push_str("; first bytes [redacted]");
                }
            }
        }
        for w in &mut c.last_words {
            w.text = "[redacted]".into();
            if !w.gist.is_empty() {
                w.gist = "[redacted]".into();
            }
        }
        let h = &mut c.handshake;
        h.host = h.host.as_deref().map(|x| self.host(x));
        h.path = h.path.as_deref().map(|p| self.target(p));
        for frames in c
            .timeline
            .iter_mut()
            .chain(std::iter::once(&mut c.recent_frames))
        {
            for f in frames.iter_mut() {
                if f.opcode != crate::vocab::Opcode::CLOSE {
                    f.detail = None;
                }
            }
        }
    }
}

impl Names {
    /// The SNI is a host name, named as a Host header's is; the client random is left out.
    fn tls(&mut self, t: &mut TlsReport) {
        t.sni = t.sni.as_deref().map(|s| self.host(s));
        t.client_random = None;
    }

    /// Redacts one TLS connection listed as encrypted.
    fn encrypted(&mut self, e: &mut EncryptedReport) {
        e.client = Host::Named(self.endpoint(&e.client.to_string()));
        e.server = Host::Named(self.endpoint(&e.server.to_string()));
        self.tls(&mut e.tls);
    }
}

/// The file name of `path` (itself when it has none).
fn file_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map_or_else(|| path.to_owned(), |n| n.to_string_lossy().into_owned())
}

/// A key log's source as the report names it (`vocab::KeySource::source`), with its path
/// cut to the file name: `keys.log`, `SSLKEYLOGFILE (keys.log)`, `pcapng secrets in a.pcapng`.
fn key_source(source: &str) -> String {
    if let Some(path) = source
        .strip_prefix("SSLKEYLOGFILE (")
        .and_then(|s| s.strip_suffix(')'))
    {
        return format!("SSLKEYLOGFILE ({})", file_name(path));
    }
    if let Some(path) = source.strip_prefix("pcapng secrets in ") {
        return format!("pcapng secrets in {}", file_name(path));
    }
    file_name(source)
}

/// `text` with every path of `paths` (path, file name) cut to its file name, the longest
/// paths first, and the client random a key-log warning quotes left out.
fn cut_paths(text: &str, paths: &[(String, String)]) -> String {
    let mut t = text.to_owned();
    for (path, name) in paths {
        if !path.is_empty() && path != name {
            t = t.replace(path.as_str(), name);
        }
    }
    // `keylog::KeyLogWarning`: "… for client random 0a1b2c3d… differs …".
    const QUOTED: &str = "client random ";
    let mut out = String::with_capacity(t.len());
    let mut rest = t.as_str();
    while let Some(i) = rest.find(QUOTED) {
        let (head, tail) = rest.split_at(i + QUOTED.len());
        out.push_str(head);
        let hex = tail.len()
            - tail
                .trim_start_matches(|c: char| c.is_ascii_hexdigit())
                .len();
        let (random, after) = tail.split_at(hex);
        out.push_str(if hex >= 8 { "[redacted]" } else { random });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Redacts `report` in place: what goes and what stays is in this module's header.
pub fn redact(report: &mut Report) {
    // The encrypted connections first, so that a store's connections, redacted as they are
    // read (`Report::for_each_connection`), go on from the same names as those in memory.
    let mut names = Names::default();
    for e in &mut report.seen.encrypted {
        names.encrypted(e);
    }
    // Then the hosts the incidents name, before the connections (the table's summary
    // leads with them): a store's connections read later go on from these names too.
    for i in &mut report.incidents {
        if let Some(s) = &mut i.server {
            *s = names.endpoint(s);
        }
        if let Some(c) = &mut i.client {
            *c = names.name(c);
        }
    }
    report.names = Some(names.clone());
    for c in &mut report.connections {
        names.connection(c);
    }
    // Paths, longest first (one may hold another), with what each becomes.
    let mut paths: Vec<(String, String)> = report
        .inputs
        .iter()
        .map(|i| (i.path.clone(), file_name(&i.path)))
        .chain(
            report
                .key_logs
                .iter()
                .map(|k| (k.source.clone(), key_source(&k.source))),
        )
        .collect();
    paths.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    for input in &mut report.inputs {
        input.path = file_name(&input.path);
        for text in input
            .warnings
            .iter_mut()
            .chain(input.error.as_mut())
            .chain(input.continuity.as_mut())
        {
            *text = cut_paths(text, &paths);
        }
    }
    for k in &mut report.key_logs {
        k.source = key_source(&k.source);
        if let Some(e) = &mut k.error {
            *e = cut_paths(e, &paths);
        }
    }
    for w in &mut report.key_log_warnings {
        *w = cut_paths(w, &paths);
    }
    // The selection as the command line gave it: `--host` names a host.
    if let (Some(filter), Some(selection)) = (&mut report.summary.filter, &report.selection) {
        *filter = selection.describe_redacted();
    }
    report.command = None;
    report.redacted = true;
}

/// The `redact` facet of [`Cause::Application`]: its label, redacted as the application's
/// (`app::redact_label`); whether it changed.
pub(crate) fn app_label(c: &mut Cause) -> bool {
    let Cause::Application { cause: label, .. } = c else {
        return false;
    };
    crate::app::redact_label(label)
        .map(|l| *label = l)
        .is_some()
}

/// The `redact` facet of [`Cause::LastWords`] and [`Cause::LastMessage`]: the last words are
/// the application's payload.
pub(crate) fn payload_words(c: &mut Cause) -> bool {
    let (Cause::LastWords { words, .. } | Cause::LastMessage { words, .. }) = c else {
        return false;
    };
    *words = "[redacted]".into();
    true
}

/// The `redact` facet of [`Cause::CloseAnswersMessage`]: the message's words are left out,
/// as last words are.
pub(crate) fn answered_words(c: &mut Cause) -> bool {
    let Cause::CloseAnswersMessage { words: Some(w), .. } = c else {
        return false;
    };
    *w = "[redacted]".into();
    true
}

/// The `redact` facet of [`Cause::UpgradeRefused`]: a refusal's body may repeat what the
/// request carried (a token, a user).
pub(crate) fn refusal_body(c: &mut Cause) -> bool {
    let Cause::UpgradeRefused { body: Some(b), .. } = c else {
        return false;
    };
    *b = "[redacted]".into();
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_address_same_name_ports_kept() {
        let mut n = Names {
            map: HashMap::new(),
        };
        assert_eq!(n.endpoint("10.1.2.3:5000"), "host-1:5000");
        assert_eq!(n.endpoint("[fd00::7]:443"), "host-2:443");
        assert_eq!(n.endpoint("10.1.2.3:6000"), "host-1:6000");
        assert_eq!(n.host("10.1.2.3:8080"), "host-1:8080");
        assert_eq!(n.host("[fd00::7]:443"), "host-2:443");
        assert_eq!(n.host("internal.example.com"), "host-3");
        assert_eq!(strip_query("/ws?token=secret&x=1"), "/ws?[redacted]");
        assert_eq!(strip_query("/ws"), "/ws");
    }

    /// An absolute-form target's host gets the pseudonym its Host header gets; anything in
    /// which a host cannot be told from a path is left out whole.
    #[test]
    fn an_absolute_form_target_has_its_host_named() {
        let mut n = Names::default();
        assert_eq!(n.host("leaky.internal.corp:8080"), "host-1:8080");
        assert_eq!(
            n.target("ws://leaky.internal.corp:8080/chat?token=s3cret"),
            "ws://host-1:8080/chat?[redacted]"
        );
        assert_eq!(n.target("HTTP://leaky.internal.corp"), "HTTP://host-1");
        assert_eq!(
            n.target("wss://user:pw@[fd00::9]:443/x"),
            "wss://[redacted]@host-2:443/x"
        );
        assert_eq!(n.target("ws://other.corp?q=1"), "ws://host-3?[redacted]");
        assert_eq!(n.target("/chat?q=1"), "/chat?[redacted]");
        assert_eq!(n.target("*"), "*");
        assert_eq!(n.target("leaky.internal.corp:8080/chat"), "[redacted]");
        assert_eq!(n.target("1ws://leaky.internal.corp/"), "[redacted]");
        assert_eq!(n.target(""), "");
    }

    #[test]
    fn key_log_paths_are_cut_and_quoted_client_randoms_left_out() {
        assert_eq!(key_source("/home/me/keys.log"), "keys.log");
        assert_eq!(
            key_source("SSLKEYLOGFILE (/tmp/x/sslkeys.txt)"),
            "SSLKEYLOGFILE (sslkeys.txt)"
        );
        assert_eq!(
            key_source("pcapng secrets in /data/cap.pcapng"),
            "pcapng secrets in cap.pcapng"
        );
        let paths = vec![("/home/me/keys.log".to_owned(), "keys.log".to_owned())];
        assert_eq!(
            cut_paths(
                "key log /home/me/keys.log line 3: CLIENT_RANDOM for client random 0a1b2c3d… differs",
                &paths
            ),
            "key log keys.log line 3: CLIENT_RANDOM for client random [redacted]… differs"
        );
        // Words, not a random, after "client random": kept.
        assert_eq!(
            cut_paths("the connection's client random (tls.client_random)", &paths),
            "the connection's client random (tls.client_random)"
        );
    }

    #[test]
    fn sni_is_named_like_a_host_header_and_the_client_random_dropped() {
        let mut n = Names::default();
        assert_eq!(n.host("example.com:443"), "host-1:443");
        let mut t = TlsReport {
            client_random: Some("ab".repeat(32)),
            version: Some("TLS 1.3".into()),
            cipher_suite: Some("TLS_AES_128_GCM_SHA256".into()),
            sni: Some("example.com".into()),
            alpn_offered: vec!["http/1.1".into()],
            ..TlsReport::default()
        };
        n.tls(&mut t);
        assert_eq!(t.sni.as_deref(), Some("host-1"));
        assert_eq!(t.client_random, None);
        assert_eq!(t.version.as_deref(), Some("TLS 1.3"));
        assert_eq!(t.alpn_offered, ["http/1.1"]);
    }
}
