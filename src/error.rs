//! Fatal errors: the ones that stop a run before or instead of a report.
//!
//! Everything wrong *inside* a capture (a damaged record, an unknown link type, a protocol
//! violation) is a warning or a finding in the report, never one of these. Each message
//! says what to do next; `main` maps each variant to a documented exit code.

use std::path::PathBuf;

/// What a live capture took: packets, link type, and libpcap's counters (`capture::live`
/// returns it, and re-exports it; defined here, as the live variants of [`Error`] carry it).
#[cfg(feature = "live")]
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct LiveSummary {
    /// Packets captured (read from the kernel's ring, and saved when saving).
    pub packets: u64,
    /// The interface's link type, once it was opened.
    pub link: Option<crate::vocab::LinkType>,
    /// libpcap: packets received by the filter.
    pub received: u32,
    /// Dropped by the kernel because its ring was full (the reader fell behind).
    pub dropped: u64,
    /// Dropped by the interface or its driver.
    pub if_dropped: u64,
    /// Captured (and saved) but not analysed: the queue to the analysis was full.
    pub queue_dropped: u64,
}

/// What stops a run: each message says what to do next, and [`Error::exit_code`] gives the exit
/// code the binary documents.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A capture file that does not exist.
    #[error("{path}: no such file (check the path; use - to read a capture from standard input)")]
    NotFound {
        /// The input or output file.
        path: PathBuf,
    },

    /// A capture file that may not be read.
    #[error("{path}: permission denied (check the file's permissions, or run with sudo)")]
    PermissionDenied {
        /// The input or output file.
        path: PathBuf,
    },

    /// A capture file that could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },

    /// An output (`extract -w FILE`) could not be created or written.
    #[error("{path}: cannot write: {source} (check that the directory exists and is writable, and that the disk has room)")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },

    /// A capture file with no bytes.
    #[error("{path}: the file is empty (a capture starts with a pcap or pcapng header)")]
    Empty {
        /// The input or output file.
        path: PathBuf,
    },

    /// A file that is neither pcap nor pcapng (nor a compressed one).
    #[error(
        "{path}: not a pcap or pcapng capture ({magic}); \
         save captures with `tcpdump -w FILE` or Wireshark's \"Save As\" pcap/pcapng"
    )]
    NotACapture {
        /// The input or output file.
        path: PathBuf,
        /// What its first bytes are.
        magic: String,
    },

    /// A capture whose header is cut short.
    #[error("{path}: the capture header is cut short ({len} bytes); the file is truncated")]
    TruncatedHeader {
        /// The input or output file.
        path: PathBuf,
        /// How many bytes the file has.
        len: usize,
    },

    /// A gzip, zstd or lz4 input whose compressed data is damaged before the capture header.
    #[error("{path}: the compressed data is damaged: {detail}")]
    BadGzip {
        /// The input or output file.
        path: PathBuf,
        /// What the decompressor said.
        detail: String,
    },

    /// A zstd input compressed with a window larger than wsclose decompresses in memory
    /// (`zstd --long=28` and more): not damaged; the message says what to run.
    #[error("{path}: {detail}: nothing is damaged. Decompress it first, then analyze the result: `zstd -d --long=31 {path} -o {}`", decompressed_name(path))]
    CompressedWindow {
        /// The input.
        path: PathBuf,
        /// The window asked for and the one allowed.
        detail: String,
    },

    /// `--keylog FILE` names no file.
    #[error("{path}: no such key log (check the path: --keylog takes the file SSLKEYLOGFILE named when the TLS client ran)")]
    KeyLogNotFound {
        /// The input or output file.
        path: PathBuf,
    },

    /// `--keylog FILE` could not be read (permission, a directory, a failing disk).
    #[error("{path}: cannot read the key log: {source}")]
    KeyLogUnreadable {
        /// The key log.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },

    /// `--keylog FILE` holds no key-log line: `looks` says what it holds instead.
    #[error(
        "{path}: not a TLS key log: {looks}; a key log (NSS format, what SSLKEYLOGFILE makes \
         TLS clients write) has lines `CLIENT_RANDOM <64 hex> <96 hex>` (TLS 1.2) or \
         `CLIENT_TRAFFIC_SECRET_0 <64 hex> <64 or 96 hex>` and the other TLS 1.3 labels"
    )]
    NotAKeyLog {
        /// The input or output file.
        path: PathBuf,
        /// What the file looks like instead.
        looks: String,
    },

    /// Live capture is unavailable or failed to start (exit code 4): the message says why.
    #[error("{0}")]
    Live(String),

    /// The temporary file that holds finished reports of a large capture failed.
    #[error("cannot read back the finished connection reports from their temporary file: {0} (TMPDIR must name a writable directory with free space)")]
    Spill(#[source] std::io::Error),

    /// The command line asked for something the input does not have.
    #[error("{0}")]
    Usage(String),

    /// Live capture failed after it had started; what was captured is still reported.
    #[cfg(feature = "live")]
    #[error("{message}")]
    LiveStopped {
        /// What failed.
        message: String,
        /// What was captured until then.
        summary: LiveSummary,
    },

    /// The file a live capture saves its packets to (`live --write FILE`) could not be
    /// written: the capture stopped there (`stopped`: it had failed too, and why); what
    /// was captured is still reported.
    #[cfg(feature = "live")]
    #[error("{path}: cannot write: {source}: the saved capture is incomplete (check that the disk has room); capturing stopped there, after {} packets", .summary.packets)]
    LiveWriteFailed {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
        /// What was captured until then.
        summary: LiveSummary,
        /// Why the capture itself failed too, when it did.
        stopped: Option<String>,
    },
}

impl Error {
    /// The process exit code for this error (documented in README.md and `--help`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Live(_) => 4,
            Error::Usage(_) => 2,
            Error::Write { .. } => 6,
            #[cfg(feature = "live")]
            Error::LiveStopped { .. } => 4,
            #[cfg(feature = "live")]
            Error::LiveWriteFailed { .. } => 6,
            _ => 3,
        }
    }
}

/// `trace.pcap.zst` → `trace.pcap`; another name gets `.pcap` after it.
fn decompressed_name(path: &std::path::Path) -> String {
    let name = path.display().to_string();
    match name
        .strip_suffix(".zst")
        .or_else(|| name.strip_suffix(".zstd"))
    {
        Some(stem) if !stem.is_empty() => stem.to_string(),
        _ => format!("{name}.pcap"),
    }
}
