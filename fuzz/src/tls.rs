//! The `tls_session` target: a [`TlsSession`] fed both directions of a connection, cut and
//! interleaved as the input says, with a key log made from the input, from random secrets,
//! or none.
//!
//! Input: byte 0 flags; a key-log text (`[len: u16][len bytes]`); then operations (see
//! [`crate::script`]) of these kinds:
//!
//! | kind | operation | bytes |
//! |---|---|---|
//! | 0 | raw | `[len: u16][len bytes]` |
//! | 1 | fill | `[len: u16][byte]`: `len` copies of `byte` |
//! | 2 | record | `[type][version: u16][len: u16][have: u16][have bytes]`: a record header saying `len`, then `len` content bytes: the `have` given, then zeros (lengths at and past 2^14 + 256 and [`MAX_RECORD`] from a few input bytes) |
//! | 3 | sealed | `[key][type][pad][len: u16][content]`: a TLS 1.3 record whose inner plaintext is `content`, inner content type `type` and `pad` zeros, under key `key % 6` (0 the client's early key, 1 the handshake key, 2-5 the application key after 0-3 KeyUpdates) of the operation's direction, with the next sequence number the harness counts for that key. Sealed for real only in the sealed key mode, with the secrets the harness put in the key log and the suite the session took from the ServerHello; otherwise the same bytes with a zero tag (a protected record that does not authenticate) |
//! | 4 | gap | `TlsSession::gap` of the direction |
//! | 5 | repeat | `[count: u16]`: the previous operation's bytes again, `count` times |
//! | 6 | keys | the key log gets its secrets now (with flag bit 5) |
//!
//! Flags: bits 0-1 the key mode ([`KeyMode`]: 0 the key-log text, 1 random secrets for the
//! ClientHello's random, 2 no key log, 3 random secrets and sealed records); bit 2 the key
//! log is complete (a file analysis: no key means NoKey at once; else a live capture's log
//! that may grow, and records wait for it up to a bound); bit 3 random TLS 1.3 secrets are
//! 48 bytes (SHA-384 suites) instead of 32; bit 4 the run is repeated with every chunk cut
//! in two (same packet number) and must give the same events per direction and the same
//! summary (checked only when no early data was offered: with 0-RTT, whether a waiting
//! client record is skipped or ends the direction may depend on how much of the server's
//! bytes came before it); bit 5 "late": the secrets enter the key log only at `keys`
//! operations.
//!
//! Checked: no panic; with random secrets or no key log, nothing is ever decrypted (no
//! `Data` event, `decrypted` false, no record opened: the secrets come from a fixed
//! pseudo-random generator the input does not control, so every AEAD tag and MAC must fail
//! to verify); every `Data` event is non-empty, at most [`MAX_RECORD`] bytes, and tagged
//! with a packet already fed; the summary's byte counts match the events; neither the
//! session's nor the key log's `Debug` shows a secret; and the memory the session holds
//! stays under [`MAX_MEMORY`], whatever the input's length.

use crate::mem;
use crate::script::{self, Digest, OpHeader, Reader, SplitMix, Streams};
use wsclose::__internals::stack::tls::keylog::{ClientRandom, Label};
use wsclose::__internals::stack::tls::keys::{self, AeadAlg, Bulk};
use wsclose::__internals::stack::tls::record::MAX_RECORD;
use wsclose::__internals::stack::tls::{KeyLog, Summary, TlsEvent, TlsSession};

/// Operation kinds.
pub mod op {
    pub const RAW: u8 = 0;
    pub const FILL: u8 = 1;
    pub const RECORD: u8 = 2;
    pub const SEALED: u8 = 3;
    pub const GAP: u8 = 4;
    pub const REPEAT: u8 = 5;
    pub const KEYS: u8 = 6;
}

/// Flag bits (byte 0).
pub mod flag {
    pub const COMPLETE: u8 = 4;
    pub const SHA384: u8 = 8;
    pub const SPLIT: u8 = 16;
    pub const LATE: u8 = 32;
}

