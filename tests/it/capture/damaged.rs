//! Damaged captures (issue 8), run through the `wsclose` binary as a user would: each test
//! takes a recorded fixture, splits it into records (classic pcap) or blocks (pcapng),
//! damages it, and checks the exit code, that the fixture's close codes are still reported
//! where the damage leaves them (and no other code appears), and that the warning names
//! the packet and/or byte offset of the damage.
//!
//! Covered here: zero-length records (caplen 0 with origlen 0 or > 0) in pcap and pcapng;
//! records out of time order (two swapped by 1 ms: no warning; two 2 s back; one an hour
//! back; the first an hour back); a
//! pcapng block with a bad length (< 12, not a multiple of 4, beyond the end of the file,
//! trailing length not the leading one, and at the very first packet: exit 1); a length
//! inside a well-framed pcapng block that runs past it, or a section header's byte-order
//! magic that its lengths contradict (the block skipped, the rest read); a caplen of
//! 0xFFFFFFFF in the middle of a classic pcap; mixed link types in one pcapng (Ethernet +
//! USER0, Ethernet + raw IP). Covered elsewhere: a file cut mid-record, bad magic, empty
//! file, cut header, cut gzip, snaplen (tests/it/cli/mod.rs); a huge caplen as the first record,
//! an unknown interface id (the unit tests in src/capture/file/).

use serde_json::Value;
use std::path::Path;
use std::process::Output;
use wsclose::__internals::capture::file::read;
use wsclose::vocab::{InputSummary, LinkType, Timestamp};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// A little-endian classic pcap as its 24-byte header and its records (16-byte record
/// header and captured bytes each).
fn pcap_records(data: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut recs = Vec::new();
    let mut at = 24;
    while at + 16 <= data.len() {
        let end = at + 16 + le32(data, at + 8) as usize;
        recs.push(data[at..end].to_vec());
        at = end;
    }
    assert_eq!(at, data.len());
    (data[..24].to_vec(), recs)
}

/// A little-endian pcapng as its blocks.
fn pcapng_blocks(data: &[u8]) -> Vec<Vec<u8>> {
    let mut blocks = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let end = at + le32(data, at + 4) as usize;
        blocks.push(data[at..end].to_vec());
        at = end;
    }
    blocks
}

/// A classic pcap record.
fn record(secs: u32, usecs: u32, data: &[u8], orig: u32) -> Vec<u8> {
    let mut r = Vec::new();
    for v in [secs, usecs, data.len() as u32, orig] {
        r.extend_from_slice(&v.to_le_bytes());
    }
    r.extend_from_slice(data);
    r
}

/// A pcapng block: type, total length, body padded to 32 bits, total length.
fn block(kind: u32, body: &[u8]) -> Vec<u8> {
    let mut body = body.to_vec();
    while !body.len().is_multiple_of(4) {
        body.push(0);
    }
    let len = (body.len() + 12) as u32;
    let mut b = kind.to_le_bytes().to_vec();
    b.extend_from_slice(&len.to_le_bytes());
    b.extend_from_slice(&body);
    b.extend_from_slice(&len.to_le_bytes());
    b
}

/// An Interface Description Block; `tsresol` 9 gives nanosecond timestamps (as the
/// fixture's own), `None` the default microseconds.
fn idb(link: u16, tsresol: Option<u8>) -> Vec<u8> {
    let mut body = link.to_le_bytes().to_vec();
    body.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    if let Some(r) = tsresol {
        body.extend_from_slice(&[9, 0, 1, 0, r, 0, 0, 0, 0, 0, 0, 0]);
    }
    block(1, &body)
}

/// An Enhanced Packet Block on interface `iface` at `ts` (in the interface's units).
fn epb(iface: u32, ts: u64, data: &[u8], orig: u32) -> Vec<u8> {
    let mut body = iface.to_le_bytes().to_vec();
    body.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
    body.extend_from_slice(&(ts as u32).to_le_bytes());
    body.extend_from_slice(&(data.len() as u32).to_le_bytes());
    body.extend_from_slice(&orig.to_le_bytes());
    body.extend_from_slice(data);
    block(6, &body)
}

