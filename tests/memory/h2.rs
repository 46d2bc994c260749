//! WebSockets over HTTP/2 (RFC 8441) under the memory budget: h2c connections of thousands
//! of streams built here (the extended CONNECTs in literal header blocks, some agreeing to
//! permessage-deflate with a compressed message each way), left open. Each stream is
//! charged what it holds, connections evicted wait for their reports within a bound, and
//! what a connection carried after its eviction is counted and said (issue 84 items 1, 3
//! and 4).

use super::{
    client, count, one_at_a_time, program_excess, run_measured, run_measured_as, under, Pcap,
    C_ISN, MIB, SERVER, S_ISN,
};
use std::io::Write;
use std::process::Command;
/// An HTTP/2 frame (RFC 9113 §4.1).
fn h2_frame(out: &mut Vec<u8>, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(&[kind, flags]);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
}

/// A header block of literal fields without indexing, no Huffman coding (RFC 7541 §6.2.2).
fn literal_block(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut v = Vec::new();
    for (name, value) in fields {
        v.push(0);
        v.push(name.len() as u8);
        v.extend_from_slice(name.as_bytes());
        v.push(value.len() as u8);
        v.extend_from_slice(value.as_bytes());
    }
    v
}

/// A text message of 40 000 bytes (past the 32 KiB window, so each side's inflater keeps a
/// whole window of history), compressed by permessage-deflate (RFC 7692 §7.2.1: raw
/// DEFLATE, a sync flush, its 4-byte tail taken off), in one frame with RSV1: from the
/// server (unmasked) or the client (masked with a key of zeros).
fn deflated_message(masked: bool) -> Vec<u8> {
    let text: Vec<u8> = (0..40_000u32)
        .flat_map(|i| format!("{} ", i % 1000).into_bytes())
        .take(40_000)
        .collect();
    let mut z = flate2::Compress::new(flate2::Compression::default(), false);
    let mut out = Vec::with_capacity(64 << 10);
    z.compress_vec(&text, &mut out, flate2::FlushCompress::Sync)
        .unwrap();
    assert!(out.ends_with(&[0, 0, 0xff, 0xff]) && out.len() < 65_536);
    out.truncate(out.len() - 4);
    let mut f = vec![0xc1, 126 | if masked { 0x80 } else { 0 }];
    f.extend_from_slice(&(out.len() as u16).to_be_bytes());
    if masked {
        f.extend_from_slice(&[0; 4]);
    }
    f.extend_from_slice(&out);
    f
}

/// One h2c connection (prior knowledge) to port 8080 as the generator writes it: its TCP
/// handshake and each side's next sequence number.
struct H2c {
    client: ([u8; 4], u16),
    seq: [u32; 2],
}

impl H2c {
    const SERVER: ([u8; 4], u16) = (SERVER, 8080);

    /// Connection `i`: the TCP handshake, the preface and both sides' SETTINGS (the server
    /// enabling the extended CONNECT, RFC 8441 §3) and their ACKs.
    fn open<W: Write>(w: &mut Pcap<W>, i: usize) -> std::io::Result<H2c> {
        let c = client(i);
        let s = H2c::SERVER;
        w.tcp(c, s, C_ISN, None, true, &[])?;
        w.tcp(s, c, S_ISN, Some(C_ISN + 1), true, &[])?;
        let mut h = H2c {
            client: c,
            seq: [C_ISN + 1, S_ISN + 1],
        };
        let mut hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        h2_frame(&mut hello, 0x4, 0, 0, &[]);
        h.send(w, true, &hello)?;
        let mut settings = Vec::new();
        h2_frame(&mut settings, 0x4, 0, 0, &[0, 8, 0, 0, 0, 1]);
        h2_frame(&mut settings, 0x4, 1, 0, &[]);
        h.send(w, false, &settings)?;
        let mut ack = Vec::new();
        h2_frame(&mut ack, 0x4, 1, 0, &[]);
        h.send(w, true, &ack)?;
        Ok(h)
    }

