//! `--format json`: the stable machine contract (see the `report` module and README.md).
//!
//! In: a [`Report`] (connections in memory or in a store). Out: pretty-printed JSON,
//! written straight to the output, the connections a chunk at a time (the report is never
//! held twice in memory, nor, from a store, once), with strings safe to print on a terminal:
//! JSON escaping covers the C0 controls, and this module's formatter also escapes DEL, the
//! C1 controls and the bidirectional overrides (`sanitize::is_unsafe`). The connections
//! are rendered with sonic-rs (vectorized escaping), the frame around them with serde_json;
//! both give serde_json's pretty layout, byte for byte (RFC 8259 text).

use super::{ConnectionReport, Report};
use crate::sanitize::is_unsafe;
use serde::Serialize;
use serde_json::ser::Formatter;
use std::io::{self, Write};

/// Pretty JSON with two-space indentation (the layout serde_json's own pretty printer
/// gives), starting at any depth so that parts of one document can be written apart, and
/// with unsafe characters escaped inside strings.
#[derive(Clone)]
struct SafePretty {
    depth: usize,
    has_value: bool,
}

impl SafePretty {
    fn at(depth: usize) -> SafePretty {
        SafePretty {
            depth,
            has_value: false,
        }
    }

    /// An array or object opens one level deeper.
    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    /// It closes on a line of its own if it held anything.
    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth = self.depth.saturating_sub(1);
        if self.has_value {
            newline(w, self.depth)?;
        }
        w.write_all(bracket)
    }

    /// Before an array element or an object key: a comma after the first, a new line.
    fn item<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        newline(w, self.depth)
    }
}

/// A newline and `depth` levels of indentation, in one write for the usual depths.
fn newline<W: ?Sized + Write>(w: &mut W, depth: usize) -> io::Result<()> {
    const INDENT: &[u8; 65] = b"\n                                                                ";
    let mut n = depth * 2;
    let first = n.min(INDENT.len() - 1);
    w.write_all(INDENT.get(..=first).unwrap_or_default())?;
    n -= first;
    while n > 0 {
        let k = n.min(INDENT.len() - 1);
        w.write_all(INDENT.get(1..=k).unwrap_or_default())?;
        n -= k;
    }
    Ok(())
}

/// Can `fragment` hold an unsafe character? Every one is DEL or not ASCII, so one of its
/// bytes is 0x7F or more: one plus that byte has its top bit set (0xFF never occurs in
/// UTF-8). An OR over all bytes, with no branch, which the compiler vectorizes.
fn may_be_unsafe(fragment: &[u8]) -> bool {
    fragment.iter().fold(0u8, |acc, &b| acc | b.wrapping_add(1)) & 0x80 != 0
}

/// Writes `s` in pieces through `plain` (which escapes as JSON does), each unsafe
/// character beyond ASCII's controls (DEL, C1, the bidirectional overrides) between them as
/// `\uXXXX`; JSON's own escaping already covers the C0 controls.
fn escape_unsafe<W: ?Sized + Write>(
    w: &mut W,
    s: &str,
    mut plain: impl FnMut(&mut W, &str) -> io::Result<()>,
) -> io::Result<()> {
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if c >= '\u{7f}' && is_unsafe(c) {
            plain(w, s.get(start..i).unwrap_or_default())?;
            write!(w, "\\u{:04x}", c as u32)?;
            start = i + c.len_utf8();
        }
    }
    plain(w, s.get(start..).unwrap_or_default())
}

/// The pretty layout, the same for both serializers' formatter traits.
macro_rules! layout {
    () => {
        fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
            self.open(w, b"[")
        }
        fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
            self.close(w, b"]")
        }
        fn begin_array_value<W: ?Sized + Write>(
            &mut self,
            w: &mut W,
            first: bool,
        ) -> io::Result<()> {
            self.item(w, first)
        }
        fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
            self.has_value = true;
            Ok(())
        }
        fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
            self.open(w, b"{")
        }
        fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
            self.close(w, b"}")
        }
        fn begin_object_key<W: ?Sized + Write>(
            &mut self,
            w: &mut W,
            first: bool,
        ) -> io::Result<()> {
            self.item(w, first)
        }
        fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
            w.write_all(b": ")
        }
        fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
            self.has_value = true;
            Ok(())
        }
    };
}

