//! WAMP v2 (the Web Application Messaging Protocol, wamp-proto.org; the IETF draft "The Web
//! Application Messaging Protocol") in every serialization its subprotocols name:
//! `wamp.2.json`, `wamp.2.msgpack`, `wamp.2.cbor` and their `.batched` variants
//! ([`codec`]).
//!
//! In: each side's messages. Out: how the WAMP session opened and ended, from the messages
//! of the session's lifecycle (§"Session Lifecycle"): HELLO `[1, Realm, Details]`, WELCOME
//! `[2, Session, Details]`, ABORT `[3, Details, Reason]` (a session refused before it was
//! established), GOODBYE `[6, Details, Reason]` (a session closed, answered by GOODBYE
//! `wamp.close.goodbye_and_out`), and ERROR `[8, REQUEST.Type, REQUEST.Request, Details,
//! Error, …]`. The verdict names who refused or closed the session with the reason URI in
//! WAMP's words (a URI of the `wamp.close.`/`wamp.error.` namespaces the specification
//! reserves is the cause's label; any other is the peer's words, quoted), the Details'
//! `message` when it has one, and whether the closing GOODBYE was answered: a GOODBYE and
//! its answer before the WebSocket close are a clean end of the WAMP session. With neither,
//! there is no cause: the summary says the session was established and ended with no
//! GOODBYE, and shows the last ERROR with its URI (an ERROR answers one request and ends no
//! session).
//!
//! State per session is constant: the realm, reasons and messages kept are cut to
//! [`KEPT`] bytes each (the first HELLO, the first ABORT or GOODBYE and its answer, the
//! last ERROR), about 1 KiB at most in all, within what a connection is charged
//! (`analyzer::budget::FLOW_BYTES`).

pub(crate) mod codec;

use super::heartbeat::Beats;
use super::{Ending, Machine, Message, Seen, Verdict};
use crate::vocab::said::wamp::{Closing, Error, Why};
use crate::vocab::Role;
use codec::{Msg, Part, Ser};

/// Bytes kept of each wire string (realm, reason, error URI, Details' `message`).
pub(crate) const KEPT: usize = 160;

