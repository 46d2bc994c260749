//! socket.io over engine.io (protocol versions 3 and 4), as the engine.io and socket.io
//! protocol documents define them. Engine.io packets are text messages whose first
//! character is the type (0 open, 1 close, 2 ping, 3 pong, 4 message, 5 upgrade, 6 noop);
//! a socket.io packet rides in a message packet (0 CONNECT, 1 DISCONNECT, 2 EVENT, 3 ACK,
//! 4 CONNECT_ERROR, 5/6 binary), optionally with a namespace (`/admin,`). In version 4 the
//! server pings and the client answers; in version 3 the client pings.

use super::heartbeat::Beats;
use super::{between, query_value, EndHow, Ending, Machine, Message, Seen, Verdict};
use crate::vocab::said::socketio::{Last, Transport, Why};
use crate::vocab::Role;
use crate::vocab::{Identity, PingFacts};

/// Timers are exact but captures see them a little late or early: a quiet spell counts as a
/// timer running out from this share of its length.
const SLACK: f64 = 0.95;

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct SocketIo {
    eio: u8,
    sid: Option<String>,
    ping_interval: Option<u64>,
    ping_timeout: Option<u64>,
    max_payload: Option<u64>,
    /// The OPEN packet's packet and time.
    open: Option<(u64, crate::vocab::Timestamp)>,
    /// The last socket.io DISCONNECT: who, namespace, packet.
    disconnect: Option<(Role, String, u64)>,
    /// The last CONNECT_ERROR: its message, packet.
    connect_error: Option<(String, u64)>,
    /// The last engine.io CLOSE packet: who, packet.
    close: Option<(Role, u64)>,
    /// A message over maxPayload: who, size, packet.
    too_big: Option<(Role, u64, u64)>,
    /// The last undecodable message: who, packet.
    bad: Option<(Role, u64)>,
    /// The session came from long-polling (`2probe`/`3probe`, or a `sid` in the target).
    upgraded: bool,
    /// The client's engine.io UPGRADE packet (`5`): its packet.
    upgrade: Option<u64>,
    /// The first side whose messages the capture stopped holding whole (a gap, a message
    /// that does not inflate), and from which packet: verdicts that rest on what did not
    /// come (a ping timeout, a close with no DISCONNECT) are withheld from there.
    lost: Option<(Role, u64)>,
}

/// For a request target with socket.io's `EIO=` (and a `socket.io` path or
/// `transport=websocket`): how it names socket.io and its state; `Some(None)` for an EIO
/// other than 3 or 4 (socket.io's, but of no version read here).
pub(crate) fn by_target(target: &str) -> Option<Option<(String, SocketIo)>> {
    let eio = query_value(target, "EIO")?;
    let path = target.split('?').next().unwrap_or_default();
    if !path.contains("socket.io") && query_value(target, "transport") != Some("websocket") {
        return None;
    }
    let v = match eio {
        "3" => 3,
        "4" => 4,
        _ => return Some(None),
    };
    Some(Some((
        format!("request target: EIO={eio}"),
        SocketIo::new(v, query_value(target, "sid")),
    )))
}

impl SocketIo {
    pub fn new(eio: u8, sid: Option<&str>) -> SocketIo {
        SocketIo {
            eio,
            upgraded: sid.is_some(),
            sid: sid
                .filter(|s| s.len() <= Identity::MAX_LEN)
                .map(str::to_string),
            ..SocketIo::default()
        }
    }

    /// The side whose pings the other answers.
    fn pinger(&self) -> Role {
        if self.eio >= 4 {
            Role::Server
        } else {
            Role::Client
        }
    }

    fn socketio_packet(&mut self, m: &Message<'_>, body: &[u8]) {
        let Some((&kind, rest)) = body.split_first() else {
            return;
        };
        // Only a DISCONNECT and a CONNECT_ERROR say anything of an ending.
        if !matches!(kind, b'1' | b'4') {
            return;
        }
        // An optional "/nsp," before the payload.
        let (nsp, payload) = if rest.first() == Some(&b'/') {
            let mut parts = rest.splitn(2, |&b| b == b',');
            (
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
            )
        } else {
            (&b"/"[..], rest)
        };
        let nsp = String::from_utf8_lossy(nsp).into_owned();
        match kind {
            b'1' => self.disconnect = Some((m.from, nsp, m.packet)),
            b'4' if m.from == Role::Server => {
                let text = match serde_json::from_slice::<serde_json::Value>(payload) {
                    Ok(serde_json::Value::String(s)) => s,
                    Ok(v) => v
                        .get("message")
                        .and_then(|x| x.as_str())
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string()),
                    Err(_) => String::from_utf8_lossy(payload).into_owned(),
                };
                self.connect_error = Some((text, m.packet));
            }
            _ => {}
        }
    }
}

