//! The application protocol a WebSocket session carries, and what its own messages say about
//! how the session ended.
//!
//! In: the handshake's `Sec-WebSocket-Protocol` and request target, then each side's
//! complete data messages in order (their first [`KEEP`] bytes, or fewer where the protocol
//! reads fewer, [`Keep`]; inflated when compressed)
//! and WebSocket pings and pongs, each with its packet number and time; at the end, how the
//! WebSocket and TCP ended ([`Ending`]). Out: an [`ApplicationReport`]: the protocol as its
//! specification names it, how it was recognized, and — only when its messages show it —
//! which application ended the session, why (a label in the protocol's own words), the fix,
//! the packets, and the heartbeat each side kept.
//!
//! A protocol is recognized by the subprotocol the server agreed to, by the request target
//! (socket.io's `EIO=`, Phoenix's `vsn=`; SockJS's `…/<server>/<session>/websocket` once the
//! server's first message is its open frame `o`), or by a first message that only that
//! protocol sends (SignalR's handshake); never from one ambiguous message. A message cut by a gap,
//! or longer than [`KEEP`] where its end matters, is counted as undecodable: nothing is
//! guessed from it. Memory per session is constant: one partial message per side, capped,
//! and each protocol's own state (MQTT, a byte stream: per side the packet in progress's
//! header and at most 1 KiB of its body).
//!
//! The last of the stream stages: the stack and the WebSocket session hand it what they read
//! (messages through `websocket::tap`, long-polling connections as [`PollingFacts`]) and it
//! imports nothing of them, only the capture's and the flow's types.

mod actioncable;
pub(crate) mod binser;
mod graphql;
mod heartbeat;
mod lite;
mod mqtt;
mod ocpp;
mod phoenix;
mod polls;
pub(crate) mod pool;
mod signalr;
mod socketio;
mod sockjs;
mod stomp;
mod wamp;

use crate::capture::Timestamp;
use crate::flow::Role;
use serde::{Deserialize, Serialize};

pub use heartbeat::{ControlMarks, HeartbeatReport, Recent, SideBeat};
pub use polls::{Open, PollingConnection, PollingFacts, Polls};

/// Bytes of each data message kept for the protocol decoders: every message that says why
/// a session ended is far shorter; the rest of a longer message is counted, not kept.
pub const KEEP: usize = 4096;

/// How much of each message a protocol's decoder reads: the tap keeps no more.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Keep {
    /// The first [`KEEP`] bytes of every message.
    #[default]
    All,
    /// socket.io: an event or ack (`42`, `43`, binary `45`, `46`) is read by its first two
    /// bytes, a binary message by none (only their lengths count); every other packet by
    /// its first [`KEEP`].
    SocketIo,
}

impl Keep {
    /// The bytes to keep of a message (text or not) that starts with `first` (its first
    /// two bytes, or fewer when it is shorter or they have not arrived).
    pub fn cap(self, text: bool, first: &[u8]) -> usize {
        match (self, first) {
            (Keep::All, _) => KEEP,
            (Keep::SocketIo, _) if !text => 0,
            (Keep::SocketIo, [b'4', b'2' | b'3' | b'5' | b'6', ..]) => 2,
            (Keep::SocketIo, _) => KEEP,
        }
    }
}

/// What a WebSocket direction's tap (`websocket::tap`) hands over: a finished data message
/// (its first [`KEEP`] bytes, its length, whether part of it is missing) or a ping or pong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tapped {
    /// A finished data message.
    Message {
        /// A text message (else binary).
        text: bool,
        /// Its first bytes (at most [`KEEP`]).
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
        /// Its whole length.
        len: u64,
        /// Part of it is missing from the capture (a gap, or it does not inflate).
        damaged: bool,
        /// The packet that completed it.
        packet: u64,
        /// When that packet was captured.
        ts: Timestamp,
    },
    /// Nothing more of this direction can be decoded (bytes missing where a WebSocket frame
    /// header was due), from this packet on.
    Lost {
        /// The packet of the gap, or the last one with bytes of the direction.
        packet: u64,
    },
    /// A ping (`pong` false) or a pong.
    Control {
        /// A pong (else a ping).
        pong: bool,
        /// The packet that carried it.
        packet: u64,
        /// When that packet was captured.
        ts: Timestamp,
    },
}