/// The most memory a session may hold between two feeds (bytes its `feed` calls allocated
/// and did not free; the harness's own buffers are not counted). By design a session holds
/// per direction at most 4 MiB of records waiting for the other side's hello or for keys,
/// one partial record (under 2 × [`MAX_RECORD`] of buffer) and a partial handshake message
/// (up to 1 MiB): 24 MiB leaves room for the doubling of those buffers.
pub const MAX_MEMORY: usize = 24 << 20;

/// Inside one feed, the session may go over [`MAX_MEMORY`] by this much per byte of the
/// chunk fed: the plaintext of a chunk's records is returned at once, gathered in one
/// buffer (at most a copy of the chunk, kept until the next feed when under 64 KiB), and
/// records that must wait are copied into a 40-byte `Record` each.
pub const FEED_BYTES_PER_BYTE: f64 = 12.0;

/// With `WSCLOSE_FUZZ_STRICT=0`, the memory allowed per record framed on top of
/// [`MAX_MEMORY`]: what a waiting record costs besides its payload (a 40-byte `Record` in a
/// `VecDeque` that may have doubled), for the open bug described at
/// `tls_pending_records_bounded` in `fuzz/src/lib.rs`.
pub const PENDING_RECORD_OVERHEAD: usize = 96;

/// Where the session's secrets come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode {
    /// The key-log text of the input.
    Text,
    /// Random secrets for every client random the session shows: nothing may decrypt.
    Random,
    /// An empty key log: nothing may decrypt.
    NoKeys,
    /// Random secrets, and sealed operations encrypt under them.
    Sealed,
}

#[derive(Debug, Clone)]
pub struct TlsCase<'a> {
    pub flags: u8,
    pub mode: KeyMode,
    pub keylog: &'a [u8],
    pub ops: &'a [u8],
}

impl<'a> TlsCase<'a> {
    pub fn parse(data: &'a [u8]) -> Option<TlsCase<'a>> {
        let (&flags, rest) = data.split_first()?;
        let mut r = Reader::new(rest);
        let n = usize::from(r.u16());
        let keylog = r.take(n);
        let ops = r.take(usize::MAX);
        let mode = match flags & 3 {
            0 => KeyMode::Text,
            1 => KeyMode::Random,
            2 => KeyMode::NoKeys,
            _ => KeyMode::Sealed,
        };
        Some(TlsCase {
            flags,
            mode,
            keylog,
            ops,
        })
    }

    pub fn encode(flags: u8, keylog: &[u8], ops: &[u8]) -> Vec<u8> {
        let keylog = &keylog[..keylog.len().min(0xFFFF)];
        let mut out = vec![flags];
        out.extend_from_slice(&(keylog.len() as u16).to_be_bytes());
        out.extend_from_slice(keylog);
        out.extend_from_slice(ops);
        out
    }

    fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }
}

/// Operation encoders, for seeds and tests.
pub mod encode {
    use super::op;
    use crate::script::OpHeader;

    fn head(out: &mut Vec<u8>, from_client: bool, hold: bool, kind: u8) {
        out.push(
            OpHeader {
                from_client,
                hold,
                kind,
            }
            .byte(),
        );
    }

    /// Raw bytes (in pieces of at most 65 535).
    pub fn raw(out: &mut Vec<u8>, from_client: bool, bytes: &[u8]) {
        for c in bytes.chunks(0xFFFF) {
            head(out, from_client, false, op::RAW);
            out.extend_from_slice(&(c.len() as u16).to_be_bytes());
            out.extend_from_slice(c);
        }
    }

    /// A record saying `len`, with `content` (the harness adds zeros up to `len`).
    pub fn record(out: &mut Vec<u8>, from_client: bool, ty: u8, len: u16, content: &[u8]) {
        let content = &content[..content.len().min(usize::from(len))];
        head(out, from_client, false, op::RECORD);
        out.push(ty);
        out.extend_from_slice(&0x0303u16.to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&(content.len() as u16).to_be_bytes());
        out.extend_from_slice(content);
    }

    #[allow(clippy::too_many_arguments)]
    pub fn sealed(
        out: &mut Vec<u8>,
        from_client: bool,
        hold: bool,
        key: u8,
        ty: u8,
        pad: u8,
        content: &[u8],
    ) {
        head(out, from_client, hold, op::SEALED);
        out.extend_from_slice(&[key, ty, pad]);
        out.extend_from_slice(&(content.len() as u16).to_be_bytes());
        out.extend_from_slice(content);
    }

