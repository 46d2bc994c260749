//! The frame log the report's timeline reads (`--timeline`): one [`FrameRecord`] per frame
//! (RFC 6455 §5.2 header fields, the packet that completed it, a close code and reason or a
//! short payload preview).
//!
//! In: a finished frame's header, origin and first payload bytes. Out: a [`FrameRecord`],
//! stored whole for `freeze`, shown in JSON as [`FrameRecordJson`].

/// Bytes of a data frame's payload kept for its timeline preview.
pub(super) const PREVIEW_BYTES: usize = 48;

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
