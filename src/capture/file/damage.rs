//! What the reader says of an input it cannot read to the end: the warning for a record cut
//! short by the end of the input or whose length fields cannot be, read from those fields,
//! and the error for a file that is no capture at all (empty, a header cut short, an
//! unknown magic number); and what is wrong inside a well-framed pcapng block that does
//! not parse, which is skipped.
//!
//! In: the unparsed rest of the input at the record where reading stopped, its format and
//! byte order; or the error pcap-parser gave for the file's header and the input's first
//! bytes. Out: the words of the warning (which record, at which byte, what is wrong with
//! it, how many packets came before) or the [`Error`].
//!
//! Spec: the length fields of a classic pcap record (the libpcap file format: a 16-byte
//! header whose third word is the captured length) and of a pcapng block
//! (draft-ietf-opsawg-pcapng §3.1: a total length at its start and again at its end, at least
//! 12 and a multiple of 4), the fields inside one (§4.1 byte-order magic, §4.3 captured
//! length, §4.7 secrets length, Appendix A); the magic numbers of both formats.

use super::word;
use crate::error::Error;
use pcap_parser::PcapError;
use std::path::{Path, PathBuf};

/// "record" (classic pcap) or "block" (pcapng).
fn unit(format: &str) -> &'static str {
    if format == "pcapng" {
        "block"
    } else {
        "record"
    }
}

/// "the record after packet 10 (at byte 2048)", or "the first record (at byte 24)".
pub(super) fn which_record(format: &str, n: u64, at: impl std::fmt::Display) -> String {
    let unit = unit(format);
    if n == 0 {
        format!("the first {unit} (at byte {at})")
    } else {
        format!("the {unit} after packet {n} (at byte {at})")
    }
}

/// What became of the `n` packets before the record where reading stopped.
pub(super) fn analyzed_before(n: u64) -> String {
    match n {
        0 => "no packet came before it".to_string(),
        1 => "the packet before it was analyzed".to_string(),
        n => format!("the {n} packets before it were analyzed"),
    }
}

/// The warning for an input whose reading stopped at the record after packet `n`, at byte
/// `at`, because the input ends inside it: what its length fields say is wrong with it.
pub(super) fn cut_warning(problem: Option<Problem>, format: &str, n: u64, at: usize) -> String {
    let which = which_record(format, n, at);
    let before = analyzed_before(n);
    match problem {
        Some(Problem::Damaged(what)) => {
            format!("{which} is damaged: {what}; reading stopped there, and {before}")
        }
        Some(Problem::Short(what)) => {
            format!("the capture is truncated: {which} {what}; {before}")
        }
        None => format!("the capture is truncated: {which} is cut short; {before}"),
    }
}

/// What is wrong with a record that failed to parse, read from its length fields.
pub(super) enum Problem {
    /// The input ends inside it (the file was cut, or its length is too large).
    Short(String),
    /// Its length fields are impossible whatever follows.
    Damaged(String),
}

/// The length a record at the start of `data` declares: a pcapng block's total length, a
/// classic record's 16-byte header plus captured length.
pub(super) fn declared_len(data: &[u8], format: &str, big_endian: bool) -> Option<u64> {
    if format == "pcapng" {
        word(data, 4, big_endian).map(u64::from)
    } else {
        word(data, 8, big_endian).map(|caplen| u64::from(caplen) + 16)
    }
}

/// What the record at the start of `data` declares its length to be, in words.
pub(super) fn declares(data: &[u8], format: &str, big_endian: bool) -> Option<String> {
    let len = declared_len(data, format, big_endian)?;
    Some(if format == "pcapng" {
        format!("declares a block total length of {len} bytes")
    } else {
        format!("declares {} captured bytes", len.saturating_sub(16))
    })
}

/// Why the record at the start of `data` (the unparsed rest of the input; `to_end`: it runs
/// to the end of the input) cannot be read, from its length fields; `None` when they look
/// right.
pub(super) fn record_problem(
    data: &[u8],
    format: &str,
    big_endian: bool,
    to_end: bool,
) -> Option<Problem> {
    record_problem_in(data, data.len() as u64, format, big_endian, to_end)
}

