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
//! (ignored, long) runs 100 000: `cargo test --release --test mutation -- --ignored
//! mutants_100k` (about a minute on 2 cores; 100 000 of `mutants_tls` as long). The environment variables `WSCLOSE_MUTATION_CASES` and
//! `WSCLOSE_MUTATION_SEED` override the count and the seed of either, and
//! `WSCLOSE_MUTATION_SHOW` how many failures are listed (10). Failing mutants are written
//! to `target/tmp/mutation-failures/`. Tests ignored with "bug: ..." reproduce bugs found
//! here and pass once they are fixed.

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
use wsclose::analyzer::Options;
use wsclose::capture::{LinkType, Packet, Timestamp};
use wsclose::decode::Endpoint;
use wsclose::keys::KeySources;
use wsclose::report::Report;

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

// ---------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------

/// Caplen (or block length) values that hurt: past the reader's 2 MiB buffer, at its edge,
/// all ones, the top bit, or just a little more than the record holds.
fn huge(rng: &mut Rng, have: usize) -> u32 {
    let have = have as u32;
    match rng.below(8) {
        0 => u32::MAX,
        1 => 0xFFFF_FFF0,
        2 => 0x8000_0000,
        3 => (2 << 20) + 1,
        4 => 2 << 20,
        5 => 0x0001_0000,
        6 => have.saturating_add(1 + rng.below(64) as u32),
        _ => (rng.next() as u32) | 0x0100_0000,
    }
}

/// The key log a mutant is analyzed with.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Keys {
    None,
    /// The source's own.
    Right(PathBuf),
    /// The wrong one recorded beside it.
    Wrong(PathBuf),
}

/// A mutant: the file's bytes, the same uncompressed, what was done, and its key log.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mutant {
    file: Vec<u8>,
    plain: Vec<u8>,
    what: String,
    keys: Keys,
}

/// Which fixtures mutants start from (splices take the other file from all of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sources {
    All,
    Tls,
}

/// Applies 1-3 mutations to a fixture of `sources`, and sometimes gzip.
fn mutate(corpus: &[Capture], sources: Sources, rng: &mut Rng) -> Mutant {
    let pool: Vec<usize> = (0..corpus.len())
        .filter(|&i| sources == Sources::All || corpus[i].tls)
        .collect();
    let mut cap = corpus[pool[rng.below(pool.len())]].clone();
    let mut what = vec![cap.name.clone()];
    let keys = match (&cap.keylog, &cap.wrong_keylog) {
        (Some(_), Some(wrong)) if rng.chance(20) => Keys::Wrong(wrong.clone()),
        (Some(right), _) => Keys::Right(right.clone()),
        (None, _) => Keys::None,
    };
    if let Keys::Wrong(_) = keys {
        what.push("wrong key log".into());
    }
    let n_ops = 1 + rng.below(3);
    let mut bytes: Option<Vec<u8>> = None;
    for _ in 0..n_ops {
        let op = rng.below(100);
        // Record-level operations work on the records until a byte-level one runs.
        if bytes.is_none() && op < 50 && !cap.records.is_empty() {
            let n = cap.records.len();
            match op {
                0..=11 => {
                    let i = rng.below(n);
                    let j = rng.below(n + 1);
                    let r = cap.records[i].clone();
                    cap.records.insert(j, r);
                    what.push(format!("dup {i}->{j}"));
                }
                12..=23 => {
                    if rng.chance(50) {
                        let (i, j) = (rng.below(n), rng.below(n));
                        cap.records.swap(i, j);
                        what.push(format!("swap {i}<->{j}"));
                    } else {
                        // Shuffle a window.
                        let i = rng.below(n);
                        let w = (2 + rng.below(6)).min(n - i);
                        for k in (1..w).rev() {
                            let j = rng.below(k + 1);
                            cap.records.swap(i + k, i + j);
                        }
                        what.push(format!("shuffle {i}..{}", i + w));
                    }
                }
                24..=33 => {
                    let i = rng.below(n);
                    let r = &mut cap.records[i];
                    let have = r.len();
                    let v = huge(rng, have);
                    match cap.format {
                        Format::Pcap(le) => put_u32(r, 8, v, le),
                        Format::Ng(le) => {
                            let is_epb = u32_at(r, 0, le) == Some(6);
                            if is_epb && rng.chance(70) {
                                put_u32(r, 20, v, le);
                            } else {
                                put_u32(r, 4, v, le);
                            }
                        }
                    }
                    what.push(format!("caplen[{i}]={v:#x}"));
                }
                34..=41 => {
                    // Record-level splice: our records up to i, another file's from j.
                    let other = &corpus[rng.below(corpus.len())];
                    let i = rng.below(n + 1);
                    let j = rng.below(other.records.len() + 1);
                    cap.records.truncate(i);
                    cap.records.extend(other.records[j..].iter().cloned());
                    what.push(format!("splice-records {i} + {}[{j}..]", other.name));
                }
                _ => {
                    let i = rng.below(n);
                    cap.records.remove(i);
                    what.push(format!("drop {i}"));
                }
            }
            continue;
        }
        let b = bytes.get_or_insert_with(|| cap.bytes());
        if b.is_empty() {
            break;
        }
        match op % 4 {
            0 | 1 => {
                let flips = 1 + rng.below(8);
                for _ in 0..flips {
                    let at = rng.below(b.len());
                    b[at] ^= 1 << rng.below(8);
                }
                what.push(format!("flip x{flips}"));
            }
            2 => {
                let at = rng.below(b.len());
                b.truncate(at);
                what.push(format!("truncate {at}"));
            }
            _ => {
                let other = corpus[rng.below(corpus.len())].bytes();
                let i = rng.below(b.len() + 1);
                let j = rng.below(other.len() + 1);
                b.truncate(i);
                b.extend_from_slice(&other[j..]);
                what.push(format!("splice {i} + [{j}..]"));
            }
        }
    }
    let plain = bytes.unwrap_or_else(|| cap.bytes());
    let file = if rng.chance(8) {
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(&plain).unwrap();
        what.push("gzip".into());
        z.finish().unwrap()
    } else {
        plain.clone()
    };
    Mutant {
        file,
        plain,
        what: what.join(", "),
        keys,
    }
}

