//! WAMP v2 (the Web Application Messaging Protocol, wamp-proto.org; the IETF draft "The Web
//! Application Messaging Protocol") in every serialization its subprotocols name:
//! `wamp.2.json`, `wamp.2.msgpack`, `wamp.2.cbor` and their `.batched` variants
//! ([`codec`]).
//!
//! In: each side's messages. Out: how the WAMP session opened and ended, from the messages
//! of the session's lifecycle (§"Session Lifecycle"): HELLO `[1, Realm, Details]`, WELCOME
//! `[2, Session, Details]`, ABORT `[3, Details, Reason]` (a session refused before it was
//! established), GOODBYE `[6, Details, Reason]` (a session closed, answered by GOODBYE
//! `wamp.close.goodbye_and_out`), and ERROR `[8, REQUEST.Type, REQUEST.Request, Details,
//! Error, …]`. The verdict names who refused or closed the session with the reason URI in
//! WAMP's words (a URI of the `wamp.close.`/`wamp.error.` namespaces the specification
//! reserves is the cause's label; any other is the peer's words, quoted), the Details'
//! `message` when it has one, and whether the closing GOODBYE was answered: a GOODBYE and
//! its answer before the WebSocket close are a clean end of the WAMP session. With neither,
//! there is no cause: the summary says the session was established and ended with no
//! GOODBYE, and shows the last ERROR with its URI (an ERROR answers one request and ends no
//! session).
//!
//! State per session is constant: the realm, reasons and messages kept are cut to
//! [`KEPT`] bytes each (the first HELLO, the first ABORT or GOODBYE and its answer, the
//! last ERROR), about 1 KiB at most in all, within what a connection is charged
//! (`analyzer::budget::FLOW_BYTES`).

pub(crate) mod codec;

use super::heartbeat::Beats;
use super::{quote, wire_label, Ending, Machine, Message, Seen, Text, Verdict, Words};
use crate::flow::Role;
use codec::{Msg, Part, Ser};

/// Bytes kept of each wire string (realm, reason, error URI, Details' `message`).
pub(crate) const KEPT: usize = 160;

/// A wire string cut to [`KEPT`] bytes (at a character's boundary).
fn kept(s: &str) -> String {
    let mut end = s.len().min(KEPT);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default().to_string()
}

/// An ABORT or GOODBYE as kept.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Closing {
    from: Role,
    abort: bool,
    reason: String,
    message: Option<String>,
    packet: u64,
}

/// An ERROR as kept.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Error {
    from: Role,
    request: Option<(u64, u64)>,
    uri: String,
    message: Option<String>,
    packet: u64,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Wamp {
    ser: Ser,
    batched: bool,
    /// The first HELLO: its realm and packet.
    hello: Option<(Option<String>, u64)>,
    /// The first WELCOME's packet.
    welcome: Option<u64>,
    /// The first ABORT or GOODBYE.
    closing: Option<Closing>,
    /// The other side's GOODBYE that answered it: its reason and packet.
    answer: Option<(String, u64)>,
    /// The last ERROR.
    error: Option<Error>,
    /// The first packet from which each side's messages (client, server) are not all in
    /// the capture.
    lost: [Option<u64>; 2],
}

impl Wamp {
    /// The machine of a session whose subprotocol is `wamp.2.<ser>[.batched]`, or None for
    /// another subprotocol (lowercase).
    pub fn of(subprotocol: &str) -> Option<Wamp> {
        let rest = subprotocol.strip_prefix("wamp.2.")?;
        let (name, batched) = match rest.strip_suffix(".batched") {
            Some(n) => (n, true),
            None => (rest, false),
        };
        let ser = match name {
            "json" => Ser::Json,
            "msgpack" => Ser::MsgPack,
            "cbor" => Ser::Cbor,
            _ => return None,
        };
        Some(Wamp {
            ser,
            batched,
            hello: None,
            welcome: None,
            closing: None,
            answer: None,
            error: None,
            lost: [None, None],
        })
    }

    fn read(&mut self, m: &Message<'_>, msg: &Msg<'_>) {
        let s = |x: &Option<std::borrow::Cow<'_, str>>| x.as_deref().map(kept);
        match msg.kind {
            codec::HELLO if self.hello.is_none() => self.hello = Some((s(&msg.uri), m.packet)),
            codec::WELCOME if self.welcome.is_none() => self.welcome = Some(m.packet),
            codec::ABORT | codec::GOODBYE => match &self.closing {
                None => {
                    self.closing = Some(Closing {
                        from: m.from,
                        abort: msg.kind == codec::ABORT,
                        reason: s(&msg.uri).unwrap_or_default(),
                        message: s(&msg.message),
                        packet: m.packet,
                    });
                }
                Some(c) if !c.abort && msg.kind == codec::GOODBYE && c.from != m.from => {
                    if self.answer.is_none() {
                        self.answer = Some((s(&msg.uri).unwrap_or_default(), m.packet));
                    }
                }
                Some(_) => {}
            },
            codec::ERROR => {
                self.error = Some(Error {
                    from: m.from,
                    request: msg.request,
                    uri: s(&msg.uri).unwrap_or_default(),
                    message: s(&msg.message),
                    packet: m.packet,
                });
            }
            _ => {}
        }
    }
}

