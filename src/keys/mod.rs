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
//! `stack::tls::keylog`'s. A live capture follows the key logs as they grow instead
//! (`follow`: [`Follower`]).

mod follow;
mod parts;
mod randoms;

use crate::vocab::{KeyLogName, KeySource};
pub use follow::{Follower, LIVE_BACKLOG};

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
    pub(crate) fn named(&self) -> impl Iterator<Item = (PathBuf, KeyLogName, bool)> + '_ {
        let files = self
            .files
            .iter()
            .map(|p| (p.clone(), KeyLogName::File(p.display().to_string()), true));
        let env = self
            .env
            .iter()
            .map(|p| (p.clone(), KeyLogName::Env(p.display().to_string()), false));
        files.chain(env)
    }
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

/// [`load`] keeping every secret, without reading `inputs` for their client randoms
/// first: for a capture followed as it is written, which does not hold its connections yet.
pub fn load_all(sources: &KeySources, inputs: &[PathBuf], threads: usize) -> Loaded {
    load_keeping(sources, inputs, None, threads)
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
            out.add(KeyLogName::Pcapng(input.display().to_string()), &text);
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
        name: KeyLogName,
        given: bool,
        limits: (u64, Duration),
        threads: usize,
    ) {
        use std::io::Read;
        let source = name.to_string();
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
            source: name,
            error,
        });
    }

    fn add(&mut self, source: KeyLogName, text: &[u8]) {
        let before = self.keys.len();
        let skipped = self.keys.skipped_lines();
        let warnings = self.keys.add_text(&source.to_string(), text);
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

#[cfg(test)]
mod tests;
