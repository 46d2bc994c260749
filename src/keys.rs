//! Where TLS secrets come from: key-log files given with `--keylog`, the file the
//! `SSLKEYLOGFILE` environment variable names, and the Decryption Secrets Blocks of the
//! pcapng inputs.
//!
//! In: those paths (and the capture paths, for their leading blocks). Out: one
//! `KeyLog`, what each source gave ([`KeySource`]: its name and how many connections'
//! secrets, never a secret), and the warnings of lines that could not be read (file and
//! line, never the line). The NSS key-log format is `stack::tls::keylog`'s.

use crate::stack::tls::keylog::KeyLog;
use std::path::{Path, PathBuf};

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

    /// Every key-log file with the name the report gives it: the `--keylog` files, then
    /// `SSLKEYLOGFILE (path)`.
    fn named(&self) -> impl Iterator<Item = (PathBuf, String)> + '_ {
        let files = self
            .files
            .iter()
            .map(|p| (p.clone(), p.display().to_string()));
        let env = self
            .env
            .iter()
            .map(|p| (p.clone(), format!("SSLKEYLOGFILE ({})", p.display())));
        files.chain(env)
    }
}

/// One source of secrets, as the report names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct KeySource {
    /// A key-log path, `SSLKEYLOGFILE (path)`, or `pcapng secrets in FILE`.
    pub source: String,
    /// Connections (client randoms) whose secrets it added.
    pub connections: usize,
    /// Why it could not be read, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Everything [`load`] read.
#[derive(Debug, Default)]
pub struct Loaded {
    pub keys: KeyLog,
    pub sources: Vec<KeySource>,
    /// Lines that could not be read, each naming its source and line.
    pub warnings: Vec<String>,
}

/// Reads every source: the key-log files, `SSLKEYLOGFILE`, then the secrets in `inputs`.
/// A file that cannot be read is listed with its error; nothing here fails.
pub fn load(sources: &KeySources, inputs: &[PathBuf]) -> Loaded {
    let mut out = Loaded::default();
    for (path, name) in sources.named() {
        out.read_file(&path, name);
    }
    for input in inputs {
        for text in crate::capture::secrets::leading_tls_secrets(input) {
            out.add(format!("pcapng secrets in {}", input.display()), &text);
        }
    }
    out
}

/// How much of a key-log file is read at a time: the file is parsed as it is read, not
/// held whole (a browser's log of a long session runs to megabytes).
const READ_CHUNK: usize = 256 * 1024;

impl Loaded {
    /// Reads the key-log file at `path` a chunk at a time. A read that fails part way keeps
    /// the secrets read before it and names the error.
    fn read_file(&mut self, path: &Path, source: String) {
        use std::io::Read;
        let before = self.keys.len();
        let mut warnings = Vec::new();
        let mut buf = vec![0u8; READ_CHUNK];
        let result = std::fs::File::open(path).and_then(|mut file| {
            if let Ok(meta) = file.metadata() {
                self.keys.reserve_for(meta.len());
            }
            loop {
                match file.read(&mut buf) {
                    Ok(0) => return Ok(()),
                    Ok(n) => {
                        warnings.extend(self.keys.append(&source, buf.get(..n).unwrap_or_default()))
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        });
        warnings.extend(self.keys.finish(&source));
        // Best effort not to leave the log's text in freed memory.
        buf.fill(0);
        std::hint::black_box(&buf);
        self.warnings
            .extend(warnings.iter().map(ToString::to_string));
        self.sources.push(KeySource {
            connections: self.keys.len() - before,
            source,
            error: result.err().map(|e| e.to_string()),
        });
    }

    fn add(&mut self, source: String, text: &[u8]) {
        let before = self.keys.len();
        let warnings = self.keys.add_text(&source, text);
        self.warnings
            .extend(warnings.iter().map(ToString::to_string));
        self.sources.push(KeySource {
            connections: self.keys.len() - before,
            source,
            error: None,
        });
    }
}

/// A key log read as it grows, for a live capture: a browser appends a connection's line
/// during its handshake, a moment before the encrypted data arrives. Each [`Follower::poll`]
/// reads what was appended since the last one (from the start again if the file shrank:
/// a new file in its place).
#[derive(Debug)]
pub struct Follower {
    path: PathBuf,
    name: String,
    read: u64,
}

impl Follower {
    /// Followers of every key-log file in `sources`.
    pub fn all(sources: &KeySources) -> Vec<Follower> {
        sources
            .named()
            .map(|(path, name)| Follower {
                path,
                name,
                read: 0,
            })
            .collect()
    }

    /// The source's name, as warnings and the report give it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The bytes appended since the last poll (none if the file cannot be read now: it
    /// may not exist yet).
    pub fn poll(&mut self) -> Vec<u8> {
        use std::io::{Read, Seek, SeekFrom};
        // A stat, and the file opened only when it grew (live polls every 2 ms).
        let len = std::fs::metadata(&self.path).map_or(0, |m| m.len());
        if len < self.read {
            self.read = 0;
        }
        if len == self.read {
            return Vec::new();
        }
        let Ok(mut f) = std::fs::File::open(&self.path) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if f.seek(SeekFrom::Start(self.read)).is_ok() {
            let _ = f.take(len - self.read).read_to_end(&mut out);
            self.read += out.len() as u64;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_follower_reads_what_was_appended_and_starts_over_on_a_new_file() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("keys.log");
        let mut f = Follower::all(&KeySources {
            files: vec![path.clone()],
            env: None,
        });
        let f = &mut f[0];
        assert!(f.poll().is_empty(), "no file yet");
        std::fs::write(&path, b"# first\n").expect("written");
        assert_eq!(f.poll(), b"# first\n");
        assert!(f.poll().is_empty(), "nothing new");
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("opened");
        file.write_all(b"CLIENT_RANDOM aa").expect("appended");
        assert_eq!(f.poll(), b"CLIENT_RANDOM aa");
        std::fs::write(&path, b"new\n").expect("replaced");
        assert_eq!(f.poll(), b"new\n");
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
}
