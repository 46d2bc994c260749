//! Where TLS secrets come from: key-log files given with `--keylog`, the file the
//! `SSLKEYLOGFILE` environment variable names, and the Decryption Secrets Blocks of the
//! pcapng inputs.
//!
//! In: those paths (and the capture paths, for their leading blocks and, when the key logs
//! are large, their ClientHellos). Out: one `KeyLog` holding the secrets (of large key
//! logs: only those of the connections whose ClientHello the captures hold, found first by
//! `randoms`), what each source gave ([`KeySource`]: its name, how many connections'
//! secrets, how many lines were for connections not in the captures, never a secret),
//! and warnings: the first few lines of each source that could not be read (file and
//! line, never the line) and a count of the rest. A `--keylog` file that is missing,
//! cannot be read, or holds no usable key-log line at all is refused ([`Loaded::refused`],
//! saying what the file looks like instead); `SSLKEYLOGFILE`, set for every program run,
//! only warns. A key log that is not a regular
//! file (a pipe, `<(zcat keys.gz)`, a device) is opened without waiting for a writer and
//! read up to [`STREAM_LIMIT`] bytes, or until nothing more comes for
//! [`STREAM_QUIET`]. A regular key-log file of 2 MiB or more, read first and kept whole,
//! is parsed by the analysis's threads at once (`parts`). The NSS key-log format is
//! `stack::tls::keylog`'s.

mod parts;
mod randoms;

use crate::stack::tls::keylog::{ClientRandom, KeyLog};
use parts::read_in_parts;
use rustc_hash::FxHashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The secrets an analysis should read.
#[derive(Debug, Clone, Default)]
pub struct KeySources {
    /// `--keylog FILE`, in order.
    pub files: Vec<PathBuf>,
    /// The file `SSLKEYLOGFILE` names, when it was set.
    pub env: Option<PathBuf>,
}

impl KeySources {
    /// `files`, and `SSLKEYLOGFILE` when it is set and not empty.
    pub fn with_env(files: Vec<PathBuf>) -> KeySources {
        let env = std::env::var_os("SSLKEYLOGFILE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        KeySources { files, env }
    }

    /// Every key-log file with the name the report gives it, and whether it was named on
    /// the command line: the `--keylog` files, then `SSLKEYLOGFILE (path)`.
    pub(crate) fn named(&self) -> impl Iterator<Item = (PathBuf, String, bool)> + '_ {
        let files = self
            .files
            .iter()
            .map(|p| (p.clone(), p.display().to_string(), true));
        let env = self
            .env
            .iter()
            .map(|p| (p.clone(), format!("SSLKEYLOGFILE ({})", p.display()), false));
        files.chain(env)
    }
}

/// One source of secrets, as the report names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct KeySource {
    /// A key-log path, `SSLKEYLOGFILE (path)`, or `pcapng secrets in FILE`.
    pub source: String,
    /// Connections (client randoms) whose secrets it added. When the key logs together are
    /// larger than the memory budget reads whole (25 MiB at the default `--max-memory`),
    /// only connections whose ClientHello the capture holds (unless the capture was read
    /// from standard input, a pipe or a device, which cannot be read twice).
    pub connections: usize,
    /// Its lines with a secret of a connection whose ClientHello the capture does not
    /// hold, read and not kept (key logs too large to keep whole). Left out when none.
    #[serde(skip_serializing_if = "is_zero")]
    pub unmatched_lines: u64,
    /// Why it could not be read, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Everything [`load`] read.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The secrets, from every source.
    pub keys: KeyLog,
    /// Each source and what it gave.
    pub sources: Vec<KeySource>,
    /// Lines that could not be read, each naming its source and line (the first few of a
    /// source; one more counts the rest), and reads stopped short.
    pub warnings: Vec<String>,
    /// The first `--keylog` file that is missing, could not be read, or holds no usable
    /// key-log line (and some that are not): an input error, as a capture's would be.
    pub refused: Option<crate::error::Error>,
}