// ---------------------------------------------------------------------------------------
// The oracle for close codes
// ---------------------------------------------------------------------------------------

/// Per direction (source, destination), the byte values captured at each sequence number.
type SeqBytes = HashMap<(Endpoint, Endpoint), HashMap<u32, Vec<u8>>>;

/// Every link type wsclose decodes.
const LINKS: [LinkType; 8] = [
    LinkType::ETHERNET,
    LinkType::RAW,
    LinkType::LINUX_SLL,
    LinkType::LINUX_SLL2,
    LinkType::NULL,
    LinkType::LOOP,
    LinkType::IPV4,
    LinkType::IPV6,
];

/// The payload bytes of every TCP segment in the (uncompressed) capture `plain`, by
/// direction and sequence number. A superset of what wsclose's reader delivers, which is
/// all soundness needs: the same parser (pcap-parser) over the same bytes, skipping the same
/// damaged pcapng blocks (whole and framed, but refused by the parser), but with a
/// buffer that holds the whole file (wsclose's holds 2 MiB, and is costly to set up in a
/// debug build), each packet decoded as every link type wsclose knows, and with its
/// whole record as well as its caplen.
fn seq_bytes(plain: &[u8]) -> SeqBytes {
    let mut map: SeqBytes = HashMap::new();
    let cap = (plain.len() + 1).max(1 << 16);
    let Ok(mut reader) = pcap_parser::create_reader(cap, plain) else {
        return map;
    };
    let mut add = |data: &[u8]| {
        for link in LINKS {
            let pkt = Packet {
                number: 0,
                ts: Timestamp(0),
                link,
                data,
                orig_len: data.len() as u32,
            };
            let Ok(seg) = wsclose::decode::decode(&pkt) else {
                continue;
            };
            let seq = if seg.syn {
                seg.seq.wrapping_add(1)
            } else {
                seg.seq
            };
            let dir = map.entry((seg.src, seg.dst)).or_default();
            for (i, &b) in seg.payload.iter().enumerate() {
                let v = dir.entry(seq.wrapping_add(i as u32)).or_default();
                if !v.contains(&b) {
                    v.push(b);
                }
            }
        }
    };
    // The byte order of the current pcapng section, to find a damaged block's end.
    let ng = plain.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]);
    let mut big_endian = false;
    for _ in 0..1_000_000 {
        let stop = match reader.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::NG(Block::SectionHeader(shb)) => big_endian = shb.big_endian(),
                    PcapBlockOwned::Legacy(b) => {
                        add(b.data);
                        add(&b.data[..(b.caplen as usize).min(b.data.len())]);
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(b)) => {
                        add(b.data);
                        add(&b.data[..(b.caplen as usize).min(b.data.len())]);
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(b)) => add(b.data),
                    _ => {}
                }
                reader.consume(offset);
                continue;
            }
            Err(PcapError::Incomplete(_)) => false,
            Err(_) => true,
        };
        // A whole pcapng block whose two total lengths agree but that does not parse is
        // skipped, as wsclose's reader skips it (a classic pcap's records have no trailer).
        if let Some(len) = framed_pcapng_block(reader.data(), big_endian).filter(|_| ng) {
            reader.consume(len);
            continue;
        }
        if stop || reader.refill().is_err() {
            break;
        }
    }
    map
}

