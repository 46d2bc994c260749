//! The last words: each side's last data message, read for a person, and the cause they give
//! when no application protocol said why the session ended.
//!
//! In: the WebSocket decoders' last messages (`websocket::lastwords`: first bytes, length,
//! whether cut) and the finished report. Out: the report's `last_words` ([`report`], for
//! every connection: each side's last data message, its packet, how long before the first
//! ending it came, its text read by shape (`shapes`: UTF-8 text, JSON, XML, CBOR and
//! MessagePack read by `app::binser`, protobuf without a schema, printable strings, else
//! hex; depth and size bounded) and, where it may matter, whether it announces or explains
//! the end), and a [`Cause::LastWords`] ([`status_cause`]) when a side's last message
//! shortly before the first ending announces it (an error, a reason or code field, an
//! event named like an ending, a sign-off) and no application protocol gave a verdict: the
//! application's own words lead, and a 1000 or 1001 after them is no clean close
//! (`report::facts::clean_close`); where none announces it and the ending is no clean
//! close, the ending side's last message shortly before is quoted as its account
//! ([`Cause::LastMessage`]). Error words in plain text count only as the ending side's
//! unanswered last line, and before a clean close only when the line states an error
//! (`errorwords::states_error`): chat that mentions a fault claims nothing. Words are read
//! with their negation ("no errors", "not expired": `reason::clause_denies`). Nothing is
//! guessed of a message the capture does not hold whole: it is marked truncated.

use super::shapes::{self, Announces, Gist};
use crate::report::lastwords::LastWordsReport;
use crate::report::{Cause, ConnectionReport};
use crate::vocab::{Role, Timestamp};
use crate::websocket::lastwords::LastWords;

/// Nesting read in a CBOR or MessagePack message at most.
pub const MAX_DEPTH: usize = 16;
/// Characters of a message the cause quotes.
pub use super::errorwords::CAUSE_SHOWN;
/// Characters of a message shown at most in `last_words` (the cause: [`CAUSE_SHOWN`]).
pub use super::shapes::SHOWN;
/// Bytes of a binary message shown in hex.
const HEX_SHOWN: usize = 64;
/// The longest time from a message to the first ending for it to be the last words (the
/// report's model holds it: the facts read it too).
use crate::report::lastwords::BEFORE_S;

/// The report of one side's last message, if it sent one; `end`: the time of the
/// connection's first ending (a close frame, FIN or RST), when the capture shows one.
/// `interpret`: its words are read for what they say of the end (`gist`, `announces`,
/// `error_like`); else only its encoding and text are (where it cannot matter: nothing in
/// either side's last message may announce the end and no account is quoted, or it came
/// long before the end), so that a session that merely chatted costs no reading. `marks`:
/// [`may_announce`] said yes for it (else its words are not looked at, only its gist kept:
/// no reader could mark it).
pub fn report(
    from: Role,
    l: &LastWords,
    end: Option<Timestamp>,
    interpret: bool,
    marks: bool,
) -> Option<LastWordsReport> {
    if !l.seen {
        return None;
    }
    let truncated = l.damaged || !l.ended;
    // Unmasked into a buffer on the stack (no copy of the decoder's state).
    let mut buf = [0u8; crate::websocket::lastwords::LAST_WORDS];
    let kept = l.first(&mut buf);
    let whole = !truncated && l.len == kept.len() as u64;
    let (encoding, text, gist) = read_shape(kept, l.text, whole, interpret, marks);
    let before_end_s = end
        .map(|e| e.since(l.ts))
        .filter(|b| *b >= 0.0)
        .map(|b| (b * 1e6).round() / 1e6);
    Some(LastWordsReport {
        from,
        packet: l.packet,
        time: l.ts,
        length: l.len,
        truncated,
        encoding: encoding.to_string(),
        text,
        error_like: gist.announces == Some(Announces::Error),
        before_end_s,
        announces: gist.announces.map(|a| a.as_str().to_string()),
        gist: gist.words,
    })
}

/// A message's first bytes read for a person: its encoding and its text. `whole`: the
/// bytes are the whole message (else only UTF-8 text, printable strings and hex are read).
pub fn read(bytes: &[u8], text: bool, whole: bool) -> (&'static str, String) {
    let (encoding, shown, _) = read_words(bytes, text, whole);
    (encoding, shown)
}

