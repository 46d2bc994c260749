//! The opening handshake (RFC 6455 §4): the client's HTTP/1.1 `GET` with
//! `Upgrade: websocket` and the server's reply, parsed with httparse.
//!
//! In: the first bytes of each direction, buffered until the blank line that ends the
//! headers. Out: a [`Request`] or [`Response`] and the header length, so the first WebSocket
//! bytes that share a segment with the headers are decoded too (reassembly rule 9).
//! A header line httparse refuses for a control byte in its name or value (RFC 9110 §5.1,
//! §5.5 allow none but HTAB in a value) is read leniently: the headers are parsed again
//! with those bytes taken as opaque, the values keep the bytes as sent, and the message says
//! what was wrong ([`Request::malformed`], [`Response::malformed`]) for a finding.
//! (The accept check, §4.2.2, is `websocket::session::accept_for`.) An `Upgrade: h2c`
//! offer (RFC 7540 §3.2: the token, the `HTTP2-Settings` field, the body's length) and
//! its `101` are told apart from a WebSocket's here too.

mod lenient;
mod sniff;

pub use lenient::lenient;
pub use sniff::{looks_like_request, looks_like_response, status_of_cut_response};

use crate::vocab::{HandshakeProblem, Header, ProxyProduct, Software};
use base64::Engine;

/// Headers longer than this are not a handshake we will wait for.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
const MAX_HEADERS: usize = 64;

/// Bytes of a reason phrase kept (RFC 9112 §4: the phrase is textual description, as
/// short as `Proxy Authentication Required`); a longer one is cut there, and says so
/// with a trailing `…`.
pub const MAX_REASON: usize = 128;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// The method; a `GET` (every upgrade's) is not copied.
    pub method: std::borrow::Cow<'static, str>,
    pub path: String,
    pub host: Option<String>,
    pub key: Option<String>,
    pub version: Option<String>,
    pub protocols: Option<String>,
    pub extensions: Option<String>,
    /// `Upgrade: websocket` (case-insensitive) is present.
    pub upgrade: bool,
    /// `Connection` lists `upgrade`.
    pub connection_upgrade: bool,
    /// HTTP minor version (1 for HTTP/1.1).
    pub minor_version: u8,
    /// `Upgrade` lists `h2c` (RFC 7540 §3.2).
    pub h2c: bool,
    /// `HTTP2-Settings` (RFC 7540 §3.2.1), as sent.
    pub http2_settings: Option<String>,
    /// `Content-Length`, as sent.
    pub content_length: Option<String>,
    /// `Transfer-Encoding` is present.
    pub transfer_encoding: bool,
    /// The WebSocket library its `User-Agent` names.
    pub software: Option<crate::vocab::Software>,
    /// The proxy product its `X-Varnish` names (Varnish's transaction id, on the request it
    /// sends a backend, a piped upgrade's too): a proxy's mark on a request it passed on.
    pub proxy: Option<ProxyProduct>,
    /// The header lines read leniently, and why (see `parse::lenient`); `None` when there were
    /// none.
    pub malformed: Option<crate::vocab::ControlBytes>,
    /// A hash of its `Cookie` values (RFC 6265 §5.4), in order; 0 for none. What may name its
    /// client (a session cookie) beyond its host; the value itself is never kept.
    pub cookie: u32,
}

/// `acc` with `bytes` hashed in (never 0 once something was): a value kept as its hash.
pub fn fold_hash(acc: u32, bytes: &[u8]) -> u32 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    acc.hash(&mut h);
    bytes.hash(&mut h);
    (h.finish() as u32).max(1)
}

impl Request {
    pub fn is_websocket_upgrade(&self) -> bool {
        self.method.eq_ignore_ascii_case("GET") && self.upgrade
    }

