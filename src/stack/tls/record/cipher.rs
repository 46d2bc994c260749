//! One direction's record protection under one key, and its sequence number.
//!
//! In: a record's head and payload, once the session knows the direction's keys. Out: the
//! real content type and where the plaintext is in the payload, decrypted in place (nothing
//! moved or allocated per record), or [`OpenError`].
//!
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

use super::aead::{make_aead, xor_seq, Aead};
use super::cbc_hmac::{cbc_decrypt, cbc_unpad, MacKey};
#[cfg(test)]
use super::content;
use super::keys::{AeadAlg, Bulk, Suite, TrafficKeys};
pub use super::open::OpenError;
use super::Record;
use super::RecordHead;
use std::fmt;
use std::ops::Range;

const TAG_LEN: usize = 16;

pub(super) enum Protection {
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
    pub(super) protection: Protection,
    pub(super) seq: u64,
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

impl RecordCipher {
    /// Bytes a boxed cipher takes on the heap: the box, and a CBC suite's key and HMAC
    /// state.
    pub fn heap_bytes(&self) -> usize {
        let inner = match &self.protection {
            Protection::Tls12Cbc { key, mac, .. } => key.capacity() + mac.heap_bytes(),
            _ => 0,
        };
        std::mem::size_of::<RecordCipher>() + inner
    }

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
                    key: keys.key.to_vec(),
                    mac: MacKey::new(mac, &keys.mac_key)?,
                    encrypt_then_mac,
                }
            }
        };
        Some(RecordCipher { protection, seq: 0 })
    }

    /// Records opened so far (the next sequence number).
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
        use aes::{Aes128, Aes256};
        use cbc::cipher::block_padding::NoPadding;
        use cbc::cipher::{BlockEncryptMut, KeyIvInit};
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
