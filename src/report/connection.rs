//! One WebSocket session's report: the model types a connection's report is made of
//! (handshake, close frames, HTTP/2 stream endings, endpoints), and their stored and JSON
//! views. Its TCP endings and transport are `vocab` values (`vocab::TcpEnds`,
//! `vocab::Transport`).
//!
//! In: the fields `diagnose` fills when it builds a session's report from a finished
//! connection (its status, evidence, status seen by each side and closing handshake are
//! `diagnose`'s types). Out: a [`ConnectionReport`]: stored (`serial`), every field; in JSON
//! ([`ConnectionReportJson`]), the stable contract (`schema/report.schema.json`), where
//! `tcp_end`, `tcp_end_by` and `tcp_end_packet` are read from the first of `tcp_ends`.

use super::wireshark;
use super::{legs, schema, tls};
use super::{CloseHandshake, Evidence, Status};
use crate::vocab::{
    CloseFrame, Counters, Endpoint, Finding, FrameRecord, PerSide, Role, Stats, TcpEndName,
    TcpEnds, Timestamp, Transport,
};
use serde::{Deserialize, Serialize};

/// The WebSocket upgrade (RFC 6455 §4; RFC 8441's extended CONNECT over HTTP/2).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct HandshakeReport {
    /// Whether the upgrade request or response was captured at all.
    pub seen: bool,
    /// The request's `Host` (or `:authority`), as sent.
    pub host: Option<String>,
    /// The request's path (or `:path`), as sent.
    pub path: Option<String>,
    /// The response's status: 101, or the `:status` over HTTP/2 (200 accepts).
    pub status: Option<u16>,
    /// The `Sec-WebSocket-Protocol` the server chose.
    pub subprotocol: Option<String>,
    /// The `Sec-WebSocket-Extensions` the server agreed to.
    pub extensions: Option<String>,
    /// Whether `Sec-WebSocket-Accept` matches the request's key (§4.2.2); null when not seen.
    pub accept_valid: Option<bool>,
    /// The packet that completed the upgrade request.
    pub request_packet: Option<u64>,
    /// The packet that completed the upgrade response.
    pub response_packet: Option<u64>,
    /// Whether permessage-deflate (RFC 7692) was agreed.
    pub deflate: bool,
    /// Part of the handshake is missing: "snaplen" (cut by the capture's snap length) or
    /// "missing" (a segment not captured); the frames after it were found by the probe.
    /// `null` when the handshake was captured whole (or not at all).
    pub cut: Option<String>,
    /// The proxy product the response's `Server` or `Via` names (HTTP/1.1, or HTTP/2's
    /// `server` or `via` on an extended CONNECT's answer; a product
    /// wsclose knows, as `tunnel.proxy_product`); absent when it names none. On a proxied
    /// session's front leg, one the back leg's response does not name was added by the
    /// proxy: it names the proxy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_product: Option<crate::vocab::ProxyProduct>,
    /// The proxy product the request's `X-Varnish` names (HTTP/1.1): the mark Varnish puts
    /// on a request it passes on (a piped upgrade's too), not on the 101 it pipes back. On a proxied session's back leg, one the front
    /// leg's request does not carry was added by the proxy (Varnish's `X-Varnish`): it
    /// names the proxy. Absent when it names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_proxy_product: Option<crate::vocab::ProxyProduct>,
    /// A hash of the request's `Cookie` values and offered subprotocols (what names its
    /// client beyond its host; 0 for none), for the incident stage's sure reconnects; not
    /// in JSON (a hash of a cookie is no reader's business), never the values.
    #[serde(skip)]
    pub client_mark: u32,
}

/// How the HTTP/2 stream of an RFC 8441 WebSocket ended, one entry per END_STREAM,
/// RST_STREAM or GOAWAY that reached it, in order.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct StreamEndReport {
    /// The side that sent the frame.
    pub by: Role,
    /// Which frame it was.
    pub kind: StreamEndName,
    /// The RST_STREAM or GOAWAY error code's name (RFC 9113 §7), or its value in hex; null
    /// for END_STREAM. (Never skipped: the stored form, postcard, has no field names.)
    pub error_code: Option<String>,
    /// A GOAWAY's last stream id; null for the others.
    pub last_stream: Option<u32>,
    /// Whether it ended the stream (a GOAWAY that lets the stream run does not).
    pub ends_stream: bool,
    /// The packet that carried the frame.
    pub packet: u64,
    /// When the frame's packet was captured.
    pub time: Timestamp,
}

