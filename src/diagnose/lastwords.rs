//! The last words: each side's last data message, read for a person, and the cause they give
//! when no application protocol said why the session ended.
//!
//! In: the WebSocket decoders' last messages (`websocket::lastwords`: first bytes, length,
//! whether cut) and the finished report. Out: the report's `last_words` ([`report`]: UTF-8
//! text; JSON; binary as CBOR or MessagePack when it parses whole as a map or array, depth
//! and size bounded; else hex), and a [`Cause::LastWords`] ([`status_cause`]) when a side's
//! last message shortly before the first ending reads as an error and no application
//! protocol gave a verdict: the application's own words lead, and a 1000 or 1001 after them
//! is no clean close (`report::facts::clean_close`). Nothing is guessed of a message the
//! capture does not hold whole: it is marked truncated.

use crate::flow::Role;
use crate::report::lastwords::LastWordsReport;
use crate::report::{Cause, ConnectionReport, Status};
use crate::websocket::lastwords::LastWords;
use std::fmt::Write as _;

/// Nesting read in a CBOR or MessagePack message at most.
pub const MAX_DEPTH: usize = 16;
/// Characters of a message shown at most in `last_words` (the cause: [`CAUSE_SHOWN`]).
pub const SHOWN: usize = 256;
/// Characters of a message the cause quotes.
pub const CAUSE_SHOWN: usize = 200;
/// Bytes of a binary message shown in hex.
const HEX_SHOWN: usize = 64;
/// The longest time from a message to the first ending for it to be the last words.
pub const BEFORE_S: f64 = 10.0;

/// The report of one side's last message, if it sent one.
pub fn report(from: Role, l: &LastWords) -> Option<LastWordsReport> {
    if !l.seen {
        return None;
    }
    let truncated = l.damaged || !l.ended;
    let kept = l.kept();
    let whole = !truncated && l.len == kept.len() as u64;
    let (encoding, text) = read(&kept, l.text, whole);
    let error_like = error_like(&text);
    Some(LastWordsReport {
        from,
        packet: l.packet,
        time: l.ts,
        length: l.len,
        truncated,
        encoding: encoding.to_string(),
        text,
        error_like,
    })
}

/// A message's first bytes read for a person: its encoding and its text. `whole`: the
/// bytes are the whole message (else only UTF-8 text and hex are read).
pub fn read(bytes: &[u8], text: bool, whole: bool) -> (&'static str, String) {
    let utf8 = match std::str::from_utf8(bytes) {
        Ok(s) => Some(s),
        // Cut inside a character by the kept length: the characters before it.
        Err(e) if !whole && e.error_len().is_none() => bytes
            .get(..e.valid_up_to())
            .and_then(|b| std::str::from_utf8(b).ok()),
        Err(_) => None,
    };
    let more = !whole;
    if let Some(s) = utf8.filter(|_| text) {
        let trimmed = s.trim();
        let json = whole
            && (trimmed.starts_with('{') || trimmed.starts_with('['))
            && serde_json::from_str::<serde::de::IgnoredAny>(trimmed).is_ok();
        return (if json { "json" } else { "text" }, shown(trimmed, more));
    }
    if !text && whole {
        if let Some(t) = msgpack(bytes) {
            return ("msgpack", shown(&t, false));
        }
        if let Some(t) = cbor(bytes) {
            return ("cbor", shown(&t, false));
        }
    }
    if let Some(s) =
        utf8.filter(|s| !s.is_empty() && s.chars().all(|c| !c.is_control() || c.is_whitespace()))
    {
        return ("text", shown(s.trim(), more));
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut h = String::with_capacity(3 * HEX_SHOWN + 3);
    for (i, &b) in bytes.iter().take(HEX_SHOWN).enumerate() {
        if i > 0 {
            h.push(' ');
        }
        for d in [b >> 4, b & 15] {
            h.push(char::from(HEX.get(usize::from(d)).copied().unwrap_or(b'?')));
        }
    }
    if more || bytes.len() > HEX_SHOWN {
        h.push('…');
    }
    ("hex", h)
}

/// `s` cut to [`SHOWN`] characters, "…" after when cut or when more of it is missing.
fn shown(s: &str, more: bool) -> String {
    cut(s, SHOWN, more)
}

fn cut(s: &str, n: usize, more: bool) -> String {
    let end = s.char_indices().nth(n).map_or(s.len(), |(i, _)| i);
    let mut out = String::with_capacity(end + 3);
    out.push_str(s.get(..end).unwrap_or(s));
    if more || end < s.len() {
        out.push('…');
    }
    out
}

/// A MessagePack map or array that is the whole of `b`, as JSON-like text.
pub fn msgpack(b: &[u8]) -> Option<String> {
    let mut rd = b;
    let v = rmpv::decode::read_value_with_max_depth(&mut rd, MAX_DEPTH).ok()?;
    if !rd.is_empty() || !matches!(v, rmpv::Value::Map(_) | rmpv::Value::Array(_)) {
        return None;
    }
    let mut out = String::new();
    write_msgpack(&mut out, &v);
    Some(out)
}

fn write_msgpack(out: &mut String, v: &rmpv::Value) {
    use rmpv::Value as V;
    if out.len() > SHOWN {
        return;
    }
    match v {
        V::Nil => out.push_str("null"),
        V::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        V::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        V::F32(f) => {
            let _ = write!(out, "{f}");
        }
        V::F64(f) => {
            let _ = write!(out, "{f}");
        }
        V::String(s) => match s.as_str() {
            Some(s) => json_str(out, s),
            None => hex_bytes(out, s.as_bytes()),
        },
        V::Binary(b) => hex_bytes(out, b),
        V::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_msgpack(out, x);
            }
            out.push(']');
        }
        V::Map(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_msgpack(out, k);
                out.push(':');
                write_msgpack(out, x);
            }
            out.push('}');
        }
        V::Ext(t, b) => {
            let _ = write!(out, "ext({t},");
            hex_bytes(out, b);
            out.push(')');
        }
    }
}

