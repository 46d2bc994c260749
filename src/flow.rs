//! Connections keyed by their 4-tuple, and the roles in them.
//!
//! In: the source and destination endpoints of a TCP segment. Out: a canonical [`FlowKey`]
//! (the same for both directions, so its hash is symmetric and could shard flows across
//! threads) and which side of the key sent the segment. The table itself, with eviction by
//! capture time, lives in `analyzer` (REASSEMBLY.md rules 12-13).

use crate::decode::Endpoint;
use serde::Serialize;
use std::net::IpAddr;

/// Who sent something: the side that opened the connection, or the side that accepted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Client,
    Server,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Server => "server",
        }
    }

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

/// Both endpoints of a connection, lower one first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowKey {
    pub lo: Endpoint,
    pub hi: Endpoint,
}

impl FlowKey {
    /// The key for a segment from `src` to `dst`, and whether `src` is `lo`.
    pub fn of(src: Endpoint, dst: Endpoint) -> (FlowKey, bool) {
        // `src <= dst` as integers (IPv4 before IPv6, then the address, then the port: the
        // order `Endpoint` derives), which compiles to a few compares instead of byte-wise
        // comparisons of the addresses.
        let rank = |e: &Endpoint| match e.ip {
            IpAddr::V4(a) => (false, u128::from(u32::from(a)), e.port),
            IpAddr::V6(a) => (true, u128::from(a), e.port),
        };
        if rank(&src) <= rank(&dst) {
            (FlowKey { lo: src, hi: dst }, true)
        } else {
            (FlowKey { lo: dst, hi: src }, false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The integer comparison in `FlowKey::of` orders endpoints as `Endpoint`'s derived
    /// order does, for every pair of a set mixing IPv4, IPv6 (v4-mapped too) and ports.
    #[test]
    fn key_order_is_the_endpoint_order() {
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
        let eps: Vec<Endpoint> = ips
            .iter()
            .flat_map(|ip| {
                [0u16, 1, 80, 443, 65535].map(|port| Endpoint {
                    ip: ip.parse().unwrap(),
                    port,
                })
            })
            .collect();
        for a in &eps {
            for b in &eps {
                let (k, a_lo) = FlowKey::of(*a, *b);
                assert_eq!(a_lo, a <= b, "{a} {b}");
                assert_eq!((k.lo, k.hi), if a <= b { (*a, *b) } else { (*b, *a) });
            }
        }
    }

    #[test]
    fn key_is_symmetric() {
        let a = Endpoint {
            ip: "10.0.0.1".parse().unwrap(),
            port: 5000,
        };
        let b = Endpoint {
            ip: "10.0.0.1".parse().unwrap(),
            port: 80,
        };
        let (k1, a_lo) = FlowKey::of(a, b);
        let (k2, b_lo) = FlowKey::of(b, a);
        assert_eq!(k1, k2);
        assert_ne!(a_lo, b_lo);
    }
}
