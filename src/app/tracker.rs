//! One session's application tracker: picks the protocol from the handshake (through
//! [`super::registry`]), feeds its decoder each message and control frame, and at the end
//! makes the session's [`ApplicationReport`].
//!
//! In: the handshake's selected and offered subprotocols and request target, the tap's
//! [`Tapped`] items, the [`Ending`]. Out: the [`ApplicationReport`] of a recognized protocol,
//! with its decoder's verdict typed (`said`) and no words: its cause, summary and fix are
//! made from that verdict where the report is finished (`report::words::app::fill`).
//! Nothing here names a protocol: each is a row of the registry and a [`Machine`].

use super::machine::Seen;
use super::registry::{self, Proto};
use super::{heartbeat, pool, Ending, Keep, Message, Protocol, Tapped};
use crate::vocab::ApplicationReport;
use crate::vocab::{Role, Timestamp};
use serde::{Deserialize, Serialize};

/// One session's application tracker: fed by the WebSocket decoders, finished with the
/// session.
#[derive(Serialize, Deserialize)]
pub struct Tracker {
    protocol: Option<Protocol>,
    recognized_by: String,
    machine: Option<Proto>,
    /// Waiting for a first message that names the protocol (SignalR's handshake).
    sniff: bool,
    beats: heartbeat::Beats,
    messages: u64,
    undecodable: u64,
}

impl std::fmt::Debug for Tracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracker")
            .field("protocol", &self.protocol)
            .field("messages", &self.messages)
            .finish_non_exhaustive()
    }
}

impl Tracker {
    /// The tracker of a session whose handshake agreed on `subprotocol` (the server's
    /// `Sec-WebSocket-Protocol`) for the request target `target`.
    pub fn new(subprotocol: Option<&str>, target: Option<&str>) -> Tracker {
        let mut t = Tracker {
            protocol: None,
            recognized_by: String::new(),
            machine: None,
            sniff: true,
            beats: heartbeat::Beats::default(),
            messages: 0,
            undecodable: 0,
        };
        if let Some(sp) = subprotocol.map(str::trim).filter(|s| !s.is_empty()) {
            if let Some((p, m)) = registry::by_subprotocol(sp) {
                t.set(p, format!("Sec-WebSocket-Protocol: {sp}"), m);
                return t;
            }
        }
        if let Some(target) = target {
            if let Some((p, how, m)) = registry::by_target(target) {
                t.set(p, how, m);
            }
        }
        t
    }

    /// The client's offer (`Sec-WebSocket-Protocol` of the request), for a session whose
    /// response selected no subprotocol that names a protocol: a GraphQL offer still names
    /// what the client speaks (graphql-ws's server and strawberry accept such a session,
    /// then close 4406), and the mismatch is read from the offer and the missing selection.
    pub fn offered(mut self, offer: Option<&str>) -> Tracker {
        if self.protocol.is_some() {
            return self;
        }
        if let Some((p, how, m)) = offer.and_then(registry::by_offer) {
            self.set(p, how, m);
        }
        self
    }

    fn set(&mut self, p: Protocol, how: String, m: Proto) {
        self.protocol = Some(p);
        self.recognized_by = how;
        self.machine = Some(m);
        self.sniff = false;
    }

    /// Whether messages are still wanted: a protocol was recognized, or its first message
    /// may still name it.
    pub fn listening(&self) -> bool {
        self.machine.is_some() || self.sniff
    }

    /// What a direction's tap handed over.
    pub(crate) fn tapped(&mut self, from: Role, t: Tapped) {
        match t {
            Tapped::Message {
                text,
                bytes,
                len,
                damaged,
                packet,
                ts,
            } => {
                self.message(&Message {
                    from,
                    text,
                    bytes: &bytes,
                    len,
                    damaged,
                    packet,
                    ts,
                });
                // Its buffer serves a later message (no allocation per message).
                pool::recycle(bytes);
            }
            Tapped::Control { pong, packet, ts } => self.control(from, pong, packet, ts),
            Tapped::Lost { packet } => {
                if let Some(m) = self.machine.as_mut().map(Proto::machine_mut) {
                    m.lost(from, packet);
                }
            }
        }
    }

    /// The protocol, once recognized.
    pub fn protocol(&self) -> Option<Protocol> {
        self.protocol
    }

    /// How much of each message its decoder reads.
    pub fn keep(&self) -> Keep {
        self.protocol.map_or(Keep::All, |p| p.row().keep)
    }

    /// One complete data message.
    pub fn message(&mut self, m: &Message<'_>) {
        if self.sniff {
            self.sniff = false;
            if let Some((p, how, s)) = registry::by_first(m) {
                self.set(p, how.into(), s);
            }
        }
        let Some(machine) = self.machine.as_mut().map(Proto::machine_mut) else {
            return;
        };
        self.messages += 1;
        self.beats.data(m.from, m.packet, m.ts);
        let seen = if m.damaged {
            machine.lost(m.from, m.packet);
            Seen::Bad
        } else {
            machine.message(m)
        };
        match seen {
            Seen::Bad => self.undecodable += 1,
            Seen::Data => {}
            Seen::Ping => self.beats.app(m.from, false, m.packet, m.ts),
            Seen::Keepalive => self.beats.keepalive(m.from, m.packet, m.ts),
            Seen::Pong => self.beats.app(m.from, true, m.packet, m.ts),
        }
        for pong in machine.more_beats() {
            self.beats.app(m.from, pong, m.packet, m.ts);
        }
        if seen == Seen::Bad {
            self.unconfirmed();
        }
    }

    /// Forgets a protocol that its first server message showed not to be there (a target
    /// of SockJS's shape whose server did not open with `o`).
    fn unconfirmed(&mut self) {
        if self.machine.as_ref().is_some_and(|m| m.machine().refused()) {
            *self = Tracker::new(None, None);
            self.sniff = false;
        }
    }

    /// A WebSocket ping (`pong` false) or pong from `from`.
    pub fn control(&mut self, from: Role, pong: bool, packet: u64, ts: Timestamp) {
        self.beats.ws_control(from, pong, packet, ts);
    }

    /// The report, for a recognized protocol only: its verdict typed (`said`), its cause,
    /// summary and fix left to `report::words::app::fill`.
    pub fn finish(&self, end: &Ending) -> Option<ApplicationReport> {
        let p = self.protocol?;
        let machine = self.machine.as_ref()?.machine();
        if !machine.confirmed() {
            return None;
        }
        let (ended_by, evidence, said) = match machine.verdict(end, &self.beats) {
            Some(v) => (v.ended_by, v.evidence, Some(Box::new(v.said))),
            None => (None, Vec::new(), None),
        };
        let (interval, timeout) = machine.negotiated();
        let related = machine.identities(end, &self.beats);
        let (p, recognized_by) = match machine.spoken() {
            Some((spoken, how)) => (spoken, format!("{}; {how}", self.recognized_by)),
            None => (p, self.recognized_by.clone()),
        };
        Some(ApplicationReport {
            protocol: p.name().to_string(),
            version: machine.version(),
            recognized_by,
            ended_by,
            cause: None,
            summary: None,
            fix: None,
            evidence,
            heartbeat: self.beats.report(interval, timeout),
            related,
            messages: self.messages,
            undecodable: self.undecodable,
            said,
            long_polling: None,
        })
    }
}
