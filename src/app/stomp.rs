//! STOMP 1.0, 1.1 and 1.2 over WebSocket (text messages): CONNECT/STOMP and CONNECTED with
//! their `heart-beat` headers (STOMP 1.2 "Heart-beating": each direction beats at the larger
//! of what its sender offers and its receiver wants, none when either says 0), heart-beats
//! (a lone end of line), ERROR (its `message` header and body), DISCONNECT and RECEIPT.

use super::heartbeat::Beats;
use super::{between, Ending, Machine, Message, Seen, Verdict};
use crate::vocab::said::stomp::{Then, Why};
use crate::vocab::Role;

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Stomp {
    /// From the subprotocol (`10`, `11`, `12`), then CONNECTED's `version`.
    version: Option<String>,
    /// The client's and server's `heart-beat` headers: (can send, wants to receive), ms.
    client_beat: Option<(u64, u64)>,
    server_beat: Option<(u64, u64)>,
    /// An ERROR frame: its message, packet.
    error: Option<(String, u64)>,
    /// DISCONNECT: packet, and whether its receipt was answered.
    disconnect: Option<u64>,
    receipt: Option<u64>,
    /// Per side, the first packet from which its frames are not all in the capture (a gap,
    /// one that does not inflate): client's, server's.
    #[serde(default)]
    lost: (Option<u64>, Option<u64>),
}

impl Stomp {
    pub fn new(version: Option<String>) -> Stomp {
        Stomp {
            version: version.map(|v| {
                let (major, minor) = v.split_at(v.len().min(1));
                format!("{major}.{minor}")
            }),
            ..Stomp::default()
        }
    }

    /// The interval each side must beat at (client, server), in ms.
    fn intervals(&self) -> (Option<u64>, Option<u64>) {
        let (Some((cx, cy)), Some((sx, sy))) = (self.client_beat, self.server_beat) else {
            return (None, None);
        };
        let dir = |send: u64, want: u64| (send != 0 && want != 0).then(|| send.max(want));
        (dir(cx, sy), dir(sx, cy))
    }
}

/// The lines of a frame's bytes (split at `\n`, each without its trailing `\r`s).
fn lines(b: &[u8]) -> impl Iterator<Item = &[u8]> + Clone {
    let mut rest = Some(b);
    std::iter::from_fn(move || {
        let r = rest?;
        let line = match memchr::memchr(b'\n', r) {
            Some(i) => {
                rest = r.get(i + 1..);
                r.get(..i).unwrap_or_default()
            }
            None => {
                rest = None;
                r
            }
        };
        let end = line.iter().rposition(|&c| c != b'\r').map_or(0, |i| i + 1);
        Some(line.get(..end).unwrap_or_default())
    })
}