    /// An HTTP/1.1 request offering HTTP/2 by `Upgrade: h2c` and not a WebSocket (which
    /// wins when both are offered): `Some(n)` with the length of its body, which comes
    /// before anything HTTP/2; `None` when it is no such offer or its body's end cannot be
    /// told from its headers (`Transfer-Encoding`, a `Content-Length` that is not one
    /// number).
    pub fn h2c_upgrade_body(&self) -> Option<u64> {
        if !self.h2c || self.is_websocket_upgrade() || self.minor_version < 1 {
            return None;
        }
        if self.transfer_encoding {
            return None;
        }
        match self.content_length.as_deref() {
            None => Some(0),
            Some(n) => n.trim().parse().ok(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// The reason phrase; a `101`'s usual one is not copied.
    pub reason: std::borrow::Cow<'static, str>,
    pub accept: Option<String>,
    pub protocol: Option<String>,
    pub extensions: Option<String>,
    pub upgrade: bool,
    pub connection_upgrade: bool,
    /// `Upgrade` lists `h2c`: a `101` switching to HTTP/2 (RFC 7540 §3.2).
    pub h2c: bool,
    /// The WebSocket library its `Server` header names.
    pub software: Option<crate::vocab::Software>,
    /// The proxy product its `Proxy-agent`, `Server` or `Via` names (in that order of
    /// preference; see `close::proxies`).
    pub proxy: Option<crate::vocab::ProxyProduct>,
    /// `Content-Length`, as sent (joined when repeated).
    pub content_length: Option<String>,
    /// A `Transfer-Encoding` field is present.
    pub transfer_encoding: bool,
    /// The final coding `Transfer-Encoding` lists is `chunked` (RFC 9112 §6.3 rule 4: the
    /// body is read as chunks, §7.1).
    pub chunked: bool,
    /// `Content-Type`, as sent.
    pub content_type: Option<String>,
    /// The header lines read leniently, and why (see `parse::lenient`); `None` when there were
    /// none.
    pub malformed: Option<crate::vocab::ControlBytes>,
}

/// Result of trying to parse buffered bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed<T> {
    /// The blank line has not arrived yet.
    Partial,
    /// Parsed; the headers took this many bytes.
    Done(T, usize),
    /// Not an HTTP message of the expected kind.
    Invalid,
}

/// Joins repeated headers with ", " as RFC 9110 §5.3 allows; `value` is as sent, trimmed
/// of whitespace (Unicode's, as `str::trim` does).
fn append(slot: &mut Option<String>, value: &str) {
    let v = trim(value);
    match slot {
        Some(s) => {
            s.push_str(", ");
            s.push_str(v);
        }
        None => *slot = Some(v.to_string()),
    }
}

/// `str::trim`, answered at once for a value that starts and ends with a visible ASCII
/// byte (no whitespace to trim, the usual case).
pub(crate) fn trim(value: &str) -> &str {
    let visible = |b: Option<&u8>| b.is_some_and(u8::is_ascii_graphic);
    if visible(value.as_bytes().first()) && visible(value.as_bytes().last()) {
        value
    } else {
        value.trim()
    }
}

/// The header fields the handshake reads, told by their names (case-insensitive, RFC 9110
/// §5.1): by length first, so most names are compared with one string at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Host,
    Key,
    Version,
    Http2Settings,
    ContentLength,
    TransferEncoding,
    UserAgent,
    Accept,
    Server,
    ProxyAgent,
    Via,
    XVarnish,
    ContentType,
    Protocol,
    Extensions,
    Upgrade,
    Connection,
    Cookie,
    Other,
}

impl Field {
    fn of(name: &str) -> Field {
        let n = name.as_bytes();
        let is = |s: &str| same_name(n, s.as_bytes());
        match n.len() {
            3 if is("via") => Field::Via,
            4 if is("host") => Field::Host,
            6 if is("server") => Field::Server,
            6 if is("cookie") => Field::Cookie,
            7 if is("upgrade") => Field::Upgrade,
            9 if is("x-varnish") => Field::XVarnish,
            10 if is("connection") => Field::Connection,
            10 if is("user-agent") => Field::UserAgent,
            11 if is("proxy-agent") => Field::ProxyAgent,
            12 if is("content-type") => Field::ContentType,
            14 if is("content-length") => Field::ContentLength,
            14 if is("http2-settings") => Field::Http2Settings,
            17 if is("sec-websocket-key") => Field::Key,
            17 if is("transfer-encoding") => Field::TransferEncoding,
            20 if is("sec-websocket-accept") => Field::Accept,
            21 if is("sec-websocket-version") => Field::Version,
            22 if is("sec-websocket-protocol") => Field::Protocol,
            24 if is("sec-websocket-extensions") => Field::Extensions,
            _ => Field::Other,
        }
    }
}

/// `n`, a field name as httparse read it, is `lower` (a lowercase field name: letters,
/// digits, `-`) but for the case of its letters. `a | 0x20 == b` is exact here: it
/// holds for `b` a lowercase letter only when `a` is that letter in either case, for `-`
/// and `2` only when `a` is that byte or a control byte (0x0d, 0x12), which a name httparse
/// accepts (a token, RFC 9110 §5.1) never holds. No early exit: the bytes are compared
/// together.
#[inline(always)]
fn same_name(n: &[u8], lower: &[u8]) -> bool {
    n.len() == lower.len()
        && n.iter()
            .zip(lower)
            .fold(0, |diff, (&a, &b)| diff | ((a | 0x20) ^ b))
            == 0
}

/// A head's bytes as sent, and as text when they are all UTF-8 (checked once per head,
/// not once per value).
struct Head<'a> {
    /// What httparse parsed (`sent`, or [`lenient`]'s copy of it).
    parsed: &'a [u8],
    sent: &'a [u8],
    text: Option<&'a str>,
}

