//! The TLS record layer of one direction: framing and decryption.
//!
//! In: the direction's reassembled TCP bytes, in chunks cut anywhere (a record may span
//! chunks, a chunk may hold several records), each chunk tagged with the number of the
//! packet that carried it; and, once the session knows them, the direction's keys.
//! Out: records ([`RecordHead`]: content type, version, and the packet that COMPLETED the
//! record), their payload appended to a buffer the caller reuses ([`Framer::next`]), and
//! their plaintext, decrypted in place, after [`RecordCipher::open`] (a range of the
//! payload: nothing is moved or allocated per record).
//!
//! - Framing: RFC 8446 §5.1 / RFC 5246 §6.2: a 5-byte header (type, version, length); a
//!   length over 2^14 + 2048 is a protocol violation ([`FrameError`]) that ends the direction.
//! - TLS 1.3 AEAD (RFC 8446 §5.2-5.3): nonce = IV xor the 64-bit sequence number, AAD = the
//!   record header, inner content type after the zero padding is stripped.
//! - TLS 1.2 AES-GCM (RFC 5288 §3): 8-byte explicit nonce after the 4-byte salt; AAD =
//!   seq || type || version || plaintext length (RFC 5246 §6.2.3.3).
//! - TLS 1.2 ChaCha20-Poly1305 (RFC 7905 §2): nonce = IV xor seq, same AAD.
//! - TLS 1.2 AES-CBC with HMAC-SHA1/256/384 (RFC 5246 §6.2.3.2: explicit IV, MAC-then-
//!   encrypt) or encrypt-then-MAC (RFC 7366 §3).
//!
//! The sequence number advances only on success: a record that fails to open leaves the
//! cipher as it was (the session tries a copy of a record under another key; the record
//! itself may be garbled by a failed open). Keys are never printed.
//!
//! Crates: the AEADs are `ring`'s (AES-GCM, ChaCha20-Poly1305), measured about three times
//! as fast as RustCrypto's `aes-gcm` 0.10 on 100 MiB of 16 KiB AES-128-GCM records (see
//! `examples/tls_aead_speed.rs`); `ring` needs a C compiler to build, no system library.
//! AES-CBC is RustCrypto's `aes` + `cbc`, HMAC `hmac` with `sha1`/`sha2`.
//!
//! Size: about 900 lines, a third of them tests: record framing and its four protections
//! (TLS 1.3 AEAD, TLS 1.2 GCM, ChaCha20, CBC in both MAC orders).

use aes::{Aes128, Aes256};
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockDecryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha384};
use std::fmt;
use std::ops::Range;

use super::keys::{AeadAlg, Bulk, HashAlg, Suite, TrafficKeys};

/// Record content types (RFC 8446 §5.1).
pub mod content {
    pub const CHANGE_CIPHER_SPEC: u8 = 20;
    pub const ALERT: u8 = 21;
    pub const HANDSHAKE: u8 = 22;
    pub const APPLICATION_DATA: u8 = 23;
    pub const HEARTBEAT: u8 = 24;
}

/// Largest record length accepted (TLSCiphertext, RFC 5246 §6.2.3).
pub const MAX_RECORD: usize = (1 << 14) + 2048;

/// Record header length.
pub const HEADER_LEN: usize = 5;

const TAG_LEN: usize = 16;

/// One framed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub content_type: u8,
    pub version: u16,
    pub payload: Vec<u8>,
    /// The packet that carried the record's last byte.
    pub packet: u64,
}

/// Why framing stopped: the bytes are not (or no longer) TLS records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// A record longer than [`MAX_RECORD`].
    TooLong { len: usize, packet: u64 },
    /// A header whose content type or version is not TLS.
    NotTls { packet: u64 },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::TooLong { len, packet } => write!(
                f,
                "TLS record of {len} bytes at packet {packet} (more than {MAX_RECORD})"
            ),
            FrameError::NotTls { packet } => {
                write!(
                    f,
                    "bytes that are not a TLS record header at packet {packet}"
                )
            }
        }
    }
}

/// A record's header fields and the packet that completed it (its payload is elsewhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHead {
    pub content_type: u8,
    pub version: u16,
    /// The packet that carried the record's last byte.
    pub packet: u64,
}

impl RecordHead {
    /// The 5-byte header as sent, for a payload of `len` bytes.
    pub fn header(&self, len: usize) -> [u8; HEADER_LEN] {
        let len = u16::try_from(len).unwrap_or(u16::MAX);
        let [v0, v1] = self.version.to_be_bytes();
        let [l0, l1] = len.to_be_bytes();
        [self.content_type, v0, v1, l0, l1]
    }
}

impl Record {
    pub fn head(&self) -> RecordHead {
        RecordHead {
            content_type: self.content_type,
            version: self.version,
            packet: self.packet,
        }
    }
}

/// Record-sized buffers freed by finished connections, kept for the next ones on the same
/// thread: every TLS connection gathers records of up to 16 KiB, and allocating and
/// freeing such buffers per connection went through the allocator's slow paths (and the
/// kernel's page clearing) tens of thousands of times in a large capture.
pub(crate) mod spare {
    use std::cell::RefCell;

