//! A message of any shape, read for what it says of the end of its session.
//!
//! In: the first bytes of a side's last data message (at most
//! `websocket::lastwords::LAST_WORDS`, so every reader here is bounded in size and time by
//! them; nesting is bounded by [`DEPTH`]), whether it is text, and whether the bytes are
//! all of it. Out: its [`Gist`]: the words that carry the why, and whether the message
//! announces or explains the end ([`Announces`]). Shapes read:
//! - JSON (RFC 8259): the fields that carry the why (`error`, `reason`, `code`, `message`,
//!   …) and the names of `type`/`event`/`method`/`action` at any depth;
//! - XML: element names and their text, with the stream error conditions of RFC 6120
//!   §4.9.3 and the SASL failure conditions of RFC 6120 §6.5, and RFC 7395 §3.6's `close`;
//! - UTF-8 text: its last non-empty line;
//! - protobuf wire format without a schema (its encoding guide: varint, fixed64,
//!   length-delimited and fixed32 fields), whole or after a varint length prefix: its
//!   strings and small integers by field number;
//! - other binary: its printable ASCII strings of four characters or more.
//!
//! CBOR and MessagePack are read by `app::binser` into JSON-like text, then read as JSON.
//! Words are read with their negation (`reason::clause_denies`): a field or line that
//! denies ("not expired") announces nothing.

use crate::close::words;
use std::fmt::Write as _;

/// Characters of a message shown at most in `last_words` (the cause quotes fewer:
/// `errorwords::CAUSE_SHOWN`).
pub const SHOWN: usize = 256;

/// Nesting read at most (JSON values, XML elements, protobuf messages).
pub const DEPTH: usize = 16;
/// Characters of the gist kept at most.
const GIST: usize = 240;

/// How a message announces or explains the end of its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Announces {
    /// Its words read as an error (error words, an `error` field, an XML error element).
    Error,
    /// A field that says why (`reason`, `code` other than a success), or an XMPP
    /// condition.
    Reason,
    /// An event named like an ending: detached, disposed, evicted, kicked, closing,
    /// shutdown, logout, bye, gone, …
    Event,
    /// A person's or a program's sign-off: "bye", "logging off", "shutting down".
    SignOff,
}

impl Announces {
    /// Its stable name (the `last_words[].announces` field).
    pub fn as_str(self) -> &'static str {
        match self {
            Announces::Error => "error",
            Announces::Reason => "reason",
            Announces::Event => "event",
            Announces::SignOff => "sign-off",
        }
    }
}

/// What a message says of the end: the words that carry the why, and how it announces it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gist {
    /// The why in a line: `key: value` pairs of JSON, XML names and text, protobuf fields
    /// or strings, the last line of text.
    pub words: String,
    /// How it announces the end, if it does.
    pub announces: Option<Announces>,
}

impl Gist {
    fn put(&mut self, s: &str) {
        let have = self.words.chars().count();
        if have >= GIST {
            return;
        }
        if !self.words.is_empty() {
            self.words.push_str("; ");
        }
        let room = GIST.saturating_sub(have + usize::from(have > 0) * 2);
        // No more bytes than room: no more characters either, copied whole.
        let end = if s.len() <= room {
            s.len()
        } else {
            s.char_indices().nth(room).map_or(s.len(), |(i, _)| i)
        };
        self.words.push_str(s.get(..end).unwrap_or_default());
    }

    /// `a` unless a stronger announcement is there already (error first).
    fn mark(&mut self, a: Announces) {
        let rank = |a: Announces| match a {
            Announces::Error => 0,
            Announces::Reason => 1,
            Announces::Event => 2,
            Announces::SignOff => 3,
        };
        if self.announces.is_none_or(|b| rank(a) < rank(b)) {
            self.announces = Some(a);
        }
    }
}

/// Words that name an ending when they name an event, an element or a method (whole
/// words, a case change or `_` `.` `-` between them).
const END_EVENTS: [&str; 32] = [
    "detached",
    "deleted",
    "detach",
    "disposed",
    "dispose",
    "evicted",
    "evict",
    "kicked",
    "kick",
    "closing",
    "close",
    "shutdown",
    "shutting",
    "logout",
    "logoff",
    "loggedout",
    "signoff",
    "signout",
    "bye",
    "goodbye",
    "gone",
    "terminated",
    "terminate",
    "terminating",
    "disconnect",
    "disconnected",
    "disconnecting",
    "expired",
    "revoked",
    "banned",
    "destroyed",
    "teardown",
];

