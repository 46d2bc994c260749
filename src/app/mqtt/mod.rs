//! MQTT 3.1, 3.1.1 and 5.0 over WebSocket (binary messages, MQTT 3.1.1 §6 / MQTT 5 §6):
//! CONNECT (client id, keep alive, clean start), CONNACK and its refusal, PINGREQ and
//! PINGRESP, DISCONNECT and its reason code (MQTT 5 §3.14.2.1). A broker may drop a client
//! that sends nothing for one and a half times its keep alive (3.1.1 §3.1.2.10, 5 §3.1.2.10;
//! in MQTT 5 the CONNACK's Server Keep Alive, §3.2.2.3.14, replaces the client's): the
//! verdict says who ended such a session and how (a close frame, a bare FIN or RST), and a
//! broker that let a client stay silent for twice that long, and ended nothing, did not
//! enforce it.
//! MQTT over WebSocket is a byte stream (§6): a message may carry several packets or part of
//! one (mqtt.js writes each field of a packet as its own message), so each direction is read
//! by a [`stream::Stream`]. A direction whose bytes the capture does not hold whole is out
//! of sync from there: what rests on it (a packet it may have carried, or the absence of
//! one) is not claimed, and the summary says from which packet it is unknown.

mod stream;

use super::heartbeat::Beats;
use super::{between, quote, Ending, Machine, Message, Seen, Verdict};
use crate::vocab::said::mqtt::{How, Refusal, Then, Why};
use crate::vocab::Identity;
use crate::vocab::{Role, Timestamp};
use stream::{Event, Stream};

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
    too_large: Option<(u8, u64, u64)>,
    /// MQTT 5: the Reason String (property 0x1F) of the refusing CONNACK or the first
    /// DISCONNECT, shortened.
    reason_text: Option<String>,
    /// The client's CONNECT: its packet, and whether it gave a user name or password.
    #[serde(default)]
    connect_at: Option<(u64, bool)>,
    /// The first CONNACK, accepting or not: its packet.
    #[serde(default)]
    connack_at: Option<u64>,
    /// What the keep alive is judged by, from the client's first message on (boxed: every
    /// application session's state is as large as the largest protocol's).
    #[serde(default)]
    silence: Option<Box<Silence>>,
    /// The client's byte stream.
    client: Stream,
    /// The broker's byte stream.
    server: Stream,
    /// The PINGREQs and PINGRESPs (`true`) the last message carried, in order, for
    /// [`Machine::more_beats`] (empty between messages).
    #[serde(skip)]
    more: Vec<bool>,
}

/// The keep alive in force and the client's silences.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Silence {
    /// MQTT 5: the Server Keep Alive (property 0x13) of the accepting CONNACK, which the
    /// client must use in place of its own (§3.2.2.3.14).
    server_keep_alive: Option<u16>,
    /// The client's last data message: its packet and time.
    client_last: Option<(u64, Timestamp)>,
    /// The first spell between two client messages of at least [`NOT_ENFORCED`] × 1.5 ×
    /// the keep alive: (packet before, its time, packet after, its time).
    client_quiet: Option<(u64, Timestamp, u64, Timestamp)>,
}

/// The value of property `want` among MQTT 5 properties `props` (§2.2.2.2): its bytes (a
/// string's or binary's without their length).
fn property(mut props: &[u8], want: u8) -> Option<&[u8]> {
    while let Some((&id, rest)) = props.split_first() {
        let two = |at: usize| -> Option<usize> {
            Some(usize::from(u16::from_be_bytes([
                *rest.get(at)?,
                *rest.get(at + 1)?,
            ])))
        };
        let (start, size) = match id {
            0x01 | 0x17 | 0x19 | 0x24 | 0x25 | 0x28 | 0x29 | 0x2A => (0, 1),
            0x13 | 0x21 | 0x22 | 0x23 => (0, 2),
            0x02 | 0x11 | 0x18 | 0x27 => (0, 4),
            0x0B => (0, varint(rest)?.1),
            0x03 | 0x08 | 0x12 | 0x15 | 0x1A | 0x1C | 0x1F | 0x09 | 0x16 => (2, two(0)?),
            0x26 => {
                let k = 2 + two(0)?;
                (0, k + 2 + two(k)?)
            }
            _ => return None,
        };
        if id == want {
            return rest.get(start..start + size);
        }
        props = rest.get(start + size..)?;
    }
    None
}

/// The properties of a CONNACK or DISCONNECT body after its first `skip` bytes.
fn properties(body: &[u8], skip: usize) -> Option<&[u8]> {
    let b = body.get(skip..)?;
    let (len, n) = varint(b)?;
    b.get(n..n + len)
}