    /// Buffers kept per thread at most.
    const KEEP: usize = 32;
    /// Only buffers of a large record's size are worth keeping: smaller ones come cheap
    /// from the allocator, larger ones (many records in one feed) are not kept, and a kept
    /// buffer goes to a record of at least half its size (it is held while the connection
    /// lives: small records keep small buffers).
    const MIN: usize = 8 << 10;
    const MAX: usize = super::HEADER_LEN + super::MAX_RECORD;

    thread_local! {
        static SPARE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
    }

    /// An empty buffer with room for `cap` bytes: a kept one when `cap` is of a record's
    /// size and one is kept (a small record gets a small buffer of its own, not a kept
    /// one it would hold on to).
    pub(crate) fn take(cap: usize) -> Vec<u8> {
        let kept = if cap >= MIN {
            SPARE.with_borrow_mut(Vec::pop)
        } else {
            None
        };
        let mut v = kept.unwrap_or_default();
        v.reserve_exact(cap);
        v
    }

    /// Keeps `v` for a later [`take`] on this thread, emptied, if it is of a record's size
    /// and fewer than [`KEEP`] are kept; else frees it.
    pub(crate) fn give(mut v: Vec<u8>) {
        if !(MIN..=MAX).contains(&v.capacity()) {
            return;
        }
        v.clear();
        SPARE.with_borrow_mut(|s| {
            if s.len() < KEEP {
                s.push(v);
            }
        });
    }

    /// Buffers kept on this thread now.
    #[cfg(test)]
    pub(crate) fn kept() -> usize {
        SPARE.with_borrow(Vec::len)
    }
}

/// Cuts one direction's stream into records, without an allocation per record: each
/// record's payload is appended to a buffer the caller reuses (the payload of a record
/// that spanned chunks is handed over in the buffer it was gathered in when the caller's
/// is empty, so it is not copied twice).
#[derive(Debug, Default)]
pub struct Framer {
    /// Bytes of a record not complete yet (header included).
    partial: Vec<u8>,
}

fn parse_header(h: &[u8], packet: u64) -> Result<Option<(u8, u16, usize)>, FrameError> {
    let (Some(&ty), Some(&v0), Some(&v1), Some(&l0), Some(&l1)) =
        (h.first(), h.get(1), h.get(2), h.get(3), h.get(4))
    else {
        return Ok(None);
    };
    let len = usize::from(u16::from_be_bytes([l0, l1]));
    if !(content::CHANGE_CIPHER_SPEC..=content::HEARTBEAT).contains(&ty) || v0 != 3 || v1 > 4 {
        return Err(FrameError::NotTls { packet });
    }
    if len > MAX_RECORD {
        return Err(FrameError::TooLong { len, packet });
    }
    Ok(Some((ty, u16::from_be_bytes([v0, v1]), len)))
}

impl Framer {
    /// The next record completed by `bytes` (a chunk carried by `packet`), which is
    /// advanced past what was used. The record's payload is appended to `buf`, and its
    /// start in `buf` returned with its head (`buf[start..]` is the payload). `None`: the
    /// chunk is used up, a record's first part kept for the next chunk.
    pub fn next(
        &mut self,
        bytes: &mut &[u8],
        packet: u64,
        buf: &mut Vec<u8>,
    ) -> Result<Option<(RecordHead, usize)>, FrameError> {
        if !self.partial.is_empty() {
            // Finish a record started by earlier chunks.
            if self.partial.len() < HEADER_LEN {
                let need = HEADER_LEN - self.partial.len();
                let (head, tail) = bytes.split_at(need.min(bytes.len()));
                self.partial.extend_from_slice(head);
                *bytes = tail;
            }
            let Some((content_type, version, len)) = parse_header(&self.partial, packet)? else {
                return Ok(None);
            };
            let have = self.partial.len().saturating_sub(HEADER_LEN);
            let need = len.saturating_sub(have);
            // The whole record at once, not by doubling (one allocation, no copies).
            self.reserve(need);
            let (head, tail) = bytes.split_at(need.min(bytes.len()));
            self.partial.extend_from_slice(head);
            *bytes = tail;
            if head.len() < need {
                return Ok(None);
            }
            let start = if buf.is_empty() {
                std::mem::swap(buf, &mut self.partial);
                HEADER_LEN
            } else {
                let start = buf.len();
                buf.extend_from_slice(self.partial.get(HEADER_LEN..).unwrap_or_default());
                start
            };
            self.partial.clear();
            let head = RecordHead {
                content_type,
                version,
                packet,
            };
            return Ok(Some((head, start)));
        }
        // A whole record straight from the chunk, or the start of one to keep (with room
        // for the whole record).
        if let Some((content_type, version, len)) = parse_header(bytes, packet)? {
            if let Some(payload) = bytes.get(HEADER_LEN..HEADER_LEN + len) {
                let start = buf.len();
                buf.extend_from_slice(payload);
                *bytes = bytes.get(HEADER_LEN + len..).unwrap_or_default();
                let head = RecordHead {
                    content_type,
                    version,
                    packet,
                };
                return Ok(Some((head, start)));
            }
            self.reserve(HEADER_LEN + len);
        }
        self.partial.extend_from_slice(bytes);
        *bytes = &[];
        Ok(None)
    }

    /// Whether part of a record is waiting for more bytes.
    #[cfg(any(test, feature = "internals"))]
    pub fn has_partial(&self) -> bool {
        !self.partial.is_empty()
    }

