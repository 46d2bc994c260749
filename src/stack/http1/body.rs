//! A response's body read by its framing (RFC 9112 §6.3), so that the next response on a
//! kept-alive connection is found where it starts.
//!
//! In: a response's status and framing fields ([`Body::of`]), then its bytes after the head,
//! in stream order and cut anywhere. Out: per call, how many of those bytes were body (the
//! rest belongs to what follows), whether the body ended, and its content (a chunked body's
//! chunk data, without sizes, extensions or trailers) handed to a callback. Nothing is
//! buffered: the decoder keeps a few integers of state, so a body split at every byte reads
//! the same as one segment, and a body of any length costs no memory.
//!
//! The rules, in RFC 9112 §6.3's order: a `1xx`, `204` or `304` has no body (rule 1); a
//! `Transfer-Encoding` whose final coding is `chunked` is read as chunks (§7.1: size in hex,
//! extensions after `;` skipped, data, CRLF; the last chunk `0`, then trailer field lines up
//! to an empty line), one whose final coding is anything else runs to the end of the
//! connection (rule 4), and `Transfer-Encoding` wins over `Content-Length`; else a valid
//! `Content-Length` (repeated identical values are one, rule 5) gives the length; else the
//! body runs to the end of the connection (rules 5 and 8). A chunked body whose framing
//! breaks (a size that is no hex number or overflows 64 bits, data not followed by its line
//! end) is [`Bad`]: where it ends cannot be known.

/// A body's framing went wrong at this byte of the call's input: its end is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bad {
    /// Offset in the bytes of the call that found it.
    pub at: usize,
}

/// Where the decoder is in a chunked body (RFC 9112 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Chunk data: bytes left.
    Data(u64),
    /// In the lines around the data, read a byte at a time.
    Line(Line),
}

/// The line a chunked body is in, outside chunk data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    /// Reading a chunk-size's hex digits: the value so far and how many digits.
    Size { value: u64, digits: u8 },
    /// After the size: extensions (or whitespace) up to the line's LF.
    Ext { value: u64 },
    /// After a chunk's data: its CRLF (`cr`: the CR came).
    DataEnd { cr: bool },
    /// At the start of a trailer field line (or the empty line that ends the body).
    TrailerStart,
    /// Inside a trailer field line, up to its LF.
    TrailerField,
    /// The CR of the empty line that ends the body came; its LF is next.
    TrailerEnd,
}

/// What a byte of a line leads to.
enum Next {
    /// The decoder goes on in this state.
    To(Chunk),
    /// The body ended with this byte.
    End,
}

/// A response body being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Framed by `Content-Length`: bytes left.
    Length(u64),
    /// Framed by chunked transfer coding.
    Chunked(ChunkedState),
    /// No framing: up to the end of the connection.
    ToClose,
    /// Read to its end.
    Done,
}

/// The state of a chunked body (opaque).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkedState(Chunk);

/// Hex digits a chunk-size may have: 16 fill 64 bits.
const MAX_SIZE_DIGITS: u8 = 16;

impl Body {
    /// The body that follows a response head of status `status` with these fields:
    /// `content_length` as sent (repeats joined with ", "), `transfer_encoding` whether the
    /// field was present, `chunked` whether its final coding is `chunked`.
    pub fn of(
        status: u16,
        content_length: Option<&str>,
        transfer_encoding: bool,
        chunked: bool,
    ) -> Body {
        if (100..200).contains(&status) || status == 204 || status == 304 {
            return Body::Done;
        }
        if transfer_encoding {
            return if chunked {
                Body::Chunked(ChunkedState(START))
            } else {
                Body::ToClose
            };
        }
        match content_length.and_then(length) {
            Some(0) => Body::Done,
            Some(n) => Body::Length(n),
            None => Body::ToClose,
        }
    }

    /// The body ended.
    pub fn done(&self) -> bool {
        matches!(self, Body::Done)
    }