/// The frame that ended (or announced the end of) an HTTP/2 stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StreamEndName {
    /// The stream's last DATA or HEADERS frame had END_STREAM.
    EndStream,
    /// An RST_STREAM reset the stream.
    RstStream,
    /// A GOAWAY announced the connection's end.
    Goaway,
}

impl StreamEndName {
    /// The frame's name as RFC 9113 writes it.
    pub fn frame(self) -> &'static str {
        match self {
            StreamEndName::EndStream => "END_STREAM",
            StreamEndName::RstStream => "RST_STREAM",
            StreamEndName::Goaway => "GOAWAY",
        }
    }
}

impl StreamEndReport {
    /// The frame with its error code (and a GOAWAY's last stream): "RST_STREAM CANCEL",
    /// "GOAWAY NO_ERROR (last stream 7)", "END_STREAM".
    pub fn name(&self) -> String {
        let mut s = self.kind.frame().to_string();
        if let Some(c) = &self.error_code {
            s.push(' ');
            s.push_str(c);
        }
        if let Some(l) = self.last_stream {
            s.push_str(&format!(" (last stream {l})"));
        }
        s
    }
}

/// The status each application saw (RFC 6455 §7.1.5): the peer's code, 1005, 1006, or null while
/// open.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct SeenBy {
    /// What the client saw.
    pub client: Option<u16>,
    /// What the server saw.
    pub server: Option<u16>,
}

/// An endpoint as a report names it: its address and port (`10.0.0.1:41008`,
/// `[::1]:443`), or the pseudonym `--redact` gave it (`host-3f2a9c:41008`). Written into the
/// output as text when the report is, not kept as a string per connection. Stored
/// (`serial`), the endpoint or the pseudonym.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub enum Host {
    /// The endpoint's address and port.
    Addr(Endpoint),
    /// The pseudonym `--redact` gave it.
    Named(String),
}

impl<'de> Deserialize<'de> for Host {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Host, D::Error> {
        Host::deserialize(d)
    }
}

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Host::Addr(ep) => ep.fmt(f),
            Host::Named(name) => f.write_str(name),
        }
    }
}

impl Serialize for Host {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !s.is_human_readable() {
            return Host::serialize(self, s);
        }
        match self {
            Host::Addr(ep) => ep.serialize_text(s),
            Host::Named(name) => s.serialize_str(name),
        }
    }
}

impl PartialEq<&str> for Host {
    fn eq(&self, other: &&str) -> bool {
        match self {
            Host::Addr(ep) => ep.to_string() == *other,
            Host::Named(name) => name == other,
        }
    }
}

impl PartialEq<String> for Host {
    fn eq(&self, other: &String) -> bool {
        *self == other.as_str()
    }
}

