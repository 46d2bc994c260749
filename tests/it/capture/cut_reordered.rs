//! Captures as they really arrive (issue 32, items 2 and 3): a handshake cut by the snap
//! length, and ACKs captured before the data they acknowledge.
//!
//! The real capture `fixtures/python-close-4100-split.pcap` (websockets 17.4 server, the
//! raw-socket client writing its close 4100 in four pieces: packets 10, 12, 14, 16, each
//! acknowledged by a pure ACK of the server: 11, 13, 15, 17; the server's echo is 18) is cut
//! with `editcap -s 80` / `-s 96`, and reordered with `editcap -r` + `mergecap -a` (each ACK
//! moved before the piece it acknowledges, as a capture written out of order has them) in a
//! temporary directory. Those tests skip, saying so, when Wireshark's tools are missing
//! (`.ci/run` installs them). Synthetic cases built in code (tests/it/common) cover what the
//! real capture cannot show: a close whose code bytes were cut, a status line cut before
//! its code, a refused upgrade whose response was cut, a handshake segment lost.

use crate::common::skip;

use crate::common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use wsclose::__internals::analyzer::Options;
use wsclose::report::{ConnectionReport, Report};
use wsclose::vocab::{
    Kind, Problem,
    Role::{Client, Server},
    TcpEndName,
};

const REASON: &str = "client leaving: split over four segments";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/python-close-4100-split.pcap")
}

/// Whether editcap and mergecap run; if not, say the test is skipped.
fn tools() -> bool {
    let ok = ["editcap", "mergecap", "reordercap"].iter().all(|t| {
        Command::new(t)
            .arg("-h")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !ok {
        skip::skipped(format_args!(
            "skipping: Wireshark's editcap/mergecap/reordercap are not installed (apt-get install wireshark-common)"
        ));
    }
    ok
}

fn run(tool: &str, args: &[&Path]) {
    let out = Command::new(tool).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `editcap ARGS... IN OUT [PACKETS...]` with string arguments.
fn editcap(args: &[&str], input: &Path, output: &Path, packets: &[&str]) {
    let mut v: Vec<&Path> = args.iter().map(Path::new).collect();
    v.push(input);
    v.push(output);
    v.extend(packets.iter().map(Path::new));
    run("editcap", &v);
}

/// The packets of `input` in the order `ranges` gives (editcap ranges such as "1-11", "13"),
/// written to `output`: each range selected with `editcap -r`, concatenated in that order
/// with `mergecap -a` (which keeps file order, not time order).
fn reorder(input: &Path, output: &Path, ranges: &[&str], dir: &Path) {
    let parts: Vec<PathBuf> = ranges
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let p = dir.join(format!("part{i}.pcap"));
            editcap(&["-r"], input, &p, &[r]);
            p
        })
        .collect();
    let mut args: Vec<&Path> = vec![Path::new("-a"), Path::new("-w"), output];
    args.extend(parts.iter().map(PathBuf::as_path));
    run("mergecap", &args);
}

fn analyze_file(path: &Path) -> Report {
    wsclose::analyze_files(&[path.to_path_buf()], Options::default()).unwrap()
}

fn kinds(c: &ConnectionReport) -> Vec<Kind> {
    c.findings.iter().map(|f| f.kind).collect()
}

/// The packets of the fixture with each ACK of a close piece moved before that piece.
const ACKS_FIRST: [&str; 8] = ["1-11", "13", "12", "15", "14", "17", "16", "18-21"];

#[test]
fn the_fixture_whole_gives_both_closes() {
    let r = analyze_file(&fixture());
    let c = only(&r);
    assert_eq!(
        closes(c),
        vec![cl(Client, 4100, REASON, 16), cl(Server, 4100, REASON, 18)]
    );
    assert!(c.handshake.seen);
    assert_eq!(c.handshake.cut, None);
}

#[test]
fn snaplen_80_and_96_find_the_connection_and_each_close_as_far_as_captured() {
    if !tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Ethernet 14 + IPv4 20 + TCP with timestamps 32: 66 header bytes, so 14 or 30 payload
    // bytes of each packet are kept. The request (170 bytes) and the 101 (203) are cut;
    // the close pieces are 4, 6, 18 and 20 bytes, the server's echo 44.
    for snap in [80usize, 96] {
        let kept = snap - 66;
        let cut = dir.path().join(format!("s{snap}.pcap"));
        editcap(&["-s", &snap.to_string()], &fixture(), &cut, &[]);
        let r = analyze_file(&cut);
        let c = only(&r);
        let ctx = format!("-s {snap}");
        assert_eq!(c.handshake.cut.as_deref(), Some("snaplen"), "{ctx}");
        assert!(
            !c.handshake.seen,
            "{ctx}: the request was not captured whole"
        );
        assert_eq!(c.handshake.path, None, "{ctx}: no path is guessed");
        assert_eq!(
            c.handshake.status,
            Some(101),
            "{ctx}: shown by the cut status line"
        );
        assert_eq!(
            (c.handshake.request_packet, c.handshake.response_packet),
            (Some(4), Some(6))
        );
        assert!(kinds(c).contains(&Kind::HandshakeCut), "{ctx}");
        assert!(
            !kinds(c).contains(&Kind::OutOfSync),
            "{ctx}: {:?}",
            kinds(c)
        );
        assert_eq!(c.frames.client.text_messages, 1, "{ctx}: the 'hello'");
        assert_eq!(c.frames.server.text_messages, 1, "{ctx}: its echo");

        // Each close: the code (its bytes were captured), the reason as far as captured.
        let [client, server] = &c.close_frames[..] else {
            panic!("{ctx}: {:?}", closes(c));
        };
        for (f, from, packet, len) in [(client, Client, 16, 48), (server, Server, 18, 44)] {
            assert_eq!(
                (f.from, f.code, f.packet),
                (from, Some(4100), packet),
                "{ctx}"
            );
            assert!(REASON.starts_with(&f.reason), "{ctx}: {:?}", f.reason);
            // The last piece of the client's close is 20 bytes (frame bytes 28..48).
            let last_segment = if from == Client { 20 } else { len };
            let whole = last_segment <= kept;
            if whole {
                assert_eq!((f.reason.as_str(), f.problems.len()), (REASON, 0), "{ctx}");
            } else {
                assert!(f.reason.len() < REASON.len(), "{ctx}: {:?}", f.reason);
                assert_eq!(f.problems, vec![Problem::Truncated], "{ctx} {from}");
            }
        }
        assert_eq!((c.status.code, c.status.inferred), (Some(4100), false));
        assert_eq!(
            (c.tcp_end(), c.tcp_end_by()),
            (TcpEndName::Fin, Some(Server)),
            "{ctx}"
        );
        // Every byte cut is counted as missing, none invented.
        let missing = c.tcp.client.missing_bytes + c.tcp.server.missing_bytes;
        let lens = [170, 11, 4, 6, 18, 20, 203, 7, 44];
        let want: usize = lens.iter().map(|&n: &usize| n.saturating_sub(kept)).sum();
        assert_eq!(missing, want as u64, "{ctx}");
    }

    // The JSON names the cut (`handshake.cut`).
    let cut = dir.path().join("s80.pcap");
    let out = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .args(["analyze", "--format", "json"])
        .arg(&cut)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["connections"][0]["handshake"]["cut"], "snaplen");
    assert_eq!(v["connections"][0]["handshake"]["seen"], false);
}

