//! HPACK header block decoding (RFC 7541) for one direction of an HTTP/2 connection.
//!
//! In: whole header blocks (a HEADERS or PUSH_PROMISE fragment with its CONTINUATION
//! fragments, RFC 9113 §4.3), in the order the sender wrote them. Out: a [`Head`] with the
//! fields this crate reads (the pseudo-header fields of RFC 9113 §8.3 and the
//! `sec-websocket-*` fields of RFC 8441 §5 / RFC 6455 §11.3), or an [`HpackError`].
//!
//! The decoding is done by `loona-hpack`. One [`BlockDecoder`] per direction holds that
//! direction's dynamic table (RFC 7541 §2.3.2), so every block of the direction must go
//! through it, in order, whatever stream it belongs to; after an error the table is out of
//! step with the sender's and the decoder must not be used again (the caller keeps it
//! "lost"). The dynamic table may be resized (RFC 7541 §6.3) up to the receiver's
//! SETTINGS_HEADER_TABLE_SIZE (RFC 9113 §6.5.2), never over [`MAX_TABLE_SIZE`].

use std::borrow::Cow;
use std::fmt;

/// The dynamic table size every decoder starts with (RFC 9113 §6.5.2 default).
pub const DEFAULT_TABLE_SIZE: usize = 4096;
/// The largest dynamic table this reader keeps, whatever the receiver allowed.
pub const MAX_TABLE_SIZE: usize = 1 << 20;
/// The longest value kept of a field this reader reports; longer ones are cut at a
/// character boundary.
pub const MAX_FIELD_LEN: usize = 4096;
/// The most Huffman-coded strings one header block may hold to be decoded. `loona-hpack`
/// builds its Huffman table anew for each such string (about 14 µs), so a hostile block of
/// a quarter MiB of one-letter strings would cost seconds; real blocks hold tens. A block
/// over it is not decoded, which loses the direction's HPACK state, and says why.
pub const MAX_HUFFMAN_STRINGS: usize = 2048;

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

/// Why a header block could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HpackError(pub String);

impl fmt::Display for HpackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HPACK decoding failed: {} (RFC 7541)", self.0)
    }
}

impl std::error::Error for HpackError {}

/// One direction's HPACK decoder: its dynamic table and the largest size the receiver
/// allows it.
pub struct BlockDecoder {
    inner: loona_hpack::Decoder<'static>,
    allowed: usize,
}

impl Default for BlockDecoder {
    fn default() -> Self {
        BlockDecoder::new()
    }
}

impl fmt::Debug for BlockDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockDecoder")
            .field("allowed", &self.allowed)
            .finish_non_exhaustive()
    }
}

impl BlockDecoder {
    pub fn new() -> BlockDecoder {
        let mut inner = loona_hpack::Decoder::new();
        inner.set_max_allowed_table_size(DEFAULT_TABLE_SIZE);
        BlockDecoder {
            inner,
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
            self.inner.set_max_allowed_table_size(size);
        }
    }

    /// The largest dynamic table size the sender may set now.
    #[cfg(any(test, feature = "internals"))]
    pub fn allowed_table_size(&self) -> usize {
        self.allowed
    }

    /// Decode one whole header block, updating the dynamic table.
    pub fn decode(&mut self, block: &[u8]) -> Result<Head, HpackError> {
        if huffman_strings(block) > MAX_HUFFMAN_STRINGS {
            return Err(HpackError(format!(
                "more than {MAX_HUFFMAN_STRINGS} Huffman-coded strings in one header block: not decoded (a bound on this reader's work)"
            )));
        }
        let mut head = Head::default();
        self.inner
            .decode_with_cb(block, |name, value| {
                head.fields = head.fields.saturating_add(1);
                take_field(&mut head, &name, value);
            })
            .map_err(|e| HpackError(e.to_string()))?;
        Ok(head)
    }
}

