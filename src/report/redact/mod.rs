//! `--redact`: a report safe to attach to a public ticket.
//!
//! In: a finished [`Report`], and the key its capture's first packets gave ([`Seed`]). Out:
//! the same report with every IP address replaced by a pseudonym (`host-3f2a9c`: six hex
//! digits of the address's keyed hash, so the same address gets the same name throughout the
//! report and in any run over the same capture, whatever is selected or shown; ports are
//! kept), host names in Host headers (HTTP/2: `:authority`), in request targets of the
//! absolute form (`GET ws://host:port/path`), in TLS server names (SNI) and in a CONNECT's
//! target (the tunnel's, and the one a leg's link evidence names) replaced the same way, a
//! subprotocol no registry or decoder knows (it may be a bearer token) replaced by a
//! pseudonym of its own (`proto-…`), TLS client randoms left out (they find a connection's
//! lines in a key log), query strings dropped from paths, payload previews and the last
//! words (`last_words`, and their quote in a `last-words` cause) left out, the paths of
//! inputs and key logs cut to their file names, the value of a `--host` selection and the
//! command line dropped. This covers the WebSocket connections, their TLS, and the TLS
//! connections listed as encrypted (`seen.encrypted`). Close reasons, codes and packet
//! numbers are kept: they are the point; so are TLS versions, cipher suites, ALPN and
//! alerts; but inside wire text that is kept (close reasons, in the causes that quote them
//! and in the frame log; a finding's quotes of the wire, each by its kind:
//! `vocab::Quoted`) every address literal, every name given a pseudonym and any DNS-shaped
//! name is named (`Names::scrub`), a URL's userinfo and query left out and a mail
//! address's local part named (`user-…`, `Names::people`). wsclose's own sentences (the
//! status's detail, said again from the redacted causes; the evidence; a finding's words)
//! are made from values and are not scrubbed; only the run's notes (inputs' warnings and
//! errors, written as sentences by the capture and analysis stages) have their paths cut
//! and the address literals and names given pseudonyms in them named. An HTTP response a side wrote into the WebSocket stream keeps only
//! what is not the application's: its status code and version (`status_line`) and its
//! length; its status line's words and its page's title are left out (`not_frames`, the
//! `not-frames` finding's quote, the `http-response-in-stream` cause).
//! An application's cause is kept when the protocol defines it; the peer's own words
//! in it (an Action Cable disconnect reason, an OCPP CALLERROR code or a WAMP reason the
//! protocol does not define: `disconnect "…"`, `vocab::AppCause::quoted`) are left out, in the
//! application's cause and in the status's causes and words alike, as is its summary, and
//! so is a refused upgrade's body (it may repeat what the request carried).
//! The report says it was redacted. A report whose connections are in a store redacts them
//! as they are read back, with the names given before (`Report::names`): a pseudonym
//! depends on the value and the key alone, so they are the same as in memory.

use super::tls::{EncryptedReport, TlsReport};
use super::Cause;
use super::{ConnectionReport, Host, Report};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::{HashMap, HashSet};

/// The key pseudonyms are made with: a hash of the capture's first packets ([`Seed`]).
pub type Key = [u8; 32];

mod seed;
use seed::random_key;
pub use seed::{KeySlot, Seed, SEED_PACKETS};

/// What a pseudonym stands for: an address or host name, or a subprotocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Host,
    Protocol,
    User,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Host => "host",
            Kind::Protocol => "proto",
            Kind::User => "user",
        }
    }
}

/// Hex digits of a pseudonym: six (`host-3f2a9c`), more for one whose six another value
/// took first.
const DIGITS: usize = 6;

/// The pseudonyms given so far, and the key they are made with: a value's pseudonym is its
/// keyed hash (HMAC-SHA-256), so it does not depend on which connections are shown or in
/// what order; an address is named as its canonical text, a host name in lower case.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    key: Key,
    /// Whether wsclose decodes the protocol a subprotocol names (`Report::decodes_subprotocol`).
    decodes: fn(&str) -> bool,
    map: HashMap<String, String>,
    given: HashSet<String>,
}

