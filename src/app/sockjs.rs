//! SockJS (the sockjs-protocol document, 0.3.3) on its raw WebSocket transport,
//! `/<prefix>/<server>/<session>/websocket`: every WebSocket message of the server is a SockJS
//! frame, `o` (open, the first), `h` (the server's heartbeat, every `heartbeat_delay`: 25 s
//! by default), `a["…",…]` (messages), `m"…"` (one message, in older servers) or
//! `c[code,"reason"]` (the server closed the session: 3000 "Go away!", 2010 "Another connection
//! still open", 1002 "Connection interrupted", and the codes servers give on their own); the
//! client's messages are JSON strings or arrays of them. The close of a session is said inside
//! a message: the WebSocket close frame that follows it (often a plain 1000) only ends the
//! transport.
//!
//! Recognized by the request target's shape and confirmed by the server's first message
//! `o`: a session whose first server message is anything else is not SockJS, and nothing is
//! reported of one whose `o` the capture does not hold. State: constant (the close frame's
//! reason cut to [`REASON`] bytes, the last few `h`). The heartbeat is said to have stopped
//! only after a period the server kept (several `h` at one cadence) was missed [`MISSED`]
//! times before the session ended.

use super::heartbeat::{Beats, Recent};
use super::{between, lite, EndHow, Ending, Machine, Message, Seen, Verdict};
use crate::vocab::said::sockjs::{After, Ended, Why};
use crate::vocab::{Role, Timestamp};

/// Bytes of a close frame's reason kept (sockjs-protocol's reasons are under 40).
const REASON: usize = 128;

/// How many heartbeat periods without an `h` make the heartbeat stopped.
const MISSED: u64 = 2;

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct SockJs {
    /// The server's open frame `o`: its packet. Nothing is reported until it came.
    open: Option<u64>,
    /// The server's first message was not `o`: the session is not SockJS.
    not_sockjs: bool,
    /// The server's close frame: code, reason (cut), packet, time.
    close: Option<(u64, String, u64, Timestamp)>,
    /// The server's heartbeats: how many, the last one (packet, time), and the last few
    /// (their cadence is the period: several intervals that agree, never one).
    beats: u64,
    last_beat: Option<(u64, Timestamp)>,
    kept: Recent,
    /// The first packet from which the server's messages are not all in the capture: an `h`
    /// (or the close frame) may have been lost there.
    server_lost: Option<u64>,
}

/// Whether `target` has the shape of SockJS's raw WebSocket transport:
/// `…/<server>/<session>/websocket`, neither id empty nor with a dot (sockjs-protocol's
/// session URL).
pub(crate) fn target(target: &str) -> bool {
    let path = target.split('?').next().unwrap_or_default();
    let Some(rest) = path.strip_suffix("/websocket") else {
        return false;
    };
    let mut ids = rest.rsplit('/');
    let (Some(session), Some(server), Some(_prefix)) = (ids.next(), ids.next(), ids.next()) else {
        return false;
    };
    [session, server]
        .iter()
        .all(|id| !id.is_empty() && !id.contains('.'))
}

impl SockJs {
    /// The server's message `m`.
    fn server(&mut self, m: &Message<'_>) -> Seen {
        let first = m.bytes.first().copied();
        if self.open.is_none() {
            if first == Some(b'o') && m.len == 1 {
                self.open = Some(m.packet);
                return Seen::Data;
            }
            self.not_sockjs = true;
            return Seen::Bad;
        }
        match first {
            Some(b'h') if m.len == 1 => {
                self.kept.add(m.packet, m.ts);
                self.beats += 1;
                self.last_beat = Some((m.packet, m.ts));
                Seen::Keepalive
            }
            // Messages: only their first byte matters here.
            Some(b'a' | b'm') => Seen::Data,
            Some(b'c') if m.whole() => {
                let Some([code, reason, ..]) = m.bytes.get(1..).and_then(lite::array) else {
                    return Seen::Bad;
                };
                let (Some(code), Some(reason)) = (code.as_u64(), reason.as_str()) else {
                    return Seen::Bad;
                };
                if self.close.is_none() {
                    let reason = crate::sanitize::cut(reason, REASON).to_string();
                    self.close = Some((code, reason, m.packet, m.ts));
                }
                Seen::Data
            }
            _ => Seen::Bad,
        }
    }
}

