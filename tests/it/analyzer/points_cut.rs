//! Issue 103 against THREATS kind 6 (damaged input): the second point's capture cut short
//! (a file truncated mid-record, as a copy interrupted or a disk filled leaves it). What
//! the other point saw after the cut is unknown from there: no packet of the first point
//! after it is "lost between the points", no packet the cut file would have shown is
//! "made between" them, and a segment one of whose copies went past the cut is not placed.
//! The whole files (the control) still place what the recording's log says.

use serde_json::Value;
use std::path::PathBuf;
use wsclose::__internals::analyzer::Options;

fn fixture(f: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/points")
        .join(f)
}

fn report(paths: &[PathBuf]) -> Value {
    let r = wsclose::analyze_files(paths, Options::default()).unwrap();
    serde_json::to_value(&r).unwrap()
}

/// Each two-point session's packets lost between the points (listed) and made between.
fn placed(r: &Value) -> Vec<(Vec<u64>, Vec<u64>)> {
    r["connections"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c.get("points").filter(|p| !p.is_null()))
        .map(|p| {
            let lost = p["lost_between"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|l| l["listed"].as_array().unwrap().iter())
                .map(|n| n.as_u64().unwrap())
                .collect();
            let made = p["made_between"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["packet"].as_u64().unwrap())
                .collect();
            (lost, made)
        })
        .collect()
}

/// The capture time of packet `n` (1-based) of a classic pcap, ns.
fn time_of(pcap: &[u8], n: u64) -> i64 {
    let mut at = 24;
    for k in 1.. {
        let u = |o: usize| u32::from_le_bytes(pcap[at + o..at + o + 4].try_into().unwrap());
        if k == n {
            return i64::from(u(0)) * 1_000_000_000 + i64::from(u(4)) * 1_000;
        }
        at += 16 + u(8) as usize;
    }
    unreachable!()
}

#[test]
fn a_second_capture_cut_short_places_nothing_past_its_end() {
    let whole = report(&[fixture("drop-client.pcap"), fixture("drop-server.pcap")]);
    let control = placed(&whole);
    assert_eq!(control.len(), 2, "{control:?}");
    assert!(
        control.iter().all(|(_, made)| made.is_empty()),
        "{control:?}"
    );
    assert_eq!(
        control.iter().map(|(l, _)| l.len()).sum::<usize>(),
        13,
        "the recording's log: 7 and 6 of the client's packets dropped by the router"
    );

    let server = std::fs::read(fixture("drop-server.pcap")).unwrap();
    // After its 60th record: a capture stopped early, a whole file the reader cannot tell
    // from one that saw everything but by what the other point shows after it.
    let mut stop = 24;
    for _ in 0..60 {
        stop += 16 + u32::from_le_bytes(server[stop + 8..stop + 12].try_into().unwrap()) as usize;
    }
    let dir = tempfile::tempdir().unwrap();
    for (name, len, truncated) in [("cut", 5000, true), ("stopped", stop, false)] {
        let cut = dir.path().join(format!("drop-server-{name}.pcap"));
        std::fs::write(&cut, &server[..len]).unwrap();
        cut_short(&cut, truncated);
    }
}

/// The client's file with `cut`, the server's cut short (`truncated`: mid-record).
fn cut_short(cut: &std::path::Path, truncated: bool) {
    let r = report(&[fixture("drop-client.pcap"), cut.to_path_buf()]);
    let inputs = r["inputs"].as_array().unwrap();
    assert_eq!(inputs[1]["truncated"], truncated);
    let end = inputs[1]["last_time"].as_str().unwrap().to_string();
    let got = placed(&r);
    assert_eq!(
        got.len(),
        2,
        "both sessions are still seen at two points: {got:?}"
    );
    let client = std::fs::read(fixture("drop-client.pcap")).unwrap();
    for (lost, made) in &got {
        assert!(
            made.is_empty(),
            "nothing made between after the cut: {made:?}"
        );
        for &n in lost {
            let t = time_of(&client, n);
            let at = wsclose::vocab::Timestamp(t).rfc3339();
            assert!(at < end, "packet {n} ({at}) lost after the cut ({end})");
        }
    }
    // What the cut file still shows, before its end, is still placed.
    assert!(got.iter().any(|(lost, _)| !lost.is_empty()), "{got:?}");
}
