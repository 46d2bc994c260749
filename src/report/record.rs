//! One record schema for every stream of output (docs/json.md, "Records"): the lines of
//! `--format jsonl`, of `--format json` while following (`analyze --follow`, `live`), and
//! what `--format ecs` is made from.
//!
//! In: a connection's report, a live close event, or a finished report, with the run's id.
//! Out: the [`Envelope`] every record starts with (`type`, `record_version`, `run_id`,
//! `input_path`, `uid`, the split addresses, the record's time as RFC 3339 and epoch
//! seconds), and the record types ([`ConnectionRecord`], [`EventRecord`],
//! [`SummaryRecord`]) that put it before what each says. The record schema is
//! schema/records.schema.json (`wsclose schema --records`).
//!
//! `uid`: a connection's id that stays the same across runs over the same capture (Zeek's
//! `uid` style: `C` and base62), the hash (SHA-1, first 12 bytes) of the client's and
//! server's endpoints as the record writes them, the time of the connection's first packet
//! (nanoseconds), the HTTP/2 stream and, for a connection inside VLANs or tunnels, where its
//! 4-tuple lives (`ConnectionReport::scope`: the same 4-tuple and start in two VLANs are two
//! uids; nothing for one outside any, whose uid is what it was before); it does not depend on
//! the path the capture was given by, nor on `id`. A redacted record's uid hashes the
//! pseudonyms, not the addresses (the same in any selection: `redact`).
//! `run_id`: unique per run, the wall-clock time, the process id and 8 bytes of
//! /dev/urandom (time and process id alone where it cannot be read), in base 36; or the
//! environment's `WSCLOSE_RUN_ID` (1 to 128 letters, digits and `-_.:`), for a fleet that
//! names its runs itself.

use super::{ConnectionReport, Host, Report, Status};
use crate::vocab::{Endpoint, Role, Timestamp};
use serde::Serialize;
use sha1::{Digest, Sha1};

/// The version of the record schema (`record_version`): raised when a field changes its
/// meaning or type; fields are added without raising it.
pub const RECORD_VERSION: u32 = 1;

/// What a record is (`type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RecordType {
    /// A connection's report (`--format jsonl`): how it ended and why.
    Connection,
    /// A close frame or an ending as it happened (`--follow`, `live`).
    Event,
    /// An incident: connections that failed together (from the report's `incidents`).
    Incident,
    /// The run's last record: its inputs and the counts over its connections.
    Summary,
    /// Endings that cluster with no incident named (from the report's `doubts`).
    Doubt,
}

/// What every record starts with.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Envelope {
    /// What the record is.
    #[serde(rename = "type")]
    pub kind: RecordType,
    /// The record schema's version ([`RECORD_VERSION`]).
    pub record_version: u32,
    /// The run that wrote it: the same on every record of a run, unique per run.
    pub run_id: String,
    /// The capture the connection's first packet came from, as given (`-` for standard
    /// input, `live:IFACE` for a live capture; its file name alone when redacted); for a
    /// summary, the first input's.
    pub input_path: Option<String>,
    /// The connection's id, the same across runs over the same capture (null for a
    /// summary; for a redacted event).
    pub uid: Option<String>,
    /// The client's address (an IPv6 one as RFC 5952 writes it, as Zeek and ECS do), or
    /// its pseudonym when redacted; null for a summary, a redacted event.
    pub client_ip: Option<String>,
    /// The client's TCP port.
    pub client_port: Option<u16>,
    /// The server's address, as `client_ip`.
    pub server_ip: Option<String>,
    /// The server's TCP port.
    pub server_port: Option<u16>,
    /// The record's time, RFC 3339 in UTC with nanoseconds: a connection's end (its last
    /// packet), an event's packet, a summary's capture's last packet (null when unknown).
    pub ts: Option<Timestamp>,
    /// `ts` in seconds since the Unix epoch.
    pub ts_epoch: Option<f64>,
    /// The connection's first packet, in seconds since the Unix epoch.
    pub start_epoch: Option<f64>,
    /// A connection's last packet, in seconds since the Unix epoch (null for an event).
    pub end_epoch: Option<f64>,
}

