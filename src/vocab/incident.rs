//! Closes of several connections that belong together: an [`Incident`] of an
//! [`IncidentKind`] (JSON `incidents[]`), who came back after it ([`Reconnects`], [`Bin`]),
//! and per connection its [`Reconnect`] and what came [`After`] its abrupt ending
//! ([`Accepted`]).
//!
//! In: nothing of the project. Out: the values the `incident` stage fills (its thresholds,
//! `incident::RECONNECT_MAX_S` and the like, and its words stay there).

use super::endpoint::Endpoint;
use super::time::Timestamp;
use serde::{Deserialize, Serialize};

/// What kind of incident.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum IncidentKind {
    /// The server ended its sessions at once and accepted new ones later.
    ServerRestart,
    /// The server ended its sessions at once and accepted none after (in the capture).
    ServerStop,
    /// A proxy in front ended its sessions at once (a reload or restart).
    ProxyReload,
    /// Many sessions ended at the same idle age: a timeout.
    IdleTimeoutCohort,
    /// All the sessions of one client host ended at once: its process exited or its
    /// network changed.
    ClientDrop,
    /// The server closed many sessions with 1013 or 1014 (or refused upgrades with 503 or
    /// 429): it is shedding load.
    OverloadShedding,
    /// One client refused again and again with the same code as it retries.
    RejectionLoop,
    /// Many clients refused with the same code at once.
    MassRejection,
    /// The server's process stopped answering while its host's TCP went on: the clients'
    /// pings went unanswered (acknowledged in TCP) and they ended their sessions.
    ServerStall,
    /// One server stopped again and again within moments of coming back.
    CrashLoop,
    /// Many sessions ended by resets their named sender never sent (a TTL unlike that
    /// side's own packets): a box between the two (a firewall, NAT, load balancer or IDS)
    /// reset them.
    MiddleboxReset,
    /// A backend behind a proxy or load balancer ended its sessions at once (stopped or
    /// drained); the clients' sessions through the front ended with them.
    BackendStop,
    /// The path between clients and a server was cut and healed: both sides' data went
    /// unacknowledged at once, then got through; the sessions whose side gave up during the
    /// silence (a timeout shorter than it) died, the others lived on.
    Partition,
    /// The server stopped and answered again, but its clients refused every TLS handshake
    /// after its hello (their alert after its Certificate, or their close): they reject the
    /// certificate it came back with.
    TlsRejectedRestart,
    /// The server ended several sessions whose clients had stopped reading (their receive
    /// window zero while its data piled up), while its other sessions went on: slow
    /// consumers cut.
    SlowConsumers,
}

impl IncidentKind {
    /// Its name, as JSON and `wsclose explain` spell it.
    pub fn name(self) -> &'static str {
        match self {
            IncidentKind::ServerRestart => "server-restart",
            IncidentKind::ServerStop => "server-stop",
            IncidentKind::ProxyReload => "proxy-reload",
            IncidentKind::IdleTimeoutCohort => "idle-timeout-cohort",
            IncidentKind::ClientDrop => "client-drop",
            IncidentKind::OverloadShedding => "overload-shedding",
            IncidentKind::RejectionLoop => "rejection-loop",
            IncidentKind::MassRejection => "mass-rejection",
            IncidentKind::ServerStall => "server-stall",
            IncidentKind::CrashLoop => "crash-loop",
            IncidentKind::MiddleboxReset => "middlebox-reset",
            IncidentKind::BackendStop => "backend-stop",
            IncidentKind::Partition => "partition",
            IncidentKind::TlsRejectedRestart => "tls-rejected-restart",
            IncidentKind::SlowConsumers => "slow-consumers",
        }
    }

    /// Every kind.
    pub const ALL: [IncidentKind; 15] = [
        IncidentKind::ServerRestart,
        IncidentKind::ServerStop,
        IncidentKind::ProxyReload,
        IncidentKind::IdleTimeoutCohort,
        IncidentKind::ClientDrop,
        IncidentKind::OverloadShedding,
        IncidentKind::RejectionLoop,
        IncidentKind::MassRejection,
        IncidentKind::ServerStall,
        IncidentKind::CrashLoop,
        IncidentKind::MiddleboxReset,
        IncidentKind::BackendStop,
        IncidentKind::Partition,
        IncidentKind::TlsRejectedRestart,
        IncidentKind::SlowConsumers,
    ];

    /// The kind named `name` (`wsclose explain server-restart`).
    pub fn named(name: &str) -> Option<IncidentKind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Who came back after an incident.