    /// Forgets a partial record.
    pub fn clear(&mut self) {
        spare::give(std::mem::take(&mut self.partial));
    }

    /// Room for `more` bytes in the partial record, from a kept buffer when it has none.
    fn reserve(&mut self, more: usize) {
        if self.partial.capacity() == 0 {
            self.partial = spare::take(more);
        } else {
            self.partial.reserve(more);
        }
    }
}

impl Drop for Framer {
    fn drop(&mut self) {
        self.clear();
    }
}

/// Why a record did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// Authentication failed (AEAD tag, HMAC or CBC padding): the key does not fit.
    Auth,
    /// Too short for the cipher, or (TLS 1.3) all padding: not a record this cipher made.
    Malformed,
}

/// An AEAD key (ring: AES-GCM and ChaCha20-Poly1305; see the module header for why).
struct Aead(ring::aead::LessSafeKey);

enum MacKey {
    Sha1(Box<Hmac<Sha1>>),
    Sha256(Box<Hmac<Sha256>>),
    Sha384(Box<Hmac<Sha384>>),
}

impl MacKey {
    fn new(alg: HashAlg, key: &[u8]) -> Option<MacKey> {
        Some(match alg {
            HashAlg::Sha1 => MacKey::Sha1(Box::new(<Hmac<_> as Mac>::new_from_slice(key).ok()?)),
            HashAlg::Sha256 => {
                MacKey::Sha256(Box::new(<Hmac<_> as Mac>::new_from_slice(key).ok()?))
            }
            HashAlg::Sha384 => {
                MacKey::Sha384(Box::new(<Hmac<_> as Mac>::new_from_slice(key).ok()?))
            }
        })
    }

    fn len(&self) -> usize {
        match self {
            MacKey::Sha1(_) => 20,
            MacKey::Sha256(_) => 32,
            MacKey::Sha384(_) => 48,
        }
    }

    /// Whether `tag` is the MAC of the concatenated `parts`.
    fn verify(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
        fn run<M: Mac + Clone>(m: &M, parts: &[&[u8]], tag: &[u8]) -> bool {
            let mut m = m.clone();
            for p in parts {
                m.update(p);
            }
            m.verify_slice(tag).is_ok()
        }
        match self {
            MacKey::Sha1(m) => run(m.as_ref(), parts, tag),
            MacKey::Sha256(m) => run(m.as_ref(), parts, tag),
            MacKey::Sha384(m) => run(m.as_ref(), parts, tag),
        }
    }

    #[cfg(test)]
    fn compute(&self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<M: Mac + Clone>(m: &M, parts: &[&[u8]]) -> Vec<u8> {
            let mut m = m.clone();
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        }
        match self {
            MacKey::Sha1(m) => run(m.as_ref(), parts),
            MacKey::Sha256(m) => run(m.as_ref(), parts),
            MacKey::Sha384(m) => run(m.as_ref(), parts),
        }
    }
}

enum Protection {
    /// TLS 1.3 AEAD with a 12-byte IV.
    Tls13 { aead: Aead, iv: [u8; 12] },
    /// TLS 1.2 AES-GCM: 4-byte salt + 8-byte explicit nonce per record.
    Tls12Gcm { aead: Aead, salt: [u8; 4] },
    /// TLS 1.2 ChaCha20-Poly1305: IV xor seq.
    Tls12ChaCha { aead: Aead, iv: [u8; 12] },
    /// TLS 1.2 AES-CBC + HMAC.
    Tls12Cbc {
        key: Vec<u8>,
        mac: MacKey,
        encrypt_then_mac: bool,
    },
}

/// One direction's record protection under one key, with its sequence number.
pub struct RecordCipher {
    protection: Protection,
    seq: u64,
}

impl fmt::Debug for RecordCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.protection {
            Protection::Tls13 { .. } => "TLS 1.3 AEAD",
            Protection::Tls12Gcm { .. } => "TLS 1.2 AES-GCM",
            Protection::Tls12ChaCha { .. } => "TLS 1.2 ChaCha20-Poly1305",
            Protection::Tls12Cbc { .. } => "TLS 1.2 AES-CBC",
        };
        write!(f, "RecordCipher({kind}, seq {}, keys redacted)", self.seq)
    }
}

impl Drop for RecordCipher {
    fn drop(&mut self) {
        if let Protection::Tls12Cbc { key, .. } = &mut self.protection {
            key.fill(0);
            std::hint::black_box(key);
        }
    }
}

fn make_aead(alg: AeadAlg, key: &[u8]) -> Option<Aead> {
    let alg = match alg {
        AeadAlg::Aes128Gcm => &ring::aead::AES_128_GCM,
        AeadAlg::Aes256Gcm => &ring::aead::AES_256_GCM,
        AeadAlg::ChaCha20Poly1305 => &ring::aead::CHACHA20_POLY1305,
    };
    let key = ring::aead::UnboundKey::new(alg, key).ok()?;
    Some(Aead(ring::aead::LessSafeKey::new(key)))
}

