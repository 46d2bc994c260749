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
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }
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
    /// one is kept. (The line number names the line; its client random, which finds a
    /// connection's lines in a key log, is not repeated in a warning a report carries.)
    Conflict { label: Label },
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
            WarningKind::Conflict { label } => write!(
                f,
                "{label}: the secret differs from the one logged before for the same client \
                 random; the first is kept"
            ),
            WarningKind::TooLong => f.write_str("line too long, skipped"),
            WarningKind::More { .. } => Ok(()),
        }
    }
}

/// Longest line kept while waiting for its end (real lines are under 250 bytes).
pub(crate) const MAX_LINE: usize = 4096;

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
    /// Lines that held a secret of the right shape, from every source (kept or not).
    usable: u64,
}

impl fmt::Debug for KeyLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyLog")
            .field("connections", &self.connections.len())
            .field("sources", &self.sources.len())
            .field("skipped_lines", &self.skipped)
            .field("usable_lines", &self.usable)
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
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', text).chain([text.len()]) {
            line_no = line_no.saturating_add(1);
            if let Some(kind) = self.parse_line(text.get(start..end).unwrap_or_default()) {
                tally.note(&mut warnings, source, line_no, kind);
            }
            start = end.saturating_add(1);
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

    /// Whether only some connections' secrets are kept ([`KeyLog::keep_only`]).
    pub fn is_filtered(&self) -> bool {
        self.wanted.is_some()
    }

    /// Adds the secrets and line counts of `other`, another part of one key log read on
    /// its own (by another thread). `false` when one of its secrets differs from the one
    /// held here for the same connection and label: the reading in order warns of that
    /// conflict with its line, so this log, which then holds part of `other`, is to be
    /// thrown away and the file read in order.
    pub fn absorb(&mut self, other: KeyLog) -> bool {
        use std::collections::hash_map::Entry;
        self.usable = self.usable.saturating_add(other.usable);
        self.skipped = self.skipped.saturating_add(other.skipped);
        if self.connections.is_empty()
            && self.connections.capacity() <= other.connections.capacity()
        {
            // Nothing to compare: `other`'s table is taken as it is. Copied into a new
            // one, the old table (2.7 MB for 40 000 connections) would be freed, which
            // raises glibc's threshold for memory maps for the rest of the run (7 MB
            // more peak RSS in the TLS analysis that followed, on two threads).
            self.connections = other.connections;
            return true;
        }
        self.connections.reserve(other.connections.len());
        for (random, theirs) in other.connections {
            match self.connections.entry(random) {
                Entry::Vacant(v) => {
                    v.insert(theirs);
                }
                Entry::Occupied(mut o) => {
                    let mine = o.get_mut();
                    let ConnectionSecrets { slots } = *theirs;
                    for (label, secret) in Label::ALL.into_iter().zip(slots) {
                        let Some(secret) = secret else { continue };
                        if let Insert::Conflict = mine.insert(label, secret) {
                            return false;
                        }
                    }
                }
            }
        }
        true
    }

    /// Lines with a secret that were dropped because their connection is not among those
    /// [`KeyLog::keep_only`] names.
    pub fn skipped_lines(&self) -> u64 {
        self.skipped
    }

    /// Lines read so far, from every source, that held a secret of the right shape for
    /// their label (kept, passed over by [`KeyLog::keep_only`], or in conflict with one
    /// logged before): a source that adds none is not a key log.
    pub fn usable_lines(&self) -> u64 {
        self.usable
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
        while let Some(nl) = memchr::memchr(b'\n', rest) {
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
        let (label, random, secret) = match plain_line(line) {
            Some(fields) => fields,
            None => match fields(line) {
                Ok(fields) => fields,
                Err(why) => return why,
            },
        };
        self.usable = self.usable.saturating_add(1);
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
            Insert::Conflict => Some(WarningKind::Conflict { label }),
        }
    }
}

/// A line's label, client random and secret.
type Fields = (Label, ClientRandom, Secret);