/// A CBOR map or array that is the whole of `b`, as JSON-like text.
pub fn cbor(b: &[u8]) -> Option<String> {
    let mut rd = b;
    let v: ciborium::Value =
        ciborium::de::from_reader_with_recursion_limit(&mut rd, MAX_DEPTH).ok()?;
    if !rd.is_empty() || !matches!(v, ciborium::Value::Map(_) | ciborium::Value::Array(_)) {
        return None;
    }
    let mut out = String::new();
    write_cbor(&mut out, &v);
    Some(out)
}

fn write_cbor(out: &mut String, v: &ciborium::Value) {
    use ciborium::Value as V;
    if out.len() > SHOWN {
        return;
    }
    match v {
        V::Null => out.push_str("null"),
        V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        V::Integer(i) => {
            let _ = write!(out, "{}", i128::from(*i));
        }
        V::Float(f) => {
            let _ = write!(out, "{f}");
        }
        V::Text(s) => json_str(out, s),
        V::Bytes(b) => hex_bytes(out, b),
        V::Tag(t, x) => {
            let _ = write!(out, "{t}(");
            write_cbor(out, x);
            out.push(')');
        }
        V::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_cbor(out, x);
            }
            out.push(']');
        }
        V::Map(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_cbor(out, k);
                out.push(':');
                write_cbor(out, x);
            }
            out.push('}');
        }
        _ => out.push('?'),
    }
}

fn json_str(out: &mut String, s: &str) {
    match serde_json::to_string(s) {
        Ok(q) => out.push_str(&q),
        Err(_) => out.push_str("\"?\""),
    }
}

fn hex_bytes(out: &mut String, b: &[u8]) {
    out.push_str("h'");
    for x in b.iter().take(HEX_SHOWN) {
        let _ = write!(out, "{x:02x}");
    }
    if b.len() > HEX_SHOWN {
        out.push('…');
    }
    out.push('\'');
}

/// Words that make a message read as an error.
// The list `is_error_word` matches, kept as data for its test and for the docs.
#[cfg_attr(not(test), allow(dead_code))]
const ERROR_WORDS: [&str; 27] = [
    "error",
    "errors",
    "err",
    "denied",
    "expired",
    "unauthorized",
    "unauthorised",
    "unauthenticated",
    "forbidden",
    "invalid",
    "exceeded",
    "quota",
    "limit",
    "limited",
    "revoked",
    "failed",
    "failure",
    "refused",
    "rejected",
    "kicked",
    "banned",
    "timeout",
    "fatal",
    "exception",
    "violation",
    "throttled",
    "overloaded",
];

/// Whether `w` is one of [`ERROR_WORDS`], without regard to ASCII case: one lower-casing
/// copy and one `match` (a length switch), not a comparison with each word in turn.
fn is_error_word(w: &[u8]) -> bool {
    if !(3..=15).contains(&w.len()) {
        return false;
    }
    let mut low = [0u8; 15];
    for (d, c) in low.iter_mut().zip(w) {
        *d = c.to_ascii_lowercase();
    }
    matches!(
        low.get(..w.len()).unwrap_or_default(),
        b"error"
            | b"errors"
            | b"err"
            | b"denied"
            | b"expired"
            | b"unauthorized"
            | b"unauthorised"
            | b"unauthenticated"
            | b"forbidden"
            | b"invalid"
            | b"exceeded"
            | b"quota"
            | b"limit"
            | b"limited"
            | b"revoked"
            | b"failed"
            | b"failure"
            | b"refused"
            | b"rejected"
            | b"kicked"
            | b"banned"
            | b"timeout"
            | b"fatal"
            | b"exception"
            | b"violation"
            | b"throttled"
            | b"overloaded"
    )
}

