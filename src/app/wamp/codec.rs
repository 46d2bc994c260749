//! WAMP's serializations, read as far as the session's ending needs (WAMP v2, "The Web
//! Application Messaging Protocol", §"Serializations" and §"Batched Transport"): JSON,
//! MessagePack and CBOR, each alone in a WebSocket message or batched (JSON messages each
//! followed by a separator; MessagePack and CBOR messages each after a 4-byte big-endian
//! length). The specification names ASCII 30 as JSON's separator; Autobahn, Crossbar.io's
//! library, writes `b"\30"`, which Python reads as octal: 0x18. Neither byte can stand
//! unescaped in JSON, so both separate.
//!
//! In: a WebSocket message's kept bytes and whether they are the whole message. Out: each
//! WAMP message it holds as a [`Msg`]: its type, and for the messages that open, refuse or
//! end a session or report an error (HELLO, WELCOME, ABORT, GOODBYE, ERROR) the fields that
//! say why; every other type only by its type code, read from the first bytes without
//! decoding the rest. MessagePack and CBOR are read item by item (`app::binser`): no value
//! tree is built, strings are borrowed from the message, nesting is
//! bounded by [`DEPTH`], and every declared length is checked against the bytes that are
//! there before it is used (nothing is allocated from a length on the wire). A message that
//! is not whole is read only as far as its type; one whose type matters and that is not
//! whole is undecodable.

use super::super::binser::{self, Cbor, Format, Pack, Tok};
use std::borrow::Cow;

/// The deepest nesting read (a WAMP message is an array of dictionaries: 3 levels; a
/// Details dictionary may nest more, skipped).
pub(crate) const DEPTH: usize = 32;

/// A WAMP serialization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Ser {
    Json,
    MsgPack,
    Cbor,
}

impl Ser {
    /// The name the subprotocol gives it.
    pub fn name(self) -> &'static str {
        match self {
            Ser::Json => "json",
            Ser::MsgPack => "msgpack",
            Ser::Cbor => "cbor",
        }
    }
}

/// The WAMP message types whose fields are read.
pub(crate) const HELLO: u64 = 1;
pub(crate) const WELCOME: u64 = 2;
pub(crate) const ABORT: u64 = 3;
pub(crate) const GOODBYE: u64 = 6;
pub(crate) const ERROR: u64 = 8;

/// Whether the fields of a message of type `kind` are read.
pub(crate) fn read_whole(kind: u64) -> bool {
    matches!(kind, HELLO | WELCOME | ABORT | GOODBYE | ERROR)
}

/// One WAMP message as the session's ending needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Msg<'a> {
    /// Its type code (the first element).
    pub kind: u64,
    /// HELLO's realm; ABORT's and GOODBYE's reason; ERROR's error URI.
    pub uri: Option<Cow<'a, str>>,
    /// The Details' `message` (ABORT, GOODBYE, ERROR).
    pub message: Option<Cow<'a, str>>,
    /// ERROR's request type and request id.
    pub request: Option<(u64, u64)>,
}

/// What one WAMP message of a WebSocket message was.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Part<'a> {
    /// Read (only its type, for a type whose fields do not matter).
    Msg(Msg<'a>),
    /// Not WAMP in this serialization, or cut where its fields were due.
    Bad,
}

/// Each WAMP message of a WebSocket message (`whole`: its bytes are all there), in order,
/// handed to `f`.
pub(crate) fn each<'a>(
    ser: Ser,
    batched: bool,
    bytes: &'a [u8],
    whole: bool,
    f: &mut dyn FnMut(Part<'a>),
) {
    if !batched {
        f(one(ser, bytes, whole));
        return;
    }
    match ser {
        // Each message is followed by its separator; a last one without it is read as well.
        Ser::Json => {
            let mut parts = bytes.split(|&b| b == 0x1e || b == 0x18).peekable();
            while let Some(p) = parts.next() {
                let last = parts.peek().is_none();
                if last && p.is_empty() {
                    break;
                }
                f(one(ser, p, whole || !last));
            }
        }
        Ser::MsgPack | Ser::Cbor => {
            let mut rest = bytes;
            while !rest.is_empty() {
                let Some((len, body)) = rest.split_first_chunk::<4>() else {
                    // The length itself cut: by the capture when not whole.
                    if whole {
                        f(Part::Bad);
                    }
                    return;
                };
                let len = u32::from_be_bytes(*len) as usize;
                match (body.get(..len), body.get(len..)) {
                    (Some(m), Some(after)) => {
                        f(one(ser, m, true));
                        rest = after;
                    }
                    // Longer than what is kept: read as far as its type.
                    _ => {
                        f(if whole {
                            Part::Bad
                        } else {
                            one(ser, body, false)
                        });
                        return;
                    }
                }
            }
        }
    }
}

/// One WAMP message.
fn one(ser: Ser, bytes: &[u8], whole: bool) -> Part<'_> {
    let got = match ser {
        Ser::Json => json(bytes, whole),
        Ser::MsgPack => Tokens::<Pack>::new(bytes).message(whole),
        Ser::Cbor => Tokens::<Cbor>::new(bytes).message(whole),
    };
    got.map_or(Part::Bad, Part::Msg)
}

