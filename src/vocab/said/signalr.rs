//! What SignalR's messages said ended a session ([`Why`]).
//!
//! In: nothing of the project. Out: the typed verdict `app::signalr` gives (its words:
//! `report::words::app::signalr`).

use crate::vocab::Role;
use serde::{Deserialize, Serialize};

/// What SignalR's messages say ended a session (its words: `report::words::app::signalr`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Why {
    /// The server refused the handshake with `error` at `packet`.
    HandshakeError { error: String, packet: u64 },
    /// The client sent its own Close record at `packet` (HubConnection.stop()).
    ClientClosed { packet: u64 },
    /// The server sent Close (with `error`, if any) at `packet`, with reconnect allowed or
    /// not when it said.
    ServerClosed {
        error: Option<String>,
        reconnect: Option<bool>,
        packet: u64,
    },
    /// `by` heard nothing from its peer for `quiet_ms` after packet `last` and closed at
    /// `end_packet`: past the default timeout, or (`every_ms`, the client only) after the
    /// server had sent at that steady cadence.
    Timeout {
        by: Role,
        every_ms: Option<u64>,
        last: u64,
        quiet_ms: u64,
        end_packet: u64,
    },
}