/// A time as `Timestamp` writes it (`2026-11-22T13:29:54.289472000Z`), read back.
pub(crate) fn parse_rfc3339(t: &str) -> Option<Timestamp> {
    let b = t.as_bytes();
    let at = |i: usize| b.get(i).copied();
    if b.len() != 30
        || at(4) != Some(b'-')
        || at(10) != Some(b'T')
        || at(19) != Some(b'.')
        || at(29) != Some(b'Z')
    {
        return None;
    }
    let n = |r: std::ops::Range<usize>| t.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (hh, mm, ss, ns) = (n(11..13)?, n(14..16)?, n(17..19)?, n(20..29)?);
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss;
    Some(Timestamp(secs * 1_000_000_000 + ns))
}

/// Seconds since the Unix epoch, to the microsecond a double keeps.
pub fn epoch(t: Timestamp) -> f64 {
    t.0 as f64 / 1e9
}

/// An endpoint's address and port as a record splits them: the address's text (RFC 5952
/// for IPv6) or a pseudonym (`host-3f2a9c` of `host-3f2a9c:41008`).
pub fn split(h: &Host) -> (String, Option<u16>) {
    match h {
        Host::Addr(ep) => (ep.ip().to_string(), Some(ep.port)),
        Host::Named(name) => match name.rsplit_once(':') {
            Some((host, port)) => (host.to_string(), port.parse().ok()),
            None => (name.clone(), None),
        },
    }
}

/// The connection uid of the endpoints' texts, its first packet's time and its HTTP/2
/// stream (see the module's header).
pub fn uid(
    client: &str,
    server: &str,
    start: Timestamp,
    h2_stream: Option<u32>,
    scope: u32,
) -> String {
    let mut sha = Sha1::new();
    sha.update(client.as_bytes());
    sha.update([0]);
    sha.update(server.as_bytes());
    sha.update([0]);
    sha.update(start.0.to_be_bytes());
    sha.update(h2_stream.map_or(u64::MAX, u64::from).to_be_bytes());
    // Outside any VLAN or tunnel nothing more, so those uids are what they were.
    if scope != 0 {
        sha.update(scope.to_be_bytes());
    }
    let digest = sha.finalize();
    let mut n = [0u8; 16];
    for (to, from) in n.iter_mut().skip(4).zip(digest.iter()) {
        *to = *from;
    }
    let mut v = u128::from_be_bytes(n);
    const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::with_capacity(18);
    while v > 0 {
        out.extend(DIGITS.get((v % 62) as usize));
        v /= 62;
    }
    out.push(b'C');
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Whether `id` can be a run id the caller gives: 1 to 128 ASCII letters, digits and `-_.:`.
pub fn valid_run_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// The environment's `WSCLOSE_RUN_ID` when it is set and is no run id ([`valid_run_id`]):
/// why, for a command that writes records to refuse it (rather than write records under an
/// id the caller did not give).
pub fn run_id_refused() -> Option<String> {
    let id = std::env::var_os("WSCLOSE_RUN_ID")?;
    let text = id.to_string_lossy();
    if id.to_str().is_some_and(valid_run_id) {
        return None;
    }
    let why = if text.is_empty() {
        "it is empty".to_string()
    } else if text.len() > 128 {
        format!("it is {} bytes long", text.len())
    } else {
        let c = text
            .chars()
            .find(|c| !c.is_ascii_alphanumeric() && !"-_.:".contains(*c))
            .unwrap_or(char::REPLACEMENT_CHARACTER);
        format!("it holds {c:?}")
    };
    Some(format!(
        "WSCLOSE_RUN_ID {:?} is no run id ({why}): a run id is 1 to 128 ASCII letters, \
         digits and -_.: (unset it for one made per run)",
        text.chars().take(140).collect::<String>()
    ))
}

/// When the run began: the first time a record asked for it (the binary asks as it starts),
/// the same for the whole process. The time of a summary that has no packet to date it by
/// (ECS requires every document's `@timestamp`).
pub fn run_start() -> Timestamp {
    static START: std::sync::OnceLock<Timestamp> = std::sync::OnceLock::new();
    *START.get_or_init(|| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Timestamp(i64::try_from(now).unwrap_or(i64::MAX))
    })
}