/// A data message as the protocol decoders see it.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// The side that sent it.
    pub from: Role,
    /// A text message (else binary).
    pub text: bool,
    /// Its first bytes (at most [`KEEP`]).
    pub bytes: &'a [u8],
    /// Its whole length.
    pub len: u64,
    /// Part of it is missing from the capture (a gap, or it does not inflate).
    pub damaged: bool,
    /// The packet that completed it.
    pub packet: u64,
    /// When the packet that completed it was captured.
    pub ts: Timestamp,
}

impl Message<'_> {
    /// The whole message is here and kept.
    pub fn whole(&self) -> bool {
        !self.damaged && self.len == self.bytes.len() as u64
    }
}

/// How the session ended below the application, as the report decided it.
#[derive(Debug, Clone, Default)]
pub struct Ending {
    /// The first close frame: who sent it, its code and reason, its packet and time.
    pub close: Option<(Role, Option<u16>, String, u64, Timestamp)>,
    /// The first ending of what carried the session, read at its nearest layer: over HTTP/2
    /// the stream's own END_STREAM, RST_STREAM or a GOAWAY that ends it (RFC 9113 §5.1,
    /// §6.4, §6.8), over TLS a close_notify, or else (or when first) the TCP connection's
    /// FIN or RST.
    pub transport: Option<TransportEnd>,
    /// The last packet of the capture's time for this connection.
    pub last_ts: Option<Timestamp>,
}

/// The first ending of the layer that carried a session: who, how, its packet and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportEnd {
    /// The side that ended it.
    pub by: Role,
    /// How it ended.
    pub how: EndHow,
    /// The packet that ended it.
    pub packet: u64,
    /// When that packet was captured.
    pub ts: Timestamp,
}

impl TransportEnd {
    /// A TCP FIN (or, when `rst`, a RST) from `by` at `packet`, captured at `ts`.
    pub fn tcp(by: Role, rst: bool, packet: u64, ts: Timestamp) -> TransportEnd {
        let how = if rst { EndHow::Rst } else { EndHow::Fin };
        TransportEnd {
            by,
            how,
            packet,
            ts,
        }
    }
}

/// How the layer that carried a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndHow {
    /// A TCP FIN: the sender sends nothing more.
    Fin,
    /// A TCP RST: the connection is over both ways at once.
    Rst,
    /// A TLS close_notify alert (RFC 8446 §6.1) before either side ended TCP: the sender
    /// closed its TLS on purpose.
    CloseNotify,
    /// A frame that ended the session's HTTP/2 stream: `frame` as RFC 9113 names it, with
    /// its error code ("END_STREAM", "RST_STREAM CANCEL", "GOAWAY NO_ERROR (last stream
    /// 1)"); `abrupt` for RST_STREAM and GOAWAY (the stream over both ways at once), not
    /// END_STREAM (the sender's half only, as a FIN).
    Stream {
        /// The frame and its error code, as RFC 9113 names them.
        frame: String,
        /// RST_STREAM or GOAWAY: the stream over both ways at once.
        abrupt: bool,
    },
}

impl EndHow {
    /// Whether it cut the session both ways at once (a RST, a RST_STREAM, a GOAWAY).
    pub fn abrupt(&self) -> bool {
        match self {
            EndHow::Fin | EndHow::CloseNotify => false,
            EndHow::Rst => true,
            EndHow::Stream { abrupt, .. } => *abrupt,
        }
    }