    /// `bytes` from the client or the server, in segments of at most 60 000 bytes.
    fn send<W: Write>(
        &mut self,
        w: &mut Pcap<W>,
        from_client: bool,
        bytes: &[u8],
    ) -> std::io::Result<()> {
        let (me, other) = if from_client { (0, 1) } else { (1, 0) };
        let (from, to) = if from_client {
            (self.client, H2c::SERVER)
        } else {
            (H2c::SERVER, self.client)
        };
        for seg in bytes.chunks(60_000) {
            w.tcp(from, to, self.seq[me], Some(self.seq[other]), false, seg)?;
            self.seq[me] = self.seq[me].wrapping_add(seg.len() as u32);
        }
        Ok(())
    }

    /// WebSocket streams `ids` opened by extended CONNECTs (RFC 8441 §4) and accepted
    /// (`:status 200`), agreeing to permessage-deflate when `deflate` (context kept); with
    /// `deflate`, one compressed message each way on each. Left open.
    fn streams<W: Write>(
        &mut self,
        w: &mut Pcap<W>,
        ids: std::ops::Range<u32>,
        deflate: bool,
    ) -> std::io::Result<()> {
        let (mut connects, mut answers) = (Vec::new(), Vec::new());
        let (mut client_data, mut server_data) = (Vec::new(), Vec::new());
        let messages = deflate.then(|| (deflated_message(true), deflated_message(false)));
        for n in ids {
            let id = 2 * n + 1;
            let path = format!("/ws/{id}");
            let mut head = vec![
                (":method", "CONNECT"),
                (":protocol", "websocket"),
                (":scheme", "http"),
                (":path", path.as_str()),
                (":authority", "example.org"),
                ("sec-websocket-version", "13"),
            ];
            let mut answer = vec![(":status", "200")];
            if deflate {
                head.push(("sec-websocket-extensions", "permessage-deflate"));
                answer.push(("sec-websocket-extensions", "permessage-deflate"));
                if let Some((to_server, to_client)) = &messages {
                    h2_frame(&mut client_data, 0x0, 0, id, to_server);
                    h2_frame(&mut server_data, 0x0, 0, id, to_client);
                }
            }
            h2_frame(&mut connects, 0x1, 0x4, id, &literal_block(&head));
            h2_frame(&mut answers, 0x1, 0x4, id, &literal_block(&answer));
        }
        self.send(w, true, &connects)?;
        self.send(w, false, &answers)?;
        self.send(w, true, &client_data)?;
        self.send(w, false, &server_data)
    }
}

/// `conns` h2c connections, each carrying `streams` WebSockets (RFC 8441) opened 100 at a
/// time, the connections taking turns; with `deflate`, each stream agrees to
/// permessage-deflate and carries a compressed message each way. All left open.
fn h2_streams<W: Write>(out: W, conns: usize, streams: u32, deflate: bool) -> std::io::Result<W> {
    let mut w = Pcap::new(out)?;
    let mut hs = Vec::with_capacity(conns);
    for i in 0..conns {
        hs.push(H2c::open(&mut w, i)?);
    }
    for from in (0..streams).step_by(100) {
        for h in &mut hs {
            h.streams(&mut w, from..(from + 100).min(streams), deflate)?;
        }
    }
    Ok(w.out)
}

/// Only the counts of a report (a large report read whole stays in this process's memory).
#[derive(serde::Deserialize)]
struct Counts {
    seen: serde_json::Value,
}

/// Issue 84 item 1: one h2c connection of 2 000 RFC 8441 streams that agreed to
/// permessage-deflate (context kept), a compressed message of 40 000 bytes each way on
/// each, left open, peaked at 144 MB under `--max-memory 32M` with nothing evicted: a
/// stream was charged a flat 4 KiB while each of its inflaters kept a 32 KiB window. Each
/// stream is now charged what its decoders may keep, as an HTTP/1.1 WebSocket is: the
/// connection is evicted and the peak stays under the budget.
#[test]
fn compressed_h2_streams_are_charged_what_their_inflaters_keep() {
    let _alone = one_at_a_time();
    let excess = program_excess();
    let (report, err, peak) = run_measured_as::<Counts>(
        &["--max-memory", "32M"],
        Some(Box::new(|stdin| {
            let w = h2_streams(std::io::BufWriter::new(stdin), 1, 2_000, true)?;
            w.into_inner().map(drop).map_err(|e| e.into_error())
        })),
    );
    eprintln!("peak {} KiB, seen {}", peak >> 10, report.seen);
    assert!(
        peak <= under(32 * MIB) + excess,
        "peak {} KiB, the binary's excess over its reserve {} KiB",
        peak >> 10,
        excess >> 10
    );
    assert!(
        report.seen["evicted_max_memory"].as_u64() >= Some(1),
        "{}",
        report.seen
    );
    assert!(err.contains("--max-memory (32 MiB)"), "{err}");
}

