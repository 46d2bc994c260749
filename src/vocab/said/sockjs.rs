//! What SockJS's messages said ended a session ([`Why`]): what followed its close frame
//! ([`After`]), what ended a session whose heartbeat stopped ([`Ended`]).
//!
//! In: nothing of the project. Out: the typed verdict `app::sockjs` gives (its words:
//! `report::words::app::sockjs`).

use crate::vocab::Role;
use serde::{Deserialize, Serialize};

/// What SockJS's messages say ended a session (its words: `report::words::app::sockjs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Why {
    /// The server closed the session with its close frame `c[code,"reason"]` at `packet`;
    /// what ended the transport after it.
    Closed {
        code: u64,
        reason: String,
        packet: u64,
        after: After,
    },
    /// The server's heartbeat (`h` every `period_ms`) stopped after packet `beat`; the
    /// session ended (`ending`) `quiet_ms` later at `end_packet`.
    HeartbeatStopped {
        period_ms: u64,
        beat: u64,
        ending: Ended,
        quiet_ms: u64,
        end_packet: u64,
    },
}

/// What ended the transport after a SockJS close frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum After {
    /// A WebSocket close frame from `by` (with `code`, if any) at `packet`.
    CloseFrame {
        by: Role,
        code: Option<u16>,
        packet: u64,
    },
    /// `by`'s ending of the transport (`how`: "FIN", "RST", an HTTP/2 frame) at `packet`.
    Transport { by: Role, how: String, packet: u64 },
    /// Nothing after it: it was the end.
    Nothing,
}

/// What ended a session whose SockJS heartbeat stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ended {
    /// A side's WebSocket close frame.
    CloseFrame(Role),
    /// A side's frame that ended its HTTP/2 stream (as RFC 9113 names it).
    Stream(Role, String),
    /// A side's TCP FIN or RST ("FIN", "RST", "close_notify").
    Tcp(Role, String),
    /// The side that ended the session, by nothing more precise.
    Session(Role),
}
