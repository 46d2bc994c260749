//! One WebSocket session's report: the model types a connection's report is made of
//! (handshake, close frames, TCP and HTTP/2 stream endings, endpoints), their stored and JSON
//! views, and the building of a session's report from a finished connection.
//!
//! In: a finished `stack::tcp::connection::Connection` and one of its sessions. Out: a
//! [`ConnectionReport`], whose status, evidence, status seen by each side and closing
//! handshake `diagnose` decides. Stored (`serial`), every field; in JSON
//! ([`ConnectionReportJson`]), the stable contract of ARCHITECTURE.md.

use super::{legs, schema, tls, PerSide};
use crate::capture::Timestamp;
use crate::close::catalog;
use crate::close::CloseFrame;
use crate::decode::Endpoint;
use crate::diagnose::{self, Status};
use crate::finding::Finding;
use crate::flow::Role;
use crate::render::wireshark;
use crate::stack::tcp::connection::{Connection, EndKind};
use crate::stack::tcp::Counters;
use crate::stack::Side;
use crate::websocket::decoder::{FrameRecord, Stats};
use crate::websocket::session::Session;
use crate::websocket::session::{StreamEnd, StreamEndKind};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct HandshakeReport {
    pub seen: bool,
    pub host: Option<String>,
    pub path: Option<String>,
    pub status: Option<u16>,
    pub subprotocol: Option<String>,
    pub extensions: Option<String>,
    pub accept_valid: Option<bool>,
    pub request_packet: Option<u64>,
    pub response_packet: Option<u64>,
    pub deflate: bool,
    /// Part of the handshake is missing: "snaplen" (cut by the capture's snap length) or
    /// "missing" (a segment not captured); the frames after it were found by the probe.
    /// `null` when the handshake was captured whole (or not at all).
    pub cut: Option<String>,
}

/// `&'static str` by another name, for fields whose text comes from a fixed table (written
/// as its code, `#[serde(with)]`): serde's derive takes a field typed `&'static str` for
/// text borrowed from its input, which only a `'static` input could give.
type Static = &'static str;

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct CloseFrameReport {
    pub from: Role,
    pub code: Option<u16>,
    #[serde(with = "catalog::name_serde")]
    #[schemars(with = "Option<String>")]
    pub name: Option<Static>,
    pub reason: String,
    pub packet: u64,
    pub time: Timestamp,
    #[serde(with = "crate::close::names_serde")]
    #[schemars(schema_with = "schema::close_problems")]
    pub problems: Vec<&'static str>,
}

/// One side's ending of TCP. Stored (`serial`), every field; in JSON
/// ([`TcpEndReportJson`]), `rst_after_fin` only when there was one.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[non_exhaustive]
pub struct TcpEndReport {
    pub by: Role,
    pub kind: EndKind,
    pub packet: u64,
    /// When the FIN or RST was captured.
    pub time: Timestamp,
    /// The RST the same side sent after this FIN, if it did.
    pub rst_after_fin: Option<LaterRstReport>,
}

/// The JSON view of a [`TcpEndReport`].
#[derive(Serialize, schemars::JsonSchema)]
#[serde(remote = "TcpEndReport", rename = "TcpEndReport")]
#[schemars(description = "How one side ended TCP: its first FIN or RST.")]
pub struct TcpEndReportJson {
    by: Role,
    kind: EndKind,
    packet: u64,
    /// When the FIN or RST was captured.
    time: Timestamp,
    /// After a FIN, the RST the same side sent later (its socket closed for good: the
    /// peer's data that came after the FIN was refused, or an abortive close after a
    /// half-close). Left out when there was none.
    #[serde(skip_serializing_if = "Option::is_none")]
    rst_after_fin: Option<LaterRstReport>,
}

impl Serialize for TcpEndReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            TcpEndReportJson::serialize(self, s)
        } else {
            TcpEndReport::serialize(self, s)
        }
    }
}

impl<'de> Deserialize<'de> for TcpEndReport {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<TcpEndReport, D::Error> {
        TcpEndReport::deserialize(d)
    }
}

/// An RST sent after the same side's FIN (`rst_after_fin` of a TCP ending).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct LaterRstReport {
    pub packet: u64,
    /// When the RST was captured.
    pub time: Timestamp,
}

/// How the HTTP/2 stream of an RFC 8441 WebSocket ended, one entry per END_STREAM,
/// RST_STREAM or GOAWAY that reached it, in order.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct StreamEndReport {
    pub by: Role,
    pub kind: StreamEndName,
    /// The RST_STREAM or GOAWAY error code's name (RFC 9113 §7), or its value in hex; null
    /// for END_STREAM. (Never skipped: the stored form, postcard, has no field names.)
    pub error_code: Option<String>,
    /// A GOAWAY's last stream id; null for the others.
    pub last_stream: Option<u32>,
    /// Whether it ended the stream (a GOAWAY that lets the stream run does not).
    pub ends_stream: bool,
    pub packet: u64,
    /// When the frame's packet was captured.
    pub time: Timestamp,
}

