//! Connections keyed by their 4-tuple (in its encapsulation), and the roles in them.
//!
//! In: the source and destination endpoints of a TCP segment, and its scope (the VLAN ids
//! and tunnel identifiers it came through, `decode::Segment::scope`). Out: a canonical [`FlowKey`]
//! (the same for both directions, so its hash is symmetric and could shard flows across
//! threads) and which side of the key sent the segment; the names every stage shares for the
//! two directions ([`Side`]: as captured, [`Role`]: client or server) and for how a session
//! was carried ([`Transport`]). The table itself, with eviction by
//! capture time, lives in `analyzer` (reassembly rules 12-13).

use crate::capture::Timestamp;
use crate::decode::Endpoint;
use serde::{Deserialize, Serialize};

/// Who sent something: the side that opened the connection, or the side that accepted it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The side that opened the connection (sent the SYN, or the upgrade request).
    Client,
    /// The side that accepted it.
    Server,
}

/// One value for each role (frame statistics, TCP counters, what is missing), picked by
/// [`PerSide::of`].
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[schemars(rename = "PerSide_{T}")]
pub struct PerSide<T> {
    /// The client's.
    pub client: T,
    /// The server's.
    pub server: T,
}

impl<T> PerSide<T> {
    /// The value of `role`.
    pub fn of(&self, role: Role) -> &T {
        match role {
            Role::Client => &self.client,
            Role::Server => &self.server,
        }
    }
}

impl Role {
    /// "client" or "server".
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Server => "server",
        }
    }

    /// The other side.
    pub fn peer(self) -> Role {
        match self {
            Role::Client => Role::Server,
            Role::Server => Role::Client,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Both endpoints of a connection, lower one first, and where they live: the VLAN ids
/// and tunnel identifiers its packets came through (`decode::Segment::scope`; 0 for
/// none), so that the same addresses in two VLANs or two VXLAN VNIs are two flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// The key hashed as one word (both endpoints and the scope folded), not field by field:
/// every packet looks its flow up, and the derived hash fed the hasher nine words.
impl std::hash::Hash for FlowKey {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.lo.fold() ^ self.hi.fold().rotate_left(32) ^ self.scope);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Flow keys that differ in one field alone (either endpoint's address, port or
    /// family, the scope) hash apart, and a key hashes the same each time.
    #[test]
    fn keys_differing_in_one_field_hash_apart() {
        use std::hash::BuildHasher;
        let h = |k: &FlowKey| rustc_hash::FxBuildHasher.hash_one(k);
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
