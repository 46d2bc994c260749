//! The key of `--redact`'s pseudonyms, from the capture's first packets.

use super::Key;
use crate::vocab::Timestamp;
use sha2::{Digest, Sha256};

/// Where a run's key is put once made, for what is said while the capture is read
/// (`--follow`, `live`): set once.
pub type KeySlot = std::sync::Arc<std::sync::OnceLock<Key>>;

/// Packets at most that go into a capture's [`Key`] (those before its first TCP segment,
/// and that segment).
pub const SEED_PACKETS: u32 = 64;

/// The capture's first packets, hashed into the key of its pseudonyms: each packet's time
/// and bytes as captured, up to and with the first TCP segment that carries data (at most
/// [`SEED_PACKETS`]), in the order read, across the inputs until it is made. Those bytes
/// (sequence numbers, TCP timestamps, link addresses, and the data: an upgrade request's
/// Sec-WebSocket-Key, its cookies) are in no report, so a report's reader cannot make the
/// key and try addresses against the pseudonyms; the same capture gives the same key in
/// any run, whatever is selected or shown, and whether it is read at once, followed or
/// shared among threads (the reader of a shared file hashes its first packets apart, by a
/// peek). No close event comes before that segment (a WebSocket needs data), so the lines
/// said as a capture is read name what the report at the end names.
#[derive(Clone, Default)]
pub struct Seed {
    sha: Option<Sha256>,
    packets: u32,
    key: Option<Key>,
}

impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seed")
            .field("packets", &self.packets)
            .field("made", &self.key.is_some())
            .finish()
    }
}

impl Seed {
    /// Whether the key is made (nothing more is hashed).
    #[inline(always)]
    pub fn made(&self) -> bool {
        self.key.is_some()
    }

    /// Takes in the next packet of the capture, captured at `ts` with bytes `data`
    /// (nothing once the key is made); `segment` says whether it is a TCP segment with
    /// payload, asked only while the key is still being made.
    pub fn packet(&mut self, ts: Timestamp, data: &[u8], segment: impl FnOnce() -> bool) {
        if self.made() {
            return;
        }
        let sha = self.sha.get_or_insert_with(|| {
            let mut sha = Sha256::new();
            sha.update(b"wsclose pseudonym key 1\0");
            sha
        });
        sha.update(ts.0.to_be_bytes());
        sha.update((data.len() as u64).to_be_bytes());
        sha.update(data);
        self.packets += 1;
        if self.packets >= SEED_PACKETS || segment() {
            self.finish();
        }
    }

    /// The key: made from what was taken in (a capture with no TCP segment: all its first
    /// packets, up to [`SEED_PACKETS`]; one with none: a random key).
    pub fn finish(&mut self) -> Key {
        if let Some(k) = self.key {
            return k;
        }
        let key = match self.sha.take() {
            Some(sha) => sha.finalize().into(),
            None => random_key(),
        };
        self.key = Some(key);
        key
    }
}

/// A key no capture gave (a report made in code): from the standard library's random
/// source, so that its pseudonyms cannot be tried either.
pub(super) fn random_key() -> Key {
    use std::hash::BuildHasher;
    let s = std::collections::hash_map::RandomState::new();
    let mut k = [0u8; 32];
    for (i, part) in k.chunks_mut(8).enumerate() {
        part.copy_from_slice(&s.hash_one(i).to_be_bytes());
    }
    k
}