/// `heart-beat:x,y`.
fn beat(v: &str) -> Option<(u64, u64)> {
    let (a, b) = v.split_once(',')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

impl Machine for Stomp {
    fn lost(&mut self, from: Role, packet: u64) {
        let side = match from {
            Role::Client => &mut self.lost.0,
            Role::Server => &mut self.lost.1,
        };
        side.get_or_insert(packet);
    }

    fn message(&mut self, m: &Message<'_>) -> Seen {
        // Heart-beats: nothing but ends of line.
        if !m.bytes.is_empty() && m.bytes.iter().all(|&b| b == b'\n' || b == b'\r') {
            return Seen::Keepalive;
        }
        // The command and headers are read as bytes (every byte that matters is ASCII, and
        // a line or header ends at an ASCII byte, so they split as the text would); only an
        // ERROR's text is converted, as only it is kept.
        let start = m
            .bytes
            .iter()
            .position(|&b| b != b'\r' && b != b'\n')
            .unwrap_or(m.bytes.len());
        let mut lines = lines(m.bytes.get(start..).unwrap_or_default());
        let command = lines.next().unwrap_or_default();
        let header = |name: &[u8]| {
            lines
                .clone()
                .take_while(|l| !l.is_empty())
                .filter_map(|l| {
                    let colon = l.iter().position(|&b| b == b':')?;
                    Some((l.get(..colon)?, l.get(colon + 1..)?))
                })
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v)
        };
        let beat_of = |v: &[u8]| std::str::from_utf8(v).ok().and_then(beat);
        match (command, m.from) {
            (b"CONNECT" | b"STOMP", Role::Client) => {
                self.client_beat = Some(header(b"heart-beat").and_then(beat_of).unwrap_or((0, 0)));
            }
            (b"CONNECTED", Role::Server) => {
                self.server_beat = Some(header(b"heart-beat").and_then(beat_of).unwrap_or((0, 0)));
                if let Some(v) = header(b"version") {
                    self.version = Some(String::from_utf8_lossy(v).into_owned());
                }
            }
            (b"ERROR", Role::Server) => {
                let text = String::from_utf8_lossy(m.bytes);
                let text = text.trim_start_matches(['\r', '\n']);
                let mut lines = text.split('\n').map(|l| l.trim_end_matches('\r'));
                lines.next();
                let mut headers = Vec::new();
                for l in lines.by_ref() {
                    if l.is_empty() {
                        break;
                    }
                    if let Some((k, v)) = l.split_once(':') {
                        headers.push((k, v));
                    }
                }
                let header = |name: &str| headers.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
                let body: String = lines.collect::<Vec<_>>().join("\n");
                // The frame ends with a NUL, and end-of-lines may follow it (heart-beats).
                let body = body.trim_matches(|c: char| c == '\0' || c.is_whitespace());
                let msg = match (header("message"), body.is_empty()) {
                    (Some(h), true) => h.to_string(),
                    (Some(h), false) => format!("{h}: {body}"),
                    (None, _) => body.to_string(),
                };
                self.error.get_or_insert((msg, m.packet));
            }
            (b"DISCONNECT", Role::Client) => {
                self.disconnect.get_or_insert(m.packet);
            }
            (b"RECEIPT", Role::Server) if self.disconnect.is_some() => {
                self.receipt.get_or_insert(m.packet);
            }
            (
                b"SEND" | b"SUBSCRIBE" | b"UNSUBSCRIBE" | b"ACK" | b"NACK" | b"BEGIN" | b"COMMIT"
                | b"ABORT",
                Role::Client,
            )
            | (b"MESSAGE" | b"RECEIPT", Role::Server) => {}
            _ => return Seen::Bad,
        }
        Seen::Data
    }

    fn version(&self) -> Option<String> {
        self.version.clone()
    }

    fn negotiated(&self) -> (Option<u64>, Option<u64>) {
        let (c, s) = self.intervals();
        (c.or(s), None)
    }

    fn verdict(&self, end: &Ending, beats: &Beats) -> Option<Verdict> {
        let (by, end_packet, end_ts) = end.first()?;
        if let Some((msg, p)) = &self.error {
            // STOMP 1.2 "ERROR": the server SHOULD close after it; when it keeps the socket
            // open (RabbitMQ), the client's library closes: a consequence, not a cause.
            let then = match (by, self.disconnect.filter(|&d| d > *p)) {
                (Role::Client, _) => Then::ClientClosed(end_packet),
                (Role::Server, Some(d)) => Then::Disconnected(d, end_packet),
                (Role::Server, None) => Then::ServerClosed(end_packet),
            };
            return Some(Verdict::new(
                Some(Role::Server),
                Why::Error {
                    message: msg.clone(),
                    packet: *p,
                    then,
                },
                vec![*p],
            ));
        }
        if let Some(p) = self.disconnect {
            let mut evidence = vec![p];
            evidence.extend(self.receipt);
            return Some(Verdict::new(
                Some(Role::Client),
                Why::Disconnect {
                    packet: p,
                    receipt: self.receipt,
                },
                evidence,
            ));
        }
        // The side that ended heard nothing from the other for longer than its heart-beat
        // window (STOMP 1.2 "Heart-beating": past it the receiver may consider the
        // connection dead; brokers add a margin, stomp-broker-js 1 s by default).
        let (to_server, to_client) = self.intervals();
        let (other, every) = match (by, to_server, to_client) {
            (Role::Server, Some(every), _) => (Role::Client, every),
            (Role::Client, _, Some(every)) => (Role::Server, every),
            (Role::Server, None, _) => return self.no_reason(end, beats),
            (Role::Client, _, None) => return None,
        };
        // Its heart-beats may be among the bytes the capture lost.
        let lost = match other {
            Role::Client => self.lost.0,
            Role::Server => self.lost.1,
        };
        if let Some(l) = lost.filter(|&l| l <= end_packet) {
            return Some(Verdict::withheld(
                Why::BeatsLost {
                    side: other,
                    from: l,
                },
                vec![l],
            ));
        }
        let Some((p, t)) = beats.side(other).last_message_before(end_packet) else {
            return self.no_reason(end, beats);
        };
        let quiet = between(t, end_ts);
        if quiet <= every {
            return self.no_reason(end, beats);
        }
        Some(Verdict::new(
            Some(by),
            Why::MissedBeats {
                by,
                every_ms: every,
                last: p,
                quiet_ms: quiet,
                end_packet,
            },
            vec![p, end_packet],
        ))
    }
}

impl Stomp {
    /// The server ended a session it had accepted with no STOMP frame saying why: no
    /// ERROR, no DISCONNECT, no heart-beat late, and every frame of both sides in the
    /// capture (one lost could have said it). An operator, a policy or a shutdown of the
    /// broker: the protocol does not say which.
    fn no_reason(&self, end: &Ending, beats: &Beats) -> Option<Verdict> {
        let (by, end_packet, end_ts) = end.first()?;
        if by != Role::Server || self.server_beat.is_none() {
            return None;
        }
        if let Some(l) = [self.lost.0, self.lost.1]
            .into_iter()
            .flatten()
            .filter(|&l| l <= end_packet)
            .min()
        {
            return Some(Verdict::withheld(Why::FramesLost { from: l }, vec![l]));
        }
        let quiet = beats
            .side(Role::Client)
            .last_message_before(end_packet)
            .map(|(p, t)| (p, between(t, end_ts)));
        let client_beat = match (self.intervals().0, quiet) {
            (Some(every), Some((p, q))) => Some((p, q, every)),
            _ => None,
        };
        Some(Verdict::new(
            Some(Role::Server),
            Why::NoReason {
                end_packet,
                client_beat,
            },
            vec![end_packet],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_as_the_text_splits() {
        for b in [
            &b""[..],
            b"\n",
            b"CONNECTED\r\nversion:1.2\r\r\n\r\nbody\n",
            b"MESSAGE\nno end",
            b"\r\n\r\n",
            b"a\xff\n\xc3\nb",
        ] {
            let text = String::from_utf8_lossy(b);
            let want: Vec<String> = text
                .split('\n')
                .map(|l| l.trim_end_matches('\r').to_string())
                .collect();
            let got: Vec<String> = lines(b)
                .map(|l| String::from_utf8_lossy(l).into_owned())
                .collect();
            assert_eq!(got, want, "{text:?}");
        }
    }
}
