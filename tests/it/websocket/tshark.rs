//! Where tshark decodes a close frame, wsclose must agree: same packet, same sender, same
//! code. Runs over every fixture and, when present, the shared public corpus. Skips (and
//! says so) when tshark is not installed; `.ci/run` installs it.

use crate::common::skip;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command as Proc;

fn tshark_available() -> bool {
    Proc::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// (packet, sender port, code) of a close frame.
type Close = (u64, u16, Option<u64>);

/// A server port wsclose found a WebSocket on, and whether that connection was TLS.
type Port = (u16, bool);

/// wsclose's JSON report of `path`, decrypted with `keylog`.
fn report(path: &Path, keylog: Option<&Path>) -> Value {
    let mut cmd = Command::cargo_bin("wsclose").unwrap();
    cmd.args(["analyze", "--format", "json"]).arg(path);
    if let Some(k) = keylog {
        cmd.arg("--keylog").arg(k);
    }
    let out = cmd.env_remove("SSLKEYLOGFILE").output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The port of a report's "address:port".
fn port(s: &Value) -> u16 {
    s.as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Connection `c`'s close frames, each as (packet, sender's port, code), added to
/// `frames`; returns its (client, server) ports.
fn close_frames(c: &Value, frames: &mut Vec<Close>) -> (u16, u16) {
    let (cp, sp) = (port(&c["client"]), port(&c["server"]));
    for f in c["close_frames"].as_array().unwrap() {
        let from = if f["from"] == "client" { cp } else { sp };
        frames.push((f["packet"].as_u64().unwrap(), from, f["code"].as_u64()));
    }
    (cp, sp)
}

/// Every close frame as wsclose reports them, and the server ports it found; `keylog`
/// decrypts wss://.
fn ours(path: &Path, keylog: Option<&Path>) -> (Vec<Close>, Vec<Port>) {
    let r = report(path, keylog);
    let mut frames = Vec::new();
    let mut server_ports = Vec::new();
    // tshark 4.0 decodes no WebSocket frame inside HTTP/2 (RFC 8441): those are checked
    // against the HTTP/2 DATA tshark decrypts instead (`ours_h2`, `theirs_h2`).
    for c in r["connections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["transport"] != "h2")
    {
        let (_, sp) = close_frames(c, &mut frames);
        server_ports.push((sp, !c["tls"].is_null()));
    }
    frames.sort();
    (frames, server_ports)
}

/// The same, as tshark decodes them with the server ports forced to HTTP (inside TLS,
/// decrypted with `keylog`, for the ports wsclose found TLS on: a capture through a
/// TLS-terminating proxy has a plaintext back leg beside its TLS front leg).
fn theirs(path: &Path, ports: &[Port], keylog: Option<&Path>) -> Vec<Close> {
    let mut cmd = Proc::new("tshark");
    cmd.arg("-r").arg(path);
    for &(p, tls) in ports {
        if tls {
            cmd.args([
                "-d",
                &format!("tcp.port=={p},tls"),
                "-d",
                &format!("tls.port=={p},http"),
            ]);
        } else {
            cmd.args(["-d", &format!("tcp.port=={p},http")]);
        }
    }
    if let Some(k) = keylog {
        cmd.args(["-o", &format!("tls.keylog_file:{}", k.display())]);
    }
    cmd.args([
        "-Y",
        "websocket.opcode == 8",
        "-T",
        "fields",
        "-E",
        "occurrence=f",
        "-e",
        "frame.number",
        "-e",
        "tcp.srcport",
        "-e",
        "websocket.payload.close.status_code",
    ]);
    let out = cmd.output().unwrap();
    let mut v: Vec<_> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f.get(2).and_then(|c| c.parse().ok()),
            )
        })
        .collect();
    v.sort();
    v
}

fn captures(dir: &Path) -> Vec<PathBuf> {
    if !dir.is_dir() {
        skip::skipped(format_args!(
            "{} is absent (it lives beside the repository, not in it): its captures are not compared",
            dir.display()
        ));
    }
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.to_string_lossy();
            n.ends_with(".pcap") || n.ends_with(".pcapng") || n.ends_with(".pcap.gz")
        })
        .collect();
    v.sort();
    v
}

