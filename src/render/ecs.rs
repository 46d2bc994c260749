//! `--format ecs`: the records as Elastic Common Schema documents, one JSON object per line,
//! for Filebeat, Elastic Agent, Vector, Fluent Bit, OpenSearch and Elasticsearch with no
//! transform (docs/pipelines.md).
//!
//! In: a [`Report`] (a line per incident, a line per connection shown, then the run's
//! summary line) or one live
//! [`CloseEvent`](crate::CloseEvent) (`--follow`, `live`). Out: compact JSON lines whose fields are ECS's
//! (`@timestamp`, `ecs.version`, `message`, `event.*`, `source.*`, `destination.*`,
//! `network.*`, `url.*`, `log.file.path`), each of the type ECS defines for it
//! ([`FIELDS`]), and wsclose's own under `wsclose.*` (the record envelope's `type`,
//! `run_id`, `uid`, `id`, the status object, and a session seen at two points' `points`
//! with `points_summary`, its line). Written as `jsonl` writes: the
//! connections a chunk at a time by the report's rendering threads, strings terminal-safe
//! (`pretty`). Redacted, `source.ip`/`destination.ip` are left out (a pseudonym is no IP)
//! and `source.address` holds the pseudonym.

use super::pretty;
use crate::report::record::{epoch, split, status_counts, Envelope, EventRecord, RecordType};
use crate::report::{ConnectionReport, Host, Report};
use serde_json::{json, Map, Value};
use std::io::{self, Write};

/// The ECS version whose field definitions these documents follow (`ecs.version`).
pub const ECS_VERSION: &str = "9.4.0";

/// Every ECS field the documents use, with its ECS type and, where ECS lists them, its
/// allowed values: from ECS 9.4.0's field definitions (generated/ecs/ecs_flat.yml of
/// github.com/elastic/ecs, tag v9.4.0). tests/it/render/ecs.rs checks each document against it.
pub const FIELDS: &[(&str, &str, &[&str])] = &[
    ("@timestamp", "date", &[]),
    ("ecs.version", "keyword", &[]),
    ("message", "match_only_text", &[]),
    (
        "event.kind",
        "keyword",
        &[
            "alert",
            "asset",
            "enrichment",
            "event",
            "metric",
            "state",
            "pipeline_error",
            "signal",
        ],
    ),
    (
        "event.category",
        "keyword",
        &[
            "api",
            "authentication",
            "configuration",
            "database",
            "driver",
            "email",
            "file",
            "host",
            "iam",
            "intrusion_detection",
            "library",
            "malware",
            "network",
            "package",
            "process",
            "registry",
            "session",
            "threat",
            "vulnerability",
            "web",
        ],
    ),
    (
        "event.type",
        "keyword",
        &[
            "access",
            "admin",
            "allowed",
            "change",
            "connection",
            "creation",
            "deletion",
            "denied",
            "device",
            "end",
            "error",
            "group",
            "indicator",
            "info",
            "installation",
            "protocol",
            "start",
            "user",
        ],
    ),
    (
        "event.outcome",
        "keyword",
        &["failure", "success", "unknown"],
    ),
    ("event.action", "keyword", &[]),
    ("event.code", "keyword", &[]),
    ("event.reason", "keyword", &[]),
    ("event.duration", "long", &[]),
    ("event.start", "date", &[]),
    ("event.end", "date", &[]),
    ("event.dataset", "keyword", &[]),
    ("event.module", "keyword", &[]),
    ("event.id", "keyword", &[]),
    ("event.sequence", "long", &[]),
    ("source.ip", "ip", &[]),
    ("source.port", "long", &[]),
    ("source.address", "keyword", &[]),
    ("destination.ip", "ip", &[]),
    ("destination.port", "long", &[]),
    ("destination.address", "keyword", &[]),
    ("network.community_id", "keyword", &[]),
    ("network.transport", "keyword", &[]),
    ("network.protocol", "keyword", &[]),
    ("network.type", "keyword", &[]),
    ("url.path", "wildcard", &[]),
    ("url.domain", "keyword", &[]),
    ("url.port", "long", &[]),
    ("url.query", "keyword", &[]),
    ("log.file.path", "keyword", &[]),
];

