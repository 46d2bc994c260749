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
//! decoding the rest. MessagePack's markers are read by `rmp`, CBOR's headers by
//! `ciborium-ll`: no value tree is built, strings are borrowed from the message, nesting is
//! bounded by [`DEPTH`], and every declared length is checked against the bytes that are
//! there before it is used (nothing is allocated from a length on the wire). A message that
//! is not whole is read only as far as its type; one whose type matters and that is not
//! whole is undecodable.

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

/// An item of a binary serialization, as its header says.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok<'a> {
    Uint(u64),
    Str(&'a str),
    /// A string that is not UTF-8, or sent in chunks (CBOR's indefinite length): not read.
    OtherStr,
    /// An array or a map (its entries: keys and values), of a length, or indefinite (CBOR:
    /// up to a break).
    Array(Option<usize>),
    Map(Option<usize>),
    /// CBOR's end of an indefinite-length item.
    Break,
    /// Any other item that holds nothing more (a number, a bool, null, bytes).
    Scalar,
}

/// A binary serialization's items, one header at a time.
trait Format {
    /// The next item of `bytes` from `at`, and where the next one starts.
    fn next(bytes: &[u8], at: usize) -> Option<(Tok<'_>, usize)>;
}

/// A reader of a binary serialization.
struct Tokens<'a, F> {
    bytes: &'a [u8],
    at: usize,
    _f: std::marker::PhantomData<F>,
}

impl<'a, F: Format> Tokens<'a, F> {
    fn new(bytes: &'a [u8]) -> Self {
        Tokens {
            bytes,
            at: 0,
            _f: std::marker::PhantomData,
        }
    }

    fn next(&mut self) -> Option<Tok<'a>> {
        let (t, at) = F::next(self.bytes, self.at)?;
        self.at = at;
        Some(t)
    }

    /// Skips the item `t` began (its entries too), at most `depth` deep.
    fn skip(&mut self, t: Tok<'a>, depth: usize) -> Option<()> {
        let (n, per) = match t {
            Tok::Array(n) => (n, 1),
            Tok::Map(n) => (n, 2),
            Tok::Break => return None,
            _ => return Some(()),
        };
        let depth = depth.checked_sub(1)?;
        match n {
            Some(n) => {
                for _ in 0..n.checked_mul(per)? {
                    let t = self.next()?;
                    self.skip(t, depth)?;
                }
            }
            None => loop {
                let t = self.next()?;
                if t == Tok::Break {
                    break;
                }
                self.skip(t, depth)?;
            },
        }
        Some(())
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
        (self.at == self.bytes.len()).then_some(m)
    }
}

/// `n` bytes of `bytes` from `at` as a big-endian number, and where they end.
fn be(bytes: &[u8], at: usize, n: usize) -> Option<(u64, usize)> {
    let end = at.checked_add(n)?;
    let v = bytes
        .get(at..end)?
        .iter()
        .fold(0u64, |v, &b| (v << 8) | u64::from(b));
    Some((v, end))
}

/// The string of `len` bytes (a declared length: checked against what is there) at `at`.
fn text(bytes: &[u8], at: usize, len: u64) -> Option<(Tok<'_>, usize)> {
    let end = at.checked_add(usize::try_from(len).ok()?)?;
    let s = bytes.get(at..end)?;
    let t = match simdutf8::basic::from_utf8(s) {
        Ok(s) => Tok::Str(s),
        Err(_) => Tok::OtherStr,
    };
    Some((t, end))
}

/// The `len` bytes (a declared length) at `at`, skipped.
fn skip_bytes(bytes: &[u8], at: usize, len: u64) -> Option<(Tok<'_>, usize)> {
    let end = at.checked_add(usize::try_from(len).ok()?)?;
    (end <= bytes.len()).then_some((Tok::Scalar, end))
}

/// MessagePack (its markers as `rmp` names them).
struct Pack;

