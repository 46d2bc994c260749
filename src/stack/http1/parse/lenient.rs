//! A head httparse refuses for a control byte in a header line, read leniently: the byte
//! replaced by one it accepts, and what was replaced, as a value for the finding
//! (`handshake-invalid`, `vocab::ControlBytes`; its words in `report/words/finding.rs`).

use crate::vocab::{ControlByteHeader, ControlBytes};

/// Header lines whose names or values hold a control byte this many are named at most.
const MAX_NAMED: usize = 3;

/// For headers httparse refuses: a copy of `buf` in which every control byte of a header
/// line (after the start line, up to the blank line) that httparse does not accept there
/// is replaced by one it does (0x80, opaque text, in a value; `!` in a name), with what
/// was replaced, naming the headers; `None` when there is no such byte (the
/// message is wrong in some other way). HTAB stays; a CR stays where it ends its line.
pub fn lenient(buf: &[u8]) -> Option<(Vec<u8>, ControlBytes)> {
    let mut copy = buf.to_vec();
    let mut named: Vec<ControlByteHeader> = Vec::new();
    let mut headers = 0usize;
    // The start line, then one header line at a time (`at`: where the line starts).
    let mut at = 0;
    for line in buf.split(|&b| b == b'\n') {
        let start = at;
        at += line.len() + 1;
        if start == 0 {
            continue;
        }
        let body = line.strip_suffix(b"\r").unwrap_or(line);
        if body.is_empty() {
            break;
        }
        let colon = body.iter().position(|&b| b == b':').unwrap_or(body.len());
        let mut bad: Vec<u8> = Vec::new();
        let mut in_name = false;
        for (i, &b) in body.iter().enumerate() {
            if b == b'\t' || !(b < 0x20 || b == 0x7f) {
                continue;
            }
            if let Some(c) = copy.get_mut(start + i) {
                *c = if i < colon { b'!' } else { 0x80 };
            }
            in_name |= i < colon;
            if !bad.contains(&b) {
                bad.push(b);
            }
        }
        if !bad.is_empty() {
            headers += 1;
            if named.len() < MAX_NAMED {
                let name = body.get(..colon).unwrap_or_default();
                let name: String = String::from_utf8_lossy(name)
                    .trim()
                    .chars()
                    .take(64)
                    .collect();
                named.push(ControlByteHeader {
                    name,
                    bytes: bad,
                    in_name,
                });
            }
        }
    }
    if headers == 0 {
        return None;
    }
    let more = (headers - named.len()) as u64;
    Some((
        copy,
        ControlBytes {
            headers: named,
            more,
        },
    ))
}
