//! MQTT 3.1, 3.1.1 and 5.0 over WebSocket (binary messages, MQTT 3.1.1 §6 / MQTT 5 §6):
//! CONNECT (client id, keep alive, clean start), CONNACK and its refusal, PINGREQ and
//! PINGRESP, DISCONNECT and its reason code (MQTT 5 §3.14.2.1). A broker may drop a client
//! that sends nothing for one and a half times its keep alive (3.1.1 §3.1.2.10, 5 §3.1.2.10).
//! Each message is read as starting on a packet boundary, as every common library sends.

use super::heartbeat::Beats;
use super::{between, ms, quote, Ending, Identity, Machine, Message, Seen, Verdict};
use crate::flow::Role;

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Mqtt {
    /// Protocol level: 3 (3.1), 4 (3.1.1), 5.
    level: Option<u8>,
    client_id: Option<String>,
    keep_alive_s: Option<u16>,
    clean: Option<bool>,
    /// A refusing CONNACK: reason code, packet.
    refused: Option<(u8, u64)>,
    /// The first DISCONNECT: who, reason code, packet.
    disconnect: Option<(Role, u8, u64)>,
    /// MQTT 5: the Maximum Packet Size the broker gave in CONNACK, and that packet.
    max_packet: Option<(u32, u64)>,
    /// The first client packet over it: its type, its size, its packet.
    too_large: Option<(u8, usize, u64)>,
}

/// The Maximum Packet Size (property 0x27) among MQTT 5 properties `props` (§2.2.2.2).
fn max_packet_size(mut props: &[u8]) -> Option<u32> {
    while let Some((&id, rest)) = props.split_first() {
        let size = match id {
            0x01 | 0x17 | 0x19 | 0x24 | 0x25 | 0x28 | 0x29 | 0x2A => 1,
            0x13 | 0x21 | 0x22 | 0x23 => 2,
            0x02 | 0x11 | 0x18 | 0x27 => 4,
            0x0B => varint(rest)?.1,
            0x03 | 0x08 | 0x12 | 0x15 | 0x1A | 0x1C | 0x1F | 0x09 | 0x16 => {
                2 + usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?]))
            }
            0x26 => {
                let k = 2 + usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?]));
                let v = rest.get(k..)?;
                k + 2 + usize::from(u16::from_be_bytes([*v.first()?, *v.get(1)?]))
            }
            _ => return None,
        };
        if id == 0x27 {
            let b: [u8; 4] = rest.get(..4)?.try_into().ok()?;
            return Some(u32::from_be_bytes(b));
        }
        props = rest.get(size..)?;
    }
    None
}

/// The name of an MQTT control packet type (§2.1.2).
fn packet_name(kind: u8) -> &'static str {
    match kind {
        1 => "CONNECT",
        3 => "PUBLISH",
        8 => "SUBSCRIBE",
        10 => "UNSUBSCRIBE",
        15 => "AUTH",
        _ => "packet",
    }
}

/// The remaining length (MQTT's variable byte integer) at the start of `b`: (value, bytes).
fn varint(b: &[u8]) -> Option<(usize, usize)> {
    let mut v = 0usize;
    for (i, &byte) in b.iter().take(4).enumerate() {
        v |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// A length-prefixed string at `at`: (text, next position).
fn string(b: &[u8], at: usize) -> Option<(String, usize)> {
    let len = usize::from(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]));
    let s = b.get(at + 2..at + 2 + len)?;
    Some((String::from_utf8_lossy(s).into_owned(), at + 2 + len))
}

/// MQTT 3.1.1's CONNACK return codes (§3.2.2.3).
fn connack_v3(code: u8) -> &'static str {
    match code {
        1 => "unacceptable protocol version",
        2 => "identifier rejected",
        3 => "server unavailable",
        4 => "bad user name or password",
        5 => "not authorized",
        _ => "reserved return code",
    }
}