/// Whether a message's words read as an error: one of [`ERROR_WORDS`], by whole words (runs
/// of ASCII letters and digits, any other byte of UTF-8 text counted as a letter so that
/// no word is cut out of a longer one; a lower-to-upper change starts a new word, as in
/// `close::words`). Only its first [`CAUSE_SHOWN`] bytes are read (what the cause quotes).
pub fn error_like(text: &str) -> bool {
    let b = text.as_bytes();
    let b = b.get(..CAUSE_SHOWN).unwrap_or(b);
    let is = is_error_word;
    let mut start: Option<usize> = None;
    let mut prev_lower = false;
    for (i, &c) in b.iter().enumerate() {
        let alnum = c.is_ascii_alphanumeric() || c >= 0x80;
        if let Some(s) = start.filter(|_| !alnum || (prev_lower && c.is_ascii_uppercase())) {
            if is(b.get(s..i).unwrap_or_default()) {
                return true;
            }
            start = None;
        }
        if alnum && start.is_none() {
            start = Some(i);
        }
        prev_lower = c.is_ascii_lowercase();
    }
    start.is_some_and(|s| is(b.get(s..).unwrap_or_default()))
}

/// Adds the cause a side's last words give (in place of the typical causes of the code),
/// when no application protocol named one and a last message that reads as an error came
/// shortly before the first ending.
pub fn status_cause(r: &mut ConnectionReport) {
    if r.application.as_ref().is_some_and(|a| a.cause.is_some()) {
        return;
    }
    // The first ending: a close frame, or a FIN or RST before it.
    let close = r
        .close_frames
        .first()
        .map(|c| (c.from, "close-frame", c.code, c.packet, c.time));
    let tcp = r.tcp_ends.first().map(|t| {
        let how = if t.kind == crate::report::EndKind::Rst {
            "rst"
        } else {
            "fin"
        };
        (t.by, how, None, t.packet, t.time)
    });
    let end = match (close, tcp) {
        (Some(c), Some(t)) => Some(if t.3 < c.3 { t } else { c }),
        (c, t) => c.or(t),
    };
    let Some((end_by, end_how, close_code, end_packet, end_time)) = end else {
        return;
    };
    // The latest message that reads as an error, before the ending and shortly before it.
    let Some(w) = r
        .last_words
        .iter()
        .filter(|w| w.error_like && w.packet < end_packet)
        .filter(|w| {
            let before = end_time.since(w.time);
            (0.0..=BEFORE_S).contains(&before)
        })
        .max_by_key(|w| w.packet)
    else {
        return;
    };
    let words = cut(&w.text, CAUSE_SHOWN, false);
    let cause = Cause::LastWords {
        from: w.from,
        packet: w.packet,
        before_s: end_time.since(w.time),
        encoding: w.encoding.clone(),
        names: super::reason::kind(&words).map(str::to_string),
        words,
        truncated: w.truncated,
        end_by,
        end_how: end_how.to_string(),
        close_code,
        end_packet,
    };
    let mut causes = std::mem::take(&mut r.status.causes);
    causes.push(cause);
    r.status = Status::of(causes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_match_is_the_word_list() {
        for w in ERROR_WORDS {
            assert!(is_error_word(w.as_bytes()), "{w}");
            assert!(is_error_word(w.to_ascii_uppercase().as_bytes()), "{w}");
            assert!(!is_error_word(format!("{w}x").as_bytes()), "{w}x");
        }
        assert!(!is_error_word(b"hello"));
    }

    #[test]
    fn binary_is_read_as_cbor_or_msgpack_only_when_a_whole_map_or_array() {
        // MessagePack {"error": "rate limited"}.
        let mp = b"\x81\xa5error\xacrate limited";
        assert_eq!(
            read(mp, false, true),
            ("msgpack", r#"{"error":"rate limited"}"#.into())
        );
        // CBOR {"error": "unauthorized"}.
        let cb = b"\xa1\x65error\x6cunauthorized";
        assert_eq!(
            read(cb, false, true),
            ("cbor", r#"{"error":"unauthorized"}"#.into())
        );
        // A lone integer parses as either: not counted.
        assert_eq!(read(&[0x05], false, true).0, "hex");
        // Bytes left after the value: not counted.
        assert_eq!(read(b"\x81\xa5error\xa1x\x00", false, true).0, "hex");
        // Cut: no decoding of a part.
        assert_eq!(read(&mp[..10], false, false).0, "hex");
        assert!(read(&mp[..10], false, false).1.ends_with('…'));
    }

    #[test]
    fn text_is_json_when_it_parses_and_error_words_are_whole_words() {
        assert_eq!(
            read(br#" {"a": 1} "#, true, true),
            ("json", r#"{"a": 1}"#.into())
        );
        assert_eq!(read(b"hello", true, true), ("text", "hello".into()));
        assert_eq!(read(b"hello", true, false), ("text", "hello…".into()));
        // A cut inside a character keeps the characters before it.
        assert_eq!(
            read("é".as_bytes().get(..1).unwrap_or_default(), true, false).1,
            "…"
        );
        assert!(error_like("ERROR quota exceeded"));
        assert!(error_like(r#"{"code":"SESSION_EXPIRED"}"#));
        assert!(error_like("TokenRevoked"));
        assert!(!error_like("terror of the errands"));
        assert!(!error_like("bye"));
    }
}
