//! The words of MQTT's verdicts ([`Why`]): a refused CONNECT, DISCONNECT and its reason
//! code, a packet over the broker's maximum, no CONNACK, keep alive expired or not
//! enforced, an unanswered PINGREQ, a broker that closed with no packet saying why; and the
//! fix each reason names.

use super::said::{ms, quote, Words};
use crate::vocab::said::mqtt::{How, Refusal, Then, Why};
use crate::vocab::Role;

/// The cause of a session whose client fell silent past its keep alive, the broker not
/// closing it.
const NOT_ENFORCED_CAUSE: &str = "keep alive not enforced";

/// The cause of a session the broker closed with no MQTT packet saying why (and no takeover
/// seen: `diagnose::app` names one in its place).
const NO_REASON: &str = "broker closed, no MQTT reason";

/// The words of MQTT's verdict.
pub(super) fn words(w: &Why) -> Words {
    match w {
        Why::Unknown { side, from } => Words::withheld(format!(
            "the {}'s MQTT byte stream is unknown from packet {from} (a gap in the capture, a message it does not hold whole, or bytes that are not MQTT): no verdict rests on what it carried from there",
            if *side == Role::Server { "broker" } else { "client" }
        )),
        Why::Refused {
            code,
            name,
            packet,
            reason_text,
        } => Words::new(
            format!("connection refused: {name}"),
            format!(
                "the broker refused CONNECT with CONNACK {code:#04x} ({name}) at packet {packet}{}",
                saying(reason_text)
            ),
            fix_for(name),
        ),
        Why::Disconnect {
            who,
            code,
            name,
            packet,
            reason_text,
        } => {
            let (cause, summary) = match (who, code) {
                (Role::Client, 0) => (
                    "client disconnected".to_string(),
                    format!("the client sent DISCONNECT at packet {packet} (a normal end: the broker closes the connection after it)"),
                ),
                _ => (
                    name.to_string(),
                    format!("the {} sent DISCONNECT with reason {code:#04x} ({name}) at packet {packet}{}", if *who == Role::Server { "broker" } else { "client" }, saying(reason_text)),
                ),
            };
            Words::new(cause, summary, fix_for(name))
        }
        Why::TooLarge {
            packet_name,
            size,
            max,
            at,
            packet,
            end_packet,
        } => Words::new(
            "packet too large",
            format!(
                "the client's {packet_name} at packet {packet} was {size} bytes, over the Maximum Packet Size of {max} the broker gave in CONNACK at packet {at}; the broker closed at packet {end_packet}"
            ),
            fix_for("packet too large"),
        ),
        Why::NoConnack {
            level,
            creds,
            at,
            end_packet,
            server_close,
            how,
            refusal,
        } => {
            let said = match server_close {
                None => match how_closed(how) {
                    h if h.is_empty() => " (no close frame: its TCP ended)".to_string(),
                    h => h,
                },
                Some((code, reason)) => {
                    let code = code.map_or_else(|| "no status".to_string(), |c| c.to_string());
                    if reason.is_empty() {
                        format!(" with close frame {code}")
                    } else {
                        format!(" with close frame {code} {}", quote(reason))
                    }
                }
            };
            let (cause, what, fix) = match refusal {
                Refusal::Failed { v5 } => (
                    "closed before CONNACK",
                    "the broker failed while handling the CONNECT (1011, an internal error) and answered nothing in MQTT",
                    if *v5 {
                        "The broker failed on the CONNECT: read its log at that time. A broker without MQTT 5 (RabbitMQ before 3.13) fails so on an MQTT 5 CONNECT: connect with MQTT 3.1.1."
                    } else {
                        "The broker failed on the CONNECT: read its log at that time."
                    },
                ),
                Refusal::Busy => (
                    "closed before CONNACK",
                    "the broker was too busy to take the CONNECT (1013, try again later) and answered nothing in MQTT",
                    "The broker is overloaded or out of capacity (or a service it depends on is): reconnect with exponential backoff, and check the broker's load and connection limits at that time.",
                ),
                Refusal::Login => (
                    "login refused, no CONNACK",
                    "the login was refused without the CONNACK MQTT §3.1.4 says a broker should send",
                    fix_for("bad user name or password"),
                ),
                Refusal::Unsaid => (
                    "closed before CONNACK",
                    "the broker refused the CONNECT without saying why in MQTT (a CONNACK would have given a reason code)",
                    "The broker closed before answering CONNECT: read its log at that time (credentials, client id, protocol version or a policy).",
                ),
            };
            Words::new(
                cause,
                format!(
                    "the client's CONNECT{} at packet {at}{} got no CONNACK; the broker closed at packet {end_packet}{said}: {what}",
                    level.as_ref().map_or_else(String::new, |l| format!(" (MQTT {l})")),
                    if *creds { " (with credentials)" } else { "" }
                ),
                fix,
            )
        }
        Why::KeepAliveTimeout {
            last,
            quiet_ms,
            end_packet,
            how,
            keep_ms,
            server_keep_alive,
            client_id,
        } => Words::new(
            "keep alive timeout",
            format!(
                "the client's last packet was at packet {last}; the broker closed {} later at packet {end_packet}{}, past 1.5 × its keep alive of {}{} (client id {})",
                ms(*quiet_ms),
                how_closed(how),
                ms(*keep_ms),
                keep_alive_from(*server_keep_alive),
                quote(client_id)
            ),
            fix_for("keep alive timeout"),
        ),
        Why::PingUnanswered {
            packet,
            quiet_ms,
            end_packet,
        } => Words::new(
            "ping response timeout",
            format!("the client's PINGREQ at packet {packet} got no PINGRESP; the client closed {} later at packet {end_packet}", ms(*quiet_ms)),
            "The broker stopped answering: it was overloaded or gone, or the path dropped; check the broker and every proxy between.",
        ),
        Why::NotEnforced {
            client_id,
            from,
            spell_ms,
            keep_ms,
            server_keep_alive,
            accepted,
            then,
        } => {
            let then = match then {
                Then::NextThenEnded {
                    next,
                    end_packet,
                    how,
                } => format!(
                    "the client's next packet came at packet {next}, and the client itself ended the connection at packet {end_packet}{}",
                    how_closed(how)
                ),
                Then::NextThenOpen { next } => format!(
                    "the client's next packet came at packet {next}, and the connection was still open when the capture ended"
                ),
                Then::Ended { end_packet, how } => format!(
                    "the client itself ended the connection at packet {end_packet}{}, with no DISCONNECT",
                    how_closed(how),
                ),
                Then::Open => "the connection was still open when the capture ended".to_string(),
            };
            Words::new(
                NOT_ENFORCED_CAUSE,
                format!(
                    "the client (client id {}) sent no MQTT packet for {} after packet {from}, past 1.5 × its keep alive of {} ({}){}, after which MQTT §3.1.2.10 says the broker must close the connection; the broker, which accepted the session at packet {accepted}, did not (the capture holds no close frame, FIN or RST from it before the end): {then}",
                    quote(client_id),
                    ms(*spell_ms),
                    ms(*keep_ms),
                    ms(*keep_ms * 3 / 2),
                    keep_alive_from(*server_keep_alive),
                ),
                "The client stopped its keep alive (a stalled process or event loop, a suspended device or tab, a half-open network path) and the broker did not enforce it, so a silent client's session stays open until TCP itself fails: enable or fix the broker's keep-alive checks (or use a broker that enforces them) and find what stopped the client.",
            )
        }
        Why::NoReason {
            accepted,
            end_packet,
            v5,
        } => Words::new(
            NO_REASON,
            format!(
                "the broker closed the session it had accepted (CONNACK at packet {accepted}) at packet {end_packet} with no MQTT packet saying why (no DISCONNECT, the keep alive not expired){}: the broker's operator, a policy or a shutdown ended it",
                if *v5 { ", although MQTT 5 gives it DISCONNECT reason codes for this" } else { "" }
            ),
            "MQTT does not say why here: read the broker's log at the time of the close (an operator closing connections, a policy, a restart); clients should reconnect with backoff.",
        ),
        Why::TakenOver {
            other_id,
            client_id,
            other_packet,
            end_packet,
        } => Words::new(
            "session taken over",
            format!(
                "connection {other_id} connected with the same client id \"{client_id}\" (from packet {other_packet}); the broker then closed this one at packet {end_packet}"
            ),
            "Give each client its own client id: two tabs, devices or processes sharing one, or a reconnect racing the old connection, take the session from each other in turn.",
        ),
    }
}