/// MQTT 5's reason codes (§2.4), as CONNACK and DISCONNECT use them.
fn reason_v5(code: u8) -> &'static str {
    match code {
        0x00 => "normal disconnection",
        0x04 => "disconnect with will message",
        0x80 => "unspecified error",
        0x81 => "malformed packet",
        0x82 => "protocol error",
        0x83 => "implementation specific error",
        0x84 => "unsupported protocol version",
        0x85 => "client identifier not valid",
        0x86 => "bad user name or password",
        0x87 => "not authorized",
        0x88 => "server unavailable",
        0x89 => "server busy",
        0x8A => "banned",
        0x8B => "server shutting down",
        0x8C => "bad authentication method",
        0x8D => "keep alive timeout",
        0x8E => "session taken over",
        0x8F => "topic filter invalid",
        0x90 => "topic name invalid",
        0x93 => "receive maximum exceeded",
        0x94 => "topic alias invalid",
        0x95 => "packet too large",
        0x96 => "message rate too high",
        0x97 => "quota exceeded",
        0x98 => "administrative action",
        0x99 => "payload format invalid",
        0x9A => "retain not supported",
        0x9B => "QoS not supported",
        0x9C => "use another server",
        0x9D => "server moved",
        0x9E => "shared subscriptions not supported",
        0x9F => "connection rate exceeded",
        0xA0 => "maximum connect time",
        0xA1 => "subscription identifiers not supported",
        0xA2 => "wildcard subscriptions not supported",
        _ => "unknown reason code",
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

impl Mqtt {
    fn level_name(&self) -> Option<&'static str> {
        self.level.map(|l| match l {
            3 => "3.1",
            4 => "3.1.1",
            5 => "5.0",
            _ => "unknown",
        })
    }

    fn v5(&self) -> bool {
        self.level == Some(5)
    }

    fn reason(&self, code: u8, connack: bool) -> &'static str {
        if connack && !self.v5() {
            connack_v3(code)
        } else {
            reason_v5(code)
        }
    }

    fn connect(&mut self, body: &[u8]) -> Option<()> {
        let (name, at) = string(body, 0)?;
        if name != "MQTT" && name != "MQIsdp" {
            return None;
        }
        let level = *body.get(at)?;
        let flags = *body.get(at + 1)?;
        let keep = u16::from_be_bytes([*body.get(at + 2)?, *body.get(at + 3)?]);
        let mut at = at + 4;
        self.level = Some(level);
        self.keep_alive_s = Some(keep);
        self.clean = Some(flags & 0x02 != 0);
        if level == 5 {
            let (props, n) = varint(body.get(at..)?)?;
            at += n + props;
        }
        self.client_id = string(body, at).map(|s| s.0);
        Some(())
    }
}

impl Machine for Mqtt {
    fn message(&mut self, m: &Message<'_>) -> Seen {
        if m.text {
            return Seen::Bad;
        }
        let mut seen = Seen::Bad;
        let mut b = m.bytes;
        while let Some(&first) = b.first() {
            let Some((len, n)) = varint(b.get(1..).unwrap_or_default()) else {
                return Seen::Bad;
            };
            let kind = first >> 4;
            let body = b.get(1 + n..1 + n + len);
            if let (Role::Client, Some((max, _)), None) = (m.from, self.max_packet, self.too_large)
            {
                let size = 1 + n + len;
                if size as u64 > u64::from(max) {
                    self.too_large = Some((kind, size, m.packet));
                }
            }
            seen = match (kind, m.from) {
                (1, Role::Client) => match body.and_then(|body| self.connect(body)) {
                    Some(()) => Seen::Data,
                    None => return Seen::Bad,
                },
                (2, Role::Server) => {
                    let Some(code) = body.and_then(|body| body.get(1)).copied() else {
                        return Seen::Bad;
                    };
                    if code != 0 {
                        self.refused = Some((code, m.packet));
                    }
                    if self.v5() {
                        let props = body
                            .and_then(|b| b.get(2..))
                            .and_then(|b| varint(b).and_then(|(l, n)| b.get(n..n + l)));
                        if let Some(max) = props.and_then(max_packet_size) {
                            self.max_packet = Some((max, m.packet));
                        }
                    }
                    Seen::Data
                }
                (12, _) => Seen::Ping,
                (13, _) => Seen::Pong,
                (14, _) => {
                    let code = body.and_then(|body| body.first()).copied().unwrap_or(0);
                    self.disconnect.get_or_insert((m.from, code, m.packet));
                    Seen::Data
                }
                (0 | 15, _) if !self.v5() || kind == 0 => return Seen::Bad,
                _ => Seen::Data,
            };
            match b.get(1 + n + len..) {
                Some(rest) => b = rest,
                // The packet goes on past what is kept: the rest is not read.
                None => break,
            }
        }
        seen
    }