/// A little-endian Section Header Block of unknown section length.
fn shb() -> Vec<u8> {
    let mut body = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    body.extend_from_slice(&1u16.to_le_bytes());
    body.extend_from_slice(&0u16.to_le_bytes());
    body.extend_from_slice(&(-1i64).to_le_bytes());
    block(0x0a0d_0d0a, &body)
}

/// Every packet the reader hands over: number, time, link type, bytes, original length.
type Seen = Vec<(u64, Timestamp, LinkType, Vec<u8>, u32)>;

fn read_all(name: &str, bytes: &[u8]) -> (InputSummary, Seen) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    let mut seen = Vec::new();
    let s = read(&p, &mut |pk| {
        seen.push((pk.number, pk.ts, pk.link, pk.data.to_vec(), pk.orig_len))
    })
    .unwrap();
    (s, seen)
}

#[test]
fn pcapng_two_interfaces_two_link_types_and_resolutions() {
    let mut b = shb();
    b.extend(idb(1, None)); // Ethernet, microseconds
    b.extend(idb(101, Some(9))); // raw IP, nanoseconds
    b.extend(epb(0, 1_500_000, b"eth", 3));
    b.extend(epb(1, 2_000_000_123, b"raw!", 40));
    let (s, seen) = read_all("two.pcapng", &b);
    assert_eq!(s.format, "pcapng");
    assert_eq!(s.link_types, vec![LinkType::ETHERNET, LinkType::RAW]);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].1, Timestamp::from_parts(1, 500_000_000));
    assert_eq!(seen[0].2, LinkType::ETHERNET);
    assert_eq!(seen[1].1, Timestamp::from_parts(2, 123));
    assert_eq!(
        (seen[1].2, seen[1].3.as_slice(), seen[1].4),
        (LinkType::RAW, &b"raw!"[..], 40)
    );
}

#[test]
fn pcapng_unknown_interface_is_a_warning_not_a_crash() {
    let mut b = shb();
    b.extend(idb(1, None));
    b.extend(epb(3, 0, b"x", 1));
    b.extend(epb(0, 0, b"y", 1));
    let (s, seen) = read_all("badif.pcapng", &b);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, 2);
    assert!(s.warnings[0].contains("interface 3"), "{:?}", s.warnings);
}

/// A copy of Enhanced Packet Block `epb` on interface `iface`, its packet data starting
/// `strip` bytes later (14 to drop an Ethernet header) or replaced by `data`.
fn epb_like(epb: &[u8], iface: u32, strip: usize, data: Option<&[u8]>) -> Vec<u8> {
    assert_eq!(le32(epb, 0), 6, "not an EPB");
    let caplen = le32(epb, 20) as usize;
    let orig = le32(epb, 24) as usize;
    let data = data.unwrap_or(&epb[28 + strip..28 + caplen]);
    let orig = if data.is_empty() { 0 } else { orig - strip };
    let mut body = iface.to_le_bytes().to_vec();
    body.extend_from_slice(&epb[12..20]);
    body.extend_from_slice(&(data.len() as u32).to_le_bytes());
    body.extend_from_slice(&(orig as u32).to_le_bytes());
    body.extend_from_slice(data);
    block(6, &body)
}

/// Runs `wsclose analyze --format json` on `bytes` written to a temporary file.
fn run(name: &str, bytes: &[u8]) -> (Output, Value) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    run_path(&p)
}

fn run_path(p: &Path) -> (Output, Value) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wsclose"))
        .args(["analyze", "--format", "json"])
        .arg(p)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, v)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn warnings(r: &Value) -> Vec<String> {
    r["inputs"][0]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect()
}

/// Every close frame of the report as (from, code, packet).
fn closes(r: &Value) -> Vec<(String, u64, u64)> {
    let mut out = Vec::new();
    for c in r["connections"].as_array().unwrap() {
        for f in c["close_frames"].as_array().unwrap() {
            out.push((
                f["from"].as_str().unwrap().to_string(),
                f["code"].as_u64().unwrap(),
                f["packet"].as_u64().unwrap(),
            ));
        }
    }
    out
}

fn close(from: &str, code: u64, packet: u64) -> (String, u64, u64) {
    (from.to_string(), code, packet)
}