/// Sets `value` at `path` of the object `doc`, making the objects on the way.
fn set(doc: &mut Value, path: &[&str], value: Value) {
    let Some((last, ways)) = path.split_last() else {
        return;
    };
    let mut at = doc;
    for k in ways {
        let Some(obj) = at.as_object_mut() else {
            return;
        };
        at = obj
            .entry(k.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if let Some(obj) = at.as_object_mut() {
        obj.insert(last.to_string(), value);
    }
}

/// `source` or `destination` of an endpoint: `ip` (not when redacted), `port`, `address`.
fn endpoint(host: &Host) -> Value {
    let (ip, port) = split(host);
    let mut m = Map::new();
    if matches!(host, Host::Addr(_)) {
        m.insert("ip".into(), ip.clone().into());
    }
    m.insert("address".into(), ip.into());
    if let Some(p) = port {
        m.insert("port".into(), p.into());
    }
    Value::Object(m)
}

/// `url.*` of a request's Host and path: `domain` and `port` from the Host (an IPv6
/// literal keeps its brackets, as ECS asks), `path` and `query` from the path.
fn url(host: Option<&str>, path: Option<&str>) -> Option<Value> {
    let mut m = Map::new();
    if let Some(h) = host.filter(|h| !h.is_empty()) {
        let (domain, port) = match h.rsplit_once(':') {
            Some((d, p)) if !d.is_empty() && (!d.contains(':') || d.ends_with(']')) => {
                (d, p.parse::<u16>().ok())
            }
            _ => (h, None),
        };
        m.insert("domain".into(), domain.into());
        if let Some(p) = port {
            m.insert("port".into(), p.into());
        }
    }
    if let Some(p) = path {
        let (path, query) = match p.split_once('?') {
            Some((a, q)) => (a, Some(q)),
            None => (p, None),
        };
        m.insert("path".into(), path.into());
        if let Some(q) = query {
            m.insert("query".into(), q.into());
        }
    }
    (!m.is_empty()).then_some(Value::Object(m))
}

/// `network.*`: the Community ID (when there is one), TCP, WebSocket, IPv4 or IPv6.
fn network(community_id: Option<String>, host: &Host) -> Value {
    let mut m = Map::new();
    if let Some(id) = community_id {
        m.insert("community_id".into(), id.into());
    }
    m.insert("transport".into(), "tcp".into());
    m.insert("protocol".into(), "websocket".into());
    if let Host::Addr(ep) = host {
        let kind = if ep.ip().is_ipv4() { "ipv4" } else { "ipv6" };
        m.insert("type".into(), kind.into());
    }
    Value::Object(m)
}

/// ECS's outcome of a connection's status: `success` for a clean close, `unknown` with no
/// code (open, evicted, unknown), `failure` otherwise.
fn outcome(c: &ConnectionReport) -> &'static str {
    if crate::report::facts::clean_close(c) {
        "success"
    } else if c.status.code.is_none() && c.status_key() != "refused" {
        "unknown"
    } else {
        "failure"
    }
}

/// A connection's document.
pub fn connection(report: &Report, c: &ConnectionReport, run_id: &str) -> Value {
    let envelope = Envelope::connection(report, c, run_id);
    let status = &c.status;
    let code = c.status_key();
    let message = format!(
        "WebSocket {} → {}{}: {}{} ({} closed)",
        c.client,
        c.server,
        c.handshake
            .path
            .as_deref()
            .map(|p| format!(" {p}"))
            .unwrap_or_default(),
        status.code.map(|c| format!("{c} ")).unwrap_or_default(),
        status.name,
        crate::report::facts::closed_by(c),
    );
    let mut doc = json!({
        "@timestamp": c.end,
        "ecs": {"version": ECS_VERSION},
        "message": message,
        "event": {
            "kind": "event",
            "category": ["network"],
            "type": ["connection", "end"],
            "outcome": outcome(c),
            "action": "websocket-closed",
            "code": code,
            "reason": status.name,
            "duration": (c.end.0 - c.start.0).max(0),
            "start": c.start,
            "end": c.end,
            "dataset": "wsclose.connection",
            "module": "wsclose",
            "id": envelope.uid,
        },
        "source": endpoint(&c.client),
        "destination": endpoint(&c.server),
        "network": network(c.community_id(), &c.client),
        "log": {"file": {"path": envelope.input_path}},
        "wsclose": {
            "type": RecordType::Connection,
            "record_version": envelope.record_version,
            "run_id": run_id,
            "uid": envelope.uid,
            "id": c.id,
            "status": status,
            "tcp_end": c.tcp_end(),
            "tcp_end_by": c.tcp_end_by(),
            "transport": c.transport,
            "h2_stream": c.h2_stream,
            "close_codes": c.close_frames.iter().map(|f| json!({
                "from": f.from,
                "code": f.code,
                "reason": f.reason,
                "packet": f.packet,
            })).collect::<Vec<_>>(),
            "findings": c.findings.iter().map(|f| f.kind.as_str()).collect::<Vec<_>>(),
            "start_epoch": epoch(c.start),
            "end_epoch": epoch(c.end),
        },
    });
    if let Some(u) = url(c.handshake.host.as_deref(), c.handshake.path.as_deref()) {
        set(&mut doc, &["url"], u);
    }
    // Seen at two points (issue 103): the contract's `points`, and them in one line.
    if let Some(p) = &c.points {
        set(&mut doc, &["wsclose", "points"], json!(p));
        set(
            &mut doc,
            &["wsclose", "points_summary"],
            crate::report::words::points::brief(p).into(),
        );
    }
    doc
}

/// A live event's document (`--follow`, `live`).
pub fn event(ev: &EventRecord) -> Value {
    let env = &ev.envelope;
    let what = match ev.event {
        "close" => "WebSocket close frame",
        "fin" => "TCP FIN",
        "rst" => "TCP RST",
        "end_stream" => "HTTP/2 END_STREAM",
        "rst_stream" => "HTTP/2 RST_STREAM",
        _ => "HTTP/2 GOAWAY",
    };
    let mut message = format!("{} sent {what}", ev.from);
    if let Some(c) = ev.code {
        message.push_str(&format!(" {c} {}", crate::report::facts::code_name(c)));
    }
    if let Some(s) = &ev.status {
        if let Some(c) = s.code {
            message.push_str(&format!(": status {c} {}", s.name));
        }
    }
    let outcome = match ev.status.as_ref().and_then(|s| s.code) {
        Some(1000 | 1001) => "success",
        Some(_) => "failure",
        None => "unknown",
    };
    let types: &[&str] = if ev.event == "close" {
        &["connection", "protocol"]
    } else {
        &["connection", "end"]
    };
    let side = |ip: &Option<String>, port: Option<u16>, text: &Option<String>| {
        let mut m = Map::new();
        if let Some(ip) = ip {
            m.insert("ip".into(), ip.clone().into());
            m.insert("address".into(), ip.clone().into());
        } else if text.is_none() {
            m.insert("address".into(), "[redacted]".into());
        }
        if let Some(p) = port {
            m.insert("port".into(), p.into());
        }
        Value::Object(m)
    };
    let mut network = Map::new();
    if let Some(id) = &ev.community_id {
        network.insert("community_id".into(), id.clone().into());
    }
    network.insert("transport".into(), "tcp".into());
    network.insert("protocol".into(), "websocket".into());
    if let Some(ip) = &env.client_ip {
        let kind = if ip.contains(':') { "ipv6" } else { "ipv4" };
        network.insert("type".into(), kind.into());
    }
    let mut doc = json!({
        "@timestamp": ev.time,
        "ecs": {"version": ECS_VERSION},
        "message": message,
        "event": {
            "kind": "event",
            "category": ["network"],
            "type": types,
            "outcome": outcome,
            "action": ev.event,
            "dataset": "wsclose.event",
            "module": "wsclose",
            "sequence": ev.packet,
        },
        "source": side(&env.client_ip, env.client_port, &ev.client),
        "destination": side(&env.server_ip, env.server_port, &ev.server),
        "network": Value::Object(network),
        "log": {"file": {"path": env.input_path}},
        "wsclose": {
            "type": RecordType::Event,
            "record_version": env.record_version,
            "run_id": env.run_id,
            "uid": env.uid,
            "packet": ev.packet,
            "from": ev.from,
            "code": ev.code,
            "reason": ev.reason,
            "problems": ev.problems,
            "status": ev.status,
            "h2_stream": ev.h2_stream,
            "start_epoch": env.start_epoch,
        },
    });
    if let Some(c) = ev.code {
        set(&mut doc, &["event", "code"], c.to_string().into());
    }
    if let Some(uid) = &env.uid {
        set(
            &mut doc,
            &["event", "id"],
            format!("{uid}-{}", ev.packet).into(),
        );
    }
    if let Some(start) = env.start_epoch {
        let start = crate::vocab::Timestamp((start * 1e9).round() as i64);
        set(&mut doc, &["event", "start"], json!(start));
    }
    if let Some(u) = url(None, ev.path.as_deref()) {
        set(&mut doc, &["url"], u);
    }
    doc
}

/// The run's summary document: the counts by status (`wsclose.statuses`), the inputs'
/// paths, what was seen.
pub fn summary(report: &Report, run_id: &str) -> Value {
    let envelope = Envelope::summary(report, run_id);
    let mut doc = json!({
        "ecs": {"version": ECS_VERSION},
        "message": format!(
            "wsclose: {} of {} WebSocket connections shown",
            report.summary.connections, report.summary.total_connections
        ),
        "event": {
            "kind": "metric",
            "category": ["network"],
            "type": ["info"],
            "dataset": "wsclose.summary",
            "module": "wsclose",
        },
        "log": {"file": {"path": envelope.input_path}},
        "wsclose": {
            "type": RecordType::Summary,
            "record_version": envelope.record_version,
            "run_id": run_id,
            "tool": report.tool,
            "redacted": report.redacted,
            "inputs": report.inputs.iter().map(|i| i.path.as_str()).collect::<Vec<_>>(),
            "connections": report.summary.connections,
            "total_connections": report.summary.total_connections,
            "statuses": status_counts(&report.summary.by_status),
            "packets": report.seen.packets,
        },
    });
    // The capture's last packet; with none (a quiet rotation file, a quiet `live`), the
    // run's start: ECS requires every document's @timestamp, and a data stream refuses one
    // without.
    let ts = envelope.ts.unwrap_or_else(crate::report::record::run_start);
    set(&mut doc, &["@timestamp"], json!(ts));
    doc
}

/// An incident as an ECS document: an event of kind `event` and action `incident`, its
/// window as `event.start`/`event.end`, the server it concerns as `destination` (the
/// client host as `source`), its headline as `message`, and the incident's object under
/// `wsclose.incident`.
pub fn incident(report: &Report, i: &crate::vocab::Incident, run_id: &str) -> Value {
    let record = crate::report::record::IncidentRecord::of(report, i, run_id);
    let e = &record.envelope;
    let mut doc = json!({
        "ecs": {"version": ECS_VERSION},
        "@timestamp": e.ts,
        "message": format!("wsclose: incident {} ({}): {}", i.id, i.kind.name(), i.headline()),
        "event": {
            "kind": "event",
            "category": ["network"],
            "type": ["info"],
            "action": "incident",
            "dataset": "wsclose.incident",
            "module": "wsclose",
            "start": i.start,
            "end": i.end,
        },
        "log": {"file": {"path": e.input_path}},
        "wsclose": {
            "type": RecordType::Incident,
            "record_version": e.record_version,
            "run_id": run_id,
            "incident": i,
        },
    });
    if let Some(ip) = &e.server_ip {
        set(&mut doc, &["destination"], host(ip, e.server_port));
    }
    if let Some(ip) = &e.client_ip {
        set(&mut doc, &["source"], host(ip, e.client_port));
    }
    doc
}

/// A doubtful cluster as an ECS document: an event of kind `event` and action `doubt`, its
/// window as `event.start`/`event.end`, its server as `destination`, its line and why no
/// kind is named as `message`, and the doubt's object under `wsclose.doubt`.
pub fn doubt(report: &Report, d: &crate::vocab::Doubt, run_id: &str) -> Value {
    let record = crate::report::record::DoubtRecord::of(report, d, run_id);
    let e = &record.envelope;
    let mut doc = json!({
        "ecs": {"version": ECS_VERSION},
        "@timestamp": e.ts,
        "message": format!("wsclose: {}{}", crate::report::words::doubt::line(d), d.why),
        "event": {
            "kind": "event",
            "category": ["network"],
            "type": ["info"],
            "action": "doubt",
            "dataset": "wsclose.doubt",
            "module": "wsclose",
            "start": d.start,
            "end": d.end,
        },
        "log": {"file": {"path": e.input_path}},
        "wsclose": {
            "type": RecordType::Doubt,
            "record_version": e.record_version,
            "run_id": run_id,
            "doubt": d,
        },
    });
    if let Some(ip) = &e.server_ip {
        set(&mut doc, &["destination"], host(ip, e.server_port));
    }
    doc
}

/// An address as ECS writes one: `ip` only where it is one (not a pseudonym).
fn host(ip: &str, port: Option<u16>) -> Value {
    let mut m = Map::new();
    if ip.parse::<std::net::IpAddr>().is_ok() {
        m.insert("ip".into(), ip.into());
    }
    m.insert("address".into(), ip.into());
    if let Some(p) = port {
        m.insert("port".into(), p.into());
    }
    Value::Object(m)
}

/// Writes the report as ECS documents: a line per incident (the finished report knows them
/// before it writes a connection), a line per connection shown, then the summary's. (While
/// following, each event's line is written as it comes, before this report.)
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let run_id = crate::report::record::run_id();
    let mut buf = pretty::Buffer::with_capacity(2048);
    for i in &report.incidents {
        buf.write_line(&incident(report, i, &run_id))?;
        buf.push(b'\n');
    }
    for d in &report.doubts {
        buf.write_line(&doubt(report, d, &run_id))?;
        buf.push(b'\n');
    }
    out.write_all(&buf.into_bytes())?;
    report.render_chunks(
        |_, part: &[ConnectionReport]| -> io::Result<Vec<u8>> {
            let mut buf = pretty::Buffer::with_capacity(part.len() * 4096);
            for c in part {
                buf.write_line(&connection(report, c, &run_id))?;
                buf.push(b'\n');
            }
            Ok(buf.into_bytes())
        },
        out,
    )?;
    let mut buf = pretty::Buffer::with_capacity(2048);
    buf.write_line(&summary(report, &run_id))?;
    buf.push(b'\n');
    out.write_all(&buf.into_bytes())
}

/// A live event as an ECS line.
pub fn event_line(ev: &EventRecord) -> String {
    pretty::line(&event(ev))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_splits_host_and_path_as_ecs_asks() {
        let u = url(Some("[::1]:9015"), Some("/chat?x=1")).unwrap();
        assert_eq!(
            u,
            json!({"domain": "[::1]", "port": 9015, "path": "/chat", "query": "x=1"})
        );
        let u = url(Some("example.test"), Some("/")).unwrap();
        assert_eq!(u, json!({"domain": "example.test", "path": "/"}));
        assert!(url(None, None).is_none());
    }

    #[test]
    fn every_field_is_listed_once() {
        let mut names: Vec<&str> = FIELDS.iter().map(|f| f.0).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), FIELDS.len());
    }
}