    /// What ended, as a phrase: "a bare FIN", "a TCP RST", "RST_STREAM CANCEL on its
    /// HTTP/2 stream".
    pub fn phrase(&self) -> String {
        match self {
            EndHow::Fin => "a bare FIN".to_string(),
            EndHow::Rst => "a TCP RST".to_string(),
            EndHow::CloseNotify => "a TLS close_notify".to_string(),
            EndHow::Stream { frame, .. } => format!("{frame} on its HTTP/2 stream"),
        }
    }

    /// Its frame or flag alone: "FIN", "RST", "RST_STREAM CANCEL".
    pub fn name(&self) -> &str {
        match self {
            EndHow::Fin => "FIN",
            EndHow::Rst => "RST",
            EndHow::CloseNotify => "close_notify",
            EndHow::Stream { frame, .. } => frame,
        }
    }
}

impl Ending {
    /// Who ended the session first below the application, when, and at which packet.
    pub fn first(&self) -> Option<(Role, u64, Timestamp)> {
        let close = self.close.as_ref().map(|c| (c.0, c.3, c.4));
        let tcp = self.transport.as_ref().map(|t| (t.by, t.packet, t.ts));
        match (close, tcp) {
            (Some(c), Some(t)) => Some(if t.1 < c.1 { t } else { c }),
            (c, t) => c.or(t),
        }
    }
}

/// The application protocols wsclose reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Protocol {
    /// socket.io (Engine.IO over WebSocket).
    SocketIo,
    /// GraphQL over WebSocket, the `graphql-transport-ws` subprotocol.
    GraphqlTransportWs,
    /// The older `graphql-ws` subprotocol (subscriptions-transport-ws).
    GraphqlWs,
    /// MQTT over WebSocket.
    Mqtt,
    /// STOMP over WebSocket.
    Stomp,
    /// ASP.NET Core SignalR.
    SignalR,
    /// Phoenix channels (Elixir).
    Phoenix,
    /// Rails Action Cable.
    ActionCable,
    /// OCPP-J (Open Charge Point Protocol over WebSocket).
    Ocpp,
    /// WAMP (the Web Application Messaging Protocol).
    Wamp,
    /// SockJS on its raw WebSocket transport.
    SockJs,
}

impl Protocol {
    /// The name its specification gives it.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::SocketIo => "socket.io",
            Protocol::GraphqlTransportWs => "graphql-transport-ws",
            Protocol::GraphqlWs => "graphql-ws",
            Protocol::Mqtt => "MQTT",
            Protocol::Stomp => "STOMP",
            Protocol::SignalR => "SignalR",
            Protocol::Phoenix => "Phoenix channels",
            Protocol::ActionCable => "Action Cable",
            Protocol::Ocpp => "OCPP-J",
            Protocol::Wamp => "WAMP",
            Protocol::SockJs => "SockJS",
        }
    }
}

/// What the report says of a session's application protocol (JSON `application`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
    pub cause: Option<String>,
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

/// The verdict a protocol decoder gives at the end.
#[derive(Debug, Clone, Default)]
pub(crate) struct Verdict {
    pub ended_by: Option<Role>,
    pub cause: Option<String>,
    pub summary: Option<String>,
    pub fix: Option<String>,
    pub evidence: Vec<u64>,
}

impl Verdict {
    fn new(
        ended_by: Option<Role>,
        cause: &str,
        summary: String,
        fix: &str,
        evidence: Vec<u64>,
    ) -> Verdict {
        Verdict {
            ended_by,
            cause: Some(cause.to_string()),
            summary: Some(summary),
            fix: (!fix.is_empty()).then(|| fix.to_string()),
            evidence,
        }
    }
}

/// What one data message was to its protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// It could not be decoded.
    Bad,
    /// A message of the protocol's own (not a heartbeat).
    Data,
    /// The protocol's heartbeat request (engine.io ping, MQTT PINGREQ, …).
    Ping,
    /// A heartbeat that asks for no answer (a STOMP heart-beat, a SignalR or Action Cable
    /// ping): counted as the side's ping, never as unanswered.
    Keepalive,
    /// Its answer.
    Pong,
}