/// The run's id (see the module's header): made once per process.
pub fn run_id() -> String {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        use std::io::Read;
        // A run id the caller gives (a fleet's job id; tests): letters, digits, `-_.:`.
        // (The binary refuses one that is not: `run_id_refused`.)
        if let Some(id) = std::env::var("WSCLOSE_RUN_ID")
            .ok()
            .filter(|id| valid_run_id(id))
        {
            return id;
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let mut random = [0u8; 8];
        let got = std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut random))
            .is_ok();
        let mut id = format!("{}-{}", base36(now), base36(u128::from(std::process::id())));
        if got {
            id.push('-');
            id.push_str(&base36(u128::from(u64::from_be_bytes(random))));
        }
        id
    })
    .clone()
}

fn base36(mut v: u128) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.extend(DIGITS.get((v % 36) as usize));
        v /= 36;
        if v == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

impl Envelope {
    /// A connection record's envelope.
    pub fn connection(report: &Report, c: &ConnectionReport, run_id: &str) -> Envelope {
        let (client_ip, client_port) = split(&c.client);
        let (server_ip, server_port) = split(&c.server);
        Envelope {
            kind: RecordType::Connection,
            record_version: RECORD_VERSION,
            run_id: run_id.to_string(),
            input_path: report.inputs.get(c.input).map(|i| i.path.clone()),
            uid: Some(uid(
                &c.client.to_string(),
                &c.server.to_string(),
                c.start,
                c.h2_stream,
                c.scope,
            )),
            client_ip: Some(client_ip),
            client_port,
            server_ip: Some(server_ip),
            server_port,
            ts: Some(c.end),
            ts_epoch: Some(epoch(c.end)),
            start_epoch: Some(epoch(c.start)),
            end_epoch: Some(epoch(c.end)),
        }
    }

    /// The summary record's envelope.
    pub fn summary(report: &Report, run_id: &str) -> Envelope {
        let last = report
            .inputs
            .iter()
            .filter_map(|i| i.last_time.as_deref())
            .filter_map(parse_rfc3339)
            .max();
        Envelope {
            kind: RecordType::Summary,
            record_version: RECORD_VERSION,
            run_id: run_id.to_string(),
            input_path: report.inputs.first().map(|i| i.path.clone()),
            uid: None,
            client_ip: None,
            client_port: None,
            server_ip: None,
            server_port: None,
            // The capture's last packet, when the last input says it.
            ts: last,
            ts_epoch: last.map(epoch),
            start_epoch: None,
            end_epoch: None,
        }
    }
}

impl Envelope {
    /// The envelope of an incident record (`type` `incident`), at `ts` (the incident's
    /// first failure): the run's id, the first input's path, no connection's uid or
    /// endpoints. For the report's incidents (`incidents[]`): each
    /// incident's record is this envelope, then the incident's object, written by `jsonl`
    /// and `ecs` before the connection records ([`IncidentRecord`]).
    pub fn incident(report: &Report, run_id: &str, ts: Option<Timestamp>) -> Envelope {
        Envelope {
            kind: RecordType::Incident,
            ts,
            ts_epoch: ts.map(epoch),
            ..Envelope::summary(report, run_id)
        }
    }
}

/// A connection record: the envelope, then the JSON contract's connection object.
#[derive(Serialize, schemars::JsonSchema)]
pub struct ConnectionRecord<'a> {
    /// What every record starts with.
    #[serde(flatten)]
    pub envelope: Envelope,
    /// The connection's object of the JSON contract.
    #[serde(flatten)]
    pub connection: &'a ConnectionReport,
}