impl Formatter for SafePretty {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        if !may_be_unsafe(fragment.as_bytes()) {
            return w.write_all(fragment.as_bytes());
        }
        escape_unsafe(w, fragment, |w, piece| w.write_all(piece.as_bytes()))
    }

    layout!();
}

/// The same for sonic-rs, whose string escaping is vectorized (the connections, nearly all
/// of a large report, are rendered with it).
impl sonic_rs::format::Formatter for SafePretty {
    #[inline(always)]
    fn write_string_fast<W: ?Sized + sonic_rs::writer::WriteExt>(
        &mut self,
        w: &mut W,
        value: &str,
        need_quote: bool,
    ) -> io::Result<()> {
        let mut plain = sonic_rs::format::CompactFormatter;
        if !may_be_unsafe(value.as_bytes()) {
            return plain.write_string_fast(w, value, need_quote);
        }
        if need_quote {
            w.write_all(b"\"")?;
        }
        escape_unsafe(w, value, |w, piece| {
            plain.write_string_fast(w, piece, false)
        })?;
        if need_quote {
            w.write_all(b"\"")?;
        }
        Ok(())
    }

    layout!();
}

/// serde_json's error as an I/O error; a closed pipe stays a broken pipe (the binary ends
/// quietly on it).
fn io_error(e: serde_json::Error) -> io::Error {
    match e.io_error_kind() {
        Some(kind) => io::Error::from(kind),
        None => io::Error::other(e),
    }
}

/// Writes `value` as pretty JSON at `depth` levels of indentation.
fn value<W: Write + ?Sized, T: Serialize + ?Sized>(
    out: &mut W,
    depth: usize,
    v: &T,
) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, SafePretty::at(depth));
    v.serialize(&mut ser).map_err(io_error)
}

/// Writes the report as pretty JSON followed by a newline: the same bytes as serde_json's
/// pretty printer gives for the whole report, but with the connections (nearly all of a
/// large report) rendered by this thread and one more, a few dozen at a time,
/// while this thread also reads the next ones back and writes the rendered ones in order,
/// so that neither the time nor the memory grows with one long single-threaded pass.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let key = |out: &mut dyn Write, first: bool, name: &str| -> io::Result<()> {
        if !first {
            out.write_all(b",")?;
        }
        newline(out, 1)?;
        write!(out, "\"{name}\": ")
    };
    out.write_all(b"{")?;
    key(out, true, "version")?;
    value(out, 1, &report.version)?;
    key(out, false, "tool")?;
    value(out, 1, &report.tool)?;
    key(out, false, "command")?;
    value(out, 1, &report.command)?;
    key(out, false, "redacted")?;
    value(out, 1, &report.redacted)?;
    key(out, false, "inputs")?;
    value(out, 1, &report.inputs)?;
    key(out, false, "connections")?;
    let any = connections(report, out)?;
    if any {
        newline(out, 1)?;
        out.write_all(b"]")?;
    } else {
        out.write_all(b"[]")?;
    }
    key(out, false, "summary")?;
    value(out, 1, &report.summary)?;
    key(out, false, "seen")?;
    value(out, 1, &report.seen)?;
    out.write_all(b"\n}\n")
}

/// Writes the connections of `report` (after `"connections": `, without the closing
/// bracket); false if there were none.
fn connections(report: &Report, out: &mut dyn Write) -> io::Result<bool> {
    let chunks = report.render_chunks(
        |k: usize, part: &[ConnectionReport]| -> io::Result<Vec<u8>> {
            let mut buf = Vec::with_capacity(part.len() * 4096);
            for (i, c) in part.iter().enumerate() {
                buf.push(if k == 0 && i == 0 { b'[' } else { b',' });
                newline(&mut buf, 2)?;
                let mut ser = sonic_rs::Serializer::with_formatter(&mut buf, SafePretty::at(2));
                c.serialize(&mut ser).map_err(io::Error::other)?;
            }
            Ok(buf)
        },
        out,
    )?;
    Ok(chunks > 0)
}

