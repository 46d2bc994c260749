//! What the report says of a session's application protocol ([`ApplicationReport`], JSON
//! `application`): its heartbeat ([`HeartbeatReport`], one [`SideBeat`] each way; JSON
//! `application.heartbeat`), the identities it shares with other sessions ([`Identity`],
//! JSON `application.related[]`, with what a socket.io ping timeout is judged from,
//! [`PingFacts`], in its stored form) and a socket.io session's long-polling connections
//! ([`PollingConnection`]; JSON `application.related[].polling[]`).
//!
//! In: nothing of the project. Out: the values `app` fills as it reads the messages.

use super::{Role, Timestamp};
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

/// What the report says of a session's application protocol (JSON `application`).
// Its JSON leaves out what the messages said, typed (`said`); its stored form (not
// self-describing) has it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct ApplicationReport {
    /// The protocol as its specification names it.
    pub protocol: String,
    /// Its version, when the messages or the subprotocol say it.
    pub version: Option<String>,
    /// How it was recognized: the subprotocol header, the request target, or a first message.
    pub recognized_by: String,
    /// Which side's application ended the session, when its messages show it.
    pub ended_by: Option<Role>,
    /// Why, as a stable label in the protocol's own words ("ping timeout", "session taken
    /// over"); null when the messages do not say.
    pub cause: Option<super::AppCause>,
    /// One sentence with the numbers and packets.
    pub summary: Option<String>,
    /// What to change, specific to the protocol and its libraries.
    pub fix: Option<String>,
    /// The packets of the messages that decided it.
    pub evidence: Vec<u64>,
    /// Its heartbeat (keepalive) as the application's messages show it.
    pub heartbeat: Option<HeartbeatReport>,
    /// Identities this session shares with others (an MQTT client id, a socket.io sid).
    pub related: Vec<Identity>,
    /// Data messages decoded, and those that could not be (damaged, cut, malformed).
    pub messages: u64,
    /// Data messages that could not be decoded (damaged, cut, malformed).
    pub undecodable: u64,
    /// What the messages said of how the session ended, typed: `cause`, `summary` and
    /// `fix` are its words (`report::words::app`), made where the report is finished
    /// (stored form only; boxed, as most sessions have none).
    #[serde(default)]
    #[schemars(skip)]
    pub said: Option<Box<super::AppSaid>>,
    /// A socket.io session that began on HTTP long-polling: what its polling connections
    /// show, whose sentence ends `summary` (stored form only).
    #[serde(default)]
    #[schemars(skip)]
    pub long_polling: Option<Box<super::said::socketio::LongPolling>>,
}

impl Serialize for ApplicationReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let human = s.is_human_readable();
        let mut st = s.serialize_struct("ApplicationReport", 14)?;
        st.serialize_field("protocol", &self.protocol)?;
        st.serialize_field("version", &self.version)?;
        st.serialize_field("recognized_by", &self.recognized_by)?;
        st.serialize_field("ended_by", &self.ended_by)?;
        st.serialize_field("cause", &self.cause)?;
        st.serialize_field("summary", &self.summary)?;
        st.serialize_field("fix", &self.fix)?;
        st.serialize_field("evidence", &self.evidence)?;
        st.serialize_field("heartbeat", &self.heartbeat)?;
        st.serialize_field("related", &self.related)?;
        st.serialize_field("messages", &self.messages)?;
        st.serialize_field("undecodable", &self.undecodable)?;
        if human {
            st.skip_field("said")?;
            st.skip_field("long_polling")?;
        } else {
            st.serialize_field("said", &self.said)?;
            st.serialize_field("long_polling", &self.long_polling)?;
        }
        st.end()
    }
}

