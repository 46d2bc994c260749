//! What STOMP's frames said ended a session ([`Why`]), and what followed an ERROR frame
//! ([`Then`]).
//!
//! In: nothing of the project. Out: the typed verdict `app::stomp` gives (its words:
//! `report::words::app::stomp`).

use crate::vocab::Role;
use serde::{Deserialize, Serialize};

/// What STOMP's frames say ended a session (its words: `report::words::app::stomp`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Why {
    /// The server sent an ERROR frame with `message` at `packet`; what came then.
    Error {
        message: String,
        packet: u64,
        then: Then,
    },
    /// The client sent DISCONNECT at `packet`, its receipt answered at `receipt`.
    Disconnect { packet: u64, receipt: Option<u64> },
    /// Withheld: `side`'s frames are not all in the capture from packet `from`.
    BeatsLost { side: Role, from: u64 },
    /// `by` heard nothing for `quiet_ms` after the other's last frame at `last`, which was
    /// to beat every `every_ms`, and closed at `end_packet`.
    MissedBeats {
        by: Role,
        every_ms: u64,
        last: u64,
        quiet_ms: u64,
        end_packet: u64,
    },
    /// Withheld: the frames are not all in the capture from packet `from`.
    FramesLost { from: u64 },
    /// The server closed at `end_packet` with no STOMP frame saying why; the client's last
    /// frame (packet, ms before, its heart-beat in ms) when it beat.
    NoReason {
        end_packet: u64,
        client_beat: Option<(u64, u64, u64)>,
    },
}

/// What followed a STOMP ERROR frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Then {
    /// The client closed at this packet, in answer to it.
    ClientClosed(u64),
    /// The client answered with DISCONNECT (first packet), the server closed (second).
    Disconnected(u64, u64),
    /// The server closed at this packet.
    ServerClosed(u64),
}
