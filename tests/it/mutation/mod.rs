//! Mutated-corpus runs: every recorded fixture, damaged in deterministic ways, through
//! `wsclose::analyze_files`.
//!
//! Mutants are made from a seed: bit flips, truncation at a random offset, splices of two
//! files (byte-level and record-level), duplicated records, reordered records, a record
//! whose caplen (or pcapng block length) is set huge, and some written gzip-compressed.
//! Each mutant is written to a temporary file and analyzed (then rendered as JSON), and
//! must:
//!
//! 1. not panic (`catch_unwind`);
//! 2. take under 1 s (a case still running after 30 s is reported as a hang and aborts);
//!    also give the same report (JSON) with its flows sharded over two threads
//!    (`Options::threads`, `shard_min_bytes: 0`) and every connection frozen out of memory
//!    after each packet (`Freeze::EveryPacket`) as with one thread
//!    (`WSCLOSE_MUTATION_SHARDED=0` turns this off);
//! 3. report no close code that is not in the mutant's bytes. The check is sound, not a
//!    heuristic: TCP reassembly only ever delivers captured payload bytes, each at its own
//!    sequence number, and never fills a hole, so the two code bytes of a close frame (its
//!    payload bytes 0 and 1) are captured bytes at two consecutive sequence numbers `s`,
//!    `s + 1` of one direction of the connection; if the frame was masked, they were XORed
//!    with key bytes 0 and 1, which are the header's last-but-three and last-but-two bytes,
//!    at `s - 4` and `s - 3` of the same direction (a header is never split by a hole: a
//!    hole there puts the direction out of sync). So the check collects, per direction
//!    (source and destination endpoints), every byte value captured at every sequence
//!    number (all copies of retransmitted or inconsistent bytes, all connections on the same
//!    4-tuple) and requires, for each reported code `hi lo` from either direction of its
//!    connection, an `s` with `hi` at `s` and `lo` at `s + 1`, or `x` at `s`, `y` at `s + 1`,
//!    `a` at `s - 4`, `b` at `s - 3` with `x ^ a = hi` and `y ^ b = lo`. The packets and their
//!    payloads are read with wsclose's own reader and decoder (`capture::file::read`,
//!    `decode::decode`), so what is checked is everything above them: reassembly, the
//!    handshake, framing, unmasking and close parsing. A random wrong code passes by chance
//!    with a probability of about (stream length / 65536) per direction, a few percent on
//!    these small captures.
//!
//! 4. for TLS: the recorded wss:// captures of `fixtures/tls/` (and the HTTP/2 ones inside
//!    TLS of `fixtures/h2/`, with their key logs) are sources too, each mutant
//!    of one analyzed with its key log (`analyze_files_with_progress` with `KeySources`; the
//!    pcapng one carries its secrets itself), or, for the two that have one, sometimes with
//!    the wrong key log beside it. A close code on a TLS connection comes from decrypted
//!    bytes, not from the captured ones, so point 3 cannot hold for it; what can be
//!    asserted soundly is what authentication guarantees. Every record that opens under a
//!    connection's keys (AEAD tag, or HMAC over the sequence number) is byte for byte a
//!    record that connection's endpoint sent, at the same position in its direction (the
//!    sequence number is in the nonce or the MAC; forging one is infeasible), and the keys
//!    are the key log's secrets for the ClientHello's client random (TLS 1.2: and both
//!    hellos' randoms). So the plaintext of a decrypted direction is a prefix of what the
//!    recorded connection with that client random sent, and every close frame reported on
//!    a TLS connection must be one that the unmutated capture reports for the same client
//!    random, with the same code and reason (the set is computed once from the fixtures).
//!    Also: a TLS connection reports no close frame unless something was decrypted, and
//!    one whose client random the wrong key log names is never decrypted at all (random
//!    secrets: every tag must fail). What this does not catch: a close frame of the
//!    original dropped or misplaced (a prefix may legitimately lose it), or a wrong code
//!    that the same connection also sent elsewhere.
//!
//! `mutants_fast` runs 2 000 cases from every source in the normal test run, `mutants_tls`
//! 300 more whose sources are the TLS captures (spliced with any fixture); `mutants_100k`
//! (ignored, long) runs 100 000: `cargo test --release --test it -- --ignored
//! mutants_100k` (about a minute on 2 cores; 100 000 of `mutants_tls` as long). The
//! environment variables `WSCLOSE_MUTATION_CASES` and `WSCLOSE_MUTATION_SEED` override the
//! count and the seed of either, and `WSCLOSE_MUTATION_SHOW` how many failures are listed
//! (10). Failing mutants are written to `target/tmp/mutation-failures/`. Tests ignored with
//! "bug: ..." reproduce bugs found here and pass once they are fixed.
//!
//! This module holds the randomness and the captures as records; `mutations` makes the
//! mutants, `oracle` checks close codes against the captured bytes, `run` runs and checks
//! the cases, `regressions` holds the bugs the runs found.

use pcap_parser::pcapng::Block;
use pcap_parser::{PcapBlockOwned, PcapError};
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wsclose::__internals::analyzer::Options;
use wsclose::__internals::capture::Packet;
use wsclose::keys::KeySources;
use wsclose::report::Report;
use wsclose::vocab::{Endpoint, LinkType, Timestamp};

mod mutations;
mod oracle;
mod regressions;
mod run;