/// One connection's report. Its serde form is every field when stored (`serial`, for the
/// report store's temporary file); JSON (a human-readable serializer) shows
/// [`ConnectionReportJson`]'s, which is the stable contract.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[non_exhaustive]
pub struct ConnectionReport {
    /// The connection's number, as `--connection` and `extract` take it.
    pub id: u64,
    /// Index into `inputs`: the file of its first packet.
    pub input: usize,
    /// The file of its last packet: `input` unless the connection goes on into the files
    /// that continue it (rotated files read as one capture; see `locate`).
    pub last_input: usize,
    /// The client's endpoint (the side that sent the upgrade request, or the SYN).
    pub client: Host,
    /// The server's endpoint.
    pub server: Host,
    /// The TLS that carried the session (wss://), if any.
    pub tls: Option<tls::TlsReport>,
    /// The upgrade.
    pub handshake: HandshakeReport,
    /// Every close frame, in order (stored without their names, named again as read).
    #[serde(deserialize_with = "crate::close::named")]
    pub close_frames: Vec<CloseFrame>,
    /// Every side's FIN or RST, in order: the first is the one JSON's `tcp_end`,
    /// `tcp_end_by` and `tcp_end_packet` name ([`ConnectionReport::tcp_end`]).
    pub tcp_ends: TcpEnds,
    /// What carried the WebSocket handshake and frames ("http/1.1" or "h2").
    pub transport: Transport,
    /// The HTTP/2 stream of an RFC 8441 WebSocket.
    pub h2_stream: Option<u32>,
    /// How that stream ended (END_STREAM, RST_STREAM, GOAWAY), in order.
    pub stream_ends: Vec<StreamEndReport>,
    /// How the session ended and why: the code, its name, the causes and the fix.
    pub status: Status,
    /// What in the capture explains the status (or contradicts it), with packet numbers.
    pub evidence: Option<Evidence>,
    /// Why wsclose stopped following the connection before it ended (a cap: `max_flows`,
    /// `idle_timeout`), or null: what came after is not in the report.
    pub evicted: Option<Eviction>,
    /// The status each application saw (the peer's code, 1005, 1006, or null while open).
    pub seen_by: SeenBy,
    /// The closing handshake, when a close frame was sent.
    pub close_handshake: Option<CloseHandshake>,
    /// Whether each direction's frames were followed to its end: false when bytes were
    /// missing where a frame header (or the end of the handshake) was expected, so that
    /// nothing after them was decoded and a close frame of that direction may be missing.
    pub decoded_to_end: PerSide<bool>,
    /// What broke a rule or is worth knowing, in order (at most 200).
    pub findings: Vec<Finding>,
    /// How many findings were left out beyond those kept.
    pub findings_dropped: u64,
    /// Seconds from the last WebSocket frame (either way) to the first FIN/RST.
    pub idle_before_end_s: Option<f64>,
    /// The connection's first packet (streams of one HTTP/2 connection share it).
    pub first_packet: u64,
    /// The connection's last packet.
    pub last_packet: u64,
    /// When its first packet was captured; an HTTP/2 stream's, when the packet of its
    /// request HEADERS was (its own start, not its connection's).
    pub start: Timestamp,
    /// When its last packet was captured; an HTTP/2 stream's, when the frame that closed
    /// the stream both ways was (END_STREAM from each side, RST_STREAM, a GOAWAY that ends
    /// it), or its connection's last packet while the stream ran on.
    pub end: Timestamp,
    /// Seconds from `start` to `end`.
    pub duration_s: f64,
    /// Per side: frames, messages, pings, pongs, payload bytes.
    pub frames: PerSide<Stats>,
    /// Per side: TCP segments, bytes, retransmissions, gaps.
    pub tcp: PerSide<Counters>,
    /// Every logged frame, both ways in order (with `--timeline`).
    pub timeline: Option<Vec<FrameRecord>>,
    /// The last frames each way, in order (for the frames around the close).
    pub recent_frames: Vec<FrameRecord>,
    /// Frames that fell out of the per-direction logs.
    pub frames_not_logged: u64,
    /// The two endpoints, client first (for filters and extraction).
    pub endpoints: (Endpoint, Endpoint),
    /// The upgrade request's Sec-WebSocket-Key (to link the legs of a proxied session;
    /// not in JSON).
    pub ws_key: Option<String>,
    /// The other leg of this session through a proxy ([`legs`]): its id.
    pub other_leg: Option<u64>,
    /// This connection's part in a session through a proxy.
    pub leg: Option<legs::LegReport>,
    /// The application protocol the session carried, when it was recognized, and what its
    /// messages say of the ending.
    pub application: Option<crate::vocab::ApplicationReport>,
    /// The last data message each side sent (at most one a side), decoded for reading.
    pub last_words: Vec<super::lastwords::LastWordsReport>,
    /// Where no application protocol was recognized: each side's short message sent at a
    /// steady cadence (its application's heartbeat), client's first.
    pub message_heartbeats: Vec<super::lastwords::MessageHeartbeat>,
    /// Each side's bytes that are no frames (after its close frame, or an HTTP response
    /// where a frame was expected), client's first.
    pub not_frames: Vec<crate::vocab::NotFrames>,
    /// The tunnel its first packet came through, if any.
    pub encapsulation: Option<super::encapsulation::EncapsulationReport>,
    /// The forward proxy's CONNECT tunnel the session ran in, or that it refused.
    pub tunnel: Option<super::tunnel::TunnelReport>,
    /// The incident this connection's ending belongs to (`Report::incidents`, by id).
    pub incident: Option<u32>,
    /// The session that replaced this one: its client's reconnect.
    pub reconnect: Option<crate::vocab::Reconnect>,
    /// The connection this session replaced (its id).
    pub replaces: Option<u64>,
    /// That link is only the same host's: its host ran several clients of the server at
    /// once, so this is a new session of that host, not surely that client's reconnect
    /// (the replaced connection's `reconnect.same_host`; not in JSON).
    #[serde(skip)]
    pub replaces_same_host: bool,
    /// The same session seen at another point of the capture (a NAT's other side).
    pub seen_at_two_points: Option<crate::vocab::Twin>,
    /// Where its 4-tuple lives (its VLANs and tunnels, `Connection::scope`; 0 for none):
    /// hashed into its `uid` (not in JSON).
    pub scope: u32,
    /// Its path's outage, nanoseconds: from when both sides were sending again and again
    /// unacknowledged to the first packet that crossed again (`diagnose::outage`; not in
    /// JSON: an incident of kind `partition` says it).
    pub outage: Option<(i64, i64)>,
    /// What each capture point saw of its packets (`vocab::trail`), kept until the points
    /// of one path are laid side by side (`diagnose::points`); not in JSON.
    pub trail: Option<Box<crate::vocab::trail::Trail>>,
    /// The points of its path it was captured at, and where each packet was (issue 103).
    pub points: Option<super::points::PointsReport>,
}