#[test]
#[ignore = "long: run by .ci/run"]
fn close_frames_agree_with_tshark() {
    if !tshark_available() {
        skip::skipped(format_args!(
            "skipping: tshark is not installed (apt-get install tshark)"
        ));
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = captures(&root.join("fixtures"));
    files.extend(captures(&root.join("../shared/corpus/public")));
    let mut compared = 0;
    for f in &files {
        let (ours, ports) = ours(f, None);
        if ports.is_empty() {
            continue;
        }
        let theirs = theirs(f, &ports, None);
        // tshark shows an oversized close frame's status too; where it decodes one, we agree.
        assert_eq!(ours, theirs, "{}", f.display());
        compared += ours.len();
    }
    assert!(compared >= 40, "only {compared} close frames compared");
}

/// wss:// (fixtures/tls): each capture decrypted with the key log its TLS library wrote,
/// by wsclose and by tshark; where tshark decodes a close frame, wsclose agrees.
#[test]
#[ignore = "long: run by .ci/run"]
fn tls_close_frames_agree_with_tshark_with_the_same_key_log() {
    if !tshark_available() {
        skip::skipped(format_args!(
            "skipping: tshark is not installed (apt-get install tshark)"
        ));
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut compared = 0;
    for f in captures(&root.join("fixtures/tls")) {
        let keylog = f.with_extension("keylog");
        if !keylog.exists() {
            continue; // the pcapng with its secrets inside: tests/it/stack/tls/ reads it
        }
        let (ours, ports) = ours(&f, Some(&keylog));
        assert!(!ports.is_empty(), "{}: no WebSocket decrypted", f.display());
        let theirs = theirs(&f, &ports, Some(&keylog));
        assert_eq!(ours, theirs, "{}", f.display());
        compared += ours.len();
    }
    assert!(compared >= 40, "only {compared} close frames compared");
}

/// A WebSocket over HTTP/2 (RFC 8441) as wsclose reports it: (client port, server port,
/// stream id).
type H2Stream = (u16, u16, u64);

/// Every close frame wsclose reports on an HTTP/2 stream, and those streams.
fn ours_h2(path: &Path, keylog: Option<&Path>) -> (Vec<Close>, Vec<H2Stream>) {
    let r = report(path, keylog);
    let mut frames = Vec::new();
    let mut streams = Vec::new();
    for c in r["connections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["transport"] == "h2")
    {
        let (cp, sp) = close_frames(c, &mut frames);
        streams.push((cp, sp, c["h2_stream"].as_u64().unwrap()));
    }
    frames.sort();
    (frames, streams)
}

/// The close frames inside the DATA frames tshark decodes on `streams` (decrypted with
/// `keylog`; cleartext HTTP/2 found on the server ports forced to HTTP). tshark 4.0 has no
/// WebSocket dissector for HTTP/2 streams, so the RFC 6455 frames are walked here, over
/// each stream's DATA bytes in each direction, independently of wsclose's decoder: a close
/// frame's packet is the one whose DATA frame completes it.
fn theirs_h2(path: &Path, streams: &[H2Stream], keylog: Option<&Path>) -> Vec<Close> {
    use std::collections::HashMap;
    let mut cmd = Proc::new("tshark");
    cmd.arg("-r").arg(path);
    match keylog {
        Some(k) => {
            cmd.args(["-o", &format!("tls.keylog_file:{}", k.display())]);
        }
        None => {
            for (_, sp, _) in streams {
                // HTTP, which hands over to HTTP/2 at its preface or at a 101 to h2c.
                cmd.args(["-d", &format!("tcp.port=={sp},http")]);
            }
        }
    }
    cmd.args([
        "-Y",
        "http2.type == 0",
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
    ]);
    for f in [
        "frame.number",
        "tcp.srcport",
        "tcp.dstport",
        "http2.type",
        "http2.streamid",
        "http2.data.data",
    ] {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "tshark on {}", path.display());
    // Each stream's bytes in one direction (client port, stream, sender port).
    let mut pending: HashMap<(u16, u64, u16), Vec<u8>> = HashMap::new();
    let mut closes = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let packet: u64 = f[0].parse().unwrap();
        let (src, dst): (u16, u16) = (f[1].parse().unwrap(), f[2].parse().unwrap());
        let types: Vec<&str> = f[3].split(',').collect();
        let ids: Vec<&str> = f[4].split(',').collect();
        assert_eq!(types.len(), ids.len(), "{line}");
        // One http2.data.data per DATA frame ("<MISSING>" when it is empty).
        let mut data = f.get(5).copied().unwrap_or_default().split(',');
        for (t, id) in types.iter().zip(&ids) {
            if *t != "0" {
                continue;
            }
            let bytes: Vec<u8> = match data.next() {
                Some(h) if !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()) => (0..h
                    .len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
                    .collect(),
                _ => Vec::new(),
            };
            let id: u64 = id.parse().unwrap();
            let Some(&(cp, _, _)) = streams
                .iter()
                .find(|(cp, sp, s)| *s == id && [(*cp, *sp), (*sp, *cp)].contains(&(src, dst)))
            else {
                continue; // not a WebSocket stream (the page, its reports)
            };
            let buf = pending.entry((cp, id, src)).or_default();
            buf.extend(bytes);
            // Every whole RFC 6455 frame at the front of the buffer.
            loop {
                if buf.len() < 2 {
                    break;
                }
                let masked = buf[1] & 0x80 != 0;
                let (len, mut at) = match buf[1] & 0x7f {
                    126 if buf.len() >= 4 => (u16::from_be_bytes([buf[2], buf[3]]) as usize, 4),
                    127 if buf.len() >= 10 => (
                        u64::from_be_bytes(buf[2..10].try_into().unwrap()) as usize,
                        10,
                    ),
                    126 | 127 => break,
                    n => (n as usize, 2),
                };
                let key = masked.then(|| buf.get(at..at + 4).map(|k| [k[0], k[1], k[2], k[3]]));
                if masked {
                    at += 4;
                }
                if buf.len() < at + len {
                    break;
                }
                if buf[0] & 0x0f == 8 {
                    let mut payload = buf[at..at + len].to_vec();
                    if let Some(Some(k)) = key {
                        for (i, b) in payload.iter_mut().enumerate() {
                            *b ^= k[i % 4];
                        }
                    }
                    let code = (payload.len() >= 2)
                        .then(|| u64::from(u16::from_be_bytes([payload[0], payload[1]])));
                    closes.push((packet, src, code));
                }
                buf.drain(..at + len);
            }
        }
    }
    closes.sort();
    closes
}

/// WebSockets over HTTP/2 (RFC 8441): every close frame wsclose reports on a stream is in
/// the DATA bytes tshark decrypts with the same key log (or decodes as cleartext h2), at
/// the same packet, from the same side, with the same code, and there are no others.
#[test]
#[ignore = "long: run by .ci/run"]
fn h2_close_frames_agree_with_the_data_tshark_decodes() {
    if !tshark_available() {
        skip::skipped(format_args!(
            "skipping: tshark is not installed (apt-get install tshark)"
        ));
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = captures(&root.join("fixtures"));
    files.extend(captures(&root.join("fixtures/h2")));
    files.extend(captures(&root.join("fixtures/tls")));
    files.extend(captures(&root.join("fixtures/proxy")));
    let mut compared = 0;
    let mut streams_seen = 0;
    for f in files {
        let keylog = f.with_extension("keylog");
        let keylog = keylog.exists().then_some(keylog);
        let (ours, streams) = ours_h2(&f, keylog.as_deref());
        if streams.is_empty() {
            continue;
        }
        let theirs = theirs_h2(&f, &streams, keylog.as_deref());
        assert_eq!(ours, theirs, "{}", f.display());
        compared += ours.len();
        streams_seen += streams.len();
    }
    assert!(
        compared >= 20 && streams_seen >= 15,
        "only {compared} close frames on {streams_seen} streams compared"
    );
}

/// `fixtures/node-close-1000.pcapng` with blocks between its packets that Wireshark numbers
/// as frames (Custom blocks, copiable or not; a Systemd Journal Export block) and blocks it
/// does not (Name Resolution, Decryption Secrets), its first packet rewritten as an
/// obsolete Packet Block (which Wireshark reads as a packet).
fn with_other_blocks() -> Vec<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let src = std::fs::read(root.join("fixtures/node-close-1000.pcapng")).unwrap();
    let le = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    let block = |kind: u32, body: &[u8]| {
        let mut body = body.to_vec();
        body.resize(body.len().next_multiple_of(4), 0);
        let len = (body.len() + 12) as u32;
        [
            &kind.to_le_bytes()[..],
            &len.to_le_bytes(),
            &body,
            &len.to_le_bytes(),
        ]
        .concat()
    };
    let mut blocks = Vec::new();
    let mut at = 0;
    while at < src.len() {
        let len = le(&src, at + 4) as usize;
        blocks.push(src[at..at + len].to_vec());
        at += len;
    }
    assert_eq!(le(&blocks[0], 0), 0x0A0D_0D0A, "little-endian, one section");
    let custom = block(
        0x0BAD,
        &[&32473u32.to_le_bytes()[..], b"custom; #1 -->"].concat(),
    );
    let not_copied = block(0x4000_0BAD, &[&32473u32.to_le_bytes()[..], b"x"].concat());
    let journal = block(9, b"__REALTIME_TIMESTAMP=1700000000000000\nMESSAGE=hi\n");
    let names = block(4, &[0, 0, 0, 0]);
    let secrets = block(
        10,
        &[
            &0x544c_534bu32.to_le_bytes()[..],
            &4u32.to_le_bytes(),
            b"abcd",
        ]
        .concat(),
    );
    let mut out = blocks[0].clone();
    out.extend(&blocks[1]);
    for (k, b) in blocks[2..].iter().enumerate() {
        match k {
            0 => {
                out.extend(&custom);
                // The first packet as an obsolete Packet Block: 16-bit interface and drops.
                assert_eq!(le(b, 0), 6);
                let (ts_high, ts_low, caplen) = (le(b, 12), le(b, 16), le(b, 20));
                let body = [
                    &[0u8, 0, 0, 0][..],
                    &ts_high.to_le_bytes(),
                    &ts_low.to_le_bytes(),
                    &b[20..28],
                    &b[28..28 + caplen as usize],
                ]
                .concat();
                out.extend(block(2, &body));
                continue;
            }
            2 => out.extend(&names),
            3 => out.extend(&journal),
            5 => out.extend(&not_copied),
            6 => out.extend(&secrets),
            8 => out.extend(&custom),
            _ => {}
        }
        out.extend(b);
    }
    out
}

/// Packet numbers are Wireshark's frame numbers in a pcapng with blocks that are not
/// packets: the close frames at the frame numbers tshark gives them, the input's packet
/// count its frame count, read by one thread or shared among two.
#[test]
fn frame_numbers_count_custom_blocks() {
    if !tshark_available() {
        skip::skipped(format_args!(
            "skipping: tshark is not installed (apt-get install tshark)"
        ));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blocks.pcapng");
    std::fs::write(&path, with_other_blocks()).unwrap();
    let (ours, ports) = ours(&path, None);
    let theirs = theirs(&path, &ports, None);
    assert_eq!(ours.len(), 2, "{ours:?}");
    assert_eq!(ours, theirs);
    let frames = Proc::new("tshark")
        .arg("-r")
        .arg(&path)
        .args(["-T", "fields", "-e", "frame.number"])
        .output()
        .unwrap();
    let frames = String::from_utf8_lossy(&frames.stdout).lines().count() as u64;
    let plain = captures(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures"))
        .into_iter()
        .find(|p| p.ends_with("node-close-1000.pcapng"))
        .unwrap();
    let report = |p: &Path, threads: usize| {
        let opts = wsclose::__internals::analyzer::Options {
            threads,
            shard_min_bytes: 0,
            ..Default::default()
        };
        wsclose::analyze_files(&[p.to_path_buf()], opts).unwrap()
    };
    // Four blocks numbered as frames, and the obsolete Packet Block read as its packet.
    assert_eq!(frames, report(&plain, 1).inputs[0].packets + 4);
    for threads in [1, 2] {
        let r = report(&path, threads);
        assert_eq!(r.inputs[0].packets, frames, "{threads} threads");
        let mut packets: Vec<u64> = r.connections[0]
            .close_frames
            .iter()
            .map(|f| f.packet)
            .collect();
        packets.sort();
        let want: Vec<u64> = theirs.iter().map(|c| c.0).collect();
        assert_eq!(packets, want, "{threads} threads");
        // The connection starts with the packet of the obsolete Packet Block, after the
        // Custom block.
        assert_eq!(r.connections[0].first_packet, 2, "{threads} threads");
    }
}

/// Each connection's `wireshark_filter` selects in tshark exactly its own packets: from its
/// first packet to its last, none of another connection's.
#[test]
fn wireshark_filters_select_each_connection() {
    if !tshark_available() {
        skip::skipped(format_args!(
            "skipping: tshark is not installed (apt-get install tshark)"
        ));
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for name in [
        "node-many.pcap.gz",
        "node-ipv6.pcap",
        "python-close-1001.pcap",
    ] {
        let path = root.join("fixtures").join(name);
        let out = Command::cargo_bin("wsclose")
            .unwrap()
            .args(["analyze", "--format", "json"])
            .arg(&path)
            .output()
            .unwrap();
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for c in r["connections"].as_array().unwrap() {
            let filter = c["wireshark_filter"].as_str().unwrap();
            let out = Proc::new("tshark")
                .arg("-r")
                .arg(&path)
                .args(["-Y", filter, "-T", "fields", "-e", "frame.number"])
                .output()
                .unwrap();
            assert!(out.status.success(), "{name}: {filter}");
            let frames: Vec<u64> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(|l| l.trim().parse().unwrap())
                .collect();
            assert_eq!(
                frames.first(),
                c["first_packet"].as_u64().as_ref(),
                "{name}: {filter}"
            );
            assert_eq!(
                frames.last(),
                c["last_packet"].as_u64().as_ref(),
                "{name}: {filter}"
            );
            for f in frames {
                assert!(seen.insert(f), "{name}: frame {f} selected twice");
            }
            checked += 1;
        }
    }
    assert!(checked >= 7, "{checked} connections");
}
