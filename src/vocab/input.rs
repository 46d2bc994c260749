//! What the report says of its inputs: each capture file read ([`InputSummary`]), a live
//! capture's lost packets ([`LiveDrops`]), each source of TLS secrets ([`KeySource`], named by
//! [`KeyLogName`]; never the secrets).
//!
//! In: nothing of the project. Out: the JSON's `inputs`, `seen.live_drops` and `key_sources`
//! entries; `capture` and `keys` fill them.

use super::link_type::LinkType;
use super::time::Timestamp;
use serde::Serialize;

/// What a run learned about one input, for the report's `inputs` array.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[non_exhaustive]
pub struct InputSummary {
    /// The path as given (`-` for standard input; `live:IFACE` for a live capture).
    pub path: String,
    /// "pcap" or "pcapng".
    pub format: &'static str,
    /// Whether it was gzip-compressed.
    pub gzip: bool,
    /// How the file was compressed ("gzip", "zstd" or "lz4", found by content), when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<&'static str>,
    /// The link types of its packets.
    pub link_types: Vec<LinkType>,
    /// Packets read.
    pub packets: u64,
    /// What went wrong inside it (damaged records, link types not decoded, ...), one sentence each.
    pub warnings: Vec<String>,
    /// Size of the file in bytes (compressed size for gzip), when known.
    pub bytes: Option<u64>,
    /// Capture time of the first and last packet (RFC 3339), when there were packets.
    pub first_time: Option<String>,
    /// Capture time of its last packet (RFC 3339).
    pub last_time: Option<String>,
    /// Reading stopped before the end of the data (cut or damaged file).
    pub truncated: bool,
    /// Why the input could not be read at all (the other inputs are still analyzed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Read as the continuation of the input before it (rotated files: same link type,
    /// starting where it ended): one capture with it, its connections carried over.
    pub continues_previous: bool,
    /// Added to this file's own packet numbers to give the numbers the report uses: 0 unless
    /// it continues another input, whose packets are then numbered on across the files (as
    /// `mergecap -a` numbers the files joined).
    pub packet_offset: u64,
    /// Why it was, or was not, read as the continuation of the input before it (none for
    /// the first input).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continuity: Option<String>,
    /// Named unlike the input before it (their names differ in more than digits, see
    /// `rotation::names`): a separate recording given with it, never news, so the notes and
    /// the table's header say nothing of it (`continuity` still says why).
    #[serde(skip)]
    pub unrelated: bool,
    /// Packets the capture says were lost before they were written: the sum over a pcapng
    /// file's interfaces of their last Interface Statistics Block's `isb_ifdrop` and
    /// `isb_osdrop` (a live capture's drops, as `wsclose live -w` saves them); said in a
    /// warning.
    #[serde(skip)]
    pub dropped: u64,
    /// Capture time of the first and last packet (for joining the next input).
    #[serde(skip)]
    pub span: Option<(Timestamp, Timestamp)>,
    /// The SHA-256 of an input read as a stream (standard input, a FIFO, a pipe),
    /// computed as it was read when asked for (`Options::hash_streams`), for the Markdown
    /// report: its hex digest, or why there is none (reading stopped before the end of the
    /// stream). None for a file, which the caller can read again to hash.
    #[serde(skip)]
    pub sha256: Option<Result<String, String>>,
}

impl InputSummary {
    /// The input's file name, without its folders (the path as given when it has none: `-`).
    pub fn file_name(&self) -> String {
        std::path::Path::new(&self.path)
            .file_name()
            .map_or_else(|| self.path.clone(), |n| n.to_string_lossy().into_owned())
    }
}

/// A live capture's packets lost, by where they were lost (`seen.live_drops` in JSON).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct LiveDrops {
    /// Dropped by the kernel: its ring (`--buffer-size`) was full, the capture thread fell
    /// behind. Neither analysed nor saved.
    pub kernel: u64,
    /// Dropped by the interface or its driver before capture. Neither analysed nor saved.
    pub interface: u64,
    /// Captured and saved, but not analysed: the queue to the analysis (a part of
    /// `--max-memory`) was full. `wsclose analyze` on the saved file sees them.
    pub queue: u64,
}

impl LiveDrops {
    /// Whether any packet was lost.
    pub fn any(&self) -> bool {
        self.kernel + self.interface + self.queue > 0
    }
}

/// One source of secrets, as the report names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct KeySource {
    /// A key-log path, `SSLKEYLOGFILE (path)`, or `pcapng secrets in FILE`.
    pub source: KeyLogName,
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

/// Where secrets were read from, as the report names it (JSON `key_logs[].source`, a
/// string: [`KeyLogName`]'s `Display`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLogName {
    /// A key log named on the command line (`--keylog`): its path.
    File(String),
    /// The key log `SSLKEYLOGFILE` names: `SSLKEYLOGFILE (path)`.
    Env(String),
    /// The secrets a pcapng capture carries (Decryption Secrets Blocks): `pcapng secrets
    /// in FILE`.
    Pcapng(String),
}

impl KeyLogName {
    /// The path it names.
    pub fn path(&self) -> &str {
        match self {
            KeyLogName::File(p) | KeyLogName::Env(p) | KeyLogName::Pcapng(p) => p,
        }
    }

    /// The same source with its path cut to the file name (itself when it has none), for
    /// `--redact`: `keys.log`, `SSLKEYLOGFILE (keys.log)`, `pcapng secrets in a.pcapng`.
    pub fn file_name_only(&self) -> KeyLogName {
        let cut = |p: &String| {
            std::path::Path::new(p)
                .file_name()
                .map_or_else(|| p.clone(), |n| n.to_string_lossy().into_owned())
        };
        match self {
            KeyLogName::File(p) => KeyLogName::File(cut(p)),
            KeyLogName::Env(p) => KeyLogName::Env(cut(p)),
            KeyLogName::Pcapng(p) => KeyLogName::Pcapng(cut(p)),
        }
    }
}

impl std::fmt::Display for KeyLogName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyLogName::File(p) => f.write_str(p),
            KeyLogName::Env(p) => write!(f, "SSLKEYLOGFILE ({p})"),
            KeyLogName::Pcapng(p) => write!(f, "pcapng secrets in {p}"),
        }
    }
}

impl Serialize for KeyLogName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