/// Reads every source: the key-log files, `SSLKEYLOGFILE`, then the secrets in `inputs`.
/// Key-log files are kept whole while their secrets, at their largest (a connection per
/// 176-byte TLS 1.2 line, 2.55 bytes of memory per byte of log), take at most a sixteenth of
/// `max_memory` (`Options::max_memory`): 25 MiB of key log at the default 1 GiB, 800 KiB at
/// the least budget. Larger ones together keep only the secrets of the connections whose
/// ClientHello `inputs` hold, the captures read once more for those first (a large
/// uncompressed file by `threads` threads; about a quarter of a second per gigabyte on one,
/// where a browser's key log of weeks takes seconds to read). A file that cannot be read is
/// listed with its error; nothing here fails.
pub fn load(sources: &KeySources, inputs: &[PathBuf], threads: usize, max_memory: usize) -> Loaded {
    let wanted = if key_log_bytes(sources) > crate::memory::key_log_whole(max_memory) {
        randoms::of_captures(inputs, threads, max_memory)
    } else {
        None
    };
    load_keeping(sources, inputs, wanted, threads)
}

/// The size of the key-log files together: [`STREAM_LIMIT`] for one that is not a regular
/// file (a pipe, a device), nothing for a folder or one that is not there.
fn key_log_bytes(sources: &KeySources) -> u64 {
    sources
        .named()
        .map(|(path, ..)| match std::fs::metadata(path) {
            Ok(m) if m.is_file() => m.len(),
            Ok(m) if m.is_dir() => 0,
            Ok(_) => STREAM_LIMIT,
            Err(_) => 0,
        })
        .fold(0, u64::saturating_add)
}

/// [`load`], keeping only the secrets of the connections whose client randoms are
/// `randoms` (for one connection's extract), without reading `inputs` for theirs.
pub fn load_for(sources: &KeySources, inputs: &[PathBuf], randoms: &[[u8; 32]]) -> Loaded {
    load_keeping(sources, inputs, Some(randoms.iter().copied().collect()), 1)
}

fn load_keeping(
    sources: &KeySources,
    inputs: &[PathBuf],
    wanted: Option<FxHashSet<ClientRandom>>,
    threads: usize,
) -> Loaded {
    let mut out = Loaded::default();
    if let Some(w) = wanted {
        out.keys.keep_only(w);
    }
    for (path, name, given) in sources.named() {
        let limits = (STREAM_LIMIT, STREAM_QUIET);
        out.read_file(&path, name, given, limits, threads);
    }
    for input in inputs {
        for text in crate::capture::secrets::leading_tls_secrets(input) {
            out.add(format!("pcapng secrets in {}", input.display()), &text);
        }
    }
    out
}

/// The line ends in `bytes`, by memchr (a byte-by-byte count took 5 ms of an 11 MB key
/// log).
fn newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// How much of a key-log file is read at a time: the file is parsed as it is read, not
/// held whole (a browser's log of a long session runs to megabytes).
const READ_CHUNK: usize = 256 * 1024;

/// The most read from a key log that is not a regular file (a pipe, a device): one that
/// does not end (`/dev/zero`, a writer that never stops) is read this far. A browser's
/// key log of a day is a few megabytes.
pub const STREAM_LIMIT: u64 = 64 << 20;

/// How long a key log that is not a regular file may send nothing before it is read no
/// further: a writer that keeps a pipe open and silent (a browser logging into a FIFO)
/// would otherwise be waited for without end. Long enough for `<(ssh host cat keys.log)`
/// to connect.
pub const STREAM_QUIET: Duration = Duration::from_secs(5);

/// How often a silent pipe is looked at again.
const STREAM_POLL: Duration = Duration::from_millis(10);

