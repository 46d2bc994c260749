//! The words of the causes an endpoint's own software gives: a heartbeat that gave up
//! ([`Cause::HeartbeatTimeout`]) and the application protocol's reason
//! ([`Cause::Application`]); part of `text`, which calls in here for them.
//!
//! In: those causes. Out: their sentences ([`words`]), where they are said ([`rank`]), and
//! the reading they give a status ([`own_reading`]): the catalog's typical causes of the
//! code are left out (the software said why) and the fix is the software's setting.
//!
//! Its folder holds each application protocol's verdict words, one file per protocol (a
//! `words` function of the protocol's `Why`, `vocab::said`), and `said.rs`, what they share
//! ([`Words`]). From the typed verdict the report keeps, [`fill`] (called where the report
//! is finished) makes the cause label, summary and fix that the session's `application`
//! states.

// Each protocol's verdict (`vocab::said`) in its own words, one file per protocol.
mod actioncable;
mod graphql;
mod mqtt;
mod ocpp;
mod phoenix;
mod said;
mod signalr;
mod socketio;
mod sockjs;
mod stomp;
mod wamp;

pub use said::Words;

use crate::report::cause::Cause;
use crate::report::cause::Head;
use crate::units::Secs;
use crate::vocab::{AppCause, AppSaid, ApplicationReport, Library, Role, Software};
use std::borrow::Cow;
use std::fmt::{self, Formatter};

/// The words of what one protocol's messages said (each protocol's file beside this one).
pub fn said(s: &AppSaid) -> Words {
    match s {
        AppSaid::SocketIo(w) => socketio::words(w),
        AppSaid::Graphql(w) => graphql::words(w),
        AppSaid::Mqtt(w) => mqtt::words(w),
        AppSaid::Stomp(w) => stomp::words(w),
        AppSaid::SignalR(w) => signalr::words(w),
        AppSaid::Phoenix(w) => phoenix::words(w),
        AppSaid::ActionCable(w) => actioncable::words(w),
        AppSaid::Ocpp(w) => ocpp::words(w),
        AppSaid::Wamp(w) => wamp::words(w),
        AppSaid::SockJs(w) => sockjs::words(w),
    }
}

/// Fills `a`'s cause, summary and fix from what its messages said (`a.said`), the summary
/// ending with what a socket.io session's long-polling connections show
/// (`a.long_polling`); `server_reason` is the reason of the session's first close frame
/// when the server sent it (a reason some servers send on every session is said to name no
/// cause).
pub fn fill(a: &mut ApplicationReport, server_reason: Option<&str>) {
    let mut w = a.said.as_deref().map(said).unwrap_or_default();
    if let (Some(summary), Some(note), true) = (
        w.summary.as_mut(),
        server_reason.and_then(generic_close),
        w.cause.is_some(),
    ) {
        summary.push_str(&note);
    }
    if let Some(p) = a.long_polling.as_deref() {
        let began = socketio::long_polling(p);
        w.summary = Some(match w.summary.take() {
            Some(s) => format!("{s}; {began}"),
            None => began,
        });
    }
    a.cause = w.cause;
    a.summary = w.summary;
    a.fix = w.fix;
}

/// Close reasons a server sends on every session whatever ended it (RabbitMQ 3.x's web
/// plugins: `rabbit_web_stomp_handler`, `rabbit_web_mqtt_handler`), with who sends them.
const GENERIC_CLOSE: [(&str, &str); 2] = [
    ("STOMP died", "RabbitMQ's Web STOMP"),
    ("MQTT died", "RabbitMQ's Web MQTT"),
];

/// For a server's close reason that some server sends whatever happened: the clause a
/// verdict's summary ends with, saying so (the reason names no cause).
fn generic_close(reason: &str) -> Option<String> {
    let (text, who) = GENERIC_CLOSE.iter().find(|(t, _)| *t == reason)?;
    Some(format!(
        "; the close reason \"{text}\" is the text {who} closes every session with, not a cause"
    ))
}

/// Where these causes are said: after the status's own cause.
pub fn rank(_: &Cause) -> u8 {
    1
}

/// Gives the status the reading of the software that ended it: no typical causes of the
/// code, and the software's fix (an application's, else a heartbeat's).
pub fn own_reading(head: &mut Head, causes: &[Cause]) {
    let app = causes.iter().find_map(|c| match c {
        Cause::Application {
            protocol,
            cause,
            fix,
            ..
        } => Some(fix.clone().unwrap_or_else(|| {
            format!("The {protocol} messages say why the session ended ({}); the close status is only how the transport ended after it. Change what made the application end it, if it should not have.", quoted(cause))
        })),
        _ => None,
    });
    if let Some(fix) = app {
        head.general = "";
        head.fix = Cow::Owned(fix);
        return;
    }
    if let Some(fix) = causes.iter().find_map(last_words_fix) {
        head.general = "";
        head.fix = Cow::Owned(fix);
        return;
    }
    if let Some(c) = causes
        .iter()
        .find(|c| matches!(c, Cause::HeartbeatTimeout { .. }))
    {
        head.general = "";
        head.fix = Cow::Owned(heartbeat_fix(c));
    }
}

