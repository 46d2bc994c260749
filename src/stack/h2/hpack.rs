//! HPACK header block decoding (RFC 7541) for one direction of an HTTP/2 connection.
//!
//! In: whole header blocks (a HEADERS or PUSH_PROMISE fragment with its CONTINUATION
//! fragments, RFC 9113 §4.3), in the order the sender wrote them. Out: a [`Head`] with the
//! fields this crate reads (the pseudo-header fields of RFC 9113 §8.3 and the
//! `sec-websocket-*` fields of RFC 8441 §5 / RFC 6455 §11.3), or an [`HpackError`].
//!
//! One [`BlockDecoder`] per direction holds that direction's dynamic table (RFC 7541
//! §2.3.2, §4), so every block of the direction must go through it, in order, whatever
//! stream it belongs to; after an error the table is out of step with the sender's and the
//! decoder must not be used again (the caller keeps it "lost"). The dynamic table may be
//! resized (RFC 7541 §6.3) up to the receiver's SETTINGS_HEADER_TABLE_SIZE (RFC 9113
//! §6.5.2), never over [`MAX_TABLE_SIZE`].
//!
//! Written here rather than taken from a crate: `loona-hpack` 0.4 (used until this) builds
//! its Huffman table anew for every Huffman-coded string, tens of microseconds each, so a
//! hostile capture of small strings read at well under 1 MB/s; `httlib-hpack` panics on
//! malformed blocks; `hpack_codec` caps the table at 65 535 bytes (Chrome allows 65 536);
//! `h2` keeps its HPACK private. The tests hold this decoder to `loona-hpack` (a
//! dev-dependency) on RFC 7541's examples and on blocks it encodes. Cost: a few operations
//! per Huffman bit (`huffman`), one allocation per dynamic table entry.

use super::huffman;
use crate::vocab::{Header, HpackProblem, ProxyProduct};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;

/// The dynamic table size every decoder starts with (RFC 9113 §6.5.2 default).
pub const DEFAULT_TABLE_SIZE: usize = 4096;
/// The largest dynamic table this reader keeps, whatever the receiver allowed.
pub const MAX_TABLE_SIZE: usize = 1 << 20;
/// The longest value kept of a field this reader reports; longer ones are cut at a
/// character boundary.
pub const MAX_FIELD_LEN: usize = 4096;
/// The fields of one header block that matter here. Repeated `sec-websocket-protocol` and
/// `sec-websocket-extensions` fields are joined with `", "` (RFC 9110 §5.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Head {
    pub method: Option<String>,
    /// `:protocol` (RFC 8441 §4).
    pub protocol: Option<String>,
    pub scheme: Option<String>,
    pub authority: Option<String>,
    pub path: Option<String>,
    /// `:status` as sent.
    pub status: Option<String>,
    pub ws_version: Option<String>,
    pub ws_protocols: Option<String>,
    pub ws_extensions: Option<String>,
    /// The WebSocket library a `user-agent` or `server` field names.
    pub software: Option<crate::vocab::Software>,
    /// The proxy product a `server` or `via` field names (`server` first), as an HTTP/1.1
    /// answer's (RFC 9110 §10.2.4, §7.6.3; RFC 9113 §8.2 lowercases the names).
    pub proxy: Option<crate::vocab::ProxyProduct>,
    /// Fields in the block, pseudo or not.
    pub fields: usize,
}

impl Head {
    /// A request: it has a request pseudo-header field (RFC 9113 §8.3.1).
    pub fn is_request(&self) -> bool {
        self.method.is_some()
            || self.protocol.is_some()
            || self.scheme.is_some()
            || self.authority.is_some()
            || self.path.is_some()
    }

    /// A response: it has `:status` (RFC 9113 §8.3.2).
    pub fn is_response(&self) -> bool {
        self.status.is_some()
    }

    /// `:status` as a number, `None` if absent or not three digits.
    pub fn status_code(&self) -> Option<u16> {
        let s = self.status.as_deref()?;
        if s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    }
}

/// Why a header block could not be decoded: a value, worded in `report/words/h2.rs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HpackError(pub HpackProblem);

impl fmt::Display for HpackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::report::words::h2::hpack_problem(self.0))
    }
}

impl std::error::Error for HpackError {}

