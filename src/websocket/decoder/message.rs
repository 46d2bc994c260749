//! The data message in progress on one direction (RFC 6455 §5.4 fragments, §5.6 text and
//! binary, §8.1 UTF-8; RFC 7692 permessage-deflate): its length, whether it is compressed
//! and being inflated, and its incremental UTF-8 check.
//!
//! In: a message's (unmasked, inflated) payload pieces. Out: the first invalid UTF-8 byte
//! and an inflate failure as findings; the message's sizes for the statistics.

use super::super::deflate::InflateError;
use super::super::utf8::Utf8Stream;
use super::Decoder;
use crate::finding::Findings;
use crate::vocab::{Found, Opcode, Role};

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Message {
    pub(super) opcode: Opcode,
    /// Payload bytes on the wire.
    pub(super) len: u64,
    pub(super) compressed: bool,
    /// Being inflated (compressed, an inflater is available, nothing went wrong yet).
    pub(super) inflate: bool,
    /// Inflated bytes so far.
    pub(super) inflated: u64,
    pub(super) utf8: Option<Utf8Stream>,
    pub(super) truncated: bool,
    pub(super) invalid_reported: bool,
}

/// Feeds a piece of a text message's (inflated) payload to its UTF-8 check; the first
/// invalid byte becomes one finding.
pub(super) fn check_utf8(
    m: &mut Message,
    from: Role,
    piece: &[u8],
    packet: u64,
    findings: &mut Findings,
) {
    let Some(v) = m.utf8.as_mut() else {
        return;
    };
    if let Err(off) = v.push(piece) {
        m.utf8 = None;
        if !m.invalid_reported {
            m.invalid_reported = true;
            let found = Found::InvalidUtf8Text {
                inflated: m.compressed,
                at: off,
                ends_inside: false,
            };
            findings.found(Some(from), Some(packet), found);
        }
    }
}

impl Decoder {
    /// A compressed message could not be inflated: say why, and stop inflating this
    /// direction (its window no longer matches the sender's).
    pub(super) fn inflate_failed(&mut self, e: InflateError, packet: u64, findings: &mut Findings) {
        if let Some(m) = self.msg.as_mut() {
            m.inflate = false;
            m.utf8 = None;
        }
        if let Some(t) = self.tap.as_deref_mut() {
            t.damaged();
        }
        self.last_words.damaged();
        self.inflater = None;
        let found = match e {
            InflateError::Corrupt(why) => Found::InflateFailed { why },
            InflateError::TooLarge { cap } => Found::InflateCapHit { cap },
        };
        findings.found(Some(self.from), Some(packet), found);
    }
}
