//! NSS key logs (the `SSLKEYLOGFILE` format): the secrets that let a passive observer
//! decrypt a TLS connection.
//!
//! In: text, as written by browsers, curl, OpenSSL, rustls, Go… into `SSLKEYLOGFILE`, or
//! carried by a pcapng Decryption Secrets Block (the same text). One line per secret:
//! `LABEL <client random, 64 hex digits> <secret, hex>`; `#` starts a comment.
//! Out: a [`KeyLog`], keyed by the 32-byte client random of each connection, holding that
//! connection's [`ConnectionSecrets`] (only those of the connections a capture holds, once
//! told which: [`KeyLog::keep_only`]; the other lines are counted); and [`KeyLogWarning`]s
//! for the lines that could not be used (a bad line never fails the whole log): the first
//! [`WARNINGS_SHOWN`] of each source, then one that counts the rest.
//!
//! Labels read: `CLIENT_RANDOM` (the TLS 1.2 master secret, RFC 5246 §8.1, 48 bytes) and
//! the TLS 1.3 traffic secrets of RFC 8446 §7.1 (`CLIENT_EARLY_TRAFFIC_SECRET`,
//! `CLIENT_HANDSHAKE_TRAFFIC_SECRET`, `SERVER_HANDSHAKE_TRAFFIC_SECRET`,
//! `CLIENT_TRAFFIC_SECRET_0`, `SERVER_TRAFFIC_SECRET_0`, `EXPORTER_SECRET`; 32 or 48 bytes,
//! the length of the suite's hash). Other labels (`RSA`, `EARLY_EXPORTER_SECRET`, …) are
//! skipped without a warning.
//!
//! Key material is never printed: the `Debug` impls show lengths, and the warnings name the
//! source and line, never the line's content.
//!
//! Size: about 1 100 lines, 400 of them tests.

use rustc_hash::{FxHashMap, FxHashSet};
use std::fmt;

/// Length of a TLS client (or server) random.
pub const RANDOM_LEN: usize = 32;

/// The 32-byte client random that names a connection in a key log.
pub type ClientRandom = [u8; RANDOM_LEN];

/// The labels this parser keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Label {
    /// TLS 1.2 (and earlier) master secret, 48 bytes.
    ClientRandom,
    ClientEarlyTrafficSecret,
    ClientHandshakeTrafficSecret,
    ServerHandshakeTrafficSecret,
    ClientTrafficSecret0,
    ServerTrafficSecret0,
    ExporterSecret,
}

impl Label {
    /// Every label, in the order [`KeyLog::nss_lines`] writes them.
    pub const ALL: [Label; 7] = [
        Label::ClientRandom,
        Label::ClientEarlyTrafficSecret,
        Label::ClientHandshakeTrafficSecret,
        Label::ServerHandshakeTrafficSecret,
        Label::ClientTrafficSecret0,
        Label::ServerTrafficSecret0,
        Label::ExporterSecret,
    ];

    /// The label as written in the key log.
    pub fn name(self) -> &'static str {
        match self {
            Label::ClientRandom => "CLIENT_RANDOM",
            Label::ClientEarlyTrafficSecret => "CLIENT_EARLY_TRAFFIC_SECRET",
            Label::ClientHandshakeTrafficSecret => "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            Label::ServerHandshakeTrafficSecret => "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            Label::ClientTrafficSecret0 => "CLIENT_TRAFFIC_SECRET_0",
            Label::ServerTrafficSecret0 => "SERVER_TRAFFIC_SECRET_0",
            Label::ExporterSecret => "EXPORTER_SECRET",
        }
    }

    /// The label named `name` (exact, upper case as every writer emits it).
    pub fn from_name(name: &str) -> Option<Label> {
        Label::ALL.into_iter().find(|l| l.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Whether a secret of `len` bytes can be this label's.
    fn accepts_len(self, len: usize) -> bool {
        match self {
            Label::ClientRandom => len == 48,
            _ => len == 32 || len == 48,
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Longest secret a key log holds: the output of SHA-384, the longest hash of any TLS
/// suite (RFC 8446 §7.1; the TLS 1.2 master secret is 48 bytes too, RFC 5246 §8.1).
pub const MAX_SECRET: usize = 48;

/// Secret bytes (at most [`MAX_SECRET`]), held inline: a key log of tens of thousands of
/// connections is read without an allocation per secret. `Debug` shows only the length.
#[derive(Clone)]
pub struct Secret {
    len: u8,
    bytes: [u8; MAX_SECRET],
}

impl Secret {
    /// A copy of `bytes`; `None` when they are longer than any TLS secret.
    pub fn new(bytes: &[u8]) -> Option<Secret> {
        let mut s = Secret {
            len: u8::try_from(bytes.len()).ok()?,
            bytes: [0; MAX_SECRET],
        };
        s.bytes.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(s)
    }
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }
    #[cfg(any(test, feature = "internals"))]
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }
    #[cfg(any(test, feature = "internals"))]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} bytes, redacted)", self.len)
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // Best effort not to leave key material in freed memory (not a guarantee: a move,
        // such as the key log's table growing, may have left copies); `black_box` keeps the
        // stores.
        self.bytes.fill(0);
        std::hint::black_box(&self.bytes);
    }
}

/// The secrets one key log holds for one connection.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ConnectionSecrets {
    slots: [Option<Secret>; 7],
}