/// The static table (RFC 7541 Appendix A): index 1 to 61, name and value.
#[rustfmt::skip]
const STATIC: [(&[u8], &[u8]); 61] = [
    (b":authority", b""), (b":method", b"GET"), (b":method", b"POST"), (b":path", b"/"),
    (b":path", b"/index.html"), (b":scheme", b"http"), (b":scheme", b"https"),
    (b":status", b"200"), (b":status", b"204"), (b":status", b"206"), (b":status", b"304"),
    (b":status", b"400"), (b":status", b"404"), (b":status", b"500"),
    (b"accept-charset", b""), (b"accept-encoding", b"gzip, deflate"),
    (b"accept-language", b""), (b"accept-ranges", b""), (b"accept", b""),
    (b"access-control-allow-origin", b""), (b"age", b""), (b"allow", b""),
    (b"authorization", b""), (b"cache-control", b""), (b"content-disposition", b""),
    (b"content-encoding", b""), (b"content-language", b""), (b"content-length", b""),
    (b"content-location", b""), (b"content-range", b""), (b"content-type", b""),
    (b"cookie", b""), (b"date", b""), (b"etag", b""), (b"expect", b""), (b"expires", b""),
    (b"from", b""), (b"host", b""), (b"if-match", b""), (b"if-modified-since", b""),
    (b"if-none-match", b""), (b"if-range", b""), (b"if-unmodified-since", b""),
    (b"last-modified", b""), (b"link", b""), (b"location", b""), (b"max-forwards", b""),
    (b"proxy-authenticate", b""), (b"proxy-authorization", b""), (b"range", b""),
    (b"referer", b""), (b"refresh", b""), (b"retry-after", b""), (b"server", b""),
    (b"set-cookie", b""), (b"strict-transport-security", b""), (b"transfer-encoding", b""),
    (b"user-agent", b""), (b"vary", b""), (b"via", b""), (b"www-authenticate", b""),
];

/// What every dynamic table entry costs beyond its name and value (RFC 7541 §4.1).
const ENTRY_OVERHEAD: usize = 32;

/// A dynamic table entry: name and value.
type Entry = (Box<[u8]>, Box<[u8]>);

/// One direction's dynamic table (RFC 7541 §2.3.2, §4): newest entry first.
#[derive(Debug, Default)]
struct DynamicTable {
    entries: VecDeque<Entry>,
    /// The sum of the entries' sizes (§4.1).
    size: usize,
    /// The table's maximum size, as the last size update (or the start) set it.
    max: usize,
}

impl DynamicTable {
    /// Index 1.. of the static table then this table (§2.3.3).
    fn get(&self, index: usize) -> Option<(&[u8], &[u8])> {
        match index {
            0 => None,
            1..=61 => STATIC.get(index - 1).copied(),
            _ => self.entries.get(index - 62).map(|(n, v)| (&n[..], &v[..])),
        }
    }

    fn evict_to(&mut self, room: usize) {
        while self.size > room {
            let Some((n, v)) = self.entries.pop_back() else {
                break;
            };
            self.size -= n.len() + v.len() + ENTRY_OVERHEAD;
        }
    }

    fn set_max(&mut self, max: usize) {
        self.max = max;
        self.evict_to(max);
    }

    /// §4.4: older entries are evicted to make room; an entry larger than the table empties
    /// it and is not added.
    fn insert(&mut self, name: Box<[u8]>, value: Box<[u8]>) {
        let size = name.len() + value.len() + ENTRY_OVERHEAD;
        if size > self.max {
            self.evict_to(0);
            return;
        }
        self.evict_to(self.max - size);
        self.size += size;
        self.entries.push_front((name, value));
    }
}

/// One direction's HPACK decoder: its dynamic table and the largest size the receiver
/// allows it.
#[derive(Debug)]
pub struct BlockDecoder {
    table: DynamicTable,
    allowed: usize,
}

impl Default for BlockDecoder {
    fn default() -> Self {
        BlockDecoder::new()
    }
}

/// An RFC 7541 §5.1 integer with an `n`-bit prefix at the start of `b`, and the bytes it
/// took. Values that do not fit 32 bits are errors (nothing in a block this reader keeps
/// can be that large).
fn integer(b: &[u8], n: u32) -> Result<(usize, usize), HpackError> {
    let max = (1u64 << n) - 1;
    let first = u64::from(
        *b.first()
            .ok_or(HpackError(HpackProblem::EndsInsideInteger))?,
    ) & max;
    if first < max {
        return Ok((first as usize, 1));
    }
    let mut value = max;
    let mut shift = 0;
    for (i, &byte) in b.iter().enumerate().skip(1) {
        value += u64::from(byte & 0x7f) << shift;
        if value > u64::from(u32::MAX) || shift > 28 {
            return Err(HpackError(HpackProblem::IntegerTooLarge));
        }
        if byte & 0x80 == 0 {
            return Ok((value as usize, i + 1));
        }
        shift += 7;
    }
    Err(HpackError(HpackProblem::EndsInsideInteger))
}