/// Opens a key log without waiting: a FIFO opened for reading waits for a writer, for
/// ever if none comes, unless opened with `O_NONBLOCK` (which does nothing to a regular
/// file). Its reads then return at once: nothing (the end) when no writer has it open,
/// `WouldBlock` while a writer is silent. Whether it is a regular file comes with it.
fn open_key_log(path: &Path) -> std::io::Result<(std::fs::File, bool)> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let regular = file.metadata()?.is_file();
    Ok((file, regular))
}

impl Loaded {
    /// Reads the key-log file at `path` a chunk at a time. A read that fails part way keeps
    /// the secrets read before it and names the error. A file that is not regular is read
    /// up to `limit` bytes, and no longer than `quiet` without a byte. A file `given` on
    /// the command line that fails, or holds no usable line and some bad ones, is
    /// [`Loaded::refused`].
    /// A regular file of 2 MiB or more read first is parsed by up to `threads` threads at
    /// once ([`read_in_parts`]).
    fn read_file(
        &mut self,
        path: &Path,
        source: String,
        given: bool,
        limits: (u64, Duration),
        threads: usize,
    ) {
        use std::io::Read;
        let (limit, quiet) = limits;
        let before = self.keys.len();
        let skipped = self.keys.skipped_lines();
        let usable = self.keys.usable_lines();
        // What the file looks like, should it hold no key-log line: its first bytes and
        // how many lines it has.
        let mut head: Vec<u8> = Vec::new();
        let mut lines = 0u64;
        let mut last = b'\n';
        let mut warnings = Vec::new();
        let mut stopped = None;
        let mut buf = vec![0u8; READ_CHUNK];
        let result = open_key_log(path).and_then(|(mut file, regular)| {
            if regular {
                if let Ok(meta) = file.metadata() {
                    // The first key log kept whole: its parts on several threads.
                    let first = self.keys.is_empty() && !self.keys.is_filtered();
                    if let Some(parsed) = first
                        .then(|| read_in_parts(&file, meta.len(), threads))
                        .flatten()
                    {
                        // Nothing held yet, so nothing in conflict.
                        let _ = self.keys.absorb(parsed);
                        return Ok(());
                    }
                    self.keys.reserve_for(meta.len());
                }
            }
            let mut read = 0u64;
            let mut silent = Duration::ZERO;
            loop {
                let room = if regular {
                    buf.len()
                } else {
                    let left = limit.saturating_sub(read);
                    if left == 0 {
                        stopped = Some(format!(
                            "key log {source}: not a regular file, and still going after {} MiB: read no further",
                            limit >> 20
                        ));
                        return Ok(());
                    }
                    usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()))
                };
                let Some(chunk) = buf.get_mut(..room) else {
                    return Ok(());
                };
                match file.read(chunk) {
                    Ok(0) => return Ok(()),
                    Ok(n) => {
                        silent = Duration::ZERO;
                        read += n as u64;
                        let bytes = chunk.get(..n).unwrap_or_default();
                        if head.len() < HEAD {
                            head.extend(bytes.iter().take(HEAD - head.len()));
                        }
                        lines += newlines(bytes);
                        last = bytes.last().copied().unwrap_or(last);
                        warnings.extend(self.keys.append(&source, bytes));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        if silent >= quiet {
                            stopped = Some(format!(
                                "key log {source}: not a regular file, and nothing came for {} s: read no further",
                                quiet.as_secs_f64()
                            ));
                            return Ok(());
                        }
                        std::thread::sleep(STREAM_POLL);
                        silent += STREAM_POLL;
                    }
                    Err(e) => return Err(e),
                }
            }
        });
        warnings.extend(self.keys.finish(&source));
        // Best effort not to leave the log's text in freed memory.
        buf.fill(0);
        std::hint::black_box(&buf);
        let error = result.as_ref().err().map(ToString::to_string);
        if given && self.refused.is_none() {
            let path = path.to_path_buf();
            self.refused = match result {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Some(crate::error::Error::KeyLogNotFound { path })
                }
                Err(e) => Some(crate::error::Error::KeyLogUnreadable { path, source: e }),
                Ok(()) if self.keys.usable_lines() == usable && !warnings.is_empty() => {
                    lines += u64::from(last != b'\n');
                    let looks = looks_like(&head, lines, &warnings);
                    Some(crate::error::Error::NotAKeyLog { path, looks })
                }
                Ok(()) => None,
            };
        }
        head.fill(0);
        std::hint::black_box(&head);
        self.warnings
            .extend(warnings.iter().map(ToString::to_string));
        self.warnings.extend(stopped);
        self.sources.push(KeySource {
            connections: self.keys.len() - before,
            unmatched_lines: self.keys.skipped_lines() - skipped,
            source,
            error,
        });
    }

    fn add(&mut self, source: String, text: &[u8]) {
        let before = self.keys.len();
        let skipped = self.keys.skipped_lines();
        let warnings = self.keys.add_text(&source, text);
        self.warnings
            .extend(warnings.iter().map(ToString::to_string));
        self.sources.push(KeySource {
            connections: self.keys.len() - before,
            unmatched_lines: self.keys.skipped_lines() - skipped,
            source,
            error: None,
        });
    }
}