/// Issue 84 item 4: 30 h2c connections of 2 000 WebSocket streams each, left open, peaked
/// at 103 MB under `--max-memory 64M` and 185 MB under 128M: each connection the budget
/// evicted waited for its reports (up to 16 of them, megabytes each) uncharged. Those
/// waiting are reported once they hold a MiB together: the peak stays under the budget,
/// with one thread or two.
#[test]
#[ignore = "long: run by .ci/run"]
fn many_h2_connections_of_many_streams_stay_under_the_budget() {
    let _alone = one_at_a_time();
    let excess = program_excess();
    let dir = tempfile::tempdir().unwrap();
    let p = super::capture(dir.path(), "h2-streams.pcap", |f| {
        h2_streams(std::io::BufWriter::new(f), 30, 2_000, false)?.flush()
    });
    let p = p.to_str().unwrap();
    for budget in [64, 128] {
        for threads in ["1", "2"] {
            let max = format!("{budget}M");
            let (report, _, peak) =
                run_measured_as::<Counts>(&["--threads", threads, "--max-memory", &max, p], None);
            eprintln!(
                "{max}, {threads} threads: peak {} KiB, seen {}",
                peak >> 10,
                report.seen
            );
            assert!(
                peak <= under(budget * MIB) + excess,
                "{max}, {threads} threads: peak {} KiB, the binary's excess {} KiB",
                peak >> 10,
                excess >> 10
            );
            assert!(report.seen["evicted_max_memory"].as_u64() >= Some(1));
        }
    }
}

/// Issue 84 item 3: one h2c connection of 20 000 WebSocket streams under `--max-memory 32M`
/// listed 2 684 of them and the 17 316 its client opened after its eviction appeared
/// nowhere (its later packets made a connection that could not be read as HTTP/2). They are
/// counted now: `seen.unread_after_eviction` (packets, bytes, the streams opened: exact
/// here, the client's frames followed in order), and a warning of the input on standard
/// error and in the JSON and Markdown reports. Listed and counted make the 20 000.
#[test]
fn streams_after_an_eviction_are_counted_and_said() {
    let _alone = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let p = super::capture(dir.path(), "h2-20000.pcap", |f| {
        h2_streams(std::io::BufWriter::new(f), 1, 20_000, false)?.flush()
    });
    let p = p.to_str().unwrap();
    let (report, err, _) = run_measured(&["--max-memory", "32M", p], None);
    let listed = report["connections"].as_array().unwrap().len() as u64;
    let unread = &report["seen"]["unread_after_eviction"];
    assert_eq!(
        count(&report, "evicted_max_memory"),
        1,
        "{}",
        report["seen"]
    );
    assert_eq!(unread["connections"], 1, "{unread}");
    assert!(unread["packets"].as_u64() > Some(0), "{unread}");
    assert!(unread["bytes"].as_u64() > Some(0), "{unread}");
    assert_eq!(unread["streams_uncounted_bytes"], 0, "{unread}");
    let opened = unread["streams_opened_at_least"].as_u64().unwrap();
    assert!(listed < 20_000, "{listed}");
    assert_eq!(listed + opened, 20_000, "listed {listed}, {unread}");
    let said = format!("{opened} streams its client opened");
    assert!(err.contains(&said), "{err}");
    let warnings = report["inputs"][0]["warnings"].to_string();
    assert!(warnings.contains(&said), "{warnings}");
    let md = Command::new(env!("CARGO_BIN_EXE_wsclose"))
        .args([
            "analyze",
            "--format",
            "markdown",
            "-q",
            "--max-memory",
            "32M",
            p,
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&md.stdout).contains(&said));
}
