//! The evidence for a status, as the report holds it: one line for the table and the
//! packets that show it, made of parts ([`Part`]): words made in `report/words/evidence.rs`
//! from what `diagnose::evidence` drew from the capture, and the part a later stage decides
//! on kept as a value ([`Part::Unseen`]), so that the line is said again from its parts
//! ([`Evidence::reword`]), never searched or patched.

use crate::vocab::{NotSeen, Role, Unseen};
use serde::{Deserialize, Serialize};

/// What the capture shows that explains (or contradicts) the status, with packet numbers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct Evidence {
    /// One line, for the table.
    pub summary: String,
    /// The packets that show it.
    pub packets: Vec<u64>,
    /// False when the code and the capture disagree (e.g. a 1002 with no violation visible).
    pub consistent: bool,
    /// What `summary` says, part by part (its words are theirs, one after the other). Kept
    /// in the stored form, left out of the JSON (its `summary` says it).
    #[serde(default)]
    #[schemars(skip)]
    pub parts: Vec<Part>,
}

// Its JSON leaves out `parts`; its stored form keeps them, so that a report read back from
// the store is said again from them as one in memory.
impl Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let human = s.is_human_readable();
        let mut st = s.serialize_struct("Evidence", 4)?;
        st.serialize_field("summary", &self.summary)?;
        st.serialize_field("packets", &self.packets)?;
        st.serialize_field("consistent", &self.consistent)?;
        if human {
            st.skip_field("parts")?;
        } else {
            st.serialize_field("parts", &self.parts)?;
        }
        st.end()
    }
}

/// A part of an evidence line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Part {
    /// Words made in `report/words/` (a clause with its own lead, "; then ..."), said as
    /// they are.
    Said(String),
    /// No sign of what the status's code names is visible before the close frame.
    Unseen {
        /// What the code names.
        what: Unseen,
        /// The side it would have come from: the peer of the close frame's sender.
        peer: Role,
        /// The close frame's packet.
        packet: u64,
        /// Why it is not there.
        why: NotSeen,
    },
}

impl Part {
    /// Whether the capture agrees with the code, as far as this part tells.
    pub fn consistent(&self) -> bool {
        !matches!(
            self,
            Part::Unseen {
                why: NotSeen::Disagree,
                ..
            }
        )
    }
}

impl Evidence {
    /// Evidence the capture agrees with.
    pub fn new(summary: String, packets: Vec<u64>) -> Evidence {
        Evidence {
            parts: vec![Part::Said(summary.clone())],
            summary,
            packets,
            consistent: true,
        }
    }

    /// Evidence of one part, said in its words (`consistent` from it).
    pub fn of(part: Part, packets: Vec<u64>) -> Evidence {
        let mut e = Evidence {
            summary: String::new(),
            packets,
            consistent: part.consistent(),
            parts: vec![part],
        };
        e.reword();
        e
    }

    /// Puts `words` (made in `report/words/`, ending in their own joint: "...; ") before the
    /// line, and `packet` first among its packets.
    pub fn lead(&mut self, words: String, packet: u64) {
        self.parts.insert(0, Part::Said(words));
        self.packets.insert(0, packet);
        self.reword();
    }

    /// The line said again from its parts, after a part changed.
    pub fn reword(&mut self) {
        self.summary.clear();
        for p in &self.parts {
            match p {
                Part::Said(words) => self.summary.push_str(words),
                Part::Unseen {
                    what,
                    peer,
                    packet,
                    why,
                } => self
                    .summary
                    .push_str(&super::words::evidence::unseen(*what, *peer, *packet, why)),
            }
        }
    }

    /// Adds a clause ("; then the server reset TCP (RST, packet 14)") and its packets.
    pub fn add(&mut self, clause: std::fmt::Arguments<'_>, packets: impl IntoIterator<Item = u64>) {
        self.push(clause.to_string(), packets);
    }

    /// Adds a clause made in `report/words/` (with its joint, "; then ...") and its packets.
    pub fn push(&mut self, words: String, packets: impl IntoIterator<Item = u64>) {
        self.summary.push_str(&words);
        self.parts.push(Part::Said(words));
        self.packets.extend(packets);
        self.packets.sort_unstable();
        self.packets.dedup();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unseen() -> Evidence {
        let part = Part::Unseen {
            what: Unseen::Violation,
            peer: Role::Server,
            packet: 9,
            why: NotSeen::Disagree,
        };
        let mut e = Evidence::of(part, vec![9]);
        e.push("; then the server reset TCP (RST, packet 11)".into(), [11]);
        e
    }

    /// The stored form keeps the parts, so that a report read back from the store is said
    /// again from them (`diagnose::app`); the JSON leaves them out.
    #[test]
    fn parts_are_stored_not_in_json() {
        let e = unseen();
        assert!(!e.consistent);
        let back: Evidence = crate::serial::read(&crate::serial::to_vec(&e).unwrap()).unwrap();
        assert_eq!(back, e);
        let json = serde_json::to_value(&e).unwrap();
        let mut keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["consistent", "packets", "summary"]);
    }

    /// A part changed is said again, the clauses after it kept.
    #[test]
    fn a_part_changed_is_said_again() {
        let mut e = unseen();
        if let Some(Part::Unseen { why, .. }) = e.parts.first_mut() {
            *why = NotSeen::Missing;
        }
        e.reword();
        assert_eq!(
            e.summary,
            "no protocol violation from the server is visible before the close (packet 9): part of the capture is missing, so it may be there; then the server reset TCP (RST, packet 11)"
        );
        assert_eq!(e.packets, [9, 11]);
    }
}