/// The total length of the pcapng block at the start of `data` if all of it is there and
/// its framing holds in that byte order: at least 12, a multiple of 4, repeated at its end.
fn framed_pcapng_block(data: &[u8], big_endian: bool) -> Option<usize> {
    let word = |at: usize| -> Option<usize> {
        let b: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
        let v = if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        };
        usize::try_from(v).ok()
    };
    let len = word(4)?;
    (len >= 12 && len.is_multiple_of(4) && len <= data.len() && word(len - 4)? == len)
        .then_some(len)
}

/// Is `code` at two consecutive sequence numbers of `dir`, plain or masked (see the top).
fn code_possible(code: u16, dir: &HashMap<u32, Vec<u8>>) -> bool {
    let [hi, lo] = code.to_be_bytes();
    let at = |s: u32| dir.get(&s).map_or(&[][..], |v| &v[..]);
    dir.iter().any(|(&s, xs)| {
        let ys = at(s.wrapping_add(1));
        if ys.is_empty() {
            return false;
        }
        if xs.contains(&hi) && ys.contains(&lo) {
            return true;
        }
        let (ks0, ks1) = (at(s.wrapping_sub(4)), at(s.wrapping_sub(3)));
        xs.iter().any(|x| ks0.contains(&(x ^ hi))) && ys.iter().any(|y| ks1.contains(&(y ^ lo)))
    })
}

fn endpoint(s: &str) -> Option<Endpoint> {
    let a: SocketAddr = s.parse().ok()?;
    Some(Endpoint::new(a.ip(), a.port()))
}

// ---------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------

#[derive(Debug)]
struct Failure {
    case: u64,
    what: String,
    problem: String,
    file: PathBuf,
    bytes: Vec<u8>,
}

/// What the cases amounted to: inputs rejected as not a capture, reports made, WebSocket
/// connections in them, close codes checked against the bytes; WebSocket connections over
/// TLS, how many of them were decrypted, and close codes checked against the fixtures'.
#[derive(Default)]
struct Tally {
    rejected: AtomicU64,
    reports: AtomicU64,
    connections: AtomicU64,
    codes: AtomicU64,
    tls_connections: AtomicU64,
    tls_decrypted: AtomicU64,
    tls_codes: AtomicU64,
}

/// The key sources of a mutant.
fn key_sources(keys: &Keys) -> KeySources {
    match keys {
        Keys::None => KeySources::default(),
        Keys::Right(p) | Keys::Wrong(p) => KeySources {
            files: vec![p.clone()],
            env: None,
        },
    }
}

/// Analyzes `path` with `keys` under `catch_unwind`: the report and its JSON, or the panic
/// message.
fn analyze(path: &Path, opts: Options, keys: &Keys) -> Result<Option<(Report, String)>, String> {
    let sources = key_sources(keys);
    panic::catch_unwind(AssertUnwindSafe(|| {
        wsclose::analyze_files_with_progress(&[path.to_path_buf()], opts, &sources, None)
            .ok()
            .and_then(|mut r| {
                r.load().ok()?;
                let json = wsclose::render::json::render(&r);
                Some((r, json))
            })
    }))
    .map_err(|e| {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("panic: {msg} [{}]", last_panic_location())
    })
}