/// The JSON view of a [`ConnectionReport`], in this order: the timeline, and the count of
/// frames that fell out of it, only when asked for; not the recent frames nor the
/// endpoints.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(remote = "ConnectionReport", rename = "ConnectionReport")]
#[schemars(description = "One WebSocket connection (or a refused upgrade) and how it closed.")]
pub struct ConnectionReportJson {
    id: u64,
    input: usize,
    last_input: usize,
    client: Host,
    server: Host,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls: Option<tls::TlsReport>,
    handshake: HandshakeReport,
    close_frames: Vec<CloseFrame>,
    #[serde(getter = "ConnectionReport::tcp_end")]
    #[schemars(schema_with = "schema::tcp_end")]
    tcp_end: TcpEndName,
    #[serde(getter = "ConnectionReport::tcp_end_by")]
    tcp_end_by: Option<Role>,
    #[serde(getter = "ConnectionReport::tcp_end_packet")]
    tcp_end_packet: Option<u64>,
    tcp_ends: TcpEnds,
    #[schemars(schema_with = "schema::transport")]
    transport: Transport,
    #[serde(skip_serializing_if = "Option::is_none")]
    h2_stream: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stream_ends: Vec<StreamEndReport>,
    status: Status,
    evidence: Option<Evidence>,
    evicted: Option<Eviction>,
    seen_by: SeenBy,
    close_handshake: Option<CloseHandshake>,
    decoded_to_end: PerSide<bool>,
    findings: Vec<Finding>,
    findings_dropped: u64,
    idle_before_end_s: Option<f64>,
    first_packet: u64,
    last_packet: u64,
    start: Timestamp,
    end: Timestamp,
    duration_s: f64,
    frames: PerSide<Stats>,
    tcp: PerSide<Counters>,
    /// A Wireshark display filter selecting this connection (null when redacted).
    #[serde(getter = "wireshark::filter")]
    wireshark_filter: Option<String>,
    /// The Community ID (v1, seed 0) of the TCP connection between `client` and `server`,
    /// the flow hash Zeek's and Suricata's logs carry as `community_id` (null when
    /// redacted: it would give the addresses away).
    #[serde(getter = "ConnectionReport::community_id")]
    community_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timeline: Option<Vec<FrameRecord>>,
    /// With `timeline`: how many earlier frames fell out of the frame log (`--timeline`
    /// keeps the last 100 000 each way) and are not in `timeline`; 0 when it holds every
    /// frame.
    #[serde(
        getter = "ConnectionReport::timeline_frames_left_out",
        skip_serializing_if = "Option::is_none"
    )]
    timeline_frames_left_out: Option<u64>,
    other_leg: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    leg: Option<legs::LegReport>,
    /// The application protocol (socket.io, GraphQL over WebSocket, MQTT, STOMP, …) when
    /// recognized: how, and what its own messages say of the ending.
    #[serde(skip_serializing_if = "Option::is_none")]
    application: Option<crate::vocab::ApplicationReport>,
    /// The last data message each side sent (its first 256 bytes, read by shape: text,
    /// JSON, XML, CBOR, MessagePack, protobuf, strings or hex), with its packet and how long
    /// before the first ending it came, for every connection, client's first; empty when
    /// neither side sent one.
    last_words: Vec<super::lastwords::LastWordsReport>,
    /// Where no application protocol was recognized: each side's short data message sent
    /// again and again at a steady cadence (its application's heartbeat), with its period;
    /// client's first, empty when none.
    message_heartbeats: Vec<super::lastwords::MessageHeartbeat>,
    /// Bytes a side sent where no WebSocket frame may be, counted and not decoded as frames:
    /// after its own close frame (RFC 6455 §5.5.1), or an HTTP response where a frame header
    /// was expected (its framework answered the upgraded connection over HTTP); what they
    /// are, when recognisable. Client's first; empty when none.
    not_frames: Vec<crate::vocab::NotFrames>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encapsulation: Option<super::encapsulation::EncapsulationReport>,
    /// The CONNECT tunnel through a forward proxy (RFC 9110 §9.3.6) the session ran in,
    /// or that the proxy refused; absent when the connection was no tunnel.
    #[serde(skip_serializing_if = "Option::is_none")]
    tunnel: Option<super::tunnel::TunnelReport>,
    /// The incident (`incidents[].id`) this connection's ending belongs to: closes of
    /// several connections that belong together. Absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    incident: Option<u32>,
    /// The session that replaced this one (the same client host, server and path or
    /// subprotocol, opened after this one ended): its id and how long after. Absent when
    /// none.
    #[serde(skip_serializing_if = "Option::is_none")]
    reconnect: Option<crate::vocab::Reconnect>,
    /// The connection this session replaced (its id), when it is a reconnect.
    #[serde(skip_serializing_if = "Option::is_none")]
    replaces: Option<u64>,
    /// The same session seen at a second point of the capture (both sides of a NAT): the
    /// other point's connection, which endpoint it shows translated, and a reset this point
    /// saw that the other never saw sent (made between the points). Absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    seen_at_two_points: Option<crate::vocab::Twin>,
    /// The points of its path this session was captured at (two files of the same traffic,
    /// or two interfaces of one file), read as one session: each point, the clocks'
    /// offset, and where every packet was (seen at both, lost between, made between).
    /// Absent when it was captured at one point.
    #[serde(skip_serializing_if = "Option::is_none")]
    points: Option<super::points::PointsReport>,
}