/// The exit code is 0, the only connection has status `code`, and its close frames are
/// exactly `expected`.
fn assert_closes(out: &Output, r: &Value, code: u64, expected: &[(String, u64, u64)]) {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    assert_eq!(r["connections"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["connections"][0]["status"]["code"], code, "{r}");
    assert_eq!(closes(r), expected, "{r}");
}

/// The one warning of the input that contains `needle`; it is also on standard error.
fn warning_with(out: &Output, r: &Value, needle: &str) -> String {
    let ws = warnings(r);
    let hits: Vec<&String> = ws.iter().filter(|w| w.contains(needle)).collect();
    assert_eq!(hits.len(), 1, "{needle:?} in {ws:#?}");
    assert!(stderr(out).contains(hits[0].as_str()), "{}", stderr(out));
    hits[0].clone()
}

// node-close-1008.pcap (13 records): server 1008 "token expired" #9, client 1008 #10,
// FIN client #11, FIN server #12.
const PCAP: &str = "node-close-1008.pcap";
// node-close-1000.pcapng (SHB, IDB, 13 EPBs, ISB): server 1000 "done" #9, client 1000 #10,
// FIN server #11, FIN client #12. Block k (k >= 2) is packet k - 1.
const PCAPNG: &str = "node-close-1000.pcapng";

fn undamaged_pcap() -> Vec<(String, u64, u64)> {
    vec![close("server", 1008, 9), close("client", 1008, 10)]
}

fn undamaged_pcapng() -> Vec<(String, u64, u64)> {
    vec![close("server", 1000, 9), close("client", 1000, 10)]
}

#[test]
fn the_fixtures_undamaged_give_the_expected_closes_and_no_warning() {
    let (out, r) = run("clean.pcap", &fixture(PCAP));
    assert_closes(&out, &r, 1008, &undamaged_pcap());
    assert!(warnings(&r).is_empty(), "{r}");
    let (out, r) = run("clean.pcapng", &fixture(PCAPNG));
    assert_closes(&out, &r, 1000, &undamaged_pcapng());
    assert!(warnings(&r).is_empty(), "{r}");
}

#[test]
fn pcap_zero_length_records_are_skipped_and_named() {
    let (head, recs) = pcap_records(&fixture(PCAP));
    let secs = le32(&recs[4], 0);
    let usecs = le32(&recs[4], 4);
    for orig in [0u32, 60] {
        // A 0-byte record after packet 5: it becomes packet 6, everything after moves on one.
        let mut bytes = head.clone();
        for (i, r) in recs.iter().enumerate() {
            bytes.extend_from_slice(r);
            if i == 4 {
                bytes.extend(record(secs, usecs, b"", orig));
            }
        }
        let (out, r) = run("zero.pcap", &bytes);
        assert_closes(
            &out,
            &r,
            1008,
            &[close("server", 1008, 10), close("client", 1008, 11)],
        );
        assert_eq!(r["inputs"][0]["packets"], 14);
        assert_eq!(r["inputs"][0]["truncated"], false);
        assert_eq!(r["seen"]["malformed_packets"], 1);
        let w = warning_with(&out, &r, "cut or damaged IP/TCP headers");
        assert!(w.contains("the first: packet 6"), "{w}");
        let snap = warnings(&r)
            .into_iter()
            .filter(|w| w.contains("snap length"))
            .count();
        if orig == 0 {
            // Nothing was cut: the record was empty on the wire too.
            assert_eq!(snap, 0, "{r}");
        } else {
            let w = warning_with(&out, &r, "snap length");
            assert!(w.contains("1 packets") && w.contains("0 bytes"), "{w}");
        }
    }
}

#[test]
fn pcapng_zero_length_packet_is_skipped_and_named() {
    let blocks = pcapng_blocks(&fixture(PCAPNG));
    for orig in [0u32, 60] {
        let mut bytes = Vec::new();
        for (i, b) in blocks.iter().enumerate() {
            bytes.extend_from_slice(b);
            if i == 6 {
                // After packet 5: an EPB with no data, on the wire `orig` bytes.
                let mut e = epb_like(b, 0, 0, Some(b""));
                e[24..28].copy_from_slice(&orig.to_le_bytes());
                bytes.extend(e);
            }
        }
        let (out, r) = run("zero.pcapng", &bytes);
        assert_closes(
            &out,
            &r,
            1000,
            &[close("server", 1000, 10), close("client", 1000, 11)],
        );
        assert_eq!(r["inputs"][0]["packets"], 14);
        let w = warning_with(&out, &r, "cut or damaged IP/TCP headers");
        assert!(w.contains("the first: packet 6"), "{w}");
        if orig > 0 {
            warning_with(&out, &r, "snap length");
        }
    }
}

/// The fixture's records with the timestamp (first 8 bytes) of record `i` replaced.
fn with_time(recs: &[Vec<u8>], i: usize, secs: u32, usecs: u32) -> Vec<Vec<u8>> {
    let mut recs = recs.to_vec();
    recs[i][0..4].copy_from_slice(&secs.to_le_bytes());
    recs[i][4..8].copy_from_slice(&usecs.to_le_bytes());
    recs
}

fn time_of(rec: &[u8]) -> (u32, u32) {
    (le32(rec, 0), le32(rec, 4))
}

#[test]
fn swapped_timestamps_keep_the_closes_and_say_nothing() {
    let (head, recs) = pcap_records(&fixture(PCAP));
    // The two close frames (packets 9 and 10, 1.078 ms apart) with their times swapped: a
    // step back this small is common in real captures (several CPUs or interfaces) and is
    // not worth a warning; the closes are still reported and nothing is evicted.
    let (s9, u9) = time_of(&recs[8]);
    let (s10, u10) = time_of(&recs[9]);
    let recs = with_time(&with_time(&recs, 8, s10, u10), 9, s9, u9);
    let bytes = [head, recs.concat()].concat();
    let (out, r) = run("swapped.pcap", &bytes);
    assert_closes(&out, &r, 1008, &undamaged_pcap());
    // The reply now carries a time before the close it answers: no delay is claimed
    // (the undamaged capture has one).
    let delay =
        |r: &serde_json::Value| r["connections"][0]["close_handshake"]["reply_after_s"].clone();
    let (_, clean) = run("clean.pcap", &fixture(PCAP));
    assert!(delay(&clean).as_f64().is_some_and(|d| d > 0.0), "{clean}");
    assert!(delay(&r).is_null(), "{r}");
    assert_eq!(r["seen"]["evicted_flows"], 0);
    assert_eq!(r["inputs"][0]["truncated"], false);
    assert!(warnings(&r).is_empty(), "{r}");
}

#[test]
fn two_records_seconds_back_give_one_warning_naming_the_first() {
    let (head, recs) = pcap_records(&fixture(PCAP));
    // Packets 5 and 9 each 2 s earlier than the packet before them: one warning.
    let (s5, u5) = time_of(&recs[4]);
    let (s9, u9) = time_of(&recs[8]);
    let recs = with_time(&with_time(&recs, 4, s5 - 2, u5), 8, s9 - 2, u9);
    let bytes = [head, recs.concat()].concat();
    let (out, r) = run("back2.pcap", &bytes);
    assert_closes(&out, &r, 1008, &undamaged_pcap());
    assert_eq!(r["seen"]["evicted_flows"], 0);
    assert_eq!(warnings(&r).len(), 1, "{r}");
    let w = warning_with(&out, &r, "capture times go backwards");
    assert!(w.contains("packet 5 is 1.99"), "{w}");
    assert!(w.contains("than packet 4 (1 more packets"), "{w}");
}

#[test]
fn records_milliseconds_back_say_the_file_is_out_of_order() {
    // Packet 9 50 ms earlier than packet 8, as when dumpcap writes two interfaces' packets
    // in bursts: one warning, which names reordercap; 5 ms back says nothing.
    let (head, recs) = pcap_records(&fixture(PCAP));
    let (s8, u8) = time_of(&recs[7]);
    let back = |ms: u32| {
        let (s, u) = if u8 >= ms * 1000 {
            (s8, u8 - ms * 1000)
        } else {
            (s8 - 1, u8 + 1_000_000 - ms * 1000)
        };
        [head.clone(), with_time(&recs, 8, s, u).concat()].concat()
    };
    let (out, r) = run("back50ms.pcap", &back(50));
    assert_closes(&out, &r, 1008, &undamaged_pcap());
    assert_eq!(warnings(&r).len(), 1, "{r}");
    let w = warning_with(&out, &r, "capture times go backwards");
    assert!(w.contains("packet 9 is 0.05"), "{w}");
    assert!(w.contains("reordercap"), "{w}");
    let (_, r) = run("back5ms.pcap", &back(5));
    assert!(warnings(&r).is_empty(), "{r}");
}

#[test]
fn a_record_an_hour_back_evicts_nothing_and_is_named_once() {
    let (head, recs) = pcap_records(&fixture(PCAP));
    for (i, packet) in [(8usize, 9u64), (0, 1)] {
        // Packet 9 (the server's close) or packet 1 (the SYN) an hour early.
        let (s, u) = time_of(&recs[i]);
        let damaged = with_time(&recs, i, s - 3600, u);
        let bytes = [head.clone(), damaged.concat()].concat();
        let (out, r) = run("hour.pcap", &bytes);
        assert_closes(&out, &r, 1008, &undamaged_pcap());
        assert_eq!(r["seen"]["evicted_flows"], 0, "{r}");
        let c = &r["connections"][0];
        assert_eq!(c["first_packet"], 1);
        assert_eq!(c["tcp_ends"].as_array().unwrap().len(), 2, "{c}");
        if packet == 9 {
            assert_eq!(warnings(&r).len(), 1, "{r}");
            let w = warning_with(&out, &r, "capture times go backwards");
            assert!(w.contains("packet 9 is 3599.99"), "{w}");
            assert!(w.contains("than packet 8"), "{w}");
        } else {
            // Packet 1 early: nothing goes back in file order (packet 2 is later), so no
            // warning; the clock steps an hour ahead at packet 2 and evicts nothing.
            assert!(warnings(&r).is_empty(), "{r}");
        }
    }
}

/// Block `b` with its leading total length set to `lead` and its trailing one to `trail`.
fn with_lengths(b: &[u8], lead: u32, trail: u32) -> Vec<u8> {
    let mut b = b.to_vec();
    b[4..8].copy_from_slice(&lead.to_le_bytes());
    let n = b.len();
    b[n - 4..].copy_from_slice(&trail.to_le_bytes());
    b
}

#[test]
fn pcapng_block_with_a_bad_length_stops_there_and_says_which_field() {
    let blocks = pcapng_blocks(&fixture(PCAPNG));
    // Block 12 is packet 11 (the client's FIN), after both close frames.
    let k = 12;
    let at: usize = blocks[..k].iter().map(Vec::len).sum();
    let len = blocks[k].len() as u32;
    let rest: u32 = blocks[k..].iter().map(|b| b.len() as u32).sum();
    let cases: [(&str, Vec<u8>, String); 5] = [
        (
            "small",
            with_lengths(&blocks[k], 8, 8),
            "its block total length is 8, less than the 12 bytes".into(),
        ),
        (
            "zero",
            with_lengths(&blocks[k], 0, 0),
            "its block total length is 0".into(),
        ),
        (
            "odd",
            with_lengths(&blocks[k], len - 2, len - 2),
            format!("its block total length {} is not a multiple of 4", len - 2),
        ),
        (
            "beyond",
            with_lengths(&blocks[k], rest + 64, rest + 64),
            format!(
                "declares a block total length of {} bytes but only {rest} of them are in the file",
                rest + 64
            ),
        ),
        (
            "trailer",
            with_lengths(&blocks[k], len, len + 4),
            format!(
                "its trailing block total length {} differs from the leading one, {len}",
                len + 4
            ),
        ),
    ];
    for (name, damaged, why) in cases {
        let mut bytes = blocks[..k].concat();
        bytes.extend(damaged);
        bytes.extend(blocks[k + 1..].concat());
        let (out, r) = run(&format!("{name}.pcapng"), &bytes);
        assert_closes(&out, &r, 1000, &undamaged_pcapng());
        assert_eq!(r["inputs"][0]["packets"], 10, "{name}");
        assert_eq!(r["inputs"][0]["truncated"], true, "{name}");
        assert_eq!(warnings(&r).len(), 1, "{name}: {r}");
        let w = warning_with(&out, &r, &format!("after packet 10 (at byte {at})"));
        assert!(w.contains(&why), "{name}: {w}");
        assert!(!w.contains("Verify"), "{name}: {w}");
    }
}

/// `block` (little-endian) with the 32-bit word at `at` set to `v`.
fn with_word(block: &[u8], at: usize, v: u32) -> Vec<u8> {
    let mut b = block.to_vec();
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    b
}

/// A block whose framing holds (both total lengths agree) but that a length inside, or its
/// byte-order magic, contradicts, is skipped with a warning that says what is wrong with it,
/// and every block after it is read: an Enhanced Packet Block whose captured length is more
/// than its block holds (its packet keeps its number, as Wireshark numbers every packet
/// block, so the packets after keep theirs), a Decryption Secrets Block whose secrets length
/// is, a Section Header Block whose byte-order magic says big-endian while its lengths are
/// little-endian (the section it starts is read, little-endian, with its own interface).
/// Also with megabytes after the damage (the reader then meets the block with more input
/// to come, where it once said "more than 2 MiB"), and read by two threads sharing the
/// file: the same packets and warnings. tshark 4.0 stops at each of these blocks
/// ("appears to be damaged or corrupt", "cut short in the middle of a packet").
#[test]
fn pcapng_lying_length_inside_a_framed_block_skips_that_block_only() {
    let blocks = pcapng_blocks(&fixture(PCAPNG));
    let at = |k: usize| -> usize { blocks[..k].iter().map(Vec::len).sum() };
    // Block 4 is packet 3 (the client's ACK of the handshake's SYN-ACK).
    let k = 4;
    let holds = blocks[k].len() - 32;
    // A TLS secrets block that says 1000 bytes of secrets and holds 20.
    let mut dsb = 0x544c_534bu32.to_le_bytes().to_vec();
    dsb.extend_from_slice(&1000u32.to_le_bytes());
    dsb.extend_from_slice(b"CLIENT_RANDOM 00 11\n");
    let dsb = block(0x0A, &dsb);
    // The fixture's own section header with its byte-order magic byte-swapped.
    let swapped = {
        let mut b = blocks[0].clone();
        b[8..12].reverse();
        b
    };
    // Megabytes of blocks of a local-use type, which carry no packet.
    let padding: Vec<u8> = (0..24)
        .flat_map(|_| block(0x8000_0001, &vec![0x55; 128 << 10]))
        .collect();
    let cases: Vec<(&str, Vec<u8>, String, String)> = vec![
        (
            "caplen",
            [&blocks[..k], &[with_word(&blocks[k], 20, 1000)][..], &blocks[k + 1..]].concat().concat(),
            format!("packet 3 (an Enhanced Packet Block at byte {})", at(k)),
            format!("its captured length of 1000 bytes is more than the {holds} bytes its block holds; the packet was skipped, and reading went on after it"),
        ),
        (
            "caplen-then-megabytes",
            [&blocks[..k], &[with_word(&blocks[k], 20, 1000), padding.clone()][..], &blocks[k + 1..]].concat().concat(),
            format!("packet 3 (an Enhanced Packet Block at byte {})", at(k)),
            format!("its captured length of 1000 bytes is more than the {holds} bytes its block holds"),
        ),
        (
            "secrets",
            [&blocks[..k + 1], &[dsb][..], &blocks[k + 1..]].concat().concat(),
            format!("the Decryption Secrets Block after packet 3 (at byte {})", at(k + 1)),
            "its secrets length of 1000 bytes is more than the 20 bytes its block holds; the block was skipped, and reading went on after it".into(),
        ),
        (
            "magic",
            [&blocks[..6], &[swapped, blocks[1].clone()][..], &blocks[6..]].concat().concat(),
            format!("the Section Header Block after packet 4 (at byte {})", at(6)),
            "its byte-order magic says big-endian but its block total lengths are little-endian; the block was skipped, the section it starts read as little-endian, and reading went on after it".into(),
        ),
    ];
    let clean = read_all("clean.pcapng", &fixture(PCAPNG)).1;
    for (name, bytes, which, why) in cases {
        let (out, r) = run(&format!("{name}.pcapng"), &bytes);
        assert_closes(&out, &r, 1000, &undamaged_pcapng());
        assert_eq!(r["inputs"][0]["packets"], 13, "{name}");
        assert_eq!(r["inputs"][0]["truncated"], false, "{name}");
        assert_eq!(warnings(&r).len(), 1, "{name}: {r}");
        let w = warning_with(&out, &r, &which);
        assert!(w.contains(&why), "{name}: {w}");
        // Every other packet, with its number, time and bytes.
        let (s, seen) = read_all(&format!("{name}-read.pcapng"), &bytes);
        let want: Seen = clean
            .iter()
            .filter(|p| name.starts_with("secrets") || name.starts_with("magic") || p.0 != 3)
            .cloned()
            .collect();
        assert!(seen == want, "{name}: other packets");
        // Two threads sharing the file's chunks: the same packets and warnings.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(format!("{name}-shared.pcapng"));
        std::fs::write(&p, &bytes).unwrap();
        let opts = wsclose::Options {
            threads: 2,
            shard_min_bytes: 0,
            ..wsclose::Options::default()
        };
        let shared = wsclose::analyze_files(std::slice::from_ref(&p), opts).unwrap();
        assert_eq!(shared.inputs[0].warnings, s.warnings, "{name}");
        assert_eq!(shared.inputs[0].packets, 13, "{name}");
    }
}

#[test]
fn pcapng_bad_length_at_the_first_packet_exits_1_with_the_warning() {
    // Nothing useful is read: no WebSocket connection, exit 1, the warning still shown.
    let blocks = pcapng_blocks(&fixture(PCAPNG));
    let mut bytes = blocks[..2].concat();
    bytes.extend(with_lengths(&blocks[2], 6, 6));
    bytes.extend(blocks[3..].concat());
    let (out, r) = run("first.pcapng", &bytes);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(r["connections"].as_array().unwrap().is_empty());
    let w = warning_with(&out, &r, "the first block (at byte 264)");
    assert!(w.contains("block total length is 6"), "{w}");
}

#[test]
fn pcap_caplen_of_4_gb_mid_file_keeps_what_came_before() {
    let (head, mut recs) = pcap_records(&fixture(PCAP));
    // Record 11 (the client's FIN) claims 0xFFFFFFFF captured bytes.
    recs[10][8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    let at = 24 + recs[..10].iter().map(Vec::len).sum::<usize>();
    let left: usize = recs[10..].iter().map(Vec::len).sum();
    let bytes = [head, recs.concat()].concat();
    let (out, r) = run("huge.pcap", &bytes);
    assert_closes(&out, &r, 1008, &undamaged_pcap());
    assert_eq!(r["inputs"][0]["packets"], 10);
    assert_eq!(r["inputs"][0]["truncated"], true);
    assert_eq!(warnings(&r).len(), 1, "{r}");
    let w = warning_with(&out, &r, &format!("after packet 10 (at byte {at})"));
    assert!(
        w.contains(&format!(
            "declares 4294967295 captured bytes but only {} of them are in the file",
            left - 16
        )),
        "{w}"
    );
    // The same file gzip-compressed goes through the streaming reader: same facts.
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&bytes).unwrap();
    let (out, r) = run("huge.pcap.gz", &gz.finish().unwrap());
    assert_closes(&out, &r, 1008, &undamaged_pcap());
    assert_eq!(r["inputs"][0]["packets"], 10);
    let w = warning_with(&out, &r, &format!("after packet 10 (at byte {at})"));
    assert!(w.contains("declares 4294967295 captured bytes"), "{w}");
}

#[test]
fn mixed_link_types_report_the_supported_interface_and_name_the_other_once() {
    let blocks = pcapng_blocks(&fixture(PCAPNG));
    // A second interface of link type 147 (USER0) with copies of three packets on it,
    // interleaved with the real ones (after packets 4, 5 and 8).
    let mut bytes = blocks[..2].concat();
    bytes.extend(idb(147, Some(9)));
    for (i, b) in blocks.iter().enumerate().skip(2) {
        bytes.extend_from_slice(b);
        if [5, 6, 9].contains(&i) {
            bytes.extend(epb_like(b, 1, 0, None));
        }
    }
    let (out, r) = run("user0.pcapng", &bytes);
    // Packets after each copy move on: the closes (9, 10) are now 12 and 13.
    assert_closes(
        &out,
        &r,
        1000,
        &[close("server", 1000, 12), close("client", 1000, 13)],
    );
    assert_eq!(r["inputs"][0]["link_types"], serde_json::json!([1, 147]));
    assert_eq!(r["inputs"][0]["packets"], 16);
    assert_eq!(warnings(&r).len(), 1, "{r}");
    let w = warning_with(&out, &r, "were not decoded");
    assert!(w.contains("3 packets with link type USER"), "{w}");
    assert!(w.contains("(147)"), "{w}");
    // The first copy follows packet 4, so it is packet 5.
    assert!(w.contains("not decoded (the first: packet 5)"), "{w}");
    assert_eq!(
        stderr(&out).matches("were not decoded").count(),
        1,
        "{}",
        stderr(&out)
    );

    // Ethernet and raw IP in one file, one connection across both: the server's packets
    // (those from port 9016) on a raw-IP interface. Both closes are still reported.
    let mut bytes = blocks[..2].concat();
    bytes.extend(idb(101, Some(9)));
    for b in &blocks[2..] {
        // Ethernet (14) + IPv4 (20) header: the TCP source port at 34.
        let is_epb = le32(b, 0) == 6;
        if is_epb && u16::from_be_bytes([b[28 + 34], b[28 + 35]]) == 9016 {
            bytes.extend(epb_like(b, 1, 14, None));
        } else {
            bytes.extend_from_slice(b);
        }
    }
    let (out, r) = run("eth-raw.pcapng", &bytes);
    assert_closes(&out, &r, 1000, &undamaged_pcapng());
    assert_eq!(r["inputs"][0]["link_types"], serde_json::json!([1, 101]));
    assert!(warnings(&r).is_empty(), "{r}");
    assert_eq!(r["connections"][0]["tcp_ends"].as_array().unwrap().len(), 2);
}

#[test]
fn pcap_cut_inside_its_first_record_says_so_plainly() {
    let (head, recs) = pcap_records(&fixture(PCAP));
    let bytes = [head, recs[0][..30].to_vec()].concat();
    let (out, r) = run("first-cut.pcap", &bytes);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let w = warning_with(&out, &r, "the first record (at byte 24)");
    let caplen = recs[0].len() - 16;
    assert!(
        w.contains(&format!(
            "declares {caplen} captured bytes but only 14 of them are in the file"
        )) && w.ends_with("no packet came before it"),
        "{w}"
    );
}

/// A zstd stream compressed with a long window (`zstd --long=28` to `--long=31`, usual for
/// large pcaps) is not damaged: the error says so, with the window it asks for and what to
/// run. The frame header alone decides it (RFC 8878 §3.1.1.1.2: Window_Descriptor, exponent
/// = log2 - 10), so a header and a few bytes after it are the whole input.
#[test]
fn a_long_zstd_window_is_no_damage_and_the_error_says_what_to_run() {
    for (log, mib) in [(28u8, 256), (31, 2048)] {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.pcap.zst");
        let mut bytes = vec![0x28, 0xB5, 0x2F, 0xFD, 0x00, (log - 10) << 3];
        bytes.extend_from_slice(&[0u8; 16]);
        std::fs::write(&p, &bytes).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_wsclose"))
            .args(["analyze", "--format", "json"])
            .arg(&p)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert!(!err.contains("damaged:"), "{err}");
        assert!(
            err.contains(&format!(
                "zstd window of {mib} MiB (compressed with zstd --long={log})"
            )) && err.contains("nothing is damaged")
                && err.contains(&format!(
                    "`zstd -d --long=31 {} -o {}`",
                    p.display(),
                    dir.path().join("big.pcap").display()
                )),
            "{err}"
        );
    }
}