/// Whether each mutant is also analyzed with its flows sharded over two threads, which must
/// give the same report as one thread. On by default (the bug
/// `sharded_report_equals_one_thread_after_idle_gap` reproduced is fixed);
/// `WSCLOSE_MUTATION_SHARDED=0` turns it off.
fn sharded_check() -> bool {
    std::env::var_os("WSCLOSE_MUTATION_SHARDED").is_none_or(|v| v != "0")
}

/// The same analysis with the flows sharded over two threads (`Options::threads`) and every
/// connection frozen out of memory after each of its packets and thawed for the next
/// (`Freeze::EveryPacket`), which must give the same report as one thread that freezes
/// only quiet connections.
fn sharded() -> Options {
    Options {
        threads: 2,
        shard_min_bytes: 0,
        freeze: wsclose::analyzer::Freeze::EveryPacket,
        ..Options::default()
    }
}

/// What the unmutated TLS fixtures report (with their own key logs): per client random (in
/// hex), the close frames' codes and reasons.
type TlsTruth = HashMap<String, HashSet<(u16, String)>>;

fn tls_truth(corpus: &[Capture]) -> TlsTruth {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut truth = TlsTruth::new();
    for cap in corpus.iter().filter(|c| c.tls) {
        // `tls/FILE` or `h2/FILE`.
        let path = dir.join(&cap.name);
        let keys = cap.keylog.clone().map_or(Keys::None, Keys::Right);
        let (report, _) = analyze(&path, Options::default(), &keys)
            .unwrap()
            .unwrap_or_else(|| panic!("{} does not read", cap.name));
        for c in &report.connections {
            let Some(cr) = c.tls.as_ref().and_then(|t| t.client_random.clone()) else {
                continue;
            };
            let set = truth.entry(cr.to_ascii_lowercase()).or_default();
            for f in &c.close_frames {
                if let Some(code) = f.code {
                    set.insert((code, f.reason.clone()));
                }
            }
        }
    }
    truth
}

/// The client randoms a key log names (lower-case hex).
fn keylog_randoms(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_ascii_whitespace().nth(1))
        .map(str::to_ascii_lowercase)
        .collect()
}

