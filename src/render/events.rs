//! Live output: one line per close frame or TCP ending, as it happens.
//!
//! In: a [`CloseEvent`]. Out: a terminal line (time, client → server, who did what, the code
//! and its name, the reason, a short cause), or its record (docs/json.md, "Records") as one
//! JSON object per line for piping; redacted ([`Stream::redacted`]), neither names an
//! address nor a path's query. The status an event gives (its code, 1005, 1006) is the
//! model's (`CloseEvent::status`), not decided here.

use crate::report::facts::{code_gist, code_name, problem_names};
use crate::report::record::{
    epoch, event_endpoints, event_status, EventPacket, EventRecord, EventUnanswered,
};
use crate::sanitize::terminal;
use crate::vocab::{CloseEvent, EndKind, EventWhat};
use std::fmt::Write;

fn clock(ev: &CloseEvent) -> String {
    let t = ev.ts.rfc3339();
    // "2026-11-22T13:29:54.289472000Z" -> "13:29:54.289"
    t.get(11..23).unwrap_or(&t).to_string()
}

/// The line of a close event as it happens: time, client → server, who did what, the code
/// and its name, the reason; the first of a connection says the status its application saw.
/// The catalog's first sentence on what it means comes too with [`line_verbose`].
pub fn line(ev: &CloseEvent) -> String {
    line_with(ev, false, None)
}

/// [`line()`], with the first sentence of what the status means.
pub fn line_verbose(ev: &CloseEvent) -> String {
    line_with(ev, true, None)
}

/// [`line()`] or [`line_verbose`], redacted when `redacted`: "client → server" for the
/// endpoints, the path without its query (an absolute-form target, which names a host, left
/// out, the addresses and host names in the reason named with a key of its own: use
/// [`line_in`] for the names a run's report gives).
pub fn line_for(ev: &CloseEvent, verbose: bool, redacted: bool) -> String {
    let stream = Stream {
        redacted,
        ..Stream::default()
    };
    line_with(ev, verbose, Some(&stream))
}

/// [`line_for`], redacted as `stream` says (its pseudonyms those of the run's report).
pub fn line_in(ev: &CloseEvent, verbose: bool, stream: &Stream) -> String {
    line_with(ev, verbose, Some(stream))
}

/// The path an event's line or record gives: as sent, or redacted.
fn shown_path(path: Option<&String>, redacted: bool) -> Option<String> {
    let p = path?;
    if !redacted {
        Some(p.clone())
    } else if p.starts_with('/') {
        Some(crate::report::redact::strip_query(p))
    } else {
        None
    }
}

fn line_with(ev: &CloseEvent, verbose: bool, stream: Option<&Stream>) -> String {
    let redacted = stream.is_some_and(|s| s.redacted);
    let mut s = if redacted {
        format!("{} client → server", clock(ev))
    } else {
        format!("{} {} → {}", clock(ev), ev.client, ev.server)
    };
    if let Some(p) = shown_path(ev.path.as_ref(), redacted) {
        let _ = write!(s, " {}", terminal(&p));
    }
    if let Some(n) = ev.h2_stream {
        let _ = write!(s, " (h2 stream {n})");
    }
    match &ev.what {
        EventWhat::Close {
            code,
            reason,
            problems,
        } => {
            match (code, ev.what.received_status()) {
                (Some(c), _) => {
                    let _ = write!(s, "  {} sent close {c} {}", ev.from, code_name(*c));
                }
                (None, Some(seen)) => {
                    let _ = write!(
                        s,
                        "  {} sent an empty close (the peer sees {seen})",
                        ev.from
                    );
                }
                (None, None) => {
                    let _ = write!(
                        s,
                        "  {} sent a close frame whose code is cut from the capture",
                        ev.from
                    );
                }
            }
            if !reason.is_empty() {
                let reason = match stream {
                    Some(st) => st.reason(reason),
                    None => reason.clone(),
                };
                let _ = write!(s, " \"{}\"", terminal(&reason));
            }
            if !problems.is_empty() {
                let _ = write!(s, " [{}]", problem_names(problems));
            }
            if let Some(status) = ev.status().filter(|_| verbose) {
                let _ = write!(s, " — {}", code_gist(status));
            }
        }
        EventWhat::Tcp(_) | EventWhat::Stream(_) => {
            let _ = write!(s, "  {} sent {}", ev.from, ending_name(&ev.what));
            if let Some(status) = ev.status() {
                // As the report's 1006: with bytes missing, a close frame may have been lost.
                let seen = if ev.missing {
                    " with no close frame seen (bytes are missing: one may have been lost)"
                } else {
                    " with no close frame"
                };
                s.push_str(seen);
                if let Some((by, p)) = ev.close_notify {
                    let whose = if by == ev.from {
                        "its own".to_string()
                    } else {
                        format!("the {by}'s")
                    };
                    let _ = write!(s, ", after {whose} TLS close_notify (packet {p})");
                }
                if let Some(u) = &ev.unanswered {
                    let _ = write!(s, ", right after {}, unanswered", u.phrase());
                }
                let _ = write!(s, ": {status} {}", code_name(status));
                if verbose {
                    let _ = write!(s, " — {}", code_gist(status));
                }
            }
        }
    }
    let _ = write!(s, " [pkt {}]", ev.packet);
    s
}

