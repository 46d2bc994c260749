//! How the flows of one capture are dealt to the analyzer's threads: by groups of the hash
//! of their endpoints; and, for a file the threads share, each whole packet to the thread of
//! its flow ([`Deal`], which the shared reader of `capture::shared` asks).

use super::{never_tcp, Plain};
use crate::capture::shared::{Deal, Dealt};
use crate::vocab::{Endpoint, LinkType};

/// At most this many flow groups (see [`Shards`]), hence at most this many analyzer threads
/// on one file.
pub const MAX_GROUPS: u64 = 64;

/// How the flows of one capture are dealt out: each flow falls in one of `groups` groups by
/// the hash of its two endpoints (`Endpoint::group`), and each of `n` analyzer threads
/// (shards) takes whole groups, consecutive ones. The analyzer keeps its flow cap per group,
/// so what it evicts depends on the groups alone, never on how many threads share them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shards {
    groups: u64,
    n: u64,
    /// The shard of each group.
    owner: [u8; MAX_GROUPS as usize],
}

/// A shared file's packets dealt by flow: plain TCP to the reader of its flow's shard, what
/// [`never_tcp`] can tell has no TCP to none, the rest to every reader.
impl Deal for Shards {
    fn readers(&self) -> u64 {
        self.count()
    }

    #[inline(always)]
    fn deal(&self, link: LinkType, data: &[u8]) -> Dealt {
        let plain = Plain::find(link, data);
        if let Some((plain, (a, b))) = plain.and_then(|x| Some((x, x.ends(data)?))) {
            Dealt::Reader(self.owner(&a, &b) as u8, plain)
        } else if never_tcp(link, data) {
            Dealt::NoTcp
        } else {
            Dealt::Every
        }
    }
}

impl Shards {
    /// `groups` groups (1 to [`MAX_GROUPS`]) dealt to `n` shards (1 to `groups`; values
    /// outside are brought within).
    pub fn new(groups: u64, n: u64) -> Shards {
        let groups = groups.clamp(1, MAX_GROUPS);
        let n = n.clamp(1, groups);
        let mut owner = [0u8; MAX_GROUPS as usize];
        for (g, o) in (0..groups).zip(owner.iter_mut()) {
            *o = (g * n / groups) as u8;
        }
        Shards { groups, n, owner }
    }

    /// [`MAX_GROUPS`] groups dealt to `n` shards.
    #[cfg(test)]
    pub fn even(n: u64) -> Shards {
        Shards::new(MAX_GROUPS, n)
    }

    /// How many shards there are.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// The group of the flow between `a` and `b` (either order).
    #[inline]
    pub fn group(&self, a: &Endpoint, b: &Endpoint) -> u64 {
        Endpoint::group(a, b, self.groups)
    }

    /// The shard of the flow between `a` and `b` (either order): every packet of a
    /// connection goes to the same analyzer thread.
    #[inline]
    pub fn owner(&self, a: &Endpoint, b: &Endpoint) -> u64 {
        let g = self.group(a, b) as usize;
        u64::from(self.owner.get(g).copied().unwrap_or(0))
    }
}