/// Words that sign a session off in a line of text.
const SIGN_OFFS: [&str; 6] = [
    "bye", "goodbye", "farewell", "shutdown", "logout", "signoff",
];

/// Pairs of words that sign a session off in a line of text ("logging off").
const SIGN_OFF_PAIRS: [(&str, &str); 10] = [
    ("logging", "off"),
    ("signing", "off"),
    ("log", "off"),
    ("sign", "off"),
    ("logging", "out"),
    ("shutting", "down"),
    ("going", "away"),
    ("see", "you"),
    ("shift", "over"),
    ("session", "over"),
];

/// RFC 6120 §4.9.3 stream error conditions and §6.5 SASL failure conditions (and the
/// stanza errors of §8.3.3 that a server sends before it ends a session).
const XMPP_CONDITIONS: [&str; 38] = [
    "bad-format",
    "bad-namespace-prefix",
    "conflict",
    "connection-timeout",
    "host-gone",
    "host-unknown",
    "improper-addressing",
    "internal-server-error",
    "invalid-from",
    "invalid-namespace",
    "invalid-xml",
    "not-authorized",
    "not-well-formed",
    "policy-violation",
    "remote-connection-failed",
    "reset",
    "resource-constraint",
    "restricted-xml",
    "see-other-host",
    "system-shutdown",
    "undefined-condition",
    "unsupported-encoding",
    "unsupported-feature",
    "unsupported-stanza-type",
    "unsupported-version",
    "aborted",
    "account-disabled",
    "credentials-expired",
    "encryption-required",
    "incorrect-encoding",
    "invalid-authzid",
    "invalid-mechanism",
    "malformed-request",
    "mechanism-too-weak",
    "temporary-auth-failure",
    "forbidden",
    "service-unavailable",
    "remote-server-timeout",
];

/// Whether `s` holds one of the words `set` as a part, ASCII case ignored: a test on its
/// bytes before any word is split out (a word equal to an ASCII word but for ASCII case is
/// those bytes in `s`, whatever else `s` holds). `None` when it cannot tell (`s` longer
/// than the buffer it is lower-cased into, or no automaton).
fn may_hold(
    s: &str,
    set: &'static std::sync::OnceLock<Option<aho_corasick::AhoCorasick>>,
    words: &[&str],
) -> Option<bool> {
    const MAX: usize = 512;
    let b = s.as_bytes();
    if b.len() > MAX {
        return None;
    }
    let ac = set
        .get_or_init(|| {
            aho_corasick::AhoCorasick::builder()
                .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
                .build(words)
                .ok()
        })
        .as_ref()?;
    let mut low = [0u8; MAX];
    let low = low.get_mut(..b.len())?;
    for (l, c) in low.iter_mut().zip(b) {
        *l = c.to_ascii_lowercase();
    }
    Some(ac.is_match(&*low))
}

