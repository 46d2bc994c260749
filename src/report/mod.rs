//! The report model, built once from the analyzed connections and rendered by one module
//! per format ([`crate::render`]: table, json, markdown, csv, html).
//!
//! ```
//! let capture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/python-close-1011.pcap");
//! let report = wsclose::analyze_files(&[capture.into()], wsclose::Options::default())?;
//! assert_eq!(report.summary.connections, 1);
//! let conn = &report.connections[0];
//! assert_eq!(conn.status.code, Some(1011));
//!
//! // The table `wsclose analyze` prints, 100 columns wide, without colour.
//! let table = wsclose::render::table::render(&report, Some(100), false);
//! assert!(table.contains("1011"));
//! // The Markdown for a ticket (no input hashes given).
//! let md = wsclose::render::markdown::render(&report, &[None]);
//! assert!(md.contains("1011"));
//! # Ok::<(), wsclose::error::Error>(())
//! ```
//!
//! In: finished connections (`stack::tcp::connection::Connection`) and input summaries. Out: a [`Report`] whose serde form is
//! the stable JSON contract of ARCHITECTURE.md (`version`, `inputs`, `connections` with
//! `id`, `client`, `server`, `handshake`, `close_frames`, `tcp_end`, `tcp_end_by`,
//! `status`, `findings`; `summary`). Fields may be added; those names never change.
//!
//! A report's connections are either all in memory (`connections`) or in a [`Store`]
//! (`stored`, large captures: most of them in a temporary file). Renderers read them with
//! [`Report::for_each_chunk`] / [`Report::for_each_connection`], which work on both, or call
//! [`Report::load`] first. Reading from a store applies what was decided for the whole
//! report after the reports were made: the truncated-input status ([`mark_cut`]), the
//! note on a back leg whose client's leg stayed encrypted
//! ([`legs::mark_behind_encrypted`]) and `--redact`.
//!
//! Size: about 1 000 lines: the report model, its stored and JSON views (serde remote
//! derives) and the building of a session's report; splitting the views from the types they
//! describe would make them drift.

pub mod filter;
pub mod legs;
pub mod redact;
pub mod schema;
pub mod store;
pub mod tls;

use crate::capture::file::InputSummary;
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
use std::collections::BTreeMap;
pub use store::Store;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct Report {
    pub version: u32,
    pub tool: String,
    /// The command line that made the report (set by the binary).
    pub command: Option<String>,
    /// Addresses, host names (Host, SNI), query strings, payloads and TLS client randoms
    /// were removed (`--redact`).
    pub redacted: bool,
    pub inputs: Vec<InputSummary>,
    /// The connections shown, when they are in memory (else in `stored`).
    pub connections: Vec<ConnectionReport>,
    /// The connections shown, when they are in a store (`connections` is then empty; the
    /// serde form leaves them out: write such a report with `render::json::write`).
    #[serde(skip)]
    pub stored: Option<Store>,
    pub summary: Summary,
    /// What the capture held besides WebSocket connections.
    pub seen: Seen,
    /// Where TLS secrets came from (key logs, `SSLKEYLOGFILE`, pcapng secrets), never the
    /// secrets themselves.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub key_logs: Vec<crate::keys::KeySource>,
    /// Key-log lines that could not be read (source and line number).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub key_log_warnings: Vec<String>,
    /// When redacted: the pseudonyms `redact` gave before the connections (those of the
    /// encrypted connections), from which a store's connections are named as they are read.
    #[serde(skip)]
    pub(crate) names: Option<redact::Names>,
}

