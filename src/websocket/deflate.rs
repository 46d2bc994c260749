//! permessage-deflate (RFC 7692): the negotiated parameters and a streaming inflater.
//!
//! In: the `Sec-WebSocket-Extensions` value of the 101 response, then, per direction, the
//! unmasked payload bytes of each compressed message (RSV1 on its first frame) as they
//! arrive. Out: the inflated bytes, piece by piece (for UTF-8 checking and sizes) — never
//! the whole message in memory — or why inflating failed. RFC 7692 §7.2.2: the sender
//! removed the trailing 0x00 0x00 0xff 0xff of each message, so it is appended back at the
//! message's end; with `*_no_context_takeover` the window is reset between messages
//! (§7.1.1). Inflated bytes per message are capped so a decompression bomb costs bounded
//! time and becomes a finding.
//!
//! Memory: between messages an inflater is its history, the last 32 KiB it inflated (the
//! largest window, §7.1.2), which has a binary form for the freezer; zlib's
//! own state is held only while a message is inflated, then cached per thread for the
//! direction's next message (see [`Inflater`]).

use flate2::{Decompress, FlushDecompress, Status};
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};

/// What the server agreed to in its 101 response (RFC 7692 §7.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Params {
    pub server_no_context_takeover: bool,
    pub client_no_context_takeover: bool,
    pub server_max_window_bits: Option<u8>,
    pub client_max_window_bits: Option<u8>,
}

/// The parameters of the first `permessage-deflate` in an extension list, if any.
pub fn parse_params(extensions: &str) -> Option<Params> {
    let ext = extensions.split(',').find(|e| {
        e.split(';')
            .next()
            .is_some_and(|n| n.trim().eq_ignore_ascii_case("permessage-deflate"))
    })?;
    let mut p = Params::default();
    for param in ext.split(';').skip(1) {
        let (name, value) = match param.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
            None => (param.trim(), None),
        };
        let bits = value.and_then(|v| v.parse::<u8>().ok());
        match name.to_ascii_lowercase().as_str() {
            "server_no_context_takeover" => p.server_no_context_takeover = true,
            "client_no_context_takeover" => p.client_no_context_takeover = true,
            "server_max_window_bits" => p.server_max_window_bits = bits,
            "client_max_window_bits" => p.client_max_window_bits = bits,
            _ => {}
        }
    }
    Some(p)
}

/// Why a message could not be inflated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InflateError {
    /// The compressed data is not valid deflate (or refers to a window we do not have).
    Corrupt(String),
    /// The message inflated past the cap.
    TooLarge { cap: u64 },
}

/// Per-message cap on inflated bytes.
pub const DEFAULT_CAP: u64 = 64 << 20;

const OUT_LEN: usize = 8192;

/// Inflating states kept per thread between messages, for the directions that used them
/// last: a direction that finds its own needs no priming.
const HOT: usize = 16;

/// The largest LZ77 window, 2^15 bytes (RFC 7692 §7.1.2: `max_window_bits` up to 15): the
/// history every inflater keeps (see [`Inflater::new`]).
const WINDOW: usize = 1 << 15;

/// What one direction's inflater may keep between messages, charged to the memory budget
/// from the handshake that agreed to permessage-deflate: the inflater and its history at
/// the most it can hold (the window; empty with `*_no_context_takeover`).
pub fn charged(no_context_takeover: bool) -> usize {
    std::mem::size_of::<Inflater>() + if no_context_takeover { 0 } else { WINDOW }
}

/// An inflating state between messages, and the direction it belongs to.
struct Hot {
    id: u64,
    d: Decompress,
}