impl ConnectionSecrets {
    /// The secret logged under `label`, if any.
    pub fn get(&self, label: Label) -> Option<&[u8]> {
        self.slots
            .get(label.index())
            .and_then(|s| s.as_ref())
            .map(Secret::as_bytes)
    }

    /// The TLS 1.2 master secret (`CLIENT_RANDOM`).
    pub fn master_secret(&self) -> Option<&[u8]> {
        self.get(Label::ClientRandom)
    }

    /// Whether any TLS 1.3 traffic secret is present.
    pub fn has_tls13(&self) -> bool {
        Label::ALL
            .into_iter()
            .any(|l| l != Label::ClientRandom && self.get(l).is_some())
    }

    /// Labels present, in [`Label::ALL`] order.
    pub fn labels(&self) -> impl Iterator<Item = Label> + '_ {
        Label::ALL.into_iter().filter(|l| self.get(*l).is_some())
    }

    /// Stores `secret` under `label` unless one is there. Returns what happened.
    fn insert(&mut self, label: Label, secret: Secret) -> Insert {
        let Some(slot) = self.slots.get_mut(label.index()) else {
            return Insert::New;
        };
        match slot {
            Some(old) if *old == secret => Insert::Duplicate,
            Some(_) => Insert::Conflict,
            None => {
                *slot = Some(secret);
                Insert::New
            }
        }
    }
}

impl fmt::Debug for ConnectionSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for l in self.labels() {
            let len = self.get(l).map_or(0, <[u8]>::len);
            m.entry(&l.name(), &format_args!("{len} bytes, redacted"));
        }
        m.finish()
    }
}

enum Insert {
    New,
    Duplicate,
    Conflict,
}

/// Why a key-log line was not used. Never carries the line's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarningKind {
    /// Not three space-separated fields.
    Malformed,
    /// The line is not ASCII/UTF-8 text.
    NotText,
    /// The client random is not 64 hex digits.
    BadClientRandom,
    /// The secret is not an even number of hex digits.
    BadSecretHex { label: Label },
    /// The secret's length does not fit the label.
    BadSecretLength { label: Label, len: usize },
    /// A different secret was logged before for the same connection and label; the first
    /// one is kept.
    Conflict {
        label: Label,
        client_random_prefix: String,
    },
    /// A line longer than any real key-log line (its start is skipped).
    TooLong,
    /// The source's lines that could not be used beyond the first [`WARNINGS_SHOWN`]:
    /// counted, not listed (`line` is the last of them).
    More { lines: u64 },
}

/// How many of a source's unusable lines are listed one by one; the rest are counted in
/// one [`WarningKind::More`].
pub const WARNINGS_SHOWN: u64 = 5;

/// A key-log line that could not be used: where it is and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLogWarning {
    /// The source's name as the caller gave it (a file name, `SSLKEYLOGFILE`, a pcapng
    /// block…).
    pub source: String,
    /// 1-based line number in that source.
    pub line: u64,
    pub kind: WarningKind,
}

impl fmt::Display for KeyLogWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let WarningKind::More { lines } = self.kind {
            return write!(
                f,
                "key log {}: … and {lines} more lines that could not be used (the last: line {})",
                self.source, self.line
            );
        }
        write!(f, "key log {} line {}: ", self.source, self.line)?;
        match &self.kind {
            WarningKind::Malformed => {
                f.write_str("not a key-log line (expected LABEL CLIENT_RANDOM SECRET)")
            }
            WarningKind::NotText => f.write_str("not text"),
            WarningKind::BadClientRandom => f.write_str("client random is not 64 hex digits"),
            WarningKind::BadSecretHex { label } => write!(f, "{label}: secret is not hex"),
            WarningKind::BadSecretLength { label, len } => {
                let want = if *label == Label::ClientRandom {
                    "48"
                } else {
                    "32 or 48"
                };
                write!(f, "{label}: secret is {len} bytes, expected {want}")
            }
            WarningKind::Conflict {
                label,
                client_random_prefix,
            } => write!(
                f,
                "{label} for client random {client_random_prefix}… differs from the one \
                 logged before; the first is kept"
            ),
            WarningKind::TooLong => f.write_str("line too long, skipped"),
            WarningKind::More { .. } => Ok(()),
        }
    }
}

