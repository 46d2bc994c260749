//! The input language shared by the `tls_session` and `h2` targets: a list of operations,
//! each producing bytes of one direction of a connection (or a gap), so that the fuzzer
//! chooses the bytes, how they are cut into chunks and how the two directions interleave.
//!
//! Every operation starts with one byte: bit 7 set for the client's direction (else the
//! server's), bit 6 "hold" (the bytes are kept and fed together with the next operation of
//! the same direction that does not hold: several records or frames in one chunk), bits
//! 0-5 the kind (the target gives the kinds' meaning; unknown kinds are raw data). Numbers
//! are big-endian; an operation cut short by the end of the input takes what there is.
//! Bytes produced are counted, and the script ends once [`MAX_FED`] bytes (or the cap the
//! target sets) were produced.

/// The most bytes one input may produce (fills and repeats make big streams from small
/// inputs; this keeps one run under a second or so).
pub const MAX_FED: usize = 8 << 20;
/// Held bytes are fed anyway once they reach this.
pub const MAX_HELD: usize = 1 << 20;

/// Reads numbers and byte strings from an input, never failing: past the end, numbers
/// are 0 and strings empty.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { rest: data }
    }
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }
    pub fn u8(&mut self) -> u8 {
        match self.rest.split_first() {
            Some((&b, rest)) => {
                self.rest = rest;
                b
            }
            None => 0,
        }
    }
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }
    pub fn u24(&mut self) -> u32 {
        u32::from_be_bytes([0, self.u8(), self.u8(), self.u8()])
    }
    pub fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    /// Up to `n` bytes.
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.rest.len());
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        head
    }
    /// `n` bytes: what the input has, then zeros.
    pub fn take_padded(&mut self, n: usize, out: &mut Vec<u8>) {
        let have = self.take(n);
        out.extend_from_slice(have);
        out.resize(out.len() + (n - have.len()), 0);
    }
}

/// One operation's header byte, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpHeader {
    pub from_client: bool,
    pub hold: bool,
    pub kind: u8,
}

impl OpHeader {
    pub fn parse(b: u8) -> OpHeader {
        OpHeader {
            from_client: b & 0x80 != 0,
            hold: b & 0x40 != 0,
            kind: b & 0x3F,
        }
    }
    pub fn byte(self) -> u8 {
        u8::from(self.from_client) << 7 | u8::from(self.hold) << 6 | (self.kind & 0x3F)
    }
}

/// The bytes of both directions as operations produce them: held bytes, the last
/// operation's bytes (for repeats), and the count against the cap ([`MAX_FED`] unless
/// the target sets another).
#[derive(Debug)]
pub struct Streams {
    held: [Vec<u8>; 2],
    pub last: Vec<u8>,
    pub fed: usize,
    pub fed_dir: [usize; 2],
    pub cap: usize,
}

impl Default for Streams {
    fn default() -> Self {
        Streams::with_cap(MAX_FED)
    }
}

impl Streams {
    pub fn with_cap(cap: usize) -> Streams {
        Streams {
            held: Default::default(),
            last: Vec::new(),
            fed: 0,
            fed_dir: [0; 2],
            cap,
        }
    }

    pub fn exhausted(&self) -> bool {
        self.fed >= self.cap
    }

    /// What the cap leaves.
    pub fn room(&self) -> usize {
        self.cap.saturating_sub(self.fed)
    }

    /// Adds `bytes` to direction `from_client`, cut to what the cap leaves; returns the
    /// chunk to feed now (empty if held).
    pub fn push(&mut self, from_client: bool, hold: bool, bytes: &[u8]) -> Vec<u8> {
        let room = self.room();
        let bytes = &bytes[..bytes.len().min(room)];
        self.fed += bytes.len();
        self.fed_dir[usize::from(from_client)] += bytes.len();
        self.last.clear();
        self.last.extend_from_slice(bytes);
        let exhausted = self.exhausted();
        let held = &mut self.held[usize::from(from_client)];
        held.extend_from_slice(bytes);
        if hold && held.len() < MAX_HELD && !exhausted {
            return Vec::new();
        }
        std::mem::take(held)
    }

    /// Whatever is still held, per direction (client first), at the end of the script.
    pub fn drain(&mut self) -> [Vec<u8>; 2] {
        let [s, c] = std::mem::take(&mut self.held);
        [c, s]
    }
}

/// Bytes for a "fill" operation: `len` copies of `byte`.
pub fn fill(len: u16, byte: u8) -> Vec<u8> {
    vec![byte; usize::from(len)]
}

/// `last` repeated `count` times, stopping at `room` bytes.
pub fn repeat(last: &[u8], count: u16, room: usize) -> Vec<u8> {
    let mut out = Vec::new();
    if last.is_empty() {
        return out;
    }
    for _ in 0..count {
        if out.len() >= room {
            break;
        }
        out.extend_from_slice(last);
    }
    out.truncate(room);
    out
}

/// A split point of a chunk for the "cut again" run: anywhere from 0 to `len`, varying
/// with the chunk and its packet, the same in every run.
pub fn split_point(len: usize, packet: u64) -> usize {
    let h = (len as u64 ^ packet.rotate_left(17)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    ((h >> 32) as usize) % (len + 1)
}

/// FNV-1a over what the targets compare between two runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digest(pub u64);

impl Default for Digest {
    fn default() -> Self {
        Digest(0xcbf2_9ce4_8422_2325)
    }
}

impl Digest {
    pub fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 = (self.0 ^ u64::from(x)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    pub fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }
}

/// Formatting straight into the digest (`write!(digest, "{x:?}")`), with no string built,
/// eight bytes per step (so it equals `bytes` only for the same pieces: the same value
/// formatted twice gives the same digest, which is all the targets compare).
impl std::fmt::Write for Digest {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let mut words = s.as_bytes().chunks_exact(8);
        for w in &mut words {
            let mut word = [0u8; 8];
            word.copy_from_slice(w);
            self.0 = (self.0 ^ u64::from_le_bytes(word)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.bytes(words.remainder());
        Ok(())
    }
}

/// SplitMix64: the targets' pseudo-random numbers (deterministic, so runs replay).
#[derive(Debug, Clone)]
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn fill(&mut self, out: &mut [u8]) {
        for c in out.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            c.copy_from_slice(&v[..c.len()]);
        }
    }
}