/// The frame that ended (or announced the end of) an HTTP/2 stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StreamEndName {
    EndStream,
    RstStream,
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

    fn new(e: &StreamEnd, by: Role) -> StreamEndReport {
        use crate::stack::h2::frame::ErrorCode;
        let (kind, error_code, last_stream) = match e.kind {
            StreamEndKind::EndStream => (StreamEndName::EndStream, None, None),
            StreamEndKind::Reset(code) => (
                StreamEndName::RstStream,
                Some(ErrorCode(code).to_string()),
                None,
            ),
            StreamEndKind::GoAway { last_stream, code } => (
                StreamEndName::Goaway,
                Some(ErrorCode(code).to_string()),
                Some(last_stream),
            ),
        };
        StreamEndReport {
            by,
            kind,
            error_code,
            last_stream,
            ends_stream: e.ends_stream(),
            packet: e.packet,
            time: e.ts,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct SeenBy {
    pub client: Option<u16>,
    pub server: Option<u16>,
}

/// An endpoint as a report names it: its address and port (`10.0.0.1:41008`,
/// `[::1]:443`), or the pseudonym `--redact` gave it (`host-1:41008`). Written into the
/// output as text when the report is, not kept as a string per connection. Stored
/// (`serial`), the endpoint or the pseudonym.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub enum Host {
    Addr(Endpoint),
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
    pub id: u64,
    /// Index into `inputs`: the file of its first packet.
    pub input: usize,
    /// The file of its last packet: `input` unless the connection goes on into the files
    /// that continue it (rotated files read as one capture; see `locate`).
    pub last_input: usize,
    pub client: Host,
    pub server: Host,
    /// The TLS that carried the session (wss://), if any.
    pub tls: Option<tls::TlsReport>,
    pub handshake: HandshakeReport,
    pub close_frames: Vec<CloseFrameReport>,
    /// "fin", "rst" or "open": how TCP ended first ([`tcp_end_name`]).
    #[serde(with = "tcp_end_serde")]
    pub tcp_end: Static,
    pub tcp_end_by: Option<Role>,
    pub tcp_end_packet: Option<u64>,
    /// Every side's FIN or RST, in order.
    pub tcp_ends: Vec<TcpEndReport>,
    /// "http/1.1" or "h2": what carried the WebSocket handshake and frames.
    #[serde(with = "transport_serde")]
    pub transport: Static,
    /// The HTTP/2 stream of an RFC 8441 WebSocket.
    pub h2_stream: Option<u32>,
    /// How that stream ended (END_STREAM, RST_STREAM, GOAWAY), in order.
    pub stream_ends: Vec<StreamEndReport>,
    pub status: Status,
    /// What in the capture explains the status (or contradicts it), with packet numbers.
    pub evidence: Option<diagnose::Evidence>,
    /// Why wsclose stopped following the connection before it ended (a cap: `max_flows`,
    /// `idle_timeout`), or null: what came after is not in the report.
    pub evicted: Option<Eviction>,
    /// The status each application saw (the peer's code, 1005, 1006, or null while open).
    pub seen_by: SeenBy,
    /// The closing handshake, when a close frame was sent.
    pub close_handshake: Option<diagnose::CloseHandshake>,
    /// Whether each direction's frames were followed to its end: false when bytes were
    /// missing where a frame header (or the end of the handshake) was expected, so that
    /// nothing after them was decoded and a close frame of that direction may be missing.
    pub decoded_to_end: PerSide<bool>,
    pub findings: Vec<Finding>,
    pub findings_dropped: u64,
    /// Seconds from the last WebSocket frame (either way) to the first FIN/RST.
    pub idle_before_end_s: Option<f64>,
    pub first_packet: u64,
    pub last_packet: u64,
    pub start: Timestamp,
    pub end: Timestamp,
    pub duration_s: f64,
    pub frames: PerSide<Stats>,
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
    pub application: Option<crate::app::ApplicationReport>,
    /// The tunnel its first packet came through, if any.
    pub encapsulation: Option<super::encapsulation::EncapsulationReport>,
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
    close_frames: Vec<CloseFrameReport>,
    #[schemars(schema_with = "schema::tcp_end")]
    tcp_end: &'static str,
    tcp_end_by: Option<Role>,
    tcp_end_packet: Option<u64>,
    tcp_ends: Vec<TcpEndReport>,
    #[schemars(schema_with = "schema::transport")]
    transport: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    h2_stream: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stream_ends: Vec<StreamEndReport>,
    status: Status,
    evidence: Option<diagnose::Evidence>,
    evicted: Option<Eviction>,
    seen_by: SeenBy,
    close_handshake: Option<diagnose::CloseHandshake>,
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
    application: Option<crate::app::ApplicationReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encapsulation: Option<super::encapsulation::EncapsulationReport>,
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

/// How TCP ended first, as a report names it: "fin", "rst", or "open" for neither.
pub fn tcp_end_name(kind: Option<EndKind>) -> &'static str {
    match kind {
        Some(EndKind::Fin) => "fin",
        Some(EndKind::Rst) => "rst",
        None => "open",
    }
}

/// `#[serde(with)]` for [`ConnectionReport::tcp_end`]: in JSON (a human-readable
/// serializer) the name, in the stored form (`serial`) the ending it names, read back as
/// its name, the very same static.
mod tcp_end_serde {
    use super::tcp_end_name;
    use crate::stack::tcp::connection::EndKind;
    use serde::{ser::Error as _, Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(name: &&'static str, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            return s.serialize_str(name);
        }
        match [Some(EndKind::Fin), Some(EndKind::Rst), None]
            .into_iter()
            .find(|&k| tcp_end_name(k) == *name)
        {
            Some(kind) => kind.serialize(s),
            None => Err(S::Error::custom("not a TCP ending's name")),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
        Option::<EndKind>::deserialize(d).map(tcp_end_name)
    }
}

/// What carried a session, as a report names it.
pub fn transport_name(h2: bool) -> &'static str {
    if h2 {
        "h2"
    } else {
        "http/1.1"
    }
}

/// `#[serde(with)]` for [`ConnectionReport::transport`]: the name in JSON, whether it is
/// HTTP/2 in the stored form, read back as the same static.
mod transport_serde {
    use super::transport_name;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(name: &&'static str, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(name)
        } else {
            (*name == transport_name(true)).serialize(s)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
        bool::deserialize(d).map(transport_name)
    }
}

impl ConnectionReport {
    /// With a timeline (`--timeline`): the frames that fell out of the frame log before it,
    /// not in it (0 when it holds them all); `None` without a timeline.
    pub fn timeline_frames_left_out(&self) -> Option<u64> {
        self.timeline.as_ref().map(|_| self.frames_not_logged)
    }

    /// Builds the report of WebSocket session `w` of a finished connection (`finish`
    /// already called).
    pub(crate) fn from_session(c: &Connection, w: &Session, id: u64) -> ConnectionReport {
        let client_side = c.client_side();
        let server_side = client_side.other();
        let mut closes: Vec<&CloseFrame> = Side::BOTH
            .into_iter()
            .filter_map(|s| w.decoder(s))
            .flat_map(|d| d.closes.iter())
            .collect();
        closes.sort_by_key(|f| f.order);
        // The connection's findings, and over HTTP/2 the session's own, by packet.
        let findings: Cow<'_, [Finding]> = if w.findings.items.is_empty() {
            Cow::Borrowed(&c.up.ctx.findings.items)
        } else {
            let mut all = c.up.ctx.findings.items.clone();
            all.extend(w.findings.items.iter().cloned());
            all.sort_by_key(|f| f.packet.unwrap_or(u64::MAX));
            Cow::Owned(all)
        };
        let hs = &w.handshake;
        let tls_facts = c.up.tls();
        let tls = tls_facts.as_ref().map(|f| tls::TlsReport::new(f, c));
        let d =
            crate::diagnose::diagnose(c, w, &closes, &findings, tls_facts.as_ref(), tls.as_ref());
        let tcp_first = c.first_end();
        let (cs, ss) = (w.stats(client_side), w.stats(server_side));
        let mut report = ConnectionReport {
            id,
            input: c.input,
            last_input: c.input,
            client: Host::Addr(c.ep[client_side]),
            server: Host::Addr(c.ep[server_side]),
            tls,
            handshake: HandshakeReport {
                seen: hs.request_seen,
                host: hs.host.clone(),
                path: hs.path.clone(),
                status: hs.status,
                subprotocol: hs.subprotocol.clone(),
                extensions: hs.extensions.clone(),
                accept_valid: hs.accept_valid(),
                request_packet: hs.request_packet,
                response_packet: hs.response_packet,
                deflate: hs.deflate,
                cut: hs.cut.map(|c| c.as_str().to_string()),
            },
            close_frames: closes
                .iter()
                .map(|f| CloseFrameReport {
                    from: f.from,
                    code: f.code,
                    name: f.code.map(|code| catalog::lookup(code).name),
                    reason: f.reason.clone(),
                    packet: f.packet,
                    time: f.ts,
                    problems: f.problems.iter().map(|p| p.as_str()).collect(),
                })
                .collect(),
            tcp_end: tcp_end_name(tcp_first.map(|(_, e)| e.kind)),
            tcp_end_by: tcp_first.map(|(by, _)| by),
            tcp_end_packet: tcp_first.map(|(_, e)| e.packet),
            evicted: None,
            transport: transport_name(w.transport.h2_stream.is_some()),
            h2_stream: w.transport.h2_stream,
            stream_ends: w
                .stream_ends
                .iter()
                .map(|e| StreamEndReport::new(e, c.role(e.by)))
                .collect(),
            seen_by: SeenBy {
                client: d.seen_by.client,
                server: d.seen_by.server,
            },
            tcp_ends: {
                let mut v: Vec<(u64, TcpEndReport)> = Side::BOTH
                    .into_iter()
                    .filter_map(|s| c.ends[s].map(|e| (c.role(s), e)))
                    .map(|(by, e)| {
                        let r = TcpEndReport {
                            by,
                            kind: e.kind,
                            packet: e.packet,
                            time: e.ts,
                            rst_after_fin: e.then_rst.map(|r| LaterRstReport {
                                packet: r.packet,
                                time: r.ts,
                            }),
                        };
                        (e.order, r)
                    })
                    .collect();
                v.sort_by_key(|(order, _)| *order);
                v.into_iter().map(|(_, r)| r).collect()
            },
            close_handshake: d.close_handshake,
            decoded_to_end: d.decoded_to_end,
            status: d.status,
            evidence: d.evidence,
            findings_dropped: c.up.ctx.findings.dropped + w.findings.dropped,
            findings: findings.into_owned(),
            idle_before_end_s: d.idle_before_end_s,
            first_packet: c.first_packet,
            last_packet: c.last_packet,
            start: c.first_ts,
            end: c.last_ts,
            duration_s: c.last_ts.since(c.first_ts),
            frames: PerSide {
                client: cs,
                server: ss,
            },
            tcp: PerSide {
                client: c.tcp[client_side].counters,
                server: c.tcp[server_side].counters,
            },
            timeline: None,
            recent_frames: {
                let mut v: Vec<FrameRecord> = Side::BOTH
                    .into_iter()
                    .filter_map(|s| w.decoder(s))
                    .flat_map(|d| d.log.iter().cloned())
                    .collect();
                v.sort_by_key(|f| (f.order, f.packet));
                v
            },
            frames_not_logged: Side::BOTH
                .into_iter()
                .filter_map(|s| w.decoder(s))
                .map(|d| d.log_dropped)
                .sum(),
            endpoints: (c.ep[client_side], c.ep[server_side]),
            ws_key: hs.key().map(str::to_string),
            other_leg: None,
            leg: None,
            encapsulation: c.encapsulation.as_deref().map(|&e| e.into()),
            application: w.app.as_deref().and_then(|t| {
                let close = closes
                    .first()
                    .map(|f| (f.from, f.code, f.reason.clone(), f.packet, f.ts));
                let tcp = tcp_first.map(|(by, e)| (by, e.kind == EndKind::Rst, e.packet, e.ts));
                t.finish(&crate::app::Ending {
                    close,
                    tcp,
                    last_ts: Some(c.last_ts),
                })
            }),
        };
        crate::diagnose::app::status_cause(&mut report);
        report
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

    /// Marks the connection as ended early by a cap (`why`): a status that would say it was
    /// still open at the end of the capture says instead where and why wsclose stopped
    /// following it, and which flag to raise.
    pub fn mark_evicted(&mut self, why: Eviction, opts: &crate::analyzer::Options) {
        self.evicted = Some(why);
        let limit = match why {
            Eviction::MaxFlows => opts.max_flows as u64,
            Eviction::IdleTimeout => opts.idle_timeout_s,
        };
        crate::diagnose::evicted(&mut self.status, why, self.last_packet, limit);
    }

    /// The key under which `summary.by_status` counts this connection.
    pub fn status_key(&self) -> String {
        self.status_kind().to_string()
    }

    /// [`ConnectionReport::status_key`], without the allocation.
    pub fn status_kind(&self) -> StatusKey {
        match self.status.code {
            Some(c) => StatusKey::Code(c),
            None if self.status.name.starts_with("Open") => StatusKey::Open,
            None if self.status.name.starts_with("Evicted") => StatusKey::Evicted,
            None if self.status.name == "Upgrade refused" => StatusKey::Refused,
            None => StatusKey::Unknown,
        }
    }
}

pub use crate::diagnose::text::{EVICTED_IDLE, EVICTED_MAX_FLOWS};
pub use crate::diagnose::Eviction;

/// What `summary.by_status` counts a connection under: its code, "open", "refused" or
/// "unknown".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKey {
    Code(u16),
    Open,
    /// Still open when a cap (`--max-flows`, `--idle-timeout`) ended it early.
    Evicted,
    Refused,
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
