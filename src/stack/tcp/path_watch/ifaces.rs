//! The interfaces a run's pcapng inputs name, as [`PathWatch`](super::PathWatch) tells
//! them apart and the copies note names them.
//!
//! In: each packet's [`Interface`] (its Interface Description Block's number in its input,
//! its ID in its section, its `if_name` or `if_description`; draft-ietf-opsawg-pcapng
//! §4.2, §4.3), the input changing. Out: the interface's key for the segment
//! ([`Interfaces::key`]: one table lookup for an interface seen before in the input), and
//! what a key is called ([`Interfaces::label`]).
//!
//! A key is the place of the interface in a table of the run's interfaces: two interfaces
//! with the same name (one in each file of a rotation, one in each section) are one, as
//! are two unnamed ones with the same ID; keys carry [`PCAPNG`], so that they never equal
//! a Linux cooked v2 header's interface index, which the segment keeps when it has one
//! (that header names the interface of each packet of an `-i any` capture, one pcapng
//! interface). The table holds at most [`MAX`] interfaces; beyond, an interface's key is
//! made of its ID (and it is shown by it).

use crate::capture::Interface;
use crate::decode::Segment;

/// Set in the key of an interface a pcapng file names.
pub const PCAPNG: u32 = 1 << 31;

/// Interfaces kept in the table of a run.
pub const MAX: usize = 1024;

/// Inputs' interface numbers mapped through the table (larger ones are looked up in it).
const MAPPED: usize = 1 << 16;

/// Not mapped yet.
const UNSET: u32 = u32::MAX;

/// The run's interfaces, and the current input's numbers for them.
#[derive(Debug, Default)]
pub struct Interfaces {
    /// Each key's interface: its ID (where first seen) and name.
    table: Vec<(u32, Option<Box<str>>)>,
    /// The current input's interfaces, by number: their keys ([`UNSET`] if none yet).
    input: Vec<u32>,
}

/// What a key is called in a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label<'a> {
    /// Named by the capture (made safe to show when it was read).
    Name(&'a str),
    /// Known by an index only: a Linux cooked v2 header's interface index, or an unnamed
    /// pcapng interface's ID.
    Index(u32),
}

impl Interfaces {
    /// A new input: its interface numbers start again.
    pub fn new_input(&mut self) {
        self.input.clear();
    }

    /// The segment's interface when it names none of its own: the one its packet was
    /// captured on (`iface`), if the capture names it.
    #[inline(always)]
    pub fn name(&mut self, seg: &mut Segment<'_>, iface: Option<&Interface>) {
        if seg.iface.is_none() {
            if let Some(i) = iface {
                seg.iface = Some(self.key(i));
            }
        }
    }

    /// The key of interface `i` of the current input.
    #[inline(always)]
    pub fn key(&mut self, i: &Interface) -> u32 {
        match self.input.get(i.number as usize) {
            Some(&k) if k != UNSET => k,
            _ => self.learn(i),
        }
    }

    /// [`Interfaces::key`] of an interface first seen in this input (or beyond [`MAPPED`]).
    #[cold]
    fn learn(&mut self, i: &Interface) -> u32 {
        let same = |(id, name): &(u32, Option<Box<str>>)| {
            *name == i.name && (name.is_some() || *id == i.id)
        };
        let key = match self.table.iter().position(same) {
            Some(k) => k as u32,
            None if self.table.len() < MAX => {
                self.table.push((i.id, i.name.clone()));
                (self.table.len() - 1) as u32
            }
            None => MAX as u32 + i.id.min(!PCAPNG - MAX as u32 - 1),
        } | PCAPNG;
        let n = i.number as usize;
        if n < MAPPED {
            if self.input.len() <= n {
                self.input.resize(n + 1, UNSET);
            }
            if let Some(slot) = self.input.get_mut(n) {
                *slot = key;
            }
        }
        key
    }

    /// What `key` is called: a pcapng interface's name or ID, or a Linux cooked v2
    /// interface index.
    pub fn label(&self, key: u32) -> Label<'_> {
        if key & PCAPNG == 0 {
            return Label::Index(key);
        }
        let k = (key & !PCAPNG) as usize;
        match self.table.get(k) {
            Some((_, Some(name))) => Label::Name(name),
            Some((id, None)) => Label::Index(*id),
            None => Label::Index(k.saturating_sub(MAX) as u32),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(number: u32, id: u32, name: Option<&str>) -> Interface {
        Interface {
            number,
            id,
            name: name.map(Into::into),
        }
    }

    /// Keys: one per name across inputs and sections, one per ID for unnamed
    /// interfaces, never a cooked header's index; labels by name or ID.
    #[test]
    fn keys_and_labels() {
        let mut t = Interfaces::default();
        let (veth, br) = (iface(0, 0, Some("veth0")), iface(1, 1, Some("br0")));
        let (kv, kb) = (t.key(&veth), t.key(&br));
        assert_ne!(kv, kb);
        assert_eq!(t.key(&veth), kv);
        assert!(kv & PCAPNG != 0 && kb & PCAPNG != 0);
        // A second section (numbers go on, IDs start again) naming the same ones.
        assert_eq!(t.key(&iface(2, 0, Some("br0"))), kb);
        // A rotated file: numbers start again.
        t.new_input();
        assert_eq!(t.key(&iface(0, 0, Some("br0"))), kb);
        assert_eq!(t.key(&iface(1, 1, Some("veth0"))), kv);
        let (u0, u1) = (t.key(&iface(2, 0, None)), t.key(&iface(3, 1, None)));
        assert_ne!(u0, u1);
        assert_eq!(t.key(&iface(4, 1, None)), u1);
        assert_eq!(t.label(kv), Label::Name("veth0"));
        assert_eq!(t.label(u1), Label::Index(1));
        assert_eq!(t.label(37), Label::Index(37));
        // Beyond the table: keyed and shown by ID.
        for n in 0..MAX as u32 {
            t.key(&iface(10 + n, 5, Some(&format!("if{n}"))));
        }
        let far = t.key(&iface(70_000, 9, Some("one too many")));
        assert_eq!(t.label(far), Label::Index(9));
    }

    /// The segment keeps a Linux cooked v2 index; one without takes its packet's interface.
    #[test]
    fn cooked_index_first() {
        let mut t = Interfaces::default();
        let eth0 = iface(0, 0, Some("eth0"));
        let payload: &[u8] = b"";
        let mut seg = Segment {
            iface: Some(4),
            ..Segment::test(payload)
        };
        t.name(&mut seg, Some(&eth0));
        assert_eq!(seg.iface, Some(4));
        seg.iface = None;
        t.name(&mut seg, Some(&eth0));
        assert_eq!(seg.iface.map(|k| t.label(k)), Some(Label::Name("eth0")));
    }
}