// Its field docs are the schema's descriptions (schema/, kept as they were): they name
// the incident stage's thresholds, which the vocabulary does not import, so no link.
#[allow(rustdoc::broken_intra_doc_links)]
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Reconnects {
    /// Members whose client opened a new session to the same server and path (or
    /// subprotocol) within [`RECONNECT_MAX_S`] of the end, and was accepted.
    pub came_back: u64,
    /// Members with no accepted new session in the capture.
    pub never: u64,
    /// Median seconds from a member's end to its accepted new session.
    pub median_s: Option<f64>,
    /// The slowest of those.
    pub slowest_s: Option<f64>,
    /// New sessions that replaced a member and were refused: their upgrade was (an HTTP
    /// status other than 101), or they were ended again as members of the same incident (a
    /// rejection loop's next refusal); and for a server stop or restart, the connection
    /// attempts to its server refused in TCP while it was down (a SYN answered by a RST or
    /// not answered, from the first member's end to the next session the server accepted,
    /// or to the capture's end: [`refused::count`]).
    pub refused: u64,
    /// Seconds between the 10th and 90th percentile of the delays (with 3 or more).
    pub spread_s: Option<f64>,
    /// The delays spread over less than [`HERD_SPREAD_S`]: the clients came back in a herd.
    pub herd: Option<bool>,
    /// Of `came_back`, members whose new session came from a client host that had several
    /// sessions to the server open at once: that host came back, not surely that client.
    #[serde(default)]
    pub same_host: u64,
    /// For a stop or restart: the TLS handshakes to its server its clients refused after
    /// the server's hello (a fatal alert of the client's, or, in TLS 1.3 with no key to
    /// open it, a protected record of an alert's size and its close), from the first
    /// member's end to the next session the server accepted (or to the capture's end):
    /// they rejected its certificate. Absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub refused_tls: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Closes that belong together (JSON `incidents[]`; one row of type `incident` per
/// incident in JSON Lines).
// Its field docs are the schema's descriptions (schema/, kept as they were): they name
// the incident stage's thresholds, which the vocabulary does not import, so no link.
#[allow(rustdoc::broken_intra_doc_links)]
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct Incident {
    /// Its number, from 1, in the order of its first end; connections name it (`incident`).
    pub id: u32,
    /// What kind of incident.
    pub kind: IncidentKind,
    /// The first member's end.
    pub start: Timestamp,
    /// The last member's end.
    pub end: Timestamp,
    /// Seconds from `start` to `end`.
    pub window_s: f64,
    /// The server (or proxy) it concerns, when one: its address and port (a pseudonym when
    /// redacted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// The client host it concerns, when one: its address (a pseudonym when redacted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// How the members ended: "fin", "rst", "fin/rst", "close 1000", "close", "refused 503",
    /// "silence" (no close frame, FIN or RST: data unacknowledged to the end), "mixed".
    pub ended_by: EndedBy,
    /// Who ended them: "server", "client" or "both".
    pub side: Enders,
    /// The close code (or HTTP status of a refused upgrade) they share, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    /// For an idle cohort: the idle age they share (the first member's), seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_s: Option<f64>,
    /// For a restart: seconds from the last member's end to the next session the server
    /// accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub down_s: Option<f64>,
    /// How many connections it holds.
    pub members: u64,
    /// The first [`LISTED`] of their ids.
    pub connections: Vec<u64>,
    /// The first member's deciding packet (its close frame, FIN or RST): where to look.
    pub first_packet: u64,
    /// How its members' clients came back.
    pub reconnects: Reconnects,
    /// The width of each of `bins`, seconds (0.1, 0.25, 0.5, 1, 2, 5, 10, 30 or 60: the
    /// least that spans the members' ends and their reconnects in [`MAX_BINS`] bars).
    pub bin_s: f64,
    /// From `start`, per `bin_s`: members that ended and reconnects accepted (the picture
    /// of the HTML report).
    pub bins: Vec<Bin>,
    /// What happened, in words.
    pub cause: String,
    /// What to change.
    pub fix: String,
    /// The least and greatest quiet spell before their ends of the members whose spell is
    /// known, milliseconds (not in JSON: the members' own causes say it,
    /// `incident-member`).
    #[serde(skip)]
    pub idle_range_ms: Option<(u32, u32)>,
    /// The server's endpoint, when one (not in JSON: `server` says it, or its pseudonym).
    #[serde(skip)]
    pub server_ep: Option<Endpoint>,
    /// For a `server-stall`: what showed the server's process silent while its TCP went on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall: Option<Stall>,
    /// For a `crash-loop`: each stop of the server in it, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stops: Vec<LoopStop>,
    /// For a `partition`: the silence, and who lived through it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<Partition>,
    /// For `slow-consumers`: how long the members' clients had read nothing, and the
    /// server's sessions that went on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow: Option<Slow>,
}

/// What showed the path cut and healed (a `partition`): on each connection it crossed, both
/// sides sent their data again and again, unacknowledged, at once, until a packet got through.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Partition {
    /// When both sides of every connection it crossed were retransmitting (the latest
    /// such moment of them): the silence had begun by then.
    pub silent_from: Timestamp,
    /// The first packet that crossed again on any of them: the path healed by then.
    pub healed: Timestamp,
    /// Seconds from `silent_from` to `healed`.
    pub silence_s: f64,
    /// Connections it crossed (members and survivors).
    pub crossed: u64,
    /// Of those, sessions that lived on past it: whatever timeout they have is longer than
    /// the silence (or they had none).
    pub survived: u64,
    /// The first of the survivors' ids (up to the incident's listing limit).
    pub survivors: Vec<u64>,
}