impl Machine for SockJs {
    /// Whether the server's first message was `o`: the session is SockJS.
    fn confirmed(&self) -> bool {
        self.open.is_some()
    }

    /// Whether the server's first message showed the session is not SockJS.
    fn refused(&self) -> bool {
        self.not_sockjs
    }

    fn lost(&mut self, from: Role, packet: u64) {
        if from == Role::Server {
            self.server_lost.get_or_insert(packet);
        }
    }

    fn message(&mut self, m: &Message<'_>) -> Seen {
        match m.from {
            Role::Server => self.server(m),
            // The client's messages (JSON strings, or arrays of them) carry only the
            // application's data.
            Role::Client => Seen::Data,
        }
    }

    fn verdict(&self, end: &Ending, beats: &Beats) -> Option<Verdict> {
        let (by, end_packet, end_ts) = end.first()?;
        if let Some((code, reason, p, _)) = &self.close {
            // The server's close frame, when it came before the session's end (a close frame
            // sent after the client had closed answers it).
            if *p < end_packet || by == Role::Server {
                let after = match &end.close {
                    Some((who, code, _, cp, _)) if cp > p => After::CloseFrame {
                        by: *who,
                        code: *code,
                        packet: *cp,
                    },
                    _ if end_packet > *p => After::Transport {
                        by,
                        how: end
                            .transport
                            .as_ref()
                            .map_or("FIN", |t| t.how.name())
                            .to_string(),
                        packet: end_packet,
                    },
                    _ => After::Nothing,
                };
                let mut evidence = vec![*p];
                if end_packet != *p {
                    evidence.push(end_packet.max(*p));
                }
                return Some(Verdict::new(
                    Some(Role::Server),
                    Why::Closed {
                        code: *code,
                        reason: reason.clone(),
                        packet: *p,
                        after,
                    },
                    evidence,
                ));
            }
        }
        // The server's heartbeat stopped well before the end, and the capture holds all that
        // the server sent. Its period is the cadence of its last beats: a gap of one pair
        // (two `h` 10 ms apart, a server catching up) is no period, and a close the client
        // made on its own a moment later is no heartbeat missed.
        let (Some((hp, ht)), Some(period), None) = (
            self.last_beat,
            self.kept.cadence_before(end_packet),
            self.server_lost,
        ) else {
            return None;
        };
        let quiet = between(ht, end_ts);
        if quiet < MISSED * period {
            return None;
        }
        // Not when the server sent data after its last heartbeat: it was not silent.
        let server_last = beats.side(Role::Server).last_message_before(end_packet);
        if server_last.is_some_and(|(p, _)| p > hp) {
            return None;
        }
        let ending = match (&end.close, &end.transport) {
            (Some((who, _, _, cp, _)), _) if *cp == end_packet => Ended::CloseFrame(*who),
            (_, Some(t)) if t.packet == end_packet => match &t.how {
                EndHow::Stream { frame, .. } => Ended::Stream(t.by, frame.clone()),
                how => Ended::Tcp(t.by, how.name().to_string()),
            },
            _ => Ended::Session(by),
        };
        Some(Verdict::new(
            Some(by),
            Why::HeartbeatStopped {
                period_ms: period,
                beat: hp,
                ending,
                quiet_ms: quiet,
                end_packet,
            },
            vec![hp, end_packet],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::target;

    #[test]
    fn the_raw_websocket_transports_target() {
        assert!(target("/echo/123/a1b2c3d4/websocket"));
        assert!(target("/a/b/echo/950/3oz1var5/websocket?x=1"));
        assert!(target("/123/abc/websocket"));
        assert!(!target("/echo/websocket"));
        assert!(!target("/websocket"));
        assert!(!target("/echo/1.2/abc/websocket"));
        assert!(!target("/echo//abc/websocket"));
        assert!(!target("/echo/123/abc/xhr_streaming"));
        assert!(!target("echo/123/websocket"));
    }
}