/// One case: Ok, or what went wrong.
fn check_case(path: &Path, m: &Mutant, truth: &TlsTruth, tally: &Tally) -> Result<(), String> {
    let (bytes, plain) = (&m.file[..], &m.plain[..]);
    std::fs::write(path, bytes).unwrap();
    let t0 = Instant::now();
    let one = analyze(path, Options::default(), &m.keys)?;
    let took = t0.elapsed();
    if took > MAX_CASE {
        return Err(format!("took {took:.2?}"));
    }
    let two = if sharded_check() {
        let t0 = Instant::now();
        let two = analyze(path, sharded(), &m.keys).map_err(|e| format!("sharded: {e}"))?;
        let took = t0.elapsed();
        if took > MAX_CASE {
            return Err(format!("sharded: took {took:.2?}"));
        }
        two
    } else {
        one.clone()
    };
    let report = match (one, two) {
        (None, None) => {
            tally.rejected.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        (Some((r, a)), Some((_, b))) => {
            if a != b {
                let (x, y) = a
                    .lines()
                    .zip(b.lines())
                    .find(|(x, y)| x != y)
                    .unwrap_or(("(length)", "(length)"));
                return Err(format!(
                    "the sharded report differs: one thread `{}`, two `{}`",
                    x.trim(),
                    y.trim()
                ));
            }
            r
        }
        (a, b) => {
            return Err(format!(
                "one thread {}, two threads {}",
                if a.is_some() { "read it" } else { "refused it" },
                if b.is_some() { "read it" } else { "refused it" }
            ))
        }
    };
    tally.reports.fetch_add(1, Ordering::Relaxed);
    tally
        .connections
        .fetch_add(report.connections.len() as u64, Ordering::Relaxed);
    if took > MAX_CASE {
        return Err(format!("took {took:.2?}"));
    }
    // A pcapng mutant may carry secrets of its own (a Decryption Secrets Block).
    let wrong = match &m.keys {
        Keys::Wrong(p) if !plain.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) => keylog_randoms(p),
        _ => Vec::new(),
    };
    let mut seq: Option<SeqBytes> = None;
    for c in &report.connections {
        if let Some(t) = &c.tls {
            tally.tls_connections.fetch_add(1, Ordering::Relaxed);
            if t.decrypted {
                tally.tls_decrypted.fetch_add(1, Ordering::Relaxed);
            }
            let cr = t
                .client_random
                .as_deref()
                .unwrap_or("")
                .to_ascii_lowercase();
            if t.decrypted && wrong.contains(&cr) {
                return Err(format!(
                    "TLS connection {} -> {} decrypted with the wrong key log",
                    c.client, c.server
                ));
            }
            for f in &c.close_frames {
                let Some(code) = f.code else {
                    continue;
                };
                tally.tls_codes.fetch_add(1, Ordering::Relaxed);
                if !t.decrypted {
                    return Err(format!(
                        "close code {code} on a TLS connection with nothing decrypted ({} -> {})",
                        c.client, c.server
                    ));
                }
                if !truth
                    .get(&cr)
                    .is_some_and(|set| set.contains(&(code, f.reason.clone())))
                {
                    return Err(format!(
                        "close code {code} {:?} from the {} (packet {}, {} -> {}, client random \
                         {cr}) is not one the recorded TLS connection sent",
                        f.reason, f.from, f.packet, c.client, c.server
                    ));
                }
            }
            continue;
        }
        for f in &c.close_frames {
            let Some(code) = f.code else {
                continue;
            };
            tally.codes.fetch_add(1, Ordering::Relaxed);
            let seq = seq.get_or_insert_with(|| seq_bytes(plain));
            let ends = (
                endpoint(&c.client.to_string()),
                endpoint(&c.server.to_string()),
            );
            let ok = match ends {
                (Some(cl), Some(sv)) => [(cl, sv), (sv, cl)]
                    .iter()
                    .any(|k| seq.get(k).is_some_and(|d| code_possible(code, d))),
                _ => seq.values().any(|d| code_possible(code, d)),
            };
            if !ok {
                return Err(format!(
                    "close code {code} from the {} (packet {}, {} -> {}) is not in the capture's bytes",
                    f.from, f.packet, c.client, c.server
                ));
            }
        }
    }
    Ok(())
}

thread_local! {
    static PANIC_AT: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

fn last_panic_location() -> String {
    PANIC_AT.with(|p| p.borrow().clone())
}

/// Panics in worker threads are expected findings: keep their location, print nothing.
fn quiet_workers() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let worker = std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with("mutation-worker"));
            if worker {
                let at = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                PANIC_AT.with(|p| *p.borrow_mut() = at);
            } else {
                default(info);
            }
        }));
    });
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// What a worker is doing: case, since when, the mutation, the mutant.
type Running = Option<(u64, Instant, String, Vec<u8>)>;

