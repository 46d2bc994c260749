//! Connections keyed by their 4-tuple (in its encapsulation), and the sides in them.
//!
//! In: the source and destination endpoints of a TCP segment, and its scope (the VLAN ids
//! and tunnel identifiers it came through, `decode::Segment::scope`). Out: a canonical [`FlowKey`]
//! (the same for both directions, so its hash is symmetric and could shard flows across
//! threads) and which side of the key sent the segment; the names every stage shares for the
//! two directions ([`Side`]: as captured, `vocab::Role`: client or server) and for how a session
//! was carried ([`Transport`]); the keyed hasher of tables of flow keys ([`FlowHasher`]).
//! The table itself, with eviction by capture time, lives in `analyzer` (reassembly rules
//! 12-13).

use crate::vocab::{Endpoint, Timestamp};

/// Both endpoints of a connection, lower one first, and where they live: the VLAN ids
/// and tunnel identifiers its packets came through (`decode::Segment::scope`; 0 for
/// none), so that the same addresses in two VLANs or two VXLAN VNIs are two flows.
#[derive(Debug, Clone, Copy)]
pub struct FlowKey {
    pub lo: Endpoint,
    pub hi: Endpoint,
    pub scope: u64,
}

impl FlowKey {
    /// The key for a segment from `src` to `dst` outside any VLAN or tunnel, and whether
    /// `src` is `lo`.
    pub fn of(src: Endpoint, dst: Endpoint) -> (FlowKey, bool) {
        Self::scoped(src, dst, 0)
    }

    /// The key for a segment from `src` to `dst` in `scope`, and whether `src` is `lo`.
    #[inline]
    pub fn scoped(src: Endpoint, dst: Endpoint, scope: u64) -> (FlowKey, bool) {
        if src <= dst {
            (
                FlowKey {
                    lo: src,
                    hi: dst,
                    scope,
                },
                true,
            )
        } else {
            (
                FlowKey {
                    lo: dst,
                    hi: src,
                    scope,
                },
                false,
            )
        }
    }
}

/// The hasher of the tables keyed by [`FlowKey`] (the analyzer's flows in memory and
/// frozen): keyed with four words drawn from the standard library's random source for
/// each table, so that flows that share a bucket (one client address's 60 000 ports, a
/// replayed load test) cannot be chosen without the key, and each lookup stays O(1).
#[derive(Clone)]
pub struct FlowHasher {
    key: [u64; 4],
}

impl Default for FlowHasher {
    fn default() -> FlowHasher {
        use std::hash::BuildHasher;
        let s = std::collections::hash_map::RandomState::new();
        FlowHasher {
            key: [0u8, 1, 2, 3].map(|i| s.hash_one(i)),
        }
    }
}

impl std::hash::BuildHasher for FlowHasher {
    type Hasher = FlowHash;
    #[inline(always)]
    fn build_hasher(&self) -> FlowHash {
        FlowHash {
            acc: self.key[0],
            key: [self.key[1], self.key[2], self.key[3]],
        }
    }

    /// The provided method's body, inlined where the table hashes: left to itself, rustc
    /// called it out of line, about 13 instructions a lookup more. (This is `hash_one`
    /// itself, which the lint would have call itself.)
    #[allow(clippy::manual_hash_one)]
    #[inline(always)]
    fn hash_one<T: std::hash::Hash>(&self, x: T) -> u64 {
        use std::hash::Hasher;
        let mut h = self.build_hasher();
        x.hash(&mut h);
        h.finish()
    }
}

/// [`FlowHasher`]'s state: each word folded in by a 64 x 64 -> 128-bit multiplication of
/// it and a key word, crossed with the state, the product's halves xored (a "folded
/// multiply"); a 128-bit word is one multiplication of its two halves, each crossed with
/// the state or a key word; the result folded once more with a key word, so that keys
/// that differ in a few low bits (one client's consecutive ports) spread over every bit
/// of the hash. Only whole words: [`FlowKey`]'s `Hash` writes no bytes.
pub struct FlowHash {
    acc: u64,
    key: [u64; 3],
}

impl FlowHash {
    #[inline(always)]
    fn fold(a: u64, b: u64) -> u64 {
        let p = u128::from(a) * u128::from(b);
        p as u64 ^ (p >> 64) as u64
    }
}

impl std::hash::Hasher for FlowHash {
    #[inline(always)]
    fn finish(&self) -> u64 {
        Self::fold(self.acc, self.key[2])
    }