/// A string literal (§5.2) at the start of `b`: its octets (Huffman-decoded if its H bit
/// is set) and the bytes it took.
fn string(b: &[u8]) -> Result<(Cow<'_, [u8]>, usize), HpackError> {
    let huffman = b.first().is_some_and(|f| f & 0x80 != 0);
    let (len, used) = integer(b, 7)?;
    let raw = used
        .checked_add(len)
        .and_then(|end| b.get(used..end))
        .ok_or(HpackError(HpackProblem::EndsInsideString))?;
    if !huffman {
        return Ok((Cow::Borrowed(raw), used + len));
    }
    let mut out = Vec::new();
    huffman::decode(raw, &mut out).map_err(|e| {
        HpackError(match e {
            huffman::HuffmanError::Eos => HpackProblem::HuffmanEos,
            huffman::HuffmanError::Padding => HpackProblem::HuffmanPadding,
        })
    })?;
    Ok((Cow::Owned(out), used + len))
}

impl BlockDecoder {
    pub fn new() -> BlockDecoder {
        BlockDecoder {
            table: DynamicTable {
                max: DEFAULT_TABLE_SIZE,
                ..DynamicTable::default()
            },
            allowed: DEFAULT_TABLE_SIZE,
        }
    }

    /// The receiver announced SETTINGS_HEADER_TABLE_SIZE = `size`. The sender may resize
    /// its table up to it once it has seen the SETTINGS; a reader of a capture cannot tell
    /// exactly when, so the largest size announced so far is allowed (capped at
    /// [`MAX_TABLE_SIZE`]). A smaller one is enforced by the sender itself (RFC 7541 §4.2).
    pub fn allow_table_size(&mut self, size: u32) {
        let size = (size as usize).min(MAX_TABLE_SIZE);
        if size > self.allowed {
            self.allowed = size;
        }
    }

    /// The largest dynamic table size the sender may set now.
    pub fn allowed_table_size(&self) -> usize {
        self.allowed
    }

    /// Decode one whole header block (RFC 7541 §3, §6), updating the dynamic table. After an
    /// error the table may hold part of the block's insertions: the caller must not use
    /// this decoder again.
    pub fn decode(&mut self, block: &[u8]) -> Result<Head, HpackError> {
        let mut head = Head::default();
        self.decode_fields(block, |name, value| take_field(&mut head, name, value))?;
        Ok(head)
    }

    /// [`BlockDecoder::decode`], handing every field to `f` in order; `Head::fields` counts
    /// them.
    fn decode_fields(
        &mut self,
        block: &[u8],
        mut f: impl FnMut(&[u8], Cow<'_, [u8]>),
    ) -> Result<(), HpackError> {
        let mut b = block;
        let mut fields_seen = false;
        while let Some(&first) = b.first() {
            let used = match first {
                // §6.1 Indexed Header Field.
                0x80..=0xff => {
                    let (index, used) = integer(b, 7)?;
                    let (name, value) =
                        self.table.get(index).ok_or_else(|| self.no_entry(index))?;
                    f(name, Cow::Borrowed(value));
                    used
                }
                // §6.3 Dynamic Table Size Update: only before the first field (§4.2).
                0x20..=0x3f => {
                    if fields_seen {
                        return Err(HpackError(HpackProblem::SizeUpdateAfterField));
                    }
                    let (size, used) = integer(b, 5)?;
                    if size > self.allowed {
                        return Err(HpackError(HpackProblem::SizeUpdateOverLimit {
                            size: size as u64,
                            allowed: self.allowed as u64,
                        }));
                    }
                    self.table.set_max(size);
                    b = b.get(used..).unwrap_or_default();
                    continue;
                }
                // §6.2.1 with incremental indexing (6-bit index), §6.2.2 without indexing
                // and §6.2.3 never indexed (4-bit index).
                _ => {
                    let indexing = first & 0x40 != 0;
                    let (index, mut used) = integer(b, if indexing { 6 } else { 4 })?;
                    let name: Cow<'_, [u8]> = if index == 0 {
                        let (name, n) = string(b.get(used..).unwrap_or_default())?;
                        used += n;
                        name
                    } else {
                        let (name, _) =
                            self.table.get(index).ok_or_else(|| self.no_entry(index))?;
                        Cow::Borrowed(name)
                    };
                    let (value, n) = string(b.get(used..).unwrap_or_default())?;
                    used += n;
                    if indexing {
                        // The entry owns its copy; a name borrowed from the table is
                        // copied before the table changes.
                        let (name, value) = (name.into_owned(), value.into_owned());
                        f(&name, Cow::Borrowed(&value));
                        self.table.insert(name.into(), value.into());
                    } else {
                        f(&name, value);
                    }
                    used
                }
            };
            fields_seen = true;
            b = b.get(used..).unwrap_or_default();
        }
        Ok(())
    }