/// How many of a key log's first bytes say what it is when it is not one.
const HEAD: usize = 512;

/// What a file that holds no usable key-log line looks like, from its first bytes, its
/// number of lines and the warnings of its bad lines (never its content: a damaged key log
/// may still hold secrets).
fn looks_like(
    head: &[u8],
    lines: u64,
    warnings: &[crate::stack::tls::keylog::KeyLogWarning],
) -> String {
    use crate::stack::tls::keylog::WarningKind;
    let capture = "give it as a capture, without --keylog";
    let compressed = |what: &str, cat: &str| {
        format!("it is {what}-compressed (decompress it first, e.g. --keylog <({cat} FILE))")
    };
    let text = match std::str::from_utf8(head) {
        Ok(_) => !head.contains(&0),
        // Cut inside a character at the end of the head is still text.
        Err(e) => e.error_len().is_none() && !head.contains(&0),
    };
    let shaped = warnings.iter().find(|w| {
        matches!(
            w.kind,
            WarningKind::BadClientRandom
                | WarningKind::BadSecretHex { .. }
                | WarningKind::BadSecretLength { .. }
        )
    });
    let lines = match lines {
        1 => "its one line is not".to_string(),
        n => format!("none of its {n} lines is"),
    };
    match head {
        [0xd4, 0xc3, 0xb2, 0xa1, ..]
        | [0xa1, 0xb2, 0xc3, 0xd4, ..]
        | [0x4d, 0x3c, 0xb2, 0xa1, ..]
        | [0xa1, 0xb2, 0x3c, 0x4d, ..] => format!("it is a pcap capture ({capture})"),
        [0x0a, 0x0d, 0x0d, 0x0a, ..] => format!(
            "it is a pcapng capture ({capture}: the TLS secrets a pcapng holds are read from it)"
        ),
        [0x1f, 0x8b, ..] => compressed("gzip", "zcat"),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => compressed("zstd", "zstdcat"),
        [0x04, 0x22, 0x4d, 0x18, ..] => compressed("lz4", "lz4cat"),
        _ if !text => "it holds binary data, not text".into(),
        _ => match shaped {
            Some(w) => {
                let prefix = format!("key log {} ", w.source);
                let first = w.to_string();
                format!(
                    "its lines have a key log's labels but {lines} usable (the first: {})",
                    first.strip_prefix(&prefix).unwrap_or(&first)
                )
            }
            None => format!("it is text, and {lines} a key-log line"),
        },
    }
}