/// One protocol's state over a session.
pub(crate) trait Machine {
    /// Reads one data message.
    fn message(&mut self, m: &Message<'_>) -> Seen;
    /// Heartbeats the last message carried besides the one [`Machine::message`] returned
    /// (if any), in order (`true` a pong): a byte-stream protocol's message may carry
    /// several (two PINGREQs in one message are two pings, as in two messages).
    fn more_beats(&mut self) -> Vec<bool> {
        Vec::new()
    }
    /// From `packet` on, `from`'s messages are not all there: one the capture does not hold
    /// whole (a gap, or it does not inflate), or none at all (the WebSocket decoding stopped
    /// at a gap). A protocol that is a byte stream loses its place by it.
    fn lost(&mut self, _from: Role, _packet: u64) {}
    /// The verdict at the end, from what the messages showed and how the session ended.
    fn verdict(&self, end: &Ending, beat: &heartbeat::Beats) -> Option<Verdict>;
    /// The version the messages or handshake named.
    fn version(&self) -> Option<String> {
        None
    }
    /// The heartbeat the protocol negotiated: (interval, timeout) in ms, when known.
    fn negotiated(&self) -> (Option<u64>, Option<u64>) {
        (None, None)
    }
    fn identities(&self) -> Vec<Identity> {
        Vec::new()
    }
    /// The protocol both sides' messages show, where it is not the one recognized (both
    /// GraphQL protocols share the name `graphql-ws`'s history): with how it shows.
    fn spoken(&self) -> Option<(Protocol, String)> {
        None
    }
}

/// One protocol's state, of whichever protocol (an enum, so that a session with its tracker
/// keeps its stored form: quiet connections are frozen to disk).
#[derive(Debug, Serialize, Deserialize)]
enum Proto {
    SocketIo(socketio::SocketIo),
    Graphql(graphql::Graphql),
    Mqtt(mqtt::Mqtt),
    Stomp(stomp::Stomp),
    SignalR(signalr::SignalR),
    Phoenix(phoenix::Phoenix),
    ActionCable(actioncable::ActionCable),
    Ocpp(ocpp::Ocpp),
    // Boxed: its state (about 300 bytes) would make every session's `Proto` that large.
    Wamp(Box<wamp::Wamp>),
    SockJs(sockjs::SockJs),
}

impl Proto {
    fn machine(&self) -> &dyn Machine {
        match self {
            Proto::SocketIo(m) => m,
            Proto::Graphql(m) => m,
            Proto::Mqtt(m) => m,
            Proto::Stomp(m) => m,
            Proto::SignalR(m) => m,
            Proto::Phoenix(m) => m,
            Proto::ActionCable(m) => m,
            Proto::Ocpp(m) => m,
            Proto::Wamp(m) => m.as_ref(),
            Proto::SockJs(m) => m,
        }
    }

    fn machine_mut(&mut self) -> &mut dyn Machine {
        match self {
            Proto::SocketIo(m) => m,
            Proto::Graphql(m) => m,
            Proto::Mqtt(m) => m,
            Proto::Stomp(m) => m,
            Proto::SignalR(m) => m,
            Proto::Phoenix(m) => m,
            Proto::ActionCable(m) => m,
            Proto::Ocpp(m) => m,
            Proto::Wamp(m) => m.as_mut(),
            Proto::SockJs(m) => m,
        }
    }
}

/// One session's application tracker: fed by the WebSocket decoders, finished with the
/// session.
#[derive(Serialize, Deserialize)]
pub struct Tracker {
    protocol: Option<Protocol>,
    recognized_by: String,
    machine: Option<Proto>,
    /// Waiting for a first message that names the protocol (SignalR's handshake).
    sniff: bool,
    beats: heartbeat::Beats,
    messages: u64,
    undecodable: u64,
}

impl std::fmt::Debug for Tracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracker")
            .field("protocol", &self.protocol)
            .field("messages", &self.messages)
            .finish_non_exhaustive()
    }
}

