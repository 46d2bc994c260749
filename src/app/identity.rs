//! An identity a session carries (an MQTT client id, a socket.io sid), by which the report
//! links sessions; its JSON leaves out the long-polling fields when they are empty.
//!
//! In: what a protocol's messages named. Out: [`Identity`], filled in further by
//! `diagnose::app` (the other connections) and [`super::Polls`] (the polling connections).

use super::socketio;
use crate::vocab::PollingConnection;
use serde::{Deserialize, Serialize};

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
    pub(crate) ping: Option<socketio::PingFacts>,
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