/// The same, as a string (tests, small reports).
pub fn render(report: &Report) -> String {
    let mut buf = Vec::new();
    let _ = write(report, &mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::RENDER_CHUNK;

    /// The report of every fixture with its connections repeated past two rounds of the
    /// threaded writer: byte for byte what serde_json's own pretty printer writes.
    #[test]
    fn same_bytes_as_serde_json_pretty() {
        let report = crate::report::repeated_fixture_report(2 * RENDER_CHUNK + 7);
        for n in [
            0,
            1,
            RENDER_CHUNK,
            RENDER_CHUNK + 1,
            report.connections.len(),
        ] {
            let mut r = report.clone();
            r.connections.truncate(n);
            let ours = render(&r);
            let theirs = serde_json::to_string_pretty(&r).unwrap() + "\n";
            // The fixtures' one hostile reason is escaped by us and not by serde_json.
            let back: serde_json::Value = serde_json::from_str(&ours).unwrap();
            assert_eq!(back, serde_json::to_value(&r).unwrap(), "{n} connections");
            if !theirs.chars().any(is_unsafe_printed) {
                assert_eq!(ours, theirs, "{n} connections");
            } else {
                assert_eq!(ours.len(), theirs.len() + extra_escape_bytes(&theirs));
            }
        }
    }

    /// Numbers and strings are written by sonic-rs for the connections and by serde_json for
    /// the rest: both the same way, numbers for durations of every scale and for arbitrary
    /// finite bit patterns (a simple xorshift walk over them), strings with every control
    /// character and with the characters only this module escapes.
    #[test]
    fn numbers_written_as_serde_json_writes_them() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut floats = vec![
            0.0,
            0.000_996,
            1e-7,
            123_456_789.123,
            1e15,
            1e16,
            1e21,
            5e-324,
        ];
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let f = f64::from_bits(x);
            if f.is_finite() {
                floats.push(f);
            }
            floats.push((x % 100_000_000) as f64 / 1e6);
        }
        for f in floats {
            assert_eq!(
                sonic_rs::to_string(&f).unwrap(),
                serde_json::to_string(&f).unwrap()
            );
        }
        // Every control character, and one beside a character only this module escapes.
        let controls: String = (0u8..0x20).map(char::from).collect();
        for text in [
            controls.as_str(),
            "tab\there \"quoted\" back\\slash",
            "a\u{9b}b\nc\u{202e}d",
        ] {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let mut ours = sonic_rs::Serializer::with_formatter(&mut a, SafePretty::at(0));
            text.serialize(&mut ours).unwrap();
            let mut theirs = serde_json::Serializer::with_formatter(&mut b, SafePretty::at(0));
            text.serialize(&mut theirs).unwrap();
            assert_eq!(String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap());
        }
        for n in [0u64, 1, 9, 10, 99_999, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(
                sonic_rs::to_string(&n).unwrap(),
                serde_json::to_string(&n).unwrap()
            );
        }
    }

    fn is_unsafe_printed(c: char) -> bool {
        is_unsafe(c) && c != '\n'
    }

    /// Each unsafe character becomes `\uXXXX` (6 bytes) instead of its UTF-8 bytes.
    fn extra_escape_bytes(s: &str) -> usize {
        s.chars()
            .filter(|&c| is_unsafe_printed(c))
            .map(|c| 6 - c.len_utf8())
            .sum()
    }

    #[test]
    fn the_fast_check_lets_no_unsafe_character_through() {
        assert!(!may_be_unsafe(b"plain ASCII ~ text"));
        assert!(may_be_unsafe(b"del \x7f here"));
        for c in [
            '\u{85}', '\u{9b}', '\u{61c}', '\u{200e}', '\u{202e}', '\u{2069}', 'é',
        ] {
            let s = format!("{}{c}", "x".repeat(40));
            assert!(may_be_unsafe(s.as_bytes()), "{c:?}");
        }
    }

    #[test]
    fn strings_are_terminal_safe_and_still_the_same_json() {
        #[derive(Serialize)]
        struct T {
            r: String,
        }
        let t = T {
            r: "a\u{9b}b\u{1b}c\u{2066}d\u{7f}e ✓".into(),
        };
        let mut buf = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, SafePretty::at(0));
        t.serialize(&mut ser).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(!text.chars().any(|c| is_unsafe(c) && c != '\n'), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["r"], t.r);
    }
}