thread_local! {
    static OUT: std::cell::RefCell<Box<[u8; OUT_LEN]>> = std::cell::RefCell::new(Box::new([0; OUT_LEN]));
    /// Up to [`HOT`] states, the most recently used last.
    static CACHE: std::cell::RefCell<Vec<Hot>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Tells directions apart in [`CACHE`]: a new inflater (a new direction, or one started
/// over after a loss) never finds another's state.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The tail RFC 7692 §7.2.2 has the sender strip from every message.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// One direction's inflater.
///
/// Between two messages a deflate stream is at a block boundary (the sync flush ends
/// every message, §7.2.1), so its whole state is the last bytes it produced, up to the
/// sender's window: that history is what an inflater keeps. The inflating state proper
/// (zlib's, about 47 KB) is held only while a message is being inflated; at the message's
/// end it goes back to a small per-thread cache, and the next message of the direction
/// takes it back, or, when another direction took it in between, starts from a fresh one
/// primed with the history (a preset dictionary, as RFC 1951 §3.2 back-references allow).
/// So an idle direction costs its history (no more than it ever inflated, at most 32 KiB)
/// and has a stored form (its serde impls, for `serial`): a quiet connection that
/// compresses can be frozen like any other.
pub struct Inflater {
    id: u64,
    /// The inflating state, while a message is being inflated.
    d: Option<Decompress>,
    /// What the next message may refer back to: the last [`WINDOW`] bytes inflated, as a
    /// ring once full (`start` is its oldest byte). Empty with `reset_each_message`.
    history: Vec<u8>,
    start: usize,
    /// Reset the window after each message (`*_no_context_takeover`).
    reset_each_message: bool,
    cap: u64,
    /// Inflated bytes of the current message.
    produced: u64,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater")
            .field("reset_each_message", &self.reset_each_message)
            .field("history", &self.history.len())
            .field("inflating", &self.d.is_some())
            .field("produced", &self.produced)
            .finish()
    }
}

impl Inflater {
    /// An inflater with the largest window (32 KiB), whatever `*_max_window_bits` the
    /// handshake agreed: a sender keeping to a smaller window inflates the same, and one
    /// reaching past it inflates as it always did, whether or not its state was cached or
    /// frozen in between (a history cut to the agreed window would make that depend on
    /// the other connections).
    pub fn new(reset_each_message: bool, cap: u64) -> Inflater {
        Inflater {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            d: None,
            history: Vec::new(),
            start: 0,
            reset_each_message,
            cap,
            produced: 0,
        }
    }

    /// The same parameters, nothing inflated yet (a direction started over).
    pub fn fresh(&self) -> Inflater {
        Inflater::new(self.reset_each_message, self.cap)
    }

    /// Whether each message starts from an empty window (so a lost message does not spoil
    /// the next one).
    pub fn resets_each_message(&self) -> bool {
        self.reset_each_message
    }

    /// Whether it is between messages: then its history is its whole state, and it can
    /// be written out (its `Serialize`).
    pub fn idle(&self) -> bool {
        self.d.is_none()
    }

    /// Bytes of history held (at most [`WINDOW`]).
    pub fn history_len(&self) -> usize {
        self.history.len()
    }

    /// Compressed bytes of the current message; `sink` gets the inflated pieces.
    pub fn chunk(&mut self, input: &[u8], sink: &mut dyn FnMut(&[u8])) -> Result<(), InflateError> {
        if self.d.is_none() {
            self.d = Some(self.take_state()?);
        }
        // Output goes through a buffer shared by the thread: nothing is zeroed per call.
        OUT.with_borrow_mut(|out| self.run(input, out, sink))
    }

    /// The inflating state for a new message: this direction's own from the cache, else
    /// the least recently used one (or a new one) started over from the history.
    fn take_state(&mut self) -> Result<Decompress, InflateError> {
        let id = self.id;
        let (own, spare) = CACHE.with_borrow_mut(|cache| {
            if let Some(i) = cache.iter().rposition(|h| h.id == id) {
                return (Some(cache.remove(i).d), None);
            }
            let spare = (cache.len() >= HOT).then(|| cache.remove(0).d);
            (None, spare)
        });
        if let Some(d) = own {
            return Ok(d);
        }
        let mut d = match spare {
            Some(mut d) => {
                d.reset(false);
                d
            }
            None => Decompress::new(false),
        };
        if !self.history.is_empty() {
            // Oldest byte first.
            self.history.rotate_left(self.start);
            self.start = 0;
            d.set_dictionary(&self.history)
                .map_err(|e| InflateError::Corrupt(e.to_string()))?;
        }
        Ok(d)
    }

    /// Adds inflated bytes to the history, keeping the last [`WINDOW`].
    fn remember(&mut self, piece: &[u8]) {
        if self.reset_each_message {
            return;
        }
        let w = WINDOW;
        let piece = piece.get(piece.len().saturating_sub(w)..).unwrap_or(piece);
        let room = w - self.history.len();
        let (fill, wrap) = piece.split_at(room.min(piece.len()));
        if !fill.is_empty() {
            let want = self.history.len() + fill.len();
            if want > self.history.capacity() {
                // Grow by doubling, never past the window.
                let to = want.max(self.history.capacity() * 2).min(w);
                self.history.reserve_exact(to - self.history.len());
            }
            self.history.extend_from_slice(fill);
        }
        if wrap.is_empty() {
            return;
        }
        // Full: overwrite the oldest bytes, wrapping around.
        let first = wrap.len().min(w - self.start);
        let (a, b) = wrap.split_at(first);
        if let Some(dst) = self.history.get_mut(self.start..self.start + first) {
            dst.copy_from_slice(a);
        }
        if let Some(dst) = self.history.get_mut(..b.len()) {
            dst.copy_from_slice(b);
        }
        self.start = (self.start + wrap.len()) % w;
    }

    fn run(
        &mut self,
        mut input: &[u8],
        out: &mut [u8; OUT_LEN],
        sink: &mut dyn FnMut(&[u8]),
    ) -> Result<(), InflateError> {
        loop {
            let Some(d) = self.d.as_mut() else {
                return Ok(());
            };
            let (in0, out0) = (d.total_in(), d.total_out());
            let result = d.decompress(input, out, FlushDecompress::Sync);
            let used = (d.total_in() - in0) as usize;
            let made = (d.total_out() - out0) as usize;
            input = input.get(used..).unwrap_or(&[]);
            // What was inflated before an error is still handed on, so findings do not
            // depend on how the compressed bytes were split into segments.
            if made > 0 {
                self.produced += made as u64;
                if self.produced > self.cap {
                    return Err(InflateError::TooLarge { cap: self.cap });
                }
                let piece = out.get(..made).unwrap_or(out);
                self.remember(piece);
                sink(piece);
            }
            let status = result.map_err(|e| InflateError::Corrupt(e.to_string()))?;
            if status == Status::StreamEnd {
                // A final block (BFINAL) ends the deflate stream; the next message starts a
                // new one (RFC 7692 §7.2.3.3 allows this), with an empty window.
                if let Some(d) = self.d.as_mut() {
                    d.reset(false);
                }
                self.history.clear();
                self.start = 0;
                if input.is_empty() {
                    return Ok(());
                }
                continue;
            }
            if (input.is_empty() && made < out.len()) || (used == 0 && made == 0) {
                return Ok(());
            }
        }
    }

    /// The end of the current message: inflate the implied tail, return the message's
    /// inflated size, reset the window if the parameters say so, and hand the inflating
    /// state back to the thread's cache.
    pub fn end_message(&mut self, sink: &mut dyn FnMut(&[u8])) -> Result<u64, InflateError> {
        self.chunk(&TAIL, sink)?;
        let n = self.produced;
        self.produced = 0;
        if let Some(mut d) = self.d.take() {
            if self.reset_each_message {
                d.reset(false);
            }
            let id = self.id;
            CACHE.with_borrow_mut(|cache| {
                if cache.len() >= HOT {
                    cache.remove(0);
                }
                cache.push(Hot { id, d });
            });
        }
        Ok(n)
    }
}

/// The stored form of an idle inflater (see [`Inflater::idle`]): its parameters and its
/// history, oldest byte first (the ring's older part, then its newer). One in the middle of
/// a message is never written out (`Decoder::can_freeze`).
#[derive(serde::Serialize, serde::Deserialize)]
struct Stored<'a> {
    id: u64,
    #[serde(borrow, with = "serde_bytes")]
    older: Cow<'a, [u8]>,
    #[serde(borrow, with = "serde_bytes")]
    newer: Cow<'a, [u8]>,
    reset_each_message: bool,
    cap: u64,
}

