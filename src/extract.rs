//! `wsclose extract`: one connection's packets as a capture of their own.
//!
//! In: a capture file and a connection from its report (endpoints and packet range), where
//! to write (any [`Write`]: a file, or standard output for `-w -`), and for a TLS
//! connection the key log ([`tls_secrets`] picks that connection's lines out of it). Out: a
//! pcapng (draft-ietf-opsawg-pcapng §4.3) holding exactly the packets of that connection's
//! 4-tuple within its packet range, in capture order, with their timestamps at nanosecond
//! resolution (whatever the input's: a microsecond time is kept exactly, a nanosecond one
//! is not cut), their original lengths, and each its frame number in the input as a packet
//! comment ("frame 123 of input.pcap", Wireshark's `frame.comment`); for a TLS connection a
//! Decryption Secrets Block (§4.7) holds its secrets and nothing else (no other session's).
//! Other tools (tshark, Wireshark, which then show it decrypted) and `wsclose analyze` read
//! it. Memory stays bounded: the input is streamed again.
//!
//! [`report_secrets`] picks the lines of every TLS connection of a report, for the file a
//! live capture saves (`live --write` with a key log).

use crate::capture;
use crate::capture::write::PcapNgWriter;
use crate::decode;
use crate::error::Error;
use crate::flow::FlowKey;
use crate::report::{ConnectionReport, Report};
use crate::stack::tls::keylog::{decode_hex, ClientRandom, KeyLog};
use crate::vocab::LinkType;
use std::io::Write;
use std::path::Path;

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

/// The client random of `conn`'s ClientHello, as its report gives it (none when it is not
/// TLS or its ClientHello was not captured).
pub fn client_random(conn: &ConnectionReport) -> Option<[u8; 32]> {
    conn.tls
        .as_ref()?
        .client_random
        .as_deref()
        .and_then(decode_hex)
        .and_then(|r| ClientRandom::try_from(r.as_slice()).ok())
}

/// The key-log lines of `conn` in `keys`, found by the client random its report gives.
pub fn tls_secrets(conn: &ConnectionReport, keys: &KeyLog) -> TlsSecrets {
    if conn.tls.is_none() {
        return TlsSecrets::NotTls;
    }
    let Some(random) = client_random(conn) else {
        return TlsSecrets::NoClientRandom;
    };
    match keys.nss_lines(&random) {
        Some(lines) if !lines.is_empty() => TlsSecrets::Lines(lines),
        _ => TlsSecrets::Unknown,
    }
}

/// The key-log lines of every TLS connection in `report` that `keys` has (its WebSocket
/// connections and the TLS connections listed as encrypted), each client random once, in
/// report order: what the file a live capture saved carries (`live --write` with a key
/// log), and nothing of connections that are not in it. Empty when there are none.
pub fn report_secrets(report: &Report, keys: &KeyLog) -> std::io::Result<String> {
    let mut seen = rustc_hash::FxHashSet::default();
    let mut out = String::new();
    let mut add = |random: Option<ClientRandom>| {
        if let Some(r) = random.filter(|r| seen.insert(*r)) {
            if let Some(lines) = keys.nss_lines(&r) {
                out.push_str(&lines);
            }
        }
    };
    report.for_each_connection(|c| {
        add(client_random(c));
        Ok(())
    })?;
    for e in &report.seen.encrypted {
        add(e
            .tls
            .client_random
            .as_deref()
            .and_then(decode_hex)
            .and_then(|r| ClientRandom::try_from(r.as_slice()).ok()));
    }
    Ok(out)
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Extracted {
    /// Packets written.
    pub packets: u64,
    /// Packets of the connection skipped because their link type differed from the first.
    pub skipped_other_link: u64,
}

/// Writes `conn`'s packets of `input` to `out` as a pcapng, with `tls_key_log` (an NSS
/// key-log text: [`TlsSecrets::Lines`]) in a Decryption Secrets Block when given, and
/// flushes `out`. A failed write of `out` is [`Error::Write`] naming `out_name`.
///
/// ```
/// use std::path::Path;
///
/// let capture = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/node-close-1003.pcap"));
/// let report = wsclose::analyze_files(&[capture.into()], wsclose::Options::default())?;
/// let conn = &report.connections[0];
///
/// let mut out = Vec::new();
/// let done = wsclose::extract::extract(capture, conn, &mut out, Path::new("conn.pcapng"), None)?;
/// assert_eq!(out[..4], [0x0a, 0x0d, 0x0d, 0x0a]); // a pcapng Section Header Block
/// assert_eq!(done.packets, conn.last_packet - conn.first_packet + 1); // nothing else on the wire
/// # Ok::<(), wsclose::error::Error>(())
/// ```
pub fn extract<W: Write>(
    input: &Path,
    conn: &ConnectionReport,
    out: W,
    out_name: &Path,
    tls_key_log: Option<&str>,
) -> Result<Extracted, Error> {
    let want = FlowKey::of(conn.endpoints.0, conn.endpoints.1).0;
    let (from, to) = (conn.first_packet, conn.last_packet);
    // Where the connection lives (its VLANs and tunnels, `decode::Segment::scope`): that of
    // its first packet, so that a session with the same addresses in another VLAN or VNI
    // is left out.
    let mut scope = None;
    let write_err = |e: std::io::Error| Error::Write {
        path: out_name.to_path_buf(),
        source: e,
    };
    // Each packet's comment names the file it came from (not its directories).
    let source = input
        .file_name()
        .map_or_else(|| input.to_string_lossy(), |n| n.to_string_lossy())
        .into_owned();
    let mut out = Some(out);
    let mut writer: Option<(PcapNgWriter<W>, LinkType)> = None;
    let mut result = Extracted {
        packets: 0,
        skipped_other_link: 0,
    };
    let mut failure: Option<std::io::Error> = None;
    let mut comment = String::new();
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
        match scope {
            None if p.number == from => scope = Some(seg.scope),
            Some(s) if s != seg.scope => return,
            _ => {}
        }
        if let Some(sink) = out.take() {
            match PcapNgWriter::new(sink, p.link, 262_144, tls_key_log.map(str::as_bytes)) {
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
                return;
            }
            use std::fmt::Write as _;
            comment.clear();
            let _ = write!(comment, "frame {} of {source}", p.number);
            match w.packet_with_comment(p.ts, p.data, p.orig_len, Some(&comment)) {
                Ok(()) => result.packets += 1,
                Err(e) => failure = Some(e),
            }
        }
    })?;
    if let Some(e) = failure {
        return Err(write_err(e));
    }
    match writer {
        Some((w, _)) => {
            w.into_inner().flush().map_err(write_err)?;
            Ok(result)
        }
        None => Err(Error::Usage(format!(
            "no packet of connection {} was found in {} (was the capture changed since it was analyzed?)",
            conn.id,
            input.display()
        ))),
    }
}