impl Aead {
    fn open(
        &self,
        nonce: [u8; 12],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8],
    ) -> Result<(), OpenError> {
        let tag = ring::aead::Tag::try_from(tag).map_err(|_| OpenError::Malformed)?;
        self.0
            .open_in_place_separate_tag(
                ring::aead::Nonce::assume_unique_for_key(nonce),
                ring::aead::Aad::from(aad),
                tag,
                buf,
                0..,
            )
            .map(|_| ())
            .map_err(|_| OpenError::Auth)
    }

    #[cfg(test)]
    fn seal(&self, nonce: [u8; 12], aad: &[u8], buf: &mut [u8]) -> Vec<u8> {
        let tag = self
            .0
            .seal_in_place_separate_tag(
                ring::aead::Nonce::assume_unique_for_key(nonce),
                ring::aead::Aad::from(aad),
                buf,
            )
            .unwrap();
        tag.as_ref().to_vec()
    }
}

fn xor_seq(iv: &[u8; 12], seq: u64) -> [u8; 12] {
    let mut nonce = *iv;
    for (n, s) in nonce.iter_mut().skip(4).zip(seq.to_be_bytes()) {
        *n ^= s;
    }
    nonce
}

/// TLS 1.2 additional data / MAC header: seq || type || version || length.
fn tls12_header(seq: u64, ty: u8, version: u16, len: usize) -> [u8; 13] {
    let mut h = [0u8; 13];
    let len = u16::try_from(len).unwrap_or(u16::MAX);
    for (d, s) in h.iter_mut().zip(
        seq.to_be_bytes()
            .into_iter()
            .chain([ty])
            .chain(version.to_be_bytes())
            .chain(len.to_be_bytes()),
    ) {
        *d = s;
    }
    h
}

/// Removes CBC padding (RFC 5246 §6.2.3.2): the last byte `p` and the `p` bytes before it
/// must all equal `p`. Returns the length without padding.
fn cbc_unpad(plain: &[u8]) -> Option<usize> {
    let &pad = plain.last()?;
    let cut = plain.len().checked_sub(usize::from(pad) + 1)?;
    plain.get(cut..)?.iter().all(|&b| b == pad).then_some(cut)
}