    pub fn gap(out: &mut Vec<u8>, from_client: bool) {
        head(out, from_client, false, op::GAP);
    }

    pub fn repeat(out: &mut Vec<u8>, from_client: bool, count: u16) {
        head(out, from_client, false, op::REPEAT);
        out.extend_from_slice(&count.to_be_bytes());
    }

    pub fn keys(out: &mut Vec<u8>) {
        head(out, true, false, op::KEYS);
    }
}

/// A TLS 1.3 (or TLS 1.2 master) secret for `label` of the connection `cr`: pseudo-random,
/// from a fixed seed mixed with the label and the client random, never from the input.
pub fn random_secret(label: Label, cr: &ClientRandom, len: usize) -> Vec<u8> {
    let mut d = Digest::default();
    d.bytes(b"wsclose fuzz: not a real secret");
    d.bytes(label.name().as_bytes());
    d.bytes(cr);
    let mut rng = SplitMix(d.0);
    let mut out = vec![0u8; len];
    rng.fill(&mut out);
    out
}

fn secret_len(label: Label, sha384: bool) -> usize {
    if label == Label::ClientRandom || sha384 {
        48
    } else {
        32
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Key-log lines with a random secret for every label of connection `cr`.
pub fn random_key_lines(cr: &ClientRandom, sha384: bool) -> String {
    let mut s = String::new();
    for label in Label::ALL {
        let secret = random_secret(label, cr, secret_len(label, sha384));
        s.push_str(&format!("{} {} {}\n", label.name(), hex(cr), hex(&secret)));
    }
    s
}

/// What a run produced, compared between the run and its cut-again repetition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Per direction (server, client): the events in order.
    pub digest: [Digest; 2],
    pub data_events: [u64; 2],
    pub data_bytes: [u64; 2],
    pub alerts: [u64; 2],
    pub summary: Summary,
}

struct Run<'c> {
    case: &'c TlsCase<'c>,
    split: bool,
    tls: TlsSession,
    keys: KeyLog,
    given: Vec<ClientRandom>,
    packet: u64,
    /// Sealing sequence numbers, per direction (server, client) and key selector.
    seq: [[u64; 6]; 2],
    out: Outcome,
    /// The session's memory (what its `feed` calls allocated and did not free): now, the
    /// most it held between feeds, and the most above [`MAX_MEMORY`] it reached inside a
    /// feed per byte of that feed's chunk.
    kept: isize,
    kept_max: isize,
    over_per_byte: f64,
    over_bytes: isize,
}

