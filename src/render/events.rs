//! Live output: one line per close frame or TCP ending, as it happens.
//!
//! In: a [`CloseEvent`]. Out: a terminal line (time, client → server, who did what, the code
//! and its name, the reason, a short cause), or one JSON object per line for piping.

use crate::report::facts::{code_gist, code_name, problem_names};
use crate::report::{CloseEvent, EndKind, EventWhat};
use crate::sanitize::terminal;
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
    line_with(ev, false)
}

/// [`line()`], with the first sentence of what the status means.
pub fn line_verbose(ev: &CloseEvent) -> String {
    line_with(ev, true)
}

fn line_with(ev: &CloseEvent, verbose: bool) -> String {
    let mut s = format!("{} {} → {}", clock(ev), ev.client, ev.server);
    if let Some(p) = &ev.path {
        let _ = write!(s, " {}", terminal(p));
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
            match code {
                Some(c) => {
                    let _ = write!(s, "  {} sent close {c} {}", ev.from, code_name(*c));
                }
                None => {
                    let _ = write!(s, "  {} sent an empty close (the peer sees 1005)", ev.from);
                }
            }
            if !reason.is_empty() {
                let _ = write!(s, " \"{}\"", terminal(reason));
            }
            if !problems.is_empty() {
                let _ = write!(s, " [{}]", problem_names(problems));
            }
            if ev.first && verbose {
                let _ = write!(s, " — {}", code_gist(code.unwrap_or(1005)));
            }
        }
        EventWhat::Tcp(_) | EventWhat::Stream(_) => {
            let _ = write!(s, "  {} sent {}", ev.from, ending_name(&ev.what));
            if ev.first {
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
                let _ = write!(s, ": 1006 {}", code_name(1006));
                if verbose {
                    let _ = write!(s, " — {}", code_gist(1006));
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

/// An incident forming (`live`, `--follow`), as a JSON line: `{"event": "incident", ...}`.
pub fn incident_json_line(f: &crate::incident::Forming) -> String {
    let v = serde_json::json!({
        "time": f.last.rfc3339(),
        "event": "incident",
        "server": f.server.to_string(),
        "how": f.how,
        "members": f.members,
        "first": f.first.rfc3339(),
        "window_s": f.last.since(f.first),
    });
    super::pretty::line(&v)
}

/// One event as a JSON line (`live --format json`).
pub fn json_line(ev: &CloseEvent) -> String {
    let (event, code, reason, problems) = match &ev.what {
        EventWhat::Close {
            code,
            reason,
            problems,
        } => (
            "close",
            code.or(Some(1005).filter(|_| ev.first)),
            Some(reason.as_str()),
            problems.iter().map(|p| p.as_str()).collect(),
        ),
        EventWhat::Tcp(EndKind::Fin) => ("fin", Some(1006).filter(|_| ev.first), None, vec![]),
        EventWhat::Tcp(EndKind::Rst) => ("rst", Some(1006).filter(|_| ev.first), None, vec![]),
        EventWhat::Stream(kind) => (
            match kind {
                crate::report::StreamEndKind::EndStream => "end_stream",
                crate::report::StreamEndKind::Reset(_) => "rst_stream",
                crate::report::StreamEndKind::GoAway { .. } => "goaway",
            },
            Some(1006).filter(|_| ev.first),
            None,
            vec![],
        ),
    };
    let wire_code = match &ev.what {
        EventWhat::Close { code, .. } => *code,
        EventWhat::Tcp(_) | EventWhat::Stream(_) => None,
    };
    let v = serde_json::json!({
        "time": ev.ts.rfc3339(),
        "packet": ev.packet,
        "client": ev.client.to_string(),
        "server": ev.server.to_string(),
        "path": ev.path,
        "h2_stream": ev.h2_stream,
        "from": ev.from,
        "event": event,
        "code": wire_code,
        "reason": reason,
        "problems": problems,
        // The status this event gives the connection, when it is the first one.
        "status": code.filter(|_| ev.first),
        "name": code.filter(|_| ev.first).map(code_name),
        // Over TLS, the close_notify that came before an ending with no close frame.
        "close_notify": ev.close_notify.map(|(by, p)| serde_json::json!({
            "from": by,
            "packet": p,
        })),
        // A first TCP ending right after the peer's message, with no frame in reply.
        "unanswered": ev.unanswered.map(|u| serde_json::json!({
            "from": u.from,
            "opcode": u.opcode.name(),
            "size": u.size,
            "packet": u.packet,
        })),
    });
    super::pretty::line(&v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Endpoint;
    use crate::report::Role;
    use crate::report::Timestamp;

    /// A FIN that comes before any close frame is a 1006; with bytes missing, the line says
    /// that a close frame may have been lost rather than that none was sent.
    #[test]
    fn a_first_tcp_ending_says_whether_bytes_are_missing() {
        let ev = |missing: bool| CloseEvent {
            ts: Timestamp(0),
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
        };
        let plain = line(&ev(false));
        assert!(
            plain.contains("server sent TCP FIN with no close frame: 1006 Abnormal Closure"),
            "{plain}"
        );
        // Right after the peer's message: the line names it, as the report does.
        let with = CloseEvent {
            unanswered: Some(crate::report::Unanswered {
                from: Role::Client,
                opcode: crate::report::Opcode::TEXT,
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
            serde_json::from_str(&json_line(ev)).unwrap()
        };
        assert_eq!(
            json(&with)["unanswered"],
            serde_json::json!({"from": "client", "opcode": "text", "size": 100, "packet": 8})
        );
        assert_eq!(json(&with)["status"], 1006);
        assert!(json(&ev(false))["unanswered"].is_null());
        // An HTTP/2 WebSocket's stream reset before any close frame: its line names the
        // stream and the error code, and the status is 1006 as for TCP.
        let rst = CloseEvent {
            h2_stream: Some(5),
            what: EventWhat::Stream(crate::report::StreamEndKind::Reset(8)),
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
        assert_eq!(json(&rst)["status"], 1006);
        let lost = line(&ev(true));
        assert!(
            lost.contains(
                "with no close frame seen (bytes are missing: one may have been lost): 1006"
            ),
            "{lost}"
        );
    }
}