    /// Reads `bytes`, the next of the stream; `content` gets the body's content in order.
    /// Returns how many of `bytes` were the body's (all of them unless it ended in them).
    pub fn read(&mut self, bytes: &[u8], mut content: impl FnMut(&[u8])) -> Result<usize, Bad> {
        match self {
            Body::Done => Ok(0),
            Body::ToClose => {
                content(bytes);
                Ok(bytes.len())
            }
            Body::Length(left) => {
                let take = usize::try_from(*left)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                content(bytes.get(..take).unwrap_or_default());
                *left -= take as u64;
                if *left == 0 {
                    *self = Body::Done;
                }
                Ok(take)
            }
            Body::Chunked(ChunkedState(c)) => {
                let (used, done) = chunked(c, bytes, &mut content)?;
                if done {
                    *self = Body::Done;
                }
                Ok(used)
            }
        }
    }
}

/// A `Content-Length` value: one decimal number, or a list of the same one repeated (RFC
/// 9112 §6.3 rule 5, RFC 9110 §8.6); anything else is invalid.
fn length(v: &str) -> Option<u64> {
    let mut all = v.split(',').map(|x| {
        let x = x.trim_matches([' ', '\t']);
        if x.is_empty() || !x.bytes().all(|b| b.is_ascii_digit()) {
            None
        } else {
            x.parse::<u64>().ok()
        }
    });
    let first = all.next()??;
    all.all(|x| x == Some(first)).then_some(first)
}

/// The first chunk-size line.
const START: Chunk = Chunk::Line(Line::Size {
    value: 0,
    digits: 0,
});

/// Reads chunked `bytes` from state `c`: how many were the body's, and whether it ended.
fn chunked(
    c: &mut Chunk,
    bytes: &[u8],
    content: &mut impl FnMut(&[u8]),
) -> Result<(usize, bool), Bad> {
    let mut at = 0;
    while let Some(rest) = bytes.get(at..).filter(|r| !r.is_empty()) {
        *c = match *c {
            Chunk::Data(left) => {
                let take = usize::try_from(left).unwrap_or(usize::MAX).min(rest.len());
                content(rest.get(..take).unwrap_or_default());
                at += take;
                match left - take as u64 {
                    0 => Chunk::Line(Line::DataEnd { cr: false }),
                    left => Chunk::Data(left),
                }
            }
            Chunk::Line(line) => {
                let b = rest.first().copied().unwrap_or_default();
                at += 1;
                match byte(line, b) {
                    Some(Next::To(next)) => next,
                    Some(Next::End) => return Ok((at, true)),
                    None => return Err(Bad { at: at - 1 }),
                }
            }
        };
    }
    Ok((at, false))
}

/// Byte `b` read in line state `line`; `None` when it breaks the framing.
fn byte(line: Line, b: u8) -> Option<Next> {
    let to = |l: Line| Some(Next::To(Chunk::Line(l)));
    match line {
        Line::Size { value, digits } => match (b as char).to_digit(16) {
            Some(d) if digits < MAX_SIZE_DIGITS => to(Line::Size {
                value: value << 4 | u64::from(d),
                digits: digits + 1,
            }),
            Some(_) => None,
            None if digits == 0 => None,
            None => match b {
                b'\n' => Some(Next::To(after_size(value))),
                b';' | b' ' | b'\t' | b'\r' => to(Line::Ext { value }),
                _ => None,
            },
        },
        Line::Ext { value } => match b {
            b'\n' => Some(Next::To(after_size(value))),
            _ => to(Line::Ext { value }),
        },
        Line::DataEnd { cr } => match b {
            b'\r' if !cr => to(Line::DataEnd { cr: true }),
            b'\n' => Some(Next::To(START)),
            _ => None,
        },
        Line::TrailerStart => match b {
            b'\r' => to(Line::TrailerEnd),
            b'\n' => Some(Next::End),
            _ => to(Line::TrailerField),
        },
        Line::TrailerField => match b {
            b'\n' => to(Line::TrailerStart),
            _ => to(Line::TrailerField),
        },
        Line::TrailerEnd => match b {
            b'\n' => Some(Next::End),
            _ => None,
        },
    }
}

