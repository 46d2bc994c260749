//! The evidence for a status, as the report holds it: one line for the table and the
//! packets that show it. `diagnose::evidence` draws it from the capture.

use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// What the capture shows that explains (or contradicts) the status, with packet numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct Evidence {
    /// One line, for the table.
    pub summary: String,
    /// The packets that show it.
    pub packets: Vec<u64>,
    /// False when the code and the capture disagree (e.g. a 1002 with no violation visible).
    pub consistent: bool,
}

impl Evidence {
    /// Evidence the capture agrees with.
    pub fn new(summary: String, packets: Vec<u64>) -> Evidence {
        Evidence {
            summary,
            packets,
            consistent: true,
        }
    }

    /// Adds a clause ("; then the server reset TCP (RST, packet 14)") and its packets.
    pub fn add(&mut self, clause: std::fmt::Arguments<'_>, packets: impl IntoIterator<Item = u64>) {
        let _ = self.summary.write_fmt(clause);
        self.packets.extend(packets);
        self.packets.sort_unstable();
        self.packets.dedup();
    }
}