/// A close frame or ending as it happened: the envelope (`type` `event`), then what the
/// event lines of `--follow` and `live` said before records, with `status` the connection
/// status's object (as in a connection record) and `community_id`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct EventRecord {
    /// What every record starts with.
    #[serde(flatten)]
    pub envelope: Envelope,
    /// The event's packet time (RFC 3339), as `ts`.
    pub time: Timestamp,
    /// The packet that carried it.
    pub packet: u64,
    /// The client's endpoint (`address:port`); null when redacted.
    pub client: Option<String>,
    /// The server's endpoint; null when redacted.
    pub server: Option<String>,
    /// The upgrade request's path, when captured (without its query string when redacted).
    pub path: Option<String>,
    /// The HTTP/2 stream of an RFC 8441 WebSocket.
    pub h2_stream: Option<u32>,
    /// The side that sent it.
    pub from: Role,
    /// `close`, `fin`, `rst`, `end_stream`, `rst_stream` or `goaway`.
    pub event: &'static str,
    /// A close frame's code on the wire (null for an empty close frame, and for endings).
    pub code: Option<u16>,
    /// A close frame's reason (when redacted, the addresses and host names in it named as
    /// the report names them).
    pub reason: Option<String>,
    /// What is wrong with a close frame (the names of `close_frames[].problems`).
    pub problems: Vec<&'static str>,
    /// The status this event gives the connection (its first close frame or ending), with
    /// the catalog's typical causes and fix; null for later events.
    pub status: Option<Status>,
    /// The status code's name, when the event sets the status.
    pub name: Option<&'static str>,
    /// The Community ID (v1, seed 0) of the connection; null when redacted.
    pub community_id: Option<String>,
    /// Over TLS, the close_notify that came before an ending with no close frame.
    pub close_notify: Option<EventPacket>,
    /// A first ending right after the peer's message, with no frame in reply.
    pub unanswered: Option<EventUnanswered>,
}

/// A packet of an event record: who sent it and its number.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct EventPacket {
    /// The side that sent it.
    pub from: Role,
    /// Its number.
    pub packet: u64,
}

/// The message a first ending came right after (`unanswered`).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct EventUnanswered {
    /// The side that sent the message.
    pub from: Role,
    /// Its opcode's name.
    pub opcode: &'static str,
    /// Its payload's size, in bytes.
    pub size: u64,
    /// The packet that completed it.
    pub packet: u64,
}

/// The status a live event gives, from the catalog: the code, its name, whether it is
/// inferred, the code's typical causes and fix; no typed causes (the report's status says
/// those once the connection is analysed).
pub fn event_status(code: u16) -> Status {
    let e = crate::close::catalog::lookup(code);
    Status {
        code: Some(code),
        name: e.name.into(),
        inferred: super::status::inferred(code),
        detail: String::new(),
        general: e.causes,
        fix: e.fix.into(),
        causes: Vec::new(),
    }
}

/// The event's endpoints as a record gives them (none when redacted).
pub fn event_endpoints(
    client: Endpoint,
    server: Endpoint,
    start: Timestamp,
    h2_stream: Option<u32>,
    scope: u32,
    redacted: bool,
) -> (Option<String>, Option<String>, Option<String>, Envelope) {
    let (c, s) = (Host::Addr(client), Host::Addr(server));
    let (ct, st) = (c.to_string(), s.to_string());
    let community = (!redacted)
        .then(|| crate::community_id::tcp(client.into(), server.into()))
        .flatten();
    let ip = |ep: Endpoint| (!redacted).then(|| ep.ip().to_string());
    let port = |ep: Endpoint| (!redacted).then_some(ep.port);
    let envelope = Envelope {
        kind: RecordType::Event,
        record_version: RECORD_VERSION,
        run_id: String::new(),
        input_path: None,
        uid: (!redacted).then(|| uid(&ct, &st, start, h2_stream, scope)),
        client_ip: ip(client),
        client_port: port(client),
        server_ip: ip(server),
        server_port: port(server),
        ts: None,
        ts_epoch: None,
        start_epoch: Some(epoch(start)),
        end_epoch: None,
    };
    let (ct, st) = if redacted {
        (None, None)
    } else {
        (Some(ct), Some(st))
    };
    (ct, st, community, envelope)
}