impl Tracker {
    /// The tracker of a session whose handshake agreed on `subprotocol` (the server's
    /// `Sec-WebSocket-Protocol`) for the request target `target`.
    pub fn new(subprotocol: Option<&str>, target: Option<&str>) -> Tracker {
        let mut t = Tracker {
            protocol: None,
            recognized_by: String::new(),
            machine: None,
            sniff: true,
            beats: heartbeat::Beats::default(),
            messages: 0,
            undecodable: 0,
        };
        if let Some(sp) = subprotocol.map(str::trim).filter(|s| !s.is_empty()) {
            if let Some((p, m)) = by_subprotocol(sp) {
                t.set(p, format!("Sec-WebSocket-Protocol: {sp}"), m);
                return t;
            }
        }
        if let Some(target) = target {
            if let Some((p, how, m)) = by_target(target) {
                t.set(p, how, m);
            }
        }
        t
    }

    /// The client's offer (`Sec-WebSocket-Protocol` of the request), for a session whose
    /// response selected no subprotocol that names a protocol: a GraphQL offer still names
    /// what the client speaks (graphql-ws's server and strawberry accept such a session,
    /// then close 4406), and the mismatch is read from the offer and the missing selection.
    pub fn offered(mut self, offer: Option<&str>) -> Tracker {
        if self.protocol.is_some() {
            return self;
        }
        let Some(offer) = offer else {
            return self;
        };
        // Only the GraphQL names of the offer: it may carry a token beside them (some
        // servers take one as a subprotocol), which the report must not repeat.
        let names: Vec<&str> = offer
            .split(',')
            .map(str::trim)
            .filter_map(|p| {
                ["graphql-ws", "graphql-transport-ws"]
                    .into_iter()
                    .find(|name| p.eq_ignore_ascii_case(name))
            })
            .collect();
        if let Some(&first) = names.first() {
            let modern = first == "graphql-transport-ws";
            let shown = names.join(", ");
            self.set(
                if modern {
                    Protocol::GraphqlTransportWs
                } else {
                    Protocol::GraphqlWs
                },
                format!("Sec-WebSocket-Protocol offered: {shown} (the response selected none)"),
                Proto::Graphql(graphql::Graphql::offered_only(modern, &shown)),
            );
        }
        self
    }

    fn set(&mut self, p: Protocol, how: String, m: Proto) {
        self.protocol = Some(p);
        self.recognized_by = how;
        self.machine = Some(m);
        self.sniff = false;
    }

    /// Whether messages are still wanted: a protocol was recognized, or its first message
    /// may still name it.
    pub fn listening(&self) -> bool {
        self.machine.is_some() || self.sniff
    }

    /// What a direction's tap handed over.
    pub(crate) fn tapped(&mut self, from: Role, t: Tapped) {
        match t {
            Tapped::Message {
                text,
                bytes,
                len,
                damaged,
                packet,
                ts,
            } => {
                self.message(&Message {
                    from,
                    text,
                    bytes: &bytes,
                    len,
                    damaged,
                    packet,
                    ts,
                });
                // Its buffer serves a later message (no allocation per message).
                pool::recycle(bytes);
            }
            Tapped::Control { pong, packet, ts } => self.control(from, pong, packet, ts),
            Tapped::Lost { packet } => {
                if let Some(m) = self.machine.as_mut().map(Proto::machine_mut) {
                    m.lost(from, packet);
                }
            }
        }
    }

    /// The protocol, once recognized.
    pub fn protocol(&self) -> Option<Protocol> {
        self.protocol
    }

    /// How much of each message its decoder reads.
    pub fn keep(&self) -> Keep {
        match self.protocol {
            Some(Protocol::SocketIo) => Keep::SocketIo,
            _ => Keep::All,
        }
    }