/// A JSON message: its type from its first bytes, and for a type whose fields matter, the
/// whole message parsed.
fn json(bytes: &[u8], whole: bool) -> Option<Msg<'_>> {
    let kind = json_kind(bytes)?;
    if !read_whole(kind) {
        // Checked as JSON when it is all here, as every JSON message is.
        if whole {
            super::super::lite::array(bytes)?;
        }
        return Some(Msg {
            kind,
            ..Msg::default()
        });
    }
    if !whole {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(super::super::lite::utf8(bytes)?).ok()?;
    let a = v.as_array()?;
    let s = |i: usize| {
        a.get(i)
            .and_then(|x| x.as_str())
            .map(|s| Cow::Owned(s.to_string()))
    };
    let message = |i: usize| {
        a.get(i)
            .and_then(|d| d.get("message"))
            .and_then(|m| m.as_str())
            .map(|s| Cow::Owned(s.to_string()))
    };
    let mut m = Msg {
        kind,
        ..Msg::default()
    };
    match kind {
        HELLO => m.uri = s(1),
        ABORT | GOODBYE => {
            m.message = message(1);
            m.uri = s(2);
        }
        ERROR => {
            let n = |i: usize| a.get(i).and_then(|x| x.as_u64());
            m.request = n(1).zip(n(2));
            m.message = message(3);
            m.uri = s(4);
        }
        _ => {}
    }
    Some(m)
}

/// The type code of a JSON message from its first bytes: `[`, spaces, digits, then a
/// separator.
fn json_kind(bytes: &[u8]) -> Option<u64> {
    let ws = |b: &u8| matches!(b, b' ' | b'\n' | b'\r' | b'\t');
    let mut it = bytes.iter().skip_while(|b| ws(b));
    if it.next() != Some(&b'[') {
        return None;
    }
    let mut it = it.skip_while(|b| ws(b)).peekable();
    let mut kind: u64 = 0;
    let mut digits = 0;
    while let Some(d) = it.next_if(|b| b.is_ascii_digit()) {
        kind = kind.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        digits += 1;
    }
    (digits > 0 && digits < 20 && it.next().is_some_and(|b| ws(b) || matches!(b, b',' | b']')))
        .then_some(kind)
}

/// A WAMP message's reader in a binary serialization.
struct Tokens<'a, F>(binser::Tokens<'a, F>);

impl<'a, F: Format> Tokens<'a, F> {
    fn new(bytes: &'a [u8]) -> Self {
        Tokens(binser::Tokens::new(bytes))
    }

    /// The next item, read through its tags.
    fn next(&mut self) -> Option<Tok<'a>> {
        self.0.next(DEPTH)
    }

    fn skip(&mut self, t: Tok<'a>, depth: usize) -> Option<()> {
        self.0.skip(t, depth)
    }

    /// A string item, or None for any other (skipped).
    fn string(&mut self) -> Option<Option<&'a str>> {
        match self.next()? {
            Tok::Str(s) => Some(Some(s)),
            t => self.skip(t, DEPTH).map(|()| None),
        }
    }

    fn uint(&mut self) -> Option<Option<u64>> {
        match self.next()? {
            Tok::Uint(n) => Some(Some(n)),
            t => self.skip(t, DEPTH).map(|()| None),
        }
    }

    /// A dictionary's `message` (a string), the dictionary read to its end.
    fn details_message(&mut self) -> Option<Option<&'a str>> {
        let n = match self.next()? {
            Tok::Map(n) => n,
            t => return self.skip(t, DEPTH).map(|()| None),
        };
        let mut message = None;
        let mut left = n;
        loop {
            if left == Some(0) {
                break;
            }
            let key = self.next()?;
            if key == Tok::Break && left.is_none() {
                break;
            }
            if key == Tok::Str("message") {
                if let Some(s) = self.string()? {
                    message = Some(s);
                }
            } else {
                self.skip(key, DEPTH)?;
                let v = self.next()?;
                self.skip(v, DEPTH)?;
            }
            left = left.map(|l| l - 1);
        }
        Some(message)
    }

    /// A whole WAMP message (`whole`: all of it is here; else only its type is read).
    fn message(&mut self, whole: bool) -> Option<Msg<'a>> {
        let len = match self.next()? {
            Tok::Array(Some(n)) if n >= 1 => n,
            // WAMP's serializers write arrays of a length; an indefinite one is read too.
            Tok::Array(None) => usize::MAX,
            _ => return None,
        };
        let Tok::Uint(kind) = self.next()? else {
            return None;
        };
        let mut m = Msg {
            kind,
            ..Msg::default()
        };
        if !read_whole(kind) {
            return Some(m);
        }
        if !whole {
            return None;
        }
        let cow = |s: Option<&'a str>| s.map(Cow::Borrowed);
        let mut read = 1;
        match kind {
            HELLO | WELCOME if len > 1 => {
                if kind == HELLO {
                    m.uri = cow(self.string()?);
                } else {
                    self.uint()?;
                }
                read += 1;
            }
            ABORT | GOODBYE if len > 2 => {
                m.message = cow(self.details_message()?);
                m.uri = cow(self.string()?);
                read += 2;
            }
            ERROR if len > 4 => {
                let t = self.uint()?;
                let id = self.uint()?;
                m.request = t.zip(id);
                m.message = cow(self.details_message()?);
                m.uri = cow(self.string()?);
                read += 4;
            }
            _ => {}
        }
        // The rest of the message, checked as far as it goes.
        if len == usize::MAX {
            loop {
                let t = self.next()?;
                if t == Tok::Break {
                    break;
                }
                self.skip(t, DEPTH)?;
            }
        } else {
            for _ in read..len {
                let t = self.next()?;
                self.skip(t, DEPTH)?;
            }
        }
        (self.0.at == self.0.bytes.len()).then_some(m)
    }
}