/// One count of `summary.statuses`: a status, its name and how many connections had it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StatusCount {
    /// The close code, or null for `open`, `evicted`, `refused`, `unknown`.
    pub code: Option<u16>,
    /// The key `by_status` counts it under (`1006`, `open`, ...).
    pub key: String,
    /// The code's name in the catalog, or the status's (`Open`, `Upgrade refused`, ...).
    pub name: String,
    /// How many connections shown had it.
    pub count: u64,
}

/// `by_status` as a list, in its order.
pub fn status_counts(by_status: &std::collections::BTreeMap<String, u64>) -> Vec<StatusCount> {
    by_status
        .iter()
        .map(|(key, &count)| {
            let code: Option<u16> = key.parse().ok();
            let name = match (code, key.as_str()) {
                (Some(c), _) => crate::close::catalog::lookup(c).name.to_string(),
                (None, "open") => "Open".into(),
                (None, "evicted") => "Evicted".into(),
                (None, "refused") => "Upgrade refused".into(),
                _ => "Unknown".into(),
            };
            StatusCount {
                code,
                key: key.clone(),
                name,
                count,
            }
        })
        .collect()
}

/// The summary record: the envelope, then the JSON contract's top-level fields but its
/// connections, and `by_status` as a list (`statuses`).
#[derive(Serialize, schemars::JsonSchema)]
pub struct SummaryRecord<'a> {
    /// What every record starts with.
    #[serde(flatten)]
    pub envelope: Envelope,
    /// The JSON contract's version.
    pub version: u32,
    /// `wsclose` and its version.
    pub tool: &'a str,
    /// The command line that made the report.
    pub command: &'a Option<String>,
    /// Whether the report was redacted.
    pub redacted: bool,
    /// Every input, as the report's `inputs`.
    pub inputs: &'a [crate::vocab::InputSummary],
    /// The counts over the connections shown, as the report's `summary`.
    pub summary: &'a super::Summary,
    /// `summary.by_status` as a list of `{code, key, name, count}`: a table gets a row per
    /// status rather than a column per code.
    pub statuses: Vec<StatusCount>,
    /// What the capture held besides the connections, as the report's `seen`.
    pub seen: &'a super::Seen,
    /// Where TLS secrets came from, as the report's `key_logs`.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub key_logs: &'a [crate::vocab::KeySource],
    /// Key-log lines that could not be read, as the report's.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub key_log_warnings: &'a [String],
    /// What the run itself met, as the report's `warnings`.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub warnings: &'a [String],
}

impl<'a> SummaryRecord<'a> {
    /// The summary record of `report`.
    pub fn of(report: &'a Report, run_id: &str) -> SummaryRecord<'a> {
        SummaryRecord {
            envelope: Envelope::summary(report, run_id),
            version: report.version,
            tool: &report.tool,
            command: &report.command,
            redacted: report.redacted,
            inputs: &report.inputs,
            summary: &report.summary,
            statuses: status_counts(&report.summary.by_status),
            seen: &report.seen,
            key_logs: &report.key_logs,
            key_log_warnings: &report.key_log_warnings,
            warnings: &report.warnings,
        }
    }
}

/// An incident record: the envelope (`type` `incident`, at the incident's first ending,
/// with the server's or client's address it concerns split as a connection's are), then the
/// report's incident object (`incidents[]`).
#[derive(Serialize, schemars::JsonSchema)]
pub struct IncidentRecord<'a> {
    /// What every record starts with.
    #[serde(flatten)]
    pub envelope: Envelope,
    /// The incident's object of the JSON contract.
    #[serde(flatten)]
    pub incident: &'a crate::vocab::Incident,
}