    fn no_entry(&self, index: usize) -> HpackError {
        HpackError(HpackProblem::NoEntry {
            index: index as u64,
            dynamic: self.table.entries.len() as u64,
        })
    }
}

/// Keep `value` in `slot` (the first one sent wins for single-valued fields).
fn set(slot: &mut Option<String>, value: Cow<'_, [u8]>) {
    if slot.is_none() {
        *slot = Some(text(&value));
    }
}

/// Join a repeated list field.
fn join(slot: &mut Option<String>, value: Cow<'_, [u8]>) {
    match slot {
        None => *slot = Some(text(&value)),
        Some(s) if s.len() < MAX_FIELD_LEN => {
            s.push_str(", ");
            s.push_str(&text(&value));
            cut(s);
        }
        Some(_) => {}
    }
}

fn text(value: &[u8]) -> String {
    let mut s = String::from_utf8_lossy(value).into_owned();
    cut(&mut s);
    s
}

fn cut(s: &mut String) {
    let end = crate::sanitize::cut(s, MAX_FIELD_LEN).len();
    s.truncate(end);
}

/// Keep a field this reader reports; other fields (and unknown pseudo-header fields, which
/// make a message malformed but leave the table in step) are only counted.
fn take_field(head: &mut Head, name: &[u8], value: Cow<'_, [u8]>) {
    head.fields = head.fields.saturating_add(1);
    match name {
        b":method" => set(&mut head.method, value),
        b":protocol" => set(&mut head.protocol, value),
        b":scheme" => set(&mut head.scheme, value),
        b":authority" => set(&mut head.authority, value),
        b":path" => set(&mut head.path, value),
        b":status" => set(&mut head.status, value),
        _ if name.eq_ignore_ascii_case(b"sec-websocket-version") => {
            set(&mut head.ws_version, value)
        }
        _ if name.eq_ignore_ascii_case(b"sec-websocket-protocol") => {
            join(&mut head.ws_protocols, value)
        }
        _ if name.eq_ignore_ascii_case(b"sec-websocket-extensions") => {
            join(&mut head.ws_extensions, value)
        }
        _ if name.eq_ignore_ascii_case(b"server") => {
            if head.software.is_none() {
                head.software = crate::vocab::Software::of(&value);
            }
            let named = head
                .proxy
                .as_ref()
                .is_some_and(|p| p.header == Header::Server);
            if !named {
                if let Some(p) = ProxyProduct::of(Header::Server, &value) {
                    head.proxy = Some(p);
                }
            }
        }
        _ if head.software.is_none() && name.eq_ignore_ascii_case(b"user-agent") => {
            head.software = crate::vocab::Software::of(&value);
        }
        _ if head.proxy.is_none() && name.eq_ignore_ascii_case(b"via") => {
            head.proxy = ProxyProduct::of(Header::Via, &value);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answer's `server` names the proxy product as an HTTP/1.1 answer's does (`via`
    /// when it names none), the library it names is kept beside it, and a value that
    /// names no product names none (RFC 9113 §8.2: lowercase names).
    #[test]
    fn server_and_via_name_a_proxy_product() {
        let head = |fields: &[(&str, &str)]| {
            let mut enc = loona_hpack::Encoder::new();
            let block = enc.encode(fields.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())));
            BlockDecoder::new().decode(&block).unwrap()
        };
        let h = head(&[(":status", "200"), ("server", "Apache/2.4.71 (Debian)")]);
        assert_eq!(
            h.proxy.map(|p| p.to_string()).as_deref(),
            Some("Apache httpd 2.4.71")
        );
        let h = head(&[
            (":status", "200"),
            ("via", "2 proxy (squid/5.7)"),
            ("server", "envoy"),
        ]);
        let p = h.proxy.unwrap();
        assert_eq!(
            (p.to_string().as_str(), p.header),
            ("Envoy", Header::Server)
        );
        let h = head(&[(":status", "200"), ("via", "2 proxy (squid/5.7)")]);
        assert_eq!(h.proxy.unwrap().header, Header::Via);
        let h = head(&[
            (":status", "200"),
            ("server", "Python/3.11 websockets/17.4"),
        ]);
        assert!(h.proxy.is_none());
        assert!(h.software.is_some());
    }

    /// RFC 7541 Appendix C.3: three requests without Huffman coding, sharing a table.
    #[test]
    fn rfc7541_c3_requests_share_the_dynamic_table() {
        let mut d = BlockDecoder::new();
        let c31 =
            b"\x82\x86\x84\x41\x0f\x77\x77\x77\x2e\x65\x78\x61\x6d\x70\x6c\x65\x2e\x63\x6f\x6d";
        let h = d.decode(c31).unwrap();
        assert_eq!(h.method.as_deref(), Some("GET"));
        assert_eq!(h.scheme.as_deref(), Some("http"));
        assert_eq!(h.path.as_deref(), Some("/"));
        assert_eq!(h.authority.as_deref(), Some("www.example.com"));
        // C.3.2 uses the entry C.3.1 added (index 62).
        let c32 = b"\x82\x86\x84\xbe\x58\x08\x6e\x6f\x2d\x63\x61\x63\x68\x65";
        let h = d.decode(c32).unwrap();
        assert_eq!(h.authority.as_deref(), Some("www.example.com"));
        assert_eq!(h.fields, 5);
        // A fresh decoder does not have that entry: an error, never a guess.
        let mut fresh = BlockDecoder::new();
        assert!(fresh.decode(c32).is_err());
    }

    /// RFC 7541 Appendix C.4.1: the same request with Huffman coding.
    #[test]
    fn rfc7541_c4_huffman() {
        let mut d = BlockDecoder::new();
        let c41 = b"\x82\x86\x84\x41\x8c\xf1\xe3\xc2\xe5\xf2\x3a\x6b\xa0\xab\x90\xf4\xff";
        let h = d.decode(c41).unwrap();
        assert_eq!(h.authority.as_deref(), Some("www.example.com"));
        // C.4.2: the authority from the table (62), a Huffman-coded cache-control.
        let mut fields = Vec::new();
        let c42 = b"\x82\x86\x84\xbe\x58\x86\xa8\xeb\x10\x64\x9c\xbf";
        d.decode_fields(c42, |n, v| fields.push((n.to_vec(), v.into_owned())))
            .unwrap();
        assert_eq!(
            fields[3],
            (b":authority".to_vec(), b"www.example.com".to_vec())
        );
        assert_eq!(fields[4], (b"cache-control".to_vec(), b"no-cache".to_vec()));
        // C.4.3: a new Huffman-coded name and value; the table then holds three entries
        // (C.4 ends with 164 bytes in it).
        fields.clear();
        let c43 = b"\x82\x87\x85\xbf\x40\x88\x25\xa8\x49\xe9\x5b\xa9\x7d\x7f\x89\x25\xa8\x49\xe9\x5b\xb8\xe8\xb4\xbf";
        d.decode_fields(c43, |n, v| fields.push((n.to_vec(), v.into_owned())))
            .unwrap();
        assert_eq!(
            fields[4],
            (b"custom-key".to_vec(), b"custom-value".to_vec())
        );
        assert_eq!((d.table.entries.len(), d.table.size), (3, 164));
    }

    #[test]
    fn websocket_fields_and_classification() {
        let mut enc = loona_hpack::Encoder::new();
        let block = enc.encode([
            (&b":method"[..], &b"CONNECT"[..]),
            (b":protocol", b"websocket"),
            (b":scheme", b"https"),
            (b":path", b"/chat"),
            (b":authority", b"example.org"),
            (b"sec-websocket-protocol", b"chat"),
            (b"sec-websocket-protocol", b"superchat"),
            (b"sec-websocket-extensions", b"permessage-deflate"),
            (b"sec-websocket-version", b"13"),
        ]);
        let mut d = BlockDecoder::new();
        let h = d.decode(&block).unwrap();
        assert!(h.is_request() && !h.is_response());
        assert_eq!(h.method.as_deref(), Some("CONNECT"));
        assert_eq!(h.protocol.as_deref(), Some("websocket"));
        assert_eq!(h.ws_protocols.as_deref(), Some("chat, superchat"));
        assert_eq!(h.ws_extensions.as_deref(), Some("permessage-deflate"));
        assert_eq!(h.ws_version.as_deref(), Some("13"));
        assert_eq!(h.software, None);
        let resp = enc.encode([
            (&b":status"[..], &b"200"[..]),
            (b"server", b"Python/3.11 websockets/17.4"),
        ]);
        let r = d.decode(&resp).unwrap();
        assert!(r.is_response() && !r.is_request());
        assert_eq!(r.status_code(), Some(200));
        assert_eq!(
            r.software.map(|s| s.to_string()).as_deref(),
            Some("Python websockets 17.4")
        );
        let trailers = enc.encode([(&b"grpc-status"[..], &b"0"[..])]);
        let t = d.decode(&trailers).unwrap();
        assert!(!t.is_request() && !t.is_response());
    }

    #[test]
    fn table_size_update_over_the_allowed_size_fails() {
        // 0x3f 0xe1 0x1f: size update to 31 + 0xe1 & 0x7f + (0x1f << 7) = 4096.
        let mut d = BlockDecoder::new();
        assert!(d.decode(b"\x3f\xe1\x1f\x82").is_ok());
        // 8192: 31 + 8161 = 0x3f, 0xe1 | 0x80 ... encode by the crate's integer encoder.
        let mut upd = loona_hpack::encoder::encode_integer(8192, 5);
        upd[0] |= 0x20;
        upd.push(0x82);
        let mut d = BlockDecoder::new();
        assert!(d.decode(&upd).is_err());
        let mut d = BlockDecoder::new();
        d.allow_table_size(65536);
        assert!(d.decode(&upd).is_ok());
        d.allow_table_size(u32::MAX);
        assert_eq!(d.allowed_table_size(), MAX_TABLE_SIZE);
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x9e37_79b9u32;
        for n in 0..5_000 {
            let mut block = Vec::new();
            for _ in 0..(n % 40) {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                block.push(seed as u8);
            }
            let _ = BlockDecoder::new().decode(&block);
        }
        // Truncated integers and strings.
        for b in [
            &b"\x7f"[..],
            b"\x7f\x80",
            b"\x40\x85ab",
            b"\xff\xff\xff\xff\xff\xff",
        ] {
            assert!(BlockDecoder::new().decode(b).is_err(), "{b:02x?}");
        }
    }

    type Fields = Vec<(Vec<u8>, Vec<u8>)>;

    /// Every field of `block`, by this decoder and by `loona-hpack` (each with its own
    /// table), or the error each gave.
    fn both(
        ours: &mut BlockDecoder,
        theirs: &mut loona_hpack::Decoder<'_>,
        block: &[u8],
    ) -> (Result<Fields, HpackError>, Option<Fields>) {
        let mut a = Vec::new();
        let ra = ours
            .decode_fields(block, |n, v| a.push((n.to_vec(), v.into_owned())))
            .map(|()| a);
        let mut b = Vec::new();
        let rb = theirs
            .decode_with_cb(block, |n, v| b.push((n.into_owned(), v.into_owned())))
            .ok()
            .map(|()| b);
        (ra, rb)
    }

    /// The static table: every index gives `loona-hpack`'s field.
    #[test]
    fn static_table_matches_loona_hpack() {
        for i in 1..=61u8 {
            let block = [0x80 | i];
            let (ours, theirs) = both(
                &mut BlockDecoder::new(),
                &mut loona_hpack::Decoder::new(),
                &block,
            );
            assert_eq!(ours.unwrap(), theirs.unwrap(), "index {i}");
        }
        let (ours, _) = both(
            &mut BlockDecoder::new(),
            &mut loona_hpack::Decoder::new(),
            &[0x80 | 62],
        );
        assert_eq!(
            ours.unwrap_err().0,
            HpackProblem::NoEntry {
                index: 62,
                dynamic: 0
            }
        );
    }

    /// Blocks `loona-hpack` encodes (with incremental indexing, so the dynamic table
    /// fills, evicts and is shared across blocks), with some values Huffman-coded by hand
    /// and the table resized now and then: this decoder gives the same fields as
    /// `loona-hpack`'s, block after block.
    #[test]
    fn encoded_blocks_decode_like_loona_hpack() {
        let mut seed = 0x1234_5678u32;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let names = [
            ":path",
            ":authority",
            "sec-websocket-protocol",
            "x-a",
            "cookie",
        ];
        let mut enc = loona_hpack::Encoder::new();
        let mut ours = BlockDecoder::new();
        let mut theirs = loona_hpack::Decoder::new();
        ours.allow_table_size(8192);
        theirs.set_max_allowed_table_size(8192);
        for round in 0..2_000 {
            let fields: Vec<(Vec<u8>, Vec<u8>)> = (0..(next() % 12))
                .map(|_| {
                    let name = names[(next() % 5) as usize].as_bytes().to_vec();
                    let len = (next() % 300) as usize;
                    let value = (0..len).map(|_| b'a' + (next() % 26) as u8).collect();
                    (name, value)
                })
                .collect();
            let mut block = enc.encode(fields.iter().map(|(n, v)| (&n[..], &v[..])));
            if round % 7 == 0 {
                // A new-name literal without indexing, its value Huffman-coded.
                let value: Vec<u8> = (0..(next() % 40)).map(|_| next() as u8).collect();
                let coded = huffman::tests::encode(&value);
                let mut len = loona_hpack::encoder::encode_integer(coded.len(), 7);
                len[0] |= 0x80;
                block.extend_from_slice(&[0x00, 0x03]);
                block.extend_from_slice(b"x-h");
                block.extend_from_slice(&len);
                block.extend_from_slice(&coded);
            }
            let (a, b) = both(&mut ours, &mut theirs, &block);
            assert_eq!(a.unwrap(), b.unwrap(), "round {round}");
        }
        // A size update shrinking the table evicts the same entries on both.
        let last = enc.encode([(&b"x-last"[..], &b"1"[..])]);
        let (a, b) = both(&mut ours, &mut theirs, &last);
        assert_eq!(a.unwrap(), b.unwrap());
        let mut upd = loona_hpack::encoder::encode_integer(64, 5);
        upd[0] |= 0x20;
        upd.push(0x80 | 62);
        let (a, b) = both(&mut ours, &mut theirs, &upd);
        assert_eq!(a.unwrap(), b.unwrap());
        assert_eq!(ours.table.entries.len(), 1);
    }

    /// Random bytes: never a panic, and whenever both decoders read a block they read the
    /// same fields; this one also reads a block of size updates alone, which
    /// `loona-hpack` refuses.
    #[test]
    fn garbage_decodes_like_loona_hpack_or_fails() {
        let mut seed = 0x9e37_79b9u32;
        let mut agreed = 0;
        for n in 0..30_000 {
            let mut block = Vec::new();
            for _ in 0..(n % 48) {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                block.push(seed as u8);
            }
            let (a, b) = both(
                &mut BlockDecoder::new(),
                &mut loona_hpack::Decoder::new(),
                &block,
            );
            if let (Ok(a), Some(b)) = (&a, &b) {
                assert_eq!(a, b, "{block:02x?}");
                agreed += 1;
            }
            if let (Ok(a), None) = (&a, &b) {
                // `loona-hpack` refuses a block that ends with a size update.
                assert!(
                    a.is_empty() && block[0] & 0xe0 == 0x20,
                    "only this decoder read {block:02x?}"
                );
            }
        }
        assert!(agreed > 500, "{agreed}");
    }

    /// A quarter MiB of one-letter Huffman-coded names and values (what took seconds with
    /// `loona-hpack`, which builds its Huffman table per string) decodes whole.
    #[test]
    fn many_huffman_strings_decode() {
        let field = [0x00, 0x81, 0x1F, 0x81, 0x1F];
        let n = super::super::MAX_HEADER_BLOCK / field.len();
        let h = BlockDecoder::new().decode(&field.repeat(n)).unwrap();
        assert_eq!(h.fields, n);
    }

    #[test]
    fn long_values_are_cut() {
        let mut enc = loona_hpack::Encoder::new();
        let long = "é".repeat(MAX_FIELD_LEN);
        let block = enc.encode([(&b":path"[..], long.as_bytes())]);
        let h = BlockDecoder::new().decode(&block).unwrap();
        let path = h.path.unwrap();
        assert!(path.len() <= MAX_FIELD_LEN && path.len() >= MAX_FIELD_LEN - 1);
    }
}