/// What showed slow consumers cut (`slow-consumers`): each member's client had stopped
/// reading (its receive window zero, the server's zero-window probes answered with a zero
/// window) when the server ended its session, and the server's other sessions open at the
/// first member's end went on past the last.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Slow {
    /// The shortest of the members' zero-window spells before the server's end, seconds
    /// (kept within 4.4 %: to the tenth of a second up to 12.7 s).
    pub zero_window_min_s: f64,
    /// The longest of them.
    pub zero_window_max_s: f64,
    /// The server's other sessions open at the first member's end that were still open
    /// after the last (its fast clients, which it went on serving).
    pub stayed: u64,
}

/// What showed a server's process silent (a `server-stall`): its members' clients pinged,
/// the server's TCP acknowledged the pings and its application answered none, from a moment
/// that fits every member.
// Its field docs are the schema's descriptions: they name the incident stage's thresholds,
// which the vocabulary does not import, so no link.
#[allow(rustdoc::broken_intra_doc_links)]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Stall {
    /// The server's last frame on any member before it fell silent: the stall began after
    /// it (the latest of the members' last frames from the server).
    pub silent_after: Timestamp,
    /// The first ping any member's client sent that went unanswered: the stall had begun by
    /// then (within [`STALL_SLACK_S`]).
    pub first_unanswered: Timestamp,
    /// Members whose client's pings went unanswered while the server's TCP acknowledged them.
    pub pings_unanswered: u64,
    /// New connections to the server accepted in TCP during the stall whose client gave up
    /// before the server answered its upgrade request (a listen queue the process did not
    /// read): a lower bound, counted from the server's last frame on the members up to the
    /// first new connection it did upgrade (one still waiting when it answered again), at
    /// most [`RECONNECT_MAX_S`] past the last member's end. Linked to the incident
    /// (`incident`), not among its members.
    pub upgrades_unanswered: u64,
}