/// Runs `cases` mutants of `sources` from `seed` on all cores; returns the failures.
fn run(cases: u64, seed: u64, sources: Sources) -> (Vec<Failure>, Duration, Arc<Tally>) {
    quiet_workers();
    let corpus = Arc::new(fixtures());
    let truth = Arc::new(tls_truth(&corpus));
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8);
    let tmp = tempfile::tempdir().unwrap();
    let failures: Arc<Mutex<Vec<Failure>>> = Arc::default();
    let next = Arc::new(AtomicU64::new(0));
    let tally: Arc<Tally> = Arc::default();
    // (case, start) per worker, for the hang watchdog.
    let running: Arc<Mutex<Vec<Running>>> = Arc::new(Mutex::new(vec![None; workers]));
    let started = Instant::now();
    let mut handles = Vec::new();
    for w in 0..workers {
        let (corpus, truth, failures, next, running, tally) = (
            corpus.clone(),
            truth.clone(),
            failures.clone(),
            next.clone(),
            running.clone(),
            tally.clone(),
        );
        let path = tmp.path().join(format!("mutant-{w}.pcap"));
        handles.push(
            std::thread::Builder::new()
                .name(format!("mutation-worker-{w}"))
                .spawn(move || loop {
                    let case = next.fetch_add(1, Ordering::Relaxed);
                    if case >= cases {
                        break;
                    }
                    let mut rng = Rng::new(seed, case);
                    let m = mutate(&corpus, sources, &mut rng);
                    running.lock().unwrap()[w] =
                        Some((case, Instant::now(), m.what.clone(), m.file.clone()));
                    let res = check_case(&path, &m, &truth, &tally);
                    running.lock().unwrap()[w] = None;
                    if let Err(problem) = res {
                        failures.lock().unwrap().push(Failure {
                            case,
                            what: m.what,
                            problem,
                            file: PathBuf::new(),
                            bytes: m.file,
                        });
                    }
                })
                .unwrap(),
        );
    }
    // Watchdog: a case running past HANG is a hang; save it and stop.
    while handles.iter().any(|h| !h.is_finished()) {
        std::thread::sleep(Duration::from_millis(100));
        let hung = running
            .lock()
            .unwrap()
            .iter()
            .flatten()
            .find(|(_, t, _, _)| t.elapsed() > HANG)
            .cloned();
        if let Some((case, _, what, bytes)) = hung {
            let f = save(case, &bytes);
            eprintln!(
                "HANG: case {case} (seed {seed:#x}; {what}) ran over {HANG:?}; mutant saved to {}",
                f.display()
            );
            std::process::exit(101);
        }
    }
    for h in handles {
        h.join().unwrap();
    }
    let mut failures = std::mem::take(&mut *failures.lock().unwrap());
    failures.sort_by_key(|f| f.case);
    for f in &mut failures {
        f.file = save(f.case, &f.bytes);
    }
    (failures, started.elapsed(), tally)
}

fn save(case: u64, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mutation-failures");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("case-{case}.pcap"));
    std::fs::write(&p, bytes).unwrap();
    p
}

fn run_and_check(default_cases: u64, sources: Sources) -> Arc<Tally> {
    let cases = env_u64("WSCLOSE_MUTATION_CASES").unwrap_or(default_cases);
    let seed = env_u64("WSCLOSE_MUTATION_SEED").unwrap_or(0x5EED_C105E);
    let (failures, took, t) = run(cases, seed, sources);
    let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
    eprintln!(
        "mutation: {cases} cases (seed {seed:#x}, {sources:?}) in {took:.1?}: {} not a \
         capture, {} reports with {} WebSocket connections, {} close codes checked against \
         the bytes; {} over TLS, {} decrypted, {} close codes checked against the recorded \
         ones; {} failed",
        n(&t.rejected),
        n(&t.reports),
        n(&t.connections),
        n(&t.codes),
        n(&t.tls_connections),
        n(&t.tls_decrypted),
        n(&t.tls_codes),
        failures.len()
    );
    let show = env_u64("WSCLOSE_MUTATION_SHOW").unwrap_or(10) as usize;
    for f in failures.iter().take(show) {
        eprintln!(
            "  case {}: {}\n    mutant: {}\n    file: {} ({} bytes)",
            f.case,
            f.problem,
            f.what,
            f.file.display(),
            f.bytes.len()
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} mutants failed (first: case {}: {})",
        failures.len(),
        failures[0].case,
        failures[0].problem
    );
    t
}

#[test]
fn mutants_fast() {
    run_and_check(2_000, Sources::All);
}

/// Mutants of the TLS captures only, analyzed with their key logs: the decrypting path sees
/// damaged records, hellos and key logs that do not fit, and what it decrypts is checked
/// against what the recorded connections sent (point 4 at the top).
#[test]
fn mutants_tls() {
    let t = run_and_check(300, Sources::Tls);
    if env_u64("WSCLOSE_MUTATION_CASES").is_none() {
        // The check checks something: many mutants still decrypt and close.
        assert!(t.tls_decrypted.load(Ordering::Relaxed) >= 50);
        assert!(t.tls_codes.load(Ordering::Relaxed) >= 50);
    }
}

#[test]
#[ignore = "long: 100 000 mutants (cargo test --release --test mutation -- --ignored mutants_100k)"]
fn mutants_100k() {
    run_and_check(100_000, Sources::All);
}