impl Machine for Wamp {
    fn message(&mut self, m: &Message<'_>) -> Seen {
        let mut bad = false;
        let mut any = false;
        let (ser, batched) = (self.ser, self.batched);
        codec::each(ser, batched, m.bytes, m.whole(), &mut |p| match p {
            Part::Msg(msg) => {
                any = true;
                self.read(m, &msg);
            }
            Part::Bad => bad = true,
        });
        if bad || !any {
            Seen::Bad
        } else {
            Seen::Data
        }
    }

    fn lost(&mut self, from: Role, packet: u64) {
        if let Some(slot) = self.lost.get_mut(usize::from(from == Role::Server)) {
            slot.get_or_insert(packet);
        }
    }

    fn version(&self) -> Option<String> {
        let batched = if self.batched { ", batched" } else { "" };
        Some(format!("2 ({}{batched})", self.ser.name()))
    }

    fn verdict(&self, end: &Ending, _beats: &Beats) -> Option<Verdict> {
        if let Some(c) = &self.closing {
            return Some(self.closing_verdict(c, end));
        }
        self.open_verdict(end)
    }
}

/// The role's name in WAMP: the server is the router.
fn name(r: Role) -> &'static str {
    match r {
        Role::Server => "router",
        Role::Client => "client",
    }
}

impl Wamp {
    /// A session that neither side refused nor closed: no cause (an ERROR answers one
    /// request and ends no session), only what the messages show: the session established
    /// and the connection ended under it, and the last ERROR with its URI.
    fn open_verdict(&self, end: &Ending) -> Option<Verdict> {
        let lost: Vec<String> = [Role::Client, Role::Server]
            .into_iter()
            .zip(self.lost)
            .filter_map(|(r, p)| {
                p.map(|p| format!("the {}'s messages are not all in the capture from packet {p}: what it said there (an ABORT or GOODBYE among it) is unknown", name(r)))
            })
            .collect();
        if self.welcome.is_none() && self.error.is_none() && lost.is_empty() {
            return None;
        }
        let mut parts = Vec::new();
        let mut evidence = Vec::new();
        let none = if lost.is_empty() {
            "neither side sent GOODBYE or ABORT"
        } else {
            "no GOODBYE or ABORT is in the capture"
        };
        let ended = end
            .first()
            .map(|(by, p, _)| format!("the {} ended the connection at packet {p}", name(by)))
            .unwrap_or_else(|| "the capture ends".into());
        match self.welcome {
            Some(w) => {
                parts.push(format!("the WAMP session was established (WELCOME at packet {w}) and {none} before {ended}"));
                evidence.push(w);
            }
            None => parts.push(format!("{none} before {ended}")),
        }
        if let Some(e) = &self.error {
            let request = match e.request {
                Some((t, id)) => format!("{} request {id}", request_name(t)),
                None => "a request".into(),
            };
            let mut s = format!(
                "the last ERROR: the {} answered {request} with ERROR {} at packet {}",
                name(e.from),
                quote(&e.uri),
                e.packet
            );
            if let Some(meaning) = meaning(&e.uri) {
                s.push_str(&format!(" ({meaning})"));
            }
            if let Some(msg) = &e.message {
                s.push_str(&format!(": {}", quote(msg)));
            }
            s.push_str(", which answers that request and ends no session");
            parts.push(s);
            evidence.push(e.packet);
        }
        parts.extend(lost);
        Some(Verdict::withheld(
            Text(Words::withheld(parts.join("; "))),
            evidence,
        ))
    }