#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct Summary {
    /// Connections shown (after any selection).
    pub connections: u64,
    /// Connections found, before any selection.
    pub total_connections: u64,
    /// Count per status code; "open" for connections still open, "refused" for refused
    /// upgrades, "unknown" for a close whose code the capture lacks.
    pub by_status: BTreeMap<String, u64>,
    /// TLS connections listed in `seen.encrypted` (and counted beyond it).
    #[serde(skip_serializing_if = "is_zero")]
    pub encrypted_connections: u64,
    /// When a selection (`--host`, `--port`) left some encrypted connections out of
    /// `seen.encrypted`: how many there were before it (`encrypted_connections` are left).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_encrypted_connections: Option<u64>,
    /// The selection that chose the connections shown (`--status 1006 --port 443`), when
    /// one was given: `connections` of `total_connections` are shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct Seen {
    pub packets: u64,
    pub tcp_packets: u64,
    pub other_packets: u64,
    pub malformed_packets: u64,
    /// Packets the capture kept only in part (captured length < length on the wire).
    pub snaplen_cut_packets: u64,
    /// The smallest captured length among those packets.
    pub smallest_snaplen: Option<u32>,
    /// Link types that were not decoded, with their packet counts.
    pub unsupported_link_types: BTreeMap<String, u64>,
    pub tcp_connections: u64,
    /// TCP connections that spoke HTTP but never asked for an upgrade, or spoke something else.
    pub other_tcp_connections: u64,
    /// Flows evicted before the end of the input (idle timeout or flow cap).
    pub evicted_flows: u64,
    /// Of those, flows finished after the idle timeout (`--idle-timeout`) without a packet.
    pub evicted_idle: u64,
    /// Of those, flows still open that were finished because more than `--max-flows` were
    /// tracked at once (the least recently active).
    pub evicted_max_flows: u64,
    /// Packets of connections already closed and reported (final ACKs, retransmitted FINs).
    pub late_packets: u64,
    /// Connections frozen out of memory (`freeze`) that could not be read back from the
    /// temporary file: not reported. Only an I/O error on that file does this.
    #[serde(skip_serializing_if = "is_zero")]
    pub lost_frozen: u64,
    /// TLS connections that carried no WebSocket the report could read (not decrypted: no
    /// key, a key that does not match; or not a WebSocket inside), in capture order, at
    /// most [`Seen::MAX_ENCRYPTED`] of them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub encrypted: Vec<tls::EncryptedReport>,
    /// Such connections beyond that cap (counted, not listed).
    #[serde(skip_serializing_if = "is_zero")]
    pub encrypted_not_listed: u64,
}

impl Seen {
    /// Encrypted connections listed one by one; past this, only counted.
    pub const MAX_ENCRYPTED: usize = 10_000;

    /// Lists `e` (or counts it, past the cap).
    pub fn add_encrypted(&mut self, e: tls::EncryptedReport) {
        if self.encrypted.len() < Self::MAX_ENCRYPTED {
            self.encrypted.push(e);
        } else {
            self.encrypted_not_listed += 1;
        }
    }