/// What the TLS check compares with: each recorded wss:// capture, decrypted with its key
/// log, gives the close code its name says (and with the wrong key log, nothing).
#[test]
fn tls_truth_holds_the_recorded_codes() {
    let corpus = fixtures();
    let truth = tls_truth(&corpus);
    let mut named = 0;
    for cap in corpus.iter().filter(|c| c.tls) {
        let Some(code) = cap
            .name
            .split("close-")
            .nth(1)
            .and_then(|r| r.get(..4))
            .and_then(|c| c.parse::<u16>().ok())
        else {
            continue;
        };
        assert!(
            truth.values().flatten().any(|(c, _)| *c == code),
            "{}: {code} not decrypted",
            cap.name
        );
        named += 1;
        if let Some(wrong) = &cap.wrong_keylog {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures")
                .join(&cap.name);
            let (r, _) = analyze(&path, Options::default(), &Keys::Wrong(wrong.clone()))
                .unwrap()
                .unwrap();
            assert!(
                r.connections
                    .iter()
                    .all(|c| c.close_frames.is_empty()
                        && !c.tls.as_ref().is_some_and(|t| t.decrypted)),
                "{}: decrypted with the wrong key log",
                cap.name
            );
        }
    }
    assert!(named >= 12, "only {named} TLS fixtures name their code");
}

/// The oracle itself: it accepts the fixtures' real codes and rejects made-up ones.
#[test]
fn oracle_accepts_real_codes_and_rejects_invented_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for cap in fixtures().into_iter().filter(|c| !c.tls) {
        let path = dir.path().join(cap.name.replace('/', "-"));
        std::fs::write(&path, cap.bytes()).unwrap();
        let Ok(report) = wsclose::analyze_files(std::slice::from_ref(&path), Options::default())
        else {
            continue;
        };
        let seq = seq_bytes(&cap.bytes());
        let all: HashSet<u16> = report
            .connections
            .iter()
            .flat_map(|c| c.close_frames.iter().filter_map(|f| f.code))
            .collect();
        for code in &all {
            assert!(
                seq.values().any(|d| code_possible(*code, d)),
                "{}: real code {code} rejected",
                cap.name
            );
            checked += 1;
        }
        // Codes no fixture sends, unlikely to be in any by chance.
        let rejected = [1013u16, 3333, 4444, 2999]
            .iter()
            .filter(|c| !all.contains(c) && !seq.values().any(|d| code_possible(**c, d)))
            .count();
        assert!(rejected >= 3, "{}: the oracle accepts too much", cap.name);
    }
    assert!(checked >= 20, "only {checked} codes checked");
}

/// The mutator is deterministic and does what it says.
#[test]
fn mutants_are_deterministic() {
    let corpus = fixtures();
    for sources in [Sources::All, Sources::Tls] {
        for case in 0..50 {
            let a = mutate(&corpus, sources, &mut Rng::new(7, case));
            let b = mutate(&corpus, sources, &mut Rng::new(7, case));
            assert_eq!(a, b);
            if sources == Sources::Tls {
                assert!(
                    a.what.starts_with("tls/") || a.what.starts_with("h2/"),
                    "{}",
                    a.what
                );
                // Every TLS fixture has a key log but the pcapng one, which carries its own.
                assert!(
                    a.keys != Keys::None || a.what.contains(".pcapng"),
                    "{}",
                    a.what
                );
            }
        }
    }
    for c in &corpus {
        let round = Capture::parse(&c.name, &c.bytes()).unwrap();
        assert_eq!(round.records.len(), c.records.len(), "{}", c.name);
        assert!(
            c.trailer.is_empty(),
            "{}: bytes after the last record",
            c.name
        );
    }
}

// ---------------------------------------------------------------------------------------
// Regressions found by this file
// ---------------------------------------------------------------------------------------

