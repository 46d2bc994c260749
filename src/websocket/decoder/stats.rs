//! One direction's frame statistics: counts of frames and messages by opcode (RFC 6455
//! §5.2, §5.5-§5.6), the largest frame and message, the last ping, pong and message.
//!
//! In: what the decoder counts as frames end. Out: [`Stats`], stored whole for `freeze` and
//! shown in JSON as [`StatsJson`] (the counts and the largest message).

use super::super::frame::Opcode;
use crate::vocab::Timestamp;

/// One direction's frame statistics. Its serde form is every field when stored (`serial`);
/// JSON (a human-readable serializer) shows `StatsJson`'s, without the marks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(remote = "Self")]
#[non_exhaustive]
pub struct Stats {
    /// Frames sent, of every kind.
    pub frames: u64,
    /// Data messages (text or binary; a fragmented one counts once).
    pub messages: u64,
    /// Text messages.
    pub text_messages: u64,
    /// Binary messages.
    pub binary_messages: u64,
    /// Messages sent compressed (permessage-deflate, RSV1 on the first frame).
    pub compressed_messages: u64,
    /// Pings sent.
    pub pings: u64,
    /// Pongs sent.
    pub pongs: u64,
    /// Payload bytes of every frame (as sent, before any decompression).
    pub payload_bytes: u64,
    /// Largest data message, counting a fragmented one as it grows: (bytes, packet where
    /// it ended, or where it reached that size).
    pub largest_message: Option<(u64, u64)>,
    /// The last frame: its packet and time.
    pub last_frame: Option<(u64, Timestamp)>,
    /// The last frame that was not a close frame (the activity a close follows).
    pub last_non_close: Option<(u64, Timestamp)>,
    /// The last ping: its packet and time.
    pub last_ping: Option<(u64, Timestamp)>,
    /// The last pong: its packet and time.
    pub last_pong: Option<(u64, Timestamp)>,
    /// Largest single frame's payload: (bytes, packet, opcode).
    pub largest_frame: Option<(u64, u64, Opcode)>,
    /// The last complete data message: (opcode, size, packet where it ended).
    pub last_message: Option<(Opcode, u64, u64)>,
}

/// The JSON view of [`Stats`]: the counts and the largest message, in this order; the
/// other fields (packets and times of the last frames) are not shown.
#[derive(serde::Serialize, schemars::JsonSchema)]
#[serde(remote = "Stats", rename = "Stats")]
#[schemars(
    description = "The frames one side sent: counts, and the largest data message as (bytes, packet)."
)]
pub struct StatsJson {
    frames: u64,
    messages: u64,
    text_messages: u64,
    binary_messages: u64,
    compressed_messages: u64,
    pings: u64,
    pongs: u64,
    payload_bytes: u64,
    largest_message: Option<(u64, u64)>,
}

impl serde::Serialize for Stats {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            StatsJson::serialize(self, s)
        } else {
            Stats::serialize(self, s)
        }
    }
}

impl<'de> serde::Deserialize<'de> for Stats {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Stats, D::Error> {
        Stats::deserialize(d)
    }
}