/// The Maximum Packet Size (property 0x27) among MQTT 5 properties `props`.
fn max_packet_size(props: &[u8]) -> Option<u32> {
    let b: [u8; 4] = property(props, 0x27)?.try_into().ok()?;
    Some(u32::from_be_bytes(b))
}

/// The Reason String (property 0x1F) among MQTT 5 properties `props`, shortened.
fn reason_string(props: &[u8]) -> Option<String> {
    let s = String::from_utf8_lossy(property(props, 0x1F)?);
    Some(quote(&s))
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

impl Mqtt {
    /// The session's level when CONNECT gave it: MQTT 5 or not.
    fn v5_known(&self) -> Option<bool> {
        self.level.map(|l| l == 5)
    }

    fn stream(&mut self, side: Role) -> &mut Stream {
        match side {
            Role::Client => &mut self.client,
            Role::Server => &mut self.server,
        }
    }

    /// One whole packet from `from`, completed by the message at `packet`; None when it is
    /// not MQTT.
    fn packet(&mut self, from: Role, first: u8, body: &[u8], packet: u64) -> Option<Seen> {
        Some(match (first >> 4, from) {
            (1, Role::Client) => {
                self.connect(body)?;
                let creds = body
                    .get(usize::from(u16::from_be_bytes([*body.first()?, *body.get(1)?])) + 3)
                    .is_some_and(|f| f & 0xC0 != 0);
                self.connect_at.get_or_insert((packet, creds));
                Seen::Data
            }
            (2, Role::Server) => {
                self.connack_at.get_or_insert(packet);
                let code = *body.get(1)?;
                let props = self.v5().then(|| properties(body, 2)).flatten();
                if code != 0 && self.refused.is_none() {
                    self.refused = Some((code, packet));
                    self.reason_text = props.and_then(reason_string);
                }
                if let Some(max) = props.and_then(max_packet_size) {
                    self.max_packet = Some((max, packet));
                }
                if let Some(&[a, b]) = props.and_then(|p| property(p, 0x13)) {
                    self.silence.get_or_insert_default().server_keep_alive =
                        Some(u16::from_be_bytes([a, b]));
                }
                Seen::Data
            }
            (12, _) => Seen::Ping,
            (13, _) => Seen::Pong,
            (14, _) => {
                if self.disconnect.is_none() {
                    let code = body.first().copied().unwrap_or(0);
                    self.disconnect = Some((from, code, packet));
                    if self.v5() && self.refused.is_none() {
                        self.reason_text = properties(body, 1).and_then(reason_string);
                    }
                }
                Seen::Data
            }
            _ => Seen::Data,
        })
    }

    /// What the stream of `m`'s side gave while reading it: the packets' sizes against
    /// the broker's maximum, each packet read, its heartbeats kept for
    /// [`Machine::more_beats`]. False (and the stream is out of sync) when a packet is not
    /// MQTT.
    fn events(&mut self, m: &Message<'_>, events: &mut Vec<Event>) -> bool {
        for e in events.drain(..) {
            match e {
                Event::Header { first, size } => {
                    if let (Role::Client, Some((max, _)), None) =
                        (m.from, self.max_packet, self.too_large)
                    {
                        if size > u64::from(max) {
                            self.too_large = Some((first >> 4, size, m.packet));
                        }
                    }
                }
                Event::Packet { first, body, .. } => {
                    // Each PINGREQ and PINGRESP counts, however the packets were cut
                    // into messages (§6): the tracker takes them from `more_beats`.
                    match self.packet(m.from, first, &body, m.packet) {
                        Some(Seen::Ping) => self.more.push(false),
                        Some(Seen::Pong) => self.more.push(true),
                        Some(_) => {}
                        None => {
                            self.stream(m.from).lose(m.packet);
                            return false;
                        }
                    }
                }
            }
        }
        true
    }

    /// A withheld verdict: `side`'s stream is unknown from `packet`.
    fn unknown(side: Role, packet: u64) -> Verdict {
        Verdict::withheld(Why::Unknown { side, from: packet }, vec![packet])
    }

    /// The first of `sides` out of sync before `packet`, with where.
    fn lost_before(&self, packet: Option<u64>, sides: &[Role]) -> Option<(Role, u64)> {
        sides
            .iter()
            .filter_map(|&side| {
                let s = if side == Role::Client {
                    &self.client
                } else {
                    &self.server
                };
                s.lost
                    .filter(|&at| packet.is_none_or(|p| at < p))
                    .map(|at| (side, at))
            })
            .min_by_key(|&(_, at)| at)
    }
}

impl Machine for Mqtt {
    fn message(&mut self, m: &Message<'_>) -> Seen {
        if m.from == Role::Client {
            self.client_spoke(m.packet, m.ts);
        }
        if m.text {
            // Not part of the byte stream (§6.0: MQTT travels in binary messages only).
            return Seen::Bad;
        }
        let missing = m.len.saturating_sub(m.bytes.len() as u64);
        let mut rest = m.bytes;
        let mut events = Vec::new();
        // A packet at a time: the level a CONNECT gives rules the packets after it in the
        // same message, as in the next message (the report does not depend on how the
        // packets were cut into messages).
        while !rest.is_empty() {
            let v5 = self.v5_known();
            let fed = self
                .stream(m.from)
                .feed_packet(rest, v5, m.packet, &mut events);
            if !self.events(m, &mut events) {
                return Seen::Bad;
            }
            let Some(used) = fed else {
                return Seen::Bad;
            };
            rest = rest.get(used..).unwrap_or_default();
        }
        let ok = self.stream(m.from).absorb(missing, m.packet, &mut events);
        if !self.events(m, &mut events) || !ok {
            return Seen::Bad;
        }
        Seen::Data
    }

    fn more_beats(&mut self) -> Vec<bool> {
        std::mem::take(&mut self.more)
    }

    fn lost(&mut self, from: Role, packet: u64) {
        self.stream(from).lose(packet);
    }

    fn version(&self) -> Option<String> {
        self.level_name().map(str::to_string)
    }

    fn negotiated(&self) -> (Option<u64>, Option<u64>) {
        let keep = self.keep_alive_ms();
        (keep, keep.map(|k| k * 3 / 2))
    }

    fn identities(&self, _end: &Ending, _beats: &Beats) -> Vec<Identity> {
        self.client_id
            .iter()
            .filter(|c| !c.is_empty() && c.len() <= Identity::MAX_LEN)
            .map(|c| Identity {
                upgrade_packet: None,
                polling: Vec::new(),
                ping: None,
                kind: "mqtt-client-id".into(),
                value: c.clone(),
                connections: Vec::new(),
                connections_total: 0,
                polling_total: 0,
            })
            .collect()
    }

    fn verdict(&self, end: &Ending, beats: &Beats) -> Option<Verdict> {
        let Some((by, end_packet, end_ts)) = end.first() else {
            // Still open when the capture ended: only a keep alive left unenforced is said,
            // every byte of both sides in the capture.
            if let Some((side, at)) = self.lost_before(None, &[Role::Client, Role::Server]) {
                return self.not_enforced(end).map(|_| Mqtt::unknown(side, at));
            }
            return self.not_enforced(end);
        };
        if let Some((code, p)) = self.refused {
            return Some(Verdict::new(
                Some(Role::Server),
                Why::Refused {
                    code,
                    name: self.reason(code, true).to_string(),
                    packet: p,
                    reason_text: self.reason_text.clone(),
                },
                vec![p],
            ));
        }
        if let Some((who, code, p)) = self.disconnect {
            // The other side may have ended it first, in bytes that are unknown.
            if let Some((side, at)) = self.lost_before(Some(p), &[who.peer()]) {
                return Some(Mqtt::unknown(side, at));
            }
            let name = if self.v5() || code != 0 {
                self.reason(code, false)
            } else {
                "normal disconnection"
            };
            return Some(Verdict::new(
                Some(who),
                Why::Disconnect {
                    who,
                    code,
                    name: name.to_string(),
                    packet: p,
                    reason_text: self.reason_text.clone(),
                },
                vec![p],
            ));
        }
        // What follows rests on packets neither side sent: not claimed when either side's
        // bytes are unknown before the end (a gap found by the ending packet counts).
        let upto = Some(end_packet.saturating_add(1));
        if let Some((side, at)) = self.lost_before(upto, &[Role::Client, Role::Server]) {
            return Some(Mqtt::unknown(side, at));
        }
        if let (Some((kind, size, p)), Some((max, at)), Role::Server) =
            (self.too_large, self.max_packet, by)
        {
            return Some(Verdict::new(
                Some(Role::Server),
                Why::TooLarge {
                    packet_name: packet_name(kind).to_string(),
                    size,
                    max,
                    at,
                    packet: p,
                    end_packet,
                },
                vec![at, p, end_packet],
            ));
        }
        if let (Role::Server, Some((at, creds)), None) = (by, self.connect_at, self.connack_at) {
            return self.no_connack(end, at, creds);
        }
        let Some(keep) = self.keep_alive_ms() else {
            return self.no_reason(end);
        };
        if by == Role::Server {
            // The broker closed with nothing from the client for 1.5 × keep alive.
            let (p, t) = beats.side(Role::Client).last_message_before(end_packet)?;
            let quiet = between(t, end_ts);
            if quiet as f64 >= keep as f64 * 1.5 * 0.95 {
                return Some(Verdict::new(
                    Some(Role::Server),
                    Why::KeepAliveTimeout {
                        last: p,
                        quiet_ms: quiet,
                        end_packet,
                        how: closed_how(end, end_packet),
                        keep_ms: keep,
                        server_keep_alive: self.server_keep_alive(),
                        client_id: self.client_id.clone().unwrap_or_default(),
                    },
                    vec![p, end_packet],
                ));
            }
            return self.no_reason(end);
        }
        if let Some((p, t)) = beats.side(Role::Client).first_unanswered_app {
            // The client gave up on a PINGREQ the broker did not answer.
            let quiet = between(t, end_ts);
            if quiet as f64 >= keep as f64 * 0.5 {
                return Some(Verdict::new(
                    Some(Role::Client),
                    Why::PingUnanswered {
                        packet: p,
                        quiet_ms: quiet,
                        end_packet,
                    },
                    vec![p, end_packet],
                ));
            }
        }
        self.not_enforced(end)
    }
}

/// How many times the 1.5 × keep alive MQTT gives a broker (§3.1.2.10) a client's silence
/// must last, with the session still open, before the broker is said not to enforce it:
/// brokers check on a timer of their own (RabbitMQ 3.10 closed 2 × later, 6 s after a
/// client of keep alive 2 s fell silent), so a shorter overrun proves nothing.
const NOT_ENFORCED: u64 = 2;

/// How the side that ended at `packet` ended: its close frame, else the transport's ending
/// at that packet.
fn closed_how(end: &Ending, packet: u64) -> How {
    if let Some(c) = end.close.as_ref().filter(|c| c.3 == packet) {
        return How::Frame {
            code: c.1,
            reason: c.2.clone(),
        };
    }
    match end.transport.as_ref().filter(|t| t.packet == packet) {
        Some(t) => How::Transport(t.how.phrase()),
        None => How::Unknown,
    }
}

impl Mqtt {
    /// The keep alive in force, in ms: the MQTT 5 broker's Server Keep Alive, else the
    /// client's CONNECT; None when 0 (no keep alive).
    fn keep_alive_ms(&self) -> Option<u64> {
        self.silence
            .as_ref()
            .and_then(|s| s.server_keep_alive)
            .or(self.keep_alive_s)
            .filter(|&k| k > 0)
            .map(|k| u64::from(k) * 1000)
    }

    /// Whether the keep alive in force is the Server Keep Alive the broker gave in CONNACK
    /// (else the client's CONNECT).
    fn server_keep_alive(&self) -> bool {
        self.silence
            .as_ref()
            .is_some_and(|s| s.server_keep_alive.is_some())
    }

    /// A client data message at `packet`: the first long spell since its last one is kept
    /// (O(1) a message).
    fn client_spoke(&mut self, packet: u64, ts: Timestamp) {
        let keep = self.keep_alive_ms();
        let s = self.silence.get_or_insert_default();
        if let (None, Some((p, t)), Some(keep)) = (s.client_quiet, s.client_last, keep) {
            if between(t, ts) >= keep * 3 / 2 * NOT_ENFORCED {
                s.client_quiet = Some((p, t, packet, ts));
            }
        }
        s.client_last = Some((packet, ts));
    }

    /// The broker accepted the session and let the client stay silent for [`NOT_ENFORCED`]
    /// × 1.5 × its keep alive without closing (between two of the client's packets, or from
    /// its last to the client's own ending or the capture's end): MQTT §3.1.2.10 says it
    /// must close after 1.5 ×. Said only from what the capture holds: both sides' streams
    /// whole up to the end (checked by the caller when the session ended), no ending by the
    /// broker.
    fn not_enforced(&self, end: &Ending) -> Option<Verdict> {
        let first = end.first();
        if first.is_some_and(|(by, _, _)| by == Role::Server)
            || self.refused.is_some()
            || self.disconnect.is_some()
        {
            return None;
        }
        let ended_by = first.map(|f| f.0);
        let accepted = self.connack_at?;
        let keep = self.keep_alive_ms()?;
        let limit = keep * 3 / 2;
        let before_end = |p: u64| first.is_none_or(|(_, e, _)| p < e);
        let said = |from: u64, spell: u64, then: Then| Why::NotEnforced {
            client_id: self.client_id.clone().unwrap_or_default(),
            from,
            spell_ms: spell,
            keep_ms: keep,
            server_keep_alive: self.server_keep_alive(),
            accepted,
            then,
        };
        let silence = self.silence.as_deref()?;
        if let Some((p, t, q, u)) = silence.client_quiet.filter(|q| before_end(q.2)) {
            let then = match first {
                Some((_, e, _)) => Then::NextThenEnded {
                    next: q,
                    end_packet: e,
                    how: closed_how(end, e),
                },
                None => Then::NextThenOpen { next: q },
            };
            return Some(Verdict::new(
                ended_by,
                said(p, between(t, u), then),
                vec![p, q],
            ));
        }
        let (p, t) = silence.client_last.filter(|&(p, _)| before_end(p))?;
        let (to, then, evidence) = match first {
            Some((_, e, at)) => (
                at,
                Then::Ended {
                    end_packet: e,
                    how: closed_how(end, e),
                },
                vec![p, e],
            ),
            None => (end.last_ts?, Then::Open, vec![p]),
        };
        let spell = between(t, to);
        (spell >= limit * NOT_ENFORCED)
            .then(|| Verdict::new(ended_by, said(p, spell, then), evidence))
    }
}

impl Mqtt {
    /// The broker closed before any CONNACK answered the client's CONNECT (at packet `at`,
    /// with credentials when `creds`). MQTT 3.1.1 §3.1.4 and 5 §3.1.4: a broker whose
    /// checks of a CONNECT fail SHOULD send a CONNACK refusing it, and MUST close; some
    /// (RabbitMQ's Web MQTT) close without one, the close frame's reason their only word.
    fn no_connack(&self, end: &Ending, at: u64, creds: bool) -> Option<Verdict> {
        let (_, end_packet, _) = end.first()?;
        let close = end
            .close
            .as_ref()
            .filter(|c| c.0 == Role::Server && c.3 == end_packet);
        // A server failure code decides first (RFC 6455 §7.4.1's 1011, IANA's 1013): the
        // broker failed or was too busy, whatever its reason's words ("auth backend
        // unavailable" is no refused login). Only then does a reason naming a refused login
        // speak: the only word the broker gave.
        let code = close.and_then(|c| c.1);
        let auth = close.is_some_and(|c| names_a_login(&c.2));
        let refusal = if code == Some(1011) {
            Refusal::Failed { v5: self.v5() }
        } else if code == Some(1013) {
            Refusal::Busy
        } else if auth && creds {
            Refusal::Login
        } else {
            Refusal::Unsaid
        };
        Some(Verdict::new(
            Some(Role::Server),
            Why::NoConnack {
                level: self.level_name().map(str::to_string),
                creds,
                at,
                end_packet,
                server_close: close.map(|c| (c.1, c.2.clone())),
                how: closed_how(end, end_packet),
                refusal,
            },
            vec![at, end_packet],
        ))
    }

    /// The broker ended a session it had accepted with no DISCONNECT, no refusal and no
    /// keep alive expired, every byte of both sides in the capture: an operator, a policy
    /// or a shutdown, which MQTT 3.1.1 cannot say (MQTT 5 has DISCONNECT reason codes).
    fn no_reason(&self, end: &Ending) -> Option<Verdict> {
        let (by, end_packet, _) = end.first()?;
        let accepted = self.connack_at?;
        (by == Role::Server).then(|| {
            Verdict::new(
                Some(Role::Server),
                Why::NoReason {
                    accepted,
                    end_packet,
                    v5: self.v5(),
                },
                vec![accepted, end_packet],
            )
        })
    }
}

/// Whether a close reason names a refused login, read word by word (runs of letters and
/// digits, a lower-to-upper case change starting a new word): "auth failed", "NotAuthorized",
/// "bad_password", "unauthenticated" do; "OAuth provider down" and "certificate authority"
/// do not, their letters inside other words.
fn names_a_login(reason: &str) -> bool {
    const WORDS: [&str; 4] = ["auth", "login", "logon", "passwd"];
    const STEMS: [&str; 8] = [
        "authent",
        "authoriz",
        "authoris",
        "unauthent",
        "unauthoriz",
        "unauthoris",
        "password",
        "credential",
    ];
    let (words, n) = crate::close::words(reason);
    words.iter().take(n).any(|w| {
        WORDS.iter().any(|x| w.eq_ignore_ascii_case(x))
            || STEMS
                .iter()
                .any(|s| w.get(..s.len()).is_some_and(|p| p.eq_ignore_ascii_case(s)))
    })
}
