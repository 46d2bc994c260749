//! GraphQL over WebSocket, both protocols that share the name: `graphql-transport-ws` (the
//! graphql-ws library's PROTOCOL.md: connection_init/ack, ping/pong, subscribe, next,
//! error, complete, and its 44xx close codes) and the legacy `graphql-ws` of
//! subscriptions-transport-ws (connection_init/ack/error, ka, start, data, error, complete,
//! stop, connection_terminate). Messages are JSON objects with a `type`.

use super::heartbeat::Beats;
use super::{between, json, lite, Ending, Machine, Message, Seen, Verdict};
use crate::vocab::said::graphql::{CloseCode, Context, Why};
use crate::vocab::Role;

/// Message types only `graphql-transport-ws` has.
const MODERN_ONLY: [&str; 4] = ["subscribe", "next", "ping", "pong"];
/// Message types only the legacy protocol has.
const LEGACY_ONLY: [&str; 6] = [
    "start",
    "data",
    "stop",
    "ka",
    "connection_terminate",
    "connection_error",
];

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Graphql {
    /// `graphql-transport-ws` (else the legacy `graphql-ws`).
    modern: bool,
    /// The first connection_init and connection_ack: packets.
    init: Option<u64>,
    inits: u32,
    ack: Option<u64>,
    /// A subscribe (or start) before the ack: packet.
    early_subscribe: Option<u64>,
    /// Subscription ids open, bounded: a hash of each ([`id_hash`]), so that what a session
    /// keeps does not grow with the ids' lengths (the peer's choice).
    open_ids: Vec<u64>,
    /// A subscribe reusing an open id: id, packet.
    duplicate: Option<(String, u64)>,
    /// A message of the other protocol: its type, who, packet.
    mismatch: Option<(String, Role, u64)>,
    /// The legacy connection_error: its message, packet.
    connection_error: Option<(String, u64)>,
    /// The legacy connection_terminate: packet.
    terminate: Option<u64>,
    /// Keep-alive (`ka`) packets and times: the last one, and the last few (their cadence
    /// is the server's keep-alive period: several intervals that agree, never one).
    ka: Option<(u64, crate::vocab::Timestamp)>,
    ka_kept: super::Recent,
    /// The client's offer when the response selected no subprotocol (see
    /// [`Graphql::offered_only`]).
    #[serde(default)]
    offered: Option<String>,
    /// `complete` messages (either side) and the last one: who, packet.
    #[serde(default)]
    completes: u32,
    #[serde(default)]
    last_complete: Option<(Role, u64)>,
    /// The first packet from which the server's messages are not all in the capture: a ka
    /// may have been lost there, so none is said to have stopped.
    #[serde(default)]
    server_lost: Option<u64>,
    /// Each side spoke the other protocol's messages (client, server), and whether any
    /// message of the agreed protocol came: when both sides spoke only the other one, it is
    /// the session's protocol, whatever the name agreed ([`Graphql::spoken`]).
    #[serde(default)]
    other_by: [bool; 2],
    #[serde(default)]
    agreed_seen: bool,
    #[serde(default)]
    switched: bool,
}

/// Subscription ids remembered per session.
const MAX_IDS: usize = 256;