/// [`read`] without reading what the words say of the end: the same encoding and text,
/// with no JSON value built (a JSON text is only validated) and no words looked at.
pub fn read_plain(bytes: &[u8], text: bool, whole: bool) -> (&'static str, String) {
    let (encoding, shown, _) = read_shape(bytes, text, whole, false, false);
    (encoding, shown)
}

/// [`read`], and what the words say of the end ([`shapes::Gist`]: read from the text before
/// it is cut for showing, so that a "…" is not part of the last word).
pub fn read_words(bytes: &[u8], text: bool, whole: bool) -> (&'static str, String, Gist) {
    read_shape(bytes, text, whole, true, true)
}

/// [`read_words`]; `interpret` false: the gist is left empty, and what only it needs is not
/// done (a JSON value built, the words of text looked at); `marks` false: the words of text
/// and of binary strings are not looked at (no reader could mark them: [`may_announce`]).
fn read_shape(
    bytes: &[u8],
    text: bool,
    whole: bool,
    interpret: bool,
    marks: bool,
) -> (&'static str, String, Gist) {
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
        if whole && (trimmed.starts_with('{') || trimmed.starts_with('[')) {
            if !interpret {
                if serde_json::from_str::<serde::de::IgnoredAny>(trimmed).is_ok() {
                    return ("json", shown(trimmed, more), Gist::default());
                }
            } else if let Ok(v) = serde_json::from_str::<serde_json::Value>(trimmed) {
                return ("json", shown(trimmed, more), shapes::json(&v));
            }
        }
        if whole {
            if let Some(g) = shapes::xml(trimmed) {
                let g = if interpret { g } else { Gist::default() };
                return ("xml", shown(trimmed, more), g);
            }
        }
        let g = if interpret {
            shapes::text_of(trimmed, marks)
        } else {
            Gist::default()
        };
        return ("text", shown(trimmed, more), g);
    }
    if !text && whole {
        for (enc, t) in [("msgpack", msgpack(bytes)), ("cbor", cbor(bytes))] {
            if let Some(t) = t {
                // Read as JSON when its JSON-like text is JSON (no tags, bytes or cut).
                let g = if !interpret {
                    Gist::default()
                } else {
                    match serde_json::from_str::<serde_json::Value>(&t) {
                        Ok(v) => shapes::json(&v),
                        Err(_) => shapes::text(&t),
                    }
                };
                return (enc, shown(&t, false), g);
            }
        }
    }
    if let Some(s) =
        utf8.filter(|s| !s.is_empty() && s.chars().all(|c| !c.is_control() || c.is_whitespace()))
    {
        let g = if interpret {
            shapes::text_of(s.trim(), marks)
        } else {
            Gist::default()
        };
        return ("text", shown(s.trim(), more), g);
    }
    if !text && whole {
        if let Some((t, g)) = shapes::protobuf(bytes) {
            return (
                "protobuf",
                shown(&t, false),
                if interpret { g } else { Gist::default() },
            );
        }
    }
    if !text {
        if let Some((t, g)) = shapes::strings_of(bytes, interpret && marks) {
            return (
                "strings",
                shown(&t, more),
                if interpret { g } else { Gist::default() },
            );
        }
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
    // Hex (two digits a word) says nothing.
    ("hex", h, Gist::default())
}

/// `s` cut to [`SHOWN`] characters, "…" after when cut or when more of it is missing.
fn shown(s: &str, more: bool) -> String {
    cut(s, SHOWN, more)
}

fn cut(s: &str, n: usize, more: bool) -> String {
    // No more bytes than `n`: no more characters either.
    let end = if s.len() <= n {
        s.len()
    } else {
        s.char_indices().nth(n).map_or(s.len(), |(i, _)| i)
    };
    let mut out = String::with_capacity(end + 3);
    out.push_str(s.get(..end).unwrap_or(s));
    if more || end < s.len() {
        out.push('…');
    }
    out
}

/// A MessagePack map or array that is the whole of `b`, as JSON-like text
/// (`app::binser::show`).
pub fn msgpack(b: &[u8]) -> Option<String> {
    crate::app::binser::show::<crate::app::binser::Pack>(b, MAX_DEPTH, SHOWN)
}

/// A CBOR map or array that is the whole of `b`, as JSON-like text.
pub fn cbor(b: &[u8]) -> Option<String> {
    crate::app::binser::show::<crate::app::binser::Cbor>(b, MAX_DEPTH, SHOWN)
}