/// A key log read as it grows, for a live capture: a browser appends a connection's line
/// during its handshake, a moment before the encrypted data arrives. Each
/// [`Follower::poll`] reads what was appended since the last one (from the start again if
/// the file shrank: a new file in its place). What the file held before the capture began
/// is of connections made before it (whose ClientHellos the capture cannot hold, unless it
/// replays old traffic): up to [`LIVE_BACKLOG`] bytes of it are read all the same, more is
/// passed over (its lines counted, so that line numbers stay true). Only regular files are
/// followed.
#[derive(Debug)]
pub struct Follower {
    path: PathBuf,
    name: String,
    read: u64,
    started: bool,
    backlog: u64,
    /// Connections whose secrets its lines added.
    connections: usize,
}

/// The most a live capture reads of what a key log held when it began.
pub const LIVE_BACKLOG: u64 = 16 << 20;

impl Follower {
    /// Followers of every key-log file in `sources`.
    pub fn all(sources: &KeySources) -> Vec<Follower> {
        sources
            .named()
            .map(|(path, name, _)| Follower {
                path,
                name,
                read: 0,
                started: false,
                backlog: LIVE_BACKLOG,
                connections: 0,
            })
            .collect()
    }

    /// The source's name, as warnings and the report give it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Connections (client randoms) whose secrets it added so far.
    pub fn connections(&self) -> usize {
        self.connections
    }

    /// Adds to `keys` the lines appended since the last poll (nothing if the file cannot
    /// be read now: it may not exist yet). Returns the warnings.
    pub fn poll(&mut self, keys: &mut KeyLog) -> Vec<String> {
        use std::io::{Read, Seek, SeekFrom};
        let mut out = Vec::new();
        // A stat, and the file opened only when it grew (live polls every 2 ms).
        let len = match std::fs::metadata(&self.path) {
            Ok(m) if m.is_file() => m.len(),
            _ => return out,
        };
        if len < self.read {
            self.read = 0;
        }
        if len == self.read {
            self.started = true;
            return out;
        }
        let Ok(mut f) = std::fs::File::open(&self.path) else {
            return out;
        };
        let mut buf = vec![0u8; READ_CHUNK];
        if !self.started && len > self.backlog {
            // Passed over up to its last complete line, whose end is where reading starts.
            let (mut lines, mut at, mut resume) = (0u64, 0u64, 0u64);
            while at < len {
                let want = usize::try_from(len - at).map_or(buf.len(), |l| l.min(buf.len()));
                let Some(chunk) = buf.get_mut(..want) else {
                    break;
                };
                let n = match f.read(chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let got = chunk.get(..n).unwrap_or_default();
                lines += newlines(got);
                if let Some(last) = got.iter().rposition(|&b| b == b'\n') {
                    resume = at + last as u64 + 1;
                }
                at += n as u64;
            }
            keys.pass_over(&self.name, lines);
            out.push(format!(
                "key log {}: the {} MiB it held when the capture began were not read (lines \
                 written before the capture, for connections made before it; at most {} MiB \
                 are read); what is appended from now on is",
                self.name,
                resume >> 20,
                self.backlog >> 20
            ));
            self.read = resume;
        }
        self.started = true;
        if f.seek(SeekFrom::Start(self.read)).is_err() {
            return out;
        }
        let mut f = f.take(len - self.read);
        let before = keys.len();
        loop {
            match f.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    self.read += n as u64;
                    let got = buf.get(..n).unwrap_or_default();
                    out.extend(keys.append(&self.name, got).iter().map(ToString::to_string));
                }
            }
        }
        self.connections += keys.len().saturating_sub(before);
        buf.fill(0);
        std::hint::black_box(&buf);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyzer::budget::{key_log_whole, DEFAULT_MAX_MEMORY, MIN_MAX_MEMORY};
    use std::io::Write;

    fn line(random: u8, secret: u8) -> String {
        format!(
            "CLIENT_RANDOM {} {}\n",
            format!("{random:02x}").repeat(32),
            format!("{secret:02x}").repeat(48)
        )
    }

    fn append(path: &Path, text: &str) {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .expect("opened");
        file.write_all(text.as_bytes()).expect("appended");
    }

