//! Connections keyed by their 4-tuple, and the roles in them.
//!
//! In: the source and destination endpoints of a TCP segment. Out: a canonical [`FlowKey`]
//! (the same for both directions, so its hash is symmetric and could shard flows across
//! threads) and which side of the key sent the segment; and [`Flows`], the table of the
//! connections in memory found by their key. Eviction by capture time lives in `analyzer`
//! (REASSEMBLY.md rules 12-13).

use crate::connection::Connection;
use crate::decode::Endpoint;
use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use serde::Serialize;
use std::hash::BuildHasher;

/// Who sent something: the side that opened the connection, or the side that accepted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Client,
    Server,
}

/// One value for each role (frame statistics, TCP counters, what is missing), picked by
/// [`PerSide::of`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PerSide<T> {
    pub client: T,
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
        if src <= dst {
            (FlowKey { lo: src, hi: dst }, true)
        } else {
            (FlowKey { lo: dst, hi: src }, false)
        }
    }
}

/// The connections in memory, found by their flow's key: a SwissTable whose slots hold only
/// the pointer to each connection (8 bytes), the key compared with the connection's own
/// endpoints. Every packet looks its connection up; with the key in the slot (72 bytes a
/// slot) the table of 20 000 flows outgrew the core's cache and a lookup missed in it before
/// missing in the connection, where the packet's path reads the endpoints next anyway.
#[derive(Default)]
pub struct Flows {
    table: HashTable<Box<Connection>>,
    hasher: FxBuildHasher,
}

impl Flows {
    fn hash(&self, key: &FlowKey) -> u64 {
        self.hasher.hash_one(key)
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    pub fn get(&self, key: &FlowKey) -> Option<&Connection> {
        self.table
            .find(self.hash(key), |c| c.has_key(key))
            .map(|c| &**c)
    }

    pub fn get_mut(&mut self, key: &FlowKey) -> Option<&mut Connection> {
        let hash = self.hash(key);
        self.table
            .find_mut(hash, |c| c.has_key(key))
            .map(|c| &mut **c)
    }

    pub fn remove(&mut self, key: &FlowKey) -> Option<Box<Connection>> {
        let hash = self.hash(key);
        let found = self.table.find_entry(hash, |c| c.has_key(key)).ok()?;
        Some(found.remove().0)
    }

    /// Adds `c` under its own key, in place of any connection the key had; returns the
    /// connection added.
    pub fn insert(&mut self, c: Box<Connection>) -> &mut Connection {
        let key = c.key();
        let hash = self.hash(&key);
        let hasher = self.hasher;
        match self
            .table
            .entry(hash, |o| o.has_key(&key), |o| hasher.hash_one(o.key()))
        {
            hashbrown::hash_table::Entry::Occupied(mut o) => {
                *o.get_mut() = c;
                o.into_mut()
            }
            hashbrown::hash_table::Entry::Vacant(v) => v.insert(c).into_mut(),
        }
    }

    /// Every connection with its key, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (FlowKey, &Connection)> + '_ {
        self.table.iter().map(|c| (c.key(), &**c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// The table finds a connection by its key from either direction, through growth (which
    /// rehashes each connection by its own key), and no other; a connection put in under a
    /// key already there takes its place; removal leaves the others findable.
    #[test]
    fn flows_are_found_by_their_key_from_either_side() {
        use crate::capture::Timestamp;
        let ep = |i: u32, port: u16| Endpoint::v4(0x0a00_0000 + i, port);
        let conn = |i: u32| {
            let (client, server) = (ep(i, 40_000 + (i % 1000) as u16), ep(1, 443));
            Box::new(Connection::new(
                client,
                server,
                0,
                u64::from(i),
                Timestamp(0),
            ))
        };
        let key = |i: u32| FlowKey::of(ep(i, 40_000 + (i % 1000) as u16), ep(1, 443)).0;
        let mut flows = Flows::default();
        for i in 2..3_000 {
            flows.insert(conn(i));
        }
        assert_eq!(flows.len(), 2_998);
        for i in 2..3_000 {
            let k = key(i);
            assert_eq!(flows.get(&k).map(|c| c.first_packet), Some(u64::from(i)));
            // The key of a segment the other way is the same key.
            assert_eq!(
                flows.get(&FlowKey::of(k.hi, k.lo).0).map(|c| c.key()),
                Some(k)
            );
        }
        assert!(flows.get(&key(3_000)).is_none());
        // Put in again under the same key: it takes the old one's place.
        let mut again = conn(7);
        again.first_packet = 99;
        flows.insert(again);
        assert_eq!(flows.len(), 2_998);
        assert_eq!(flows.get(&key(7)).map(|c| c.first_packet), Some(99));
        if let Some(c) = flows.get_mut(&key(8)) {
            c.first_packet = 100;
        }
        assert_eq!(flows.get(&key(8)).map(|c| c.first_packet), Some(100));
        for i in (2..3_000).step_by(2) {
            assert!(flows.remove(&key(i)).is_some());
        }
        assert!(flows.remove(&key(2)).is_none());
        assert_eq!(flows.len(), 1_499);
        assert_eq!(flows.iter().count(), 1_499);
        assert!(flows.iter().all(|(k, c)| c.has_key(&k) && k == c.key()));
        for i in (3..3_000).step_by(2) {
            assert_eq!(flows.get(&key(i)).map(|c| c.key()), Some(key(i)));
        }
    }
}