#[test]
fn acks_captured_before_their_data_keep_the_4100_close() {
    if !tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let reordered = dir.path().join("reordered.pcap");
    reorder(&fixture(), &reordered, &ACKS_FIRST, dir.path());
    let r = analyze_file(&reordered);
    let c = only(&r);
    // The last piece is packet 17 in the reordered capture.
    assert_eq!(
        closes(c),
        vec![cl(Client, 4100, REASON, 17), cl(Server, 4100, REASON, 18)]
    );
    assert_eq!(findings(c), vec![]);
    assert_eq!((c.tcp.client.gaps, c.tcp.client.missing_bytes), (0, 0));
    assert_eq!((c.status.code, c.seen_by.server), (Some(4100), Some(4100)));

    // reordercap puts it back in time order: the clean report again.
    let sorted = dir.path().join("sorted.pcap");
    run("reordercap", &[&reordered, &sorted]);
    let r = analyze_file(&sorted);
    assert_eq!(
        closes(only(&r)),
        vec![cl(Client, 4100, REASON, 16), cl(Server, 4100, REASON, 18)]
    );

    // Reordered and cut at 96 bytes: both at once.
    let both = dir.path().join("both.pcap");
    editcap(&["-s", "96"], &reordered, &both, &[]);
    let r = analyze_file(&both);
    let c = only(&r);
    assert_eq!(c.handshake.cut.as_deref(), Some("snaplen"));
    assert_eq!(c.close_frames[0].code, Some(4100));
    assert_eq!(
        (c.close_frames[0].reason.as_str(), c.close_frames[0].packet),
        (REASON, 17)
    );
    assert_eq!(c.close_frames[1].code, Some(4100));
    assert_eq!(c.close_frames[1].problems, vec![Problem::Truncated]);
}