/// One stop of a server in a `crash-loop`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct LoopStop {
    /// Its first member's end.
    pub start: Timestamp,
    /// Its last member's end.
    pub end: Timestamp,
    /// Sessions it ended.
    pub members: u64,
    /// Seconds from its last end to the next session the server accepted (null: none in the
    /// capture).
    pub down_s: Option<f64>,
    /// Connection attempts to the server refused in TCP (a SYN answered by a RST or by
    /// nothing) from its first end to the next session accepted (or the capture's end).
    pub refused: u64,
}

/// One bar of an incident's picture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Bin {
    /// Members that ended in it.
    pub ends: u32,
    /// Members' reconnects accepted in it.
    pub reconnects: u32,
}

/// A connection's reconnect: the session that replaced it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Reconnect {
    /// The id of the new session.
    pub connection: u64,
    /// Seconds from this one's end to its start.
    pub after_s: f64,
    /// Whether the new session's upgrade was refused.
    pub refused: bool,
    /// The client host had several sessions to the server and route open at once (a NAT,
    /// a proxy, a machine running several clients): the new session is one of that host's,
    /// not surely this client's own reconnect.
    #[serde(default)]
    pub same_host: bool,
}

/// What came after a connection's abrupt ending from its client host to its server.
// Its field docs are the schema's descriptions (schema/, kept as they were): they name
// the incident stage's thresholds, which the vocabulary does not import, so no link.
#[allow(rustdoc::broken_intra_doc_links)]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct After {
    /// New connections of the client host to the server's port refused (SYN answered by
    /// RST) after the ending and before the next session accepted.
    pub refused: u64,
    /// The first refused SYN's packet, if any.
    pub first_refused: Option<u64>,
    /// Seconds from the ending to it.
    pub first_refused_s: Option<f64>,
    /// The last refused SYN's packet, if any.
    pub last_refused: Option<u64>,
    /// Seconds from the ending to it.
    pub last_refused_s: Option<f64>,
    /// The next session of the client host the server accepted, if one came within
    /// [`RECONNECT_MAX_S`].
    pub accepted: Option<Accepted>,
}

/// A new session the server accepted after an ending.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Accepted {
    /// Its connection id.
    pub connection: u64,
    /// Its first packet.
    pub packet: u64,
    /// Seconds from the ending to its start.
    pub after_s: f64,
    /// It is this connection's own reconnect (its `reconnect`: the same client and path),
    /// not only a session of the same client host.
    pub reconnect: bool,
}

/// The same session seen at a second point of the capture: a NAT's two sides (issue 91
/// item 4), linked by the upgrade request's `Sec-WebSocket-Key` (RFC 6455 §4.1: 16 random
/// bytes per handshake) carried by exactly two connections that began together, one
/// endpoint the same at both points and the other translated (JSON `seen_at_two_points`).
// Its field docs are the schema's descriptions: they name the incident stage's thresholds,
// which the vocabulary does not import, so no link.
#[allow(rustdoc::broken_intra_doc_links)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Twin {
    /// The id of the connection that is this session at the other point.
    pub connection: u64,
    /// The endpoint the two points show with different addresses: `client` (a source NAT,
    /// masquerade) or `server` (a destination NAT, a port forward).
    pub translated: super::Role,
    /// A reset this point saw in that side's name that the other point never saw that side
    /// send (no RST of it there within [`TWIN_S`]): made between the two points, by a box
    /// between them; null when none.
    pub reset_made_between: Option<super::Role>,
    /// That reset's packet; null when none.
    pub reset_packet: Option<u64>,
}