    fn version(&self) -> Option<String> {
        self.level_name().map(str::to_string)
    }

    fn negotiated(&self) -> (Option<u64>, Option<u64>) {
        let keep = self
            .keep_alive_s
            .filter(|&k| k > 0)
            .map(|k| u64::from(k) * 1000);
        (keep, keep.map(|k| k * 3 / 2))
    }

    fn identities(&self) -> Vec<Identity> {
        self.client_id
            .iter()
            .filter(|c| !c.is_empty())
            .map(|c| Identity {
                upgrade_packet: None,
                polling: Vec::new(),
                ping: None,
                kind: "mqtt-client-id".into(),
                value: c.clone(),
                connections: Vec::new(),
            })
            .collect()
    }

    fn verdict(&self, end: &Ending, beats: &Beats) -> Option<Verdict> {
        let (by, end_packet, end_ts) = end.first()?;
        if let Some((code, p)) = self.refused {
            let name = self.reason(code, true);
            return Some(Verdict::new(
                Some(Role::Server),
                &format!("connection refused: {name}"),
                format!(
                    "the broker refused CONNECT with CONNACK {code:#04x} ({name}) at packet {p}"
                ),
                fix_for(name),
                vec![p],
            ));
        }
        if let Some((who, code, p)) = self.disconnect {
            let name = if self.v5() || code != 0 {
                self.reason(code, false)
            } else {
                "normal disconnection"
            };
            let (cause, summary) = match (who, code) {
                (Role::Client, 0) => (
                    "client disconnected".to_string(),
                    format!("the client sent DISCONNECT at packet {p} (a normal end: the broker closes the connection after it)"),
                ),
                _ => (
                    name.to_string(),
                    format!("the {} sent DISCONNECT with reason {code:#04x} ({name}) at packet {p}", if who == Role::Server { "broker" } else { "client" }),
                ),
            };
            return Some(Verdict::new(
                Some(who),
                &cause,
                summary,
                fix_for(name),
                vec![p],
            ));
        }
        if let (Some((kind, size, p)), Some((max, at)), Role::Server) =
            (self.too_large, self.max_packet, by)
        {
            return Some(Verdict::new(
                Some(Role::Server),
                "packet too large",
                format!(
                    "the client's {} at packet {p} was {size} bytes, over the Maximum Packet Size of {max} the broker gave in CONNACK at packet {at}; the broker closed at packet {end_packet}",
                    packet_name(kind)
                ),
                fix_for("packet too large"),
                vec![at, p, end_packet],
            ));
        }
        let keep = u64::from(self.keep_alive_s.filter(|&k| k > 0)?) * 1000;
        if by == Role::Server {
            // The broker closed with nothing from the client for 1.5 × keep alive.
            let (p, t) = beats.side(Role::Client).last_message_before(end_packet)?;
            let quiet = between(t, end_ts);
            if quiet as f64 >= keep as f64 * 1.5 * 0.95 {
                return Some(Verdict::new(
                    Some(Role::Server),
                    "keep alive timeout",
                    format!(
                        "the client's last packet was at packet {p}; the broker closed {} later at packet {end_packet}, past 1.5 × its keep alive of {} (client id {})",
                        ms(quiet),
                        ms(keep),
                        quote(self.client_id.as_deref().unwrap_or(""))
                    ),
                    fix_for("keep alive timeout"),
                    vec![p, end_packet],
                ));
            }
        } else if let Some((p, t)) = beats.side(Role::Client).first_unanswered_app {
            // The client gave up on a PINGREQ the broker did not answer.
            let quiet = between(t, end_ts);
            if quiet as f64 >= keep as f64 * 0.5 {
                return Some(Verdict::new(
                    Some(Role::Client),
                    "ping response timeout",
                    format!("the client's PINGREQ at packet {p} got no PINGRESP; the client closed {} later at packet {end_packet}", ms(quiet)),
                    "The broker stopped answering: it was overloaded or gone, or the path dropped; check the broker and every proxy between.",
                    vec![p, end_packet],
                ));
            }
        }
        None
    }
}