    #[inline(always)]
    fn write_u128(&mut self, x: u128) {
        self.acc = Self::fold(self.acc ^ x as u64, self.key[0] ^ (x >> 64) as u64);
    }

    #[inline(always)]
    fn write_u64(&mut self, x: u64) {
        self.acc = Self::fold(self.acc ^ x, self.key[1]);
    }

    /// Not used by [`FlowKey`]; each 8 bytes (the last padded, the length in its top
    /// byte) as a word, so that the hasher is whole.
    fn write(&mut self, bytes: &[u8]) {
        byte_words(bytes, |w| self.write_u64(w));
    }
}

/// Bytes as 64-bit words for a word hasher's `write`: each 8 bytes little-endian, the last
/// padded with zeros, the chunk's length in each word's top byte (so that `[0]` and
/// `[0, 0]` differ).
pub(crate) fn byte_words(bytes: &[u8], mut word: impl FnMut(u64)) {
    for chunk in bytes.chunks(8) {
        let mut w = [0u8; 8];
        w.get_mut(..chunk.len())
            .unwrap_or_default()
            .copy_from_slice(chunk);
        word(u64::from_le_bytes(w) ^ (chunk.len() as u64) << 56);
    }
}

/// Every bit of the key reaches the hasher. Where both addresses fit 32 bits (IPv4) and
/// the scope is 0, as one 128-bit word (two multiplications with the last): both addresses, both ports
/// and families. Otherwise each address as a 128-bit word, then the ports and families
/// with bit 34 set (which tells the two forms apart), then the scope. Two keys hash alike
/// only by the hasher's own collisions, which its key hides.
impl std::hash::Hash for FlowKey {
    #[inline(always)]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let ((a_lo, a_hi, a_pf), (b_lo, b_hi, b_pf)) = (self.lo.words(), self.hi.words());
        let ports = a_pf | b_pf << 17;
        if (a_hi | b_hi | self.scope | (a_lo | b_lo) >> 32) == 0 {
            state.write_u128(u128::from(a_lo | b_lo << 32) | u128::from(ports) << 64);
        } else {
            state.write_u128(u128::from(a_lo) | u128::from(a_hi) << 64);
            state.write_u128(u128::from(b_lo) | u128::from(b_hi) << 64);
            state.write_u64(ports | 1 << 34);
            state.write_u64(self.scope);
        }
    }
}

/// Compared word by word without a branch between fields: every packet's lookup
/// compares its key with one in the table, and the derived comparison, field by field
/// with a branch at each, was a third of the lookup's instructions.
impl PartialEq for FlowKey {
    #[inline]
    fn eq(&self, o: &FlowKey) -> bool {
        let ((a_lo, a_hi, a_pf), (b_lo, b_hi, b_pf)) = (self.lo.words(), self.hi.words());
        let ((c_lo, c_hi, c_pf), (d_lo, d_hi, d_pf)) = (o.lo.words(), o.hi.words());
        ((a_lo ^ c_lo)
            | (a_hi ^ c_hi)
            | (b_lo ^ d_lo)
            | (b_hi ^ d_hi)
            | ((a_pf | b_pf << 17) ^ (c_pf | d_pf << 17))
            | (self.scope ^ o.scope))
            == 0
    }
}