impl Default for Names {
    fn default() -> Names {
        Names::new(None, |_| false)
    }
}

impl Names {
    /// Names made with the capture's `key` (a random one without), keeping the subprotocols
    /// `decodes` says wsclose decodes.
    pub(crate) fn new(key: Option<Key>, decodes: fn(&str) -> bool) -> Names {
        Names {
            key: key.unwrap_or_else(random_key),
            decodes,
            map: HashMap::new(),
            given: HashSet::new(),
        }
    }

    /// The pseudonym of `value` as a `kind`.
    fn pseudonym(&mut self, kind: Kind, value: &str) -> String {
        let canonical = match value.parse::<std::net::IpAddr>() {
            Ok(ip) => ip.to_string(),
            Err(_) => value.to_ascii_lowercase(),
        };
        let entry = format!("{}\0{canonical}", kind.prefix());
        if let Some(p) = self.map.get(&entry) {
            return p.clone();
        }
        // The key zero-padded to SHA-256's block, as HMAC pads a shorter key (RFC 2104).
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&self.key);
        let mut mac = <Hmac<Sha256> as hmac::digest::KeyInit>::new(&block.into());
        mac.update(entry.as_bytes());
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        // Another value with the same first digits (one in 16 million a pair): this one
        // takes more of them.
        let mut digits = DIGITS;
        let mut name = format!("{}-{}", kind.prefix(), &hex[..digits]);
        while self.given.contains(&name) && digits < hex.len() {
            digits += 2;
            name = format!("{}-{}", kind.prefix(), &hex[..digits]);
        }
        self.given.insert(name.clone());
        self.map.insert(entry, name.clone());
        name
    }

    /// Whether `value` (canonical, as [`Names::pseudonym`] keys it) was given a pseudonym.
    fn known(&self, kind: Kind, value: &str) -> Option<&String> {
        let canonical = match value.parse::<std::net::IpAddr>() {
            Ok(ip) => ip.to_string(),
            Err(_) => value.to_ascii_lowercase(),
        };
        self.map.get(&format!("{}\0{canonical}", kind.prefix()))
    }

    fn name(&mut self, addr: &str) -> String {
        self.pseudonym(Kind::Host, addr)
    }

    /// "1.2.3.4:80" or "[::1]:80" → "host-3f2a9c:80".
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

/// Subprotocol names kept under `--redact`, beside those wsclose decodes
/// (`Names::decodes`, given by the report): the names of IANA's WebSocket Subprotocol Name
/// Registry (RFC 6455 §11.5, RFC 7936) and widely used unregistered ones (Kubernetes'
/// channels, GraphQL's, SignalR's, Socket.IO's, chat samples), compared without case. Any
/// other value is the application's own and may be a credential: browsers cannot set
/// `Authorization` on a WebSocket, so a bearer token is often sent as the only subprotocol,
/// and the server echoes it.
const KNOWN_SUBPROTOCOLS: &[&str] = &[
    // IANA's registry.
    "soap",
    "MBWS.huawei.com",
    "MBLWS.huawei.com",
    "wamp",
    "v10.stomp",
    "v11.stomp",
    "v12.stomp",
    "ocpp1.2",
    "ocpp1.5",
    "ocpp1.6",
    "ocpp2.0",
    "ocpp2.0.1",
    "ocpp2.1",
    "rfb",
    "sip",
    "notificationchannel-netapi-rest.openmobilealliance.org",
    "wpcp",
    "amqp",
    "mqtt",
    "jsflow",
    "rwpcp",
    "xmpp",
    "ship",
    "mielecloudconnect",
    "v10.pcp.sap.com",
    "msrp",
    "v1.saltyrtc.org",
    "TLCP-2.0.0.lightstreamer.com",
    "TLCP-2.1.0.lightstreamer.com",
    "TLCP-2.2.0.lightstreamer.com",
    "TLCP-2.3.0.lightstreamer.com",
    "TLCP-2.4.0.lightstreamer.com",
    "TLCP-2.5.0.lightstreamer.com",
    "bfcp",
    "sldp.softvelum.com",
    "opcua+uacp",
    "opcua+uajson",
    "v1.swindon-lb.smartstreamer.com",
    "v1.usp",
    "mles-websocket",
    "coap",
    "sqlnet.oracle.com",
    "oneM2M.R2.0.json",
    "oneM2M.R2.0.xml",
    "oneM2M.R2.0.cbor",
    "transit",
    "2016.serverpush.dash.mpeg.org",
    "2018.mmt.mpeg.org",
    "clue",
    "webrtc.softvelum.com",
    "cobra.v2.json",
    "drp",
    "hub.bsc.bacnet.org",
    "dc.bsc.bacnet.org",
    "jmap",
    "t140",
    "done",
    "collection-update",
    "text.ircv3.net",
    "binary.ircv3.net",
    // Widely used, unregistered.
    "graphql-ws",
    "graphql-transport-ws",
    "chat",
    "superchat",
    "echo-protocol",
    "json",
    "binary",
    "base64",
    "protoo",
    "janus-protocol",
    "signalr",
    "socket.io",
    "channel.k8s.io",
    "base64.channel.k8s.io",
    "v4.channel.k8s.io",
    "v4.base64.channel.k8s.io",
    "v5.channel.k8s.io",
    "portforward.k8s.io",
    "v4.tunnel.k8s.io",
];