impl<'a> Head<'a> {
    fn new(parsed: &'a [u8], sent: &'a [u8], n: usize) -> Head<'a> {
        let text = sent.get(..n).and_then(|h| std::str::from_utf8(h).ok());
        Head { parsed, sent, text }
    }

    /// Where `value`, a part of the parsed bytes, lies in them.
    fn range(&self, value: &[u8]) -> Option<std::ops::Range<usize>> {
        let at = (value.as_ptr() as usize).wrapping_sub(self.parsed.as_ptr() as usize);
        Some(at..at.checked_add(value.len())?)
    }

    /// `value`, a part of the parsed bytes, as `sent` holds it at the same place (the
    /// bytes [`lenient`] took as opaque, as they were sent).
    fn bytes(&self, value: &'a [u8]) -> &'a [u8] {
        self.range(value)
            .and_then(|r| self.sent.get(r))
            .unwrap_or(value)
    }

    /// `value` as sent, as text (bytes that are not UTF-8 replaced by U+FFFD).
    fn text(&self, value: &'a [u8]) -> std::borrow::Cow<'a, str> {
        match self.text.zip(self.range(value)).and_then(|(t, r)| t.get(r)) {
            Some(t) => std::borrow::Cow::Borrowed(t),
            None => String::from_utf8_lossy(self.bytes(value)),
        }
    }
}

/// Whether a head buffered in `buf`, whose last `new` bytes just came, is worth parsing
/// again: its first bytes (a stream that is not HTTP is told at once), a line that ended in
/// the new bytes (a head ends only at a line's end, and a line's verdict, done, wrong or too
/// many headers, is final there: at most `MAX_HEADERS` (64) lines and the request or status
/// line are parsed before the head is done or refused), or past [`MAX_HEADER_BYTES`].
/// Otherwise it is still partial: parsed again on every segment, a head sent one byte per
/// segment was parsed from its start 65 536 times (quadratic).
pub fn worth_parsing(buf: &[u8], new: usize) -> bool {
    let before = buf.len().saturating_sub(new);
    before == 0
        || buf.len() > MAX_HEADER_BYTES
        || buf
            .get(before..)
            .is_some_and(|b| memchr::memchr(b'\n', b).is_some())
}

#[cfg(test)]
thread_local! {
    /// Heads parsed on this thread (requests and responses), for the tests that count them.
    pub static PARSED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

pub fn parse_request(buf: &[u8]) -> Parsed<Request> {
    #[cfg(test)]
    PARSED.with(|n| n.set(n.get() + 1));
    match request_in(buf, buf) {
        Ok(parsed) => parsed,
        Err(httparse::Error::HeaderName | httparse::Error::HeaderValue) => {
            let Some((copy, why)) = lenient(buf) else {
                return Parsed::Invalid;
            };
            match request_in(&copy, buf) {
                Ok(Parsed::Done(mut r, n)) => {
                    r.malformed = Some(why);
                    Parsed::Done(r, n)
                }
                Ok(parsed) => parsed,
                Err(_) => Parsed::Invalid,
            }
        }
        Err(_) => Parsed::Invalid,
    }
}

/// Parses the request in `buf`, whose header values are read from `sent` at the same
/// offsets (`buf` itself, or [`lenient`]'s copy of it).
fn request_in(buf: &[u8], sent: &[u8]) -> Result<Parsed<Request>, httparse::Error> {
    let mut headers = [const { std::mem::MaybeUninit::uninit() }; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut []);
    match req.parse_with_uninit_headers(buf, &mut headers)? {
        httparse::Status::Partial => Ok(partial(buf)),
        httparse::Status::Complete(n) => {
            let mut r = Request {
                method: match req.method.unwrap_or_default() {
                    "GET" => std::borrow::Cow::Borrowed("GET"),
                    m => std::borrow::Cow::Owned(m.to_string()),
                },
                path: req.path.unwrap_or_default().to_string(),
                minor_version: req.version.unwrap_or(1),
                ..Request::default()
            };
            let head = Head::new(buf, sent, n);
            for h in req.headers.iter() {
                match Field::of(h.name) {
                    Field::Host => append(&mut r.host, &head.text(h.value)),
                    Field::Key => append(&mut r.key, &head.text(h.value)),
                    Field::Version => append(&mut r.version, &head.text(h.value)),
                    Field::Http2Settings => append(&mut r.http2_settings, &head.text(h.value)),
                    Field::ContentLength => append(&mut r.content_length, &head.text(h.value)),
                    Field::TransferEncoding => r.transfer_encoding = true,
                    Field::UserAgent => {
                        if r.software.is_none() {
                            r.software = Software::of(head.bytes(h.value));
                        }
                    }
                    Field::Protocol => append(&mut r.protocols, &head.text(h.value)),
                    Field::Extensions => append(&mut r.extensions, &head.text(h.value)),
                    Field::Upgrade => {
                        let (websocket, h2c) = upgrade_tokens(head.bytes(h.value));
                        r.upgrade |= websocket;
                        r.h2c |= h2c;
                    }
                    Field::Connection => {
                        r.connection_upgrade |= has_token(head.bytes(h.value), "upgrade")
                    }
                    Field::XVarnish => {
                        proxy_product(&mut r.proxy, Header::XVarnish, head.bytes(h.value))
                    }
                    Field::Cookie => {
                        r.cookie = fold_hash(r.cookie, trim(&head.text(h.value)).as_bytes())
                    }
                    Field::Accept
                    | Field::Server
                    | Field::ProxyAgent
                    | Field::Via
                    | Field::ContentType
                    | Field::Other => {}
                }
            }
            Ok(Parsed::Done(r, n))
        }
    }
}

impl Request {
    /// What is wrong with this upgrade request by RFC 6455 §4.1 (empty when nothing is).
    pub fn problems(&self) -> Vec<HandshakeProblem> {
        let mut p = Vec::new();
        if self.minor_version < 1 {
            p.push(HandshakeProblem::Http10);
        }
        if !self.connection_upgrade {
            p.push(HandshakeProblem::RequestConnection);
        }
        match self.key.as_deref().map(trim) {
            None => p.push(HandshakeProblem::KeyMissing),
            Some(k) if !key_is_16_bytes(k) => p.push(HandshakeProblem::KeyNot16(k.to_string())),
            _ => {}
        }
        match self.version.as_deref().map(trim) {
            None => p.push(HandshakeProblem::VersionMissing),
            Some("13") => {}
            Some(v) => p.push(HandshakeProblem::Version(v.to_string())),
        }
        p
    }
}

impl Response {
    /// A `101` switching to HTTP/2 over cleartext (`Upgrade: h2c`, RFC 7540 §3.2), not to
    /// a WebSocket.
    pub fn switches_to_h2c(&self) -> bool {
        self.status == 101 && self.h2c && !self.upgrade
    }

    /// What is wrong with a 101 response by RFC 6455 §4.2.2 / §4.1 (the accept value is
    /// checked separately, against the key).
    pub fn problems(&self) -> Vec<HandshakeProblem> {
        let mut p = Vec::new();
        if !self.upgrade {
            p.push(HandshakeProblem::ResponseUpgrade);
        }
        if !self.connection_upgrade {
            p.push(HandshakeProblem::ResponseConnection);
        }
        if self.accept.is_none() {
            p.push(HandshakeProblem::NoAccept);
        }
        p
    }
}

/// `k` is 16 bytes in base64 (RFC 4648 §4, padded, as RFC 6455 §4.1 wants a key): decoded
/// onto the stack, not the heap (a longer key does not fit the 18 bytes and is not 16).
fn key_is_16_bytes(k: &str) -> bool {
    let mut out = [0u8; 18];
    base64::engine::general_purpose::STANDARD.decode_slice(k, &mut out) == Ok(16)
}

pub fn parse_response(buf: &[u8]) -> Parsed<Response> {
    #[cfg(test)]
    PARSED.with(|n| n.set(n.get() + 1));
    match response_in(buf, buf) {
        Ok(parsed) => parsed,
        Err(httparse::Error::HeaderName | httparse::Error::HeaderValue) => {
            let Some((copy, why)) = lenient(buf) else {
                return Parsed::Invalid;
            };
            match response_in(&copy, buf) {
                Ok(Parsed::Done(mut r, n)) => {
                    r.malformed = Some(why);
                    Parsed::Done(r, n)
                }
                Ok(parsed) => parsed,
                Err(_) => Parsed::Invalid,
            }
        }
        Err(_) => Parsed::Invalid,
    }
}

/// Parses the response in `buf`, whose header values are read from `sent` at the same
/// offsets (`buf` itself, or [`lenient`]'s copy of it).
fn response_in(buf: &[u8], sent: &[u8]) -> Result<Parsed<Response>, httparse::Error> {
    let mut headers = [const { std::mem::MaybeUninit::uninit() }; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut []);
    match httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut resp,
        buf,
        &mut headers,
    )? {
        httparse::Status::Partial => Ok(partial(buf)),
        httparse::Status::Complete(n) => {
            let mut r = Response {
                status: resp.code.unwrap_or(0),
                reason: match resp.reason.unwrap_or_default() {
                    "Switching Protocols" => std::borrow::Cow::Borrowed("Switching Protocols"),
                    r => std::borrow::Cow::Owned(bounded(r, MAX_REASON)),
                },
                ..Response::default()
            };
            let head = Head::new(buf, sent, n);
            for h in resp.headers.iter() {
                match Field::of(h.name) {
                    Field::Accept => append(&mut r.accept, &head.text(h.value)),
                    Field::Server => {
                        if r.software.is_none() {
                            r.software = Software::of(head.bytes(h.value));
                        }
                        proxy_product(&mut r.proxy, Header::Server, head.bytes(h.value));
                    }
                    Field::ProxyAgent => {
                        proxy_product(&mut r.proxy, Header::ProxyAgent, head.bytes(h.value))
                    }
                    Field::Via => proxy_product(&mut r.proxy, Header::Via, head.bytes(h.value)),
                    Field::ContentLength => append(&mut r.content_length, &head.text(h.value)),
                    Field::TransferEncoding => {
                        r.transfer_encoding = true;
                        if let Some(last) = last_coding(head.bytes(h.value)) {
                            r.chunked = last.eq_ignore_ascii_case(b"chunked");
                        }
                    }
                    Field::ContentType => append(&mut r.content_type, &head.text(h.value)),
                    Field::Protocol => append(&mut r.protocol, &head.text(h.value)),
                    Field::Extensions => append(&mut r.extensions, &head.text(h.value)),
                    Field::Upgrade => {
                        let (websocket, h2c) = upgrade_tokens(head.bytes(h.value));
                        r.upgrade |= websocket;
                        r.h2c |= h2c;
                    }
                    Field::Connection => {
                        r.connection_upgrade |= has_token(head.bytes(h.value), "upgrade")
                    }
                    Field::Host
                    | Field::Key
                    | Field::Version
                    | Field::Http2Settings
                    | Field::UserAgent
                    | Field::XVarnish
                    | Field::Cookie
                    | Field::Other => {}
                }
            }
            Ok(Parsed::Done(r, n))
        }
    }
}

/// Keeps in `slot` the proxy product `value` (of `header`) names, unless a header that
/// names one better is there already: `Proxy-agent` before `Server` before `X-Varnish`
/// before `Via`, the first of each.
fn proxy_product(slot: &mut Option<ProxyProduct>, header: Header, value: &[u8]) {
    let rank = |h: Header| match h {
        Header::ProxyAgent => 0,
        Header::Server => 1,
        Header::XVarnish => 2,
        Header::Via => 3,
    };
    if slot
        .as_ref()
        .is_some_and(|p| rank(p.header) <= rank(header))
    {
        return;
    }
    if let Some(p) = ProxyProduct::of(header, value) {
        *slot = Some(p);
    }
}

/// `text` cut at `max` bytes (at a character boundary), with `…` when something was left.
fn bounded(text: &str, max: usize) -> String {
    let kept = crate::sanitize::cut(text, max);
    if kept.len() < text.len() {
        format!("{kept}…")
    } else {
        kept.to_string()
    }
}

/// The last coding a `Transfer-Encoding` value lists (its parameters left out), or `None`
/// when the list is empty (RFC 9110 §5.6.1: empty elements do not count).
fn last_coding(value: &[u8]) -> Option<&[u8]> {
    value
        .split(|&b| b == b',')
        .map(|c| {
            let c = c.split(|&b| b == b';').next().unwrap_or_default();
            c.trim_ascii()
        })
        .rfind(|c| !c.is_empty())
}

/// Headers not finished yet: wait for more, unless they are already too long to be real.
fn partial<T>(buf: &[u8]) -> Parsed<T> {
    if buf.len() > MAX_HEADER_BYTES {
        Parsed::Invalid
    } else {
        Parsed::Partial
    }
}

/// The SETTINGS payload an `HTTP2-Settings` field carries (base64url, RFC 7540 §3.2.1;
/// padding tolerated), if it decodes.
pub fn http2_settings_payload(value: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value.trim().trim_end_matches('='))
        .ok()
}

