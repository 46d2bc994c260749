//! Cipher suites and key schedules: from a logged secret to record keys.
//!
//! In: a cipher suite number and the secrets of a key log (a TLS 1.3 traffic secret, or a
//! TLS 1.2 master secret with both randoms). Out: per-direction write keys and IVs
//! ([`TrafficKeys`], [`Tls12Keys`]), held inline (no allocation) and zeroed when dropped,
//! never printed (`Debug` is redacted).
//!
//! - TLS 1.3 (RFC 8446 §7.1 HKDF-Expand-Label, §7.2 "traffic upd" for KeyUpdate, §7.3
//!   traffic keys: `key = Expand-Label(secret, "key", "", key_len)`,
//!   `iv = Expand-Label(secret, "iv", "", 12)`).
//! - TLS 1.2 (RFC 5246 §5 PRF with P_SHA256 or P_SHA384 by suite, §6.3 key_block from
//!   "key expansion" + server_random + client_random, split into MAC keys, encryption keys
//!   and implicit IVs: 4-byte salt for AES-GCM (RFC 5288 §3), 12-byte IV for ChaCha20-Poly1305
//!   (RFC 7905 §2), none for CBC, whose IV is explicit in each record (RFC 5246 §6.2.3.2)).
//!
//! Hashes and HMAC come from RustCrypto (`sha1`, `sha2`, `hmac`, `hkdf`): nothing here is a
//! hand-written primitive.

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha384};
use std::fmt;

/// A hash used by a suite (PRF/HKDF, or the record MAC of a CBC suite).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    Sha1,
    Sha256,
    Sha384,
}

impl HashAlg {
    pub fn output_len(self) -> usize {
        match self {
            HashAlg::Sha1 => 20,
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
        }
    }
}

/// An AEAD record cipher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AeadAlg {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl AeadAlg {
    pub fn key_len(self) -> usize {
        match self {
            AeadAlg::Aes128Gcm => 16,
            AeadAlg::Aes256Gcm | AeadAlg::ChaCha20Poly1305 => 32,
        }
    }
}

/// How a suite protects records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bulk {
    Aead(AeadAlg),
    /// AES-CBC (key 16 or 32 bytes) with an HMAC (RFC 5246 §6.2.3.2).
    Cbc {
        key_len: usize,
        mac: HashAlg,
    },
}

/// A cipher suite this module can decrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suite {
    pub id: u16,
    pub name: &'static str,
    /// A TLS 1.3 suite (0x13xx); otherwise a TLS 1.2 one.
    pub tls13: bool,
    pub bulk: Bulk,
    /// The PRF hash (TLS 1.2) or HKDF hash (TLS 1.3).
    pub hash: HashAlg,
}

const fn s13(id: u16, name: &'static str, aead: AeadAlg, hash: HashAlg) -> Suite {
    Suite {
        id,
        name,
        tls13: true,
        bulk: Bulk::Aead(aead),
        hash,
    }
}

const fn aead12(id: u16, name: &'static str, aead: AeadAlg, hash: HashAlg) -> Suite {
    Suite {
        id,
        name,
        tls13: false,
        bulk: Bulk::Aead(aead),
        hash,
    }
}

const fn cbc12(id: u16, name: &'static str, key_len: usize, mac: HashAlg) -> Suite {
    Suite {
        id,
        name,
        tls13: false,
        bulk: Bulk::Cbc { key_len, mac },
        // RFC 5246 §5: SHA-256 unless the suite says otherwise (the SHA384 suites).
        hash: match mac {
            HashAlg::Sha384 => HashAlg::Sha384,
            _ => HashAlg::Sha256,
        },
    }
}

use AeadAlg::{Aes128Gcm, Aes256Gcm, ChaCha20Poly1305};
use HashAlg::{Sha1, Sha256 as H256, Sha384 as H384};

