//! Phoenix channels over WebSocket (the `vsn` 1.0.0 object and 2.0.0 array serializers):
//! the client's heartbeat (topic `phoenix`, event `heartbeat`, answered by `phx_reply`),
//! `phx_join` and its `phx_reply` (status `ok`, or `error` when the channel's join refused
//! it), `phx_error`, `phx_close`. phoenix.js closes with 1000 "heartbeat timeout" when a
//! heartbeat is still unanswered as the next falls due (every 30 s by default); the
//! server's transport gives up on a client silent for its timeout (60 s by default).

use super::heartbeat::Beats;
use super::{between, json, query_value, Ending, Machine, Message, Seen, Verdict};
use crate::vocab::said::phoenix::Why;
use crate::vocab::Role;

const SERVER_TIMEOUT_MS: u64 = 60_000;

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Phoenix {
    v2: bool,
    vsn: String,
    /// The ref of the last heartbeat, to tell its reply.
    heartbeat_ref: Option<String>,
    /// The last phx_error: topic, packet.
    error: Option<(String, u64)>,
    /// The client's joins still unanswered: topic and ref (the last [`JOINS`]).
    joins: Vec<(String, String)>,
    /// The last join the server refused: topic, reason, packet.
    refused: Option<(String, String, u64)>,
}

/// Unanswered joins remembered (a client joins a few topics at once, not hundreds).
const JOINS: usize = 16;

/// For a request target `…/websocket?vsn=1.x` or `2.x`: how it names Phoenix, and its state.
pub(crate) fn by_target(target: &str) -> Option<(String, Phoenix)> {
    let vsn = query_value(target, "vsn")?;
    let path = target.split('?').next().unwrap_or_default();
    (path.ends_with("/websocket") && (vsn.starts_with("1.") || vsn.starts_with("2."))).then(|| {
        (
            format!("request target: …/websocket?vsn={vsn}"),
            Phoenix::new(vsn.starts_with("2."), vsn),
        )
    })
}

impl Phoenix {
    pub fn new(v2: bool, vsn: &str) -> Phoenix {
        Phoenix {
            v2,
            vsn: vsn.chars().take(16).collect(),
            ..Phoenix::default()
        }
    }
}

impl Machine for Phoenix {
    fn message(&mut self, m: &Message<'_>) -> Seen {
        let Some(v) = json(m) else {
            return Seen::Bad;
        };
        let field = |i: usize, name: &str| {
            if self.v2 {
                v.get(i).cloned()
            } else {
                v.get(name).cloned()
            }
        };
        let (Some(topic), Some(event)) = (field(2, "topic"), field(3, "event")) else {
            return Seen::Bad;
        };
        let (Some(topic), Some(event)) = (topic.as_str(), event.as_str()) else {
            return Seen::Bad;
        };
        let r#ref = field(1, "ref").and_then(|r| r.as_str().map(str::to_string));
        match (topic, event, m.from) {
            ("phoenix", "heartbeat", Role::Client) => {
                self.heartbeat_ref = r#ref;
                Seen::Ping
            }
            ("phoenix", "phx_reply", Role::Server) if r#ref == self.heartbeat_ref => Seen::Pong,
            (t, "phx_join", Role::Client) => {
                if let Some(r) = r#ref {
                    if self.joins.len() == JOINS {
                        self.joins.remove(0);
                    }
                    self.joins.push((t.chars().take(200).collect(), r));
                }
                Seen::Data
            }
            (t, "phx_reply", Role::Server) => {
                let joined = self
                    .joins
                    .iter()
                    .position(|(jt, jr)| jt == t && Some(jr) == r#ref.as_ref());
                if let Some(i) = joined {
                    self.joins.remove(i);
                    let payload = field(4, "payload").unwrap_or_default();
                    if payload.get("status").and_then(|s| s.as_str()) == Some("error") {
                        let response = payload.get("response").cloned().unwrap_or_default();
                        let reason = match response.get("reason") {
                            Some(serde_json::Value::String(r)) => r.clone(),
                            _ => response.to_string(),
                        };
                        self.refused = Some((t.to_string(), reason, m.packet));
                    } else if self.refused.as_ref().is_some_and(|r| r.0 == t) {
                        self.refused = None;
                    }
                }
                Seen::Data
            }
            (t, "phx_error", Role::Server) => {
                self.error = Some((t.to_string(), m.packet));
                Seen::Data
            }
            _ => Seen::Data,
        }
    }

    fn version(&self) -> Option<String> {
        Some(format!("vsn {}", self.vsn))
    }

    fn verdict(&self, end: &Ending, beats: &Beats) -> Option<Verdict> {
        let (by, end_packet, end_ts) = end.first()?;
        if let Some((Role::Client, _, reason, p, _)) = &end.close {
            if reason == "heartbeat timeout" {
                let heartbeat = beats.side(Role::Client).first_unanswered_app.map(|h| h.0);
                let mut evidence: Vec<u64> = heartbeat.into_iter().collect();
                evidence.push(*p);
                return Some(Verdict::new(
                    Some(Role::Client),
                    Why::HeartbeatTimeout {
                        heartbeat,
                        close: *p,
                    },
                    evidence,
                ));
            }
        }
        if let (Role::Client, Some((topic, reason, p))) = (by, &self.refused) {
            // Only when the refusal is the last message before the end, from either side.
            let last = |r: Role| beats.side(r).last_message_before(end_packet).map(|m| m.0);
            if last(Role::Server) == Some(*p) && last(Role::Client).is_none_or(|c| c < *p) {
                return Some(Verdict::new(
                    Some(Role::Server),
                    Why::JoinRefused {
                        topic: topic.clone(),
                        reason: reason.clone(),
                        packet: *p,
                        end_packet,
                    },
                    vec![*p],
                ));
            }
        }
        if by == Role::Server {
            let (p, t) = beats.side(Role::Client).last_message_before(end_packet)?;
            let quiet = between(t, end_ts);
            if quiet as f64 >= SERVER_TIMEOUT_MS as f64 * 0.95 {
                return Some(Verdict::new(
                    Some(Role::Server),
                    Why::Timeout {
                        last: p,
                        quiet_ms: quiet,
                        end_packet,
                    },
                    vec![p, end_packet],
                ));
            }
        }
        None
    }
}