/// A last message as a cause quotes it: cut to [`CAUSE_SHOWN`] characters; text of several
/// lines by its last (what it ends with, `shapes::text`).
fn quoted(w: &LastWordsReport) -> String {
    match w.encoding.as_str() {
        "text" if w.text.trim_end_matches('…').contains('\n') && !w.gist.is_empty() => {
            cut(&w.gist, CAUSE_SHOWN, w.truncated)
        }
        _ => cut(&w.text, CAUSE_SHOWN, false),
    }
}

/// Adds the cause a side's last words give (in place of the typical causes of the code),
/// when no application protocol named one and a last message that announces or explains
/// the end came shortly before the first ending; else, where that ending is no clean close,
/// the ending side's last message shortly before it as its account ([`Cause::LastMessage`],
/// which claims no cause).
///
/// Plain-text error words that claim nothing (chat that mentions a fault) are no
/// announcement either: their `announces` is cleared (`error_like` still says their words
/// read as an error).
pub fn status_cause(r: &mut ConnectionReport) {
    let mentions = claim(r);
    for w in r
        .last_words
        .iter_mut()
        .filter(|w| mentions.contains(&w.packet))
    {
        w.announces = None;
    }
}

/// [`status_cause`]'s cause; returns the packets of the plain-text messages whose error
/// words claim nothing.
fn claim(r: &mut ConnectionReport) -> Vec<u64> {
    if r.application.as_ref().is_some_and(|a| a.cause.is_some()) {
        return Vec::new();
    }
    // The first ending: a close frame, or what carried the session ending before it, read
    // at its nearest layer: over HTTP/2 the stream's own END_STREAM, RST_STREAM or GOAWAY
    // (its TCP connection may run on long after), else (or when first) a FIN or RST.
    let close = r
        .close_frames
        .first()
        .map(|c| (c.from, "close-frame", c.code, c.packet, c.time));
    let stream = r.stream_ends.iter().filter(|e| e.ends_stream).map(|e| {
        let how = match e.kind {
            crate::report::StreamEndName::EndStream => "end-stream",
            crate::report::StreamEndName::RstStream => "rst-stream",
            crate::report::StreamEndName::Goaway => "goaway",
        };
        (e.by, how, None, e.packet, e.time)
    });
    let tcp = r.tcp_ends.first().map(|t| {
        let how = if t.kind == crate::vocab::EndKind::Rst {
            "rst"
        } else {
            "fin"
        };
        (t.by, how, None, t.packet, t.time)
    });
    let tcp = stream.chain(tcp).min_by_key(|e| e.3);
    let end = match (close, tcp) {
        (Some(c), Some(t)) => Some(if t.3 < c.3 { t } else { c }),
        (c, t) => c.or(t),
    };
    let Some((end_by, end_how, close_code, end_packet, end_time)) = end else {
        return Vec::new();
    };
    // The latest message that announces or explains the end (an error, a reason, an
    // event named like an ending, a sign-off), before the ending and shortly before it.
    // Not an echo (the same words as the other side's last message before it: an echo
    // server's "bye" is the client's), and not a sign-off of the side that then closes
    // cleanly itself ("bye", then its own 1000: a deliberate end, announced).
    let echo = |w: &&LastWordsReport| {
        r.last_words
            .iter()
            .any(|o| o.from != w.from && o.packet < w.packet && o.text == w.text)
    };
    let own_clean = |w: &&LastWordsReport| {
        w.announces.as_deref() == Some("sign-off")
            && end_how == "close-frame"
            && end_by == w.from
            && crate::report::facts::clean_code(close_code)
    };
    // Before the ending: in an earlier packet, or in the ending's own packet when the
    // side that ended sent both (Daphne writes an error and its close frame in one
    // segment; a FIN's segment may carry the last data): a side's data comes before its
    // close frame and its FIN.
    let near = |w: &&LastWordsReport| {
        (w.packet < end_packet || (w.packet == end_packet && w.from == end_by))
            && (0.0..=BEFORE_S).contains(&end_time.since(w.time))
    };
    // Error words in plain text (no field, element, event or sign-off) are a side's
    // account of the end only as the ending side's last word: sent by the side that ended,
    // not answered by the other side before the end, and, before a clean close, a line
    // that states an error rather than mentions one (`errorwords::states_error`). Chat that
    // mentions a fault ("did you see the timeout error?", "auth failed lol") claims no
    // kind: it is quoted at most.
    let clean_close = end_how == "close-frame" && crate::report::facts::clean_code(close_code);
    let prose_claims = |w: &&LastWordsReport| {
        w.encoding != "text"
            || w.announces.as_deref() != Some("error")
            || (w.from == end_by
                && !r
                    .last_words
                    .iter()
                    .any(|o| o.from != w.from && o.packet > w.packet && o.packet < end_packet)
                && (!clean_close || super::errorwords::states_error(&w.gist)))
    };
    let mentions: Vec<u64> = r
        .last_words
        .iter()
        .filter(|w| w.announces.as_deref() == Some("error") && !prose_claims(w))
        .map(|w| w.packet)
        .collect();
    let Some(w) = r
        .last_words
        .iter()
        .filter(|w| w.announces.is_some())
        .filter(near)
        .filter(|w| !echo(w) && !own_clean(w))
        .filter(prose_claims)
        .max_by_key(|w| w.packet)
    else {
        // No message announced the end. Where the ending is no clean close and no cause
        // names what happened (the path, a proxy, a heartbeat, an idle timeout: then the
        // message is no part of the story), the message that the side which ended sent
        // shortly before is quoted as its account.
        // (A code that says the why itself, 1009 or 1011, is the account.)
        let clean = end_how == "close-frame"
            && (crate::report::facts::clean_code(close_code)
                || close_code.is_some_and(|c| !crate::close::reason::reason_decides(c)));
        let named = named(&r.findings, &r.status.causes);
        let account = r
            .last_words
            .iter()
            .filter(|w| w.from == end_by)
            .filter(near)
            .find(|w| !echo(w));
        if let (false, false, Some(w)) = (clean, named, account) {
            let cause = Cause::LastMessage {
                from: w.from,
                packet: w.packet,
                before_s: end_time.since(w.time),
                encoding: w.encoding.clone(),
                words: quoted(w),
                truncated: w.truncated,
                end_how: end_how.to_string(),
                close_code,
                end_packet,
            };
            r.status.push_unsaid(cause);
        }
        return mentions;
    };
    let words = quoted(w);
    let cause = Cause::LastWords {
        from: w.from,
        packet: w.packet,
        before_s: end_time.since(w.time),
        encoding: w.encoding.clone(),
        names: crate::close::reason::kind(&w.gist)
            .or_else(|| crate::close::reason::kind(&words))
            .map(str::to_string),
        announces: w.announces.clone(),
        words,
        truncated: w.truncated,
        end_by,
        end_how: end_how.to_string(),
        close_code,
        end_packet,
    };
    r.status.push_unsaid(cause);
    mentions
}