/// The fields of a line as every writer logs it, found without the general parse (a key
/// log of tens of thousands of connections is read before the capture): a known label,
/// one space, 64 hex digits, one space, the secret's hex digits of a length the label
/// takes, maybe a CR. `None` for any other line, which [`fields`] reads: what this
/// accepts, it reads as [`fields`] would.
fn plain_line(line: &[u8]) -> Option<Fields> {
    if line.len() > MAX_LINE {
        return None;
    }
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let sp = memchr::memchr(b' ', line)?;
    let label = Label::from_name(std::str::from_utf8(line.get(..sp)?).ok()?)?;
    let random = client_random(line.get(sp + 1..sp + 1 + 2 * RANDOM_LEN)?)?;
    let rest = line.get(sp + 1 + 2 * RANDOM_LEN..)?;
    let secret = secret(label, rest.strip_prefix(b" ")?).ok()?;
    Some((label, random, secret))
}

/// The fields of any line: `Err` with why it cannot be used, `Err(None)` for a line
/// skipped without a warning (blank, a comment, an unknown label).
fn fields(line: &[u8]) -> Result<Fields, Option<WarningKind>> {
    if line.len() > MAX_LINE {
        return Err(Some(WarningKind::TooLong));
    }
    let Ok(text) = std::str::from_utf8(line) else {
        return Err(Some(WarningKind::NotText));
    };
    let text = text.trim();
    if text.is_empty() || text.starts_with('#') {
        return Err(None);
    }
    let mut fields = text.split_ascii_whitespace();
    let (Some(label), Some(random), Some(secret_hex), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        // A line with one unknown word and no more is still malformed; an unknown label
        // with the right shape is skipped below.
        return Err(Some(WarningKind::Malformed));
    };
    let label = Label::from_name(label).ok_or(None)?;
    let random = client_random(random.as_bytes()).ok_or(Some(WarningKind::BadClientRandom))?;
    Ok((label, random, secret(label, secret_hex.as_bytes())?))
}

/// A client random from its 64 hex digits.
fn client_random(hex: &[u8]) -> Option<ClientRandom> {
    let mut random = [0u8; RANDOM_LEN];
    (decode_hex_into(hex, &mut random) == Some(RANDOM_LEN)).then_some(random)
}

/// `label`'s secret from its hex digits, or why they are not one (a length the label does
/// not take, or not hex). The decoded bytes are wiped from the stack after.
fn secret(label: Label, hex: &[u8]) -> Result<Secret, WarningKind> {
    let mut bytes = [0u8; MAX_SECRET];
    let got = match decode_hex_into(hex, &mut bytes) {
        Some(len) if label.accepts_len(len) => Secret::new(bytes.get(..len).unwrap_or_default())
            .ok_or(WarningKind::BadSecretHex { label }),
        Some(len) => Err(WarningKind::BadSecretLength { label, len }),
        // Valid hex too long for the buffer is still a length error, with its length.
        None if hex_digits(hex) => Err(WarningKind::BadSecretLength {
            label,
            len: hex.len() / 2,
        }),
        None => Err(WarningKind::BadSecretHex { label }),
    };
    bytes.fill(0);
    std::hint::black_box(&bytes);
    got
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
    let mut ok = true;
    for (o, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let ((h, h_ok), (l, l_ok)) = match pair {
            [h, l] => (hex_digit(*h), hex_digit(*l)),
            _ => ((0, false), (0, false)),
        };
        ok &= h_ok & l_ok;
        *o = h << 4 | (l & 0x0f);
    }
    ok.then_some(n)
}

/// A hex digit's value (either case) and whether `c` is one, by arithmetic rather than
/// the table, so that the loop over a line's digits has no loads to wait for: the low
/// nibble, plus 9 for the letters (0x41-0x46, 0x61-0x66).
fn hex_digit(c: u8) -> (u8, bool) {
    let digit = c.wrapping_sub(b'0') < 10;
    let letter = (c | 0x20).wrapping_sub(b'a') < 6;
    ((c & 0x0f).wrapping_add(9 * (c >> 6)), digit | letter)
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
mod tests;
