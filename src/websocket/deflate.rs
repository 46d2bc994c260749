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

use flate2::{Decompress, FlushDecompress, Status};

/// What the server agreed to in its 101 response (RFC 7692 §7.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
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

thread_local! {
    static OUT: std::cell::RefCell<Box<[u8; OUT_LEN]>> = std::cell::RefCell::new(Box::new([0; OUT_LEN]));
}

/// The tail RFC 7692 §7.2.2 has the sender strip from every message.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// One direction's inflater.
pub struct Inflater {
    d: Decompress,
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
            .field("produced", &self.produced)
            .finish()
    }
}

impl Inflater {
    pub fn new(reset_each_message: bool, cap: u64) -> Inflater {
        Inflater {
            d: Decompress::new(false),
            reset_each_message,
            cap,
            produced: 0,
        }
    }

    /// The per-message cap on inflated bytes.
    pub fn cap(&self) -> u64 {
        self.cap
    }

    /// Whether each message starts from an empty window (so a lost message does not spoil
    /// the next one).
    pub fn resets_each_message(&self) -> bool {
        self.reset_each_message
    }

    /// Compressed bytes of the current message; `sink` gets the inflated pieces.
    pub fn chunk(&mut self, input: &[u8], sink: &mut dyn FnMut(&[u8])) -> Result<(), InflateError> {
        // Output goes through a buffer shared by the thread: an idle inflater holds only
        // its window, and nothing is zeroed per call.
        OUT.with_borrow_mut(|out| self.run(input, out, sink))
    }

    fn run(
        &mut self,
        mut input: &[u8],
        out: &mut [u8; OUT_LEN],
        sink: &mut dyn FnMut(&[u8]),
    ) -> Result<(), InflateError> {
        loop {
            let (in0, out0) = (self.d.total_in(), self.d.total_out());
            let result = self.d.decompress(input, out, FlushDecompress::Sync);
            let used = (self.d.total_in() - in0) as usize;
            let made = (self.d.total_out() - out0) as usize;
            input = input.get(used..).unwrap_or(&[]);
            // What was inflated before an error is still handed on, so findings do not
            // depend on how the compressed bytes were split into segments.
            if made > 0 {
                self.produced += made as u64;
                if self.produced > self.cap {
                    return Err(InflateError::TooLarge { cap: self.cap });
                }
                sink(out.get(..made).unwrap_or(out));
            }
            let status = result.map_err(|e| InflateError::Corrupt(e.to_string()))?;
            if status == Status::StreamEnd {
                // A final block (BFINAL) ends the deflate stream; the next message starts a
                // new one (RFC 7692 §7.2.3.3 allows this).
                self.d.reset(false);
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
    /// inflated size, and reset the window if the parameters say so.
    pub fn end_message(&mut self, sink: &mut dyn FnMut(&[u8])) -> Result<u64, InflateError> {
        self.chunk(&TAIL, sink)?;
        let n = self.produced;
        self.produced = 0;
        if self.reset_each_message {
            self.d.reset(false);
        }
        Ok(n)
    }
}

crate::codec::fields!(Params {
    server_no_context_takeover,
    client_no_context_takeover,
    server_max_window_bits,
    client_max_window_bits,
});

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
}