/// Longest line kept while waiting for its end (real lines are under 250 bytes).
const MAX_LINE: usize = 4096;

/// Per-source reading state for incremental appends.
#[derive(Default)]
struct SourceState {
    /// Lines completed so far.
    lines: u64,
    /// The start of a line whose end has not arrived yet.
    partial: Vec<u8>,
    /// The partial line grew past [`MAX_LINE`]: drop the rest of it.
    overlong: bool,
    tally: Tally,
}

/// A source's unusable lines: the first [`WARNINGS_SHOWN`] listed, all counted.
#[derive(Default)]
struct Tally {
    count: u64,
    /// The line of the last one.
    last: u64,
}

impl Tally {
    /// Counts a bad line; lists it while fewer than [`WARNINGS_SHOWN`] were.
    fn note(&mut self, out: &mut Vec<KeyLogWarning>, source: &str, line: u64, kind: WarningKind) {
        self.count = self.count.saturating_add(1);
        self.last = line;
        if self.count <= WARNINGS_SHOWN {
            out.push(KeyLogWarning {
                source: source.to_owned(),
                line,
                kind,
            });
        }
    }

    /// The one warning that counts the bad lines not listed, if any.
    fn more(&self, source: &str) -> Option<KeyLogWarning> {
        (self.count > WARNINGS_SHOWN).then(|| KeyLogWarning {
            source: source.to_owned(),
            line: self.last,
            kind: WarningKind::More {
                lines: self.count - WARNINGS_SHOWN,
            },
        })
    }
}

/// Every secret read so far, from any number of sources.
#[derive(Default)]
pub struct KeyLog {
    /// Boxed: the table moves small entries when it grows, and a connection's secrets are
    /// one allocation (not one per secret).
    connections: FxHashMap<ClientRandom, Box<ConnectionSecrets>>,
    sources: FxHashMap<String, SourceState>,
    /// Only these connections' secrets are kept (those a capture holds), when set.
    wanted: Option<FxHashSet<ClientRandom>>,
    /// Lines with a secret for a connection not in `wanted`: read, checked, not kept.
    skipped: u64,
    /// No secret will be added any more (every source of a file analysis was read): a
    /// connection not in the log has no key, and its records need not wait for one.
    complete: bool,
}

impl fmt::Debug for KeyLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyLog")
            .field("connections", &self.connections.len())
            .field("sources", &self.sources.len())
            .field("skipped_lines", &self.skipped)
            .finish()
    }
}

impl KeyLog {
    pub fn new() -> KeyLog {
        KeyLog::default()
    }

    /// Reads a whole text from `source` (a file, `SSLKEYLOGFILE`, a pcapng Decryption
    /// Secrets Block): every line including an unterminated last one. Line numbers count
    /// from 1 within this text. Returns the warnings: the first [`WARNINGS_SHOWN`] bad
    /// lines, then one that counts the others.
    pub fn add_text(&mut self, source: &str, text: &[u8]) -> Vec<KeyLogWarning> {
        let mut warnings = Vec::new();
        let mut tally = Tally::default();
        let mut line_no = 0u64;
        self.reserve_for(text.len() as u64);
        for line in text.split(|&b| b == b'\n') {
            line_no = line_no.saturating_add(1);
            if let Some(kind) = self.parse_line(line) {
                tally.note(&mut warnings, source, line_no, kind);
            }
        }
        warnings.extend(tally.more(source));
        warnings
    }

    /// Keeps, from now on, only the secrets of the connections named by `randoms` (the
    /// client randoms of a capture's ClientHellos): the lines of any other connection are
    /// read and checked as before, counted ([`KeyLog::skipped_lines`]), and dropped.
    pub fn keep_only(&mut self, randoms: FxHashSet<ClientRandom>) {
        self.connections.retain(|r, _| randoms.contains(r));
        self.wanted = Some(randoms);
    }

    /// Lines with a secret that were dropped because their connection is not among those
    /// [`KeyLog::keep_only`] names.
    pub fn skipped_lines(&self) -> u64 {
        self.skipped
    }

    /// Makes room for the connections of a key log of `bytes` bytes at once, instead of by
    /// doubling: a TLS 1.3 connection logs four or five lines of about 160 bytes, a TLS 1.2
    /// one a line of 176. When only some connections are kept, room for those.
    pub fn reserve_for(&mut self, bytes: u64) {
        let guess = usize::try_from(bytes / 500).unwrap_or(usize::MAX);
        let guess = match &self.wanted {
            Some(w) => guess.min(w.len().saturating_sub(self.connections.len())),
            None => guess,
        };
        // At most what a key log of 64 MiB holds: a bigger file still grows the table by
        // doubling, as far as its lines go.
        self.connections.reserve(guess.min(1 << 17));
    }