/// An identity a session carries, by which sessions are linked.
// Its JSON leaves out the long-polling fields when they are empty; its stored form (not
// self-describing) always has them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
pub struct Identity {
    /// `mqtt-client-id`, `socket.io-sid`.
    pub kind: String,
    /// The identity itself (wire text, escaped when written out).
    pub value: String,
    /// The ids of other connections of this report with the same identity: the nearest
    /// ones in report order, at most [`Identity::MAX_LISTED`] (`connections_total` counts
    /// them all).
    #[serde(default)]
    pub connections: Vec<u64>,
    /// How many other connections share it, when more than `connections` lists (absent
    /// otherwise).
    #[serde(default)]
    #[schemars(skip_serializing_if = "u64_is_zero")]
    pub connections_total: u64,
    /// A socket.io sid: the packet of the engine.io UPGRADE (`5`) by which the session
    /// moved from HTTP long-polling to this WebSocket, when it is in the capture.
    #[serde(default)]
    #[schemars(skip_serializing_if = "Option::is_none")]
    pub upgrade_packet: Option<u64>,
    /// A socket.io sid: the HTTP long-polling connections of the capture with this sid.
    #[serde(default)]
    #[schemars(skip_serializing_if = "Vec::is_empty")]
    pub polling: Vec<PollingConnection>,
    /// A socket.io sid: how many polling connections had it, when more than `polling`
    /// lists (the last [`Identity::MAX_LISTED`], nearest the upgrade; absent otherwise).
    #[serde(default)]
    #[schemars(skip_serializing_if = "u64_is_zero")]
    pub polling_total: u64,
    /// A socket.io sid whose OPEN the WebSocket did not carry: what a ping timeout is
    /// judged from once the polling connections give the timers (stored form only).
    #[serde(default)]
    #[schemars(skip)]
    pub ping: Option<PingFacts>,
}

impl Identity {
    /// The longest identity kept (an engine.io sid is 20 characters, an MQTT client id
    /// usually under 64): a longer one, hostile or not, links nothing and costs nothing.
    pub const MAX_LEN: usize = 128;

    /// The most other connections an identity lists (10 000 MQTT connections sharing one
    /// client id listed each other: a hundred million ids, 2 GB of JSON); the rest are
    /// counted in `connections_total`.
    pub const MAX_LISTED: usize = 8;
}

fn u64_is_zero(n: &u64) -> bool {
    *n == 0
}

impl Serialize for Identity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let human = s.is_human_readable();
        let mut st = s.serialize_struct("Identity", 8)?;
        st.serialize_field("kind", &self.kind)?;
        st.serialize_field("value", &self.value)?;
        st.serialize_field("connections", &self.connections)?;
        if human && self.connections_total <= self.connections.len() as u64 {
            st.skip_field("connections_total")?;
        } else {
            st.serialize_field("connections_total", &self.connections_total)?;
        }
        if human && self.upgrade_packet.is_none() {
            st.skip_field("upgrade_packet")?;
        } else {
            st.serialize_field("upgrade_packet", &self.upgrade_packet)?;
        }
        if human && self.polling.is_empty() {
            st.skip_field("polling")?;
        } else {
            st.serialize_field("polling", &self.polling)?;
        }
        if human && self.polling_total <= self.polling.len() as u64 {
            st.skip_field("polling_total")?;
        } else {
            st.serialize_field("polling_total", &self.polling_total)?;
        }
        if human {
            st.skip_field("ping")?;
        } else {
            st.serialize_field("ping", &self.ping)?;
        }
        st.end()
    }
}

/// What a ping timeout is judged from: who pings, who ended the session and when, the
/// pinger's first ping left unanswered before the end, the last pong of the side that ended
/// it, and (engine.io 3) the pinger's last message before the end: what a socket.io
/// identity's stored form carries (`app::socketio` judges it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PingFacts {
    /// The side that sends the pings.
    pub pinger: Role,
    /// The side that ended the session.
    pub by: Role,
    /// The packet that ended it.
    pub end_packet: u64,
    /// When.
    pub end_ts: Timestamp,
    /// The pinger's first ping left unanswered before the end (packet, time).
    pub unanswered: Option<(u64, Timestamp)>,
    /// The last pong of the side that ended it (packet, time).
    pub answered: Option<(u64, Timestamp)>,
    /// engine.io 3's server starts its timer again on every packet it reads from the
    /// client, not only on pings (engine.io 3.x `lib/socket.js`: `onPacket` calls
    /// `setPingTimeout`): the client's last message before the end, when there is one.
    pub heard: Option<(u64, Timestamp)>,
}