/// A TCP or HTTP/2 stream ending as a line says it ("TCP FIN", "RST_STREAM CANCEL").
fn ending_name(what: &EventWhat) -> String {
    match what {
        EventWhat::Tcp(EndKind::Fin) => "TCP FIN".into(),
        EventWhat::Tcp(EndKind::Rst) => "TCP RST".into(),
        EventWhat::Stream(kind) => kind.to_string(),
        EventWhat::Close { .. } => String::new(),
    }
}

/// Where the event records of a stream come from: the run, the input, and whether they are
/// redacted (`--redact`: no addresses, no uid or Community ID, the path without its query,
/// the input's file name without its folders).
#[derive(Debug, Clone, Default)]
pub struct Stream {
    /// The run's id ([`crate::report::record::run_id`]).
    pub run_id: String,
    /// The input as given (`-`, a path, `live:IFACE`).
    pub input_path: String,
    /// Whether the records are redacted.
    pub redacted: bool,
    /// The key of the run's pseudonyms, once its first packets made it (given to the
    /// analysis: `analyze_follow`, `live_session`), so that what the lines name is named as
    /// the report at the end names it.
    pub key: crate::report::redact::KeySlot,
}

impl Stream {
    /// The records of this run, read from `input_path`.
    pub fn new(input_path: &str, redacted: bool) -> Stream {
        Stream {
            run_id: crate::report::record::run_id(),
            input_path: if redacted {
                super::file_name(input_path)
            } else {
                input_path.to_string()
            },
            redacted,
            key: crate::report::redact::KeySlot::default(),
        }
    }

    /// An endpoint as this stream names it: itself, or its pseudonym when redacted.
    pub fn endpoint(&self, ep: &str) -> String {
        if self.redacted {
            crate::report::redact::endpoint_pseudonym(self.key.get().copied(), ep)
        } else {
            ep.to_owned()
        }
    }

    /// A close reason as this stream gives it: as sent, or with the addresses and host
    /// names in it named when redacted.
    pub fn reason(&self, reason: &str) -> String {
        if self.redacted && !reason.is_empty() {
            crate::report::redact::reason_scrubbed(self.key.get().copied(), reason)
        } else {
            reason.to_owned()
        }
    }
}

