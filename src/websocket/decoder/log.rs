//! The frame log the report's timeline reads (`--timeline`): one [`FrameRecord`] per frame
//! (RFC 6455 §5.2 header fields, the packet that completed it, a close code and reason or a
//! short payload preview).
//!
//! In: a finished frame's header, origin and first payload bytes. Out: a [`FrameRecord`],
//! stored whole for `freeze`, shown in JSON as [`FrameRecordJson`].

use crate::vocab::Role;
use crate::vocab::Timestamp;

/// Bytes of a data frame's payload kept for its timeline preview.
pub(super) const PREVIEW_BYTES: usize = 48;

/// One frame as the timeline shows it. Its serde form is every field when stored
/// (`serial`, the opcode's name as the opcode); JSON shows `FrameRecordJson`'s.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(remote = "Self")]
#[non_exhaustive]
pub struct FrameRecord {
    /// Packet in which the frame was completed.
    pub packet: u64,
    /// When that packet was captured.
    pub ts: Timestamp,
    /// Its place among the connection's events, to order frames of one packet.
    pub order: u64,
    /// The side that sent it.
    pub from: Role,
    /// Its opcode's name ("text", "close", ...).
    #[serde(with = "super::super::frame::name_serde")]
    pub opcode: Static,
    /// Whether FIN was set (the last frame of a message).
    pub fin: bool,
    /// The RSV1-3 bits, as a number (RSV1 is 4).
    pub rsv: u8,
    /// Whether the payload was masked.
    pub masked: bool,
    /// Its payload length.
    pub len: u64,
    /// Close code and reason, a shortened text preview, or a note; none when not logged.
    pub detail: Option<String>,
}

/// `&'static str` by another name, for fields whose text comes from a fixed table (written
/// as its code, `#[serde(with)]`): serde's derive takes a field typed `&'static str` for
/// text borrowed from its input, which only a `'static` input could give.
type Static = &'static str;

/// The JSON view of [`FrameRecord`]: every field but the time and the delivery order.
#[derive(serde::Serialize, schemars::JsonSchema)]
#[serde(remote = "FrameRecord", rename = "FrameRecord")]
#[schemars(
    description = "One frame of the timeline (`--timeline`), in the packet that completed it."
)]
pub struct FrameRecordJson {
    packet: u64,
    from: Role,
    opcode: &'static str,
    fin: bool,
    rsv: u8,
    masked: bool,
    len: u64,
    detail: Option<String>,
}

impl serde::Serialize for FrameRecord {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            FrameRecordJson::serialize(self, s)
        } else {
            FrameRecord::serialize(self, s)
        }
    }
}

impl<'de> serde::Deserialize<'de> for FrameRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<FrameRecord, D::Error> {
        FrameRecord::deserialize(d)
    }
}

/// Shortens a preview to `PREVIEW_BYTES` on a character boundary, marking the cut.
pub(super) fn preview_text(bytes: &[u8], total: u64, text: bool) -> String {
    let more = if total > bytes.len() as u64 {
        "…"
    } else {
        ""
    };
    if text {
        let s = String::from_utf8_lossy(bytes);
        let s = s.trim_end_matches('\u{fffd}');
        format!("\"{s}\"{more}")
    } else {
        let hex: Vec<String> = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
        format!("{}{}", hex.join(" "), if total > 16 { " …" } else { "" })
    }
}