impl Eq for FlowKey {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Flow keys that differ in one field alone (either endpoint's address, port or
    /// family, the scope) hash apart, and a key hashes the same each time.
    #[test]
    fn keys_differing_in_one_field_hash_apart() {
        use std::hash::BuildHasher;
        let hasher = FlowHasher::default();
        let h = |k: &FlowKey| hasher.hash_one(k);
        let v4 = |a: u32, p: u16| Endpoint::v4(a, p);
        let key = |a: Endpoint, b: Endpoint, scope: u64| FlowKey {
            lo: a,
            hi: b,
            scope,
        };
        let base = key(v4(0x0a00_0001, 40000), v4(0x0a00_0002, 80), 0);
        assert_eq!(
            h(&base),
            h(&key(v4(0x0a00_0001, 40000), v4(0x0a00_0002, 80), 0))
        );
        let others = [
            key(v4(0x0a00_0003, 40000), v4(0x0a00_0002, 80), 0),
            key(v4(0x0a00_0001, 40001), v4(0x0a00_0002, 80), 0),
            key(v4(0x0a00_0001, 40000), v4(0x0a00_0004, 80), 0),
            key(v4(0x0a00_0001, 40000), v4(0x0a00_0002, 81), 0),
            key(v4(0x0a00_0001, 40000), v4(0x0a00_0002, 80), 7),
            key(Endpoint::v6(0x0a00_0001, 40000), v4(0x0a00_0002, 80), 0),
            key(v4(0x0a00_0001, 40000), Endpoint::v6(0x0a00_0002, 80), 0),
            key(
                Endpoint::v6(1 << 64 | 0x0a00_0001, 40000),
                v4(0x0a00_0002, 80),
                0,
            ),
        ];
        let mut seen: Vec<u64> = others.iter().map(h).collect();
        seen.push(h(&base));
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), others.len() + 1);
    }

    /// Flows of one client address, the lower endpoint, to one server (a load test from
    /// one machine: 60 000 source ports) spread over a table of 2^17 buckets as at random:
    /// hashbrown takes the bucket from the hash's low bits and a 7-bit tag from its top
    /// ones, and keys that share both are compared one by one on every lookup.
    #[test]
    fn one_clients_ports_spread_over_the_table() {
        for _ in 0..4 {
            spread_of_one_clients_ports(&FlowHasher::default());
        }
        // Two tables hash apart (each is keyed on its own).
        use std::hash::BuildHasher;
        let k = FlowKey::of(Endpoint::v4(1, 1024), Endpoint::v4(2, 80)).0;
        assert_ne!(
            FlowHasher::default().hash_one(k),
            FlowHasher::default().hash_one(k)
        );
    }

    fn spread_of_one_clients_ports(hasher: &FlowHasher) {
        use std::hash::BuildHasher;
        let (client, server) = (0x0a00_0001, 0x0a00_0002);
        let mut buckets = std::collections::HashMap::new();
        let mut slots = std::collections::HashMap::new();
        for port in 1024..61024u16 {
            let (k, _) = FlowKey::of(Endpoint::v4(client, port), Endpoint::v4(server, 80));
            assert_eq!(k.lo.port, port, "the client is the lower endpoint");
            let h = hasher.hash_one(k);
            *buckets.entry(h & ((1 << 17) - 1)).or_insert(0u32) += 1;
            *slots.entry((h & ((1 << 17) - 1), h >> 57)).or_insert(0u32) += 1;
        }
        // At random: about 48 200 buckets of 131 072 used, at most 7 or so in one.
        assert!(buckets.len() > 45_000, "{} buckets", buckets.len());
        assert!(
            buckets.values().all(|&n| n <= 16),
            "a bucket with {:?}",
            buckets.values().max()
        );
        assert!(
            slots.values().all(|&n| n <= 4),
            "a (bucket, tag) with {:?}",
            slots.values().max()
        );
    }

    /// Keys equal in every field compare equal, and keys that differ in one field alone
    /// (either address's high or low word, port or family, the scope) do not.
    #[test]
    fn keys_compare_by_every_field() {
        let key = |a: Endpoint, b: Endpoint, scope: u64| FlowKey {
            lo: a,
            hi: b,
            scope,
        };
        let v6 = |a: u128, p: u16| Endpoint::v6(a, p);
        let base = key(v6(1 << 64 | 5, 40000), v6(2 << 64 | 9, 80), 3);
        assert_eq!(base, key(v6(1 << 64 | 5, 40000), v6(2 << 64 | 9, 80), 3));
        for other in [
            key(v6(5, 40000), v6(2 << 64 | 9, 80), 3),
            key(v6(1 << 64 | 4, 40000), v6(2 << 64 | 9, 80), 3),
            key(v6(1 << 64 | 5, 40001), v6(2 << 64 | 9, 80), 3),
            key(v6(1 << 64 | 5, 40000), v6(3 << 64 | 9, 80), 3),
            key(v6(1 << 64 | 5, 40000), v6(2 << 64 | 8, 80), 3),
            key(v6(1 << 64 | 5, 40000), v6(2 << 64 | 9, 81), 3),
            key(v6(1 << 64 | 5, 40000), v6(2 << 64 | 9, 80), 2),
            key(Endpoint::v4(5, 40000), Endpoint::v4(9, 80), 3),
            key(v6(5, 40000), v6(9, 80), 3),
        ] {
            assert_ne!(base, other);
        }
        assert_ne!(
            key(Endpoint::v4(5, 1), Endpoint::v4(9, 80), 0),
            key(v6(5, 1), Endpoint::v4(9, 80), 0)
        );
    }

    /// Endpoints order as (`IpAddr`, port) do, whatever their integer layout, and the key
    /// puts the lower one first: every pair of a set mixing IPv4, IPv6 (v4-mapped too) and
    /// ports; and an endpoint gives back the address it was made from.
    #[test]
    fn endpoints_order_as_addresses_and_ports() {
        let ips = [
            "0.0.0.0",
            "10.0.0.1",
            "10.0.0.2",
            "10.1.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:10.0.0.1",
            "fe80::1",
            "fe80::1:0",
            "ffff::",
        ];
        let eps: Vec<(std::net::IpAddr, u16)> = ips
            .iter()
            .flat_map(|ip| [0u16, 1, 80, 443, 65535].map(|port| (ip.parse().unwrap(), port)))
            .collect();
        for &(ia, pa) in &eps {
            let a = Endpoint::new(ia, pa);
            assert_eq!((a.ip(), a.port), (ia, pa));
            for &(ib, pb) in &eps {
                let b = Endpoint::new(ib, pb);
                assert_eq!(a.cmp(&b), (ia, pa).cmp(&(ib, pb)), "{a} {b}");
                let (k, a_lo) = FlowKey::of(a, b);
                assert_eq!(a_lo, a <= b, "{a} {b}");
                assert_eq!((k.lo, k.hi), if a <= b { (a, b) } else { (b, a) });
            }
        }
    }

    #[test]
    fn key_is_symmetric() {
        let a = Endpoint::new("10.0.0.1".parse().unwrap(), 5000);
        let b = Endpoint::new("10.0.0.1".parse().unwrap(), 80);
        let (k1, a_lo) = FlowKey::of(a, b);
        let (k2, b_lo) = FlowKey::of(b, a);
        assert_eq!(k1, k2);
        assert_ne!(a_lo, b_lo);
    }
}