impl Machine for SocketIo {
    fn lost(&mut self, from: Role, packet: u64) {
        self.lost.get_or_insert((from, packet));
    }

    fn message(&mut self, m: &Message<'_>) -> Seen {
        if let (Some(max), true) = (self.max_payload, m.from == Role::Client) {
            if m.len > max {
                self.too_big = Some((m.from, m.len, m.packet));
            }
        }
        if !m.text {
            // Binary attachments (version 4) or a binary message packet (version 3).
            return Seen::Data;
        }
        let Some((&kind, body)) = m.bytes.split_first() else {
            self.bad = Some((m.from, m.packet));
            return Seen::Bad;
        };
        match kind {
            b'0' => {
                let Some(v) = serde_json::from_slice::<serde_json::Value>(body)
                    .ok()
                    .filter(|_| m.whole())
                else {
                    self.bad = Some((m.from, m.packet));
                    return Seen::Bad;
                };
                self.sid = v
                    .get("sid")
                    .and_then(|s| s.as_str())
                    .filter(|s| s.len() <= Identity::MAX_LEN)
                    .map(str::to_string);
                self.ping_interval = v.get("pingInterval").and_then(|x| x.as_u64());
                self.ping_timeout = v.get("pingTimeout").and_then(|x| x.as_u64());
                self.max_payload = v.get("maxPayload").and_then(|x| x.as_u64());
                self.open = Some((m.packet, m.ts));
                Seen::Data
            }
            b'1' => {
                self.close = Some((m.from, m.packet));
                Seen::Data
            }
            b'2' if body == b"probe" => {
                self.upgraded = true;
                Seen::Data
            }
            b'3' if body == b"probe" => Seen::Data,
            b'2' => Seen::Ping,
            b'3' => Seen::Pong,
            b'4' => {
                self.socketio_packet(m, body);
                Seen::Data
            }
            b'5' if m.from == Role::Client && body.is_empty() => {
                self.upgrade.get_or_insert(m.packet);
                Seen::Data
            }
            b'5' | b'6' => Seen::Data,
            _ => {
                self.bad = Some((m.from, m.packet));
                Seen::Bad
            }
        }
    }

    fn version(&self) -> Option<String> {
        Some(format!("engine.io {}", self.eio))
    }

    fn negotiated(&self) -> (Option<u64>, Option<u64>) {
        (self.ping_interval, self.ping_timeout)
    }

    fn identities(&self, end: &Ending, beats: &Beats) -> Vec<Identity> {
        // A sid whose OPEN this WebSocket did not carry keeps what a ping timeout is judged
        // from, for the polling connections' timers.
        let ping = self.pending(end, beats);
        self.sid
            .iter()
            .map(|s| Identity {
                kind: "socket.io-sid".into(),
                value: s.clone(),
                connections: Vec::new(),
                connections_total: 0,
                polling_total: 0,
                upgrade_packet: self.upgrade,
                polling: Vec::new(),
                ping,
            })
            .collect()
    }

    fn verdict(&self, end: &Ending, beats: &Beats) -> Option<Verdict> {
        let (by, end_packet, end_ts) = end.first()?;
        if let Some((text, p)) = &self.connect_error {
            return Some(Verdict::new(
                Some(Role::Server),
                Why::ConnectError {
                    eio: self.eio,
                    text: text.clone(),
                    packet: *p,
                },
                vec![*p],
            ));
        }
        if let Some((who, nsp, p)) = &self.disconnect {
            return Some(Verdict::new(
                Some(*who),
                Why::Disconnect {
                    who: *who,
                    namespace: nsp.clone(),
                    packet: *p,
                },
                vec![*p],
            ));
        }
        if let Some((who, size, p)) = self.too_big {
            if by != who {
                return Some(Verdict::new(
                    Some(by),
                    Why::TooBig {
                        who,
                        size,
                        max: self.max_payload.unwrap_or_default(),
                        packet: p,
                        end_packet,
                    },
                    vec![p, end_packet],
                ));
            }
        }
        if let Some((who, p)) = self.close {
            return Some(Verdict::new(
                Some(who),
                Why::Close { who, packet: p },
                vec![p],
            ));
        }
        // What follows rests on messages that did not come (pings, pongs, a DISCONNECT):
        // after the capture lost some of a side's, "nothing came" is unknown.
        if let Some((side, p)) = self.lost.filter(|&(_, p)| p <= end_packet) {
            return Some(Verdict::withheld(Why::Lost { side, from: p }, vec![p]));
        }
        if let Some(v) = self.ping_verdict(by, end_packet, end_ts, beats) {
            return Some(v);
        }
        if let Some((who, p)) = self.bad {
            if who != by {
                return Some(Verdict::new(
                    Some(by),
                    Why::ParseError {
                        who,
                        by,
                        packet: p,
                        end_packet,
                    },
                    vec![p, end_packet],
                ));
            }
        }
        let reset = end
            .transport
            .as_ref()
            .filter(|t| t.how.abrupt() && t.packet == end_packet);
        let how = match reset.map(|t| &t.how) {
            Some(EndHow::Stream { frame, .. }) => Transport::StreamReset(frame.clone()),
            Some(_) => Transport::TcpReset,
            None => Transport::Closed,
        };
        Some(Verdict::new(
            Some(by),
            Why::Transport {
                by,
                how,
                end_packet,
            },
            vec![end_packet],
        ))
    }
}