/// ", saying \"…\"": the Reason String, when the packet gave one.
fn saying(reason_text: &Option<String>) -> String {
    reason_text
        .as_deref()
        .map_or(String::new(), |r| format!(", saying {r}"))
}

/// " (the Server Keep Alive the broker gave in CONNACK)" when the keep alive in force is
/// the broker's, not the client's CONNECT's.
fn keep_alive_from(server: bool) -> &'static str {
    if server {
        " (the Server Keep Alive the broker gave in CONNACK)"
    } else {
        ""
    }
}

/// " with close frame 1000", " with a bare FIN (no close frame)", " with a TCP RST (no
/// close frame)" or " with RST_STREAM CANCEL on its HTTP/2 stream (no close frame)": how
/// the side that ended at a packet ended.
fn how_closed(how: &How) -> String {
    match how {
        How::Frame { code: None, .. } => " with an empty close frame".to_string(),
        How::Frame {
            code: Some(code),
            reason,
        } if reason.is_empty() => format!(" with close frame {code}"),
        How::Frame {
            code: Some(code),
            reason,
        } => format!(" with close frame {code} {}", quote(reason)),
        How::Transport(phrase) => format!(" with {phrase} (no close frame)"),
        How::Unknown => String::new(),
    }
}

/// The fix for a broker's reason.
fn fix_for(reason: &str) -> &'static str {
    match reason {
        "keep alive timeout" => "The client sent nothing for 1.5 × its keep alive: its process or network stalled; lower the keep alive below every proxy's idle timeout and check the client's event loop.",
        "session taken over" => "Another connection with the same client id took the session over: give each client a unique id (two tabs or devices sharing one, or a reconnect racing the old connection).",
        "not authorized" | "bad user name or password" | "bad authentication method" => "The broker refused the credentials: check the user, password or token and the broker's ACL.",
        "identifier rejected" | "client identifier not valid" => "The broker refused the client id (empty with clean session off, too long, or with characters it does not allow).",
        "unacceptable protocol version" | "unsupported protocol version" => "The client asked for an MQTT version the broker does not speak: set the client to 3.1.1 or 5 as the broker allows.",
        "server shutting down" | "server unavailable" | "server busy" => "The broker was stopping or overloaded: reconnect with backoff.",
        "packet too large" => "A packet was over the broker's maximum packet size: send smaller messages or raise the limit.",
        _ => "",
    }
}