    /// Appends bytes read from `source` since the last call (a growing file reread by a
    /// live capture). Complete lines are parsed now; an unterminated last line waits for
    /// the next call or for [`KeyLog::finish`]. Line numbers continue across calls, and
    /// the source's first [`WARNINGS_SHOWN`] bad lines are the only ones returned
    /// (the others are counted: [`KeyLog::finish`], [`KeyLog::more_warnings`]).
    pub fn append(&mut self, source: &str, bytes: &[u8]) -> Vec<KeyLogWarning> {
        let mut warnings = Vec::new();
        let mut state = self.sources.remove(source).unwrap_or_default();
        let mut rest = bytes;
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            let (head, tail) = rest.split_at(nl);
            rest = tail.get(1..).unwrap_or_default();
            state.lines = state.lines.saturating_add(1);
            let bad = if state.overlong {
                state.overlong = false;
                state.partial.clear();
                Some(WarningKind::TooLong)
            } else if state.partial.is_empty() {
                self.parse_line(head)
            } else {
                state.partial.extend_from_slice(head);
                let line = std::mem::take(&mut state.partial);
                self.parse_line(&line)
            };
            if let Some(kind) = bad {
                state.tally.note(&mut warnings, source, state.lines, kind);
            }
        }
        if !state.overlong {
            state.partial.extend_from_slice(rest);
            if state.partial.len() > MAX_LINE {
                state.partial.clear();
                state.overlong = true;
            }
        }
        self.sources.insert(source.to_owned(), state);
        warnings
    }

    /// The end of `source`: parses its unterminated last line, if any, and counts the bad
    /// lines not listed.
    pub fn finish(&mut self, source: &str) -> Vec<KeyLogWarning> {
        let mut warnings = Vec::new();
        if let Some(mut state) = self.sources.remove(source) {
            let line_no = state.lines.saturating_add(1);
            let bad = if state.overlong {
                Some(WarningKind::TooLong)
            } else if !state.partial.is_empty() {
                let line = std::mem::take(&mut state.partial);
                self.parse_line(&line)
            } else {
                None
            };
            if let Some(kind) = bad {
                state.tally.note(&mut warnings, source, line_no, kind);
            }
            warnings.extend(state.tally.more(source));
        }
        warnings
    }

    /// Lines of `source` passed over unread (what a live capture's key log held before it
    /// began): the next line appended is numbered after them.
    pub fn pass_over(&mut self, source: &str, lines: u64) {
        let state = self.sources.entry(source.to_owned()).or_default();
        state.lines = state.lines.saturating_add(lines);
    }

    /// The warning that counts the bad lines of `source` not listed so far, for a source
    /// still being read (a live capture's key log): `None` when all were listed.
    pub fn more_warnings(&self, source: &str) -> Option<KeyLogWarning> {
        self.sources.get(source)?.tally.more(source)
    }

    /// Says that no secret will be added any more (see [`KeyLog::is_complete`]).
    pub fn set_complete(&mut self) {
        self.complete = true;
    }

    /// No secret will be added any more: a live capture's log may still grow, a file
    /// analysis's has been read whole.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The secrets logged for the connection whose ClientHello carried `client_random`.
    pub fn get(&self, client_random: &ClientRandom) -> Option<&ConnectionSecrets> {
        self.connections.get(client_random).map(|b| &**b)
    }

    /// Number of connections with at least one secret.
    pub fn len(&self) -> usize {
        self.connections.len()
    }

    pub fn is_empty(&self) -> bool {
        self.connections.is_empty()
    }

    /// The NSS key-log lines of one connection (each ending in `\n`, labels in
    /// [`Label::ALL`] order, lower-case hex), for writing that connection's secrets into an
    /// extracted capture. `None` when nothing is logged for it.
    pub fn nss_lines(&self, client_random: &ClientRandom) -> Option<String> {
        let secrets = self.connections.get(client_random)?;
        let random = hex_lower(client_random);
        let mut out = String::new();
        for label in secrets.labels() {
            if let Some(secret) = secrets.get(label) {
                out.push_str(label.name());
                out.push(' ');
                out.push_str(&random);
                out.push(' ');
                out.push_str(&hex_lower(secret));
                out.push('\n');
            }
        }
        Some(out)
    }

    /// Reads one line (without its `\n`): its secret kept, or why it could not be used.
    /// Blank lines, comments and unknown labels are skipped without a warning.
    fn parse_line(&mut self, line: &[u8]) -> Option<WarningKind> {
        if line.len() > MAX_LINE {
            return Some(WarningKind::TooLong);
        }
        let Ok(text) = std::str::from_utf8(line) else {
            return Some(WarningKind::NotText);
        };
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            return None;
        }
        let mut fields = text.split_ascii_whitespace();
        let (Some(label), Some(random), Some(secret), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            // A line with one unknown word and no more is still malformed; an unknown label
            // with the right shape is skipped below.
            return Some(WarningKind::Malformed);
        };
        let label = Label::from_name(label)?;
        let mut client_random = [0u8; RANDOM_LEN];
        if decode_hex_into(random.as_bytes(), &mut client_random) != Some(RANDOM_LEN) {
            return Some(WarningKind::BadClientRandom);
        }
        let random = client_random;
        let mut bytes = [0u8; MAX_SECRET];
        let secret = match decode_hex_into(secret.as_bytes(), &mut bytes) {
            Some(len) if label.accepts_len(len) => Secret::new(bytes.get(..len).unwrap_or_default()),
            Some(len) => return Some(WarningKind::BadSecretLength { label, len }),
            // Valid hex too long for the buffer is still a length error, with its length.
            None if hex_digits(secret.as_bytes()) => {
                let len = secret.len() / 2;
                return Some(WarningKind::BadSecretLength { label, len });
            }
            None => None,
        };
        bytes.fill(0);
        std::hint::black_box(&bytes);
        let Some(secret) = secret else {
            return Some(WarningKind::BadSecretHex { label });
        };
        if self.wanted.as_ref().is_some_and(|w| !w.contains(&random)) {
            self.skipped = self.skipped.saturating_add(1);
            return None;
        }
        match self
            .connections
            .entry(random)
            .or_default()
            .insert(label, secret)
        {
            Insert::New | Insert::Duplicate => None,
            Insert::Conflict => Some(WarningKind::Conflict {
                label,
                client_random_prefix: hex_lower(random.get(..4).unwrap_or_default()),
            }),
        }
    }
}