/// Whether a cause names what happened (the path, a proxy, a heartbeat, an idle timeout,
/// words of the close reason, a bad close frame): then no last message is quoted as an
/// account. (A breach of the protocol names it too: the findings say what broke.)
pub fn named(findings: &[crate::vocab::Finding], causes: &[Cause]) -> bool {
    findings.iter().any(|f| f.kind.is_violation())
        || causes.iter().any(|c| {
            crate::report::words::names_what_happened(c)
                || matches!(
                    c,
                    Cause::HeartbeatTimeout { .. }
                        | Cause::ReasonWords { .. }
                        | Cause::InvalidCloseFrame { .. }
                )
        })
}

/// Whether a side's last message may announce or explain the end, tested on its kept bytes
/// before anything is decoded or allocated: never false where [`report`] would set
/// `announces` (`shapes::may_announce`).
pub fn may_announce(l: &LastWords) -> bool {
    let mut buf = [0u8; crate::websocket::lastwords::LAST_WORDS];
    l.seen && shapes::may_announce(l.first(&mut buf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::errorwords::{error_like, ERROR_WORDS};

    /// The pre-check never says no where a reader marks the message: each shape that
    /// announces, joined or escaped words included; and a chat message is not read.
    #[test]
    fn may_announce_is_true_wherever_a_reader_announces() {
        let text: &[&[u8]] = &[
            br#"{"type":"logged_out"}"#,
            br#"{"event":"Session.detached"}"#,
            br#"{"error":"\u0065"}"#,
            br#"{"code":4001}"#,
            "{\"type\":\"\u{212a}icked\"}".as_bytes(),
            b"<failure><not-authorized/></failure>",
            b"<stream:error><host-gone/></stream:error>",
            b"shift over, logging off",
            b"line one\nquota exceeded",
            b"Sign-Off",
        ];
        for b in text {
            let (_, _, g) = read_words(b, true, true);
            assert!(g.announces.is_some(), "{:?}", String::from_utf8_lossy(b));
            assert!(shapes::may_announce(b), "{:?}", String::from_utf8_lossy(b));
        }
        // Protobuf: 1:"disposed by owner".
        let mut pb = vec![0x0a, 17];
        pb.extend_from_slice(b"disposed by owner");
        let (_, _, g) = read_words(&pb, false, true);
        assert!(g.announces.is_some());
        assert!(shapes::may_announce(&pb));
        for b in [
            &br#"{"type":"tick","seq":7,"data":"hello world"}"#[..],
            b"just chatting along",
        ] {
            let (_, _, g) = read_words(b, true, true);
            assert!(g.announces.is_none());
            assert!(!shapes::may_announce(b), "{:?}", String::from_utf8_lossy(b));
        }
        // A stray `&` in binary is no escape (no reader decodes XML's references, and a
        // named one spells no letter); a numeric reference may spell one.
        assert!(!shapes::may_announce(b"\x01&\x02tick tock"));
        assert!(shapes::may_announce(b"<x>&#107;</x>"));
    }

    /// Read without interpreting, every shape gets the encoding and text that the full
    /// reading gives it.
    #[test]
    fn the_plain_reading_is_the_full_readings_encoding_and_text() {
        let cases: &[(&[u8], bool, bool)] = &[
            (br#" {"type":"tick","n":7} "#, true, true),
            (br#"[1, 2"#, true, true),
            (br#"{"a": 1}"#, true, false),
            (b"<failure><not-authorized/></failure>", true, true),
            (b"< not xml", true, true),
            (b"hello there\nsecond line", true, true),
            (b"hello", true, false),
            (b"\x81\xa5error\xacrate limited", false, true),
            (&[0x05, 0xff, 0x00, 0x41], false, true),
            (b"plain words in binary", false, true),
        ];
        for &(b, text, whole) in cases {
            assert_eq!(
                read_plain(b, text, whole),
                read(b, text, whole),
                "{:?}",
                String::from_utf8_lossy(b)
            );
        }
    }

    #[test]
    fn a_line_states_an_error_or_only_mentions_one() {
        use crate::diagnose::errorwords::states_error;
        for s in [
            "ERROR quota exceeded: 100 messages per minute",
            "quota exceeded",
            "Denied.",
            "auth error: token expired",
        ] {
            assert!(states_error(s), "{s}");
        }
        for s in [
            "did you see the timeout error yesterday?",
            "auth failed lol",
            "the build error is fixed",
            "error?",
            "no errors: all good",
            "so what I was saying is that the last deploy failed: again",
        ] {
            assert!(!states_error(s), "{s}");
        }
    }

    #[test]
    fn the_word_match_is_the_word_list() {
        for w in ERROR_WORDS {
            assert!(error_like(w), "{w}");
            assert!(error_like(&w.to_ascii_uppercase()), "{w}");
            assert!(error_like(&format!("x {w}.")), "{w}");
            assert!(
                error_like(&format!("auth{}", w.to_ascii_uppercase())),
                "{w}"
            );
            assert!(!error_like(&format!("{w}x")), "{w}x");
            assert!(!error_like(&format!("x{w}")), "x{w}");
            assert!(!error_like(&format!("{w}é")), "{w}é");
        }
        assert!(!error_like("hello"));
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
        // Bytes left after the value: not counted (its printable strings are read).
        assert_eq!(
            read(b"\x81\xa5error\xa1x\x00", false, true),
            ("strings", "error".into())
        );
        // Cut: no decoding of a part; its printable strings, "…" after.
        assert_eq!(read(&mp[..10], false, false), ("strings", "error…".into()));
        // Nothing printable of four characters: hex.
        assert_eq!(read(&[0x05, 0xff, 0x00, 0x41], false, true).0, "hex");
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
        // A clause that denies names no error (issue 84, item 5).
        assert!(!error_like("no errors, all good"));
        assert!(!error_like("finished without error"));
        assert!(!error_like("session is valid, not expired"));
        assert!(!error_like("no ping timeout, all good"));
        assert!(error_like("saved; upload failed"));
        assert!(error_like("no retry; quota exceeded."));
    }
}