impl Run<'_> {
    fn sha384(&self) -> bool {
        self.case.has(flag::SHA384)
    }

    /// Random secrets for `cr`, once.
    fn give_random(&mut self, cr: ClientRandom) {
        if self.given.contains(&cr) || self.given.len() > 8 {
            return;
        }
        self.given.push(cr);
        let lines = random_key_lines(&cr, self.sha384());
        let warnings = self.keys.add_text("fuzz-random", lines.as_bytes());
        assert!(
            warnings.is_empty(),
            "random key lines rejected: {warnings:?}"
        );
    }

    /// The secrets the mode gives, now.
    fn give_keys(&mut self) {
        match self.case.mode {
            KeyMode::Text => {
                let _ = self.keys.add_text("fuzz", self.case.keylog);
            }
            KeyMode::Random | KeyMode::Sealed => {
                if let Some(cr) = self.tls.client_random() {
                    self.give_random(cr);
                }
            }
            KeyMode::NoKeys => {}
        }
    }

    fn feed(&mut self, from_client: bool, chunk: &[u8]) {
        self.packet += 1;
        if self.split {
            let at = script::split_point(chunk.len(), self.packet);
            let (a, b) = chunk.split_at(at);
            self.feed_once(from_client, a);
            self.feed_once(from_client, b);
        } else {
            self.feed_once(from_client, chunk);
        }
    }

    fn feed_once(&mut self, from_client: bool, bytes: &[u8]) {
        let before = mem::live();
        let ((), peak) = mem::peak_during(|| {
            self.tls.feed(from_client, bytes, self.packet, &self.keys);
        });
        let over = self.kept + peak as isize - MAX_MEMORY as isize;
        if over > 0 {
            let per_byte = over as f64 / bytes.len().max(1) as f64;
            if per_byte > self.over_per_byte {
                self.over_per_byte = per_byte;
                self.over_bytes = over;
            }
        }
        for ev in self.tls.events() {
            Self::event(&mut self.out, self.packet, ev);
        }
        self.kept += mem::live() - before;
        self.kept_max = self.kept_max.max(self.kept);
        if !self.case.has(flag::LATE) && matches!(self.case.mode, KeyMode::Random | KeyMode::Sealed)
        {
            if let Some(cr) = self.tls.client_random() {
                self.give_random(cr);
            }
        }
    }

    fn event(out: &mut Outcome, fed: u64, ev: TlsEvent<'_>) {
        match ev {
            TlsEvent::Data {
                from_client,
                bytes,
                packet,
            } => {
                let d = usize::from(from_client);
                assert!(!bytes.is_empty(), "an empty Data event");
                assert!(
                    bytes.len() <= MAX_RECORD,
                    "a Data event of {} bytes, more than a record holds",
                    bytes.len()
                );
                assert!(
                    (1..=fed).contains(&packet),
                    "Data tagged with packet {packet}, not fed yet (at {fed})"
                );
                out.data_events[d] += 1;
                out.data_bytes[d] += bytes.len() as u64;
                let g = &mut out.digest[d];
                g.u64(1);
                g.u64(packet);
                g.u64(bytes.len() as u64);
                g.bytes(&bytes);
            }
            TlsEvent::Alert {
                from_client,
                level,
                description,
                packet,
            } => {
                let d = usize::from(from_client);
                assert!(
                    (1..=fed).contains(&packet),
                    "Alert tagged with packet {packet}, not fed yet (at {fed})"
                );
                out.alerts[d] += 1;
                let g = &mut out.digest[d];
                g.u64(2);
                g.u64(packet);
                g.bytes(&[level, description]);
            }
        }
    }

    /// The bytes of a sealed operation.
    fn sealed(&mut self, from_client: bool, r: &mut Reader<'_>) -> Vec<u8> {
        let sel = r.u8() % 6;
        let ty = r.u8();
        let pad = r.u8();
        let len = usize::from(r.u16()).min(0xFFFF - 16 - 256 - 1);
        let mut inner = Vec::with_capacity(len + 1 + usize::from(pad) + 16);
        r.take_padded(len, &mut inner);
        inner.push(ty);
        inner.resize(inner.len() + usize::from(pad), 0);
        let sealed = if self.case.mode == KeyMode::Sealed {
            self.seal(from_client, sel, &mut inner)
        } else {
            None
        };
        if sealed.is_none() {
            // A protected record that cannot authenticate under any key.
            inner.resize(inner.len() + 16, 0);
        }
        let mut out = vec![23, 3, 3];
        out.extend_from_slice(&(inner.len() as u16).to_be_bytes());
        out.extend_from_slice(&inner);
        out
    }

    /// Encrypts `inner` in place (tag appended) as the next TLS 1.3 record under key
    /// `sel` of the direction; `None` if the session has no TLS 1.3 suite or client random
    /// yet (then nothing is encrypted).
    fn seal(&mut self, from_client: bool, sel: u8, inner: &mut Vec<u8>) -> Option<()> {
        use ring::aead;
        let cr = self.tls.client_random()?;
        let suite = keys::suite(self.tls.summary().cipher_suite?)?;
        if !suite.tls13 {
            return None;
        }
        let label = match (from_client, sel) {
            (true, 0) => Label::ClientEarlyTrafficSecret,
            (true, 1) => Label::ClientHandshakeTrafficSecret,
            (false, 0 | 1) => Label::ServerHandshakeTrafficSecret,
            (true, _) => Label::ClientTrafficSecret0,
            (false, _) => Label::ServerTrafficSecret0,
        };
        let mut secret = random_secret(label, &cr, secret_len(label, self.sha384()));
        for _ in 2..sel.max(2) {
            secret = keys::tls13_next_secret(suite, &secret).ok()?;
        }
        let k = keys::tls13_traffic_keys(suite, &secret).ok()?;
        let alg = match suite.bulk {
            Bulk::Aead(AeadAlg::Aes128Gcm) => &aead::AES_128_GCM,
            Bulk::Aead(AeadAlg::Aes256Gcm) => &aead::AES_256_GCM,
            Bulk::Aead(AeadAlg::ChaCha20Poly1305) => &aead::CHACHA20_POLY1305,
            Bulk::Cbc { .. } => return None,
        };
        let key = aead::LessSafeKey::new(aead::UnboundKey::new(alg, &k.key).ok()?);
        let seq = &mut self.seq[usize::from(from_client)][usize::from(sel)];
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(k.iv.get(..12)?);
        for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
            *n ^= s;
        }
        *seq += 1;
        let len = u16::try_from(inner.len() + 16).ok()?;
        let [l0, l1] = len.to_be_bytes();
        let aad = aead::Aad::from([23, 3, 3, l0, l1]);
        key.seal_in_place_append_tag(aead::Nonce::assume_unique_for_key(nonce), aad, inner)
            .ok()
    }

    fn play(&mut self) {
        if self.case.has(flag::COMPLETE) {
            self.keys.set_complete();
        }
        if !self.case.has(flag::LATE) {
            match self.case.mode {
                KeyMode::Text => self.give_keys(),
                KeyMode::Random | KeyMode::Sealed => {
                    // The client random where a ClientHello record has it, before the
                    // session sees it (a complete key log is read once).
                    if let Some(cr) = first_client_random(self.case.ops) {
                        self.give_random(cr);
                    }
                }
                KeyMode::NoKeys => {}
            }
        }
        let mut r = Reader::new(self.case.ops);
        let mut s = Streams::default();
        while !r.is_empty() && !s.exhausted() {
            let h = OpHeader::parse(r.u8());
            let bytes = match h.kind {
                op::FILL => {
                    let n = r.u16();
                    script::fill(n, r.u8())
                }
                op::RECORD => {
                    let ty = r.u8();
                    let version = r.u16();
                    let len = r.u16();
                    let mut b = vec![ty];
                    b.extend_from_slice(&version.to_be_bytes());
                    b.extend_from_slice(&len.to_be_bytes());
                    let n = usize::from(r.u16());
                    let have = r.take(n);
                    let len = usize::from(len);
                    b.extend_from_slice(&have[..have.len().min(len)]);
                    b.resize(b.len() + len.saturating_sub(have.len()), 0);
                    b
                }
                op::SEALED => self.sealed(h.from_client, &mut r),
                op::GAP => {
                    self.packet += 1;
                    self.tls.gap(h.from_client, Some(self.packet));
                    continue;
                }
                op::REPEAT => {
                    let n = r.u16();
                    script::repeat(&s.last, n, s.room())
                }
                op::KEYS => {
                    self.give_keys();
                    continue;
                }
                _ => {
                    let n = usize::from(r.u16());
                    r.take(n).to_vec()
                }
            };
            let chunk = s.push(h.from_client, h.hold, &bytes);
            if !chunk.is_empty() {
                self.feed(h.from_client, &chunk);
            }
        }
        let [c, sv] = s.drain();
        for (from_client, chunk) in [(true, c), (false, sv)] {
            if !chunk.is_empty() {
                self.feed(from_client, &chunk);
            }
        }
        self.out.summary = self.tls.summary();
    }
}

