//! What the report says of a session's application protocol, where it is a plain value: its
//! heartbeat ([`HeartbeatReport`], one [`SideBeat`] each way; JSON
//! `application.heartbeat`) and a socket.io session's long-polling connections
//! ([`PollingConnection`]; JSON `application.related[].polling[]`). The report itself
//! (`app::ApplicationReport`) and its identities stay in `app`: an identity keeps the
//! socket.io timers its stored form carries (`app::socketio::PingFacts`).
//!
//! In: nothing of the project. Out: the values `app` fills as it reads the messages.

use serde::{Deserialize, Serialize};

/// The heartbeat of a session (JSON `application.heartbeat`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HeartbeatReport {
    /// The interval the protocol negotiated or announced, in ms.
    pub interval_ms: Option<u64>,
    /// How long a side waits for the other's heartbeat before giving up, in ms.
    pub timeout_ms: Option<u64>,
    /// The client's heartbeat.
    pub client: SideBeat,
    /// The server's heartbeat.
    pub server: SideBeat,
}

/// One side's heartbeats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SideBeat {
    /// The protocol's heartbeat requests this side sent, and its answers to the other's.
    pub pings: u64,
    /// The period of those heartbeats as the capture shows it: the shortest interval
    /// between two in a row, in ms, once at least three were sent (null before).
    pub period_ms: Option<u64>,
    /// Its answers to the other side's heartbeat requests.
    pub pongs: u64,
    /// Packets of the last of each.
    pub last_ping: Option<u64>,
    /// Packet of its last answer.
    pub last_pong: Option<u64>,
    /// Its heartbeat requests after the other side's last answer (0 where the protocol's
    /// heartbeat asks for none: STOMP heart-beats, SignalR and Action Cable pings).
    pub unanswered: u64,
    /// WebSocket pings and pongs (RFC 6455 §5.5.2-§5.5.3).
    pub websocket_pings: u64,
    /// WebSocket pongs it sent.
    pub websocket_pongs: u64,
    /// Its WebSocket pings after the other side's last pong.
    pub websocket_unanswered: u64,
}

/// An HTTP long-polling connection of a socket.io session (JSON
/// `application.related[].polling[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PollingConnection {
    /// Its first packet.
    pub first_packet: u64,
    /// The packet that completed the last HTTP response read on it (null when none was).
    pub last_response: Option<u64>,
    /// HTTP requests read on it.
    pub requests: u32,
    /// The packet of the engine.io OPEN its response carried, when it did.
    pub open_packet: Option<u64>,
}
