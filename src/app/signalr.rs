//! ASP.NET Core SignalR over WebSocket (its HubProtocol.md): the client's handshake
//! `{"protocol":"json","version":1}` and the server's answer (`{}` or an `error`), each
//! record ending in 0x1E; then records of a `type`: 6 Ping, 7 Close (`error`,
//! `allowReconnect`; the server's, or the client's own when it stops on purpose, as the
//! JavaScript client 10 does). With the MessagePack protocol the records are binary, each a
//! length-prefixed array whose first item is the type. By default the server pings every
//! 15 s and each side gives up after 30 s without a message; the JavaScript client gives up
//! (serverTimeoutInMilliseconds) by closing the WebSocket without a Close record.

use super::heartbeat::Beats;
use super::{between, Ending, Machine, Message, Seen, Verdict};
use crate::vocab::said::signalr::Why;
use crate::vocab::Role;

/// SignalR's default timeouts: the client's serverTimeoutInMilliseconds and the server's
/// ClientTimeoutInterval (ms).
const DEFAULT_TIMEOUT_MS: u64 = 30_000;

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct SignalR {
    protocol: String,
    version: Option<u64>,
    /// The server's handshake answer: `None` before it, then its error if any.
    answered: bool,
    handshake_error: Option<(String, u64)>,
    /// The first Close record: who sent it, its error, allowReconnect, packet.
    close: Option<(Role, Option<String>, Option<bool>, u64)>,
}

/// For a session's first message: SignalR's state when it is the client's handshake
/// (a whole text message, the record `{"protocol":…,"version":…}`).
pub(crate) fn first(m: &Message<'_>) -> Option<SignalR> {
    (m.from == Role::Client && m.text && m.whole())
        .then(|| handshake(m.bytes))
        .flatten()
}

/// The SignalR handshake, when a first client message is one.
pub(crate) fn handshake(b: &[u8]) -> Option<SignalR> {
    let record = b.strip_suffix(&[0x1e])?;
    let v: serde_json::Value = serde_json::from_slice(record).ok()?;
    let protocol = v.get("protocol")?.as_str()?.to_string();
    let version = v.get("version")?.as_u64();
    (v.as_object()?.len() == 2).then_some(SignalR {
        protocol,
        version,
        ..SignalR::default()
    })
}

impl SignalR {
    /// One JSON record.
    fn json_record(&mut self, m: &Message<'_>, r: &[u8]) -> Seen {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(r) else {
            return Seen::Bad;
        };
        if m.from == Role::Server && !self.answered {
            self.answered = true;
            if let Some(e) = v.get("error").and_then(|e| e.as_str()) {
                self.handshake_error = Some((e.to_string(), m.packet));
            }
            return Seen::Data;
        }
        match v.get("type").and_then(|t| t.as_u64()) {
            Some(6) => Seen::Keepalive,
            Some(7) => {
                let error = v.get("error").and_then(|e| e.as_str()).map(str::to_string);
                let again = v.get("allowReconnect").and_then(|a| a.as_bool());
                self.close.get_or_insert((m.from, error, again, m.packet));
                Seen::Data
            }
            Some(1..=5) => Seen::Data,
            _ => Seen::Bad,
        }
    }

    /// One MessagePack record (after its length prefix): a fixarray whose first item is the type.
    fn msgpack_record(&mut self, m: &Message<'_>, r: &[u8]) -> Seen {
        let (Some(&head), Some(&kind)) = (r.first(), r.get(1)) else {
            return Seen::Bad;
        };
        if head & 0xf0 != 0x90 {
            return Seen::Bad;
        }
        match kind {
            6 => Seen::Keepalive,
            7 => {
                // [7, error (nil or str), allowReconnect (bool; may be left out)]
                let Some((error, rest)) = msgpack_str(r.get(2..).unwrap_or_default()) else {
                    return Seen::Bad;
                };
                let again = match (head & 0x0f, rest.first()) {
                    (3.., Some(0xc3)) => Some(true),
                    (3.., Some(0xc2)) => Some(false),
                    _ => None,
                };
                self.close.get_or_insert((m.from, error, again, m.packet));
                Seen::Data
            }
            1..=5 => Seen::Data,
            _ => Seen::Bad,
        }
    }
}

