//! The words of WAMP's verdicts ([`Why`]): an ABORT or GOODBYE and what answered it, or
//! a session that neither side closed with its last ERROR; the meanings and fixes of the
//! URIs the specification defines.

use super::said::{quote, Words};
use crate::vocab::said::wamp::Why;
use crate::vocab::{AppCause, Role};

/// The words of WAMP's verdict.
pub(super) fn words(w: &Why) -> Words {
    match w {
        Why::Open {
            welcome,
            error,
            lost,
            ended,
        } => {
            let lost: Vec<String> = [Role::Client, Role::Server]
                .into_iter()
                .zip(lost)
                .filter_map(|(r, p)| {
                    p.map(|p| format!("the {}'s messages are not all in the capture from packet {p}: what it said there (an ABORT or GOODBYE among it) is unknown", name(r)))
                })
                .collect();
            let mut parts = Vec::new();
            let none = if lost.is_empty() {
                "neither side sent GOODBYE or ABORT"
            } else {
                "no GOODBYE or ABORT is in the capture"
            };
            let ended = ended
                .map(|(by, p)| format!("the {} ended the connection at packet {p}", name(by)))
                .unwrap_or_else(|| "the capture ends".into());
            match welcome {
                Some(w) => parts.push(format!("the WAMP session was established (WELCOME at packet {w}) and {none} before {ended}")),
                None => parts.push(format!("{none} before {ended}")),
            }
            if let Some(e) = error {
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
            }
            parts.extend(lost);
            Words::withheld(parts.join("; "))
        }
        Why::Closing {
            closing: c,
            refused_hello,
            answer,
            close,
            ended,
        } => {
            let which = if c.abort { "ABORT" } else { "GOODBYE" };
            let label = if own(&c.reason) {
                c.reason.clone().into()
            } else if c.reason.is_empty() {
                which.into()
            } else {
                AppCause::quoted(which, &c.reason)
            };
            let from = c.from;
            let peer = from.peer();
            let mut summary = String::new();
            if c.abort {
                match refused_hello {
                    Some((realm, p)) => {
                        let realm = realm
                            .as_deref()
                            .map(|r| format!(" for realm {}", quote(r)))
                            .unwrap_or_default();
                        summary.push_str(&format!(
                            "the router refused the session: it answered the client's HELLO{realm} (packet {p}) with ABORT {} at packet {}",
                            quote(&c.reason),
                            c.packet
                        ));
                    }
                    None => summary.push_str(&format!(
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
            if let Some(meaning) = meaning(&c.reason) {
                summary.push_str(&format!(" ({meaning})"));
            }
            if let Some(msg) = &c.message {
                summary.push_str(&format!(": {}", quote(msg)));
            }
            if !c.abort {
                match answer {
                    Some((reason, p)) => {
                        summary.push_str(&format!(
                            "; the {} answered GOODBYE {} at packet {p}: a clean end of the WAMP session",
                            name(peer),
                            quote(reason)
                        ));
                        if let Some((who, cp)) = close {
                            summary.push_str(&format!(
                                ", and the WebSocket close after it (the {}'s, packet {cp}) only ends the transport",
                                name(*who)
                            ));
                        }
                    }
                    None => {
                        let end_at = ended
                            .map(|(by, p)| {
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
            Words {
                cause: Some(label),
                summary: Some(summary),
                fix: fix(&c.reason).map(str::to_string),
            }
        }
    }
}

/// The role's name in WAMP: the server is the router.
fn name(r: Role) -> &'static str {
    match r {
        Role::Server => "router",
        Role::Client => "client",
    }
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

/// Whether a WAMP reason is one of the protocol's own: a URI of the `wamp.close.` or
/// `wamp.error.` namespaces, which the specification reserves for itself (§"URIs"), in
/// lowercase letters, digits, `_` and `.`, at most 64 characters.
fn own(reason: &str) -> bool {
    (reason.starts_with("wamp.close.") || reason.starts_with("wamp.error."))
        && reason.len() <= 64
        && reason
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
}