/// The client random of a ClientHello at the start of the first client operation (raw or
/// record), if it is there whole.
pub fn first_client_random(ops: &[u8]) -> Option<ClientRandom> {
    let mut r = Reader::new(ops);
    while !r.is_empty() {
        let h = OpHeader::parse(r.u8());
        let mut b = Vec::new();
        match h.kind {
            op::RECORD => {
                b.push(r.u8());
                b.extend_from_slice(&r.u16().to_be_bytes());
                b.extend_from_slice(&r.u16().to_be_bytes());
                let n = usize::from(r.u16());
                b.extend_from_slice(r.take(n));
            }
            op::FILL | op::SEALED | op::GAP | op::REPEAT | op::KEYS => return None,
            _ => {
                let n = usize::from(r.u16());
                b.extend_from_slice(r.take(n));
            }
        }
        if !h.from_client {
            continue;
        }
        // record header (5), handshake type and length (4), legacy version (2), random.
        return b.get(11..43)?.try_into().ok();
    }
    None
}

/// The outcome of one input, as the target computes it (for tests).
pub fn outcome(data: &[u8]) -> Outcome {
    TlsCase::parse(data).map_or_else(Outcome::default, |c| run_case(&c, false).0)
}

fn run_case(case: &TlsCase<'_>, split: bool) -> (Outcome, String, Memory) {
    let mut run = Run {
        case,
        split,
        tls: TlsSession::new(),
        keys: KeyLog::new(),
        given: Vec::new(),
        packet: 0,
        seq: [[0; 6]; 2],
        out: Outcome::default(),
        kept: 0,
        kept_max: 0,
        over_per_byte: 0.0,
        over_bytes: 0,
    };
    run.play();
    let debug = format!("{:?} {:?}", run.tls, run.keys);
    let memory = Memory {
        kept_max: usize::try_from(run.kept_max).unwrap_or(0),
        over_per_byte: run.over_per_byte,
        over_bytes: usize::try_from(run.over_bytes).unwrap_or(0),
    };
    (run.out, debug, memory)
}

