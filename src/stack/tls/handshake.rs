//! TLS handshake messages: reassembly across records and the few fields a decrypting
//! observer needs.
//!
//! In: the plaintext of handshake records (content type 22), one direction at a time, in
//! order; a handshake message may span records and a record may hold several messages
//! (RFC 8446 §5.1, RFC 5246 §6.2.1). Out: whole [`Message`]s (type and body), and parsed
//! [`ClientHello`], [`ServerHello`], [`EncryptedExtensions`] and `KeyUpdate`.
//!
//! Formats: RFC 8446 §4 (ClientHello §4.1.2, ServerHello and HelloRetryRequest §4.1.3-4,
//! EncryptedExtensions §4.3.1, KeyUpdate §4.6.3, extensions §4.2), RFC 5246 §7.4, RFC 6066 §3
//! (server_name), RFC 7301 (ALPN), RFC 7366 (encrypt_then_mac), RFC 7627 (extended master
//! secret). Small hand-written parsers over a bounds-checked reader: hostile input yields
//! `None`, never a panic.

use super::keylog::RANDOM_LEN;

/// Handshake message types (RFC 8446 §4, RFC 5246 §7.4).
#[allow(
    dead_code,
    reason = "the registry whole, not only the types read so far"
)]
pub mod kind {
    pub const CLIENT_HELLO: u8 = 1;
    pub const SERVER_HELLO: u8 = 2;
    pub const NEW_SESSION_TICKET: u8 = 4;
    pub const END_OF_EARLY_DATA: u8 = 5;
    pub const ENCRYPTED_EXTENSIONS: u8 = 8;
    pub const CERTIFICATE: u8 = 11;
    pub const SERVER_KEY_EXCHANGE: u8 = 12;
    pub const CERTIFICATE_REQUEST: u8 = 13;
    pub const SERVER_HELLO_DONE: u8 = 14;
    pub const CERTIFICATE_VERIFY: u8 = 15;
    pub const CLIENT_KEY_EXCHANGE: u8 = 16;
    pub const FINISHED: u8 = 20;
    pub const KEY_UPDATE: u8 = 24;
}

/// Extension numbers used here.
mod ext {
    pub const SERVER_NAME: u16 = 0;
    pub const ALPN: u16 = 16;
    pub const ENCRYPT_THEN_MAC: u16 = 22;
    pub const EXTENDED_MASTER_SECRET: u16 = 23;
    pub const PRE_SHARED_KEY: u16 = 41;
    pub const EARLY_DATA: u16 = 42;
    pub const SUPPORTED_VERSIONS: u16 = 43;
}

/// Protocol version numbers.
pub const TLS12: u16 = 0x0303;
pub const TLS13: u16 = 0x0304;

/// The ServerHello.random that marks a HelloRetryRequest (RFC 8446 §4.1.3): SHA-256 of
/// "HelloRetryRequest".
pub const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Largest handshake message buffered (a long certificate chain fits; more is hostile).
pub const MAX_MESSAGE: usize = 1 << 20;

/// A bounds-checked big-endian reader.
#[derive(Clone, Copy)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { rest: bytes }
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }
    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }
    pub(crate) fn u16(&mut self) -> Option<u16> {
        let b = self.take(2)?;
        Some(u16::from_be_bytes(b.try_into().ok()?))
    }
    pub(crate) fn u24(&mut self) -> Option<usize> {
        let b = self.take(3)?;
        Some(b.iter().fold(0usize, |acc, &x| acc << 8 | usize::from(x)))
    }
    /// A vector with a 1-byte length prefix.
    pub(crate) fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }
    /// A vector with a 2-byte length prefix.
    pub(crate) fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }
    fn array32(&mut self) -> Option<[u8; 32]> {
        self.take(32)?.try_into().ok()
    }
}

/// One whole handshake message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub kind: u8,
    pub body: Vec<u8>,
}