impl<'a> IncidentRecord<'a> {
    /// The record of `incident`, one of `report`'s.
    pub fn of(
        report: &Report,
        incident: &'a crate::vocab::Incident,
        run_id: &str,
    ) -> IncidentRecord<'a> {
        let mut envelope = Envelope::incident(report, run_id, Some(incident.start));
        // The typed endpoints, or when redacted the pseudonyms that stand for them.
        let (server, client) = if report.redacted {
            let named = |h: &Option<String>| h.clone().map(|h| split(&Host::Named(h)));
            (named(&incident.server), named(&incident.client))
        } else {
            (
                incident.server_ep.map(|ep| split(&Host::Addr(ep))),
                incident.client_ip.map(|ip| (ip.to_string(), None)),
            )
        };
        if let Some((ip, port)) = server {
            (envelope.server_ip, envelope.server_port) = (Some(ip), port);
        }
        if let Some((ip, port)) = client {
            (envelope.client_ip, envelope.client_port) = (Some(ip), port);
        }
        envelope.start_epoch = Some(epoch(incident.start));
        envelope.end_epoch = Some(epoch(incident.end));
        IncidentRecord { envelope, incident }
    }
}

/// A doubtful cluster's record: the envelope (`type` `doubt`, at its first ending, with its
/// server's address split as a connection's is), then the report's doubt object
/// (`doubts[]`).
#[derive(Serialize, schemars::JsonSchema)]
pub struct DoubtRecord<'a> {
    /// What every record starts with.
    #[serde(flatten)]
    pub envelope: Envelope,
    /// The doubt's object of the JSON contract.
    #[serde(flatten)]
    pub doubt: &'a crate::vocab::Doubt,
}

