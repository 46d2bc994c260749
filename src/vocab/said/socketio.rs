//! What socket.io's messages said ended a session ([`Why`]): what last restarted a ping
//! timer ([`Last`]), how a side ended the transport ([`Transport`]); and what the HTTP
//! long-polling connections of a session that began on them show ([`LongPolling`]).
//!
//! In: nothing of the project. Out: the typed verdict `app::socketio` gives (its words:
//! `report::words::app::socketio`).

use crate::vocab::Role;
use serde::{Deserialize, Serialize};

/// What socket.io's messages say ended a session (its words: `report::words::app::socketio`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Why {
    /// The server refused the connection with CONNECT_ERROR (engine.io `eio` 3: socket.io
    /// 2's ERROR) and `text` at `packet`.
    ConnectError { eio: u8, text: String, packet: u64 },
    /// `who` sent a DISCONNECT for `namespace` at `packet`.
    Disconnect {
        who: Role,
        namespace: String,
        packet: u64,
    },
    /// `who`'s message at `packet` was `size` bytes, over the server's maxPayload `max`;
    /// the server closed at `end_packet`.
    TooBig {
        who: Role,
        size: u64,
        max: u64,
        packet: u64,
        end_packet: u64,
    },
    /// `who` closed the engine.io session with a CLOSE packet at `packet`.
    Close { who: Role, packet: u64 },
    /// Withheld: `side`'s messages are not all in the capture from packet `from`.
    Lost { side: Role, from: u64 },
    /// The pinging side closed at `end_packet`: its ping at `packet` got no pong within
    /// pingTimeout `timeout_ms` (`spell_ms` before the close).
    PingUnanswered {
        pinger: Role,
        packet: u64,
        timeout_ms: u64,
        spell_ms: u64,
        end_packet: u64,
    },
    /// The answering side `by` closed at `end_packet`, `spell_ms` after the last thing
    /// that restarted its timer (`last`), past pingInterval + pingTimeout (`limit_ms`);
    /// the pinger's ping it left unread, if any.
    PingOverdue {
        by: Role,
        pinger: Role,
        last: Last,
        spell_ms: u64,
        limit_ms: u64,
        unread: Option<u64>,
        end_packet: u64,
    },
    /// `who` sent a message at `packet` that is not an engine.io packet; `by` closed at
    /// `end_packet`.
    ParseError {
        who: Role,
        by: Role,
        packet: u64,
        end_packet: u64,
    },
    /// `by` ended the transport (`how`) at `end_packet` with no DISCONNECT or CLOSE before.
    Transport {
        by: Role,
        how: Transport,
        end_packet: u64,
    },
}

/// What last restarted the answering side's ping timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Last {
    /// The pinger's last message of any kind, at this packet (engine.io 3).
    Heard(u64),
    /// Its own last pong, at this packet.
    Pong(u64),
    /// The OPEN, at this packet.
    Open(u64),
}

/// How a side ended a socket.io session's transport.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Transport {
    /// It reset its HTTP/2 stream with this frame.
    StreamReset(String),
    /// It reset the TCP connection.
    TcpReset,
    /// It closed the WebSocket.
    Closed,
}

/// A socket.io session that began on engine.io's HTTP long-polling transport, as the
/// polling connections of the capture with its session id show it (`vocab::Polls`): kept
/// in the report beside the verdict (`ApplicationReport::long_polling`, stored form only),
/// its sentence ends the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LongPolling {
    /// The engine.io session id (wire text).
    pub sid: String,
    /// The first packets of its first polling connections, at most
    /// [`Identity::MAX_LISTED`](crate::vocab::Identity::MAX_LISTED).
    pub firsts: Vec<u64>,
    /// How many polling connections had it.
    pub connections: u64,
    /// The packet that completed the last poll's answer read on any of them.
    pub last_response: Option<u64>,
    /// The packet of the engine.io UPGRADE on the WebSocket, when it is in the capture.
    pub upgrade: Option<u64>,
    /// The OPEN a polling response carried: its packet, pingInterval and pingTimeout (ms).
    pub open: Option<(u64, u64, u64)>,
}