    /// One complete data message.
    pub fn message(&mut self, m: &Message<'_>) {
        if self.sniff {
            self.sniff = false;
            if m.from == Role::Client && m.text && m.whole() {
                if let Some(s) = signalr::handshake(m.bytes) {
                    self.set(
                        Protocol::SignalR,
                        "first message: the SignalR handshake".into(),
                        Proto::SignalR(s),
                    );
                }
            }
        }
        let Some(machine) = self.machine.as_mut().map(Proto::machine_mut) else {
            return;
        };
        self.messages += 1;
        self.beats.data(m.from, m.packet, m.ts);
        let seen = if m.damaged {
            machine.lost(m.from, m.packet);
            Seen::Bad
        } else {
            machine.message(m)
        };
        match seen {
            Seen::Bad => self.undecodable += 1,
            Seen::Data => {}
            Seen::Ping => self.beats.app(m.from, false, m.packet, m.ts),
            Seen::Keepalive => self.beats.keepalive(m.from, m.packet, m.ts),
            Seen::Pong => self.beats.app(m.from, true, m.packet, m.ts),
        }
        for pong in machine.more_beats() {
            self.beats.app(m.from, pong, m.packet, m.ts);
        }
        if seen == Seen::Bad {
            self.unconfirmed();
        }
    }

    /// Forgets a protocol that its first server message showed not to be there (a target
    /// of SockJS's shape whose server did not open with `o`).
    fn unconfirmed(&mut self) {
        if let Some(Proto::SockJs(s)) = &self.machine {
            if s.refused() {
                *self = Tracker::new(None, None);
                self.sniff = false;
            }
        }
    }

    /// A WebSocket ping (`pong` false) or pong from `from`.
    pub fn control(&mut self, from: Role, pong: bool, packet: u64, ts: Timestamp) {
        self.beats.ws_control(from, pong, packet, ts);
    }

    /// The report, for a recognized protocol only.
    pub fn finish(&self, end: &Ending) -> Option<ApplicationReport> {
        let p = self.protocol?;
        if let Some(Proto::SockJs(s)) = &self.machine {
            if !s.confirmed() {
                return None;
            }
        }
        let machine = self.machine.as_ref()?.machine();
        let mut verdict = machine.verdict(end, &self.beats).unwrap_or_default();
        if let (Some(summary), Some(note)) = (
            verdict.summary.as_mut().filter(|_| verdict.cause.is_some()),
            end.close
                .as_ref()
                .filter(|c| c.0 == Role::Server)
                .and_then(|c| generic_close(&c.2)),
        ) {
            summary.push_str(&note);
        }
        let (interval, timeout) = machine.negotiated();
        let mut related = machine.identities();
        if let Some(Proto::SocketIo(s)) = &self.machine {
            if let Some(facts) = s.pending(end, &self.beats) {
                related.iter_mut().for_each(|id| id.ping = Some(facts));
            }
        }
        let (p, recognized_by) = match machine.spoken() {
            Some((spoken, how)) => (spoken, format!("{}; {how}", self.recognized_by)),
            None => (p, self.recognized_by.clone()),
        };
        Some(ApplicationReport {
            protocol: p.name().to_string(),
            version: machine.version(),
            recognized_by,
            ended_by: verdict.ended_by,
            cause: verdict.cause,
            summary: verdict.summary,
            fix: verdict.fix,
            evidence: verdict.evidence,
            heartbeat: self.beats.report(interval, timeout),
            related,
            messages: self.messages,
            undecodable: self.undecodable,
        })
    }
}

/// The cause an MQTT session gets when the broker closed it with no packet saying why: a
/// takeover found across connections (`diagnose::app`) is named in its place.
pub(crate) const MQTT_NO_REASON: &str = mqtt::NO_REASON;

/// Close reasons a server sends on every session whatever ended it (RabbitMQ 3.x's web
/// plugins: `rabbit_web_stomp_handler`, `rabbit_web_mqtt_handler`), with who sends them.
const GENERIC_CLOSE: [(&str, &str); 2] = [
    ("STOMP died", "RabbitMQ's Web STOMP"),
    ("MQTT died", "RabbitMQ's Web MQTT"),
];

