//! Connections frozen out of memory (`wsclose::freeze`) come back exactly as they were: the
//! report is the same bytes whether no connection is ever frozen, every connection is
//! frozen after every one of its packets (and thawed for the next), or the default policy
//! freezes the quiet ones — over every fixture, with frame logs and timelines, and over
//! generated captures of hundreds of interleaved connections with one and two threads.
//! Each test also checks that connections really were frozen and thawed, so a freezer
//! that silently did nothing could not pass.

mod common;

#[path = "../examples/gen/mod.rs"]
mod gen;

use std::path::{Path, PathBuf};
use wsclose::analyzer::{Analyzer, Freeze, Options};
use wsclose::report::json;

fn report(paths: &[PathBuf], opts: Options) -> String {
    json::render(&wsclose::analyze_files(paths, opts).unwrap())
}

/// Runs one analyzer over `path` and returns how many connections it froze and thawed.
fn freeze_counts(path: &Path, opts: Options) -> (u64, u64) {
    let mut a = Analyzer::new(opts);
    a.begin_input(0);
    wsclose::capture::file::read(path, &mut |p| a.packet(p)).unwrap();
    let counts = a.freeze_counts();
    a.finish_input().unwrap();
    counts
}

fn with(freeze: Freeze, frame_log: usize, previews: bool) -> Options {
    Options {
        freeze,
        frame_log,
        previews,
        ..Options::default()
    }
}

#[test]
fn every_fixture_reports_the_same_when_frozen_after_every_packet() {
    let files = common::fixtures();
    let mut thawed = 0;
    for f in &files {
        let one = std::slice::from_ref(f);
        for (log, previews) in [(0, false), (12, false), (100_000, true)] {
            let never = report(one, with(Freeze::Never, log, previews));
            let every = report(one, with(Freeze::EveryPacket, log, previews));
            assert_eq!(never, every, "{} (frame log {log})", f.display());
        }
        thawed += freeze_counts(f, with(Freeze::EveryPacket, 0, false)).1;
    }
    // Every connection but those inflating permessage-deflate goes through its frozen
    // form at every packet.
    assert!(thawed > 300, "only {thawed} thaws over all fixtures");
    // All fixtures at once: inputs one after the other, packet numbers restarting.
    assert_eq!(
        report(&files, with(Freeze::Never, 0, false)),
        report(&files, with(Freeze::EveryPacket, 0, false))
    );
}

#[test]
fn deflate_connections_stay_in_memory_and_still_report_the_same() {
    let deflate: Vec<PathBuf> = common::fixtures()
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("deflate"))
        .collect();
    assert!(!deflate.is_empty());
    for f in &deflate {
        let one = std::slice::from_ref(f);
        assert_eq!(
            report(one, with(Freeze::Never, 0, false)),
            report(one, with(Freeze::EveryPacket, 0, false))
        );
    }
}

#[test]
fn generated_captures_report_the_same_with_any_freezing_and_threads() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("gen.pcap");
    let mut cfg = gen::Config::new(600, 24 << 20, 11);
    // A slow link: the capture spans minutes, so connections go quiet for seconds and the
    // default policy freezes them between packets.
    cfg.rate_mbps = 2;
    let mut w = gen::pcap_file(&pcap).unwrap();
    gen::generate(&cfg, &mut w, &mut Vec::new()).unwrap();
    std::io::Write::flush(&mut w.into_inner()).unwrap();
    let one = std::slice::from_ref(&pcap);

    let never = report(one, with(Freeze::Never, 0, false));
    assert!(never.contains("\"status\""));
    for freeze in [Freeze::default(), Freeze::EveryPacket] {
        for threads in [1, 2] {
            let opts = Options {
                freeze,
                threads,
                shard_min_bytes: 0,
                ..Options::default()
            };
            assert_eq!(never, report(one, opts), "{freeze:?}, {threads} threads");
        }
    }
    // Quiet connections frozen, some of them woken by a later packet.
    let (frozen, thawed) = freeze_counts(&pcap, with(Freeze::default(), 0, false));
    assert!(
        frozen > 100 && thawed > 10,
        "frozen {frozen}, thawed {thawed}"
    );
    let (_, thawed) = freeze_counts(&pcap, with(Freeze::EveryPacket, 0, false));
    assert!(thawed > 10_000, "thawed {thawed}");
}