    /// Every encrypted connection, listed or not.
    pub fn encrypted_count(&self) -> u64 {
        self.encrypted.len() as u64 + self.encrypted_not_listed
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

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

pub use crate::flow::PerSide;

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
    /// that continue it (rotated files read as one capture; see [`locate`]).
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
        ConnectionReport {
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

/// Where packet `packet` of a connection that started in input `input` is: the input
/// holding it and its number there. Packets are numbered on across inputs that continue
/// each other (rotated files: `InputSummary::packet_offset`); inputs with no packet between
/// them are passed over.
pub fn locate(inputs: &[InputSummary], input: usize, packet: u64) -> (usize, u64) {
    let mut at = input;
    for (j, next) in inputs.iter().enumerate().skip(input + 1) {
        if next.packets == 0 {
            continue;
        }
        if !next.continues_previous || next.packet_offset >= packet {
            break;
        }
        at = j;
    }
    let offset = inputs.get(at).map_or(0, |i| i.packet_offset);
    (at, packet.saturating_sub(offset))
}

/// "name #N": packet `packet` of a connection that started in input `input`, by the file
/// that holds it and its number there (for reports of rotated files read as one capture).
pub fn place(inputs: &[InputSummary], input: usize, packet: u64) -> String {
    let (at, n) = locate(inputs, input, packet);
    let name = inputs.get(at).map_or_else(String::new, |i| {
        crate::capture::file::rotation::file_name(&i.path)
    });
    format!("{name} #{n}")
}

/// A connection "still open" in a file that stops early may well have closed after it:
/// its status says so instead.
pub fn mark_cut(inputs: &[InputSummary], c: &mut ConnectionReport) {
    if inputs.get(c.last_input).is_some_and(|i| i.truncated) {
        crate::diagnose::cut(&mut c.status);
    }
}

impl Report {
    pub fn new(
        inputs: Vec<InputSummary>,
        mut connections: Vec<ConnectionReport>,
        seen: Seen,
    ) -> Report {
        // Keys are unique (one packet starts one TCP connection, and its HTTP/2 WebSockets
        // differ by stream), so an in-place unstable sort is deterministic and needs no
        // scratch copy of the reports.
        connections.sort_unstable_by_key(|c| (c.input, c.first_packet, c.h2_stream));
        for (i, c) in connections.iter_mut().enumerate() {
            c.id = i as u64 + 1;
        }
        legs::link_vec(&mut connections);
        for c in &mut connections {
            diagnose::legs::mark_behind_encrypted(c, &seen.encrypted);
        }
        Report::build(inputs, connections, None, seen)
    }

    /// Records where TLS secrets came from, and gives each encrypted connection the advice
    /// that fits its reason with those key logs (no key at all is not the same as a key log
    /// that holds only other connections').
    pub fn set_key_logs(&mut self, key_logs: Vec<crate::keys::KeySource>) {
        for e in &mut self.seen.encrypted {
            e.advise(&key_logs);
        }
        self.key_logs = key_logs;
    }

    /// A report whose connections stay in `store` (sorted and numbered here).
    pub fn from_store(inputs: Vec<InputSummary>, mut store: Store, seen: Seen) -> Report {
        store.sort();
        // Failing to read back or write a report leaves the legs unlinked, nothing worse.
        let _ = legs::link_store(&mut store);
        Report::build(inputs, Vec::new(), Some(store), seen)
    }

    fn build(
        inputs: Vec<InputSummary>,
        connections: Vec<ConnectionReport>,
        stored: Option<Store>,
        seen: Seen,
    ) -> Report {
        let mut r = Report {
            version: 1,
            tool: format!("wsclose {}", env!("CARGO_PKG_VERSION")),
            command: None,
            redacted: false,
            inputs,
            connections,
            stored,
            summary: Summary::default(),
            seen,
            key_logs: Vec::new(),
            key_log_warnings: Vec::new(),
            names: None,
        };
        r.recount();
        r.summary.total_connections = r.summary.connections;
        r.summary.encrypted_connections = r.seen.encrypted_count();
        r
    }

    /// Counts the connections shown, by status.
    pub fn recount(&mut self) {
        self.summary.by_status.clear();
        let (keys, n): (Box<dyn Iterator<Item = StatusKey>>, usize) = match &self.stored {
            Some(s) => (Box::new(s.statuses()), s.len()),
            None => (
                Box::new(self.connections.iter().map(|c| c.status_kind())),
                self.connections.len(),
            ),
        };
        for k in keys {
            *self.summary.by_status.entry(k.to_string()).or_default() += 1;
        }
        self.summary.connections = n as u64;
    }

    /// Whether some input was read as the continuation of the one before (rotated files):
    /// packet numbers then run on across files.
    pub fn joins_files(&self) -> bool {
        self.inputs.iter().any(|i| i.continues_previous)
    }

    /// How many connections are shown from each input, without reading them back.
    pub fn per_input(&self) -> Vec<u64> {
        let mut n = vec![0u64; self.inputs.len()];
        let mut count = |i: usize| {
            if let Some(k) = n.get_mut(i) {
                *k += 1;
            }
        };
        match &self.stored {
            Some(store) => store.inputs().for_each(&mut count),
            None => self.connections.iter().for_each(|c| count(c.input)),
        }
        n
    }

    /// Calls `f` with the connections shown, in id order, up to `n` at a time (all of them
    /// in memory at once only if they already were): borrowed when they are in memory,
    /// owned when read back from a store.
    pub fn for_each_chunk<'a>(
        &'a self,
        n: usize,
        mut f: impl FnMut(Cow<'a, [ConnectionReport]>) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let n = n.max(1);
        let Some(store) = &self.stored else {
            return self
                .connections
                .chunks(n)
                .try_for_each(|c| f(Cow::Borrowed(c)));
        };
        let mut chunk = Vec::with_capacity(n.min(store.len()));
        self.read_stored(store, |c| {
            chunk.push(c);
            if chunk.len() < n {
                return Ok(());
            }
            f(Cow::Owned(std::mem::replace(
                &mut chunk,
                Vec::with_capacity(n),
            )))
        })?;
        if chunk.is_empty() {
            Ok(())
        } else {
            f(Cow::Owned(chunk))
        }
    }

    /// Renders the connections shown a few dozen at a time (`RENDER_CHUNK`) with
    /// `render(k, part)` for the `k`th part, on this thread and one more, and writes the
    /// rendered parts to `out` in their order, whatever order they are done in. This thread
    /// also reads the connections back and writes, so neither the time nor the memory
    /// grows with one long single-threaded pass. Returns the number of parts.
    pub fn render_chunks(
        &self,
        render: impl Fn(usize, &[ConnectionReport]) -> std::io::Result<Vec<u8>> + Sync,
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<usize> {
        use std::sync::mpsc;
        let render = &render;
        let (jobs, queue) = mpsc::sync_channel::<Job<'_>>(RENDER_QUEUED);
        // A part goes back with its rendering, to be freed here: the reports were read back
        // (allocated) on this thread, and freeing memory of another thread's allocator arena
        // contends for that arena's lock with this thread's next allocations.
        let (done, results) = mpsc::channel::<(Job<'_>, std::io::Result<Vec<u8>>)>();
        std::thread::scope(|s| {
            // Without the rendering thread (none could be made), this thread renders it all.
            let renderer = std::thread::Builder::new()
                .spawn_scoped(s, move || {
                    for (k, part) in queue {
                        let rendered = render(k, &part);
                        if done.send(((k, part), rendered)).is_err() {
                            break;
                        }
                    }
                })
                .ok();
            let written = move || -> std::io::Result<usize> {
                let mut order = InOrder {
                    waiting: BTreeMap::new(),
                    written: 0,
                };
                let mut sent = 0;
                let read = self.for_each_chunk(RENDER_CHUNK, |part| {
                    match jobs.try_send((sent, part)) {
                        Ok(()) => {}
                        Err(
                            mpsc::TrySendError::Full((k, part))
                            | mpsc::TrySendError::Disconnected((k, part)),
                        ) => order.write((k, render(k, &part)), out)?,
                    }
                    sent += 1;
                    while let Ok(got) = results.try_recv() {
                        order.returned(got, out)?;
                    }
                    Ok(())
                });
                // The thread ends once the queue is empty, however this ends.
                drop(jobs);
                read?;
                while order.written < sent {
                    let got = results
                        .recv()
                        .map_err(|_| std::io::Error::other("the rendering thread failed"))?;
                    order.returned(got, out)?;
                }
                Ok(sent)
            }();
            // Joined here rather than by the scope, which waits for the closure only: the
            // thread's exit (its thread-local destructors) could otherwise outlive this call
            // (LeakSanitizer saw it, in the `capture_file` fuzz target).
            if let Some(r) = renderer {
                let _ = r.join();
            }
            written
        })
    }

    /// Calls `f` with each connection shown, in id order.
    pub fn for_each_connection(
        &self,
        mut f: impl FnMut(&ConnectionReport) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        match &self.stored {
            Some(store) => self.read_stored(store, |c| f(&c)),
            None => self.connections.iter().try_for_each(f),
        }
    }

    /// Brings the connections of a store into `connections` (for the renderers that want
    /// them all at once).
    pub fn load(&mut self) -> std::io::Result<()> {
        let Some(store) = self.stored.take() else {
            return Ok(());
        };
        let mut all = store.into_vec()?;
        let mut names = self.names_before_connections();
        for c in &mut all {
            self.as_shown(c, &mut names);
        }
        self.connections = all;
        Ok(())
    }

    /// When the report is redacted, the pseudonyms given before its connections were named.
    fn names_before_connections(&self) -> Option<redact::Names> {
        self.redacted
            .then(|| self.names.clone().unwrap_or_default())
    }

    /// A stored report as this report shows it: with the truncated-input status, and
    /// redacted if the report is (`names` then holds the pseudonyms given so far).
    fn as_shown(&self, c: &mut ConnectionReport, names: &mut Option<redact::Names>) {
        c.last_input = locate(&self.inputs, c.input, c.last_packet).0;
        mark_cut(&self.inputs, c);
        if let Some(names) = names {
            names.connection(c);
        }
        // After the pseudonyms: the encrypted connections have theirs (`redact`).
        diagnose::legs::mark_behind_encrypted(c, &self.seen.encrypted);
    }

    /// Reads every report of `store` back (a copy of those kept in memory), as this report
    /// shows them (pseudonyms in id order, as `redact` gives).
    fn read_stored(
        &self,
        store: &Store,
        mut f: impl FnMut(ConnectionReport) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut names = self.names_before_connections();
        let mut buf = Vec::new();
        for i in 0..store.len() {
            let mut c = store.get(i, &mut buf)?;
            self.as_shown(&mut c, &mut names);
            f(c)?;
        }
        Ok(())
    }
}

/// Connections rendered per piece of work by [`Report::render_chunks`]: small, so that the
/// pieces in flight stay a few hundred KiB.
pub(crate) const RENDER_CHUNK: usize = 32;

/// Parts queued for the rendering thread; when the queue is full the calling thread
/// renders the part itself. One rendering thread beside the calling one (which also reads
/// the connections back and writes): a third thread cost a third malloc arena, about 1 MiB
/// more peak RSS, on a two-core machine for little time.
const RENDER_QUEUED: usize = 2;

/// A part of the connections to render: its number, and the connections.
type Job<'a> = (usize, Cow<'a, [ConnectionReport]>);

/// Rendered parts, written out in their order whatever order they come back in.
struct InOrder {
    /// Those that came back before the ones ahead of them.
    waiting: BTreeMap<usize, Vec<u8>>,
    written: usize,
}

impl InOrder {
    fn write(
        &mut self,
        got: (usize, std::io::Result<Vec<u8>>),
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        self.waiting.insert(got.0, got.1?);
        while let Some(buf) = self.waiting.remove(&self.written) {
            out.write_all(&buf)?;
            self.written += 1;
        }
        Ok(())
    }

    /// A part back from the rendering thread with its rendering: the part is freed here
    /// (see `Report::render_chunks`), the rendering written in its turn.
    fn returned(
        &mut self,
        ((k, part), rendered): (Job<'_>, std::io::Result<Vec<u8>>),
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        drop(part);
        self.write((k, rendered), out)
    }
}

/// The report of every fixture with its connections repeated until there are at least
/// `n`, numbered from 1: for the tests of the writers that render in parts.
#[cfg(test)]
pub(crate) fn repeated_fixture_report(n: usize) -> Report {
    let paths = crate::fixture_paths();
    let mut report = crate::analyze_files(&paths, crate::analyzer::Options::default())
        .unwrap_or_else(|e| panic!("the fixtures: {e}"));
    let all = report.connections.clone();
    assert!(!all.is_empty());
    while report.connections.len() < n {
        report.connections.extend(all.iter().cloned());
    }
    for (i, c) in report.connections.iter_mut().enumerate() {
        c.id = i as u64 + 1;
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Set when the rendering thread's thread-locals are destroyed, as the thread exits.
    static EXITED: AtomicBool = AtomicBool::new(false);

    struct OnExit;
    impl Drop for OnExit {
        fn drop(&mut self) {
            // Slow, so that a call that does not wait for the exit returns first.
            std::thread::sleep(std::time::Duration::from_millis(30));
            EXITED.store(true, Ordering::SeqCst);
        }
    }

    thread_local!(static GUARD: OnExit = const { OnExit });

    /// `render_chunks` returns only once its rendering thread has exited, thread-local
    /// destructors and all (a scoped thread not joined by hand is waited for only until its
    /// closure returns), and writes every part in order.
    #[test]
    fn render_chunks_waits_for_its_thread_to_exit() {
        let report = repeated_fixture_report(4 * RENDER_CHUNK);
        let me = std::thread::current().id();
        let mut out = Vec::new();
        let parts = report
            .render_chunks(
                |k, part| {
                    if std::thread::current().id() != me {
                        GUARD.with(|_| ());
                    }
                    Ok(format!("{k}:{} ", part.len()).into_bytes())
                },
                &mut out,
            )
            .unwrap();
        assert!(parts >= 4, "{parts} parts");
        let want: String = (0..parts)
            .map(|k| {
                format!(
                    "{k}:{} ",
                    RENDER_CHUNK.min(report.connections.len() - k * RENDER_CHUNK)
                )
            })
            .collect();
        assert_eq!(String::from_utf8(out).unwrap(), want);
        assert!(
            EXITED.load(Ordering::SeqCst),
            "the rendering thread had not exited"
        );
    }
}