/// An `Upgrade` field's tokens (comma-separated, case-insensitive): whether it lists
/// `websocket`, and whether it lists `h2c` (HTTP/2 over cleartext TCP, RFC 7540 §3.2).
fn upgrade_tokens(value: &[u8]) -> (bool, bool) {
    // Most often the list is `websocket` alone.
    if value.trim_ascii().eq_ignore_ascii_case(b"websocket") {
        return (true, false);
    }
    let (mut websocket, mut h2c) = (false, false);
    for t in value.split(|&b| b == b',') {
        let t = t.trim_ascii();
        websocket |= t.eq_ignore_ascii_case(b"websocket");
        h2c |= t.eq_ignore_ascii_case(b"h2c");
    }
    (websocket, h2c)
}

/// Comma-separated token list contains `token` (case-insensitive).
fn has_token(value: &[u8], token: &str) -> bool {
    // Most often the list is that one token.
    value.trim_ascii().eq_ignore_ascii_case(token.as_bytes())
        || value
            .split(|&b| b == b',')
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// Does the extension list name permessage-deflate (RFC 7692 §7)?
pub fn has_permessage_deflate(extensions: Option<&str>) -> bool {
    extensions.is_some_and(|e| {
        e.split(',').any(|ext| {
            ext.split(';')
                .next()
                .is_some_and(|name| name.trim().eq_ignore_ascii_case("permessage-deflate"))
        })
    })
}

#[cfg(test)]
mod tests;