/// [`record_problem`] for a record of which `have` bytes are left in the input, the first
/// of them in `data` (a reader's buffer may hold less than the file does).
pub(super) fn record_problem_in(
    data: &[u8],
    have: u64,
    format: &str,
    big_endian: bool,
    to_end: bool,
) -> Option<Problem> {
    let header = if format == "pcapng" { 8 } else { 16 };
    if data.len() < header {
        return to_end.then(|| {
            Problem::Short(format!(
                "is cut short: only {} of its {header} header bytes are in the file",
                data.len()
            ))
        });
    }
    let len = declared_len(data, format, big_endian)?;
    if format == "pcapng" {
        if len < 12 {
            return Some(Problem::Damaged(format!(
                "its block total length is {len}, less than the 12 bytes of a block's own header and trailer"
            )));
        }
        if len % 4 != 0 {
            return Some(Problem::Damaged(format!(
                "its block total length {len} is not a multiple of 4"
            )));
        }
    }
    if len > have {
        let what = declares(data, format, big_endian)?;
        // Counted as the declared length is: a classic record's captured bytes follow its
        // 16-byte header; a pcapng block's total length includes its own.
        let present = if format == "pcapng" {
            have
        } else {
            have.saturating_sub(16)
        };
        return to_end.then(|| {
            Problem::Short(format!(
                "{what} but only {present} of them are in the file (cut short, or a damaged length)"
            ))
        });
    }
    if format == "pcapng" {
        let trailer = word(data, usize::try_from(len).ok()? - 4, big_endian)?;
        if u64::from(trailer) != len {
            return Some(Problem::Damaged(format!(
                "its trailing block total length {trailer} differs from the leading one, {len}"
            )));
        }
    }
    None
}

/// The type and total length of the pcapng block at the start of `data` when it is whole
/// and well framed in byte order `big_endian` (draft §3.1: a total length of at least 12, a
/// multiple of 4, all of it in `data`, and the same total length again at its end).
pub(crate) fn framed_block(data: &[u8], big_endian: bool) -> Option<(u32, usize)> {
    let kind = word(data, 0, big_endian)?;
    let len = usize::try_from(word(data, 4, big_endian)?).ok()?;
    if len < 12 || !len.is_multiple_of(4) || len > data.len() {
        return None;
    }
    let trailer = word(data, len - 4, big_endian)?;
    (usize::try_from(trailer).ok()? == len).then_some((kind, len))
}

/// The name of a pcapng block type (draft §4.1-4.8, Appendix A), with its article.
pub(super) fn block_name(kind: u32) -> String {
    match kind {
        0x0A0D_0D0A => "a Section Header Block".into(),
        1 => "an Interface Description Block".into(),
        2 => "a Packet Block".into(),
        3 => "a Simple Packet Block".into(),
        4 => "a Name Resolution Block".into(),
        5 => "an Interface Statistics Block".into(),
        6 => "an Enhanced Packet Block".into(),
        9 => "a Systemd Journal Export Block".into(),
        0x0A => "a Decryption Secrets Block".into(),
        0x0BAD | 0x4000_0BAD => "a Custom Block".into(),
        k => format!("a block of type 0x{k:08x}"),
    }
}

/// The fixed fields before the variable part of a pcapng block type, header included: a
/// block shorter than this cannot hold them.
fn fixed_len(kind: u32) -> usize {
    match kind {
        // Type, length, byte-order magic, versions, section length; trailer.
        0x0A0D_0D0A => 28,
        // Link type, reserved, snaplen.
        1 => 20,
        // Interface (and drops), timestamp, captured and original length.
        2 | 6 => 32,
        // Original length.
        3 => 16,
        // Interface, timestamp.
        5 => 24,
        // Secrets type and length.
        0x0A => 20,
        _ => 12,
    }
}