/// A case slower than this fails.
const MAX_CASE: Duration = Duration::from_secs(1);
/// A case still running after this is a hang: the run stops at once.
const HANG: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------
// Deterministic randomness
// ---------------------------------------------------------------------------------------

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, case: u64) -> Rng {
        let mut r = Rng(seed ^ case.wrapping_mul(0xA076_1D64_78BD_642F));
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

// ---------------------------------------------------------------------------------------
// Captures as records
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// Classic pcap; true for little-endian.
    Pcap(bool),
    /// pcapng; true for little-endian.
    Ng(bool),
}

/// A capture split into its file header and its records (pcap records with their 16-byte
/// headers; pcapng blocks after the first Section Header Block). Bytes after the last whole
/// record stay in `trailer`.
#[derive(Debug, Clone)]
struct Capture {
    name: String,
    format: Format,
    header: Vec<u8>,
    records: Vec<Vec<u8>>,
    trailer: Vec<u8>,
    /// For a TLS fixture: its key log (`fixtures/tls/NAME.keylog`, `fixtures/h2/NAME.keylog`),
    /// and the wrong one beside it (`NAME-wrong.keylog`), if there is one.
    keylog: Option<PathBuf>,
    wrong_keylog: Option<PathBuf>,
    /// A capture of `fixtures/tls/`, or one of `fixtures/h2/` with a key log.
    tls: bool,
}

fn u32_at(b: &[u8], at: usize, le: bool) -> Option<u32> {
    let x: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(if le {
        u32::from_le_bytes(x)
    } else {
        u32::from_be_bytes(x)
    })
}

fn put_u32(b: &mut [u8], at: usize, v: u32, le: bool) {
    if let Some(s) = b.get_mut(at..at + 4) {
        s.copy_from_slice(&if le { v.to_le_bytes() } else { v.to_be_bytes() });
    }
}

impl Capture {
    fn parse(name: &str, b: &[u8]) -> Option<Capture> {
        let magic = b.get(0..4)?;
        let format = match magic {
            [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => Format::Pcap(true),
            [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => Format::Pcap(false),
            [0x0a, 0x0d, 0x0d, 0x0a] => {
                let le = b.get(8..12)? == [0x4d, 0x3c, 0x2b, 0x1a];
                Format::Ng(le)
            }
            _ => return None,
        };
        let (mut at, le) = match format {
            Format::Pcap(le) => (24, le),
            Format::Ng(le) => (u32_at(b, 4, le)? as usize, le),
        };
        let header = b.get(..at)?.to_vec();
        let mut records = Vec::new();
        loop {
            let len = match format {
                Format::Pcap(_) => u32_at(b, at + 8, le).map(|n| 16 + n as usize),
                Format::Ng(_) => u32_at(b, at + 4, le).map(|n| n as usize),
            };
            match len {
                Some(n) if n >= 12 && at + n <= b.len() => {
                    records.push(b[at..at + n].to_vec());
                    at += n;
                }
                _ => break,
            }
        }
        Some(Capture {
            name: name.to_string(),
            format,
            header,
            records,
            trailer: b[at..].to_vec(),
            keylog: None,
            wrong_keylog: None,
            tls: false,
        })
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = self.header.clone();
        for r in &self.records {
            out.extend_from_slice(r);
        }
        out.extend_from_slice(&self.trailer);
        out
    }
}

fn capture_paths(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixtures/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p.to_string_lossy();
            n.ends_with(".pcap") || n.ends_with(".pcapng") || n.ends_with(".gz")
        })
        .collect();
    paths.sort();
    paths
}

/// Every fixture, gzip undone: `fixtures/*`, the TLS captures of `fixtures/tls/` (named
/// `tls/FILE`, with their key logs) and the HTTP/2 captures of `fixtures/h2/` (named
/// `h2/FILE`; those with a key log beside them are TLS ones, checked as such).
fn fixtures() -> Vec<Capture> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let paths = capture_paths(&dir)
        .into_iter()
        .chain(capture_paths(&dir.join("tls")))
        .chain(capture_paths(&dir.join("h2")));
    let mut out = Vec::new();
    for p in paths {
        let raw = std::fs::read(&p).unwrap();
        let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
            let mut v = Vec::new();
            flate2::read::MultiGzDecoder::new(&raw[..])
                .read_to_end(&mut v)
                .unwrap();
            v
        } else {
            raw
        };
        let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
        let sub = p.parent().filter(|d| *d != dir).and_then(|d| d.file_name());
        let tls = match sub {
            Some(d) if d == "tls" => true,
            // An HTTP/2 capture is TLS when it has a key log.
            Some(_) => p.with_file_name(format!("{stem}.keylog")).exists(),
            None => false,
        };
        let file = p.file_name().unwrap().to_string_lossy().into_owned();
        let name = match sub {
            Some(d) => format!("{}/{file}", d.to_string_lossy()),
            None => file,
        };
        // A fixture that is not a capture at all (or is deliberately broken) is still a
        // mutation source, as one record-less blob.
        let mut cap = Capture::parse(&name, &bytes).unwrap_or(Capture {
            name,
            format: Format::Pcap(true),
            header: Vec::new(),
            records: Vec::new(),
            trailer: bytes,
            keylog: None,
            wrong_keylog: None,
            tls: false,
        });
        if tls {
            let existing = |f: String| Some(p.with_file_name(f)).filter(|k| k.exists());
            cap.tls = true;
            cap.keylog = existing(format!("{stem}.keylog"));
            cap.wrong_keylog = existing(format!("{stem}-wrong.keylog"));
        }
        out.push(cap);
    }
    assert!(out.len() >= 10, "only {} fixtures", out.len());
    out
}
