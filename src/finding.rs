//! Typed findings: everything wrong or notable inside a capture, each with the side that
//! caused it, the packet it is in, and what was found as a value (`vocab::Found`, worded in
//! `report/words/finding.rs`). Never a panic, never a log line.
//!
//! In: recorded by the tcp, http and websocket stages as they see things
//! ([`Findings::found`]: what they found as a value, never a sentence of theirs).
//! Out: the report's `findings` array. The `kind` names are part of the JSON contract
//! (kebab-case, stable).
//!
//! ```
//! use wsclose::vocab::Kind;
//!
//! // A python `websockets` server sent a frame with RSV1 set and no extension agreed.
//! let capture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/python-rule-rsv1.pcap");
//! let report = wsclose::analyze_files(&[capture.into()], wsclose::Options::default())?;
//! let finding = &report.connections[0].findings[0];
//! assert_eq!(finding.kind, Kind::RsvBitsSet);
//! assert_eq!(finding.kind.as_str(), "rsv-bits-set"); // its name in the JSON report
//! assert!(finding.kind.is_violation() && finding.packet.is_some());
//! # Ok::<(), wsclose::error::Error>(())
//! ```

use crate::vocab::{Finding, Found, Kind, Role};
use serde::{Deserialize, Serialize};

/// A bounded list: a hostile capture cannot grow it without limit.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Findings {
    /// The findings kept, in order (at most [`Findings::MAX`]).
    pub items: Vec<Finding>,
    /// Findings not kept because the list was full.
    pub dropped: u64,
}

impl Findings {
    /// How many are kept; the others are counted in `dropped`.
    pub const MAX: usize = 200;

    /// Adds a finding recorded as a value ([`Found`]: its kind and fields; its words are
    /// made in `report::words::finding`), or counts it as dropped when the list is full.
    pub fn found(&mut self, from: Option<Role>, packet: Option<u64>, found: Found) {
        if self.items.len() < Self::MAX {
            let f = crate::report::words::finding::finding(from, packet, found);
            self.items.push(f);
        } else {
            self.dropped += 1;
        }
    }

    /// Whether a finding of `kind` is in the list.
    pub fn has(&self, kind: Kind) -> bool {
        self.items.iter().any(|f| f.kind == kind)
    }
}
