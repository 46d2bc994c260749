//! AEAD record protection (RFC 8446 §5.2-5.3, RFC 5288 §3, RFC 7905 §2) with `ring`'s
//! AES-GCM and ChaCha20-Poly1305.
//!
//! In: a key, a 12-byte nonce, the additional data, ciphertext and tag. Out: the plaintext
//! in place, or [`OpenError`]; and the per-record nonce, IV xor the sequence number.

use super::keys::AeadAlg;
use super::open::OpenError;

/// An AEAD key (ring: AES-GCM and ChaCha20-Poly1305; see the `cipher` module header for why).
pub(super) struct Aead(ring::aead::LessSafeKey);

pub(super) fn make_aead(alg: AeadAlg, key: &[u8]) -> Option<Aead> {
    let alg = match alg {
        AeadAlg::Aes128Gcm => &ring::aead::AES_128_GCM,
        AeadAlg::Aes256Gcm => &ring::aead::AES_256_GCM,
        AeadAlg::ChaCha20Poly1305 => &ring::aead::CHACHA20_POLY1305,
    };
    let key = ring::aead::UnboundKey::new(alg, key).ok()?;
    Some(Aead(ring::aead::LessSafeKey::new(key)))
}

impl Aead {
    pub(super) fn open(
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
    pub(super) fn seal(&self, nonce: [u8; 12], aad: &[u8], buf: &mut [u8]) -> Vec<u8> {
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

pub(super) fn xor_seq(iv: &[u8; 12], seq: u64) -> [u8; 12] {
    let mut nonce = *iv;
    for (n, s) in nonce.iter_mut().skip(4).zip(seq.to_be_bytes()) {
        *n ^= s;
    }
    nonce
}
