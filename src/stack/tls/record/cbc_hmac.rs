//! TLS 1.2 AES-CBC with HMAC-SHA1/256/384 (RFC 5246 §6.2.3.2: explicit IV, MAC-then-
//! encrypt; RFC 7366 §3: encrypt-then-MAC), with RustCrypto's `aes`, `cbc` and `hmac`.
//!
//! In: a key, an IV and whole blocks; a MAC key and the parts a MAC covers. Out: the blocks
//! decrypted in place, the length without padding, whether a MAC matches.

use super::keys::HashAlg;
use super::open::OpenError;
use aes::{Aes128, Aes256};
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockDecryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha384};

pub(super) enum MacKey {
    Sha1(Box<Hmac<Sha1>>),
    Sha256(Box<Hmac<Sha256>>),
    Sha384(Box<Hmac<Sha384>>),
}

impl MacKey {
    /// Bytes its boxed HMAC state takes on the heap.
    pub(super) fn heap_bytes(&self) -> usize {
        match self {
            MacKey::Sha1(h) => std::mem::size_of_val(&**h),
            MacKey::Sha256(h) => std::mem::size_of_val(&**h),
            MacKey::Sha384(h) => std::mem::size_of_val(&**h),
        }
    }

    pub(super) fn new(alg: HashAlg, key: &[u8]) -> Option<MacKey> {
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

    pub(super) fn len(&self) -> usize {
        match self {
            MacKey::Sha1(_) => 20,
            MacKey::Sha256(_) => 32,
            MacKey::Sha384(_) => 48,
        }
    }

    /// Whether `tag` is the MAC of the concatenated `parts`.
    pub(super) fn verify(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
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
    pub(super) fn compute(&self, parts: &[&[u8]]) -> Vec<u8> {
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

/// Removes CBC padding (RFC 5246 §6.2.3.2): the last byte `p` and the `p` bytes before it
/// must all equal `p`. Returns the length without padding.
pub(super) fn cbc_unpad(plain: &[u8]) -> Option<usize> {
    let &pad = plain.last()?;
    let cut = plain.len().checked_sub(usize::from(pad) + 1)?;
    plain.get(cut..)?.iter().all(|&b| b == pad).then_some(cut)
}

pub(super) fn cbc_decrypt(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<(), OpenError> {
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