/// For a server's close reason that some server sends whatever happened: the clause a
/// verdict's summary ends with, saying so (the reason names no cause).
pub(crate) fn generic_close(reason: &str) -> Option<String> {
    let (text, who) = GENERIC_CLOSE.iter().find(|(t, _)| *t == reason)?;
    Some(format!(
        "; the close reason \"{text}\" is the text {who} closes every session with, not a cause"
    ))
}

/// The protocol a subprotocol names.
fn by_subprotocol(sp: &str) -> Option<(Protocol, Proto)> {
    // Copied only when it has a capital to lower.
    let lower = if sp.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(sp.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(sp)
    };
    let lower: &str = &lower;
    Some(match lower {
        "graphql-transport-ws" => (
            Protocol::GraphqlTransportWs,
            Proto::Graphql(graphql::Graphql::new(true)),
        ),
        "graphql-ws" => (
            Protocol::GraphqlWs,
            Proto::Graphql(graphql::Graphql::new(false)),
        ),
        "mqtt" | "mqttv3.1" | "mqttv3.1.1" | "mqttv5" | "mqttv5.0" => {
            (Protocol::Mqtt, Proto::Mqtt(mqtt::Mqtt::default()))
        }
        "v10.stomp" | "v11.stomp" | "v12.stomp" | "stomp" => (
            Protocol::Stomp,
            Proto::Stomp(stomp::Stomp::new(lower.get(1..3).map(|v| v.to_string()))),
        ),
        "ocpp1.2" | "ocpp1.5" | "ocpp1.6" | "ocpp2.0" | "ocpp2.0.1" | "ocpp2.1" => (
            Protocol::Ocpp,
            Proto::Ocpp(ocpp::Ocpp::new(
                lower.trim_start_matches("ocpp").to_string(),
            )),
        ),
        "actioncable-v1-json" | "actioncable-v1-msgpack" | "actioncable-unsupported" => (
            Protocol::ActionCable,
            Proto::ActionCable(actioncable::ActionCable::new(lower)),
        ),
        _ => {
            let w = wamp::Wamp::of(lower)?;
            (Protocol::Wamp, Proto::Wamp(Box::new(w)))
        }
    })
}

/// The value of `key` in a request target's query (after the first `?`, pairs split at
/// `&`, each at its first `=`; the first pair named `key`).
pub(crate) fn query_value<'a>(target: &'a str, key: &str) -> Option<&'a str> {
    // Byte by byte: a target is short and this runs a few times for every session. The
    // separators are ASCII, so every cut falls between characters.
    let b = target.as_bytes();
    let mut at = b.iter().position(|&c| c == b'?')? + 1;
    loop {
        let rest = b.get(at..)?;
        let end = rest.iter().position(|&c| c == b'&').unwrap_or(rest.len());
        let pair = rest.get(..end)?;
        if let Some(eq) = pair.iter().position(|&c| c == b'=') {
            if pair.get(..eq) == Some(key.as_bytes()) {
                return target.get(at + eq + 1..at + end);
            }
        }
        if end == rest.len() {
            return None;
        }
        at += end + 1;
    }
}

#[cfg(test)]
mod query_tests {
    use super::query_value;

    #[test]
    fn a_querys_value_is_its_first_pair_named_so() {
        let t = "/socket.io/?EIO=4&transport=websocket&sid=a=b&&x&EIO=3";
        assert_eq!(query_value(t, "EIO"), Some("4"));
        assert_eq!(query_value(t, "transport"), Some("websocket"));
        assert_eq!(query_value(t, "sid"), Some("a=b"));
        assert_eq!(query_value(t, "x"), None);
        assert_eq!(query_value(t, "vsn"), None);
        assert_eq!(query_value("/ws", "EIO"), None);
        assert_eq!(query_value("/ws?", "EIO"), None);
        assert_eq!(query_value("/é?vsn=2.0.0?x", "vsn"), Some("2.0.0?x"));
        assert_eq!(query_value("/?EIO=", "EIO"), Some(""));
        assert_eq!(query_value("/?a=1&EIO", "EIO"), None);
    }
}