/// A wire string cut to [`KEPT`] bytes (at a character's boundary).
fn kept(s: &str) -> String {
    let mut end = s.len().min(KEPT);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default().to_string()
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Wamp {
    ser: Ser,
    batched: bool,
    /// The first HELLO: its realm and packet.
    hello: Option<(Option<String>, u64)>,
    /// The first WELCOME's packet.
    welcome: Option<u64>,
    /// The first ABORT or GOODBYE.
    closing: Option<Closing>,
    /// The other side's GOODBYE that answered it: its reason and packet.
    answer: Option<(String, u64)>,
    /// The last ERROR.
    error: Option<Error>,
    /// The first packet from which each side's messages (client, server) are not all in
    /// the capture.
    lost: [Option<u64>; 2],
}

impl Wamp {
    /// The machine of a session whose subprotocol is `wamp.2.<ser>[.batched]`, or None for
    /// another subprotocol (lowercase).
    pub fn of(subprotocol: &str) -> Option<Wamp> {
        let rest = subprotocol.strip_prefix("wamp.2.")?;
        let (name, batched) = match rest.strip_suffix(".batched") {
            Some(n) => (n, true),
            None => (rest, false),
        };
        let ser = match name {
            "json" => Ser::Json,
            "msgpack" => Ser::MsgPack,
            "cbor" => Ser::Cbor,
            _ => return None,
        };
        Some(Wamp {
            ser,
            batched,
            hello: None,
            welcome: None,
            closing: None,
            answer: None,
            error: None,
            lost: [None, None],
        })
    }

    fn read(&mut self, m: &Message<'_>, msg: &Msg<'_>) {
        let s = |x: &Option<std::borrow::Cow<'_, str>>| x.as_deref().map(kept);
        match msg.kind {
            codec::HELLO if self.hello.is_none() => self.hello = Some((s(&msg.uri), m.packet)),
            codec::WELCOME if self.welcome.is_none() => self.welcome = Some(m.packet),
            codec::ABORT | codec::GOODBYE => match &self.closing {
                None => {
                    self.closing = Some(Closing {
                        from: m.from,
                        abort: msg.kind == codec::ABORT,
                        reason: s(&msg.uri).unwrap_or_default(),
                        message: s(&msg.message),
                        packet: m.packet,
                    });
                }
                Some(c) if !c.abort && msg.kind == codec::GOODBYE && c.from != m.from => {
                    if self.answer.is_none() {
                        self.answer = Some((s(&msg.uri).unwrap_or_default(), m.packet));
                    }
                }
                Some(_) => {}
            },
            codec::ERROR => {
                self.error = Some(Error {
                    from: m.from,
                    request: msg.request,
                    uri: s(&msg.uri).unwrap_or_default(),
                    message: s(&msg.message),
                    packet: m.packet,
                });
            }
            _ => {}
        }
    }
}

impl Machine for Wamp {
    fn message(&mut self, m: &Message<'_>) -> Seen {
        let mut bad = false;
        let mut any = false;
        let (ser, batched) = (self.ser, self.batched);
        codec::each(ser, batched, m.bytes, m.whole(), &mut |p| match p {
            Part::Msg(msg) => {
                any = true;
                self.read(m, &msg);
            }
            Part::Bad => bad = true,
        });
        if bad || !any {
            Seen::Bad
        } else {
            Seen::Data
        }
    }

    fn lost(&mut self, from: Role, packet: u64) {
        if let Some(slot) = self.lost.get_mut(usize::from(from == Role::Server)) {
            slot.get_or_insert(packet);
        }
    }

    fn version(&self) -> Option<String> {
        let batched = if self.batched { ", batched" } else { "" };
        Some(format!("2 ({}{batched})", self.ser.name()))
    }

    fn verdict(&self, end: &Ending, _beats: &Beats) -> Option<Verdict> {
        if let Some(c) = &self.closing {
            return Some(self.closing_verdict(c, end));
        }
        self.open_verdict(end)
    }
}

impl Wamp {
    /// A session that neither side refused nor closed: no cause (an ERROR answers one
    /// request and ends no session), only what the messages show: the session established
    /// and the connection ended under it, and the last ERROR with its URI.
    fn open_verdict(&self, end: &Ending) -> Option<Verdict> {
        if self.welcome.is_none() && self.error.is_none() && self.lost.iter().all(Option::is_none) {
            return None;
        }
        let mut evidence = Vec::new();
        evidence.extend(self.welcome);
        evidence.extend(self.error.as_ref().map(|e| e.packet));
        Some(Verdict::withheld(
            Why::Open {
                welcome: self.welcome,
                error: self.error.clone(),
                lost: self.lost,
                ended: end.first().map(|(by, p, _)| (by, p)),
            },
            evidence,
        ))
    }

    fn closing_verdict(&self, c: &Closing, end: &Ending) -> Verdict {
        let refused_hello = match (&self.hello, self.welcome) {
            (Some((realm, p)), None) if c.abort && c.from == Role::Server => {
                Some((realm.clone(), *p))
            }
            _ => None,
        };
        let answer = self.answer.clone().filter(|_| !c.abort);
        let mut evidence = Vec::new();
        evidence.extend(refused_hello.as_ref().map(|h| h.1));
        evidence.push(c.packet);
        evidence.extend(answer.as_ref().map(|a| a.1));
        Verdict::new(
            Some(c.from),
            Why::Closing {
                closing: c.clone(),
                refused_hello,
                answer,
                close: end.close.as_ref().map(|c| (c.0, c.3)),
                ended: end.first().map(|(by, p, _)| (by, p)),
            },
            evidence,
        )
    }
}