/// One WebSocket connection (client 10.0.0.1:`port`, server 10.0.0.2:8080), quiet for 700 s
/// (past the 600 s idle timeout), during which the capture holds one UDP packet of other
/// traffic; then the server closes with 1000, the client echoes, both FIN. Raw IPv4 pcap.
fn idle_then_udp_then_close(port: u16) -> Vec<u8> {
    use etherparse::PacketBuilder;
    use wsclose::capture::write::PcapWriter;
    let (c, s) = ([10, 0, 0, 1], [10, 0, 0, 2]);
    let mut seq = [1_000u32, 5_000u32];
    let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 65535).unwrap();
    let mut t = 1_700_000_000i64;
    let mut tcp = |w: &mut PcapWriter<Vec<u8>>, t: i64, from: usize, flags: &str, p: &[u8]| {
        let (src, dst, sp, dp) = if from == 0 {
            (c, s, port, 8080)
        } else {
            (s, c, 8080, port)
        };
        let mut b = PacketBuilder::ipv4(src, dst, 64).tcp(sp, dp, seq[from], 65535);
        if flags.contains('S') {
            b = b.syn();
        }
        if flags.contains('F') {
            b = b.fin();
        }
        if !(flags.contains('S') && from == 0) {
            b = b.ack(seq[1 - from]);
        }
        let mut out = Vec::new();
        b.write(&mut out, p).unwrap();
        w.packet(Timestamp::from_parts(t, 0), &out, out.len() as u32)
            .unwrap();
        let adv = p.len() as u32 + u32::from(flags.contains('S') || flags.contains('F'));
        seq[from] = seq[from].wrapping_add(adv);
    };
    tcp(&mut w, t, 0, "S", b"");
    tcp(&mut w, t, 1, "S", b"");
    tcp(&mut w, t, 0, "", b"");
    tcp(
        &mut w,
        t,
        0,
        "",
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    tcp(
        &mut w,
        t,
        1,
        "",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
    );
    t += 700;
    let udp = {
        let b = PacketBuilder::ipv4([10, 0, 0, 9], [10, 0, 0, 10], 64).udp(53, 53);
        let mut out = Vec::new();
        b.write(&mut out, b"dns?").unwrap();
        out
    };
    w.packet(Timestamp::from_parts(t, 0), &udp, udp.len() as u32)
        .unwrap();
    // Server close 1000 "idle"; the client's echo, masked with the zero key.
    tcp(&mut w, t, 1, "", b"\x88\x06\x03\xe8idle");
    tcp(&mut w, t, 0, "", b"\x88\x86\0\0\0\0\x03\xe8idle");
    tcp(&mut w, t, 1, "F", b"");
    tcp(&mut w, t, 0, "F", b"");
    w.into_inner()
}

/// Found by `mutants_100k`'s sharded comparison (237 of 100 000 mutants, e.g. a reported
/// close frame, whole connections, `tcp_end`, `first_packet`, `evicted_flows` differing).
/// In a sharded run, shards other than 0 call `maybe_sweep` on every packet, shard 0 (and
/// a single analyzer) only after a TCP packet: a non-TCP packet that moves the clock past
/// the idle timeout makes the other shards sweep before the flow's next packet is seen, so
/// a quiet connection of those shards is evicted and split in two, while one thread keeps
/// it whole. With sweeps after TCP packets only in every shard, all 237 mutants agree.
#[test]
fn sharded_report_equals_one_thread_after_idle_gap() {
    let dir = tempfile::tempdir().unwrap();
    for port in 40_000..40_006u16 {
        let path = dir.path().join(format!("idle-{port}.pcap"));
        std::fs::write(&path, idle_then_udp_then_close(port)).unwrap();
        let one = wsclose::analyze_files(std::slice::from_ref(&path), Options::default()).unwrap();
        assert_eq!(one.connections.len(), 1, "port {port}");
        assert_eq!(one.connections[0].status.code, Some(1000), "port {port}");
        let two = wsclose::analyze_files(std::slice::from_ref(&path), sharded()).unwrap();
        let statuses = |r: &Report| -> Vec<Option<u16>> {
            r.connections.iter().map(|c| c.status.code).collect()
        };
        assert_eq!(
            statuses(&two),
            statuses(&one),
            "client port {port}: statuses of the connections, two threads vs one"
        );
        let (a, b) = (
            wsclose::render::json::render(&one),
            wsclose::render::json::render(&two),
        );
        let diff = a.lines().zip(b.lines()).find(|(x, y)| x != y);
        assert!(
            diff.is_none(),
            "client port {port}: one thread / two: {diff:?}"
        );
    }
}