/// The protocol a request target names.
fn by_target(target: &str) -> Option<(Protocol, String, Proto)> {
    // The path (before any `?`), looked at only for a target whose query names a protocol.
    let path = || target.split('?').next().unwrap_or_default();
    if let Some(eio) = query_value(target, "EIO") {
        if path().contains("socket.io") || query_value(target, "transport") == Some("websocket") {
            let v = match eio {
                "3" => 3,
                "4" => 4,
                _ => return None,
            };
            return Some((
                Protocol::SocketIo,
                format!("request target: EIO={eio}"),
                Proto::SocketIo(socketio::SocketIo::new(v, query_value(target, "sid"))),
            ));
        }
    }
    if let Some(vsn) = query_value(target, "vsn") {
        if path().ends_with("/websocket") && (vsn.starts_with("1.") || vsn.starts_with("2.")) {
            return Some((
                Protocol::Phoenix,
                format!("request target: …/websocket?vsn={vsn}"),
                Proto::Phoenix(phoenix::Phoenix::new(vsn.starts_with("2."), vsn)),
            ));
        }
    }
    if sockjs::target(target) {
        return Some((
            Protocol::SockJs,
            "request target: …/<server>/<session>/websocket, then the server's open frame \"o\""
                .into(),
            Proto::SockJs(sockjs::SockJs::default()),
        ));
    }
    None
}

/// `n` ms as the report writes a duration.
pub(crate) fn ms(n: u64) -> String {
    if n >= 1000 && n.is_multiple_of(1000) {
        format!("{} s", n / 1000)
    } else if n >= 1000 {
        format!("{:.1} s", n as f64 / 1000.0)
    } else {
        format!("{n} ms")
    }
}

/// Milliseconds from `a` to `b` (0 when `b` is earlier).
pub(crate) fn between(a: Timestamp, b: Timestamp) -> u64 {
    u64::try_from((b.0 - a.0) / 1_000_000).unwrap_or(0)
}

/// A wire string shortened for a summary (the renderers escape it).
/// Wire text shown in a cause label is cut after this many characters, as the Markdown and
/// HTML tables cut close reasons.
pub(crate) const LABEL_SHOWN: usize = 60;

/// The cause label of a message of kind `kind` whose text `text` (a reason, an error code)
/// is none the protocol defines: `kind "text"`, the text cut to [`LABEL_SHOWN`] characters
/// ("…" after). Quoted and named by its message, the peer's words read as what it sent,
/// never as a cause the tool concluded (a reason "ping timeout" is `disconnect "ping
/// timeout"`), and 4 000 characters of it fill no table.
pub(crate) fn wire_label(kind: &str, text: &str) -> String {
    let mut out: String = text.chars().take(LABEL_SHOWN).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    format!("{kind} \"{out}\"")
}

/// A label of [`wire_label`] with the peer's words left out (`disconnect "[redacted]"`), for
/// `--redact`; `None` for a label the protocol defines (no wire text in it).
pub(crate) fn redact_label(label: &str) -> Option<String> {
    let (kind, _) = label.split_once(" \"")?;
    label
        .ends_with('"')
        .then(|| format!("{kind} \"[redacted]\""))
}

pub(crate) fn quote(s: &str) -> String {
    let mut out: String = s.chars().take(120).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    format!("\"{out}\"")
}

/// The JSON value of a whole text message, or None.
pub(crate) fn json(m: &Message<'_>) -> Option<serde_json::Value> {
    if !m.whole() {
        return None;
    }
    // As `serde_json::from_slice`, the UTF-8 checked once for the whole message (`lite::utf8`).
    serde_json::from_str(lite::utf8(m.bytes)?).ok()
}

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;