/// Each byte's value as a hex digit (either case), or [`NOT_HEX`].
// Indexing in a constant: an index out of range fails the build, not a run.
#[allow(clippy::indexing_slicing)]
const HEX: [u8; 256] = {
    let mut t = [NOT_HEX; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => NOT_HEX,
        };
        i += 1;
    }
    t
};
const NOT_HEX: u8 = 0xff;

fn hex_value(b: u8) -> u8 {
    HEX.get(usize::from(b)).copied().unwrap_or(NOT_HEX)
}

/// Hex digits (either case) decoded into the start of `out`; the number of bytes written,
/// or `None` for an odd count, a non-hex digit, or more bytes than `out` holds.
pub(crate) fn decode_hex_into(hex: &[u8], out: &mut [u8]) -> Option<usize> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let n = hex.len() / 2;
    let out = out.get_mut(..n)?;
    let mut bad = 0u8;
    for (o, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let (h, l) = match pair {
            [h, l] => (hex_value(*h), hex_value(*l)),
            _ => (NOT_HEX, NOT_HEX),
        };
        bad |= (h | l) & 0xf0;
        *o = h << 4 | (l & 0x0f);
    }
    (bad == 0).then_some(n)
}

/// Whether `s` is an even number of hex digits.
fn hex_digits(s: &[u8]) -> bool {
    s.len().is_multiple_of(2) && s.iter().all(|&b| hex_value(b) != NOT_HEX)
}

/// Hex digits (either case) to bytes; `None` for an odd count or a non-hex digit.
pub(crate) fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let mut out = vec![0; s.len() / 2];
    decode_hex_into(s.as_bytes(), &mut out)?;
    Some(out)
}

pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        for n in [b >> 4, b & 15] {
            if let Some(&d) = DIGITS.get(usize::from(n)) {
                s.push(char::from(d));
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const CR1: &str = "0101010101010101010101010101010101010101010101010101010101010101";
    const CR2: &str = "ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB";

    fn s(byte: u8, len: usize) -> String {
        hex_lower(&vec![byte; len])
    }

    fn cr(hex: &str) -> ClientRandom {
        decode_hex(hex).unwrap().try_into().unwrap()
    }

    #[test]
    fn parses_every_label_comments_blank_and_crlf() {
        let text = format!(
            "# comment\r\n\r\nCLIENT_RANDOM {CR1} {ms}\r\n\
             CLIENT_HANDSHAKE_TRAFFIC_SECRET {CR2} {a}\n\
             SERVER_HANDSHAKE_TRAFFIC_SECRET {CR2} {b}\n\
             CLIENT_TRAFFIC_SECRET_0 {CR2} {c}\n\
             SERVER_TRAFFIC_SECRET_0 {CR2} {d}\n\
             EXPORTER_SECRET {CR2} {e}\n\
             CLIENT_EARLY_TRAFFIC_SECRET {CR2} {f}\n   \n",
            ms = s(0x11, 48),
            a = s(0xa1, 32),
            b = s(0xb1, 32),
            c = s(0xc1, 48),
            d = s(0xd1, 48),
            e = s(0xe1, 32),
            f = s(0xf1, 32),
        );
        let mut log = KeyLog::new();
        let w = log.add_text("keys.txt", text.as_bytes());
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(log.len(), 2);
        let one = log.get(&cr(CR1)).unwrap();
        assert_eq!(one.master_secret(), Some(&[0x11; 48][..]));
        assert!(!one.has_tls13());
        let two = log.get(&cr(CR2)).unwrap();
        assert_eq!(
            two.get(Label::ClientHandshakeTrafficSecret),
            Some(&[0xa1; 32][..])
        );
        assert_eq!(
            two.get(Label::ServerHandshakeTrafficSecret),
            Some(&[0xb1; 32][..])
        );
        assert_eq!(two.get(Label::ClientTrafficSecret0), Some(&[0xc1; 48][..]));
        assert_eq!(two.get(Label::ServerTrafficSecret0), Some(&[0xd1; 48][..]));
        assert_eq!(two.get(Label::ExporterSecret), Some(&[0xe1; 32][..]));
        assert_eq!(
            two.get(Label::ClientEarlyTrafficSecret),
            Some(&[0xf1; 32][..])
        );
        assert!(two.master_secret().is_none());
        assert!(two.has_tls13());
    }

    #[test]
    fn hex_is_case_insensitive() {
        let mut log = KeyLog::new();
        let lower = CR2.to_lowercase();
        let w = log.add_text(
            "k",
            format!("CLIENT_RANDOM {lower} {}\n", "Ab".repeat(48)).as_bytes(),
        );
        assert!(w.is_empty());
        assert_eq!(
            log.get(&cr(CR2)).unwrap().master_secret(),
            Some(&[0xab; 48][..])
        );
    }

    #[test]
    fn unknown_labels_are_skipped_silently() {
        let mut log = KeyLog::new();
        let w = log.add_text(
            "k",
            format!(
                "RSA 0011223344556677 {}\nEARLY_EXPORTER_SECRET {CR1} {}\n",
                s(1, 48),
                s(2, 32)
            )
            .as_bytes(),
        );
        assert!(w.is_empty());
        assert!(log.is_empty());
    }

    #[test]
    fn bad_lines_warn_with_source_and_line_and_no_secret() {
        let secret = "deadbeef".repeat(12); // 48 bytes
        let text = format!(
            "CLIENT_RANDOM {CR1}\n\
             CLIENT_RANDOM 0102 {secret}\n\
             CLIENT_RANDOM {CR1} {secret}zz\n\
             CLIENT_RANDOM {CR1} {short}\n\
             CLIENT_TRAFFIC_SECRET_0 {CR1} {odd}\n\
             CLIENT_RANDOM {CR1} {secret}\n",
            short = "deadbeef".repeat(4),
            odd = "deadbeef".repeat(5),
        );
        let mut log = KeyLog::new();
        let w = log.add_text("my.keys", text.as_bytes());
        let kinds: Vec<_> = w.iter().map(|w| (w.line, w.kind.clone())).collect();
        assert_eq!(
            kinds,
            vec![
                (1, WarningKind::Malformed),
                (2, WarningKind::BadClientRandom),
                (
                    3,
                    WarningKind::BadSecretHex {
                        label: Label::ClientRandom
                    }
                ),
                (
                    4,
                    WarningKind::BadSecretLength {
                        label: Label::ClientRandom,
                        len: 16
                    }
                ),
                (
                    5,
                    WarningKind::BadSecretLength {
                        label: Label::ClientTrafficSecret0,
                        len: 20
                    }
                ),
            ]
        );
        let extra = format!("CLIENT_RANDOM {CR1} {secret} extra\n");
        let more = KeyLog::new().add_text("my.keys", extra.as_bytes());
        assert_eq!(more[0].kind, WarningKind::Malformed);
        let w: Vec<_> = w.into_iter().chain(more).collect();
        for w in &w {
            let text = w.to_string();
            assert!(text.starts_with(&format!("key log my.keys line {}: ", w.line)));
            assert!(!text.contains("deadbeef"), "{text}");
        }
        // The good line 6 was still taken.
        assert!(log.get(&cr(CR1)).unwrap().master_secret().is_some());
        // Non-UTF-8 line.
        let w = log.add_text("bin", b"CLIENT_RANDOM \xff\xfe x\n");
        assert_eq!(w[0].kind, WarningKind::NotText);
    }

    #[test]
    fn duplicates_and_conflicts_keep_the_first() {
        let a = s(0xaa, 48);
        let b = s(0xbb, 48);
        let mut log = KeyLog::new();
        let w = log.add_text(
            "k1",
            format!("CLIENT_RANDOM {CR1} {a}\nCLIENT_RANDOM {CR1} {a}\n").as_bytes(),
        );
        assert!(w.is_empty(), "same value twice is fine");
        let w = log.add_text("k2", format!("\nCLIENT_RANDOM {CR1} {b}\n").as_bytes());
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].source, "k2");
        assert_eq!(w[0].line, 2);
        let text = w[0].to_string();
        assert!(
            text.contains("CLIENT_RANDOM") && text.contains("01010101"),
            "{text}"
        );
        assert!(!text.contains("aaaa") && !text.contains("bbbb"), "{text}");
        assert_eq!(
            log.get(&cr(CR1)).unwrap().master_secret(),
            Some(&[0xaa; 48][..])
        );
    }

    #[test]
    fn incremental_appends_wait_for_the_end_of_a_line() {
        let line = format!("CLIENT_RANDOM {CR1} {}\n", s(0x42, 48));
        let bad = "garbage\n";
        let all = format!("{bad}{line}{line}{bad}");
        for split in 1..all.len() {
            let mut log = KeyLog::new();
            let (a, b) = all.as_bytes().split_at(split);
            let mut w = log.append("live", a);
            w.extend(log.append("live", b));
            w.extend(log.finish("live"));
            assert_eq!(
                w.iter().map(|w| w.line).collect::<Vec<_>>(),
                vec![1, 4],
                "split at {split}"
            );
            assert!(log.get(&cr(CR1)).is_some());
        }
        // An unterminated line is parsed only at finish().
        let mut log = KeyLog::new();
        let w = log.append("live", line.trim_end().as_bytes());
        assert!(w.is_empty() && log.is_empty());
        assert!(log.finish("live").is_empty());
        assert!(log.get(&cr(CR1)).is_some());
    }

    /// Past the first [`WARNINGS_SHOWN`] bad lines of a source, one warning counts the
    /// rest, whether the text is read whole or appended in pieces.
    #[test]
    fn bad_lines_past_the_first_few_are_counted() {
        let mut text = String::new();
        for i in 0..20 {
            text.push_str(if i % 2 == 0 { "bad\n" } else { "# fine\n" });
        }
        text.push_str("last bad"); // line 21, unterminated
        let mut whole = KeyLog::new();
        let w = whole.add_text("k", text.as_bytes());
        let mut pieces = KeyLog::new();
        let mut p = Vec::new();
        for chunk in text.as_bytes().chunks(7) {
            p.extend(pieces.append("k", chunk));
        }
        p.extend(pieces.finish("k"));
        assert_eq!(w, p);
        let lines: Vec<u64> = w.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![1, 3, 5, 7, 9, 21]);
        assert_eq!(w[5].kind, WarningKind::More { lines: 6 });
        assert_eq!(
            w[5].to_string(),
            "key log k: … and 6 more lines that could not be used (the last: line 21)"
        );
        // Five or fewer: no count.
        assert_eq!(KeyLog::new().add_text("k", b"a\nb\nc\nd\ne\n").len(), 5);
        // A source still being read says how many were not listed so far.
        let mut live = KeyLog::new();
        assert_eq!(live.append("live", "bad\n".repeat(8).as_bytes()).len(), 5);
        let more = live.more_warnings("live").expect("a count");
        assert_eq!((more.line, more.kind), (8, WarningKind::More { lines: 3 }));
        assert!(KeyLog::new().more_warnings("live").is_none());
    }

    /// With [`KeyLog::keep_only`], the lines of other connections are checked (their
    /// warnings given) and counted, not kept.
    #[test]
    fn only_the_wanted_connections_are_kept() {
        let mut log = KeyLog::new();
        log.add_text("k", format!("CLIENT_RANDOM {CR2} {}\n", s(1, 48)).as_bytes());
        log.keep_only([cr(CR1)].into_iter().collect());
        assert!(log.is_empty(), "what was kept before and is not wanted goes");
        let w = log.add_text(
            "k",
            format!(
                "CLIENT_RANDOM {CR1} {a}\nCLIENT_RANDOM {CR2} {a}\nCLIENT_RANDOM {CR2} {b}\n\
                 CLIENT_RANDOM {CR2} {short}\n",
                a = s(1, 48),
                b = s(2, 48),
                short = s(3, 8)
            )
            .as_bytes(),
        );
        assert_eq!(
            w.iter().map(|w| (w.line, w.kind.clone())).collect::<Vec<_>>(),
            vec![(
                4,
                WarningKind::BadSecretLength {
                    label: Label::ClientRandom,
                    len: 8
                }
            )],
            "a bad line warns even for a connection not kept; a second secret of one not kept is no conflict"
        );
        assert_eq!(log.len(), 1);
        assert!(log.get(&cr(CR1)).is_some());
        assert_eq!(log.skipped_lines(), 2);
    }

    /// Lines passed over (a live capture's backlog) are counted in the line numbers.
    #[test]
    fn lines_passed_over_count_in_line_numbers() {
        let mut log = KeyLog::new();
        log.pass_over("live", 41);
        let w = log.append("live", b"bad\n");
        assert_eq!(w[0].line, 42);
    }

    #[test]
    fn an_overlong_partial_line_is_dropped() {
        let mut log = KeyLog::new();
        let w = log.append("live", &vec![b'A'; MAX_LINE + 10]);
        assert!(w.is_empty());
        let w = log.append(
            "live",
            format!("AAAA\nCLIENT_RANDOM {CR1} {}\n", s(1, 48)).as_bytes(),
        );
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].kind, WarningKind::TooLong);
        assert_eq!(w[0].line, 1);
        assert!(log.get(&cr(CR1)).is_some());
    }

    #[test]
    fn several_sources_merge() {
        let mut log = KeyLog::new();
        log.add_text(
            "file",
            format!("CLIENT_RANDOM {CR1} {}\n", s(1, 48)).as_bytes(),
        );
        log.add_text(
            "capture.pcapng: Decryption Secrets Block 1",
            format!("SERVER_TRAFFIC_SECRET_0 {CR1} {}\n", s(2, 32)).as_bytes(),
        );
        let secrets = log.get(&cr(CR1)).unwrap();
        assert!(secrets.master_secret().is_some());
        assert!(secrets.get(Label::ServerTrafficSecret0).is_some());
    }

    #[test]
    fn debug_never_prints_secret_bytes() {
        let mut log = KeyLog::new();
        log.add_text(
            "k",
            format!("CLIENT_RANDOM {CR1} {}\n", s(0x5a, 48)).as_bytes(),
        );
        let secrets = log.get(&cr(CR1)).unwrap();
        for text in [
            format!("{log:?}"),
            format!("{secrets:?}"),
            format!("{:?}", Secret::new(&[0x5a; 48]).unwrap()),
        ] {
            assert!(!text.contains("5a") && !text.contains("90"), "{text}");
        }
        assert!(format!("{secrets:?}").contains("48 bytes, redacted"));
    }

    #[test]
    fn nss_lines_round_trip() {
        let text = format!(
            "SERVER_TRAFFIC_SECRET_0 {CR2} {}\nCLIENT_TRAFFIC_SECRET_0 {CR2} {}\nCLIENT_RANDOM {CR1} {}\n",
            s(2, 32),
            s(1, 32),
            s(3, 48)
        );
        let mut log = KeyLog::new();
        log.add_text("k", text.as_bytes());
        let lines = log.nss_lines(&cr(CR2)).unwrap();
        assert_eq!(
            lines,
            format!(
                "CLIENT_TRAFFIC_SECRET_0 {r} {}\nSERVER_TRAFFIC_SECRET_0 {r} {}\n",
                s(1, 32),
                s(2, 32),
                r = CR2.to_lowercase()
            )
        );
        let mut again = KeyLog::new();
        assert!(again.add_text("x", lines.as_bytes()).is_empty());
        assert_eq!(again.get(&cr(CR2)), log.get(&cr(CR2)));
        assert!(log.nss_lines(&[9; 32]).is_none());
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let mut log = KeyLog::new();
        for text in [
            &b"\n\n\n"[..],
            b"CLIENT_RANDOM",
            b"CLIENT_RANDOM  \t ",
            b"\xff\xff\xff\n\x00\x00",
            b"CLIENT_RANDOM \xe2\x82 ab\n",
        ] {
            log.add_text("h", text);
            log.append("h", text);
        }
        log.finish("h");
    }

    /// The table decoder against a digit-at-a-time reading, on every byte pair and on
    /// odd, overlong and non-hex input.
    #[test]
    fn hex_table_matches_digit_reading() {
        fn digit(c: u8) -> Option<u8> {
            char::from(c).to_digit(16).and_then(|d| u8::try_from(d).ok())
        }
        for h in 0..=255u8 {
            for l in 0..=255u8 {
                let want = digit(h).zip(digit(l)).map(|(h, l)| h << 4 | l);
                let mut out = [0u8; 1];
                let got = decode_hex_into(&[h, l], &mut out).map(|_| out[0]);
                assert_eq!(got, want, "{h:#04x} {l:#04x}");
            }
        }
        let mut out = [0u8; 2];
        assert_eq!(decode_hex_into(b"abc", &mut out), None); // odd
        assert_eq!(decode_hex_into(b"abcdef", &mut out), None); // longer than out
        assert_eq!(decode_hex_into(b"AbCd", &mut out), Some(2));
        assert_eq!(out, [0xab, 0xcd]);
        assert_eq!(decode_hex_into(b"", &mut out), Some(0));
        assert_eq!(decode_hex("0g"), None);
        assert_eq!(Secret::new(&[1; MAX_SECRET + 1]), None);
    }
}