impl serde::Serialize for Inflater {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (newer, older) = self.history.split_at(self.start.min(self.history.len()));
        let stored = Stored {
            id: self.id,
            older: Cow::Borrowed(older),
            newer: Cow::Borrowed(newer),
            reset_each_message: self.reset_each_message,
            cap: self.cap,
        };
        serde::Serialize::serialize(&stored, s)
    }
}

impl<'de> serde::Deserialize<'de> for Inflater {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Inflater, D::Error> {
        let s: Stored<'de> = serde::Deserialize::deserialize(d)?;
        let n = s.older.len() + s.newer.len();
        if n > WINDOW {
            return Err(serde::de::Error::invalid_length(
                n,
                &"at most a window of history",
            ));
        }
        let mut history = Vec::with_capacity(n);
        history.extend_from_slice(&s.older);
        history.extend_from_slice(&s.newer);
        Ok(Inflater {
            id: s.id,
            d: None,
            history,
            start: 0,
            reset_each_message: s.reset_each_message,
            cap: s.cap,
            produced: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compress, Compression, FlushCompress};

    /// Compresses like a permessage-deflate sender: sync flush, then strip the tail.
    fn deflate_message(c: &mut Compress, msg: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(msg.len() + 64);
        c.compress_vec(msg, &mut out, FlushCompress::Sync).unwrap();
        while out.len() == out.capacity() {
            out.reserve(64);
            c.compress_vec(&[], &mut out, FlushCompress::Sync).unwrap();
        }
        assert!(out.ends_with(&TAIL));
        out.truncate(out.len() - 4);
        out
    }

    fn inflate_all(inf: &mut Inflater, pieces: &[&[u8]]) -> Result<Vec<u8>, InflateError> {
        let mut got = Vec::new();
        for p in pieces {
            inf.chunk(p, &mut |b| got.extend_from_slice(b))?;
        }
        inf.end_message(&mut |b| got.extend_from_slice(b))?;
        Ok(got)
    }

    #[test]
    fn params() {
        let p = parse_params(
            "x-other, permessage-deflate; client_max_window_bits=12; server_no_context_takeover",
        )
        .unwrap();
        assert!(p.server_no_context_takeover && !p.client_no_context_takeover);
        assert_eq!(p.client_max_window_bits, Some(12));
        assert_eq!(parse_params("x-webkit-deflate-frame"), None);
        assert_eq!(
            parse_params("permessage-deflate; server_max_window_bits=\"10\"")
                .unwrap()
                .server_max_window_bits,
            Some(10)
        );
    }

    #[test]
    fn context_takeover_across_messages_and_any_split() {
        let mut c = Compress::new(Compression::default(), false);
        let m1 = b"hello hello hello hello websocket world".repeat(3);
        let m2 = b"hello hello hello hello websocket world, again".to_vec();
        let d1 = deflate_message(&mut c, &m1);
        let d2 = deflate_message(&mut c, &m2);
        for cut in 0..d2.len() {
            let mut inf = Inflater::new(false, DEFAULT_CAP);
            assert_eq!(inflate_all(&mut inf, &[&d1]).unwrap(), m1);
            assert_eq!(
                inflate_all(&mut inf, &[&d2[..cut], &d2[cut..]]).unwrap(),
                m2
            );
        }
    }

    #[test]
    fn no_context_takeover_resets_the_window() {
        let mut inf = Inflater::new(true, DEFAULT_CAP);
        for _ in 0..3 {
            let mut c = Compress::new(Compression::default(), false);
            let d = deflate_message(&mut c, b"abcabcabcabc");
            assert_eq!(inflate_all(&mut inf, &[&d]).unwrap(), b"abcabcabcabc");
        }
    }

    #[test]
    fn garbage_is_an_error_and_a_bomb_hits_the_cap() {
        let mut inf = Inflater::new(false, DEFAULT_CAP);
        assert!(matches!(
            inflate_all(&mut inf, &[b"\xff\xff\xff\xff\xff"]),
            Err(InflateError::Corrupt(_))
        ));
        let mut c = Compress::new(Compression::best(), false);
        let d = deflate_message(&mut c, &vec![0u8; 1 << 20]);
        assert!(d.len() < 2048);
        let mut inf = Inflater::new(false, 1 << 16);
        assert_eq!(
            inflate_all(&mut inf, &[&d]),
            Err(InflateError::TooLarge { cap: 1 << 16 })
        );
    }

    /// A sender's messages: JSON-like text, some long enough to fill and wrap the window.
    fn messages(seed: u64, n: usize) -> Vec<Vec<u8>> {
        let mut x = seed;
        (0..n)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let len = if i % 7 == 3 {
                    20_000 + (x >> 50) as usize
                } else {
                    10 + (x >> 56) as usize
                };
                let words = ["price", "bid", "ask", "zürich", "volume", "{\"seq\":", "}"];
                let mut m = Vec::with_capacity(len + 8);
                let mut k = x;
                while m.len() < len {
                    k = k.rotate_left(7) ^ 0x9e37_79b9;
                    m.extend_from_slice(words[(k % words.len() as u64) as usize].as_bytes());
                    m.extend_from_slice(format!("{} ", k % 1000).as_bytes());
                }
                m
            })
            .collect()
    }

