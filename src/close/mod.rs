//! Close frames and what they mean.
//!
//! In: a close frame's unmasked payload (RFC 6455 §5.5.1). Out: a [`CloseFrame`] (`vocab`) with the
//! code (if the payload had one), the reason as text, and every problem with it (§7.4: codes
//! that must never be sent, unassigned codes; §5.5: payload over 125 bytes; a 1-byte
//! payload; a reason that is not UTF-8). `catalog` explains each code; `diagnose` turns a
//! connection's closes and endings into the status each application saw.

pub mod catalog;
pub mod proxies;
pub mod reason;
pub mod timeouts;

use crate::vocab::{CloseFrame, Problem, Role, Timestamp};
use catalog::OnWire;
use serde::{Deserialize, Deserializer};

/// A close frame read from its payload. `payload` is what was kept (unmasked); `complete`
/// is false when part of the frame is missing from the capture. A complete payload may still
/// be kept only in part (a control frame far over 125 bytes): its reason is then checked as
/// far as it was kept.
pub fn parse(
    from: Role,
    payload: &[u8],
    complete: bool,
    payload_len: u64,
    packet: u64,
    ts: Timestamp,
    order: u64,
) -> CloseFrame {
    let mut problems = Vec::new();
    if !complete {
        problems.push(Problem::Truncated);
    }
    if payload_len > 125 {
        problems.push(Problem::TooLong);
    }
    let (code, reason_bytes) = match payload {
        [] => (None, &[][..]),
        [_] => {
            if complete {
                problems.push(Problem::OneBytePayload);
            }
            (None, &[][..])
        }
        [hi, lo, rest @ ..] => (Some(u16::from_be_bytes([*hi, *lo])), rest),
    };
    if let Some(c) = code {
        match catalog::lookup(c).on_wire {
            OnWire::Allowed => {}
            OnWire::Never => problems.push(Problem::CodeNeverSent),
            OnWire::Invalid => problems.push(Problem::CodeInvalid),
        }
    }
    // A reason cut by the capture or the keep cap may end mid-character: judge what
    // is there, forgiving only an unfinished last character where it was cut.
    let cut = !complete || (payload.len() as u64) < payload_len;
    let utf8_ok = match simdutf8::compat::from_utf8(reason_bytes) {
        Ok(_) => true,
        Err(e) => cut && e.error_len().is_none(),
    };
    if !utf8_ok {
        problems.push(Problem::ReasonNotUtf8);
    }
    CloseFrame {
        from,
        code,
        name: code.map(|c| catalog::lookup(c).name),
        reason: String::from_utf8_lossy(reason_bytes).into_owned(),
        payload_len,
        packet,
        time: ts,
        problems,
        order,
        mask_key: None,
    }
}

/// `#[serde(deserialize_with)]` for close frames read back from their stored form, which
/// keeps no name: each is named again from the catalog, as [`parse`] named it.
pub fn named<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<CloseFrame>, D::Error> {
    let mut frames = Vec::<CloseFrame>::deserialize(d)?;
    for f in &mut frames {
        f.name = f.code.map(|c| catalog::lookup(c).name);
    }
    Ok(frames)
}

/// A close reason's words (at most 32: a reason is at most 123 bytes), as slices of it,
/// with how many there are: runs of letters and digits, a lower-to-upper case change
/// starting a new one ("PingTimeout"), so that "auth" is no word of "OAuth". Read by
/// `diagnose::reason` and the MQTT tracker; compared without regard to ASCII case.
pub fn words(reason: &str) -> ([&str; 32], usize) {
    let mut out = [""; 32];
    let mut n = 0;
    let mut start: Option<usize> = None;
    let mut prev_lower = false;
    for (i, ch) in reason.char_indices() {
        let alnum = ch.is_alphanumeric();
        if let Some(s) = start.filter(|_| !alnum || (prev_lower && ch.is_uppercase())) {
            if let Some(slot) = out.get_mut(n) {
                *slot = reason.get(s..i).unwrap_or_default();
                n += 1;
            }
            start = None;
        }
        if alnum && start.is_none() {
            start = Some(i);
        }
        prev_lower = ch.is_lowercase();
    }
    if let (Some(s), Some(slot)) = (start, out.get_mut(n)) {
        *slot = reason.get(s..).unwrap_or_default();
        n += 1;
    }
    (out, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A close frame kept (at most four a direction, in the connection's own heap, which
    /// `analyzer::budget::FLOW_BYTES` covers) is 112 bytes on x86-64: its masking key took
    /// 8 more, its catalog name 16 (the report lists the frame as the decoder kept it).
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_close_frame_is_small() {
        assert_eq!(std::mem::size_of::<CloseFrame>(), 112);
    }

    /// A problem's JSON (its serde name) is the name the schema lists ([`Problem::as_str`]).
    #[test]
    fn a_problems_json_is_its_name() {
        for p in Problem::ALL {
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.as_str()));
        }
    }

    fn p(p: &[u8]) -> CloseFrame {
        parse(Role::Client, p, true, p.len() as u64, 1, Timestamp(0), 0)
    }

    #[test]
    fn code_and_reason() {
        let c = p(b"\x03\xe8bye");
        assert_eq!((c.code, c.reason.as_str()), (Some(1000), "bye"));
        assert!(c.problems.is_empty());
        assert_eq!(c.received_status(), Some(1000));
    }

    #[test]
    fn empty_is_1005_and_one_byte_is_malformed() {
        let c = p(b"");
        assert_eq!((c.code, c.received_status()), (None, Some(1005)));
        assert!(c.problems.is_empty());
        let c = p(b"\x03");
        assert_eq!(c.problems, vec![Problem::OneBytePayload]);
    }

    #[test]
    fn bad_codes_and_reasons() {
        assert_eq!(p(b"\x03\xed").problems, vec![Problem::CodeNeverSent]); // 1005
        assert_eq!(p(b"\x03\xee").problems, vec![Problem::CodeNeverSent]); // 1006
        assert_eq!(p(b"\x03\xec").problems, vec![Problem::CodeInvalid]); // 1004
        assert_eq!(p(b"\x00\x00").problems, vec![Problem::CodeInvalid]);
        assert_eq!(p(b"\x13\x88").problems, vec![Problem::CodeInvalid]); // 5000
        assert!(p(b"\x0f\xa1x").problems.is_empty()); // 4001
        let c = p(b"\x03\xe8\xff\xfe");
        assert_eq!(c.problems, vec![Problem::ReasonNotUtf8]);
        assert_eq!(c.reason, "\u{fffd}\u{fffd}");
        let mut long = b"\x03\xe8".to_vec();
        long.extend(std::iter::repeat_n(b'a', 124));
        assert_eq!(p(&long).problems, vec![Problem::TooLong]);
    }

    #[test]
    fn truncated_code_is_unknown_not_1005() {
        let c = parse(Role::Server, b"\x03", false, 5, 1, Timestamp(0), 0);
        assert_eq!(c.code, None);
        assert_eq!(c.received_status(), None);
        assert_eq!(c.problems, vec![Problem::Truncated]);
    }
}
