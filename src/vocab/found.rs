//! What a finding found, as a value ([`Found`]): one variant per finding kind made a value,
//! each holding what was seen (packets' numbers, sizes, offsets, codes; a quote of the wire
//! as its own field), never a sentence.
//!
//! In: nothing of the project. Out: the values the stages record and `diagnose/` decides
//! on; their words are made in `report/words/finding.rs`, the one place a finding is said.

use super::close::Problem;
use super::finding::Kind;
use super::side::Role;
use serde::{Deserialize, Serialize};

/// What a finding found: its kind's own fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Found {
    /// Bytes missing from one direction's stream ([`Kind::Gap`]).
    Gap(Gap),
    /// A close frame whose payload breaks a rule ([`Kind::MalformedClose`]).
    MalformedClose {
        /// What is wrong with it, the capture's own loss (`Problem::Truncated`) aside.
        problems: Vec<Problem>,
    },
}

impl Found {
    /// The finding's kind (`findings[].kind`).
    pub fn kind(&self) -> Kind {
        match self {
            Found::Gap(_) => Kind::Gap,
            Found::MalformedClose { .. } => Kind::MalformedClose,
        }
    }
}

/// Bytes of one direction's stream that are not in the capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// How many bytes.
    pub len: u64,
    /// Where they start in the direction's stream.
    pub offset: u64,
    /// Why they are missing, as far as the capture tells.
    pub why: GapWhy,
}

/// Why a gap's bytes are missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GapWhy {
    /// The packets were captured shorter than they were sent (the snap length).
    SnapLength,
    /// Dropped or cut by the capture: nothing in it explains them.
    NotCaptured,
    /// They never reached the receiver (`diagnose` decides it from the receiver's
    /// acknowledgements: RFC 9293 §3.10.7.4, RFC 5681 §4.2): lost on the path, not by the
    /// capture.
    NeverReached {
        /// The receiver.
        peer: Role,
        /// The sender's later segment that arrived while the receiver's acknowledgements
        /// stayed at the hole's start.
        later: u64,
        /// The receiver's packet whose SACK blocks held later bytes (RFC 2018 §4), if any.
        sacked: Option<u64>,
        /// The path MTU black hole a cause names explains it.
        black_hole: bool,
    },
}