    #[test]
    fn a_follower_reads_what_was_appended_and_starts_over_on_a_new_file() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("keys.log");
        let mut f = Follower::all(&KeySources {
            files: vec![path.clone()],
            env: None,
        });
        let f = &mut f[0];
        let mut keys = KeyLog::new();
        assert!(f.poll(&mut keys).is_empty(), "no file yet");
        std::fs::write(&path, b"# first\n").expect("written");
        assert!(f.poll(&mut keys).is_empty());
        let l = line(1, 2);
        let (head, tail) = l.split_at(30);
        append(&path, head);
        assert!(f.poll(&mut keys).is_empty());
        assert!(keys.is_empty(), "half a line waits for its end");
        append(&path, tail);
        assert!(f.poll(&mut keys).is_empty());
        assert!(keys.get(&[1; 32]).is_some());
        assert_eq!(f.connections(), 1);
        std::fs::write(&path, b"new\n").expect("replaced");
        assert_eq!(f.poll(&mut keys).len(), 1, "the new file's line is read");
    }

    /// What a key log held when a live capture began is read up to the backlog's size; a
    /// longer one is passed over (its lines counted) and only what is appended is read.
    #[test]
    fn a_follower_passes_over_a_long_backlog() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("keys.log");
        let before = format!("{}{}", line(1, 1), line(2, 2));
        std::fs::write(&path, &before).expect("written");
        let follower = |backlog| Follower {
            path: path.clone(),
            name: "keys.log".into(),
            read: 0,
            started: false,
            backlog,
            connections: 0,
        };
        // Short enough: read.
        let mut keys = KeyLog::new();
        assert!(follower(before.len() as u64).poll(&mut keys).is_empty());
        assert_eq!(keys.len(), 2);
        // Too long: passed over, up to its last complete line.
        let partial = &line(3, 3)[..20];
        append(&path, partial);
        let mut keys = KeyLog::new();
        let mut f = follower(100);
        let said = f.poll(&mut keys);
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(said[0].contains("were not read"), "{}", said[0]);
        assert!(keys.is_empty());
        append(&path, &format!("{}bad\n", &line(3, 3)[20..]));
        let said = f.poll(&mut keys);
        assert_eq!(
            keys.len(),
            1,
            "the line begun before and ended after is read"
        );
        assert!(keys.get(&[3; 32]).is_some());
        assert_eq!(
            said,
            vec![
                "key log keys.log line 4: not a key-log line (expected LABEL CLIENT_RANDOM SECRET)"
            ]
        );
    }

    #[test]
    fn loading_counts_connections_and_names_bad_lines_without_their_bytes() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("keys.log");
        let random = "11".repeat(32);
        let secret = "ab".repeat(48);
        std::fs::write(
            &path,
            format!(
                "# comment\r\n\nCLIENT_RANDOM {random} {secret}\r\nCLIENT_RANDOM zz {secret}\n"
            ),
        )
        .expect("written");
        let missing = dir.path().join("missing.log");
        let loaded = load(
            &KeySources {
                files: vec![path.clone(), missing],
                env: None,
            },
            &[],
            1,
            DEFAULT_MAX_MEMORY,
        );
        assert_eq!(loaded.keys.len(), 1);
        assert_eq!(loaded.sources[0].connections, 1);
        assert!(loaded.sources[1].error.is_some());
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
        assert!(
            loaded.warnings[0].contains("line 4"),
            "{}",
            loaded.warnings[0]
        );
        assert!(!loaded.warnings[0].contains(&secret));
    }

    /// A file longer than one read: lines cut by the chunk boundaries are read whole, line
    /// numbers run on across chunks, and an unterminated last line is read too.
    #[test]
    fn a_key_log_longer_than_one_read_is_read_line_by_line_across_reads() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("keys.log");
        let secret = "cd".repeat(48);
        let mut text = String::new();
        let mut n = 0u32;
        while text.len() < 3 * READ_CHUNK {
            text.push_str(&format!("CLIENT_RANDOM {:064x} {secret}\n", n));
            n += 1;
        }
        text.push_str("CLIENT_RANDOM 12 34\n"); // line n + 1: a bad random
        text.push_str(&format!("CLIENT_RANDOM {:064x} {secret}", n)); // no newline
        std::fs::write(&path, &text).expect("written");
        let loaded = load(
            &KeySources {
                files: vec![path],
                env: None,
            },
            &[],
            1,
            DEFAULT_MAX_MEMORY,
        );
        assert_eq!(loaded.keys.len(), usize::try_from(n).expect("small") + 1);
        assert_eq!(loaded.sources[0].connections, loaded.keys.len());
        assert!(loaded.sources[0].error.is_none());
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
        assert!(
            loaded.warnings[0].contains(&format!("line {}", n + 1)),
            "{}",
            loaded.warnings[0]
        );
        for i in [0, n / 2, n] {
            let mut random = [0u8; 32];
            random[28..].copy_from_slice(&i.to_be_bytes());
            let got = loaded.keys.get(&random).and_then(|s| s.master_secret());
            assert_eq!(got, Some(&[0xcd; 48][..]), "connection {i}");
        }
    }

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name)
    }

    /// A key log of 100 000 connections not in the capture (and, on the TLS capture, the
    /// capture's own lines among them): only the capture's connections are kept, the other
    /// lines counted.
    #[test]
    fn only_the_secrets_of_the_captures_connections_are_kept() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("big.keylog");
        let real = std::fs::read_to_string(fixture("tls/python-tls13-aes128gcm-close-1000.keylog"))
            .expect("the fixture's key log");
        let mut text = String::with_capacity(100_000 * 176 + real.len());
        for i in 0..100_000u32 {
            text.push_str(&format!("CLIENT_RANDOM {:064x} {}\n", i, "ab".repeat(48)));
            if i == 50_000 {
                text.push_str(&real);
            }
        }
        std::fs::write(&path, &text).expect("written");
        // Too large to keep whole under the least budget (not under the default).
        let budget = MIN_MAX_MEMORY;
        assert!(text.len() as u64 > key_log_whole(budget));
        assert!((text.len() as u64) < key_log_whole(DEFAULT_MAX_MEMORY));
        let sources = KeySources {
            files: vec![path],
            env: None,
        };
        let real_lines = real
            .lines()
            .filter(|l| l.starts_with(char::is_alphabetic))
            .count() as u64;
        for (capture, kept, unmatched) in [
            ("python-close-1000-client.pcap", 0, 100_000 + real_lines),
            ("tls/python-tls13-aes128gcm-close-1000.pcap", 1, 100_000),
        ] {
            // Read by one thread, and shared by two.
            for threads in [1, 2] {
                let loaded = load(&sources, &[fixture(capture)], threads, budget);
                assert_eq!(loaded.keys.len(), kept, "{capture}");
                assert_eq!(loaded.keys.skipped_lines(), unmatched, "{capture}");
                assert_eq!(loaded.sources[0].connections, kept, "{capture}");
                assert_eq!(loaded.sources[0].unmatched_lines, unmatched, "{capture}");
                assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
            }
        }
        // A capture that cannot be read twice: every connection is kept.
        let loaded = load(&sources, &[PathBuf::from("-")], 2, budget);
        assert_eq!(loaded.keys.len(), 100_001);
        // Under the default budget the same key log is kept whole, its captures not read.
        let loaded = load(
            &sources,
            &[fixture("python-close-1000-client.pcap")],
            1,
            DEFAULT_MAX_MEMORY,
        );
        assert_eq!(
            (loaded.keys.len(), loaded.sources[0].unmatched_lines),
            (100_001, 0)
        );
        // A small key log is kept whole.
        let small = dir.path().join("small.keylog");
        std::fs::write(&small, text.get(..176 * 10).expect("ten lines")).expect("written");
        let loaded = load(
            &KeySources {
                files: vec![small],
                env: None,
            },
            &[fixture("python-close-1000-client.pcap")],
            1,
            budget,
        );
        assert_eq!(
            (loaded.keys.len(), loaded.sources[0].unmatched_lines),
            (10, 0)
        );
        // One connection's: that one only.
        let loaded = load_for(&sources, &[], &[[0; 32]]);
        assert_eq!(loaded.keys.len(), 1);
        assert_eq!(loaded.sources[0].unmatched_lines, 99_999 + real_lines);
    }

    /// 100 000 bad lines: the first five are listed with their line numbers, one warning
    /// counts the rest.
    #[test]
    fn bad_lines_beyond_the_first_five_are_counted_in_one_warning() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("bad.keylog");
        let secret = "cd".repeat(48);
        let bad = format!("CLIENT_RANDOM 1234 {secret}\n");
        std::fs::write(&path, bad.repeat(100_000)).expect("written");
        let loaded = load(
            &KeySources {
                files: vec![path.clone()],
                env: None,
            },
            &[],
            1,
            DEFAULT_MAX_MEMORY,
        );
        let name = path.display().to_string();
        let mut want: Vec<String> = (1..=5)
            .map(|n| format!("key log {name} line {n}: client random is not 64 hex digits"))
            .collect();
        want.push(format!(
            "key log {name}: … and 99995 more lines that could not be used (the last: line 100000)"
        ));
        assert_eq!(loaded.warnings, want);
        assert!(loaded.warnings.iter().all(|w| !w.contains(&secret)));
    }

    /// A key log that does not end is read up to the limit, with a warning.
    #[test]
    fn an_endless_key_log_is_read_up_to_the_limit() {
        let mut loaded = Loaded::default();
        let started = std::time::Instant::now();
        loaded.read_file(
            Path::new("/dev/zero"),
            "zero".into(),
            true,
            (1 << 20, STREAM_QUIET),
            2,
        );
        assert!(started.elapsed() < STREAM_QUIET, "{:?}", started.elapsed());
        assert_eq!(
            loaded.warnings,
            vec![
                "key log zero line 1: line too long, skipped",
                "key log zero: not a regular file, and still going after 1 MiB: read no further",
            ]
        );
        assert!(loaded.sources[0].error.is_none());
    }

    /// A FIFO: with no writer, read as empty at once; with a writer that stays silent, read
    /// until it has been silent for the quiet time.
    #[test]
    fn a_fifo_is_read_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("keys.fifo");
        let made = std::process::Command::new("mkfifo").arg(&path).status();
        if !made.is_ok_and(|s| s.success()) {
            // Straight to stderr: libtest keeps a passing test's `eprintln!` to itself.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "skipped in keys::tests: mkfifo did not make a FIFO here"
            );
            return;
        }
        let quiet = Duration::from_millis(200);
        let mut loaded = Loaded::default();
        let started = std::time::Instant::now();
        loaded.read_file(&path, "fifo".into(), true, (STREAM_LIMIT, quiet), 2);
        assert!(started.elapsed() < quiet, "{:?}", started.elapsed());
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        assert!(loaded.sources[0].error.is_none());
        // Opened for reading and writing: a writer (Linux opens a FIFO so without waiting).
        let mut writer = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .expect("the FIFO opened");
        writer.write_all(line(7, 7).as_bytes()).expect("written");
        let mut loaded = Loaded::default();
        let started = std::time::Instant::now();
        loaded.read_file(&path, "fifo".into(), true, (STREAM_LIMIT, quiet), 2);
        assert!(started.elapsed() >= quiet, "{:?}", started.elapsed());
        assert!(loaded.keys.get(&[7; 32]).is_some(), "what came was read");
        assert_eq!(
            loaded.warnings,
            vec!["key log fifo: not a regular file, and nothing came for 0.2 s: read no further"]
        );
    }
}