/// The fix of a status whose cause is in a side's last message ([`Cause::LastWords`]):
/// the fix its words' kind names, else to read it; and to say it in the close frame too.
fn last_words_fix(c: &Cause) -> Option<String> {
    let Cause::LastWords {
        from,
        packet,
        names,
        ..
    } = c
    else {
        return None;
    };
    let peer = from.peer();
    let first = match names {
        Some(kind) => super::reason::fix(kind, from.as_str(), peer.as_str()),
        None => format!("Read the {from}'s last message (packet {packet}) and its logs at that time, and change what the message names."),
    };
    Some(format!("{first} Have the {from} say it in the close frame too (a code 4000-4999 and the message's words as the reason), so that the {peer}'s library reports why instead of a bare close."))
}

/// A side's last words that read as an error, in one line for a report's status cell
/// ("last words: the server's message at packet 9: …"), when a status has them.
pub fn last_words_line(causes: &[Cause]) -> Option<String> {
    causes.iter().find_map(|c| match c {
        Cause::LastWords {
            from,
            packet,
            words,
            truncated,
            ..
        } => {
            let cut = if *truncated { " (truncated)" } else { "" };
            Some(format!(
                "last words: the {from}'s message at packet {packet}{cut}: {words}"
            ))
        }
        _ => None,
    })
}

/// A heartbeat that gave up, in one line for a report's status cell ("heartbeat timeout:
/// the server's ping at packet 13 got no pong (Python websockets 17.4)"), when a status
/// has one.
pub fn heartbeat_line(causes: &[Cause]) -> Option<String> {
    causes.iter().find_map(|c| match c {
        Cause::HeartbeatTimeout {
            by,
            library,
            ping_packet,
            ..
        } => {
            let mut s = match ping_packet {
                Some(p) => format!("heartbeat timeout: the {by}'s ping at packet {p} got no pong"),
                None => format!("heartbeat timeout: the {by} gave up on its pings"),
            };
            if let Some(l) = library {
                s.push_str(&format!(" ({l})"));
            }
            Some(s)
        }
        _ => None,
    })
}

