//! What Phoenix channels' messages said ended a session ([`Why`]).
//!
//! In: nothing of the project. Out: the typed verdict `app::phoenix` gives.

use serde::{Deserialize, Serialize};

/// What Phoenix's messages say ended a session (its words: `report::words::app::phoenix`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Why {
    /// phoenix.js closed with "heartbeat timeout" at packet `close`: its heartbeat (at
    /// packet `heartbeat`, when seen) got no phx_reply before the next was due.
    HeartbeatTimeout { heartbeat: Option<u64>, close: u64 },
    /// The server refused the client's join of `topic` (phx_reply status "error" with
    /// `reason`) at `packet`; the client sent nothing more and closed at `end_packet`.
    JoinRefused {
        topic: String,
        reason: String,
        packet: u64,
        end_packet: u64,
    },
    /// The client sent nothing after packet `last` for `quiet_ms`; the server closed at
    /// `end_packet`.
    Timeout {
        last: u64,
        quiet_ms: u64,
        end_packet: u64,
    },
}