/// What a run's session held (see [`MAX_MEMORY`]).
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    pub kept_max: usize,
    pub over_per_byte: f64,
    pub over_bytes: usize,
}

/// Runs one input (see the module header for what it means and what is checked).
pub fn tls_session(data: &[u8]) {
    let Some(case) = TlsCase::parse(data) else {
        return;
    };
    let (o, debug, m) = run_case(&case, false);
    let records = o.summary.client.records + o.summary.server.records;
    let allowance = if crate::strict() {
        0
    } else {
        // The open bug `tls_pending_records_bounded` (fuzz/src/lib.rs): records waiting
        // for the other side's hello are counted by their payload bytes only.
        PENDING_RECORD_OVERHEAD * records as usize
    };
    assert!(
        m.kept_max <= MAX_MEMORY + allowance,
        "a TLS session held {} MiB between feeds (more than {} MiB; {records} records)",
        m.kept_max >> 20,
        (MAX_MEMORY + allowance) >> 20
    );
    assert!(
        m.over_per_byte <= FEED_BYTES_PER_BYTE || m.over_bytes <= allowance,
        "a TLS session's feed took {} bytes over {} MiB: {:.1} per byte of its chunk",
        m.over_bytes,
        MAX_MEMORY >> 20,
        m.over_per_byte
    );
    check_outcome(&case, &o);
    if matches!(case.mode, KeyMode::Random | KeyMode::Sealed) {
        if let Some(cr) = o.summary.client_random {
            let s = hex(&random_secret(
                Label::ClientTrafficSecret0,
                &cr,
                secret_len(Label::ClientTrafficSecret0, case.has(flag::SHA384)),
            ));
            assert!(!debug.contains(&s), "a secret in Debug output");
        }
    }
    if case.has(flag::SPLIT) && !o.summary.early_data_offered {
        let (again, _, _) = run_case(&case, true);
        assert_eq!(
            o, again,
            "cutting every chunk in two changed the events or the summary"
        );
    }
}

fn check_outcome(case: &TlsCase<'_>, o: &Outcome) {
    let s = &o.summary;
    if matches!(case.mode, KeyMode::Random | KeyMode::NoKeys) {
        assert_eq!(
            o.data_events,
            [0, 0],
            "decrypted data with a key log of random secrets (or none)"
        );
        assert!(
            !s.decrypted
                && s.client.decrypted_records == 0
                && s.server.decrypted_records == 0
                && s.client.app_bytes == 0
                && s.server.app_bytes == 0,
            "records opened with a key log of random secrets (or none): {s:?}"
        );
    }
    for (d, dir) in [(0, &s.server), (1, &s.client)] {
        assert_eq!(
            dir.app_bytes, o.data_bytes[d],
            "app_bytes differs from the events"
        );
        assert!(dir.early_bytes <= dir.app_bytes);
        assert!(dir.decrypted_records <= dir.records);
        assert!(dir.key_updates <= dir.decrypted_records);
    }
    assert_eq!(
        s.decrypted,
        s.client.decrypted_records + s.server.decrypted_records > 0
    );
}