/// The sentences of a heartbeat or application cause.
pub fn words(c: &Cause, f: &mut Formatter<'_>) -> fmt::Result {
    match c {
        Cause::LastWords {
            from,
            packet,
            before_s,
            encoding,
            words,
            truncated,
            end_by,
            end_how,
            close_code,
            end_packet,
            announces,
            ..
        } => {
            let ended = match (end_how.as_str(), close_code) {
                ("close-frame", Some(code)) => format!("closed with {code} (packet {end_packet})"),
                ("close-frame", None) => format!("sent an empty close frame (packet {end_packet})"),
                ("rst", _) => format!("reset TCP without a close frame (packet {end_packet})"),
                ("end-stream", _) => format!(
                    "ended its HTTP/2 stream (END_STREAM) without a close frame (packet {end_packet})"
                ),
                ("rst-stream", _) => format!(
                    "reset its HTTP/2 stream (RST_STREAM) without a close frame (packet {end_packet})"
                ),
                ("goaway", _) => format!(
                    "ended its HTTP/2 stream with a GOAWAY, without a close frame (packet {end_packet})"
                ),
                _ => format!("ended TCP without a close frame (packet {end_packet})"),
            };
            let how = match encoding.as_str() {
                "json" => "JSON text",
                "cbor" => "binary CBOR, read as JSON",
                "msgpack" => "binary MessagePack, read as JSON",
                "hex" => "binary, in hex",
                "xml" => "XML text",
                "protobuf" => "binary protobuf, read without a schema",
                "strings" => "binary, its printable strings",
                _ => "text",
            };
            let reads = match announces.as_deref() {
                Some("reason") => "says why the session ends",
                Some("event") => "announces the end",
                Some("sign-off") => "signs off",
                _ => "reads as an error",
            };
            let cut = if *truncated {
                "; truncated: part of it is not in the capture, and nothing is guessed of the rest"
            } else {
                ""
            };
            write!(
                f,
                "The {from}'s last message, {} before the {end_by} {ended}, {reads} (packet {packet}, {how}{cut}): {words}. No application protocol wsclose knows gave a verdict; these are the application's own last words.",
                Secs(*before_s)
            )
        }
        Cause::LastMessage {
            from,
            packet,
            before_s,
            encoding,
            words,
            truncated,
            end_how,
            close_code,
            end_packet,
        } => {
            let ended = match (end_how.as_str(), close_code) {
                ("close-frame", Some(code)) => format!("its close {code} (packet {end_packet})"),
                ("close-frame", None) => format!("its empty close frame (packet {end_packet})"),
                ("rst", _) => format!("its RST (packet {end_packet})"),
                _ => format!("its FIN (packet {end_packet})"),
            };
            let cut = if *truncated { ", truncated" } else { "" };
            write!(
                f,
                "The {from}'s last message, {} before {ended}, was packet {packet} ({encoding}{cut}): {words}. It names no cause; it is what the {from}'s application said last.",
                Secs(*before_s)
            )
        }
        Cause::HeartbeatTimeout {
            by,
            library,
            reason_says_so,
            ping_packet,
            unanswered,
            at_least,
            last_pong_packet,
            waited_ms,
            interval_ms,
            end_packet,
            close_code,
        } => {
            let peer = by.peer();
            let ended = match close_code {
                Some(code) => format!("closed with {code} (packet {end_packet})"),
                None => format!("ended TCP without a close frame (packet {end_packet})"),
            };
            match (ping_packet, waited_ms) {
                (Some(ping), Some(waited)) => {
                    write!(f, "The {by}'s heartbeat gave up: its ping at packet {ping} got no pong from the {peer}")?;
                    match last_pong_packet {
                        Some(p) => write!(f, " (the {peer}'s last pong before it was packet {p})")?,
                        None => write!(f, " (the {peer} sent no pong before it)")?,
                    }
                    let more = unanswered.saturating_sub(1);
                    if more > 0 || *at_least {
                        let least = if *at_least { "at least " } else { "" };
                        write!(f, ", nor did {least}{more} later ping{}", plural(more))?;
                    }
                    write!(f, ", and {} after that ping the {by} {ended}.", Secs(waited / 1000.0))?;
                    if let Some(i) = interval_ms {
                        write!(f, " It pinged every {}.", Secs(i / 1000.0))?;
                    }
                }
                // (Set by the diagnosis when the ping left only with the bytes queued
                // behind the peer's closed window.)
                (Some(ping), None) => write!(
                    f,
                    "The {by}'s heartbeat gave up: its ping (packet {ping}) got no pong, and the {by} {ended}; that ping left only with the bytes queued behind the {peer}'s closed window, so when it was sent, and how long the {by} waited, is not in the capture."
                )?,
                _ => write!(
                    f,
                    "The {by} {ended} with its library's words for a keepalive timeout; no ping of the {by}'s that went unanswered is in the capture."
                )?,
            }
            match (library, reason_says_so) {
                (Some(s), _) => write!(f, " {}", library_words(s, *close_code))?,
                (None, _) if close_code.is_none() => {
                    let tick = matches!((waited_ms, interval_ms),
                        (Some(w), Some(i)) if (w - i).abs() <= (i * 0.1).max(20.0));
                    if tick {
                        f.write_str(" It waited one ping interval: a heartbeat that checks at each tick whether the last ping was answered and drops the connection when not, as Node ws's documented isAlive / terminate() pattern does.")?;
                    } else {
                        f.write_str(" Heartbeats that drop an unresponsive peer without a close frame do this (Node ws's terminate() after a missed pong, aiohttp's heartbeat, a Go read deadline renewed by pongs).")?;
                    }
                }
                (None, _) => {}
            }
            Ok(())
        }
        Cause::PingsStopped {
            from,
            interval_ms,
            pings,
            last_ping,
            at,
            silent_s,
            end,
            message_bytes,
        } => {
            let peer = from.peer();
            match message_bytes {
                None => write!(f, "The {from}'s pings came every {} (its last {pings}), then stopped: its last ping was packet {last_ping} at {at}, and no frame came from the {from} after it", Secs(interval_ms / 1000.0))?,
                Some(n) => write!(f, "The {from} sent the same {n}-byte data message every {} (its last {pings}: its application's heartbeat, by its cadence), then stopped: the last one was packet {last_ping} at {at}, and no frame came from the {from} after it", Secs(interval_ms / 1000.0))?,
            }
            match end {
                Some(e) => write!(
                    f,
                    " for {} until the {} ended the connection (packet {})",
                    Secs(*silent_s),
                    e.by,
                    e.packet
                )?,
                None => write!(f, " for {} to the end of the capture", Secs(*silent_s))?,
            }
            match (message_bytes, end) {
                (Some(_), Some(e)) if e.by == peer => write!(f, ": the {from}'s application stopped its heartbeat (its process stalled or gone, its timers throttled as a background browser tab's are, or its host or path gone), and the {peer} ending the connection {} later is what an application heartbeat timeout does.", Secs(*silent_s)),
                (Some(_), _) => write!(f, ": the {from}'s application stopped its heartbeat (its process stalled or gone, its timers throttled as a background browser tab's are, or its host or path gone)."),
                (None, _) => write!(f, ": the {from} went silent (its host, process or path gone, the connection half-open as the {peer} saw it)."),
            }
        }
        Cause::Application {
            protocol,
            cause,
            ended_by,
            evidence,
            ..
        } => {
            match ended_by {
                Some(by) => write!(
                    f,
                    "{protocol}: the {by}'s application ended the session, {}",
                    quoted(cause)
                )?,
                None => write!(f, "{protocol} names the ending: {}", quoted(cause))?,
            }
            match evidence.as_slice() {
                [] => {}
                [p] => write!(f, " (packet {p})")?,
                ps => {
                    let list: Vec<String> = ps.iter().map(u64::to_string).collect();
                    write!(f, " (packets {})", list.join(", "))?;
                }
            }
            f.write_str("; the Application line says more.")
        }
        _ => Ok(()),
    }
}

