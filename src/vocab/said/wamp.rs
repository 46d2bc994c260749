//! What WAMP's messages said ended a session ([`Why`]): an ABORT or GOODBYE ([`Closing`]),
//! an ERROR ([`Error`]).
//!
//! In: nothing of the project. Out: the typed verdict `app::wamp` gives (its words:
//! `report::words::app::wamp`).

use crate::vocab::Role;
use serde::{Deserialize, Serialize};

/// An ABORT or GOODBYE as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closing {
    pub from: Role,
    pub abort: bool,
    pub reason: String,
    pub message: Option<String>,
    pub packet: u64,
}

/// An ERROR as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Error {
    pub from: Role,
    /// The request it answers: its type's code and its id.
    pub request: Option<(u64, u64)>,
    pub uri: String,
    pub message: Option<String>,
    pub packet: u64,
}

/// What WAMP's messages say ended a session (its words: `report::words::app::wamp`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Why {
    /// Neither side refused nor closed the session: whether it was established (WELCOME's
    /// packet), the last ERROR, where each side's messages (client, server) stop being all
    /// in the capture, and who ended the connection at which packet.
    Open {
        welcome: Option<u64>,
        error: Option<Error>,
        lost: [Option<u64>; 2],
        ended: Option<(Role, u64)>,
    },
    /// The first ABORT or GOODBYE; for an ABORT the router sent before any WELCOME, the
    /// client's HELLO it refused (realm, packet); for a GOODBYE the other's GOODBYE that
    /// answered it (reason, packet); the WebSocket close (who, packet) and who ended the
    /// connection (who, packet).
    Closing {
        closing: Closing,
        refused_hello: Option<(Option<String>, u64)>,
        answer: Option<(String, u64)>,
        close: Option<(Role, u64)>,
        ended: Option<(Role, u64)>,
    },
}
