//! HTTP/2 that stopped being read, in words: why a direction or its HPACK state was lost
//! ([`stopped`]) and the RFC 9113 rule a frame broke ([`broke`]).
//!
//! In: the values (`vocab::H2Stop`, `vocab::H2Broke`). Out: the clauses an `h2-lost` or
//! `handshake-invalid` finding says (`words/finding.rs`).

use crate::vocab::{h2_error_name, h2_frame_name, H2Broke, H2Stop, HpackProblem, Role};

/// A frame type by its RFC 9113 name, or "unknown type 0x.." for one it does not define.
pub fn frame_type(kind: u8) -> String {
    match h2_frame_name(kind) {
        Some(name) => name.to_string(),
        None => format!("unknown type 0x{kind:02x}"),
    }
}

/// An error code by its §7 name, or in hex.
fn code(c: u32) -> String {
    match h2_error_name(c) {
        Some(name) => name.to_string(),
        None => format!("0x{c:x}"),
    }
}

/// The rule a frame broke.
pub fn broke(b: &H2Broke) -> String {
    let t = |k: u8| frame_type(k);
    match *b {
        H2Broke::Incomplete { needed } => format!("{needed} more bytes needed"),
        H2Broke::TooLarge { kind, len, limit } => format!(
            "{} frame of {len} bytes over the {limit}-byte limit (RFC 9113 §4.2)",
            t(kind)
        ),
        H2Broke::PadLengthMissing { kind } => format!(
            "{} frame with PADDED set has no pad length byte (RFC 9113 §6.1)",
            t(kind)
        ),
        H2Broke::Padding { kind, pad_len, len } => format!(
            "{} frame of {len} bytes with {pad_len} bytes of padding: padding must be shorter than the payload (RFC 9113 §6.1)",
            t(kind)
        ),
        H2Broke::BadLength { kind, len } => format!(
            "{} frame of {len} bytes has the wrong length (RFC 9113 §6)",
            t(kind)
        ),
        H2Broke::StreamZero { kind } => format!("{} frame on stream 0 (RFC 9113 §6)", t(kind)),
        H2Broke::NotStreamZero { kind, stream } => format!(
            "{} frame on stream {stream}: it belongs to stream 0 (RFC 9113 §6)",
            t(kind)
        ),
        H2Broke::BadSetting { id, value } => format!(
            "SETTINGS parameter 0x{id:x} = {value} is out of range (RFC 9113 §6.5.2, RFC 8441 §3)"
        ),
        H2Broke::SettingsAckWithPayload { len } => {
            format!("SETTINGS ACK with a {len}-byte payload (RFC 9113 §6.5)")
        }
        H2Broke::FirstNotSettings { kind } => {
            format!("first frame is {}, not SETTINGS (RFC 9113 §3.4)", t(kind))
        }
        H2Broke::UnexpectedContinuation { stream } => format!(
            "CONTINUATION on stream {stream} with no header block open (RFC 9113 §6.10)"
        ),
        H2Broke::ExpectedContinuation { open, kind, stream } => format!(
            "{} frame on stream {stream} inside the header block of stream {open}: only CONTINUATION may follow (RFC 9113 §6.10)",
            t(kind)
        ),
        H2Broke::PushFromClient => "PUSH_PROMISE from the client (RFC 9113 §8.4)".to_string(),
    }
}

/// What the HPACK reader met in a block it could not decode, in words ("HPACK decoding
/// failed: … (RFC 7541)").
pub fn hpack_problem(p: HpackProblem) -> String {
    let what = match p {
        HpackProblem::IntegerTooLarge => "an integer over 32 bits".to_string(),
        HpackProblem::EndsInsideInteger => "the block ends inside an integer".to_string(),
        HpackProblem::EndsInsideString => "the block ends inside a string".to_string(),
        HpackProblem::HuffmanEos => "a Huffman-coded string holds the EOS symbol".to_string(),
        HpackProblem::HuffmanPadding => {
            "a Huffman-coded string ends with padding longer than 7 bits or not all ones"
                .to_string()
        }
        HpackProblem::SizeUpdateAfterField => {
            "a dynamic table size update after a header field".to_string()
        }
        HpackProblem::SizeUpdateOverLimit { size, allowed } => format!(
            "a dynamic table size update to {size} bytes, over the {allowed} the receiver allowed"
        ),
        HpackProblem::NoEntry { index, dynamic } => {
            format!("index {index} is not in the table (61 static and {dynamic} dynamic entries)")
        }
    };
    format!("HPACK decoding failed: {what} (RFC 7541)")
}

/// Why side `from`'s HTTP/2 stopped being read, and what that means for the streams.
pub fn stopped(from: Role, s: &H2Stop) -> String {
    let why = match s {
        H2Stop::Gap => "bytes missing from the capture: HTTP/2 framing lost".to_string(),
        H2Stop::NoPreface => "no HTTP/2 client connection preface (RFC 9113 §3.4)".to_string(),
        H2Stop::Frame { broke: b, code: c } => format!("{} ({})", broke(b), code(*c)),
        H2Stop::FrameTooLargeToKeep { kind, len, kept } => format!(
            "{} frame of {len} bytes: longer than the {kept} bytes kept",
            frame_type(*kind)
        ),
        H2Stop::HeaderBlockTooLarge { stream, kept } => {
            format!("header block of stream {stream} longer than the {kept} bytes kept")
        }
        H2Stop::Hpack { stream, why } => {
            format!(
                "header block of stream {stream}: {}",
                hpack_problem(*why)
            )
        }
        H2Stop::NotKeptBeforeUpgrade { cap } => format!(
            "more than {cap} bytes came before the server answered the Upgrade: h2c request, and those past them were not kept"
        ),
    };
    if s.framing_lost() {
        format!("the {from}'s HTTP/2 stream can no longer be read: {why}; nothing after it in this direction is decoded, on any stream")
    } else {
        format!("the {from}'s HTTP/2 header compression state is lost: {why}; streams it opens or answers after this cannot be named")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_rule_names_its_section_and_code() {
        let s = H2Stop::Frame {
            broke: H2Broke::UnexpectedContinuation { stream: 1 },
            code: 1,
        };
        let text = stopped(Role::Client, &s);
        assert!(
            text.contains("§6.10") && text.contains("(PROTOCOL_ERROR)"),
            "{text}"
        );
        assert_eq!(frame_type(0xee), "unknown type 0xee");
        let hpack = H2Stop::Hpack {
            stream: 3,
            why: HpackProblem::IntegerTooLarge,
        };
        assert!(stopped(Role::Server, &hpack).contains("header compression state is lost"));
    }
}