impl Machine for SignalR {
    fn message(&mut self, m: &Message<'_>) -> Seen {
        if m.from == Role::Client && self.close.is_none() && !self.answered && m.text {
            // The handshake itself (sniffed already).
            if handshake(m.bytes).is_some() {
                return Seen::Data;
            }
        }
        let mut seen = Seen::Bad;
        if m.text || !self.answered {
            for r in m.bytes.split(|&b| b == 0x1e).filter(|r| !r.is_empty()) {
                seen = self.json_record(m, r);
            }
            return seen;
        }
        let mut b = m.bytes;
        while !b.is_empty() {
            let mut len = 0usize;
            let mut n = 0;
            for (i, &byte) in b.iter().take(5).enumerate() {
                len |= usize::from(byte & 0x7f) << (7 * i);
                n = i + 1;
                if byte & 0x80 == 0 {
                    break;
                }
            }
            let Some(r) = b.get(n..n + len) else {
                break;
            };
            seen = self.msgpack_record(m, r);
            b = b.get(n + len..).unwrap_or_default();
        }
        seen
    }

    fn version(&self) -> Option<String> {
        Some(match self.version {
            Some(v) => format!("{} protocol, version {v}", self.protocol),
            None => format!("{} protocol", self.protocol),
        })
    }

    fn negotiated(&self) -> (Option<u64>, Option<u64>) {
        (None, None)
    }

    fn verdict(&self, end: &Ending, beats: &Beats) -> Option<Verdict> {
        let (by, end_packet, end_ts) = end.first()?;
        if let Some((e, p)) = &self.handshake_error {
            return Some(Verdict::new(
                Some(Role::Server),
                Why::HandshakeError {
                    error: e.clone(),
                    packet: *p,
                },
                vec![*p],
            ));
        }
        if let Some((Role::Client, _, _, p)) = &self.close {
            return Some(Verdict::new(
                Some(Role::Client),
                Why::ClientClosed { packet: *p },
                vec![*p],
            ));
        }
        if let Some((Role::Server, error, reconnect, p)) = &self.close {
            return Some(Verdict::new(
                Some(Role::Server),
                Why::ServerClosed {
                    error: error.clone(),
                    reconnect: *reconnect,
                    packet: *p,
                },
                vec![*p],
            ));
        }
        let other = by.peer();
        let (p, t) = beats.side(other).last_message_before(end_packet)?;
        let quiet = between(t, end_ts);
        // Past the default timeout; else, for the client, a serverTimeoutInMilliseconds set
        // shorter than the default: the server had been sending at a steady cadence, pings
        // included, then nothing for twice that long, and the client closed without the
        // Close record it sends when stopped on purpose.
        let every = if quiet as f64 >= DEFAULT_TIMEOUT_MS as f64 * 0.95 {
            None
        } else if by == Role::Client {
            Some(cadence(beats, other, end_packet).filter(|&g| quiet >= 2 * g)?)
        } else {
            return None;
        };
        Some(Verdict::new(
            Some(by),
            Why::Timeout {
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

/// A MessagePack nil or string at the start of `b` (fixstr, str 8, str 16), and what
/// follows it; None when it is neither, or cut.
fn msgpack_str(b: &[u8]) -> Option<(Option<String>, &[u8])> {
    let (&first, rest) = b.split_first()?;
    let (n, rest) = match first {
        0xc0 => return Some((None, rest)),
        0xa0..=0xbf => (usize::from(first & 0x1f), rest),
        0xd9 => (usize::from(*rest.first()?), rest.get(1..)?),
        0xda => (
            usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?])),
            rest.get(2..)?,
        ),
        _ => return None,
    };
    let s = String::from_utf8_lossy(rest.get(..n)?).into_owned();
    Some((Some(s), rest.get(n..)?))
}

/// The cadence of `side`'s last data messages before `end` (ms), when they include at
/// least two of its pings: several intervals that agree ([`super::Recent::cadence`]), never
/// one gap. None when too few were seen, or they came at no cadence.
fn cadence(beats: &Beats, side: Role, end: u64) -> Option<u64> {
    let s = beats.side(side);
    if s.app_pings.n < 2 {
        return None;
    }
    s.messages.cadence_before(end)
}
