//! Where TLS secrets come from: key-log files given with `--keylog`, the file the
//! `SSLKEYLOGFILE` environment variable names, and the Decryption Secrets Blocks of the
//! pcapng inputs.
//!
//! In: those paths (and the capture paths, for their leading blocks). Out: one
//! [`KeyLog`], what each source gave ([`KeySource`]: its name and how many connections'
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
}

/// One source of secrets, as the report names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
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
    let env = sources
        .env
        .iter()
        .map(|p| (p.clone(), format!("SSLKEYLOGFILE ({})", p.display())));
    let files = sources
        .files
        .iter()
        .map(|p| (p.clone(), p.display().to_string()));
    for (path, name) in files.chain(env) {
        match std::fs::read(&path) {
            Ok(text) => out.add(name, &text),
            Err(e) => out.sources.push(KeySource {
                source: name,
                connections: 0,
                error: Some(e.to_string()),
            }),
        }
    }
    for input in inputs {
        for text in crate::capture::secrets::leading_tls_secrets(input) {
            out.add(format!("pcapng secrets in {}", display(input)), &text);
        }
    }
    out
}

impl Loaded {
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

fn display(p: &Path) -> String {
    p.display().to_string()
}