fn cbc_decrypt(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<(), OpenError> {
    let done = match key.len() {
        16 => cbc::Decryptor::<Aes128>::new_from_slices(key, iv)
            .map_err(|_| OpenError::Malformed)?
            .decrypt_padded_mut::<NoPadding>(buf)
            .is_ok(),
        32 => cbc::Decryptor::<Aes256>::new_from_slices(key, iv)
            .map_err(|_| OpenError::Malformed)?
            .decrypt_padded_mut::<NoPadding>(buf)
            .is_ok(),
        _ => false,
    };
    if done {
        Ok(())
    } else {
        Err(OpenError::Malformed)
    }
}

impl RecordCipher {
    /// TLS 1.3 protection for `suite` from `keys` (RFC 8446 §7.3).
    pub fn tls13(suite: &Suite, keys: &TrafficKeys) -> Option<RecordCipher> {
        let Bulk::Aead(alg) = suite.bulk else {
            return None;
        };
        Some(RecordCipher {
            protection: Protection::Tls13 {
                aead: make_aead(alg, &keys.key)?,
                iv: keys.iv.as_slice().try_into().ok()?,
            },
            seq: 0,
        })
    }

    /// TLS 1.2 protection for `suite` from one direction's share of the key block.
    /// `encrypt_then_mac` applies to CBC suites only (RFC 7366: both hellos carried it).
    pub fn tls12(
        suite: &Suite,
        keys: &TrafficKeys,
        encrypt_then_mac: bool,
    ) -> Option<RecordCipher> {
        let protection = match suite.bulk {
            Bulk::Aead(AeadAlg::ChaCha20Poly1305) => Protection::Tls12ChaCha {
                aead: make_aead(AeadAlg::ChaCha20Poly1305, &keys.key)?,
                iv: keys.iv.as_slice().try_into().ok()?,
            },
            Bulk::Aead(alg) => Protection::Tls12Gcm {
                aead: make_aead(alg, &keys.key)?,
                salt: keys.iv.as_slice().try_into().ok()?,
            },
            Bulk::Cbc { key_len, mac } => {
                if keys.key.len() != key_len {
                    return None;
                }
                Protection::Tls12Cbc {
                    key: keys.key.clone(),
                    mac: MacKey::new(mac, &keys.mac_key)?,
                    encrypt_then_mac,
                }
            }
        };
        Some(RecordCipher { protection, seq: 0 })
    }

    /// Records opened so far (the next sequence number).
    #[cfg(any(test, feature = "internals"))]
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Decrypts a record's `payload` in place (`head`: its header fields). On success:
    /// the real content type (TLS 1.3: the inner type; TLS 1.2: the header's) and where
    /// the plaintext is in `payload`. On failure the payload is left unusable and the
    /// sequence number is unchanged.
    pub fn open(
        &mut self,
        head: RecordHead,
        payload: &mut [u8],
    ) -> Result<(u8, Range<usize>), OpenError> {
        let r = self.open_inner(head, payload)?;
        self.seq = self.seq.wrapping_add(1);
        Ok(r)
    }

    /// [`RecordCipher::open`] of a whole [`Record`], whose payload becomes the plaintext.
    #[cfg(any(test, feature = "internals"))]
    pub fn open_record(&mut self, record: &mut Record) -> Result<u8, OpenError> {
        let (ty, plain) = self.open(record.head(), &mut record.payload)?;
        record.payload.truncate(plain.end);
        record.payload.drain(..plain.start);
        Ok(ty)
    }

    fn open_inner(
        &self,
        head: RecordHead,
        payload: &mut [u8],
    ) -> Result<(u8, Range<usize>), OpenError> {
        let seq = self.seq;
        match &self.protection {
            Protection::Tls13 { aead, iv } => {
                let header = head.header(payload.len());
                let ct_len = payload
                    .len()
                    .checked_sub(TAG_LEN)
                    .ok_or(OpenError::Malformed)?;
                let (ct, tag) = payload.split_at_mut(ct_len);
                aead.open(xor_seq(iv, seq), &header, ct, tag)?;
                // Inner plaintext: content || type || zeros (RFC 8446 §5.2).
                let end = ct
                    .iter()
                    .rposition(|&b| b != 0)
                    .ok_or(OpenError::Malformed)?;
                let ty = ct.get(end).copied().ok_or(OpenError::Malformed)?;
                Ok((ty, 0..end))
            }
            Protection::Tls12Gcm { aead, salt } => {
                let plain_len = payload
                    .len()
                    .checked_sub(8 + TAG_LEN)
                    .ok_or(OpenError::Malformed)?;
                let mut nonce = [0u8; 12];
                for (n, b) in nonce.iter_mut().zip(salt.iter().chain(payload.iter())) {
                    *n = *b;
                }
                let aad = tls12_header(seq, head.content_type, head.version, plain_len);
                let body = payload.get_mut(8..).ok_or(OpenError::Malformed)?;
                let (ct, tag) = body.split_at_mut(plain_len);
                aead.open(nonce, &aad, ct, tag)?;
                Ok((head.content_type, 8..8 + plain_len))
            }
            Protection::Tls12ChaCha { aead, iv } => {
                let plain_len = payload
                    .len()
                    .checked_sub(TAG_LEN)
                    .ok_or(OpenError::Malformed)?;
                let aad = tls12_header(seq, head.content_type, head.version, plain_len);
                let (ct, tag) = payload.split_at_mut(plain_len);
                aead.open(xor_seq(iv, seq), &aad, ct, tag)?;
                Ok((head.content_type, 0..plain_len))
            }
            Protection::Tls12Cbc {
                key,
                mac,
                encrypt_then_mac,
            } => {
                let mac_len = mac.len();
                if *encrypt_then_mac {
                    // IV || ciphertext || MAC(seq || header(len of IV+ct) || IV || ct).
                    let enc_len = payload
                        .len()
                        .checked_sub(mac_len)
                        .ok_or(OpenError::Malformed)?;
                    if enc_len < 32 || !enc_len.is_multiple_of(16) {
                        return Err(OpenError::Malformed);
                    }
                    let (enc, tag) = payload.split_at_mut(enc_len);
                    let h = tls12_header(seq, head.content_type, head.version, enc_len);
                    if !mac.verify(&[&h, enc], tag) {
                        return Err(OpenError::Auth);
                    }
                    let (iv, ct) = enc.split_at_mut(16);
                    cbc_decrypt(key, iv, ct)?;
                    let len = cbc_unpad(ct).ok_or(OpenError::Malformed)?;
                    Ok((head.content_type, 16..16 + len))
                } else {
                    // IV || E(content || MAC(seq || header || content) || padding).
                    if payload.len() < 32 || !payload.len().is_multiple_of(16) {
                        return Err(OpenError::Malformed);
                    }
                    let (iv, ct) = payload.split_at_mut(16);
                    cbc_decrypt(key, iv, ct)?;
                    // A wrong key shows as bad padding or a bad MAC: both are Auth.
                    let unpadded = cbc_unpad(ct).ok_or(OpenError::Auth)?;
                    let len = unpadded.checked_sub(mac_len).ok_or(OpenError::Auth)?;
                    let (content, rest) = ct.split_at(len);
                    let tag = rest.get(..mac_len).ok_or(OpenError::Auth)?;
                    let h = tls12_header(seq, head.content_type, head.version, len);
                    if !mac.verify(&[&h, content], tag) {
                        return Err(OpenError::Auth);
                    }
                    Ok((head.content_type, 16..16 + len))
                }
            }
        }
    }

    /// Test-only inverse of [`RecordCipher::open`]: protects `plain` as content type `ty`
    /// and returns the record bytes (header included). CBC uses `cbc_iv` as explicit IV.
    #[cfg(test)]
    pub(crate) fn seal(&mut self, ty: u8, plain: &[u8], cbc_iv: [u8; 16]) -> Vec<u8> {
        use cbc::cipher::BlockEncryptMut;
        let seq = self.seq;
        self.seq += 1;
        let frame = |outer: u8, body: Vec<u8>| {
            let mut r = vec![outer, 3, 3];
            r.extend_from_slice(&(body.len() as u16).to_be_bytes());
            r.extend_from_slice(&body);
            r
        };
        match &self.protection {
            Protection::Tls13 { aead, iv } => {
                let mut body = plain.to_vec();
                body.push(ty);
                body.extend_from_slice(&[0, 0, 0]); // some padding
                let len = (body.len() + TAG_LEN) as u16;
                let mut header = vec![content::APPLICATION_DATA, 3, 3];
                header.extend_from_slice(&len.to_be_bytes());
                let tag = aead.seal(xor_seq(iv, seq), &header, &mut body);
                body.extend_from_slice(&tag);
                frame(content::APPLICATION_DATA, body)
            }
            Protection::Tls12Gcm { aead, salt } => {
                let explicit = seq.wrapping_mul(0x9e37_79b9).to_be_bytes();
                let mut nonce = [0u8; 12];
                nonce[..4].copy_from_slice(salt);
                nonce[4..].copy_from_slice(&explicit);
                let aad = tls12_header(seq, ty, 0x0303, plain.len());
                let mut ct = plain.to_vec();
                let tag = aead.seal(nonce, &aad, &mut ct);
                frame(ty, [explicit.to_vec(), ct, tag].concat())
            }
            Protection::Tls12ChaCha { aead, iv } => {
                let aad = tls12_header(seq, ty, 0x0303, plain.len());
                let mut ct = plain.to_vec();
                let tag = aead.seal(xor_seq(iv, seq), &aad, &mut ct);
                frame(ty, [ct, tag].concat())
            }
            Protection::Tls12Cbc {
                key,
                mac,
                encrypt_then_mac,
            } => {
                let pad = |mut v: Vec<u8>| {
                    let p = 15 - (v.len() % 16);
                    v.extend(std::iter::repeat_n(p as u8, p + 1));
                    v
                };
                let encrypt = |mut v: Vec<u8>| {
                    let n = v.len();
                    if key.len() == 16 {
                        cbc::Encryptor::<Aes128>::new_from_slices(key, &cbc_iv)
                            .unwrap()
                            .encrypt_padded_mut::<NoPadding>(&mut v, n)
                            .unwrap();
                    } else {
                        cbc::Encryptor::<Aes256>::new_from_slices(key, &cbc_iv)
                            .unwrap()
                            .encrypt_padded_mut::<NoPadding>(&mut v, n)
                            .unwrap();
                    }
                    [cbc_iv.to_vec(), v].concat()
                };
                if *encrypt_then_mac {
                    let enc = encrypt(pad(plain.to_vec()));
                    let h = tls12_header(seq, ty, 0x0303, enc.len());
                    let tag = mac.compute(&[&h, &enc]);
                    frame(ty, [enc, tag].concat())
                } else {
                    let h = tls12_header(seq, ty, 0x0303, plain.len());
                    let tag = mac.compute(&[&h, plain]);
                    frame(ty, encrypt(pad([plain.to_vec(), tag].concat())))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::keys::{suite, tls12_keys, tls13_traffic_keys};
    use super::*;

    /// Frames `stream` cut at `cuts` (chunk i carried by packet i + 1). `reuse`: the
    /// caller's buffer is emptied after each record (a spanning record's own buffer is
    /// handed over), else it keeps everything (spanning records are copied after it).
    fn frame_with(stream: &[u8], cuts: &[usize], reuse: bool) -> Result<Vec<Record>, FrameError> {
        let mut f = Framer::default();
        let mut out = Vec::new();
        let mut buf = if reuse { Vec::new() } else { vec![0xee] };
        let mut start = 0;
        for (i, &cut) in cuts.iter().chain([stream.len()].iter()).enumerate() {
            let mut bytes = &stream[start..cut];
            while let Some((head, at)) = f.next(&mut bytes, i as u64 + 1, &mut buf)? {
                out.push(Record {
                    content_type: head.content_type,
                    version: head.version,
                    payload: buf[at..].to_vec(),
                    packet: head.packet,
                });
                if reuse {
                    buf.clear();
                }
            }
            assert!(bytes.is_empty());
            start = cut;
        }
        if !reuse {
            // What was in the buffer before stays, and the payloads follow one another.
            assert_eq!(buf[0], 0xee);
            assert_eq!(
                buf.len(),
                1 + out.iter().map(|r| r.payload.len()).sum::<usize>()
            );
        }
        Ok(out)
    }

    fn frame_all(stream: &[u8], cuts: &[usize]) -> Result<Vec<Record>, FrameError> {
        let reused = frame_with(stream, cuts, true);
        assert_eq!(reused, frame_with(stream, cuts, false));
        reused
    }

    fn rec(ty: u8, payload: &[u8]) -> Vec<u8> {
        let mut r = vec![ty, 3, 3];
        r.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        r.extend_from_slice(payload);
        r
    }

    #[test]
    fn framing_at_every_split_and_completing_packet() {
        let stream = [rec(22, &[1; 10]), rec(23, &[2; 300]), rec(21, &[1, 0])].concat();
        // One chunk: all three records, packet 1.
        let all = frame_all(&stream, &[]).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[1].payload, vec![2; 300]);
        assert!(all.iter().all(|r| r.packet == 1));
        for a in 0..stream.len() {
            for b in [a, (a + 1).min(stream.len()), (a + 157).min(stream.len())] {
                let got = frame_all(&stream, &[a, b]).unwrap();
                assert_eq!(
                    got.iter()
                        .map(|r| (r.content_type, r.payload.clone()))
                        .collect::<Vec<_>>(),
                    all.iter()
                        .map(|r| (r.content_type, r.payload.clone()))
                        .collect::<Vec<_>>()
                );
                // The packet that completed each record: chunk 1 is [0,a), 2 is [a,b), 3 the rest.
                let ends = [15usize, 15 + 305, stream.len()];
                for (r, end) in got.iter().zip(ends) {
                    let want = if end <= a {
                        1
                    } else if end <= b {
                        2
                    } else {
                        3
                    };
                    assert_eq!(r.packet, want, "a={a} b={b} end={end}");
                }
            }
        }
        // One byte at a time.
        let cuts: Vec<usize> = (1..stream.len()).collect();
        let got = frame_all(&stream, &cuts).unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[2].packet, stream.len() as u64);
    }

    #[test]
    fn framing_rejects_long_and_non_tls() {
        let mut long = vec![23, 3, 3];
        long.extend_from_slice(&((MAX_RECORD + 1) as u16).to_be_bytes());
        assert_eq!(
            frame_all(&long, &[2]),
            Err(FrameError::TooLong {
                len: MAX_RECORD + 1,
                packet: 2
            })
        );
        let mut max = vec![23, 3, 3];
        max.extend_from_slice(&(MAX_RECORD as u16).to_be_bytes());
        max.extend(vec![0; MAX_RECORD]);
        assert_eq!(frame_all(&max, &[]).unwrap().len(), 1);
        assert_eq!(
            frame_all(b"GET / HTTP/1.1\r\n", &[]),
            Err(FrameError::NotTls { packet: 1 })
        );
        assert_eq!(
            frame_all(&[22, 2, 0, 0, 1, 0], &[]),
            Err(FrameError::NotTls { packet: 1 })
        );
        assert!(FrameError::TooLong { len: 1, packet: 2 }
            .to_string()
            .contains("packet 2"));
    }

    fn roundtrip(mut sealer: RecordCipher, mut opener: RecordCipher) {
        let messages: [(u8, &[u8]); 4] = [
            (22, b"\x14\x00\x00\x0cfinished...."),
            (23, b"GET /chat HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"),
            (23, &[0x88, 0x02, 0x03, 0xe8]),
            (21, &[1, 0]),
        ];
        let mut stream = Vec::new();
        for (i, (ty, m)) in messages.iter().enumerate() {
            stream.extend(sealer.seal(*ty, m, [i as u8; 16]));
        }
        let records = frame_all(&stream, &[3, 50]).unwrap();
        assert_eq!(records.len(), 4);
        for (mut r, (ty, m)) in records.into_iter().zip(messages) {
            assert_eq!(opener.open_record(&mut r), Ok(ty));
            assert_eq!(r.payload, m);
        }
        assert_eq!(opener.seq(), 4);
        // The next record under a wrong sequence number fails and leaves seq alone.
        sealer.seq += 1;
        let mut bad = frame_all(&sealer.seal(23, b"x", [9; 16]), &[])
            .unwrap()
            .remove(0);
        assert_eq!(opener.open_record(&mut bad), Err(OpenError::Auth));
        assert_eq!(opener.seq(), 4);
    }

    #[test]
    fn tls13_round_trip_every_suite() {
        for (id, len) in [(0x1301, 32), (0x1302, 48), (0x1303, 32)] {
            let s = suite(id).unwrap();
            let keys = tls13_traffic_keys(s, &vec![5; len]).unwrap();
            roundtrip(
                RecordCipher::tls13(s, &keys).unwrap(),
                RecordCipher::tls13(s, &keys).unwrap(),
            );
        }
    }

    #[test]
    fn tls12_round_trip_aead_and_cbc() {
        for id in [
            0xc02f, 0xc030, 0xcca8, 0x002f, 0x0035, 0xc013, 0xc014, 0x003c, 0x003d, 0xc027, 0xc028,
        ] {
            let s = suite(id).unwrap();
            let k = tls12_keys(s, &[7; 48], &[1; 32], &[2; 32]).unwrap();
            for etm in [false, true] {
                roundtrip(
                    RecordCipher::tls12(s, &k.client, etm).unwrap(),
                    RecordCipher::tls12(s, &k.client, etm).unwrap(),
                );
            }
            // The other direction's keys do not open these records.
            let mut sealer = RecordCipher::tls12(s, &k.client, false).unwrap();
            let mut opener = RecordCipher::tls12(s, &k.server, false).unwrap();
            let mut r = frame_all(&sealer.seal(23, b"hello", [3; 16]), &[])
                .unwrap()
                .remove(0);
            assert_eq!(opener.open_record(&mut r), Err(OpenError::Auth), "{id:04x}");
        }
    }

    /// A CBC record built independently with the `cbc` and `hmac` crates (RFC 5246
    /// §6.2.3.2 layout), not with `seal`.
    #[test]
    fn tls12_cbc_sha256_record_built_by_hand() {
        use cbc::cipher::BlockEncryptMut;
        let mac_key = [0x11u8; 32];
        let enc_key = [0x22u8; 16];
        let iv = [0x33u8; 16];
        let content = b"\x81\x05hello";
        // MAC over seq(0) || type 23 || 0x0303 || len || content.
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&mac_key).unwrap();
        m.update(&[0, 0, 0, 0, 0, 0, 0, 0, 23, 3, 3, 0, content.len() as u8]);
        m.update(content);
        let tag = m.finalize().into_bytes();
        let mut plain = [content.as_slice(), &tag].concat();
        let pad = 15 - plain.len() % 16;
        plain.extend(std::iter::repeat_n(pad as u8, pad + 1));
        let n = plain.len();
        cbc::Encryptor::<Aes128>::new_from_slices(&enc_key, &iv)
            .unwrap()
            .encrypt_padded_mut::<NoPadding>(&mut plain, n)
            .unwrap();
        let mut record = Record {
            content_type: 23,
            version: 0x0303,
            payload: [iv.as_slice(), &plain].concat(),
            packet: 9,
        };
        let keys = TrafficKeys {
            mac_key: mac_key.to_vec(),
            key: enc_key.to_vec(),
            iv: Vec::new(),
        };
        let s = suite(0x003c).unwrap(); // TLS_RSA_WITH_AES_128_CBC_SHA256
        let mut c = RecordCipher::tls12(s, &keys, false).unwrap();
        let mut copy = record.clone();
        assert_eq!(c.open_record(&mut record), Ok(23));
        assert_eq!(record.payload, content);
        // A flipped ciphertext bit breaks the MAC or the padding: Auth either way.
        let last = copy.payload.len() - 20;
        copy.payload[last] ^= 1;
        let mut c = RecordCipher::tls12(s, &keys, false).unwrap();
        assert_eq!(c.open_record(&mut copy), Err(OpenError::Auth));
    }

    #[test]
    fn a_failed_open_keeps_the_sequence_number() {
        for id in [0x1301, 0x1303] {
            let s = suite(id).unwrap();
            let k1 = tls13_traffic_keys(s, &[1; 32]).unwrap();
            let k2 = tls13_traffic_keys(s, &[2; 32]).unwrap();
            let mut sealer = RecordCipher::tls13(s, &k1).unwrap();
            let r = frame_all(&sealer.seal(23, b"payload", [0; 16]), &[])
                .unwrap()
                .remove(0);
            let mut wrong = RecordCipher::tls13(s, &k2).unwrap();
            assert_eq!(wrong.open_record(&mut r.clone()), Err(OpenError::Auth));
            assert_eq!(wrong.seq(), 0);
            let mut right = RecordCipher::tls13(s, &k1).unwrap();
            let mut r = r.clone();
            assert_eq!(right.open_record(&mut r), Ok(23));
            assert_eq!(r.payload, b"payload");
            assert_eq!(right.seq(), 1);
        }
    }

    #[test]
    fn short_and_hostile_records_do_not_panic() {
        let s13 = suite(0x1301).unwrap();
        let k13 = tls13_traffic_keys(s13, &[1; 32]).unwrap();
        let mut ciphers = vec![RecordCipher::tls13(s13, &k13).unwrap()];
        for id in [0xc02f, 0xcca8, 0xc013, 0xc028] {
            let s = suite(id).unwrap();
            let k = tls12_keys(s, &[7; 48], &[1; 32], &[2; 32]).unwrap();
            ciphers.push(RecordCipher::tls12(s, &k.client, false).unwrap());
            ciphers.push(RecordCipher::tls12(s, &k.client, true).unwrap());
        }
        for c in &mut ciphers {
            for len in [0usize, 1, 15, 16, 17, 23, 24, 31, 32, 33, 48, 64, 100] {
                let mut r = Record {
                    content_type: 23,
                    version: 0x0303,
                    payload: vec![0xa5; len],
                    packet: 1,
                };
                assert!(c.open_record(&mut r).is_err(), "{c:?} len {len}");
            }
            assert_eq!(c.seq(), 0);
        }
        // TLS 1.3 record that authenticates but is all padding: Malformed.
        let mut sealer = RecordCipher::tls13(s13, &k13).unwrap();
        let mut body = vec![0u8; 4];
        let header = [23, 3, 3, 0, 20];
        let Protection::Tls13 { aead, iv } = &sealer.protection else {
            unreachable!()
        };
        let tag = aead.seal(xor_seq(iv, 0), &header, &mut body);
        body.extend(tag);
        let mut r = Record {
            content_type: 23,
            version: 0x0303,
            payload: body,
            packet: 1,
        };
        sealer.seq = 0;
        let mut opener = RecordCipher::tls13(s13, &k13).unwrap();
        assert_eq!(opener.open_record(&mut r), Err(OpenError::Malformed));
    }

    /// A framer's gathered record buffer outlives the framer on its thread: the next
    /// connection's framer gathers its record in it (same allocation), and a buffer far
    /// larger than a record is not kept.
    #[test]
    fn record_buffers_are_kept_for_the_next_connection() {
        let header = [content::APPLICATION_DATA, 3, 3, 0x40, 0x00]; // 16 KiB record
        let start = spare::kept();
        let mut a = Framer::default();
        let mut buf = Vec::new();
        let mut bytes = &header[..];
        assert_eq!(a.next(&mut bytes, 1, &mut buf), Ok(None));
        let ptr = a.partial.as_ptr();
        drop(a);
        assert_eq!(spare::kept(), start + 1);
        let mut b = Framer::default();
        let mut bytes = &header[..];
        assert_eq!(b.next(&mut bytes, 2, &mut buf), Ok(None));
        assert_eq!(b.partial.as_ptr(), ptr, "the kept buffer, not a new one");
        assert_eq!(spare::kept(), start);
        let body = vec![7u8; 0x4000];
        let mut bytes = &body[..];
        let (head, at) = b.next(&mut bytes, 3, &mut buf).expect("frames").expect("whole");
        assert_eq!((head.packet, buf.get(at..).map(<[u8]>::len)), (3, Some(0x4000)));
        spare::give(vec![0; 1 << 20]);
        assert_eq!(spare::kept(), start, "a megabyte buffer is freed, not kept");
    }
}