/// One direction of a connection, named by who sent it: `A` is the endpoint that sent the
/// first packet seen, `B` the other. A typed index into [`Sides`], so that picking a side's
/// state cannot go out of bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Side {
    A,
    B,
}

impl Side {
    /// Both sides, `A` first.
    pub const BOTH: [Side; 2] = [Side::A, Side::B];

    /// The opposite direction.
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// One value per [`Side`]; indexing by a `Side` is a `match`, it cannot fail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sides<T> {
    pub a: T,
    pub b: T,
}

impl<T> Sides<T> {
    pub const fn new(a: T, b: T) -> Sides<T> {
        Sides { a, b }
    }

    /// Both values, `A` first.
    pub fn iter(&self) -> std::array::IntoIter<&T, 2> {
        [&self.a, &self.b].into_iter()
    }

    /// The value of `s` and the other side's, to change.
    #[inline(always)]
    pub fn pair_mut(&mut self, s: Side) -> (&mut T, &mut T) {
        match s {
            Side::A => (&mut self.a, &mut self.b),
            Side::B => (&mut self.b, &mut self.a),
        }
    }

    /// Both values, `A` first, to change.
    pub fn iter_mut(&mut self) -> std::array::IntoIter<&mut T, 2> {
        [&mut self.a, &mut self.b].into_iter()
    }
}

impl<T> std::ops::Index<Side> for Sides<T> {
    type Output = T;
    fn index(&self, s: Side) -> &T {
        match s {
            Side::A => &self.a,
            Side::B => &self.b,
        }
    }
}

impl<T> std::ops::IndexMut<Side> for Sides<T> {
    fn index_mut(&mut self, s: Side) -> &mut T {
        match s {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        }
    }
}

/// How a WebSocket session reached the application: over which TCP connection (the
/// report's endpoints), whether inside TLS, and on which HTTP/2 stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Transport {
    pub tls: bool,
    /// The HTTP/2 stream of an RFC 8441 extended CONNECT; `None` over HTTP/1.1.
    pub h2_stream: Option<u32>,
}

/// What a half-stream hands to the application layer, in stream order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// Bytes at stream `offset`, from the segment in `packet` captured at `ts`.
    Data {
        offset: u64,
        bytes: &'a [u8],
        packet: u64,
        ts: Timestamp,
    },
    /// `len` bytes at `offset` that the capture does not hold; `packet` is the one that
    /// showed it (cut by the snaplen, an ACK past the hole, a cap or an RST forcing it), if any.
    /// `cut` is true when they are the end of `packet`'s own payload, cut off by the
    /// capture's snap length (the packet was captured, its end was not).
    Gap {
        offset: u64,
        len: u64,
        packet: Option<u64>,
        cut: bool,
    },
}