/// The prefix of Kubernetes' bearer-token subprotocol offer: the token follows it.
const K8S_BEARER: &str = "base64url.bearer.authorization.k8s.io.";

impl Names {
    /// A subprotocol as `--redact` shows it: a known name as it is; the token of a
    /// Kubernetes bearer offer named (`base64url.bearer.authorization.k8s.io.proto-…`); any
    /// other value named (`proto-3f2a9c`).
    pub(crate) fn subprotocol(&mut self, sp: &str) -> String {
        let s = sp.trim();
        if s.is_empty()
            || KNOWN_SUBPROTOCOLS.iter().any(|k| k.eq_ignore_ascii_case(s))
            || (self.decodes)(s)
        {
            return sp.to_owned();
        }
        if let Some(token) = s
            .get(..K8S_BEARER.len())
            .filter(|p| p.eq_ignore_ascii_case(K8S_BEARER))
            .map(|_| &s[K8S_BEARER.len()..])
        {
            return format!("{K8S_BEARER}{}", self.pseudonym(Kind::Protocol, token));
        }
        self.pseudonym(Kind::Protocol, s)
    }

    /// A `Sec-WebSocket-Protocol` list (`a, b`), each item as [`Names::subprotocol`].
    fn subprotocols(&mut self, list: &str) -> String {
        list.split(',')
            .map(|item| self.subprotocol(item.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A character of a token the text scrubber looks at: what an address, a host name and a
/// port are written with.
fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']' | '%')
}

/// Whether `s` is shaped as a DNS name: two labels or more of letters, digits and
/// hyphens (none at a label's ends), the last one letters only, at least two.
fn dns_shaped(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
        && labels
            .last()
            .is_some_and(|l| l.len() >= 2 && l.chars().all(|c| c.is_ascii_alphabetic()))
}

impl Names {
    /// The pseudonym-bearing form of one token of text, if it names an address or a host:
    /// an IPv4 or IPv6 literal (bracketed or not, a port after it kept), a name given a
    /// pseudonym before, or, in `wire` text, any DNS-shaped name (which is given one).
    fn token(&mut self, t: &str, wire: bool) -> Option<String> {
        // `[v6]` or `[v6]:port`.
        if let Some(rest) = t.strip_prefix('[') {
            let (ip, tail) = rest.split_once(']')?;
            let ip6 = ip.split('%').next()?;
            ip6.parse::<std::net::Ipv6Addr>().ok()?;
            let port = tail
                .strip_prefix(':')
                .filter(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
            if !tail.is_empty() && port.is_none() {
                return None;
            }
            let name = self.name(ip6);
            return Some(match port {
                Some(p) => format!("{name}:{p}"),
                None => name,
            });
        }
        if t.contains(']') || t.contains('[') {
            return None;
        }
        // A bare IPv6 address (with a zone: `fe80::1%eth0`).
        if t.matches(':').count() >= 2 {
            let ip6 = t.split('%').next()?;
            return ip6
                .parse::<std::net::Ipv6Addr>()
                .ok()
                .map(|_| self.name(ip6));
        }
        let (host, port) = match t.rsplit_once(':') {
            Some((h, p)) if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) => (h, Some(p)),
            Some(_) => return None,
            None => (t, None),
        };
        let named = if host.parse::<std::net::Ipv4Addr>().is_ok() {
            Some(self.name(host))
        } else if let Some(p) = self.known(Kind::Host, host) {
            // A name given a pseudonym before; a one-label one ("db") only in wire text,
            // where it is no word of wsclose's own sentences.
            (wire || host.contains('.')).then(|| p.clone())
        } else if wire && dns_shaped(host) {
            Some(self.name(host))
        } else {
            None
        };
        named.map(|n| match port {
            Some(p) => format!("{n}:{p}"),
            None => n,
        })
    }

    /// `text` with every address and host name in it replaced by its pseudonym
    /// ([`Names::token`]); `wire`: all of it came from the wire (a close reason), and its
    /// URLs and mail addresses lose what names a person or carries a credential first
    /// ([`Names::people`]).
    fn scrub_part(&mut self, text: &str, wire: bool, out: &mut String) {
        let people;
        let text = if wire && text.contains(['?', '#', '@']) {
            people = self.people(text);
            people.as_str()
        } else {
            text
        };
        let mut rest = text;
        while let Some(start) = rest.find(token_char) {
            let (before, from) = rest.split_at(start);
            out.push_str(before);
            let len = from.find(|c: char| !token_char(c)).unwrap_or(from.len());
            let (token, after) = from.split_at(len);
            // Punctuation around it ("10.0.0.1.", "-host") is not part of a name.
            let core = token.trim_start_matches(['.', ':', '-']);
            let lead = &token[..token.len() - core.len()];
            let core_end = core.trim_end_matches(['.', ':', '-']);
            let trail = &core[core_end.len()..];
            out.push_str(lead);
            // A section number (`RFC 9293 §3.10.7.1`) is no address.
            let section = before.ends_with('§') && lead.is_empty();
            match (!section).then(|| self.token(core_end, wire)).flatten() {
                Some(named) => out.push_str(&named),
                None => out.push_str(core_end),
            }
            out.push_str(trail);
            rest = after;
        }
        out.push_str(rest);
    }

    /// Wire text kept under `--redact` (a close reason, a finding's quote) with the
    /// addresses and host names in it replaced by their pseudonyms: every IPv4 and IPv6
    /// literal, every name given a pseudonym before, any DNS-shaped name; and the
    /// subprotocols the connection was given pseudonyms for (`secrets`, as sent), wherever
    /// they appear. wsclose's own sentences are not scrubbed: they are made from values
    /// whose wire parts are redacted field by field.
    pub(crate) fn scrub(&mut self, text: &str, secrets: &[(String, String)]) -> String {
        let mut t = std::borrow::Cow::Borrowed(text);
        for (secret, name) in secrets {
            if !secret.is_empty() && t.contains(secret.as_str()) {
                t = std::borrow::Cow::Owned(t.replace(secret.as_str(), name));
            }
        }
        let mut out = String::with_capacity(t.len());
        self.scrub_part(&t, true, &mut out);
        out
    }
}

/// An HTTP response's status line as `--redact` gives it (RFC 9112 §4: `HTTP-version SP
/// 3DIGIT SP [ reason-phrase ]`): its version and code, the protocol's, kept
/// (`HTTP/1.1 502`); its words, which a framework or its application chose, as
/// `[redacted]`; a line not shaped as one left out whole.
pub(crate) fn status_line(line: &str) -> String {
    let b = line.as_bytes();
    let shaped = matches!(
        b,
        [b'H', b'T', b'T', b'P', b'/', v, b'.', w, b' ', c1, c2, c3, ..]
            if [v, w, c1, c2, c3].iter().all(|d| d.is_ascii_digit())
    ) && matches!(b.get(12), None | Some(b' '));
    match (line.get(..12), line.get(12..)) {
        _ if line.is_empty() => String::new(),
        (Some(head), Some(words)) if shaped && words.trim().is_empty() => head.to_owned(),
        (Some(head), _) if shaped => format!("{head} [redacted]"),
        _ => "[redacted]".to_owned(),
    }
}

/// What may follow a URL in a sentence and is no part of it.
const AFTER_URL: &[char] = &[')', ']', '}', '>', '"', '\'', '.', ',', ';', '!'];

/// `word` (wire text without whitespace) with a URL's userinfo and query left out, as a
/// request target's are ([`Names::target`]): in a word with `://`, the userinfo before the
/// host (`[redacted]@`) and from the first `?` or `#` after it to the URL's end
/// (`?[redacted]`); in a path (a `/` before its `?`), its query. A `?` or `#` at the end
/// is punctuation, and one in any other word a word's.
fn url_cut(word: &str) -> std::borrow::Cow<'_, str> {
    let body = word.trim_end_matches(AFTER_URL);
    let tail = word.get(body.len()..).unwrap_or_default();
    let (head, rest) = match body.find("://") {
        Some(at) => body.split_at(at + 3),
        None => ("", body),
    };
    let url = !head.is_empty();
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(end) if url => rest.split_at(end),
        None if url => (rest, ""),
        _ => ("", rest),
    };
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((_, host)) => ("[redacted]@", host),
        None => ("", authority),
    };
    let cut = if url {
        path.find(['?', '#'])
    } else {
        path.find('?')
            .filter(|&q| path.get(..q).is_some_and(|p| p.contains('/')))
    };
    let cut = cut.filter(|&q| q + 1 < path.len());
    if userinfo.is_empty() && cut.is_none() {
        return std::borrow::Cow::Borrowed(word);
    }
    let path = match cut.and_then(|q| Some((path.get(..q)?, path.get(q..=q)?))) {
        Some((before, mark)) => format!("{before}{mark}[redacted]"),
        None => path.to_owned(),
    };
    std::borrow::Cow::Owned(format!("{head}{userinfo}{host}{path}{tail}"))
}

