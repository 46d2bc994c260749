//! What a session's closer said beyond its code (issue 102 item 1): the close reason, the
//! words of a page refusing the upgrade, a TLS alert. Variable text, so kept once per
//! distinct value in a side table ([`Saids`]) that each [`Ending`](super::Ending) names by a
//! small id (`Ending::said`); the peer's message its close answered (its opcode, size, and
//! the time from it to the close) is the ending's own (`Ending::answered_us`).
//!
//! In: what `report::incidents::ending` read of a connection. Out: the ids the endings
//! carry, their values for the incidents' words and JSON (`vocab::Stated`). A match between
//! endings compares the whole value (the ids of one table), never a hash alone. Memory:
//! each value's bytes ([`Said::bytes`]) are charged to the incident stage's room with the
//! endings (`Index`, `memory::incidents_room`).

/// An ending that said nothing beyond its code (or whose words were not kept for want of
/// room).
pub const NONE: u32 = 0;

/// Bytes of a refusal's words kept (the rest cut at a character boundary).
pub const WORDS_MAX: usize = 80;

/// What one side said as it ended a session, beyond how (its code is the ending's `how`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Said {
    /// The first close frame's reason, as sent (empty ones are none).
    pub reason: Option<Box<str>>,
    /// The words of the response that refused the upgrade (its body's first
    /// [`WORDS_MAX`] bytes, tags left out).
    pub words: Option<Box<str>>,
    /// The fatal TLS alert the ending side sent (its name).
    pub alert: Option<Box<str>>,
}

impl Said {
    /// Whether it says nothing.
    pub fn is_empty(&self) -> bool {
        *self == Said::default()
    }

    /// What keeping it costs: itself (twice: the table's vector may grow to twice what it
    /// holds), its text, and its place in the table's index.
    pub fn bytes(&self) -> usize {
        let text = |t: &Option<Box<str>>| t.as_ref().map_or(0, |t| t.len());
        2 * std::mem::size_of::<Said>()
            + text(&self.reason)
            + text(&self.words)
            + text(&self.alert)
            + ENTRY_BYTES
    }
}

/// The table's index per value, twice (its map and chain may grow to twice what they
/// hold): its hash and id in the map, its next in the chain.
const ENTRY_BYTES: usize = 2 * (8 + 4 + 4);

/// The distinct values of what endings said, each kept once, named by id (from 1).
#[derive(Debug, Clone, Default)]
pub struct Saids {
    values: Vec<Said>,
    /// The first id of each hash (the chain of the others through `next`).
    first: rustc_hash::FxHashMap<u64, u32>,
    /// Per value: the next id of the same hash (0: none).
    next: Vec<u32>,
    /// What its values cost ([`Said::bytes`]).
    bytes: usize,
}

fn hash(s: &Said) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    s.hash(&mut h);
    h.finish()
}

impl Saids {
    /// The id of `s`'s value, kept when new (an empty one: [`NONE`]).
    pub fn intern(&mut self, s: Said) -> u32 {
        if s.is_empty() {
            return NONE;
        }
        let h = hash(&s);
        if let Some(id) = self.find(h, &s) {
            return id;
        }
        self.bytes += s.bytes();
        self.values.push(s);
        let id = self.values.len() as u32;
        let before = self.first.insert(h, id).unwrap_or(NONE);
        self.next.push(before);
        id
    }

    /// The id of a value equal to `s` of hash `h`, if kept.
    fn find(&self, h: u64, s: &Said) -> Option<u32> {
        let mut id = self.first.get(&h).copied().unwrap_or(NONE);
        while id != NONE {
            if self.get(id) == Some(s) {
                return Some(id);
            }
            id = self.next.get(id as usize - 1).copied().unwrap_or(NONE);
        }
        None
    }

    /// Whether `s` is kept already (interning it costs nothing more).
    pub fn has(&self, s: &Said) -> bool {
        s.is_empty() || self.find(hash(s), s).is_some()
    }

    /// The value of `id` ([`NONE`]: none).
    pub fn get(&self, id: u32) -> Option<&Said> {
        id.checked_sub(1).and_then(|k| self.values.get(k as usize))
    }

    /// What its values cost.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Distinct values kept.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Takes in `other`'s values: per id of `other`, its id here (index `id - 1`).
    pub fn merge(&mut self, other: Saids) -> Vec<u32> {
        other.values.into_iter().map(|s| self.intern(s)).collect()
    }

    /// Its values, in the order of their ids.
    pub fn values(&self) -> impl Iterator<Item = &Said> {
        self.values.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(r: &str) -> Said {
        Said {
            reason: Some(r.into()),
            ..Said::default()
        }
    }

    #[test]
    fn one_copy_per_value_and_the_whole_value_compared() {
        let mut t = Saids::default();
        let a = t.intern(reason("plan changed"));
        let b = t.intern(reason("plan changed"));
        let c = t.intern(reason("plan changed!"));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(t.len(), 2);
        assert_eq!(t.intern(Said::default()), NONE);
        assert_eq!(t.get(c), Some(&reason("plan changed!")));
        let mut u = Saids::default();
        let x = u.intern(reason("other"));
        let y = u.intern(reason("plan changed"));
        let map = t.merge(u);
        assert_eq!(map.len(), 2);
        assert_eq!(map.get(y as usize - 1), Some(&a));
        assert_eq!(t.get(map[x as usize - 1]), Some(&reason("other")));
        assert_eq!(t.len(), 3);
    }
}