/// Every suite decrypted here.
pub const SUITES: &[Suite] = &[
    s13(0x1301, "TLS_AES_128_GCM_SHA256", Aes128Gcm, H256),
    s13(0x1302, "TLS_AES_256_GCM_SHA384", Aes256Gcm, H384),
    s13(
        0x1303,
        "TLS_CHACHA20_POLY1305_SHA256",
        ChaCha20Poly1305,
        H256,
    ),
    // TLS 1.2 AES-GCM (RFC 5288, RFC 5289).
    aead12(0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256", Aes128Gcm, H256),
    aead12(0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384", Aes256Gcm, H384),
    aead12(
        0x009e,
        "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        Aes128Gcm,
        H256,
    ),
    aead12(
        0x009f,
        "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        Aes256Gcm,
        H384,
    ),
    aead12(
        0xc02b,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        Aes128Gcm,
        H256,
    ),
    aead12(
        0xc02c,
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        Aes256Gcm,
        H384,
    ),
    aead12(
        0xc02f,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        Aes128Gcm,
        H256,
    ),
    aead12(
        0xc030,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        Aes256Gcm,
        H384,
    ),
    // TLS 1.2 ChaCha20-Poly1305 (RFC 7905).
    aead12(
        0xcca8,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        ChaCha20Poly1305,
        H256,
    ),
    aead12(
        0xcca9,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        ChaCha20Poly1305,
        H256,
    ),
    aead12(
        0xccaa,
        "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        ChaCha20Poly1305,
        H256,
    ),
    // TLS 1.2 AES-CBC with HMAC (RFC 5246, RFC 4492, RFC 5289).
    cbc12(0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA", 16, Sha1),
    cbc12(0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", 16, Sha1),
    cbc12(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", 32, Sha1),
    cbc12(0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", 32, Sha1),
    cbc12(0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256", 16, H256),
    cbc12(0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256", 32, H256),
    cbc12(0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", 16, H256),
    cbc12(0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", 32, H256),
    cbc12(0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 16, Sha1),
    cbc12(0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 32, Sha1),
    cbc12(0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 16, Sha1),
    cbc12(0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 32, Sha1),
    cbc12(0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 16, H256),
    cbc12(0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", 32, H384),
    cbc12(0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 16, H256),
    cbc12(0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", 32, H384),
];

/// The suite numbered `id`, if decrypted here.
pub fn suite(id: u16) -> Option<&'static Suite> {
    SUITES.iter().find(|s| s.id == id)
}

/// A suite's IANA name, or `0xNNNN` when unknown here.
pub fn suite_name(id: u16) -> String {
    suite(id)
        .map(|s| s.name)
        .or_else(|| crate::vocab::tls_other_suite_name(id))
        .map_or_else(|| format!("0x{id:04x}"), str::to_owned)
}

/// Why keys could not be derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    /// The logged secret's length does not fit the suite's hash (a wrong key log line).
    SecretLength,
    /// An output length the KDF cannot produce (not reachable with the suites above).
    Length,
}

/// HKDF-Expand-Label (RFC 8446 §7.1) with the suite's hash; `secret` must be one hash
/// long.
pub fn hkdf_expand_label(
    hash: HashAlg,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    len: usize,
) -> Result<Vec<u8>, KeyError> {
    let mut out = vec![0; len];
    hkdf_expand_labels(hash, secret, &[(label, context)], [&mut out])?;
    Ok(out)
}

/// HKDF-Expand-Label of several labels from one secret, whose HMAC key is set up once
/// (two hash blocks saved per further label), each filling its output.
fn hkdf_expand_labels<const N: usize>(
    hash: HashAlg,
    secret: &[u8],
    labels: &[(&[u8], &[u8]); N],
    outs: [&mut [u8]; N],
) -> Result<(), KeyError> {
    if secret.len() != hash.output_len() {
        return Err(KeyError::SecretLength);
    }
    fn run<H: hkdf::HmacImpl<D>, D: hmac::digest::OutputSizeUser, const N: usize>(
        h: &Hkdf<D, H>,
        labels: &[(&[u8], &[u8]); N],
        outs: [&mut [u8]; N],
    ) -> Result<(), KeyError> {
        let mut buf = [0u8; MAX_INFO];
        for (out, &(label, context)) in outs.into_iter().zip(labels) {
            let info = label_info(&mut buf, label, context, out.len())?;
            h.expand(info, out).map_err(|_| KeyError::Length)?;
        }
        Ok(())
    }
    match hash {
        HashAlg::Sha256 => run(
            &Hkdf::<Sha256>::from_prk(secret).map_err(|_| KeyError::SecretLength)?,
            labels,
            outs,
        ),
        HashAlg::Sha384 => run(
            &Hkdf::<Sha384>::from_prk(secret).map_err(|_| KeyError::SecretLength)?,
            labels,
            outs,
        ),
        HashAlg::Sha1 => Err(KeyError::Length),
    }
}

/// The longest HkdfLabel: the output length, a label of up to 255 bytes with its length
/// ("tls13 " included) and a context of up to 255 with its length.
const MAX_INFO: usize = 2 + 1 + 255 + 1 + 255;

/// The HkdfLabel structure (RFC 8446 §7.1) for `label`, `context` and output length `len`,
/// written at the start of `buf`.
fn label_info<'b>(
    buf: &'b mut [u8; MAX_INFO],
    label: &[u8],
    context: &[u8],
    len: usize,
) -> Result<&'b [u8], KeyError> {
    let out_len = u16::try_from(len).map_err(|_| KeyError::Length)?;
    let label_len = u8::try_from(label.len().saturating_add(6)).map_err(|_| KeyError::Length)?;
    let ctx_len = u8::try_from(context.len()).map_err(|_| KeyError::Length)?;
    let [l0, l1] = out_len.to_be_bytes();
    let parts: [&[u8]; 5] = [&[l0, l1, label_len], b"tls13 ", label, &[ctx_len], context];
    let mut at = 0;
    for part in parts {
        let end = at + part.len();
        buf.get_mut(at..end)
            .ok_or(KeyError::Length)?
            .copy_from_slice(part);
        at = end;
    }
    buf.get(..at).ok_or(KeyError::Length)
}

/// Key bytes held inline (up to `N`), zeroed when dropped; read as a slice. `Debug`
/// shows the length only.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyBytes<const N: usize> {
    len: u8,
    bytes: [u8; N],
}

impl<const N: usize> KeyBytes<N> {
    /// No bytes.
    pub const EMPTY: KeyBytes<N> = KeyBytes {
        len: 0,
        bytes: [0; N],
    };

    /// A copy of `b`; `None` when it is longer than `N`.
    pub fn new(b: &[u8]) -> Option<KeyBytes<N>> {
        let mut k = KeyBytes::EMPTY;
        k.bytes.get_mut(..b.len())?.copy_from_slice(b);
        k.len = u8::try_from(b.len()).ok()?;
        Some(k)
    }

    /// `len` zero bytes to be filled (`as_mut_slice`); `None` when longer than `N`.
    fn zeroed(len: usize) -> Option<KeyBytes<N>> {
        KeyBytes::new([0; N].get(..len)?)
    }

    pub fn as_slice(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    fn as_mut_slice(&mut self) -> &mut [u8] {
        self.bytes
            .get_mut(..usize::from(self.len))
            .unwrap_or_default()
    }
}

impl<const N: usize> std::ops::Deref for KeyBytes<N> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl<const N: usize> PartialEq<Vec<u8>> for KeyBytes<N> {
    fn eq(&self, other: &Vec<u8>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<const N: usize> fmt::Debug for KeyBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bytes, redacted", self.len)
    }
}

impl<const N: usize> Drop for KeyBytes<N> {
    fn drop(&mut self) {
        self.bytes.fill(0);
        std::hint::black_box(&self.bytes);
    }
}

/// One direction's record key and IV (the IV is the 12-byte TLS 1.3 / ChaCha20 IV, the
/// 4-byte AES-GCM salt of TLS 1.2, or empty for CBC), held inline (no allocation), zeroed
/// when dropped. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct TrafficKeys {
    pub mac_key: KeyBytes<48>,
    pub key: KeyBytes<32>,
    pub iv: KeyBytes<12>,
}

impl fmt::Debug for TrafficKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TrafficKeys {{ mac_key: {} bytes, key: {} bytes, iv: {} bytes, redacted }}",
            self.mac_key.len(),
            self.key.len(),
            self.iv.len()
        )
    }
}

/// TLS 1.3 write key and IV from a traffic secret (RFC 8446 §7.3).
pub fn tls13_traffic_keys(suite: &Suite, secret: &[u8]) -> Result<TrafficKeys, KeyError> {
    let Bulk::Aead(aead) = suite.bulk else {
        return Err(KeyError::Length);
    };
    let mut k = TrafficKeys {
        mac_key: KeyBytes::EMPTY,
        key: KeyBytes::zeroed(aead.key_len()).ok_or(KeyError::Length)?,
        iv: KeyBytes::zeroed(12).ok_or(KeyError::Length)?,
    };
    let labels: [(&[u8], &[u8]); 2] = [(b"key", b""), (b"iv", b"")];
    hkdf_expand_labels(
        suite.hash,
        secret,
        &labels,
        [k.key.as_mut_slice(), k.iv.as_mut_slice()],
    )?;
    Ok(k)
}

/// The traffic secret after a KeyUpdate (RFC 8446 §7.2).
pub fn tls13_next_secret(suite: &Suite, secret: &[u8]) -> Result<Vec<u8>, KeyError> {
    hkdf_expand_label(
        suite.hash,
        secret,
        b"traffic upd",
        b"",
        suite.hash.output_len(),
    )
}

/// P_hash (RFC 5246 §5) with HMAC `M` over the seed `seed[0] + seed[1] + …`, filling
/// `out`; no A(i) is computed past the last block `out` needs.
fn p_hash<M: Mac + hmac::digest::KeyInit + Clone>(secret: &[u8], seed: &[&[u8]], out: &mut [u8]) {
    let Ok(keyed) = <M as hmac::digest::KeyInit>::new_from_slice(secret) else {
        return; // HMAC takes keys of any length
    };
    // A(1) = HMAC(secret, seed); A(i) = HMAC(secret, A(i-1)).
    let mut a = {
        let mut m = keyed.clone();
        seed.iter().for_each(|s| m.update(s));
        m.finalize().into_bytes()
    };
    let mut chunks = out.chunks_mut(a.len()).peekable();
    while let Some(chunk) = chunks.next() {
        let mut m = keyed.clone();
        m.update(&a);
        seed.iter().for_each(|s| m.update(s));
        let block = m.finalize().into_bytes();
        for (o, b) in chunk.iter_mut().zip(block.iter()) {
            *o = *b;
        }
        if chunks.peek().is_some() {
            let mut m = keyed.clone();
            m.update(&a);
            a = m.finalize().into_bytes();
        }
    }
}

/// The TLS 1.2 PRF (RFC 5246 §5): `P_<hash>(secret, seed[0] + seed[1] + …)` (the label
/// first), filling `out`.
fn prf_parts(hash: HashAlg, secret: &[u8], seed: &[&[u8]], out: &mut [u8]) {
    match hash {
        HashAlg::Sha384 => p_hash::<Hmac<Sha384>>(secret, seed, out),
        // SHA-1 is never a TLS 1.2 PRF hash; SHA-256 is the default (RFC 5246 §5).
        HashAlg::Sha256 | HashAlg::Sha1 => p_hash::<Hmac<Sha256>>(secret, seed, out),
    }
}

/// The TLS 1.2 PRF (RFC 5246 §5): `P_<hash>(secret, label + seed)`, `len` bytes.
pub fn prf(hash: HashAlg, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = vec![0; len];
    prf_parts(hash, secret, &[label, seed], &mut out);
    out
}

/// Both directions' TLS 1.2 keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls12Keys {
    pub client: TrafficKeys,
    pub server: TrafficKeys,
}

/// The longest TLS 1.2 key block: two SHA-384 MAC keys, AES-256 keys, ChaCha20 IVs.
const MAX_KEY_BLOCK: usize = 2 * (48 + 32 + 12);

/// The TLS 1.2 key block (RFC 5246 §6.3) split for `suite`.
pub fn tls12_keys(
    suite: &Suite,
    master_secret: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> Result<Tls12Keys, KeyError> {
    if master_secret.len() != 48 {
        return Err(KeyError::SecretLength);
    }
    let (mac_len, key_len, iv_len) = match suite.bulk {
        Bulk::Aead(AeadAlg::ChaCha20Poly1305) => (0, 32, 12),
        Bulk::Aead(aead) => (0, aead.key_len(), 4),
        Bulk::Cbc { key_len, mac } => (mac.output_len(), key_len, 0),
    };
    let total = 2 * (mac_len + key_len + iv_len);
    let mut block = [0u8; MAX_KEY_BLOCK];
    let keys = match block.get_mut(..total) {
        Some(out) => {
            let seed: [&[u8]; 3] = [b"key expansion", server_random, client_random];
            prf_parts(suite.hash, master_secret, &seed, out);
            split_key_block(out, mac_len, key_len, iv_len)
        }
        None => Err(KeyError::Length),
    };
    block.fill(0);
    std::hint::black_box(&block);
    keys
}

/// Both directions' keys out of a key block: MAC keys, keys, IVs, the client's first.
fn split_key_block(
    block: &[u8],
    mac_len: usize,
    key_len: usize,
    iv_len: usize,
) -> Result<Tls12Keys, KeyError> {
    let mut r = super::handshake::Reader::new(block);
    let mut take = |n| r.take(n).ok_or(KeyError::Length);
    let (client_mac, server_mac) = (take(mac_len)?, take(mac_len)?);
    let (client_key, server_key) = (take(key_len)?, take(key_len)?);
    let (client_iv, server_iv) = (take(iv_len)?, take(iv_len)?);
    let keys = |mac, key, iv| {
        Some(TrafficKeys {
            mac_key: KeyBytes::new(mac)?,
            key: KeyBytes::new(key)?,
            iv: KeyBytes::new(iv)?,
        })
    };
    Ok(Tls12Keys {
        client: keys(client_mac, client_key, client_iv).ok_or(KeyError::Length)?,
        server: keys(server_mac, server_key, server_iv).ok_or(KeyError::Length)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn h(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        super::super::keylog::decode_hex(&s).unwrap()
    }

    fn aes128() -> &'static Suite {
        suite(0x1301).unwrap()
    }

    /// RFC 8448 §3 (Simple 1-RTT Handshake): the four traffic secrets and the keys and IVs
    /// the RFC derives from them.
    #[test]
    fn tls13_keys_match_rfc8448_simple_1rtt() {
        let cases = [
            (
                // {server} derive secret "tls13 s hs traffic"
                "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38",
                "3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc",
                "5d 31 3e b2 67 12 76 ee 13 00 0b 30",
            ),
            (
                // {server} derive secret "tls13 c hs traffic"
                "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21",
                "db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01",
                "5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f",
            ),
            (
                // {server} derive secret "tls13 s ap traffic"
                "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43",
                "9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56",
                "cf 78 2b 88 dd 83 54 9a ad f1 e9 84",
            ),
            (
                // {server} derive secret "tls13 c ap traffic"
                "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5",
                "17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51",
                "5b 78 92 3d ee 08 57 90 33 e5 23 d9",
            ),
            (
                // RFC 8448 §4 (Resumed 0-RTT): {client} derive secret "tls13 c e traffic"
                "3f bb e6 a6 0d eb 66 c3 0a 32 79 5a ba 0e ff 7e aa 10 10 55 86 e7 be 5c 09 67 8d 63 b6 ca ab 62",
                "92 02 05 a5 b7 bf 21 15 e6 fc 5c 29 42 83 4f 54",
                "6d 47 5f 09 93 c8 e5 64 61 0d b2 b9",
            ),
        ];
        for (secret, key, iv) in cases {
            let k = tls13_traffic_keys(aes128(), &h(secret)).unwrap();
            assert_eq!(k.key, h(key), "{secret}");
            assert_eq!(k.iv, h(iv), "{secret}");
        }
    }

    #[test]
    fn hkdf_expand_label_rfc8448_finished_key() {
        // RFC 8448 §3: {server} derive the finished key from the server handshake secret.
        let secret = h("b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38");
        assert_eq!(
            hkdf_expand_label(HashAlg::Sha256, &secret, b"finished", b"", 32).unwrap(),
            h("00 8d 3b 66 f8 16 ea 55 9f 96 b5 37 e8 85 c3 1f c0 68 bf 49 2c 65 2f 01 f2 88 a1 d8 cd c1 9f c8")
        );
    }

    #[test]
    fn tls13_key_lengths_by_suite_and_update() {
        let s256 = suite(0x1302).unwrap();
        let k = tls13_traffic_keys(s256, &[7; 48]).unwrap();
        assert_eq!((k.key.len(), k.iv.len()), (32, 12));
        let chacha = suite(0x1303).unwrap();
        let k = tls13_traffic_keys(chacha, &[7; 32]).unwrap();
        assert_eq!((k.key.len(), k.iv.len()), (32, 12));
        // A secret of the wrong length for the hash is refused.
        assert_eq!(
            tls13_traffic_keys(s256, &[7; 32]),
            Err(KeyError::SecretLength)
        );
        // "traffic upd" is HKDF-Expand-Label(secret, "traffic upd", "", Hash.length).
        let next = tls13_next_secret(aes128(), &[1; 32]).unwrap();
        assert_eq!(
            next,
            hkdf_expand_label(HashAlg::Sha256, &[1; 32], b"traffic upd", b"", 32).unwrap()
        );
        assert_ne!(next, vec![1; 32]);
        assert_eq!(tls13_next_secret(s256, &[1; 48]).unwrap().len(), 48);
    }

    /// The HkdfLabel is built in a fixed buffer: the longest label and context fit, one byte
    /// more is a length error, not a panic; a shorter context gives another output.
    #[test]
    fn hkdf_labels_of_every_length_fit() {
        let secret = [7u8; 32];
        let (label, context) = (vec![b'l'; 249], vec![b'c'; 255]);
        let long = hkdf_expand_label(HashAlg::Sha256, &secret, &label, &context, 32).unwrap();
        let short =
            hkdf_expand_label(HashAlg::Sha256, &secret, &label, &context[..254], 32).unwrap();
        assert_ne!(long, short);
        assert_eq!(
            hkdf_expand_label(HashAlg::Sha256, &secret, &[b'l'; 250], b"", 32),
            Err(KeyError::Length)
        );
        assert_eq!(
            hkdf_expand_label(HashAlg::Sha384, &[7; 48], b"key", &[0; 256], 16),
            Err(KeyError::Length)
        );
    }

    /// The P_SHA256 vector circulated on the IETF TLS list (2009) and used by many TLS
    /// stacks' tests: secret 9bbe436b…, seed a0ba9f93…, label "test label", 100 bytes.
    #[test]
    fn prf_sha256_known_answer() {
        let out = prf(
            HashAlg::Sha256,
            &h("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35"),
            b"test label",
            &h("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c"),
            100,
        );
        assert_eq!(
            out,
            h(
                "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a\
               6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab\
               4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701\
               87347b66"
            )
        );
    }

    /// Every output length, at block boundaries and between them (P_hash stops its A(i)
    /// chain at the last block it needs), is a prefix of the longest, for both hashes.
    #[test]
    fn prf_every_length_is_a_prefix() {
        for hash in [HashAlg::Sha256, HashAlg::Sha384] {
            let long = prf(hash, b"secret", b"label", b"seed", 200);
            for len in 0..200 {
                assert_eq!(prf(hash, b"secret", b"label", b"seed", len), long[..len]);
            }
        }
    }

    /// Key bytes are held inline up to their room, never shown.
    #[test]
    fn key_bytes_hold_up_to_their_room() {
        let k = KeyBytes::<12>::new(&[9; 12]).unwrap();
        assert_eq!(k.as_slice(), &[9; 12]);
        assert_eq!(k, vec![9; 12]);
        assert!(KeyBytes::<12>::new(&[9; 13]).is_none());
        assert_eq!(KeyBytes::<4>::EMPTY.len(), 0);
        assert_eq!(format!("{k:?}"), "12 bytes, redacted");
    }

    #[test]
    fn prf_prefixes_agree() {
        // PRF output is a stream: a shorter request is a prefix of a longer one.
        let long = prf(HashAlg::Sha384, b"s", b"l", b"seed", 200);
        let short = prf(HashAlg::Sha384, b"s", b"l", b"seed", 49);
        assert_eq!(&long[..49], &short[..]);
        assert_ne!(long, prf(HashAlg::Sha256, b"s", b"l", b"seed", 200));
    }

    #[test]
    fn tls12_key_block_split() {
        let master = [3u8; 48];
        let (cr, sr) = ([1u8; 32], [2u8; 32]);
        let mut seed = sr.to_vec();
        seed.extend_from_slice(&cr);
        for (id, mac, key, iv) in [
            (0xc02f, 0, 16, 4),
            (0xc030, 0, 32, 4),
            (0xcca8, 0, 32, 12),
            (0xc013, 20, 16, 0),
            (0x003d, 32, 32, 0),
            (0xc028, 48, 32, 0),
        ] {
            let s = suite(id).unwrap();
            let k = tls12_keys(s, &master, &cr, &sr).unwrap();
            let block = prf(
                s.hash,
                &master,
                b"key expansion",
                &seed,
                2 * (mac + key + iv),
            );
            let mut expect = block.chunks(1).map(|c| c[0]);
            let mut next = |n: usize| (&mut expect).take(n).collect::<Vec<u8>>();
            assert_eq!(k.client.mac_key, next(mac), "{id:04x}");
            assert_eq!(k.server.mac_key, next(mac));
            assert_eq!(k.client.key, next(key));
            assert_eq!(k.server.key, next(key));
            assert_eq!(k.client.iv, next(iv));
            assert_eq!(k.server.iv, next(iv));
        }
        assert_eq!(
            tls12_keys(suite(0xc02f).unwrap(), &[0; 32], &cr, &sr),
            Err(KeyError::SecretLength)
        );
        assert_eq!(suite(0xc028).unwrap().hash, HashAlg::Sha384);
        assert_eq!(suite(0xc013).unwrap().hash, HashAlg::Sha256);
    }

    #[test]
    fn names_and_debug() {
        assert_eq!(suite_name(0x1301), "TLS_AES_128_GCM_SHA256");
        assert_eq!(suite_name(0x1304), "TLS_AES_128_CCM_SHA256");
        assert_eq!(suite_name(0xabcd), "0xabcd");
        let k = tls13_traffic_keys(aes128(), &[0x77; 32]).unwrap();
        let text = format!("{k:?}");
        assert!(text.contains("redacted") && !text.contains("119"), "{text}");
        // Every suite number is listed once.
        for (i, a) in SUITES.iter().enumerate() {
            assert!(SUITES[i + 1..].iter().all(|b| b.id != a.id), "{:04x}", a.id);
        }
    }
}