impl Serialize for ConnectionReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            ConnectionReportJson::serialize(self, s)
        } else {
            ConnectionReport::serialize(self, s)
        }
    }
}

impl<'de> Deserialize<'de> for ConnectionReport {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ConnectionReport, D::Error> {
        ConnectionReport::deserialize(d)
    }
}

impl ConnectionReport {
    /// The peer's reply to the first close frame, by the model's one rule
    /// ([`super::status::reply_to`]): the frame the closing handshake's `reply` fields
    /// describe. None without a close frame, or without a frame from the peer.
    pub fn close_reply(&self) -> Option<&CloseFrame> {
        let first = self.close_frames.first()?;
        super::status::reply_to(first, &self.close_frames)
    }

    /// How TCP ended first (JSON `tcp_end`): "fin", "rst", or "open" for neither.
    pub fn tcp_end(&self) -> TcpEndName {
        self.tcp_ends.name()
    }

    /// Who ended TCP first (JSON `tcp_end_by`); `None` while open.
    pub fn tcp_end_by(&self) -> Option<Role> {
        self.tcp_ends.first_by()
    }

    /// The packet of the first FIN or RST (JSON `tcp_end_packet`); `None` while open.
    pub fn tcp_end_packet(&self) -> Option<u64> {
        self.tcp_ends.first_packet()
    }