    fn closing_verdict(&self, c: &Closing, end: &Ending) -> Verdict {
        let which = if c.abort { "ABORT" } else { "GOODBYE" };
        let label = if own(&c.reason) {
            c.reason.clone()
        } else if c.reason.is_empty() {
            which.to_string()
        } else {
            wire_label(which, &c.reason)
        };
        let from = c.from;
        let peer = from.peer();
        let mut evidence = Vec::new();
        let mut summary = String::new();
        if c.abort {
            match (&self.hello, self.welcome) {
                (Some((realm, p)), None) if from == Role::Server => {
                    let realm = realm
                        .as_deref()
                        .map(|r| format!(" for realm {}", quote(r)))
                        .unwrap_or_default();
                    summary.push_str(&format!(
                        "the router refused the session: it answered the client's HELLO{realm} (packet {p}) with ABORT {} at packet {}",
                        quote(&c.reason),
                        c.packet
                    ));
                    evidence.push(*p);
                }
                _ => summary.push_str(&format!(
                    "the {} aborted the session with ABORT {} at packet {}",
                    name(from),
                    quote(&c.reason),
                    c.packet
                )),
            }
        } else {
            summary.push_str(&format!(
                "the {} closed the WAMP session with GOODBYE {} at packet {}",
                name(from),
                quote(&c.reason),
                c.packet
            ));
        }
        evidence.push(c.packet);
        if let Some(meaning) = meaning(&c.reason) {
            summary.push_str(&format!(" ({meaning})"));
        }
        if let Some(msg) = &c.message {
            summary.push_str(&format!(": {}", quote(msg)));
        }
        if !c.abort {
            match &self.answer {
                Some((reason, p)) => {
                    summary.push_str(&format!(
                        "; the {} answered GOODBYE {} at packet {p}: a clean end of the WAMP session",
                        name(peer),
                        quote(reason)
                    ));
                    if let Some(close) = &end.close {
                        summary.push_str(&format!(
                            ", and the WebSocket close after it (the {}'s, packet {}) only ends the transport",
                            name(close.0),
                            close.3
                        ));
                    }
                    evidence.push(*p);
                }
                None => {
                    let end_at = end
                        .first()
                        .map(|(by, p, _)| {
                            format!(
                                " before the {} ended the connection at packet {p}",
                                name(by)
                            )
                        })
                        .unwrap_or_else(|| " before the capture ends".into());
                    summary.push_str(&format!(
                        "; the {} sent no GOODBYE in answer{end_at}",
                        name(peer)
                    ));
                }
            }
        }
        Verdict::new(
            Some(from),
            Text(Words {
                cause: Some(label),
                summary: Some(summary),
                fix: fix(&c.reason).map(str::to_string),
            }),
            evidence,
        )
    }
}

/// Whether a WAMP reason is one of the protocol's own: a URI of the `wamp.close.` or
/// `wamp.error.` namespaces, which the specification reserves for itself (§"URIs"), in
/// lowercase letters, digits, `_` and `.`, at most 64 characters.
pub(crate) fn own(reason: &str) -> bool {
    (reason.starts_with("wamp.close.") || reason.starts_with("wamp.error."))
        && reason.len() <= 64
        && reason
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
}

/// What a reason or error URI the specification defines means, in its words.
fn meaning(uri: &str) -> Option<&'static str> {
    Some(match uri {
        "wamp.close.normal" => "a normal close",
        "wamp.close.close_realm" => "the peer is leaving the realm",
        "wamp.close.goodbye_and_out" => "the acknowledgement of a GOODBYE",
        "wamp.close.system_shutdown" => "the router is shutting down",
        "wamp.close.killed" => "the session was killed by the router's management",
        "wamp.close.protocol_violation" | "wamp.error.protocol_violation" => {
            "the peer broke the WAMP protocol"
        }
        "wamp.error.no_such_realm" => "the realm does not exist on the router",
        "wamp.error.no_such_role" => "the role the session was to take does not exist",
        "wamp.error.no_auth_method" => {
            "none of the authentication methods the client offered is allowed"
        }
        "wamp.error.not_authorized" => "the session is not authorized for this",
        "wamp.error.authentication_failed" => "authentication failed",
        "wamp.error.authorization_failed" => "the router's authorization itself failed",
        "wamp.error.no_such_procedure" => "no procedure is registered under that URI",
        "wamp.error.no_such_registration" => "no such registration",
        "wamp.error.no_such_subscription" => "no such subscription",
        "wamp.error.procedure_already_exists" => "a procedure is already registered under that URI",
        "wamp.error.invalid_uri" => "the URI is not valid",
        "wamp.error.invalid_argument" => "the call's arguments are not valid",
        "wamp.error.canceled" => "the call was canceled",
        "wamp.error.timeout" => "the call timed out",
        "wamp.error.runtime_error" => "the callee raised an error",
        "wamp.error.no_available_callee" => "no callee is available",
        _ => return None,
    })
}

/// The fix of a reason that names one.
fn fix(reason: &str) -> Option<&'static str> {
    Some(match reason {
        "wamp.error.no_such_realm" => "Join a realm the router has: the client's realm name is wrong, or the router's configuration lacks that realm (Crossbar.io: `realms` of the router worker; other routers: their realm list), or the router does not create realms on demand.",
        "wamp.error.authentication_failed" | "wamp.error.not_authorized" | "wamp.error.no_auth_method" | "wamp.error.no_such_role" => "Check the client's credentials (authid, ticket or secret) and authentication method against the router's auth configuration for this realm and role.",
        "wamp.close.system_shutdown" => "The router was shut down or restarted: the session ended by design; clients reconnect when it is back.",
        "wamp.close.killed" => "The router's management (a meta API call such as wamp.session.kill) killed the session: see who called it.",
        _ => return None,
    })
}

/// A request's type, by its code.
fn request_name(t: u64) -> &'static str {
    match t {
        16 => "PUBLISH",
        32 => "SUBSCRIBE",
        34 => "UNSUBSCRIBE",
        48 => "CALL",
        64 => "REGISTER",
        66 => "UNREGISTER",
        68 => "INVOCATION",
        _ => "a",
    }
}