/// A subscription id as a session remembers it: its hash (std's SipHash with its fixed
/// keys, the same every run).
fn id_hash(id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

/// The id a report quotes, at most 64 bytes (cut at a character).
fn cut_id(id: &str) -> &str {
    crate::sanitize::cut(id, 64)
}

impl Graphql {
    pub fn new(modern: bool) -> Graphql {
        Graphql {
            modern,
            ..Graphql::default()
        }
    }

    /// A session whose client offered `offer` (naming this protocol) and whose response
    /// selected no subprotocol.
    pub fn offered_only(modern: bool, offer: &str) -> Graphql {
        Graphql {
            modern,
            offered: Some(offer.to_string()),
            ..Graphql::default()
        }
    }
}

impl Machine for Graphql {
    fn lost(&mut self, from: Role, packet: u64) {
        if from == Role::Server {
            self.server_lost.get_or_insert(packet);
        }
    }

    fn message(&mut self, m: &Message<'_>) -> Seen {
        // Only `type` and `id` are read of most messages: the whole message is checked as
        // JSON, but not built (a `next` carries the subscription's data).
        if !m.whole() {
            return Seen::Bad;
        }
        let Some([kind, id]) = lite::object(m.bytes, ["type", "id"]) else {
            return Seen::Bad;
        };
        let Some(kind) = kind.as_str() else {
            return Seen::Bad;
        };
        let id = id.as_str();
        let (legacy, modern) = (LEGACY_ONLY.contains(&kind), MODERN_ONLY.contains(&kind));
        let other = if self.modern { legacy } else { modern };
        self.agreed_seen |= if self.modern { modern } else { legacy };
        if other {
            let side = usize::from(m.from == Role::Server);
            if let Some(o) = self.other_by.get_mut(side) {
                *o = true;
            }
            // Both sides speak the other protocol, and neither spoke the agreed one: the
            // session speaks it (told apart by its messages, not by the name).
            if self.other_by == [true, true] && !self.agreed_seen && !self.switched {
                self.modern = !self.modern;
                self.switched = true;
                self.mismatch = None;
                self.other_by = [false, false];
            } else if self.mismatch.is_none() {
                self.mismatch = Some((kind.to_string(), m.from, m.packet));
            }
        }
        match (kind, m.from) {
            ("connection_init", Role::Client) => {
                self.inits += 1;
                self.init.get_or_insert(m.packet);
            }
            ("connection_ack", Role::Server) => {
                self.ack.get_or_insert(m.packet);
            }
            ("subscribe" | "start", Role::Client) => {
                if self.ack.is_none() {
                    self.early_subscribe.get_or_insert(m.packet);
                }
                if let Some(id) = id {
                    let h = id_hash(id);
                    if self.open_ids.contains(&h) {
                        self.duplicate
                            .get_or_insert((cut_id(id).to_string(), m.packet));
                    } else if self.open_ids.len() < MAX_IDS {
                        self.open_ids.push(h);
                    }
                }
            }
            ("complete" | "stop" | "error", _) => {
                if kind == "complete" {
                    self.completes += 1;
                    self.last_complete = Some((m.from, m.packet));
                }
                if let Some(id) = id {
                    let h = id_hash(id);
                    self.open_ids.retain(|&o| o != h);
                }
            }
            ("connection_error", Role::Server) => {
                // Rare: this one message is read whole.
                let msg = json(m)
                    .and_then(|v| {
                        v.get("payload")
                            .map(|p| match p.get("message").and_then(|x| x.as_str()) {
                                Some(s) => s.to_string(),
                                None => p.to_string(),
                            })
                    })
                    .unwrap_or_default();
                self.connection_error = Some((msg, m.packet));
            }
            ("connection_terminate", Role::Client) => self.terminate = Some(m.packet),
            ("ka", Role::Server) => {
                self.ka_kept.add(m.packet, m.ts);
                self.ka = Some((m.packet, m.ts));
                // The server's keep-alive asks for no answer (subscriptions-transport-ws's
                // client only restarts its timer): never an unanswered ping.
                return Seen::Keepalive;
            }
            ("ping", _) => return Seen::Ping,
            ("pong", _) => return Seen::Pong,
            _ => {}
        }
        Seen::Data
    }

    fn spoken(&self) -> Option<(super::Protocol, String)> {
        self.switched.then(|| {
            if self.modern {
                (
                    super::Protocol::GraphqlTransportWs,
                    "both sides' messages are graphql-transport-ws's (subscribe, next)".to_string(),
                )
            } else {
                (
                    super::Protocol::GraphqlWs,
                    "both sides' messages are the legacy graphql-ws's (start, data, ka)"
                        .to_string(),
                )
            }
        })
    }

    fn verdict(&self, end: &Ending, _beats: &Beats) -> Option<Verdict> {
        let (by, end_packet, end_ts) = end.first()?;
        // The client offered a GraphQL protocol, the response selected none, and the server
        // closed 4406: graphql-transport-ws's "subprotocol not acceptable" (graphql-ws's
        // server and strawberry accept the upgrade, then close so).
        if let (Some(offer), Some((Role::Server, Some(4406), _, p, _))) =
            (&self.offered, &end.close)
        {
            return Some(Verdict::new(
                Some(Role::Server),
                Why::NotAcceptable {
                    modern: self.modern,
                    offer: offer.clone(),
                    packet: *p,
                },
                vec![*p],
            ));
        }
        if let Some((kind, who, p)) = &self.mismatch {
            return Some(Verdict::new(
                Some(by),
                Why::Mismatch {
                    modern: self.modern,
                    who: *who,
                    kind: kind.clone(),
                    packet: *p,
                },
                vec![*p, end_packet],
            ));
        }
        if let Some((msg, p)) = &self.connection_error {
            return Some(Verdict::new(
                Some(Role::Server),
                Why::ConnectionError {
                    message: msg.clone(),
                    packet: *p,
                },
                vec![*p],
            ));
        }
        if let Some(p) = self.terminate {
            return Some(Verdict::new(
                Some(Role::Client),
                Why::Terminate { packet: p },
                vec![p],
            ));
        }
        if let Some((who, Some(code), _, p, _)) = &end.close {
            if self.modern {
                if let Some(meaning) = CloseCode::of(*code) {
                    let context = match code {
                        4408 => match self.init {
                            None => Context::NoInit,
                            Some(i) => Context::InitNotAcked(i),
                        },
                        4409 => self
                            .duplicate
                            .as_ref()
                            .map_or(Context::Nothing, |(id, dp)| {
                                Context::Duplicate(id.clone(), *dp)
                            }),
                        4429 => Context::Inits(self.inits),
                        4401 => self
                            .early_subscribe
                            .map_or(Context::Nothing, Context::EarlySubscribe),
                        _ => Context::Nothing,
                    };
                    let mut evidence = vec![*p];
                    evidence.extend(
                        self.duplicate
                            .as_ref()
                            .map(|d| d.1)
                            .filter(|_| *code == 4409),
                    );
                    evidence.extend(self.early_subscribe.filter(|_| *code == 4401));
                    evidence.sort_unstable();
                    return Some(Verdict::new(
                        Some(*who),
                        Why::Closed {
                            who: *who,
                            code: *code,
                            meaning,
                            packet: *p,
                            context,
                        },
                        evidence,
                    ));
                }
            }
        }
        // Every subscription completed, then a close 1000: the protocol's normal end.
        if let (Some((from, cp)), Some((who, Some(1000), _, p, _)), true) =
            (self.last_complete, &end.close, self.open_ids.is_empty())
        {
            return Some(Verdict::new(
                Some(*who),
                Why::Completed {
                    completes: self.completes,
                    from,
                    last: cp,
                    who: *who,
                    packet: *p,
                },
                vec![cp, *p],
            ));
        }
        // The legacy client gives up when keep-alives stop.
        if !self.modern && by == Role::Client && self.server_lost.is_none() {
            if let (Some((kp, kt)), Some(gap)) = (self.ka, self.ka_kept.cadence_before(end_packet))
            {
                let quiet = between(kt, end_ts);
                if kp < end_packet && quiet >= 2 * gap {
                    return Some(Verdict::new(
                        Some(Role::Client),
                        Why::KeepAliveMissed {
                            every_ms: gap,
                            last: kp,
                            quiet_ms: quiet,
                            end_packet,
                        },
                        vec![kp, end_packet],
                    ));
                }
            }
        }
        None
    }
}
