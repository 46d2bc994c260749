//! What Action Cable's messages said ended a session ([`Why`]).
//!
//! In: nothing of the project. Out: the typed verdict `app::actioncable` gives (its words:
//! `report::words::app::actioncable`).

use serde::{Deserialize, Serialize};

/// What Action Cable's messages say ended a session (its words:
/// `report::words::app::actioncable`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Why {
    /// The server sent disconnect with `reason` (possibly empty) at `packet`, with
    /// reconnect allowed or not when it said.
    Disconnect {
        reason: String,
        reconnect: Option<bool>,
        packet: u64,
    },
    /// Withheld: the server's messages are not all in the capture from packet `from`.
    ServerLost { from: u64 },
    /// The client heard nothing from the server for `quiet_ms` after packet `last` and
    /// closed at `end_packet`.
    Stale {
        last: u64,
        quiet_ms: u64,
        end_packet: u64,
    },
    /// The server rejected the subscription `id` at `packet`; the client closed at
    /// `end_packet`.
    Rejected {
        id: String,
        packet: u64,
        end_packet: u64,
    },
    /// The client closed with an empty close frame at packet `close`, as the consumer's
    /// disconnect() does.
    ConsumerDisconnected { close: u64 },
}