/// What is wrong inside the well-framed pcapng block `block` (all of it, read in byte order
/// `big_endian`, its framing's) that does not parse: its total length too small for its
/// type's fields, a length field that runs past its end (an Enhanced or obsolete Packet
/// Block's captured length, §4.3 and Appendix A; a Decryption Secrets Block's secrets
/// length, §4.7), a Section Header Block's byte-order magic (§4.1); in words.
pub(super) fn inside_problem(kind: u32, block: &[u8], big_endian: bool) -> String {
    let len = block.len();
    let fixed = fixed_len(kind);
    if len < fixed {
        return format!(
            "its block total length {len} is less than the {fixed} bytes of its fields"
        );
    }
    let order = |big: bool| if big { "big-endian" } else { "little-endian" };
    // A length field at `at`, of what follows it from `from` (padded to 32 bits) to the
    // options and the trailer.
    let runs_past = |what: &str, at: usize, from: usize| {
        let n = word(block, at, big_endian)?;
        let room = len - from - 4;
        (u64::from(n).next_multiple_of(4) > room as u64).then(|| {
            format!("its {what} of {n} bytes is more than the {room} bytes its block holds")
        })
    };
    let found = match kind {
        0x0A0D_0D0A => match word(block, 8, big_endian) {
            Some(0x4D3C_2B1A) => Some(format!(
                "its byte-order magic says {} but its block total lengths are {}",
                order(!big_endian),
                order(big_endian)
            )),
            Some(0x1A2B_3C4D) => None,
            _ => Some(format!(
                "its byte-order magic is {}, not 1a2b3c4d in either byte order",
                block
                    .get(8..12)
                    .unwrap_or_default()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            )),
        },
        2 | 6 => runs_past("captured length", 20, 28),
        0x0A => runs_past("secrets length", 12, 16),
        _ => None,
    };
    found.unwrap_or_else(|| "its contents do not parse".into())
}

pub(super) fn describe<I>(e: &PcapError<I>) -> String {
    match e {
        PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => {
            format!("bad block: {kind:?}")
        }
        PcapError::ReadError => "read error".into(),
        PcapError::HeaderNotRecognized => "unknown block".into(),
        PcapError::Eof | PcapError::UnexpectedEof | PcapError::Incomplete(_) => "cut short".into(),
        PcapError::BufferTooSmall => "record too large".into(),
    }
}

/// Do an input's first bytes begin a pcap or pcapng magic number (so a short input is a cut
/// capture, not some other file)?
fn starts_like_a_capture(head: &[u8]) -> bool {
    const MAGICS: [[u8; 4]; 5] = [
        [0xd4, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0xc3, 0xd4],
        [0x4d, 0x3c, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d],
        [0x0a, 0x0d, 0x0d, 0x0a],
    ];
    let head = head.get(..head.len().min(4)).unwrap_or_default();
    !head.is_empty() && MAGICS.iter().any(|m| m.starts_with(head))
}

/// The error for an input whose header pcap-parser refused (`e`): `head` is what the input
/// started with (all of it, if it is short), `size` the file's size on disk (none for a
/// stream). The input is not opened again: a stream could not be.
pub(super) fn header_error(
    path: &Path,
    e: PcapError<&[u8]>,
    head: &[u8],
    size: Option<u64>,
) -> Error {
    let path: PathBuf = path.to_path_buf();
    match e {
        PcapError::Eof => Error::Empty { path },
        PcapError::Incomplete(_) | PcapError::UnexpectedEof if starts_like_a_capture(head) => {
            let len = size.map_or(head.len(), |s| usize::try_from(s).unwrap_or(usize::MAX));
            Error::TruncatedHeader { path, len }
        }
        PcapError::ReadError => Error::BadGzip {
            detail: "read error while decompressing or reading".into(),
            path,
        },
        _ => {
            let bytes = head.get(..head.len().min(4)).unwrap_or_default();
            let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
            let text: String = bytes
                .iter()
                .map(|&c| if c.is_ascii_graphic() { c as char } else { '.' })
                .collect();
            let magic = format!("it starts with {} \"{text}\"", hex.join(" "));
            Error::NotACapture { path, magic }
        }
    }
}
