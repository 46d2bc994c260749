//! `wsclose extract`: one connection's packets as a capture of their own.
//!
//! In: a capture file and a connection from its report (endpoints and packet range), the
//! output [`Format`], and for a TLS connection the key log ([`tls_secrets`] picks that
//! connection's lines out of it). Out: a classic pcap, or a pcapng whose Decryption Secrets
//! Block holds the connection's TLS secrets and nothing else (no other session's), holding
//! exactly the packets of that connection's 4-tuple within its packet range, in capture
//! order with their timestamps and original lengths, which other tools (tshark, Wireshark,
//! which then show it decrypted) and `wsclose analyze` read. Memory stays bounded: the
//! input is streamed again.

use crate::capture::write::{PcapNgWriter, PcapWriter};
use crate::capture::{self, LinkType, Timestamp};
use crate::decode;
use crate::error::Error;
use crate::flow::FlowKey;
use crate::report::ConnectionReport;
use crate::stack::tls::keylog::{decode_hex, ClientRandom, KeyLog};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// What to write. Its `Debug` shows no secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format<'a> {
    /// Classic pcap, microsecond timestamps (a plaintext connection's extract).
    Pcap,
    /// pcapng, nanosecond timestamps, with a Decryption Secrets Block holding this NSS
    /// key-log text when there is one (a TLS connection's extract).
    PcapNg { tls_key_log: Option<&'a str> },
}

impl std::fmt::Debug for Format<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Format::Pcap => f.write_str("Pcap"),
            Format::PcapNg { tls_key_log } => write!(
                f,
                "PcapNg {{ tls_key_log: {} }}",
                if tls_key_log.is_some() {
                    "Some(..)"
                } else {
                    "None"
                }
            ),
        }
    }
}

/// The TLS secrets of one connection, as [`tls_secrets`] finds them. Never printed: only
/// [`TlsSecrets::Lines`] holds any, and only to be written into an extract.
#[derive(Clone, PartialEq, Eq)]
pub enum TlsSecrets {
    /// The connection is not carried by TLS.
    NotTls,
    /// Its ClientHello was not captured, so its key-log lines cannot be told apart.
    NoClientRandom,
    /// The key log has nothing for its client random.
    Unknown,
    /// Its NSS key-log lines (every label logged for its client random, and only those).
    Lines(String),
}

impl std::fmt::Debug for TlsSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsSecrets::NotTls => f.write_str("NotTls"),
            TlsSecrets::NoClientRandom => f.write_str("NoClientRandom"),
            TlsSecrets::Unknown => f.write_str("Unknown"),
            TlsSecrets::Lines(l) => write!(f, "Lines({} lines)", l.lines().count()),
        }
    }
}

/// The key-log lines of `conn` in `keys`, found by the client random its report gives.
pub fn tls_secrets(conn: &ConnectionReport, keys: &KeyLog) -> TlsSecrets {
    let Some(tls) = &conn.tls else {
        return TlsSecrets::NotTls;
    };
    let random = tls
        .client_random
        .as_deref()
        .and_then(decode_hex)
        .and_then(|r| ClientRandom::try_from(r.as_slice()).ok());
    let Some(random) = random else {
        return TlsSecrets::NoClientRandom;
    };
    match keys.nss_lines(&random) {
        Some(lines) if !lines.is_empty() => TlsSecrets::Lines(lines),
        _ => TlsSecrets::Unknown,
    }
}

/// The output file, opened at the first packet (its link type is the file's).
enum Sink {
    Pcap(PcapWriter<BufWriter<File>>),
    Ng(PcapNgWriter<BufWriter<File>>),
}

impl Sink {
    fn open(out: &Path, format: Format<'_>, link: LinkType) -> std::io::Result<Sink> {
        let file = BufWriter::new(File::create(out)?);
        Ok(match format {
            Format::Pcap => Sink::Pcap(PcapWriter::new(file, link, 262_144)?),
            Format::PcapNg { tls_key_log } => Sink::Ng(PcapNgWriter::new(
                file,
                link,
                262_144,
                tls_key_log.map(str::as_bytes),
            )?),
        })
    }

    fn packet(&mut self, ts: Timestamp, data: &[u8], orig_len: u32) -> std::io::Result<()> {
        match self {
            Sink::Pcap(w) => w.packet(ts, data, orig_len),
            Sink::Ng(w) => w.packet(ts, data, orig_len),
        }
    }

    fn finish(self) -> std::io::Result<()> {
        match self {
            Sink::Pcap(w) => w.into_inner().flush(),
            Sink::Ng(w) => w.into_inner().flush(),
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extracted {
    pub packets: u64,
    /// Packets of the connection skipped because their link type differed from the first.
    pub skipped_other_link: u64,
}

/// Writes `conn`'s packets of `input` to `out` in `format`.
pub fn extract(
    input: &Path,
    conn: &ConnectionReport,
    out: &Path,
    format: Format<'_>,
) -> Result<Extracted, Error> {
    let want = FlowKey::of(conn.endpoints.0, conn.endpoints.1).0;
    let (from, to) = (conn.first_packet, conn.last_packet);
    let io_err = |e: std::io::Error| Error::Io {
        path: out.to_path_buf(),
        source: e,
    };
    let mut writer: Option<(Sink, LinkType)> = None;
    let mut result = Extracted {
        packets: 0,
        skipped_other_link: 0,
    };
    let mut failure: Option<std::io::Error> = None;
    capture::file::read(input, &mut |p| {
        if p.number < from || p.number > to || failure.is_some() {
            return;
        }
        let Ok(seg) = decode::decode(p) else {
            return;
        };
        if FlowKey::of(seg.src, seg.dst).0 != want {
            return;
        }
        if writer.is_none() {
            match Sink::open(out, format, p.link) {
                Ok(w) => writer = Some((w, p.link)),
                Err(e) => {
                    failure = Some(e);
                    return;
                }
            }
        }
        if let Some((w, link)) = writer.as_mut() {
            if *link != p.link {
                result.skipped_other_link += 1;
            } else if let Err(e) = w.packet(p.ts, p.data, p.orig_len) {
                failure = Some(e);
            } else {
                result.packets += 1;
            }
        }
    })?;
    if let Some(e) = failure {
        return Err(io_err(e));
    }
    match writer {
        Some((w, _)) => {
            w.finish().map_err(io_err)?;
            Ok(result)
        }
        None => Err(Error::Usage(format!(
            "no packet of connection {} was found in {} (was the capture changed since it was analyzed?)",
            conn.id,
            input.display()
        ))),
    }
}