impl<'a> DoubtRecord<'a> {
    /// The record of `doubt`, one of `report`'s.
    pub fn of(report: &Report, doubt: &'a crate::vocab::Doubt, run_id: &str) -> DoubtRecord<'a> {
        let mut envelope = Envelope::incident(report, run_id, Some(doubt.start));
        envelope.kind = RecordType::Doubt;
        let (ip, port) = match doubt.server_ep {
            Some(ep) if !report.redacted => split(&Host::Addr(ep)),
            _ => split(&Host::Named(doubt.server.clone())),
        };
        (envelope.server_ip, envelope.server_port) = (Some(ip), port);
        envelope.start_epoch = Some(epoch(doubt.start));
        envelope.end_epoch = Some(epoch(doubt.end));
        DoubtRecord { envelope, doubt }
    }
}

/// Any record, for the schema (schema/records.schema.json).
#[derive(Serialize, schemars::JsonSchema)]
#[allow(clippy::large_enum_variant)] // Made only for its schema.
#[serde(untagged)]
pub enum Record<'a> {
    /// A connection record.
    Connection(ConnectionRecord<'a>),
    /// An event record.
    Event(EventRecord),
    /// An incident record.
    Incident(IncidentRecord<'a>),
    /// A doubtful cluster's record.
    Doubt(DoubtRecord<'a>),
    /// The summary record.
    Summary(SummaryRecord<'a>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    /// An incident's record splits its endpoints from their values, an IPv6 client host
    /// too (its address is no `host:port`), and from the pseudonyms when redacted.
    #[test]
    fn an_incident_record_splits_its_endpoints_from_their_values() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/incident/aiohttp-restart.pcap.gz"
        );
        let options = crate::analyzer::Options::default();
        let mut report = crate::analyze_files(&[path.into()], options).unwrap();
        let Some(mut incident) = report.incidents.first().cloned() else {
            panic!("{path} holds no incident");
        };
        let server = crate::vocab::Endpoint::new("2001:db8::1".parse().unwrap(), 8443);
        incident.server_ep = Some(server);
        incident.server = Some(server.to_string());
        incident.client_ip = Some("2001:db8::5".parse().unwrap());
        incident.client = Some("2001:db8::5".into());
        let r = IncidentRecord::of(&report, &incident, "run");
        let e = &r.envelope;
        assert_eq!(e.server_ip.as_deref(), Some("2001:db8::1"));
        assert_eq!(e.server_port, Some(8443));
        assert_eq!(e.client_ip.as_deref(), Some("2001:db8::5"));
        assert_eq!(e.client_port, None);
        report.redacted = true;
        incident.server = Some("host-3f2a9c:8443".into());
        incident.client = Some("host-77aa01".into());
        let r = IncidentRecord::of(&report, &incident, "run");
        let e = &r.envelope;
        assert_eq!(e.server_ip.as_deref(), Some("host-3f2a9c"));
        assert_eq!(e.server_port, Some(8443));
        assert_eq!(e.client_ip.as_deref(), Some("host-77aa01"));
        assert_eq!(e.client_port, None);
    }

    #[test]
    fn uid_is_zeek_like_and_depends_on_what_it_hashes() {
        let a = uid("10.0.0.1:1", "10.0.0.2:80", Timestamp(5), None, 0);
        assert!(a.starts_with('C') && a.len() >= 12 && a.len() <= 18, "{a}");
        assert!(a[1..].bytes().all(|b| b.is_ascii_alphanumeric()), "{a}");
        assert_eq!(a, uid("10.0.0.1:1", "10.0.0.2:80", Timestamp(5), None, 0));
        assert_ne!(a, uid("10.0.0.1:1", "10.0.0.2:80", Timestamp(6), None, 0));
        assert_ne!(
            a,
            uid("10.0.0.1:1", "10.0.0.2:80", Timestamp(5), Some(1), 0)
        );
        assert_ne!(a, uid("10.0.0.1:2", "10.0.0.2:80", Timestamp(5), None, 0));
        // The same 4-tuple and start in two VLANs or VNIs: two connections, two uids.
        assert_ne!(a, uid("10.0.0.1:1", "10.0.0.2:80", Timestamp(5), None, 7));
        assert_ne!(
            uid("10.0.0.1:1", "10.0.0.2:80", Timestamp(5), None, 7),
            uid("10.0.0.1:1", "10.0.0.2:80", Timestamp(5), None, 8)
        );
        // Outside any VLAN or tunnel, the uid is what it was before scopes were hashed.
        assert_eq!(a, "CMWLAB9xKbjGkFvmb");
    }

    #[test]
    fn times_read_back_as_written() {
        for t in [0, 1_795_354_194_293_153_000, 951_782_400_000_000_001] {
            let ts = Timestamp(t);
            assert_eq!(parse_rfc3339(&ts.rfc3339()), Some(ts), "{ts}");
        }
    }

    #[test]
    fn a_run_id_is_letters_digits_and_four_marks() {
        for good in ["test-run", "job_42.3:a", &"a".repeat(128)] {
            assert!(valid_run_id(good), "{good}");
        }
        for bad in ["", "ci/job/42", "a b", &"a".repeat(129), "caf\u{e9}", "a\n"] {
            assert!(!valid_run_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn run_id_is_the_same_within_a_run() {
        let id = run_id();
        assert_eq!(id, run_id());
        assert!(id.split('-').count() >= 2, "{id}");
    }

    #[test]
    fn addresses_split_as_zeek_writes_them() {
        let v6 = Host::Addr(Endpoint::from((
            "2001:db8:0:0:0:0:0:1".parse::<IpAddr>().unwrap(),
            443,
        )));
        assert_eq!(split(&v6), ("2001:db8::1".to_string(), Some(443)));
        let named = Host::Named("host-1:41008".into());
        assert_eq!(split(&named), ("host-1".to_string(), Some(41008)));
    }
}