impl SocketIo {
    /// A ping timeout on either side, when the quiet spell reached the configured timer.
    fn ping_verdict(
        &self,
        by: Role,
        end_packet: u64,
        end_ts: crate::vocab::Timestamp,
        beats: &Beats,
    ) -> Option<Verdict> {
        let (interval, timeout) = (self.ping_interval?, self.ping_timeout?);
        self.facts(by, end_packet, end_ts, beats)
            .judge(interval, timeout, self.open)
    }

    fn facts(
        &self,
        by: Role,
        end_packet: u64,
        end_ts: crate::vocab::Timestamp,
        beats: &Beats,
    ) -> PingFacts {
        let pinger = self.pinger();
        PingFacts {
            pinger,
            by,
            end_packet,
            end_ts,
            // Pings and pongs after the end (a side resumed after the other closed) are
            // not what the end followed.
            unanswered: beats.side(pinger).first_unanswered_app_before(end_packet),
            answered: beats.side(by).app_pongs.last,
            heard: (self.eio < 4)
                .then(|| beats.side(pinger).last_message_before(end_packet))
                .flatten(),
        }
    }

    /// What a ping timeout would be judged from, for a session upgraded from long-polling
    /// whose OPEN the WebSocket did not carry (its timers are in the polling response).
    pub(crate) fn pending(&self, end: &Ending, beats: &Beats) -> Option<PingFacts> {
        if self.ping_interval.is_some() || !self.upgraded {
            return None;
        }
        let (by, end_packet, end_ts) = end.first()?;
        Some(self.facts(by, end_packet, end_ts, beats))
    }
}

/// Whether a ping timeout comes before the verdict `w` (`SocketIo::verdict`'s order): a
/// parse error, or the transport's ending with nothing said before it.
pub(crate) fn below_ping(w: &Why) -> bool {
    matches!(w, Why::ParseError { .. } | Why::Transport { .. })
}

impl PingFacts {
    /// A ping timeout under pingInterval `interval` and pingTimeout `timeout` (ms), the
    /// OPEN at `open` (packet, time), when the quiet spell reached the timer.
    pub(crate) fn judge(
        &self,
        interval: u64,
        timeout: u64,
        open: Option<(u64, crate::vocab::Timestamp)>,
    ) -> Option<Verdict> {
        let (pinger, by, end_packet, end_ts) = (self.pinger, self.by, self.end_packet, self.end_ts);
        let reached = |spell: u64, limit: u64| spell as f64 >= limit as f64 * SLACK;
        if by == pinger {
            // The pinging side gave up: its ping went unanswered for pingTimeout.
            let (p, t) = self.unanswered?;
            let spell = between(t, end_ts);
            return reached(spell, timeout).then(|| {
                Verdict::new(
                    Some(by),
                    Why::PingUnanswered {
                        pinger,
                        packet: p,
                        timeout_ms: timeout,
                        spell_ms: spell,
                        end_packet,
                    },
                    vec![p, end_packet],
                )
            });
        }
        // The answering side gave up: no ping within pingInterval + pingTimeout of the last
        // one it took in. Its pong marks when it did (a ping it never read, sent while it
        // was blocked, is in the capture but did not reset its timer); in engine.io 3, the
        // pinger's last message of any kind restarted the timer.
        let answered = self.answered;
        let (p, t) = self.heard.or(answered).or(open)?;
        let spell = between(t, end_ts);
        let limit = interval + timeout;
        let unread = self.unanswered.map(|u| u.0);
        reached(spell, limit).then(|| {
            let mut evidence = match unread {
                Some(up) => vec![p, up, end_packet],
                None => vec![p, end_packet],
            };
            evidence.sort_unstable();
            evidence.dedup();
            let last = if self.heard.is_some() {
                Last::Heard(p)
            } else if answered.is_some() {
                Last::Pong(p)
            } else {
                Last::Open(p)
            };
            Verdict::new(
                Some(by),
                Why::PingOverdue {
                    by,
                    pinger,
                    last,
                    spell_ms: spell,
                    limit_ms: limit,
                    unread,
                    end_packet,
                },
                evidence,
            )
        })
    }
}