/// Whether `c` may be part of a mail address's local part: RFC 5322's `atext` (§3.2.3)
/// and the dot, less `/`, `=` and `?`, which in a sentence join it to what is before it
/// (`user=alice@…`, a URL's path).
fn local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-^_`{|}~.".contains(c)
}

impl Names {
    /// Wire text with what names a person or carries a credential left out of the URLs
    /// and mail addresses in it: a URL's userinfo and query ([`url_cut`]), a mail
    /// address's local part (before an `@` that a host follows: a DNS-shaped name, an
    /// address literal, a name given a pseudonym before) named by a pseudonym of its own
    /// (`user-3f2a9c`). The hosts are named after, with the rest of the text.
    fn people(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while !rest.is_empty() {
            let space = rest
                .find(|c: char| !c.is_whitespace())
                .unwrap_or(rest.len());
            let (gap, from) = rest.split_at(space);
            out.push_str(gap);
            let end = from.find(char::is_whitespace).unwrap_or(from.len());
            let (word, after) = from.split_at(end);
            self.mailboxes(&url_cut(word), &mut out);
            rest = after;
        }
        out
    }

    /// `word` with each mail address's local part named ([`Names::people`]).
    fn mailboxes(&mut self, word: &str, out: &mut String) {
        let mut rest = word;
        while let Some(at) = rest.find('@') {
            let (before, after) = (
                rest.get(..at).unwrap_or_default(),
                rest.get(at + 1..).unwrap_or_default(),
            );
            let start = before
                .char_indices()
                .rev()
                .take_while(|&(_, c)| local_char(c))
                .last()
                .map_or(before.len(), |(i, _)| i);
            let local = before.get(start..).unwrap_or_default();
            let local = local.trim_start_matches(['.', '\'']);
            let domain = after.get(..after.find(|c: char| !token_char(c)).unwrap_or(after.len()));
            let domain = domain.unwrap_or_default().trim_end_matches(['.', ':', '-']);
            let kept = before.get(..before.len() - local.len()).unwrap_or_default();
            if !local.is_empty() && !domain.is_empty() && self.token(domain, true).is_some() {
                out.push_str(kept);
                let named = self.pseudonym(Kind::User, local);
                out.push_str(&named);
            } else {
                out.push_str(before);
            }
            out.push('@');
            rest = after;
        }
        out.push_str(rest);
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
    /// Redacts one connection (connections are given in any order: a pseudonym depends on
    /// its value and the key alone).
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
        // Each point's endpoints, as it saw them (a NAT's address among them).
        for p in c.points.iter_mut().flat_map(|p| p.points.iter_mut()) {
            p.client = Host::Named(self.endpoint(&p.client.to_string()));
            p.server = Host::Named(self.endpoint(&p.server.to_string()));
        }
        // The target names a host as a Host header does; an error page names hosts too.
        if let Some(t) = &mut c.tunnel {
            t.proxy = Host::Named(self.endpoint(&t.proxy.to_string()));
            t.target = self.host(&t.target);
            t.body = None;
        }
        // The link's evidence names the CONNECT's target: said again with its pseudonym.
        // (Every CONNECT link keeps its CONNECT: `diagnose::proxied`; the other links'
        // words name packets only.)
        if let Some((leg, Some((connect, target)))) = c
            .leg
            .as_mut()
            .map(|l| (&mut l.link_evidence, &mut l.connect))
        {
            *target = self.host(target);
            *leg = super::legs::LinkedBy::KeyAndConnect {
                connect: *connect,
                target: target.clone(),
            }
            .text();
        }
        // The protocol and its cause stay; what names a client or carries its words goes.
        if let Some(a) = &mut c.application {
            for id in &mut a.related {
                id.value = "[redacted]".into();
            }
            a.summary = None;
            if let Some(label) = &mut a.cause {
                label.redact();
            }
        }
        let h = &mut c.handshake;
        h.host = h.host.as_deref().map(|x| self.host(x));
        h.path = h.path.as_deref().map(|p| self.target(p));
        // A subprotocol no registry or decoder knows may be a token: named, and named
        // wherever a sentence repeats it.
        let mut secrets = Vec::new();
        if let Some(sp) = &mut h.subprotocol {
            let named = self.subprotocols(sp);
            if named != *sp {
                for (item, shown) in sp.split(',').zip(named.split(", ")) {
                    let item = item.trim();
                    if item != shown && item.len() >= 4 {
                        secrets.push((item.to_owned(), shown.to_owned()));
                    }
                }
                *sp = named;
            }
        }
        // Longest first: one may hold another.
        secrets.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
        // Close reasons are the point and stay, with the addresses and host names in them
        // named (before the sentences that quote them, which then find those names given).
        for f in &mut c.close_frames {
            f.reason = self.scrub(&f.reason, &secrets);
        }
        // The status says the application's cause and the reasons too: its words are made
        // again from the redacted causes (each kind's `redact` facet: the functions below).
        let mut relabelled = false;
        for cause in &mut c.status.causes {
            relabelled |= cause.redact(self);
        }
        if relabelled {
            let causes = std::mem::take(&mut c.status.causes);
            c.status.set_causes(causes);
        }
        // Bytes that are no frames: their first bytes are left out, and so are those a
        // finding quotes; an HTTP response's status line keeps its version and code (its
        // length is `bytes`), its words and its page's title are the application's.
        for n in &mut c.not_frames {
            n.first_bytes = None;
            n.status_line = n.status_line.as_deref().map(status_line);
            if let Some(t) = &mut n.title {
                *t = "[redacted]".into();
            }
        }
        // The status's detail, the evidence and the findings are wsclose's words, made from
        // values: what they quote of the wire is in the causes (redacted above, the status
        // said again from them) and in the findings' quotes, each redacted by its kind.
        for f in &mut c.findings {
            self.quotes(f, &secrets);
        }
        for w in &mut c.last_words {
            w.text = "[redacted]".into();
            if !w.gist.is_empty() {
                w.gist = "[redacted]".into();
            }
        }
        for frames in c
            .timeline
            .iter_mut()
            .chain(std::iter::once(&mut c.recent_frames))
        {
            for f in frames.iter_mut() {
                if f.opcode != crate::vocab::Opcode::CLOSE {
                    f.detail = None;
                } else if let Some(d) = &mut f.detail {
                    // A close frame's: its code, then its reason as sent, quoted
                    // (`websocket::decoder`): the reason is wire text.
                    if let Some((code, reason)) = d.split_once('"') {
                        *d = format!("{code}\"{}", self.scrub(reason, &secrets));
                    }
                }
            }
        }
    }

    /// A finding's quotes of the wire ([`crate::vocab::Quote`]), each by its kind: a
    /// payload's bytes left out; a `Sec-WebSocket-Protocol` value or list (the 101's, the
    /// client's offer) named item by item ([`Names::subprotocol`]), an item cut short (the
    /// finding quotes 80 bytes) that begins a subprotocol named before (`secrets`) given
    /// its name. The quotes are gone from the finding after: its detail is redacted.
    fn quotes(&mut self, f: &mut crate::vocab::Finding, secrets: &[(String, String)]) {
        let mut quotes = std::mem::take(&mut f.quotes);
        // From the last, so that the ranges before stay where they are.
        quotes.sort_by_key(|q| std::cmp::Reverse(q.start));
        for q in quotes {
            let range = q.start as usize..q.end as usize;
            // A range the detail no longer holds (it was changed after it was made): the
            // whole detail goes rather than a quote left in it.
            let Some(text) = f.detail.get(range.clone()) else {
                f.detail = "[redacted]".into();
                return;
            };
            let shown = match q.what {
                crate::vocab::Quoted::Payload => "[redacted]".to_owned(),
                crate::vocab::Quoted::StatusLine => status_line(text),
                crate::vocab::Quoted::Text => self.scrub(text, secrets),
                crate::vocab::Quoted::Subprotocols => text
                    .split(',')
                    .map(|item| {
                        let item = item.trim();
                        let cut = item.trim_end_matches('…');
                        let named = secrets
                            .iter()
                            .find(|(s, _)| cut.len() >= 16 && s.starts_with(cut));
                        match named {
                            Some((_, name)) => name.clone(),
                            None => self.subprotocol(item),
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            f.detail.replace_range(range, &shown);
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

/// `text` with every path of `paths` (path, file name) cut to its file name, the longest
/// paths first. (A key-log warning quotes no client random: its line number names the line.)
fn cut_paths(text: &str, paths: &[(String, String)]) -> String {
    let mut t = text.to_owned();
    for (path, name) in paths {
        if !path.is_empty() && path != name {
            t = t.replace(path.as_str(), name);
        }
    }
    t
}

/// An endpoint (`10.0.0.5:8443`) as a report redacted with `key` names it
/// (`host-3f2a9c:8443`): for the lines said while a capture is read.
pub fn endpoint_pseudonym(key: Option<Key>, endpoint: &str) -> String {
    Names::new(key, |_| false).endpoint(endpoint)
}

/// A close reason as a report redacted with `key` gives it: the addresses and host names in
/// it named (`Names::scrub`).
pub fn reason_scrubbed(key: Option<Key>, reason: &str) -> String {
    Names::new(key, |_| false).scrub(reason, &[])
}

/// What a group's members said ([`crate::vocab::Stated`]), redacted as a connection's own:
/// the close reason kept with its addresses and host names named, a refusal's words left
/// out.
fn said(names: &mut Names, s: Option<&mut crate::vocab::Stated>) {
    let Some(s) = s else { return };
    if let Some(r) = &mut s.reason {
        *r = names.scrub(r, &[]);
    }
    if let Some(w) = &mut s.words {
        *w = "[redacted]".into();
    }
}

/// Redacts `report` in place: what goes and what stays is in this module's header.
pub fn redact(report: &mut Report) {
    // The encrypted connections first, then the hosts the incidents name, then the
    // connections: a store's connections, redacted as they are read
    // (`Report::for_each_connection`), go on from the names given before them, so that a
    // value whose six digits another took first (`Names::pseudonym`) is named as in memory.
    let mut names = Names::new(report.key, report.decodes_subprotocol);
    for e in &mut report.seen.encrypted {
        names.encrypted(e);
    }
    for i in &mut report.incidents {
        if let Some(s) = &mut i.server {
            *s = names.endpoint(s);
        }
        if let Some(c) = &mut i.client {
            *c = names.name(c);
        }
        if let Some(s) = &mut i.reconnects.elsewhere_server {
            *s = names.endpoint(s);
        }
        said(&mut names, i.facts.said.as_mut());
        said(&mut names, i.reconnects.refused_said.as_mut());
    }
    // A doubtful cluster's words hold figures and what its sessions said; its server is
    // named as everywhere.
    for d in &mut report.doubts {
        d.server = names.endpoint(&d.server);
        said(&mut names, d.facts.as_mut().and_then(|f| f.said.as_mut()));
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
                .map(|k| (k.source.to_string(), k.source.file_name_only().to_string())),
        )
        .collect();
    paths.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    // What the run says in words: its paths cut, any address in it named.
    let said = |names: &mut Names, text: &str| {
        let mut out = String::with_capacity(text.len());
        names.scrub_part(&cut_paths(text, &paths), false, &mut out);
        out
    };
    for input in &mut report.inputs {
        input.path = file_name(&input.path);
        for text in input
            .warnings
            .iter_mut()
            .chain(input.error.as_mut())
            .chain(input.continuity.as_mut())
        {
            *text = said(&mut names, text);
        }
    }
    for k in &mut report.key_logs {
        k.source = k.source.file_name_only();
        if let Some(e) = &mut k.error {
            *e = said(&mut names, e);
        }
    }
    for w in report
        .key_log_warnings
        .iter_mut()
        .chain(report.warnings.iter_mut())
    {
        *w = said(&mut names, w);
    }
    // An incident's words are made again from its fields, its server and client named
    // above (`report::words::incident`): no sentence of theirs is scrubbed.
    for i in &mut report.incidents {
        (i.cause, i.fix) = super::words::incident::cause_and_fix(i);
    }
    // The selection as the command line gave it: `--host` names a host.
    if let (Some(filter), Some(selection)) = (&mut report.summary.filter, &report.selection) {
        *filter = selection.describe_redacted();
    }
    report.command = None;
    report.redacted = true;
}

/// The `redact` facet of [`Cause::Application`]: its label with the peer's words it quotes
/// left out ([`crate::vocab::AppCause::redact`]); whether it changed.
pub(crate) fn app_label(c: &mut Cause) -> bool {
    let Cause::Application { cause: label, .. } = c else {
        return false;
    };
    label.redact()
}

/// The `redact` facet of the kinds that quote a close reason ([`Cause::Closed`],
/// [`Cause::ReasonWords`], [`Cause::CloseReply`]): the reason stays, the addresses and host
/// names in it named ([`Names::scrub`]).
pub(crate) fn reason(c: &mut Cause, names: &mut Names) -> bool {
    let (Cause::Closed { reason, .. }
    | Cause::ReasonWords { reason, .. }
    | Cause::CloseReply { reason, .. }) = c
    else {
        return false;
    };
    let scrubbed = names.scrub(reason, &[]);
    let changed = scrubbed != *reason;
    *reason = scrubbed;
    changed
}

/// The `redact` facet of [`Cause::HttpResponseInStream`]: the response's status line keeps
/// its version and code ([`status_line`]), its page's title is left out (as in
/// `not_frames`): the words of an error page are the application's.
pub(crate) fn response_words(c: &mut Cause) -> bool {
    let Cause::HttpResponseInStream {
        status_line: line,
        title,
        ..
    } = c
    else {
        return false;
    };
    let redacted = status_line(line);
    let mut changed = redacted != *line;
    *line = redacted;
    if let Some(t) = title.as_mut().filter(|t| *t != "[redacted]") {
        *t = "[redacted]".into();
        changed = true;
    }
    changed
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
mod tests;