    /// Whether the capture holds none of `side`'s packets, the other side's being there
    /// (the `one-direction` cause).
    pub fn not_captured(&self, side: Role) -> bool {
        matches!(
            self.status.causes.first(),
            Some(crate::report::Cause::OneDirection { seen, .. }) if *seen != side
        )
    }

    /// The Community ID (v1, seed 0) of the TCP connection between the report's client
    /// and server ([`crate::community_id`]): the `community_id` of Zeek's and Suricata's
    /// records of the same connection. None when the endpoints were redacted (the hash of
    /// an address pair and ports can be searched back to them).
    pub fn community_id(&self) -> Option<String> {
        match (&self.client, &self.server) {
            (Host::Addr(c), Host::Addr(s)) => crate::community_id::tcp((*c).into(), (*s).into()),
            _ => None,
        }
    }

    /// With a timeline (`--timeline`): the frames that fell out of the frame log before it,
    /// not in it (0 when it holds them all); `None` without a timeline.
    pub fn timeline_frames_left_out(&self) -> Option<u64> {
        self.timeline.as_ref().map(|_| self.frames_not_logged)
    }

    /// How its HTTP/2 stream ended, as one line ("END_STREAM by client [pkt 26],
    /// RST_STREAM CANCEL by client [pkt 27]"; `pkt` as `packet_word` says), or `None`
    /// over HTTP/1.1 or while the stream is open.
    pub fn stream_ends_text(&self, packet_word: &str) -> Option<String> {
        if self.stream_ends.is_empty() {
            return None;
        }
        let said: Vec<String> = self
            .stream_ends
            .iter()
            .map(|e| format!("{} by {} [{packet_word}\u{a0}{}]", e.name(), e.by, e.packet))
            .collect();
        Some(said.join(", "))
    }

    /// The key under which `summary.by_status` counts this connection.
    pub fn status_key(&self) -> String {
        self.status_kind().to_string()
    }

    /// [`ConnectionReport::status_key`], without the allocation: decided from the cause
    /// that names the status ([`super::words::naming`]), never from its name's words.
    pub fn status_kind(&self) -> StatusKey {
        use super::cause::Cause;
        match self.status.code {
            Some(c) => StatusKey::Code(c),
            None => match super::words::naming(&self.status.causes) {
                Some(Cause::StillOpen { .. } | Cause::CaptureCut { .. }) => StatusKey::Open,
                Some(Cause::Evicted { .. }) => StatusKey::Evicted,
                Some(Cause::UpgradeRefused { .. } | Cause::TunnelRefused { .. }) => {
                    StatusKey::Refused
                }
                _ => StatusKey::Unknown,
            },
        }
    }
}

pub use super::cause::Eviction;
pub use super::words::{EVICTED_IDLE, EVICTED_MAX_FLOWS, EVICTED_MAX_MEMORY};

/// What `summary.by_status` counts a connection under: its code, "open", "refused" or
/// "unknown".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusKey {
    /// Closed with this code (or saw it: 1005, 1006).
    Code(u16),
    /// Still open at the end of the capture.
    Open,
    /// Still open when a cap (`--max-flows`, `--idle-timeout`) ended it early.
    Evicted,
    /// The upgrade was refused.
    Refused,
    /// No WebSocket handshake seen and nothing to tell how it ended.
    Unknown,
}

impl std::fmt::Display for StatusKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatusKey::Code(c) => write!(f, "{c}"),
            StatusKey::Open => f.write_str("open"),
            StatusKey::Evicted => f.write_str("evicted"),
            StatusKey::Refused => f.write_str("refused"),
            StatusKey::Unknown => f.write_str("unknown"),
        }
    }
}
