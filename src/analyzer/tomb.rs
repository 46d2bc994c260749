//! The key of a closed connection's tombstone in the analyzer's table: a 64-bit hash of
//! its flow's 4-tuple and scope (its VLANs and tunnels, `decode::Segment::scope`).
//!
//! In: a [`FlowKey`]. Out: its hash, the same in every run and on every thread (no random
//! seed), so that which late packets a tombstone takes does not depend on either.

use crate::flow::FlowKey;

/// The key of a flow's tombstone: a 64-bit hash of its 4-tuple and scope rather than the
/// 56-byte key, so that the tombstones of a busy capture (tens of thousands inside the grace
/// period) take a third of the memory. A packet is taken for a closed connection's only if
/// its flow's hash equals a tombstone's: for a capture's thousands of flows, odds of about
/// one in 10^14 that two differ and share it. Each field the key hashes goes through
/// splitmix64's finalizer, chained ([`Mix64`]): a tenth of SipHash's instructions, looked
/// up for every packet of a flow not in memory.
pub(super) fn tomb(key: &FlowKey) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = Mix64(0x9E37_79B9_7F4A_7C15);
    key.hash(&mut h);
    h.finish()
}

/// A hasher that mixes each word it is given into its state with splitmix64's finalizer
/// (a bijection of 64-bit words whose every output bit depends on every input bit).
struct Mix64(u64);

impl Mix64 {
    fn mix(&mut self, w: u64) {
        let mut z = self.0 ^ w;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        self.0 = z ^ (z >> 31);
    }
}

impl std::hash::Hasher for Mix64 {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        crate::flow::byte_words(bytes, |w| self.mix(w));
    }

    fn write_u8(&mut self, i: u8) {
        self.mix(u64::from(i));
    }

    fn write_u16(&mut self, i: u16) {
        self.mix(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.mix(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Endpoint;

    /// Keys that differ in one field alone (an address bit, a port, the family) hash apart,
    /// and a key hashes the same each time.
    #[test]
    fn keys_differing_in_one_field_hash_apart() {
        let key = |a: u32, pa: u16, b: u32, pb: u16| {
            FlowKey::of(Endpoint::v4(a, pa), Endpoint::v4(b, pb)).0
        };
        let base = key(0x0a00_0001, 40000, 0x0a00_0002, 80);
        assert_eq!(tomb(&base), tomb(&key(0x0a00_0001, 40000, 0x0a00_0002, 80)));
        let others = [
            key(0x0a00_0003, 40000, 0x0a00_0002, 80),
            key(0x0a00_0001, 40001, 0x0a00_0002, 80),
            key(0x0a00_0001, 40000, 0x0a00_0002, 81),
            FlowKey::of(
                Endpoint::new("::a00:1".parse().unwrap(), 40000),
                Endpoint::new("::a00:2".parse().unwrap(), 80),
            )
            .0,
        ];
        let mut seen: Vec<u64> = others.iter().map(tomb).collect();
        seen.push(tomb(&base));
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), others.len() + 1);
    }
}