impl Format for Pack {
    fn next(bytes: &[u8], at: usize) -> Option<(Tok<'_>, usize)> {
        use rmp::Marker as M;
        let marker = M::from_u8(*bytes.get(at)?);
        let at = at + 1;
        // A collection's declared length is at most the bytes left (each entry takes one
        // at least): a longer one is not MessagePack that is here.
        let left = bytes.len().saturating_sub(at) as u64;
        let coll = |n: u64, at: usize, per: u64, map: bool| {
            (n.saturating_mul(per) <= left).then(|| {
                let n = Some(n as usize);
                (if map { Tok::Map(n) } else { Tok::Array(n) }, at)
            })
        };
        match marker {
            M::FixPos(v) => Some((Tok::Uint(u64::from(v)), at)),
            M::U8 => be(bytes, at, 1).map(|(v, e)| (Tok::Uint(v), e)),
            M::U16 => be(bytes, at, 2).map(|(v, e)| (Tok::Uint(v), e)),
            M::U32 => be(bytes, at, 4).map(|(v, e)| (Tok::Uint(v), e)),
            M::U64 => be(bytes, at, 8).map(|(v, e)| (Tok::Uint(v), e)),
            M::Null | M::True | M::False | M::FixNeg(_) => Some((Tok::Scalar, at)),
            M::I8 => skip_bytes(bytes, at, 1),
            M::I16 => skip_bytes(bytes, at, 2),
            M::I32 | M::F32 => skip_bytes(bytes, at, 4),
            M::I64 | M::F64 => skip_bytes(bytes, at, 8),
            M::FixStr(n) => text(bytes, at, u64::from(n)),
            M::Str8 => be(bytes, at, 1).and_then(|(n, e)| text(bytes, e, n)),
            M::Str16 => be(bytes, at, 2).and_then(|(n, e)| text(bytes, e, n)),
            M::Str32 => be(bytes, at, 4).and_then(|(n, e)| text(bytes, e, n)),
            M::Bin8 => be(bytes, at, 1).and_then(|(n, e)| skip_bytes(bytes, e, n)),
            M::Bin16 => be(bytes, at, 2).and_then(|(n, e)| skip_bytes(bytes, e, n)),
            M::Bin32 => be(bytes, at, 4).and_then(|(n, e)| skip_bytes(bytes, e, n)),
            M::FixExt1 => skip_bytes(bytes, at, 2),
            M::FixExt2 => skip_bytes(bytes, at, 3),
            M::FixExt4 => skip_bytes(bytes, at, 5),
            M::FixExt8 => skip_bytes(bytes, at, 9),
            M::FixExt16 => skip_bytes(bytes, at, 17),
            M::Ext8 => be(bytes, at, 1).and_then(|(n, e)| skip_bytes(bytes, e, n + 1)),
            M::Ext16 => be(bytes, at, 2).and_then(|(n, e)| skip_bytes(bytes, e, n + 1)),
            M::Ext32 => be(bytes, at, 4).and_then(|(n, e)| skip_bytes(bytes, e, n + 1)),
            M::FixArray(n) => coll(u64::from(n), at, 1, false),
            M::Array16 => be(bytes, at, 2).and_then(|(n, e)| coll(n, e, 1, false)),
            M::Array32 => be(bytes, at, 4).and_then(|(n, e)| coll(n, e, 1, false)),
            M::FixMap(n) => coll(u64::from(n), at, 2, true),
            M::Map16 => be(bytes, at, 2).and_then(|(n, e)| coll(n, e, 2, true)),
            M::Map32 => be(bytes, at, 4).and_then(|(n, e)| coll(n, e, 2, true)),
            M::Reserved => None,
        }
    }
}

/// CBOR (RFC 8949; its headers as `ciborium-ll` reads them). Tags are read through: the
/// tagged item stands for itself.
struct Cbor;

impl Format for Cbor {
    fn next(bytes: &[u8], at: usize) -> Option<(Tok<'_>, usize)> {
        use ciborium_ll::Header as H;
        let mut at = at;
        // A run of tags before an item (each one header).
        for _ in 0..DEPTH {
            let rest = bytes.get(at..)?;
            let mut d = ciborium_ll::Decoder::from(rest);
            let h = d.pull().ok()?;
            at = at.checked_add(d.offset())?;
            let left = bytes.len().saturating_sub(at);
            let coll = |n: Option<usize>, per: usize, map: bool| {
                n.is_none_or(|n| n.saturating_mul(per) <= left)
                    .then_some((if map { Tok::Map(n) } else { Tok::Array(n) }, at))
            };
            return match h {
                H::Tag(_) => continue,
                H::Positive(v) => Some((Tok::Uint(v), at)),
                H::Negative(_) | H::Float(_) | H::Simple(_) => Some((Tok::Scalar, at)),
                H::Break => Some((Tok::Break, at)),
                H::Text(Some(n)) => text(bytes, at, n as u64),
                H::Bytes(Some(n)) => skip_bytes(bytes, at, n as u64),
                // Chunks up to a break: each a definite string of the same kind.
                H::Text(None) | H::Bytes(None) => {
                    let text = matches!(h, H::Text(None));
                    loop {
                        let rest = bytes.get(at..)?;
                        let mut d = ciborium_ll::Decoder::from(rest);
                        let c = d.pull().ok()?;
                        at = at.checked_add(d.offset())?;
                        match c {
                            H::Break => break,
                            H::Text(Some(n)) if text => at = skip_bytes(bytes, at, n as u64)?.1,
                            H::Bytes(Some(n)) if !text => at = skip_bytes(bytes, at, n as u64)?.1,
                            _ => return None,
                        }
                    }
                    Some((if text { Tok::OtherStr } else { Tok::Scalar }, at))
                }
                H::Array(n) => coll(n, 1, false),
                H::Map(n) => coll(n, 2, true),
            };
        }
        None
    }
}
