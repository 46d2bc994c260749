//! A key log followed as it grows, for a live capture ([`Follower`]): what was appended
//! since the last poll read into the secrets, a long backlog passed over.

use super::{newlines, KeySources, READ_CHUNK};
use crate::stack::tls::keylog::KeyLog;
use crate::vocab::KeyLogName;
use std::path::PathBuf;

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
    pub(super) path: PathBuf,
    pub(super) name: KeyLogName,
    pub(super) read: u64,
    pub(super) started: bool,
    pub(super) backlog: u64,
    /// Connections whose secrets its lines added.
    pub(super) connections: usize,
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
    pub fn name(&self) -> &KeyLogName {
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
            keys.pass_over(&self.name.to_string(), lines);
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
                    out.extend(
                        keys.append(&self.name.to_string(), got)
                            .iter()
                            .map(ToString::to_string),
                    );
                }
            }
        }
        self.connections += keys.len().saturating_sub(before);
        buf.fill(0);
        std::hint::black_box(&buf);
        out
    }
}