/// One whole handshake message, its body borrowed from the [`Reassembler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageRef<'a> {
    pub kind: u8,
    pub body: &'a [u8],
}

/// Why handshake reassembly stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReassemblyError {
    /// A message announced a length over [`MAX_MESSAGE`].
    TooLong { kind: u8, len: usize },
}

/// Joins handshake-record plaintext into whole messages (one per direction).
#[derive(Default, Debug)]
pub struct Reassembler {
    buf: Vec<u8>,
}

impl Reassembler {
    /// Adds `bytes` (one record's plaintext) and returns the messages completed.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<Message>, ReassemblyError> {
        self.add(bytes);
        let mut out = Vec::new();
        self.drain(|m| {
            out.push(Message {
                kind: m.kind,
                body: m.body.to_vec(),
            });
            true
        })?;
        Ok(out)
    }

    /// Adds `bytes` (one record's plaintext); [`Reassembler::drain`] hands on the messages
    /// they complete.
    pub fn add(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Calls `f` with each whole message added so far, in order, while it returns `true`,
    /// and forgets them (no copy, no allocation per message). A header announcing more
    /// than [`MAX_MESSAGE`] after them is an error before any of them is handed on.
    pub fn drain(
        &mut self,
        mut f: impl FnMut(MessageRef<'_>) -> bool,
    ) -> Result<(), ReassemblyError> {
        let whole = self.whole()?;
        let mut rest = self.buf.get(..whole).unwrap_or_default();
        while let Some((kind, len, tail)) = header(rest) {
            let (body, after) = tail.split_at(len.min(tail.len()));
            rest = after;
            if !f(MessageRef { kind, body }) {
                break;
            }
        }
        self.buf.drain(..whole.min(self.buf.len()));
        Ok(())
    }

    /// [`Reassembler::add`] then [`Reassembler::drain`], without the copy when no part of
    /// a message waits: the whole messages at the start of `bytes` are handed on where
    /// they are, and only an unfinished one after them is kept (the buffer is allocated
    /// only for a message that spans records).
    pub fn drain_from(
        &mut self,
        bytes: &[u8],
        mut f: impl FnMut(MessageRef<'_>) -> bool,
    ) -> Result<(), ReassemblyError> {
        if !self.buf.is_empty() {
            self.add(bytes);
            return self.drain(f);
        }
        let whole = whole(bytes)?;
        let (mut rest, tail) = bytes.split_at(whole.min(bytes.len()));
        while let Some((kind, len, after_head)) = header(rest) {
            let (body, after) = after_head.split_at(len.min(after_head.len()));
            rest = after;
            if !f(MessageRef { kind, body }) {
                break;
            }
        }
        self.buf.extend_from_slice(tail);
        Ok(())
    }

    /// The length of the whole messages at the buffer's start; an error (the buffer
    /// cleared) at a header over [`MAX_MESSAGE`].
    fn whole(&mut self) -> Result<usize, ReassemblyError> {
        let used = whole(&self.buf);
        if used.is_err() {
            self.buf.clear();
        }
        used
    }

    /// Whether part of a message is waiting for the rest.
    pub fn has_partial(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Forgets a partial message (after a gap).
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// Bytes its buffer takes (its capacity).
    pub(crate) fn held(&self) -> usize {
        self.buf.capacity()
    }

    /// Frees the buffer when no part of a message waits in it.
    pub fn release_if_empty(&mut self) {
        if self.buf.is_empty() {
            self.buf = Vec::new();
        }
    }
}

/// The length of the whole messages at the start of `bytes`; an error at a header over
/// [`MAX_MESSAGE`].
fn whole(bytes: &[u8]) -> Result<usize, ReassemblyError> {
    let mut used = 0usize;
    while let Some((kind, len, tail)) = header(bytes.get(used..).unwrap_or_default()) {
        if len > MAX_MESSAGE {
            return Err(ReassemblyError::TooLong { kind, len });
        }
        if tail.len() < len {
            break;
        }
        used = used.saturating_add(4).saturating_add(len);
    }
    Ok(used)
}

/// A message header at the start of `bytes`: its type, its announced length and the bytes
/// after the header.
fn header(bytes: &[u8]) -> Option<(u8, usize, &[u8])> {
    let mut r = Reader::new(bytes);
    let (kind, len) = (r.u8()?, r.u24()?);
    Some((kind, len, bytes.get(4..)?))
}

/// A hello's session ID (at most 32 bytes, RFC 5246 §7.4.1.2), held inline; the bytes past
/// its length stay zero, so two compare equal exactly when their IDs do. One longer than
/// 32 bytes breaks the rule and is kept as none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionId {
    len: u8,
    bytes: [u8; 32],
}

impl SessionId {
    fn new(id: &[u8]) -> SessionId {
        let mut s = SessionId::default();
        if let (Some(dst), Ok(len)) = (s.bytes.get_mut(..id.len()), u8::try_from(id.len())) {
            dst.copy_from_slice(id);
            s.len = len;
        }
        s
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// What a ClientHello tells.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientHello {
    pub legacy_version: u16,
    pub random: [u8; RANDOM_LEN],
    /// A TLS 1.2 client asks to resume the session of this ID (a TLS 1.3 one sends a
    /// random ID for middleboxes, RFC 8446 §4.1.2).
    pub session_id: SessionId,
    pub cipher_suites: Vec<u16>,
    /// The supported_versions extension's list (empty when absent: TLS 1.2 or earlier).
    pub supported_versions: Vec<u16>,
    pub sni: Option<String>,
    /// ALPN protocol names offered, in order.
    pub alpn: Vec<Vec<u8>>,
    pub encrypt_then_mac: bool,
    pub extended_master_secret: bool,
    pub pre_shared_key: bool,
    pub early_data: bool,
}

impl ClientHello {
    /// Whether TLS 1.3 is offered.
    pub fn offers_tls13(&self) -> bool {
        self.supported_versions.contains(&TLS13)
    }
}

/// Walks an extensions block: `f(type, body)` for each; `None` when malformed.
fn for_each_extension(block: &[u8], mut f: impl FnMut(u16, &[u8]) -> Option<()>) -> Option<()> {
    let mut r = Reader::new(block);
    while !r.is_empty() {
        let ty = r.u16()?;
        let body = r.vec16()?;
        f(ty, body)?;
    }
    Some(())
}

/// Parses a ClientHello body (after the 4-byte handshake header).
pub fn parse_client_hello(body: &[u8]) -> Option<ClientHello> {
    client_hello(body, true)
}

/// [`parse_client_hello`] without the offered suites and versions (left empty, still
/// checked), which a session does not read after the parse: two allocations fewer.
pub(crate) fn parse_client_hello_lean(body: &[u8]) -> Option<ClientHello> {
    client_hello(body, false)
}

fn client_hello(body: &[u8], lists: bool) -> Option<ClientHello> {
    let mut r = Reader::new(body);
    let mut ch = ClientHello {
        legacy_version: r.u16()?,
        random: r.array32()?,
        ..ClientHello::default()
    };
    ch.session_id = SessionId::new(r.vec8()?);
    let suites = r.vec16()?;
    if !suites.len().is_multiple_of(2) {
        return None;
    }
    if lists {
        ch.cipher_suites = suites
            .chunks_exact(2)
            .filter_map(|c| Some(u16::from_be_bytes(c.try_into().ok()?)))
            .collect();
    }
    r.vec8()?; // legacy_compression_methods
    if r.is_empty() {
        return Some(ch); // no extensions (allowed before TLS 1.3)
    }
    let exts = r.vec16()?;
    for_each_extension(exts, |ty, body| {
        let mut b = Reader::new(body);
        match ty {
            ext::SERVER_NAME => {
                let mut list = Reader::new(b.vec16()?);
                while !list.is_empty() {
                    let name_type = list.u8()?;
                    let name = list.vec16()?;
                    if name_type == 0 && ch.sni.is_none() {
                        ch.sni = Some(String::from_utf8_lossy(name).into_owned());
                    }
                }
            }
            ext::ALPN => ch.alpn = parse_alpn_list(body)?,
            ext::ENCRYPT_THEN_MAC => ch.encrypt_then_mac = true,
            ext::EXTENDED_MASTER_SECRET => ch.extended_master_secret = true,
            ext::PRE_SHARED_KEY => ch.pre_shared_key = true,
            ext::EARLY_DATA => ch.early_data = true,
            ext::SUPPORTED_VERSIONS => {
                let list = b.vec8()?;
                if !list.len().is_multiple_of(2) {
                    return None;
                }
                if lists {
                    ch.supported_versions = list
                        .chunks_exact(2)
                        .filter_map(|c| Some(u16::from_be_bytes(c.try_into().ok()?)))
                        .collect();
                }
            }
            _ => {}
        }
        Some(())
    })?;
    Some(ch)
}

/// An ALPN extension body: a 2-byte-length list of 1-byte-length names.
fn parse_alpn_list(body: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut b = Reader::new(body);
    let mut list = Reader::new(b.vec16()?);
    let mut out = Vec::new();
    while !list.is_empty() {
        out.push(list.vec8()?.to_vec());
    }
    Some(out)
}

/// The first name of an ALPN extension body (a server's choice: one name), the whole
/// list checked as [`parse_alpn_list`] does; one allocation, not one per name and one for
/// the list.
fn first_alpn(body: &[u8]) -> Option<Option<Vec<u8>>> {
    let mut b = Reader::new(body);
    let mut list = Reader::new(b.vec16()?);
    let mut first = None;
    while !list.is_empty() {
        let name = list.vec8()?;
        if first.is_none() {
            first = Some(name);
        }
    }
    Some(first.map(<[u8]>::to_vec))
}

/// What a ServerHello (or HelloRetryRequest) tells.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerHello {
    pub legacy_version: u16,
    pub random: [u8; RANDOM_LEN],
    pub cipher_suite: u16,
    /// supported_versions' selected version (TLS 1.3), if present.
    pub selected_version: Option<u16>,
    pub hello_retry_request: bool,
    pub encrypt_then_mac: bool,
    pub extended_master_secret: bool,
    /// ALPN chosen in the ServerHello (TLS 1.2; TLS 1.3 puts it in EncryptedExtensions).
    pub alpn: Option<Vec<u8>>,
    pub pre_shared_key: bool,
    /// The session ID it answers with: the client's own when a TLS 1.2 server resumes
    /// that session (RFC 5246 §7.4.1.3; RFC 5077 §3.4 for a session ticket).
    pub session_id: SessionId,
}

impl ServerHello {
    /// The negotiated version.
    pub fn version(&self) -> u16 {
        self.selected_version.unwrap_or(self.legacy_version)
    }
}

/// Parses a ServerHello body.
pub fn parse_server_hello(body: &[u8]) -> Option<ServerHello> {
    let mut r = Reader::new(body);
    let mut sh = ServerHello {
        legacy_version: r.u16()?,
        random: r.array32()?,
        ..ServerHello::default()
    };
    sh.hello_retry_request = sh.random == HELLO_RETRY_REQUEST_RANDOM;
    sh.session_id = SessionId::new(r.vec8()?);
    sh.cipher_suite = r.u16()?;
    r.u8()?; // legacy_compression_method
    if r.is_empty() {
        return Some(sh);
    }
    let exts = r.vec16()?;
    for_each_extension(exts, |ty, body| {
        let mut b = Reader::new(body);
        match ty {
            ext::SUPPORTED_VERSIONS => sh.selected_version = Some(b.u16()?),
            ext::ENCRYPT_THEN_MAC => sh.encrypt_then_mac = true,
            ext::EXTENDED_MASTER_SECRET => sh.extended_master_secret = true,
            ext::PRE_SHARED_KEY => sh.pre_shared_key = true,
            ext::ALPN => sh.alpn = first_alpn(body)?,
            _ => {}
        }
        Some(())
    })?;
    Some(sh)
}

/// What EncryptedExtensions (TLS 1.3) tells.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EncryptedExtensions {
    pub alpn: Option<Vec<u8>>,
    /// The server accepted the client's early data.
    pub early_data: bool,
}

/// Parses an EncryptedExtensions body.
pub fn parse_encrypted_extensions(body: &[u8]) -> Option<EncryptedExtensions> {
    let mut r = Reader::new(body);
    let exts = r.vec16()?;
    let mut ee = EncryptedExtensions::default();
    for_each_extension(exts, |ty, body| {
        match ty {
            ext::ALPN => ee.alpn = first_alpn(body)?,
            ext::EARLY_DATA => ee.early_data = true,
            _ => {}
        }
        Some(())
    })?;
    Some(ee)
}

/// A KeyUpdate's `request_update` (RFC 8446 §4.6.3): `Some(true)` when the peer is asked to
/// update too; `None` when malformed.
pub fn parse_key_update(body: &[u8]) -> Option<bool> {
    match body {
        [0] => Some(false),
        [1] => Some(true),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a handshake message: type, 3-byte length, body.
    pub(crate) fn message(kind: u8, body: &[u8]) -> Vec<u8> {
        let len = body.len() as u32;
        let mut m = vec![kind];
        m.extend_from_slice(&len.to_be_bytes()[1..]);
        m.extend_from_slice(body);
        m
    }

    fn ext(ty: u16, body: &[u8]) -> Vec<u8> {
        let mut e = ty.to_be_bytes().to_vec();
        e.extend_from_slice(&(body.len() as u16).to_be_bytes());
        e.extend_from_slice(body);
        e
    }

    fn vec16(body: &[u8]) -> Vec<u8> {
        let mut v = (body.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(body);
        v
    }

    fn alpn(names: &[&[u8]]) -> Vec<u8> {
        let mut list = Vec::new();
        for n in names {
            list.push(n.len() as u8);
            list.extend_from_slice(n);
        }
        vec16(&list)
    }

    /// A ClientHello body with the given extensions.
    pub(crate) fn client_hello_body(random: [u8; 32], exts: &[Vec<u8>]) -> Vec<u8> {
        let mut b = vec![0x03, 0x03];
        b.extend_from_slice(&random);
        b.push(32);
        b.extend_from_slice(&[7; 32]);
        b.extend_from_slice(&vec16(&[0x13, 0x01, 0x13, 0x02, 0xc0, 0x2f]));
        b.extend_from_slice(&[1, 0]);
        b.extend_from_slice(&vec16(&exts.concat()));
        b
    }

    pub(crate) fn full_client_hello(random: [u8; 32]) -> Vec<u8> {
        let mut sni = vec![0];
        sni.extend_from_slice(&vec16(b"example.com"));
        client_hello_body(
            random,
            &[
                ext(0, &vec16(&sni)),
                ext(16, &alpn(&[b"h2", b"http/1.1"])),
                ext(22, &[]),
                ext(23, &[]),
                ext(43, &[4, 0x03, 0x04, 0x03, 0x03]),
                ext(42, &[]),
                ext(0xfe0d, &[1, 2, 3]), // unknown: skipped
                ext(41, &[0, 0]),
            ],
        )
    }

    #[test]
    fn client_hello_fields() {
        let ch = parse_client_hello(&full_client_hello([9; 32])).unwrap();
        assert_eq!(ch.legacy_version, TLS12);
        assert_eq!(ch.random, [9; 32]);
        assert_eq!(ch.cipher_suites, vec![0x1301, 0x1302, 0xc02f]);
        assert_eq!(ch.supported_versions, vec![TLS13, TLS12]);
        assert!(ch.offers_tls13());
        assert_eq!(ch.sni.as_deref(), Some("example.com"));
        assert_eq!(ch.alpn, vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
        assert!(ch.encrypt_then_mac && ch.extended_master_secret);
        assert!(ch.early_data && ch.pre_shared_key);
    }

    #[test]
    fn client_hello_without_extensions() {
        let mut b = vec![0x03, 0x03];
        b.extend_from_slice(&[1; 32]);
        b.push(0);
        b.extend_from_slice(&vec16(&[0x00, 0x2f]));
        b.extend_from_slice(&[1, 0]);
        let ch = parse_client_hello(&b).unwrap();
        assert_eq!(ch.cipher_suites, vec![0x002f]);
        assert!(!ch.offers_tls13() && ch.sni.is_none() && ch.alpn.is_empty());
    }

    #[test]
    fn server_hello_and_hello_retry_request() {
        let mut b = vec![0x03, 0x03];
        b.extend_from_slice(&[5; 32]);
        b.push(0);
        b.extend_from_slice(&[0x13, 0x02, 0]);
        b.extend_from_slice(&vec16(&ext(43, &[0x03, 0x04])));
        let sh = parse_server_hello(&b).unwrap();
        assert_eq!(sh.version(), TLS13);
        assert_eq!(sh.cipher_suite, 0x1302);
        assert!(!sh.hello_retry_request);

        b[2..34].copy_from_slice(&HELLO_RETRY_REQUEST_RANDOM);
        assert!(parse_server_hello(&b).unwrap().hello_retry_request);

        // TLS 1.2 with EtM, EMS and ALPN.
        let mut b = vec![0x03, 0x03];
        b.extend_from_slice(&[5; 32]);
        b.push(0);
        b.extend_from_slice(&[0xc0, 0x27, 0]);
        b.extend_from_slice(&vec16(
            &[ext(22, &[]), ext(23, &[]), ext(16, &alpn(&[b"http/1.1"]))].concat(),
        ));
        let sh = parse_server_hello(&b).unwrap();
        assert_eq!(sh.version(), TLS12);
        assert!(sh.encrypt_then_mac && sh.extended_master_secret);
        assert_eq!(sh.alpn.as_deref(), Some(&b"http/1.1"[..]));
    }

    #[test]
    fn encrypted_extensions_and_key_update() {
        let body = vec16(&[ext(16, &alpn(&[b"h2"])), ext(42, &[])].concat());
        let ee = parse_encrypted_extensions(&body).unwrap();
        assert_eq!(ee.alpn.as_deref(), Some(&b"h2"[..]));
        assert!(ee.early_data);
        assert_eq!(parse_key_update(&[0]), Some(false));
        assert_eq!(parse_key_update(&[1]), Some(true));
        assert_eq!(parse_key_update(&[2]), None);
        assert_eq!(parse_key_update(&[]), None);
    }

    #[test]
    fn reassembly_across_records_and_several_per_record() {
        let a = message(kind::CLIENT_HELLO, &full_client_hello([1; 32]));
        let b = message(kind::FINISHED, &[0xaa; 32]);
        let c = message(kind::KEY_UPDATE, &[1]);
        let all = [a.clone(), b.clone(), c.clone()].concat();
        for split1 in 0..all.len() {
            let split2 = (split1 + 7).min(all.len());
            let mut r = Reassembler::default();
            let mut got = r.push(&all[..split1]).unwrap();
            got.extend(r.push(&all[split1..split2]).unwrap());
            got.extend(r.push(&all[split2..]).unwrap());
            assert!(!r.has_partial());
            let kinds: Vec<u8> = got.iter().map(|m| m.kind).collect();
            assert_eq!(kinds, vec![1, 20, 24], "split at {split1}");
            assert_eq!(got[1].body, vec![0xaa; 32]);
        }
    }

    /// `drain` hands each whole message on where it was joined, stops when told to (the
    /// rest of the whole messages forgotten, as a stopped direction forgets them), keeps a
    /// partial one, and hands on none of a buffer with a too-long header after them.
    #[test]
    fn drain_borrows_messages_and_stops_when_told() {
        let a = message(kind::FINISHED, &[0xaa; 32]);
        let b = message(kind::KEY_UPDATE, &[1]);
        let mut r = Reassembler::default();
        r.add(&[a.clone(), b.clone()].concat());
        r.add(&b[..2]);
        let mut seen = Vec::new();
        r.drain(|m| {
            seen.push((m.kind, m.body.to_vec()));
            true
        })
        .unwrap();
        assert_eq!(seen, vec![(20, vec![0xaa; 32]), (24, vec![1])]);
        assert!(r.has_partial(), "the third message's first bytes wait");
        r.add(&b[2..]);
        r.add(&a);
        let mut kinds = Vec::new();
        r.drain(|m| {
            kinds.push(m.kind);
            false
        })
        .unwrap();
        assert_eq!(kinds, vec![24], "stopped after the first");
        assert!(!r.has_partial());
        r.add(&[a.clone(), vec![11, 0xff, 0xff, 0xff]].concat());
        let mut called = false;
        let e = r.drain(|_| {
            called = true;
            true
        });
        refused_too_long(e, called, &r);
    }

    /// What a header declaring a message too long (kind 11, 2^24 - 1 bytes) leaves: the
    /// error, no message handed on, nothing kept.
    fn refused_too_long(e: Result<(), ReassemblyError>, called: bool, r: &Reassembler) {
        let too_long = ReassemblyError::TooLong {
            kind: 11,
            len: 0xff_ffff,
        };
        assert_eq!(e, Err(too_long));
        assert!(!called && !r.has_partial());
    }

    /// `drain_from` hands on the same messages as `add` then `drain` for records cut at
    /// every pair of places; a record of whole messages leaves no buffer (nothing copied,
    /// nothing allocated), one cut inside a message keeps only its start; a too-long
    /// header after whole messages hands none of them on and keeps nothing.
    #[test]
    fn drain_from_reads_whole_messages_in_place() {
        let a = message(kind::CLIENT_HELLO, &full_client_hello([1; 32]));
        let b = message(kind::FINISHED, &[0xaa; 32]);
        let c = message(kind::KEY_UPDATE, &[1]);
        let all = [a.clone(), b.clone(), c.clone()].concat();
        let collect = |r: &mut Reassembler, rec: &[u8], got: &mut Vec<(u8, Vec<u8>)>| {
            r.drain_from(rec, |m| {
                got.push((m.kind, m.body.to_vec()));
                true
            })
            .unwrap();
        };
        for split1 in 0..=all.len() {
            for split2 in split1..=(split1 + 40).min(all.len()) {
                let (mut r, mut got) = (Reassembler::default(), Vec::new());
                for rec in [&all[..split1], &all[split1..split2], &all[split2..]] {
                    collect(&mut r, rec, &mut got);
                }
                assert!(!r.has_partial(), "{split1} {split2}");
                let kinds: Vec<u8> = got.iter().map(|m| m.0).collect();
                assert_eq!(kinds, vec![1, 20, 24], "split at {split1} {split2}");
                assert_eq!(got[0].1, a[4..], "{split1} {split2}");
                assert_eq!(got[1].1, vec![0xaa; 32]);
                assert_eq!(got[2].1, vec![1]);
            }
        }
        // Whole messages: no buffer at all.
        let (mut r, mut got) = (Reassembler::default(), Vec::new());
        collect(&mut r, &[a.clone(), b.clone()].concat(), &mut got);
        assert_eq!((got.len(), r.held()), (2, 0));
        // A message cut after whole ones: only its start is kept.
        collect(&mut r, &[b.clone(), c[..3].to_vec()].concat(), &mut got);
        assert_eq!(got.len(), 3);
        assert!(r.has_partial() && r.held() >= 3);
        collect(&mut r, &c[3..], &mut got);
        assert_eq!(got.last(), Some(&(24, vec![1])));
        // Stopped when told: the rest of the record's whole messages are not handed on.
        let mut r = Reassembler::default();
        let mut kinds = Vec::new();
        r.drain_from(&all, |m| {
            kinds.push(m.kind);
            false
        })
        .unwrap();
        assert_eq!(kinds, vec![1]);
        // Too long after whole messages: an error before any is handed on.
        let mut called = false;
        let e = r.drain_from(&[b.clone(), vec![11, 0xff, 0xff, 0xff]].concat(), |_| {
            called = true;
            true
        });
        refused_too_long(e, called, &r);
    }

    /// The session's lean ClientHello is the full one without its two lists, and refuses
    /// what the full parse refuses (odd lists, cut bodies); a server's ALPN is the first
    /// name of a list checked whole.
    #[test]
    fn lean_hello_and_first_alpn_agree_with_the_full_parse() {
        let body = full_client_hello([4; 32]);
        let full = parse_client_hello(&body).unwrap();
        assert!(!full.cipher_suites.is_empty() && !full.supported_versions.is_empty());
        let lean = parse_client_hello_lean(&body).unwrap();
        let mut expect = full.clone();
        expect.cipher_suites = Vec::new();
        expect.supported_versions = Vec::new();
        assert_eq!(lean, expect);
        for cut in 0..body.len() {
            assert_eq!(
                parse_client_hello_lean(&body[..cut]).is_some(),
                parse_client_hello(&body[..cut]).is_some(),
                "cut at {cut}"
            );
        }
        let odd_versions =
            client_hello_body([5; 32], &[ext(ext::SUPPORTED_VERSIONS, &[3, 3, 4, 3])]);
        assert_eq!(parse_client_hello(&odd_versions), None);
        assert_eq!(parse_client_hello_lean(&odd_versions), None);
        for names in [&[][..], &[&b"h2"[..]], &[b"h2", b"http/1.1"]] {
            let list = alpn(names);
            let all = parse_alpn_list(&list).unwrap();
            assert_eq!(first_alpn(&list), Some(all.first().cloned()));
        }
        let bad = [0, 4, 2, b'h', b'2', 9];
        assert_eq!((parse_alpn_list(&bad), first_alpn(&bad)), (None, None));
    }

    #[test]
    fn reassembly_rejects_huge_messages() {
        let mut r = Reassembler::default();
        assert_eq!(
            r.push(&[11, 0xff, 0xff, 0xff]),
            Err(ReassemblyError::TooLong {
                kind: 11,
                len: 0xff_ffff
            })
        );
    }

    #[test]
    fn truncated_and_hostile_bodies_are_rejected_without_panic() {
        let full = full_client_hello([3; 32]);
        for n in 0..full.len() {
            let _ = parse_client_hello(&full[..n]);
            let _ = parse_server_hello(&full[..n]);
            let _ = parse_encrypted_extensions(&full[..n]);
        }
        // Odd cipher-suite vector.
        let mut b = vec![3, 3];
        b.extend_from_slice(&[0; 32]);
        b.extend_from_slice(&[0, 0, 3, 1, 2, 3, 1, 0]);
        assert!(parse_client_hello(&b).is_none());
        // Pseudo-random garbage.
        let mut x = 0x1234_5678u32;
        for _ in 0..2000 {
            let bytes: Vec<u8> = (0..(x % 300))
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            let _ = parse_client_hello(&bytes);
            let _ = parse_server_hello(&bytes);
            let _ = parse_encrypted_extensions(&bytes);
            let _ = Reassembler::default().push(&bytes);
        }
    }
}
