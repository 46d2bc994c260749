//! What a status's code names that the capture does not show before the close frame
//! ([`Unseen`]), and why ([`NotSeen`]): a part of an evidence line kept as a value
//! (`report::evidence::Part::Unseen`), which a later stage may decide on and
//! `report/words/evidence.rs` says.
//!
//! In: nothing of the project. Out: the values `diagnose::evidence` records.

use super::side::Role;
use serde::{Deserialize, Serialize};

/// What a close code names that the capture does not show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unseen {
    /// A protocol violation (1002).
    Violation,
    /// Invalid UTF-8 text or a compressed message that does not inflate (1007).
    BadText,
    /// A message (1009 with no message or frame counted).
    Message,
}

/// Why what a close code names is not visible before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NotSeen {
    /// Part of the capture is missing: it may be there.
    Missing,
    /// Nothing is missing: the code and the capture disagree.
    Disagree,
    /// The application protocol of the side that sent the close explains it (a broker
    /// refusing a login with 1002): its code is about that protocol.
    Application {
        /// The side whose application ended the session (the close frame's sender).
        from: Role,
        /// The protocol ("MQTT").
        protocol: String,
        /// The cause the protocol's messages named.
        cause: String,
    },
}