/// An application's cause label in quotes, unless it quotes the peer's words itself
/// (`disconnect "…"`, [`AppCause::quoted`]).
fn quoted(cause: &AppCause) -> Cow<'_, str> {
    if cause.quotes_peer() {
        Cow::Borrowed(cause.as_str())
    } else {
        Cow::Owned(format!("\"{cause}\""))
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// What a library does when its heartbeat runs out, as its documentation and source say.
fn library_words(s: &Software, close_code: Option<u16>) -> String {
    match (s.library, close_code) {
        (Library::PythonWebsockets, _) => format!("This is {s}'s keepalive: it pings every ping_interval and, when a pong does not come within ping_timeout, fails the connection with 1011 \"keepalive ping timeout\"."),
        (Library::Uvicorn, _) => format!("This is {s}'s WebSocket keepalive (ws_ping_interval, ws_ping_timeout): when a pong does not come within ws_ping_timeout it closes with 1011 \"keepalive ping timeout\" and ends TCP at once."),
        (Library::Aiohttp, None) => format!("This is {s}'s heartbeat: it pings every `heartbeat` seconds and, when no pong comes within heartbeat/2, closes the connection without a close frame (its side reports 1006 and \"No PONG received\")."),
        (Library::Aiohttp, Some(_)) => format!("The {s} endpoint's heartbeat pings every `heartbeat` seconds and gives up when no pong comes within heartbeat/2."),
        (Library::Ktor, _) => format!("This is {s}'s WebSockets plugin: it pings every pingPeriod and, when the pong does not come within timeout, closes with 1011 \"Ping timeout\"."),
        (Library::Lighttpd, _) => format!("The server is {s}: mod_wstunnel pings the client itself every wstunnel.ping-interval seconds (off by default) and ends a session it has read nothing from for server.max-read-idle seconds (60 s by default) with an empty close frame."),
    }
}

/// The fix of a heartbeat that gave up: why the peer may not have answered, and the
/// pinging side's setting.
fn heartbeat_fix(c: &Cause) -> String {
    let Cause::HeartbeatTimeout {
        by,
        library,
        waited_ms,
        ..
    } = c
    else {
        return String::new();
    };
    let peer = by.peer();
    let setting = match library.as_ref().map(|s| s.library) {
        Some(Library::PythonWebsockets) => format!("raise the {by}'s ping_timeout (and ping_interval) in websockets' serve() or connect(); None turns the keepalive off"),
        Some(Library::Uvicorn) => format!("raise the {by}'s --ws-ping-timeout and --ws-ping-interval (ws_ping_timeout, ws_ping_interval of uvicorn.run())"),
        Some(Library::Aiohttp) => format!("raise the {by}'s heartbeat= of WebSocketResponse() or ws_connect() (the pong is awaited heartbeat/2)"),
        Some(Library::Ktor) => format!("raise the {by}'s timeout (and pingPeriod) in Ktor's install(WebSockets) {{ }} block"),
        Some(Library::Lighttpd) => format!("raise lighttpd's server.max-read-idle (60 s by default), or have the {peer} answer its pings sooner"),
        None => format!("let the {by}'s heartbeat wait longer for a pong (for Node ws's isAlive check, a longer interval)"),
    };
    let waited = waited_ms
        .map(|w| format!(" (it waited {})", Secs(w / 1000.0)))
        .unwrap_or_default();
    let who = match peer {
        Role::Client => "the client's process or device",
        Role::Server => "the server's process",
    };
    format!("Find why the {peer} stopped answering pings: {who} was blocked (a busy event loop, a long synchronous handler), paused or starved of CPU, or the path lost its packets. If it was only slow, give it longer{waited}: {setting}.")
}