/// One event as a record (docs/json.md, "Records"): what `--format json`, `jsonl` and
/// `ecs` write of it.
pub fn record(ev: &CloseEvent, stream: &Stream) -> EventRecord {
    let (event, reason, problems) = match &ev.what {
        EventWhat::Close {
            reason, problems, ..
        } => (
            "close",
            Some(stream.reason(reason)),
            problems.iter().map(|p| p.as_str()).collect(),
        ),
        EventWhat::Tcp(EndKind::Fin) => ("fin", None, vec![]),
        EventWhat::Tcp(EndKind::Rst) => ("rst", None, vec![]),
        EventWhat::Stream(kind) => (
            match kind {
                crate::vocab::StreamEndKind::EndStream => "end_stream",
                crate::vocab::StreamEndKind::Reset(_) => "rst_stream",
                crate::vocab::StreamEndKind::GoAway { .. } => "goaway",
            },
            None,
            vec![],
        ),
    };
    let wire_code = match &ev.what {
        EventWhat::Close { code, .. } => *code,
        EventWhat::Tcp(_) | EventWhat::Stream(_) => None,
    };
    let (client, server, community_id, mut envelope) = event_endpoints(
        ev.client,
        ev.server,
        ev.start,
        ev.h2_stream,
        ev.scope,
        stream.redacted,
    );
    envelope.run_id = stream.run_id.clone();
    envelope.input_path = Some(stream.input_path.clone());
    envelope.ts = Some(ev.ts);
    envelope.ts_epoch = Some(epoch(ev.ts));
    let path = shown_path(ev.path.as_ref(), stream.redacted);
    // The status this event gives the connection, when it is the first one (the model's).
    let status = ev.status();
    EventRecord {
        envelope,
        time: ev.ts,
        packet: ev.packet,
        client,
        server,
        path,
        h2_stream: ev.h2_stream,
        from: ev.from,
        event,
        code: wire_code,
        reason,
        problems,
        status: status.map(event_status),
        name: status.map(code_name),
        community_id,
        close_notify: ev
            .close_notify
            .map(|(from, packet)| EventPacket { from, packet }),
        unanswered: ev.unanswered.map(|u| EventUnanswered {
            from: u.from,
            opcode: u.opcode.name(),
            size: u.size,
            packet: u.packet,
        }),
    }
}

/// One event as a JSON line (`--format json` or `jsonl` while following): its record.
pub fn json_line(ev: &CloseEvent, stream: &Stream) -> String {
    super::pretty::line(&record(ev, stream))
}