/// How many Huffman-coded string literals a header block holds (RFC 7541 §5.2, §6), read from
/// the representations' prefixes and lengths alone, up to where the block stops making
/// sense (the decoder then says why). Only a bound on the work `decode` is allowed; the
/// decoding itself is `loona-hpack`'s.
fn huffman_strings(mut b: &[u8]) -> usize {
    /// An RFC 7541 §5.1 integer with an `n`-bit prefix, and the bytes it took.
    fn integer(b: &[u8], n: u32) -> Option<(usize, usize)> {
        let max = (1usize << n) - 1;
        let first = usize::from(*b.first()?) & max;
        if first < max {
            return Some((first, 1));
        }
        let mut value = max;
        // Five continuation bytes are more than any length in a capped block needs.
        for (i, &byte) in b.iter().enumerate().skip(1).take(5) {
            value = value.checked_add(usize::from(byte & 0x7f) << (7 * (i - 1)))?;
            if byte & 0x80 == 0 {
                return Some((value, i + 1));
            }
        }
        None
    }
    /// A string literal: whether it is Huffman-coded, and the bytes it takes.
    fn string(b: &[u8]) -> Option<(bool, usize)> {
        let huffman = b.first()? & 0x80 != 0;
        let (len, used) = integer(b, 7)?;
        let total = used.checked_add(len)?;
        (total <= b.len()).then_some((huffman, total))
    }
    let mut count = 0;
    while let Some(&first) = b.first() {
        let (prefix, name_follows) = match first {
            0x80..=0xff => (7, false),
            0x40..=0x7f => (6, true),
            0x20..=0x3f => (5, false),
            _ => (4, true),
        };
        let Some((index, mut used)) = integer(b, prefix) else {
            break;
        };
        if name_follows {
            // A literal: a new name (index 0) is a string, then the value always is.
            let strings = if index == 0 { 2 } else { 1 };
            for _ in 0..strings {
                let Some((huffman, n)) = b.get(used..).and_then(string) else {
                    return count;
                };
                count += usize::from(huffman);
                used += n;
            }
        }
        b = b.get(used..).unwrap_or_default();
    }
    count
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
    if s.len() > MAX_FIELD_LEN {
        let mut end = MAX_FIELD_LEN;
        while !s.is_char_boundary(end) {
            end = end.saturating_sub(1);
        }
        s.truncate(end);
    }
}

/// Keep a field this reader reports; other fields (and unknown pseudo-header fields, which
/// make a message malformed but leave the table in step) are only counted.
fn take_field(head: &mut Head, name: &[u8], value: Cow<'_, [u8]>) {
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
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let resp = enc.encode([(&b":status"[..], &b"200"[..])]);
        let r = d.decode(&resp).unwrap();
        assert!(r.is_response() && !r.is_request());
        assert_eq!(r.status_code(), Some(200));
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

    /// The bound on Huffman-coded strings counts them right, and a block over it is refused
    /// at once instead of costing seconds.
    #[test]
    fn huffman_strings_are_counted_and_bounded() {
        // RFC 7541 C.4.1: one Huffman value (the authority) after three indexed fields.
        let c41 = b"\x82\x86\x84\x41\x8c\xf1\xe3\xc2\xe5\xf2\x3a\x6b\xa0\xab\x90\xf4\xff";
        assert_eq!(huffman_strings(c41), 1);
        // C.3.1: the same without Huffman coding.
        let c31 =
            b"\x82\x86\x84\x41\x0f\x77\x77\x77\x2e\x65\x78\x61\x6d\x70\x6c\x65\x2e\x63\x6f\x6d";
        assert_eq!(huffman_strings(c31), 0);
        // New names and values, both Huffman-coded ('a' is 0x1F padded).
        let field = [0x00, 0x81, 0x1F, 0x81, 0x1F];
        let few = field.repeat(MAX_HUFFMAN_STRINGS / 2);
        assert_eq!(huffman_strings(&few), MAX_HUFFMAN_STRINGS);
        assert_eq!(
            BlockDecoder::new().decode(&few).unwrap().fields,
            MAX_HUFFMAN_STRINGS / 2
        );
        let many = field.repeat(super::super::MAX_HEADER_BLOCK / field.len());
        let t0 = std::time::Instant::now();
        let err = BlockDecoder::new().decode(&many).unwrap_err();
        assert!(t0.elapsed() < std::time::Duration::from_millis(500));
        assert!(err.0.contains("Huffman-coded strings"), "{err}");
        // Cut or nonsense input stops the count, never panics.
        for b in [
            &b"\x7f"[..],
            b"\x40\x85ab",
            b"\xff\xff\xff\xff\xff\xff\xff\xff",
        ] {
            let _ = huffman_strings(b);
        }
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
