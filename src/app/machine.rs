//! What a protocol's decoder is to the tracker: a [`Machine`] fed each data message, which
//! says what each was ([`Seen`]) and gives a [`Verdict`] at the end.
//!
//! In: messages, losses and the ending. Out: the verdict and the facts of the report
//! (version, negotiated heartbeat, identities). Hooks with a default (confirmed, refused)
//! let a protocol that is only guessed from its target (SockJS) be confirmed or forgotten by
//! its first server message, without the tracker naming it.

use super::heartbeat::Beats;
use super::{Ending, Message, Protocol};
use crate::vocab::Role;
use crate::vocab::{AppSaid, Identity};

/// The verdict a protocol decoder gives at the end: who ended the session, what the
/// messages said of it (typed, [`AppSaid`]: its words are made where the report is
/// finished, `report::words::app`), and the packets that show it.
#[derive(Debug)]
pub(crate) struct Verdict {
    pub ended_by: Option<Role>,
    pub said: AppSaid,
    pub evidence: Vec<u64>,
}

impl Verdict {
    /// The verdict that `ended_by` ended the session, for the reason `said`.
    pub(crate) fn new(
        ended_by: Option<Role>,
        said: impl Into<AppSaid>,
        evidence: Vec<u64>,
    ) -> Verdict {
        Verdict {
            ended_by,
            said: said.into(),
            evidence,
        }
    }

    /// A verdict withheld (no side named, no cause): what the capture lacks, in `said`.
    pub(crate) fn withheld(said: impl Into<AppSaid>, evidence: Vec<u64>) -> Verdict {
        Verdict::new(None, said, evidence)
    }
}

/// What one data message was to its protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// It could not be decoded.
    Bad,
    /// A message of the protocol's own (not a heartbeat).
    Data,
    /// The protocol's heartbeat request (engine.io ping, MQTT PINGREQ, …).
    Ping,
    /// A heartbeat that asks for no answer (a STOMP heart-beat, a SignalR or Action Cable
    /// ping): counted as the side's ping, never as unanswered.
    Keepalive,
    /// Its answer.
    Pong,
}

/// One protocol's state over a session.
pub(crate) trait Machine {
    /// Reads one data message.
    fn message(&mut self, m: &Message<'_>) -> Seen;
    /// Heartbeats the last message carried besides the one [`Machine::message`] returned
    /// (if any), in order (`true` a pong): a byte-stream protocol's message may carry
    /// several (two PINGREQs in one message are two pings, as in two messages).
    fn more_beats(&mut self) -> Vec<bool> {
        Vec::new()
    }
    /// From `packet` on, `from`'s messages are not all there: one the capture does not hold
    /// whole (a gap, or it does not inflate), or none at all (the WebSocket decoding stopped
    /// at a gap). A protocol that is a byte stream loses its place by it.
    fn lost(&mut self, _from: Role, _packet: u64) {}
    /// The verdict at the end, from what the messages showed and how the session ended.
    fn verdict(&self, end: &Ending, beat: &Beats) -> Option<Verdict>;
    /// The version the messages or handshake named.
    fn version(&self) -> Option<String> {
        None
    }
    /// The heartbeat the protocol negotiated: (interval, timeout) in ms, when known.
    fn negotiated(&self) -> (Option<u64>, Option<u64>) {
        (None, None)
    }
    /// The identities the session carries, by which it is linked to others (at the end, so
    /// that one may keep what is judged of it later with the others' facts).
    fn identities(&self, _end: &Ending, _beats: &Beats) -> Vec<Identity> {
        Vec::new()
    }
    /// Whether the messages confirm the protocol recognized (a guess from the target alone
    /// is confirmed by the server's first message): the report gives it only then.
    fn confirmed(&self) -> bool {
        true
    }
    /// Whether the messages showed the protocol recognized is not there: the tracker
    /// forgets it.
    fn refused(&self) -> bool {
        false
    }
    /// The protocol both sides' messages show, where it is not the one recognized (both
    /// GraphQL protocols share the name `graphql-ws`'s history): with how it shows.
    fn spoken(&self) -> Option<(Protocol, String)> {
        None
    }
}