/// The state after a chunk-size line of `value`: its data, or the trailer section.
fn after_size(value: u64) -> Chunk {
    if value == 0 {
        Chunk::Line(Line::TrailerStart)
    } else {
        Chunk::Data(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `bytes` cut at `cuts`: the content, the bytes used, and whether it ended.
    fn read(mut body: Body, bytes: &[u8], cuts: &[usize]) -> Result<(Vec<u8>, usize, bool), Bad> {
        let mut out = Vec::new();
        let mut used = 0;
        let mut from = 0;
        for &to in cuts.iter().chain([&bytes.len()]) {
            if body.done() {
                break;
            }
            let n = body
                .read(&bytes[from..to], |b| out.extend_from_slice(b))
                .map_err(|e| Bad { at: from + e.at })?;
            used += n;
            from = to;
        }
        Ok((out, used, body.done()))
    }

    fn chunked() -> Body {
        Body::of(407, Some("999"), true, true)
    }

    #[test]
    fn framing_follows_rfc_9112_section_6_3() {
        assert_eq!(Body::of(204, Some("5"), false, false), Body::Done);
        assert_eq!(Body::of(304, None, true, true), Body::Done);
        assert_eq!(Body::of(407, Some("5"), false, false), Body::Length(5));
        assert_eq!(Body::of(407, Some("5, 5"), false, false), Body::Length(5));
        assert_eq!(Body::of(407, Some("5, 6"), false, false), Body::ToClose);
        assert_eq!(Body::of(407, Some("-1"), false, false), Body::ToClose);
        assert_eq!(Body::of(407, Some("+5"), false, false), Body::ToClose);
        assert_eq!(Body::of(407, Some("0"), false, false), Body::Done);
        assert_eq!(Body::of(407, None, false, false), Body::ToClose);
        // Transfer-Encoding wins over Content-Length; a final coding other than chunked
        // runs to the end.
        assert!(matches!(chunked(), Body::Chunked(_)));
        assert_eq!(Body::of(407, Some("5"), true, false), Body::ToClose);
    }

    #[test]
    fn a_chunked_body_split_at_every_byte_reads_the_same() {
        let body = b"4;name=\"a;b\"\r\nWiki\r\n5\r\npedia\r\nE ; x\r\n in\r\n\r\nchunks.\r\n0;end\r\nExpires: never\r\nX: y\r\n\r\n";
        let mut bytes = body.to_vec();
        bytes.extend_from_slice(b"HTTP/1.1 200 OK\r\n\r\n");
        let want = (b"Wikipedia in\r\n\r\nchunks.".to_vec(), body.len(), true);
        assert_eq!(read(chunked(), &bytes, &[]), Ok(want.clone()));
        for i in 0..=bytes.len() {
            assert_eq!(
                read(chunked(), &bytes, &[i]),
                Ok(want.clone()),
                "cut at {i}"
            );
        }
        let every: Vec<usize> = (1..bytes.len()).collect();
        assert_eq!(read(chunked(), &bytes, &every), Ok(want));
    }

    #[test]
    fn bare_line_feeds_are_read_and_broken_framing_is_bad() {
        assert_eq!(
            read(chunked(), b"3\nabc\n0\n\nrest", &[]),
            Ok((b"abc".to_vec(), 9, true))
        );
        for (bytes, at) in [
            (&b"x\r\n"[..], 0),
            (b"\r\n", 0),
            (b"3\r\nabcX", 6),
            (b"3\r\nabc\r\r", 7),
            (b"12345678901234567\r\n", 16),
            (b"0\r\n\rX", 4),
            (b"3-\r\n", 1),
        ] {
            assert_eq!(read(chunked(), bytes, &[]), Err(Bad { at }), "{bytes:?}");
        }
        // The largest size is read, not overflowed.
        let mut b = Body::of(407, None, true, true);
        assert_eq!(b.read(b"ffffffffffffffff\r\nab", |_| {}), Ok(20));
        assert_eq!(b, Body::Chunked(ChunkedState(Chunk::Data(u64::MAX - 2))));
    }

    #[test]
    fn a_length_body_ends_at_its_length_and_to_close_never() {
        assert_eq!(
            read(Body::Length(4), b"authHTTP", &[2]),
            Ok((b"auth".to_vec(), 4, true))
        );
        assert_eq!(
            read(Body::ToClose, b"all of it", &[3]),
            Ok((b"all of it".to_vec(), 9, false))
        );
    }
}