    #[test]
    #[allow(clippy::needless_range_loop)] // senders and rounds index several tables at once
    fn more_directions_than_the_cache_holds_each_inflate_from_their_history() {
        // 40 senders with context takeover (some with smaller windows), their messages
        // interleaved one by one, so each message finds its state taken by others and
        // starts from its history; a few are split, so a state is held across others.
        let senders = 40;
        let mut comp: Vec<Compress> = (0..senders)
            .map(|i| match i % 4 {
                0 => Compress::new_with_window_bits(Compression::default(), false, 10),
                _ => Compress::new(Compression::new((i % 9 + 1) as u32), false),
            })
            .collect();
        let mut inf: Vec<Inflater> = (0..senders)
            .map(|_| Inflater::new(false, DEFAULT_CAP))
            .collect();
        let msgs: Vec<Vec<Vec<u8>>> = (0..senders).map(|i| messages(i as u64, 12)).collect();
        for round in 0..12 {
            for i in 0..senders {
                let m = &msgs[i][round];
                let d = deflate_message(&mut comp[i], m);
                let (a, b) = d.split_at(d.len() / 2);
                let mut got = Vec::new();
                inf[i].chunk(a, &mut |p| got.extend_from_slice(p)).unwrap();
                if i % 5 == 0 {
                    // Another direction's whole message in between.
                    let j = (i + 1) % senders;
                    let mj = &msgs[j][round];
                    let dj = deflate_message(&mut comp[j], mj);
                    assert_eq!(&inflate_all(&mut inf[j], &[&dj]).unwrap(), mj);
                }
                inf[i].chunk(b, &mut |p| got.extend_from_slice(p)).unwrap();
                inf[i]
                    .end_message(&mut |p| got.extend_from_slice(p))
                    .unwrap();
                assert_eq!(&got, m, "sender {i}, message {round}");
                assert!(inf[i].idle());
                assert!(inf[i].history_len() <= WINDOW && inf[i].history.capacity() <= WINDOW);
            }
        }
        // Every sender passed 32 KiB: each history is a full window.
        assert!(inf.iter().all(|i| i.history_len() == WINDOW));
    }