/// Endings that cluster with no incident named (issue 91 item 7): at least three sessions
/// of one server that ended within moments, far faster than its usual pace, whose evidence
/// fits no kind or is too weak for one: what they show and why no kind is named (JSON
/// `doubts[]`). Never an incident: its sessions name none.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct Doubt {
    /// Its first member's end.
    pub start: Timestamp,
    /// Its last member's end.
    pub end: Timestamp,
    /// Seconds from the first end to the last.
    pub window_s: f64,
    /// The server (address:port) whose sessions ended.
    pub server: String,
    /// Sessions that ended in it.
    pub members: u64,
    /// Their ids (at most 100).
    pub connections: Vec<u64>,
    /// Of them, those the server ended.
    pub by_server: u64,
    /// Those their clients ended.
    pub by_client: u64,
    /// How they ended: "fin", "rst", "fin/rst", "close CODE", "close", "silence" when all
    /// alike; else "mixed".
    pub ended_by: EndedBy,
    /// The different ways they ended (a close code, FIN, RST, silence each one).
    pub ways: u64,
    /// The client hosts they came from.
    pub hosts: u64,
    /// Sessions to the server open at its first end (its members among them).
    pub open: u64,
    /// When all came from one client host: that host's sessions to the server open then
    /// (its members among them); else null.
    pub host_open: Option<u64>,
    /// Why no kind is named, by a stable name.
    pub reason: DoubtReason,
    /// The same in words, with its figures.
    pub why: String,
}

/// Why a cluster of endings names no incident kind ([`Doubt::reason`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DoubtReason {
    /// Both sides ended members: no one party ended them all, so neither a stop of the
    /// server nor a client host's drop.
    BothSides,
    /// They ended in different ways, and no shared code or reset names a cause.
    MixedWays,
    /// The server ended them, but few of the sessions open to it (under three quarters): a
    /// stop ends nearly all, and the others ran on.
    FewOfOpen,
    /// Their clients ended them, from several hosts, and nothing of the server's shows.
    ClientsOfHosts,
    /// Their client host ended them, but not all its sessions open then (a host's drop
    /// ends them all): one of its clients did, not the host.
    FewOfHost,
    /// One party and one way, yet too weak for a kind.
    Weak,
}

/// How the sessions of an incident or a doubt ended, all alike or not (JSON `ended_by`, a
/// string: "fin", "rst", "fin/rst", "close 1000", "close", "refused 503", "silence",
/// "mixed").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedBy {
    /// Each by its TCP FIN, no close frame.
    Fin,
    /// Each by a TCP RST, no close frame.
    Rst,
    /// Each by a FIN or a RST, some of each.
    FinRst,
    /// Each by a close frame with this code (none: an empty close frame).
    Close(Option<u16>),
    /// Each upgrade refused with this HTTP status.
    Refused(u16),
    /// No close frame, FIN or RST: data unacknowledged to the end.
    Silence,
    /// Not all alike.
    Mixed,
}

impl EndedBy {
    /// Whether each ended by its TCP FIN or RST (no close frame).
    pub fn by_tcp(self) -> bool {
        matches!(self, EndedBy::Fin | EndedBy::Rst | EndedBy::FinRst)
    }
}

impl std::fmt::Display for EndedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndedBy::Fin => f.write_str("fin"),
            EndedBy::Rst => f.write_str("rst"),
            EndedBy::FinRst => f.write_str("fin/rst"),
            EndedBy::Close(Some(c)) => write!(f, "close {c}"),
            EndedBy::Close(None) => f.write_str("close"),
            EndedBy::Refused(s) => write!(f, "refused {s}"),
            EndedBy::Silence => f.write_str("silence"),
            EndedBy::Mixed => f.write_str("mixed"),
        }
    }
}

/// Compared with its JSON string (tests read it so).
impl PartialEq<&str> for EndedBy {
    fn eq(&self, other: &&str) -> bool {
        let text: &str = &self.to_string();
        text == *other
    }
}

impl Serialize for EndedBy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Who ended the sessions of an incident (JSON `side`, a string: "server", "client",
/// "both").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enders {
    /// The server ended each.
    Server,
    /// Each client ended its own.
    Client,
    /// Some each way (or a side not known).
    Both,
}

impl Enders {
    /// Its JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Enders::Server => "server",
            Enders::Client => "client",
            Enders::Both => "both",
        }
    }
}

impl std::fmt::Display for Enders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Compared with its JSON string (tests read it so).
impl PartialEq<&str> for Enders {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

impl Serialize for Enders {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}
