//! The words of socket.io's verdicts ([`Why`]): CONNECT_ERROR, DISCONNECT, a message over
//! maxPayload, engine.io's CLOSE, a ping timeout on either side, a parse error, and the
//! reasons socket.io itself reports for a bare transport ending.

use super::said::{ms, quote, Words};
use crate::vocab::said::socketio::{Last, LongPolling, Transport, Why};
use crate::vocab::Role;

/// The words of socket.io's verdict.
pub(super) fn words(w: &Why) -> Words {
    match w {
        Why::ConnectError { eio, text, packet } => {
            // socket.io 2 (over engine.io 3) names packet type 4 ERROR; its client emits
            // it as an "error" event.
            let name = if *eio >= 4 {
                "CONNECT_ERROR"
            } else {
                "ERROR (socket.io 2's CONNECT_ERROR)"
            };
            Words::new(
                "connect error",
                format!(
                    "the server refused the socket.io connection with {name} {} (packet {packet})",
                    quote(text)
                ),
                "The server's connection middleware (io.use) or namespace refused the client: fix what the message names (often authentication), then let the client reconnect.",
            )
        }
        Why::Disconnect {
            who,
            namespace,
            packet,
        } => {
            let (cause, fix) = match who {
                Role::Client => ("io client disconnect", "The client application called socket.disconnect(): nothing failed. If it should stay connected, find what makes it disconnect."),
                Role::Server => ("io server disconnect", "The server application called socket.disconnect(): the client will not reconnect by itself (call socket.connect() on this reason if it should)."),
            };
            Words::new(
                cause,
                format!(
                    "the {who} sent a socket.io DISCONNECT for namespace {} at packet {packet}",
                    quote(namespace)
                ),
                fix,
            )
        }
        Why::TooBig {
            who,
            size,
            max,
            packet,
            end_packet,
        } => Words::new(
            "message over maxPayload",
            format!("the {who}'s message at packet {packet} was {size} bytes, over the maxPayload of {max} bytes the server announced; the server closed at packet {end_packet}"),
            "Raise maxHttpBufferSize on the socket.io server (default 1 MB), or send less in one message.",
        ),
        Why::Close { who, packet } => Words::new(
            "forced close",
            format!("the {who} closed the engine.io session with a CLOSE packet at packet {packet}"),
            "The application closed the connection on purpose (socket.close() / engine close); nothing failed on the wire.",
        ),
        Why::Lost { side, from } => Words::withheld(format!(
            "the {side}'s socket.io messages are not all in the capture from packet {from} (a gap, or one that does not inflate): a ping, a pong or a DISCONNECT may be among them, so no verdict rests on their absence"
        )),
        Why::PingUnanswered {
            pinger,
            packet,
            timeout_ms,
            spell_ms,
            end_packet,
        } => Words::new(
            "ping timeout",
            format!(
                "the {pinger}'s ping at packet {packet} got no pong from the {} within pingTimeout {}; the {pinger} closed at packet {end_packet}, {} after the ping",
                pinger.peer(),
                ms(*timeout_ms),
                ms(*spell_ms)
            ),
            "The other side stopped answering pings: its process was blocked (a long synchronous task, a paused tab or device) or the path dropped; raise pingTimeout if the pauses are expected.",
        ),
        Why::PingOverdue {
            by,
            pinger,
            last,
            spell_ms,
            limit_ms,
            unread,
            end_packet,
        } => {
            let (why, fix) = match unread {
                Some(up) => (
                    format!("; the {pinger}'s ping at packet {up} went unanswered: the {by} was not reading (its event loop blocked, or the page or device paused)"),
                    "The side that closed stopped reading: find what blocked it (a long synchronous task, a paused tab or device); raise pingTimeout if such pauses are expected.",
                ),
                None => (
                    if matches!(last, Last::Heard(_)) {
                        format!("; nothing came from the {pinger} after it, no ping either")
                    } else {
                        format!("; no ping came from the {pinger}")
                    },
                    "The pinging side went quiet: it was blocked or gone, or the path dropped its pings; check it and the path, and keep pingInterval + pingTimeout below every proxy's idle timeout.",
                ),
            };
            let last = match last {
                Last::Heard(p) => format!("the {pinger}'s last message at packet {p}"),
                Last::Pong(p) => format!("its last pong at packet {p}"),
                Last::Open(p) => format!("the OPEN at packet {p}"),
            };
            Words::new(
                "ping timeout",
                format!(
                    "the {by} closed at packet {end_packet}, {} after {last} (pingInterval + pingTimeout = {}){why}",
                    ms(*spell_ms),
                    ms(*limit_ms)
                ),
                fix,
            )
        }
        Why::ParseError {
            who,
            by,
            packet,
            end_packet,
        } => Words::new(
            "parse error",
            format!("the {who} sent a message at packet {packet} that is not an engine.io packet; the {by} closed at packet {end_packet}"),
            "Both sides must speak the same engine.io version (EIO=3 vs 4: socket.io 2 vs 3/4 clients and servers do not mix) and send only what the socket.io library encodes.",
        ),
        Why::Transport {
            by,
            how,
            end_packet,
        } => {
            let (cause, how) = match how {
                Transport::StreamReset(frame) => (
                    "transport error",
                    format!("reset its HTTP/2 stream ({frame})"),
                ),
                Transport::TcpReset => ("transport error", "reset the TCP connection".to_string()),
                Transport::Closed => ("transport close", "closed the WebSocket".to_string()),
            };
            Words::new(
                cause,
                format!(
                    "the {by} {how} at packet {end_packet} with no socket.io DISCONNECT or engine.io CLOSE before it: the other side's socket.io reports \"{cause}\""
                ),
                "",
            )
        }
    }
}

/// The sentence on a session that began on long-polling.
pub(super) fn long_polling(p: &LongPolling) -> String {
    let firsts: Vec<String> = p.firsts.iter().map(u64::to_string).collect();
    let n = p.connections;
    let more = if n > firsts.len() as u64 { ", …" } else { "" };
    let conns = if n == 1 {
        format!("1 polling connection (from packet {})", firsts.join(""))
    } else {
        format!(
            "{n} polling connections (from packets {}{more})",
            firsts.join(", ")
        )
    };
    let when = match (p.last_response, p.upgrade) {
        (Some(l), Some(u)) if l < u => {
            format!("the last poll was answered at packet {l}, before the UPGRADE at packet {u}")
        }
        (Some(l), Some(u)) => {
            format!("the last poll was answered at packet {l}, after the UPGRADE at packet {u}")
        }
        (Some(l), None) => {
            format!("the last poll was answered at packet {l}; the UPGRADE is not in the capture")
        }
        (None, Some(u)) => format!("no poll's answer was read; the UPGRADE at packet {u}"),
        (None, None) => "no poll's answer was read, and the UPGRADE is not in the capture".into(),
    };
    let numbers = match p.open {
        Some((packet, i, t)) => format!(
            "; pingInterval {} and pingTimeout {} from the OPEN at packet {packet}",
            ms(i),
            ms(t)
        ),
        None => String::new(),
    };
    format!(
        "the session began on HTTP long-polling as engine.io session {}: {conns}; {when}{numbers}",
        quote(&p.sid)
    )
}