    #[test]
    fn an_idle_inflater_written_out_and_read_back_goes_on_anywhere() {
        let mut c = Compress::new(Compression::default(), false);
        let msgs = messages(5, 9);
        let mut inf = Inflater::new(false, DEFAULT_CAP);
        for m in &msgs[..5] {
            let d = deflate_message(&mut c, m);
            assert_eq!(&inflate_all(&mut inf, &[&d]).unwrap(), m);
        }
        let bytes = crate::serial::to_vec(&inf).expect("written out");
        assert!(bytes.len() < WINDOW + 32, "{} bytes", bytes.len());
        let back: Inflater = crate::serial::read(&bytes).expect("reads back");
        assert_eq!(back.history_len(), inf.history_len());
        let rest: Vec<Vec<u8>> = msgs[5..]
            .iter()
            .map(|m| deflate_message(&mut c, m))
            .collect();
        // On another thread, with none of this thread's cached states.
        let expected = msgs[5..].to_vec();
        std::thread::spawn(move || {
            let mut back = back;
            for (d, m) in rest.iter().zip(&expected) {
                assert_eq!(&inflate_all(&mut back, &[d]).unwrap(), m);
            }
        })
        .join()
        .unwrap();
        // Damaged bytes do not read back.
        assert!(crate::serial::read::<Inflater>(&bytes[..bytes.len() / 2]).is_none());
    }

    #[test]
    fn without_context_takeover_nothing_is_remembered() {
        let mut inf = Inflater::new(true, DEFAULT_CAP);
        for m in messages(9, 6) {
            let mut c = Compress::new(Compression::default(), false);
            let d = deflate_message(&mut c, &m);
            assert_eq!(inflate_all(&mut inf, &[&d]).unwrap(), m);
            assert_eq!(inf.history_len(), 0);
        }
    }
}