#[test]
fn a_piece_never_captured_is_still_a_gap_after_reordering() {
    if !tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let reordered = dir.path().join("reordered.pcap");
    reorder(&fixture(), &reordered, &ACKS_FIRST, dir.path());
    // Delete the piece with the last mask bytes and the code (packet 13 after reordering):
    // its ACK (12) stays, its segment never comes.
    let lost = dir.path().join("lost.pcap");
    editcap(&[], &reordered, &lost, &["13"]);
    let r = analyze_file(&lost);
    let c = only(&r);
    // The server's close (17 now) ends the wait: the gap is marked with the ACK (12).
    assert_eq!(closes(c), vec![cl(Server, 4100, REASON, 17)]);
    assert_eq!(
        findings(c),
        vec![
            (Kind::Gap, Some(Client), Some(12)),
            (Kind::OutOfSync, Some(Client), Some(12))
        ]
    );
    assert_eq!((c.tcp.client.gaps, c.tcp.client.missing_bytes), (1, 6));
    assert!(!c.decoded_to_end.client);
    assert_eq!(
        c.seen_by.server, None,
        "the client's close may be in the gap"
    );
}

// ---------------------------------------------------------------------------------------
// Synthetic: what the real capture cannot show
// ---------------------------------------------------------------------------------------

/// The TCP handshake, then the request and the 101 cut to `keep` payload bytes each.
fn cut_open(keep: usize) -> Session {
    let mut s = Session::new(42001, 8080);
    s.handshake();
    assert_eq!(s.send_cut(Client, &request(), keep), 4);
    assert_eq!(s.send_cut(Server, &response(false), keep), 5);
    s
}

#[test]
fn a_close_whose_code_was_cut_has_no_code() {
    let mut s = cut_open(14);
    s.send(Client, &text(Client, "hello"));
    s.send(Server, &text(Server, "hello"));
    // Two frames in one segment; the cut leaves the close's 2-byte header, not its code.
    let burst = [
        text(Server, "0123456789abcdefghij"),
        close(Server, 1001, "bye"),
    ]
    .concat();
    assert_eq!(s.send_cut(Server, &burst, 24), 8);
    assert_eq!(s.send(Client, &close(Client, 1001, "bye")), 9);
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(c.handshake.cut.as_deref(), Some("snaplen"));
    let f = &c.close_frames;
    assert_eq!(
        (f[0].from, f[0].code, f[0].packet, f[0].reason.as_str()),
        (Server, None, 8, "")
    );
    assert_eq!(f[0].problems, vec![Problem::Truncated]);
    assert_eq!(
        (f[1].from, f[1].code, f[1].reason.as_str()),
        (Client, Some(1001), "bye")
    );
    // The first close's code is not in the capture: no status is invented.
    assert_eq!(c.status.code, None);
    assert_eq!(c.seen_by.client, None);
    assert_eq!(c.seen_by.server, Some(1001));
}

#[test]
fn a_status_line_cut_before_its_code_is_no_status() {
    let mut s = cut_open(10); // "HTTP/1.1 1"
    s.send(Client, &text(Client, "hi"));
    s.send(Server, &close(Server, 1000, "ok"));
    s.send(Client, &close(Client, 1000, "ok"));
    s.fins(Server);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(c.handshake.status, None);
    assert_eq!(c.handshake.cut.as_deref(), Some("snaplen"));
    assert_eq!(
        closes(c),
        vec![cl(Server, 1000, "ok", 7), cl(Client, 1000, "ok", 8)]
    );
}

#[test]
fn a_refused_upgrade_with_a_cut_response_is_not_decoded() {
    let mut s = Session::new(42003, 8080);
    s.handshake();
    s.send_cut(Client, &request(), 14);
    let refused = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nforbidden";
    s.send_cut(Server, refused, 14);
    // Bytes that would pass the probe, had the status not been shown.
    s.send(Server, &close(Server, 1000, "no"));
    s.fins(Server);
    let r = s.analyze();
    assert_eq!(r.connections.len(), 0, "{:?}", r.connections);
}

#[test]
fn a_handshake_segment_lost_is_a_cut_by_missing_bytes() {
    let mut s = Session::new(42004, 8080);
    s.handshake();
    let req = request();
    s.send(Client, &req[..30]);
    s.lose(Client, &req[30..]);
    s.ack(Server); // acknowledges the lost bytes
    s.send(Server, &response(false));
    s.send(Client, &text(Client, "after"));
    s.send(Client, &close(Client, 4000, "lost"));
    s.send(Server, &close(Server, 4000, "lost"));
    s.fins(Client);
    let r = s.analyze();
    let c = only(&r);
    assert_eq!(c.handshake.cut.as_deref(), Some("missing"));
    assert_eq!(c.handshake.status, Some(101));
    assert_eq!(c.close_frames.len(), 2);
    assert_eq!(
        (c.close_frames[0].from, c.close_frames[0].code),
        (Client, Some(4000))
    );
    assert!(kinds(c).contains(&Kind::HandshakeCut));
    assert!(kinds(c).contains(&Kind::Gap));
}