/// Whether a message's first bytes may announce or explain the end in any shape
/// ([`Gist::announces`] of `text`, `json`, `xml`, `protobuf`, `strings`, CBOR and
/// MessagePack): a test on the bytes before anything is decoded or allocated, never false
/// where a reader would mark it. Every mark rests on one of a few words (the error words,
/// the error, reason and code keys, the ending events and sign-offs, the XMPP conditions)
/// found as ASCII letters and digits in the bytes, ASCII case ignored; they are looked for
/// in the bytes' letters and digits alone (so "logged_out" holds "loggedout", as
/// `names_end` joins it). An escape that may spell a letter (JSON's `\u`, XML's `&#`) makes
/// it true.
pub fn may_announce(b: &[u8]) -> bool {
    static SET: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> = std::sync::OnceLock::new();
    let Some(ac) = SET
        .get_or_init(|| {
            let xmpp: Vec<String> = XMPP_CONDITIONS.iter().map(|c| c.replace('-', "")).collect();
            let all: Vec<&str> = super::errorwords::ERROR_WORDS
                .iter()
                .chain(ERROR_KEYS.iter())
                .chain(REASON_KEYS.iter())
                .chain(END_EVENTS.iter())
                .chain(SIGN_OFFS.iter())
                .chain(SIGN_OFF_PAIRS.iter().map(|(_, b)| b))
                .copied()
                .chain(xmpp.iter().map(String::as_str))
                .collect();
            // A DFA: with this many words no prefilter skips much, and a table step a
            // byte is the cheapest walk (its table is built once, a few hundred KiB).
            aho_corasick::AhoCorasick::builder()
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(all)
                .ok()
        })
        .as_ref()
    else {
        return true;
    };
    // And a character whose lower case is ASCII (the Kelvin sign, a dotted capital I), as
    // `names_end` lower-cases non-ASCII text.
    // (Searchers built once: a search built per call costs more than the search.)
    // (No reader decodes XML's character references, and its named ones spell no letter:
    // only a numeric one, `&#`, is counted, so that binary with a stray `&` is still read
    // by its words.)
    static ESCAPES: std::sync::OnceLock<[memchr::memmem::Finder<'static>; 4]> =
        std::sync::OnceLock::new();
    let escapes = ESCAPES.get_or_init(|| {
        let words: [&'static [u8]; 4] =
            [b"\\u", b"&#", "\u{212a}".as_bytes(), "\u{130}".as_bytes()];
        words.map(memchr::memmem::Finder::new)
    });
    if escapes.iter().any(|f| f.find(b).is_some()) {
        return true;
    }
    // Its ASCII letters and digits, lower-cased (most bytes of binary are neither: one
    // test each).
    let mut low = [0u8; SHOWN * 4];
    let mut n = 0;
    for &c in b.iter().filter(|c| c.is_ascii_alphanumeric()) {
        match low.get_mut(n) {
            Some(l) => *l = c.to_ascii_lowercase(),
            None => return true,
        }
        n += 1;
    }
    ac.is_match(low.get(..n).unwrap_or_default())
}

/// Whether `s` may name an ending event ([`END_EVENTS`] as a part of its bytes).
fn may_name_end(s: &str) -> bool {
    static SET: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> = std::sync::OnceLock::new();
    may_hold(s, &SET, &END_EVENTS) != Some(false)
}

/// Whether `s` may sign off: one of [`SIGN_OFFS`], or both words of one of
/// [`SIGN_OFF_PAIRS`], as parts of its bytes (ASCII case ignored; every occurrence found,
/// overlapping ones too). True when it cannot tell.
fn may_sign_off(s: &str) -> bool {
    const MAX: usize = 512;
    static SET: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> = std::sync::OnceLock::new();
    let Some(ac) = SET
        .get_or_init(|| {
            // The one-word sign-offs, then each pair's first and second words.
            let all = SIGN_OFFS
                .iter()
                .chain(SIGN_OFF_PAIRS.iter().flat_map(|(a, b)| [a, b]));
            aho_corasick::AhoCorasick::builder()
                .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
                .build(all)
                .ok()
        })
        .as_ref()
    else {
        return true;
    };
    let b = s.as_bytes();
    let mut low = [0u8; MAX];
    let Some(low) = low.get_mut(..b.len()) else {
        return true;
    };
    for (l, c) in low.iter_mut().zip(b) {
        *l = c.to_ascii_lowercase();
    }
    // Most lines hold no sign-off and no pair's second word: found by a few vector
    // searches before the overlapping one (which has no prefilter). Each of [`SIGN_OFFS`]
    // holds one of these (`goodbye` `bye`, `shutdown` `down`, `logout` `out`, `signoff`
    // `off`), and so does each pair's second word.
    static QUICK: std::sync::OnceLock<[memchr::memmem::Finder<'static>; 8]> =
        std::sync::OnceLock::new();
    let quick = QUICK.get_or_init(|| {
        [
            "bye", "farewell", "off", "out", "down", "away", "you", "over",
        ]
        .map(memchr::memmem::Finder::new)
    });
    if quick.iter().all(|f| f.find(low).is_none()) {
        return false;
    }
    // Bit i: pattern i found.
    let mut found = 0u32;
    for m in ac.find_overlapping_iter(&*low) {
        found |= 1 << m.pattern().as_usize();
    }
    let n = SIGN_OFFS.len();
    found & ((1 << n) - 1) != 0
        || (0..SIGN_OFF_PAIRS.len())
            .any(|i| found & (1 << (n + 2 * i)) != 0 && found & (1 << (n + 2 * i + 1)) != 0)
}

/// Whether a word of `s` is one of `set` (ASCII case ignored).
fn has_word(s: &str, set: &[&str]) -> bool {
    let (all, n) = words(s);
    all.get(..n)
        .unwrap_or_default()
        .iter()
        .any(|w| set.iter().any(|x| w.eq_ignore_ascii_case(x)))
}

/// Whether `s` names an ending event ([`END_EVENTS`]), and does not deny it.
fn names_end(s: &str) -> bool {
    // "loggedOut", "logged_out", "sign-off": the joined words too.
    let joined = || -> bool {
        // ASCII: its letters and digits lower-cased, no longer than the longest event.
        if s.is_ascii() {
            let mut buf = [0u8; 16];
            let mut n = 0;
            for c in s.bytes().filter(u8::is_ascii_alphanumeric) {
                match buf.get_mut(n) {
                    Some(x) => *x = c.to_ascii_lowercase(),
                    None => return false,
                }
                n += 1;
            }
            let j = buf.get(..n).unwrap_or_default();
            return END_EVENTS.iter().any(|e| j == e.as_bytes());
        }
        let joined: String = s
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        END_EVENTS.iter().any(|e| joined == *e)
    };
    ((may_name_end(s) && has_word(s, &END_EVENTS)) || joined())
        && !crate::close::reason::clause_denies(s)
}

/// Whether a line signs off ([`SIGN_OFFS`], [`SIGN_OFF_PAIRS`]), and does not deny it.
fn signs_off(line: &str) -> bool {
    if !may_sign_off(line) {
        return false;
    }
    let (all, n) = words(line);
    let w = all.get(..n).unwrap_or_default();
    let one = w
        .iter()
        .any(|x| SIGN_OFFS.iter().any(|y| x.eq_ignore_ascii_case(y)));
    let two = w.windows(2).any(|p| match p {
        [a, b] => SIGN_OFF_PAIRS
            .iter()
            .any(|(x, y)| a.eq_ignore_ascii_case(x) && b.eq_ignore_ascii_case(y)),
        _ => false,
    });
    (one || two) && !crate::close::reason::clause_denies(line)
}

/// The gist of UTF-8 text: its last non-empty line, a sign-off or error in it.
pub fn text(s: &str) -> Gist {
    text_of(s, true)
}

/// [`text`]; `marks` false: its words are not looked at (where [`may_announce`] said no
/// reader could mark the message), only its last line kept.
pub fn text_of(s: &str, marks: bool) -> Gist {
    let line = s
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or_default();
    let mut g = Gist::default();
    g.put(line);
    if !marks {
        return g;
    }
    if super::errorwords::error_like(line) {
        g.mark(Announces::Error);
    } else if signs_off(line) {
        g.mark(Announces::SignOff);
    }
    g
}

/// JSON keys whose value says why (an error's, a reason's).
const ERROR_KEYS: [&str; 6] = ["error", "err", "errors", "exception", "fault", "failure"];
const REASON_KEYS: [&str; 7] = [
    "reason",
    "cause",
    "code",
    "closecode",
    "closereason",
    "disconnectreason",
    "errorcode",
];
const SAY_KEYS: [&str; 6] = ["message", "msg", "detail", "details", "description", "text"];
const NAME_KEYS: [&str; 8] = [
    "type", "event", "method", "action", "op", "cmd", "kind", "name",
];

/// A key's letters, lower-cased ("close_reason" and "closeReason" alike).
fn key_of(k: &str) -> Key {
    let mut key = Key([0; 32], 0);
    for c in k.bytes().filter(u8::is_ascii_alphanumeric).take(32) {
        if let Some(x) = key.0.get_mut(key.1) {
            *x = c.to_ascii_lowercase();
            key.1 += 1;
        }
    }
    key
}

/// A key's letters (at most 32, ASCII), in place: no allocation for each key read.
struct Key([u8; 32], usize);

impl Key {
    fn as_str(&self) -> &str {
        self.0
            .get(..self.1)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }

    fn ends_with(&self, s: &str) -> bool {
        self.as_str().ends_with(s)
    }
}

/// Whether a JSON value says something: not null, false, 0, "" or empty.
fn truthy(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.trim().is_empty() && !crate::close::reason::clause_denies(s),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// A code that means success (0, 200, "ok", "success", "normal").
fn success_code(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::Number(n) => n
            .as_u64()
            .is_some_and(|c| c == 0 || c == 1000 || (200..300).contains(&c)),
        Value::String(s) => ["ok", "success", "normal", "none", "0", "200", "1000"]
            .iter()
            .any(|x| s.trim().eq_ignore_ascii_case(x)),
        _ => true,
    }
}

/// A short form of a JSON scalar for the gist.
fn scalar(v: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The gist of a JSON value: the fields that carry the why, at any depth. A reason or code
/// field in a message that names itself an event other than an ending (`{"type":"update",
/// "reason":"user_edit"}`) is that event's reason, not the end's: it announces nothing.
pub fn json(v: &serde_json::Value) -> Gist {
    let mut g = Gist::default();
    let mut names = Names::default();
    walk(v, None, DEPTH, &mut g, &mut names);
    if g.announces == Some(Announces::Reason) && names.other && !names.end {
        g.announces = None;
    }
    g
}

/// The `type`/`event`/`method` names a JSON message gives itself: one that names an ending,
/// one that names anything else.
#[derive(Default)]
struct Names {
    end: bool,
    other: bool,
}

/// The gist of text that parses as JSON, if it does.
pub fn json_text(s: &str) -> Option<Gist> {
    serde_json::from_str::<serde_json::Value>(s)
        .ok()
        .map(|v| json(&v))
}

fn walk(v: &serde_json::Value, key: Option<&str>, depth: usize, g: &mut Gist, names: &mut Names) {
    use serde_json::Value;
    let Some(depth) = depth.checked_sub(1) else {
        return;
    };
    if let Some(k) = key {
        let lk = key_of(k);
        let is = |set: &[&str]| set.contains(&lk.as_str());
        if is(&ERROR_KEYS) && truthy(v) {
            g.mark(Announces::Error);
            match scalar(v) {
                Some(s) => g.put(&format!("{k}: {s}")),
                None => g.put(k),
            }
        } else if is(&REASON_KEYS) && truthy(v) && !(lk.ends_with("code") && success_code(v)) {
            if let Some(s) = scalar(v) {
                g.put(&format!("{k}: {s}"));
                if super::errorwords::error_like(&s) {
                    g.mark(Announces::Error);
                }
                g.mark(Announces::Reason);
            }
        } else if is(&SAY_KEYS) {
            if let Some(s) = scalar(v) {
                g.put(&format!("{k}: {s}"));
                if super::errorwords::error_like(&s) {
                    g.mark(Announces::Error);
                }
            }
        } else if is(&NAME_KEYS) {
            if let Some(s) = scalar(v) {
                if names_end(&s) {
                    g.put(&format!("{k}: {s}"));
                    g.mark(Announces::Event);
                    names.end = true;
                } else if super::errorwords::error_like(&s) {
                    g.put(&format!("{k}: {s}"));
                    g.mark(Announces::Error);
                    names.end = true;
                } else {
                    names.other = true;
                }
            }
        }
    }
    match v {
        Value::Object(o) => {
            for (k, x) in o.iter().take(64) {
                walk(x, Some(k), depth, g, names);
            }
        }
        Value::Array(a) => {
            for x in a.iter().take(64) {
                walk(x, None, depth, g, names);
            }
        }
        // A JSON-RPC-like array of names first (WAMP, Phoenix: ["room:1","phx_close",…]):
        // a string in an array that names an ending.
        Value::String(s) if key.is_none() && names_end(s) && s.len() <= 64 => {
            g.put(s);
            g.mark(Announces::Event);
        }
        // Or one that reads as an error (WAMP's ERROR: [8,48,1,{},"wamp.error.…",[…]]).
        Value::String(s) if key.is_none() && super::errorwords::error_like(s) => {
            g.put(s);
            g.mark(Announces::Error);
        }
        _ => {}
    }
}

/// Whether `s` looks like XML: it starts with `<` and a name or `?`, and ends with `>`.
pub fn looks_xml(s: &str) -> bool {
    let t = s.trim();
    t.starts_with('<')
        && t.ends_with('>')
        && t.chars()
            .nth(1)
            .is_some_and(|c| c.is_alphabetic() || c == '?' || c == '/' || c == '_')
}

/// The gist of XML: its element names (local names, the prefix kept for `stream:error`)
/// and their text; an `error` or `failure` element, an RFC 6120 condition, or an element
/// named like an ending (RFC 7395's `close`) announces the end. Read by a small scanner,
/// not a parser: `<`, a name, attributes skipped up to `>`; text between tags.
pub fn xml(s: &str) -> Option<Gist> {
    if !looks_xml(s) {
        return None;
    }
    let mut g = Gist::default();
    let mut rest = s.trim();
    let mut elements = 0;
    while let Some(open) = rest.find('<') {
        let text = rest.get(..open).unwrap_or_default().trim();
        if !text.is_empty() {
            g.put(text);
            if super::errorwords::error_like(text) {
                g.mark(Announces::Error);
            }
        }
        rest = rest.get(open + 1..).unwrap_or_default();
        let close = rest.find('>')?;
        let tag = rest.get(..close).unwrap_or_default();
        rest = rest.get(close + 1..).unwrap_or_default();
        elements += 1;
        if elements > 64 {
            break;
        }
        // Declarations, comments and end tags name nothing new.
        if tag.starts_with(['?', '!', '/']) {
            continue;
        }
        let name = tag
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or_default();
        if name.is_empty() {
            return None;
        }
        let local = name.rsplit(':').next().unwrap_or(name);
        if matches!(
            local,
            "text" | "stream" | "body" | "iq" | "message" | "presence"
        ) {
            continue;
        }
        g.put(name);
        if XMPP_CONDITIONS.contains(&local) {
            g.mark(Announces::Reason);
            if super::errorwords::error_like(&local.replace('-', " ")) || local.contains("not-") {
                g.mark(Announces::Error);
            }
        } else if matches!(local, "error" | "failure") || super::errorwords::error_like(local) {
            g.mark(Announces::Error);
        } else if names_end(local) {
            g.mark(Announces::Event);
        }
    }
    Some(g)
}

/// A protobuf varint at `at`: its value and where the next byte is.
fn varint(b: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for i in 0..10 {
        let c = *b.get(at + i)?;
        v |= u64::from(c & 0x7f) << (7 * i);
        if c < 0x80 {
            return Some((v, at + i + 1));
        }
    }
    None
}

/// A printable string of protobuf: valid UTF-8, no control characters but white space.
fn printable(b: &[u8]) -> Option<&str> {
    let s = std::str::from_utf8(b).ok()?;
    (!s.is_empty() && s.chars().all(|c| !c.is_control() || c == '\n' || c == '\t')).then_some(s)
}

/// `b` read whole as a protobuf message, its fields written to `out` (`1:"close" 2:4001
/// 3:{1:"x"}`): None unless every byte is part of a field, field numbers are valid
/// (1 to 2^29-1) and the wire types known (0, 1, 2, 5). Strings found are pushed to
/// `strings`.
fn protobuf_fields<'a>(
    b: &'a [u8],
    depth: usize,
    out: &mut String,
    strings: &mut Vec<&'a str>,
) -> Option<()> {
    let depth = depth.checked_sub(1)?;
    let mut at = 0;
    let mut n = 0;
    while at < b.len() {
        let (key, next) = varint(b, at)?;
        let (field, wire) = (key >> 3, key & 7);
        if field == 0 || field >= 1 << 29 {
            return None;
        }
        n += 1;
        if n > 64 {
            return None;
        }
        if !out.is_empty() && !out.ends_with('{') {
            out.push(' ');
        }
        let _ = write!(out, "{field}:");
        at = match wire {
            0 => {
                let (v, next) = varint(b, next)?;
                let _ = write!(out, "{v}");
                next
            }
            1 => {
                hex_into(out, b.get(next..next + 8)?);
                next + 8
            }
            5 => {
                hex_into(out, b.get(next..next + 4)?);
                next + 4
            }
            2 => {
                let (len, next) = varint(b, next)?;
                let len = usize::try_from(len).ok()?;
                let end = next.checked_add(len)?;
                let x = b.get(next..end)?;
                if let Some(s) = printable(x) {
                    out.push('"');
                    for c in s.chars() {
                        match c {
                            '"' => out.push_str("\\\""),
                            '\\' => out.push_str("\\\\"),
                            '\n' => out.push_str("\\n"),
                            c => out.push(c),
                        }
                    }
                    out.push('"');
                    strings.push(s);
                } else {
                    let mut inner = String::from("{");
                    let mut more = Vec::new();
                    if !x.is_empty() && protobuf_fields(x, depth, &mut inner, &mut more).is_some() {
                        inner.push('}');
                        out.push_str(&inner);
                        strings.extend(more);
                    } else {
                        let _ = write!(out, "<{len} bytes>");
                    }
                }
                end
            }
            _ => return None,
        };
    }
    Some(())
}

/// `b` read as protobuf without a schema, whole or after a varint length prefix that
/// counts the rest (a varint-framed message): its fields as text, and its gist (the
/// strings, error words or endings in them). None unless it parses whole and holds a
/// string of two characters or more (most binary parses as a field or two by chance).
pub fn protobuf(b: &[u8]) -> Option<(String, Gist)> {
    fn read(m: &[u8]) -> Option<(String, Vec<&str>)> {
        let mut out = String::new();
        let mut strings = Vec::new();
        protobuf_fields(m, DEPTH, &mut out, &mut strings)?;
        strings
            .iter()
            .any(|s| s.chars().filter(|c| c.is_alphanumeric()).count() >= 2)
            .then_some((out, strings))
    }
    let framed = varint(b, 0).and_then(|(len, at)| {
        (usize::try_from(len).ok()? == b.len().checked_sub(at)? && at < b.len())
            .then(|| b.get(at..))
            .flatten()
    });
    let (out, strings) = framed.and_then(read).or_else(|| read(b))?;
    let mut g = Gist::default();
    for s in strings {
        g.put(s);
        if super::errorwords::error_like(s) {
            g.mark(Announces::Error);
        } else if names_end(s) || signs_off(s) {
            g.mark(Announces::Event);
        }
    }
    Some((out, g))
}

/// The printable ASCII strings of four characters or more in binary, " | " between them,
/// and their gist; None when there is none.
pub fn strings(b: &[u8]) -> Option<(String, Gist)> {
    strings_of(b, true)
}

/// [`strings`]; `marks` false: the words of the strings are not looked at (where
/// [`may_announce`] said no reader could mark the message).
pub fn strings_of(b: &[u8], marks: bool) -> Option<(String, Gist)> {
    let mut out = String::with_capacity(b.len() + 16);
    let mut g = Gist::default();
    let printable = |c: &u8| (0x20..0x7f).contains(c);
    let mut at = 0;
    while at < b.len() {
        // The next run of printable ASCII (valid UTF-8 whatever its length).
        let start = at
            + b.get(at..)
                .unwrap_or_default()
                .iter()
                .take_while(|c| !printable(c))
                .count();
        let end = start
            + b.get(start..)
                .unwrap_or_default()
                .iter()
                .take_while(|c| printable(c))
                .count();
        at = end + 1;
        // Four characters or more, its spaces trimmed (the only white space of ASCII
        // that is printable).
        let run = b.get(start..end).unwrap_or_default();
        if run.len() < 4 {
            continue;
        }
        let Ok(s) = std::str::from_utf8(run) else {
            continue;
        };
        let s = s.trim();
        if s.len() < 4 {
            continue;
        }
        if !out.is_empty() {
            out.push_str(" | ");
        }
        out.push_str(s);
        g.put(s);
        if !marks {
            continue;
        }
        if super::errorwords::error_like(s) {
            g.mark(Announces::Error);
        } else if names_end(s) || signs_off(s) {
            g.mark(Announces::Event);
        }
    }
    (!out.is_empty()).then_some((out, g))
}

/// `x` as `0x` and two hex digits a byte, written into `out` (a fixed-width field of the
/// protobuf wire format), with no string made per byte.
fn hex_into(out: &mut String, x: &[u8]) {
    out.push_str("0x");
    for c in x {
        let _ = write!(out, "{c:02x}");
    }
}

#[cfg(test)]
mod tests;