/// One event as an ECS line (`--format ecs` while following).
pub fn ecs_line(ev: &CloseEvent, stream: &Stream) -> String {
    super::ecs::event_line(&record(ev, stream))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::{Endpoint, Role, Timestamp};

    /// A FIN that comes before any close frame is a 1006; with bytes missing, the line says
    /// that a close frame may have been lost rather than that none was sent.
    #[test]
    fn a_first_tcp_ending_says_whether_bytes_are_missing() {
        let ev = |missing: bool| CloseEvent {
            ts: Timestamp(0),
            start: Timestamp(0),
            packet: 9,
            client: Endpoint::v4(0x7f00_0001, 40000),
            server: Endpoint::v4(0x7f00_0001, 8765),
            path: None,
            h2_stream: None,
            from: Role::Server,
            what: EventWhat::Tcp(EndKind::Fin),
            first: true,
            missing,
            unanswered: None,
            close_notify: None,
            scope: 0,
            idle_ms: None,
            dark_ms: None,
        };
        let plain = line(&ev(false));
        assert!(
            plain.contains("server sent TCP FIN with no close frame: 1006 Abnormal Closure"),
            "{plain}"
        );
        // Right after the peer's message: the line names it, as the report does.
        let with = CloseEvent {
            unanswered: Some(crate::vocab::Unanswered {
                from: Role::Client,
                opcode: crate::vocab::Opcode::TEXT,
                size: 100,
                packet: 8,
            }),
            ..ev(false)
        };
        let reacted = line(&with);
        assert!(
            reacted.contains("server sent TCP FIN with no close frame, right after the client's 100-byte text message (packet 8), unanswered: 1006"),
            "{reacted}"
        );
        let json = |ev: &CloseEvent| -> serde_json::Value {
            serde_json::from_str(&json_line(ev, &Stream::new("in.pcap", false))).unwrap()
        };
        assert_eq!(
            json(&with)["unanswered"],
            serde_json::json!({"from": "client", "opcode": "text", "size": 100, "packet": 8})
        );
        assert_eq!(json(&with)["status"]["code"], 1006);
        assert_eq!(json(&with)["status"]["name"], "Abnormal Closure");
        assert_eq!(json(&with)["type"], "event");
        assert_eq!(json(&with)["client_ip"], "127.0.0.1");
        assert_eq!(json(&with)["server_port"], 8765);
        assert!(json(&with)["community_id"]
            .as_str()
            .unwrap()
            .starts_with("1:"));
        assert!(json(&ev(false))["unanswered"].is_null());
        // An HTTP/2 WebSocket's stream reset before any close frame: its line names the
        // stream and the error code, and the status is 1006 as for TCP.
        let rst = CloseEvent {
            h2_stream: Some(5),
            what: EventWhat::Stream(crate::vocab::StreamEndKind::Reset(8)),
            ..ev(false)
        };
        let said = line(&rst);
        assert!(
            said.contains("(h2 stream 5)  server sent RST_STREAM CANCEL with no close frame: 1006"),
            "{said}"
        );
        // Over TLS, a client FIN that answered the server's close_notify (Chromium does so
        // within 0.2 ms): named as such, not as a reaction to a message.
        let answered = CloseEvent {
            from: Role::Client,
            close_notify: Some((Role::Server, 102)),
            ..ev(false)
        };
        let said = line(&answered);
        assert!(
            said.contains("client sent TCP FIN with no close frame, after the server's TLS close_notify (packet 102): 1006"),
            "{said}"
        );
        assert_eq!(
            json(&answered)["close_notify"],
            serde_json::json!({"from": "server", "packet": 102})
        );
        assert_eq!(json(&rst)["event"], "rst_stream");
        assert_eq!(json(&rst)["h2_stream"], 5);
        assert_eq!(json(&rst)["status"]["code"], 1006);
        // Redacted: no address, no query, no uid or Community ID in the line or record.
        let secret = CloseEvent {
            path: Some("/chat?token=s3cret".into()),
            ..ev(false)
        };
        let said = line_for(&secret, false, true);
        assert!(said.contains("client → server /chat?[redacted]"), "{said}");
        assert!(
            !said.contains("127.0.0.1") && !said.contains("s3cret"),
            "{said}"
        );
        let redacted = Stream::new("/home/me/caps/in.pcap", true);
        for text in [json_line(&secret, &redacted), ecs_line(&secret, &redacted)] {
            assert!(
                !text.contains("127.0.0.1") && !text.contains("s3cret"),
                "{text}"
            );
            assert!(
                !text.contains("\"1:") && !text.contains("/home/me"),
                "{text}"
            );
            assert!(text.contains("in.pcap"), "{text}");
        }
        let r: serde_json::Value = serde_json::from_str(&json_line(&secret, &redacted)).unwrap();
        assert!(r["uid"].is_null() && r["client"].is_null() && r["community_id"].is_null());
        // A close reason naming an address and a host: both named, in the line and the
        // record, as the run's report names them (its key).
        let told = CloseEvent {
            what: EventWhat::Close {
                code: Some(1011),
                reason: "upstream 10.2.2.2 (db.internal.example) failed".into(),
                problems: Vec::new(),
            },
            ..ev(false)
        };
        let _ = redacted.key.set([7; 32]);
        let host = crate::report::redact::endpoint_pseudonym(Some([7; 32]), "10.2.2.2:1");
        let host = host.trim_end_matches(":1");
        for text in [
            line_in(&told, false, &redacted),
            json_line(&told, &redacted),
            ecs_line(&told, &redacted),
        ] {
            assert!(
                !text.contains("10.2.2.2") && !text.contains("db.internal"),
                "{text}"
            );
            assert!(text.contains(&format!("upstream {host} (host-")), "{text}");
        }
        // Not redacted: the reason as sent.
        assert!(line(&told).contains("upstream 10.2.2.2 (db.internal.example) failed"));
        // An empty close gives 1005, in the line and the record; one whose code bytes are
        // cut from the capture gives none (the report's "unknown"), not a 1005 guessed.
        let empty = CloseEvent {
            what: EventWhat::Close {
                code: None,
                reason: String::new(),
                problems: Vec::new(),
            },
            ..ev(false)
        };
        assert!(line_verbose(&empty).contains("server sent an empty close (the peer sees 1005) — "));
        assert_eq!(json(&empty)["status"]["code"], 1005);
        let cut = CloseEvent {
            what: EventWhat::Close {
                code: None,
                reason: String::new(),
                problems: vec![crate::vocab::Problem::Truncated],
            },
            ..ev(false)
        };
        let said = line_verbose(&cut);
        assert!(
            said.contains("server sent a close frame whose code is cut from the capture")
                && !said.contains("1005"),
            "{said}"
        );
        assert!(json(&cut)["status"].is_null(), "{}", json(&cut));
        let lost = line(&ev(true));
        assert!(
            lost.contains(
                "with no close frame seen (bytes are missing: one may have been lost): 1006"
            ),
            "{lost}"
        );
    }
}
