//! Connections frozen out of memory (`wsclose::__internals::freeze`) come back exactly as they were: the
//! report is the same bytes whether no connection is ever frozen, every connection is
//! frozen after every one of its packets (and thawed for the next), or the default policy
//! freezes the quiet ones — over every fixture, with frame logs and timelines, and over
//! generated captures of hundreds of interleaved connections with one and two threads.
//! Each test also checks that connections really were frozen and thawed, so a freezer
//! that silently did nothing could not pass.

use crate::common;

use crate::gen;

use std::path::{Path, PathBuf};
use wsclose::__internals::analyzer::{Analyzer, Freeze, Options};
use wsclose::render::json;

fn report(paths: &[PathBuf], opts: Options) -> String {
    json::render(&wsclose::analyze_files(paths, opts).unwrap())
}

/// Runs one analyzer over `path` and returns how many connections it froze and thawed.
fn freeze_counts(path: &Path, opts: Options) -> (u64, u64) {
    let mut a = Analyzer::new(opts);
    a.begin_input(0);
    wsclose::__internals::capture::file::read(path, &mut |p| a.packet(p)).unwrap();
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
    // Every connection goes through its frozen form at every packet (one inflating
    // permessage-deflate only between its compressed messages).
    assert!(thawed > 300, "only {thawed} thaws over all fixtures");
    // All fixtures at once: inputs one after the other, packet numbers restarting.
    assert_eq!(
        report(&files, with(Freeze::Never, 0, false)),
        report(&files, with(Freeze::EveryPacket, 0, false))
    );
}

#[test]
fn deflate_connections_freeze_between_messages_and_report_the_same() {
    let deflate: Vec<PathBuf> = common::fixtures()
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("deflate"))
        .collect();
    assert!(deflate.len() >= 4);
    for f in &deflate {
        let one = std::slice::from_ref(f);
        assert_eq!(
            report(one, with(Freeze::Never, 0, false)),
            report(one, with(Freeze::EveryPacket, 0, false)),
            "{}",
            f.display()
        );
        // The compressing connection itself is frozen (these captures hold nothing else
        // past its handshake), its inflaters as their history.
        let (_, thawed) = freeze_counts(f, with(Freeze::EveryPacket, 0, false));
        assert!(thawed > 3, "{}: thawed {thawed}", f.display());
    }
}

/// Generates `cfg`'s capture in `dir` and checks that its report is the same bytes with
/// freezing off, by the default policy and after every packet, with one and two threads;
/// returns the capture's path and that report.
fn same_report_with_any_freezing(dir: &tempfile::TempDir, cfg: &gen::Config) -> (PathBuf, String) {
    let pcap = dir.path().join(format!("gen-{}.pcap", cfg.seed));
    let mut w = gen::pcap_file(&pcap).unwrap();
    gen::generate(cfg, &mut w, &mut Vec::new()).unwrap();
    std::io::Write::flush(&mut w.into_inner()).unwrap();
    let one = std::slice::from_ref(&pcap);
    let never = report(one, with(Freeze::Never, 0, false));
    assert!(never.contains("\"status\""));
    for freeze in [
        Freeze::default(),
        Freeze::quiet_always(),
        Freeze::EveryPacket,
    ] {
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
    (pcap, never)
}

#[test]
#[ignore = "long: run by .ci/run"]
fn generated_captures_report_the_same_with_any_freezing_and_threads() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = gen::Config::new(600, 24 << 20, 11);
    // A slow link: the capture spans minutes, so connections go quiet for seconds and the
    // default policy freezes them between packets.
    cfg.rate_mbps = 2;
    let (pcap, _) = same_report_with_any_freezing(&dir, &cfg);
    // Quiet connections frozen, some of them woken by a later packet.
    let (frozen, thawed) = freeze_counts(&pcap, with(Freeze::quiet_always(), 0, false));
    assert!(
        frozen > 100 && thawed > 10,
        "frozen {frozen}, thawed {thawed}"
    );
    let (_, thawed) = freeze_counts(&pcap, with(Freeze::EveryPacket, 0, false));
    assert!(thawed > 10_000, "thawed {thawed}");
}

/// Hundreds of interleaved connections, every WebSocket one compressing (with and
/// without context takeover, levels 1 to 9): frozen between messages at every packet or
/// when quiet, with one or two threads, the report is the same bytes.
#[test]
#[ignore = "long: run by .ci/run"]
fn generated_deflate_captures_report_the_same_with_any_freezing_and_threads() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = gen::Config::new(300, 10 << 20, 13);
    cfg.deflate = 1.0;
    cfg.rate_mbps = 2;
    let (pcap, never) = same_report_with_any_freezing(&dir, &cfg);
    assert!(never.contains("\"deflate\": true"));
    let (frozen, _) = freeze_counts(&pcap, with(Freeze::quiet_always(), 0, false));
    assert!(frozen > 20, "frozen {frozen}");
    // Every WebSocket connection compresses; they make most of the packets, so most
    // thaws are theirs.
    let (_, thawed) = freeze_counts(&pcap, with(Freeze::EveryPacket, 0, false));
    assert!(thawed > 10_000, "thawed {thawed}");
}

/// Connections frozen while quiet, or kept in memory, still end at their idle timeout, each
/// at the first sweep past it, and a frozen connection is not looked at before then (nor
/// one in memory: the sweeps before find none can be due): A (quiet from the start) ends
/// at 61 s and C (quiet from 30 s) at 91 s, so an ACK of either just after is a flow of its
/// own and not the connection's last packet. B, sending every 5 s, moves the clock (and the
/// sweeps) along and is open at the end. The same report with freezing off.
#[test]
fn frozen_connections_end_at_their_idle_timeout() {
    use common::*;
    use wsclose::__internals::capture::write::PcapWriter;
    use wsclose::vocab::{
        LinkType,
        Role::{Client, Server},
        Timestamp,
    };
    let at = |s: f64| Timestamp(T0.0 + (s * 1e9) as i64);
    let mut a = Session::new(41400, 80);
    a.open();
    a.send(Server, &text(Server, "a"));
    let mut c = Session::new(41402, 80);
    c.clock = at(30.0);
    c.open();
    c.send(Server, &text(Server, "c"));
    let mut b = Session::new(41401, 80);
    b.clock = at(1.0);
    b.open();
    for k in 1..=19 {
        b.clock = at(1.0 + 5.0 * f64::from(k));
        b.send(Server, &text(Server, "b"));
    }
    a.clock = at(61.5);
    a.ack(Client);
    c.clock = at(91.5);
    c.ack(Client);
    let mut pkts = [a.pkts, b.pkts, c.pkts].concat();
    pkts.sort_by_key(|p| p.ts);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("idle.pcap");
    let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 262_144).unwrap();
    for p in &pkts {
        w.packet(p.ts, &p.data, p.orig_len).unwrap();
    }
    std::fs::write(&path, w.into_inner()).unwrap();
    // The number of the packet at `ts` (one per millisecond of each session's clock).
    let number = |ts: Timestamp| pkts.iter().position(|p| p.ts == ts).unwrap() as u64 + 1;
    let ms = |t: Timestamp, n: i64| Timestamp(t.0 + n * 1_000_000);
    for freeze in [Freeze::quiet_always(), Freeze::Never] {
        let opts = Options {
            idle_timeout_s: 60,
            freeze,
            ..Options::default()
        };
        let (frozen, _) = freeze_counts(&path, opts);
        if freeze != Freeze::Never {
            assert!(frozen >= 2, "A and C are frozen while quiet ({frozen})");
        }
        let r = wsclose::analyze_files(std::slice::from_ref(&path), opts).unwrap();
        assert_eq!(r.connections.len(), 3, "{:#?}", r.connections);
        // A, B, C, and the two late ACKs' flows; A and C ended by their idle timeout.
        assert_eq!((r.seen.tcp_connections, r.seen.evicted_flows), (5, 2));
        let last = |port: u16| {
            r.connections
                .iter()
                .find(|c| c.client == format!("10.0.0.1:{port}"))
                .unwrap()
                .last_packet
        };
        // Each one's text frame, the sixth packet it sent, and not the ACK after the timeout.
        assert_eq!(last(41400), number(ms(at(0.0), 5)));
        assert_eq!(last(41402), number(ms(at(30.0), 5)));
        assert_ne!(last(41402), number(at(91.5)));
        let never = Options {
            freeze: Freeze::Never,
            ..opts
        };
        let one = std::slice::from_ref(&path);
        assert_eq!(report(one, opts), report(one, never));
    }
}

/// A sweep that finds no connection in memory (the others frozen or closed) trusts no
/// bound until one comes back: the next connection to come into memory, woken from its
/// frozen form or new, sets it. F, active to 5 s and then closed, holds the bound at 10 s;
/// E, quiet from 1 s, is frozen at 3 s; D's late ACKs (D closed at 0.5 s) move the clock
/// and the sweeps; the one at 10.5 s finds none in memory, and E wakes at 10.7 s; E, frozen
/// again at 15 s, ends at its idle timeout at the sweep of 21 s, which finds none in memory
/// either, and G opens at 22 s: after each packet no connection in memory can be due before
/// the bound.
#[test]
fn a_connection_back_in_memory_sets_the_sweeps_bound() {
    use common::*;
    use wsclose::__internals::capture::write::PcapWriter;
    use wsclose::vocab::{
        LinkType,
        Role::{Client, Server},
        Timestamp,
    };
    let at = |s: f64| Timestamp(T0.0 + (s * 1e9) as i64);
    let mut d = Session::new(41600, 80);
    d.clock = at(0.2);
    d.open();
    d.fins(Client);
    for t in [3.0, 6.0, 9.0, 10.5, 12.0, 15.0, 18.0, 21.0, 24.0] {
        d.clock = at(t);
        d.ack(Client);
    }
    let mut f = Session::new(41601, 80);
    f.open();
    for t in [1.0, 2.0, 3.0, 4.0] {
        f.clock = at(t);
        f.send(Server, &text(Server, "f"));
    }
    f.clock = at(5.0);
    f.fins(Client);
    let mut e = Session::new(41602, 80);
    e.clock = at(1.0);
    e.open();
    e.clock = at(10.7);
    e.send(Server, &text(Server, "e"));
    let mut g = Session::new(41603, 80);
    g.clock = at(22.0);
    g.open();
    let mut pkts = [d.pkts, f.pkts, e.pkts, g.pkts].concat();
    pkts.sort_by_key(|p| p.ts);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("back.pcap");
    let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 262_144).unwrap();
    for p in &pkts {
        w.packet(p.ts, &p.data, p.orig_len).unwrap();
    }
    std::fs::write(&path, w.into_inner()).unwrap();
    let opts = Options {
        idle_timeout_s: 10,
        freeze: Freeze::quiet_always(),
        ..Options::default()
    };
    let mut a = Analyzer::new(opts);
    a.begin_input(0);
    let mut n = 0;
    wsclose::__internals::capture::file::read(&path, &mut |p| {
        a.packet(p);
        n += 1;
        assert!(a.sweep_bound_holds(), "packet {n}");
    })
    .unwrap();
    // E was frozen twice while quiet, and woken by its packet at 10.7 s (and to be ended).
    assert_eq!(a.freeze_counts(), (2, 2));
    let (reports, seen) = a.finish_input().unwrap();
    // D, F, E (ended by the idle timeout) and G; D's nine ACKs after its close (and the
    // last ACKs of the closes) are late packets of connections already reported.
    assert_eq!((reports.len(), seen.evicted_flows), (4, 1));
    assert!(seen.late_packets >= 9, "{}", seen.late_packets);
}

/// The sweeps look at the connections in memory only once one of them can be due (idle,
/// or closed and past its grace): after every packet of a generated capture of hundreds of
/// interleaved connections, none can be due before the bound they trust, whether quiet
/// connections are frozen (and woken) or not, closed ones kept or not, with idle timeouts
/// of 2 s to the default. Connections were evicted by those sweeps, so they did look.
#[test]
fn the_sweeps_bound_holds_after_every_packet() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = gen::Config::new(300, 6 << 20, 19);
    cfg.rate_mbps = 2;
    let pcap = dir.path().join("sweep.pcap");
    let mut w = gen::pcap_file(&pcap).unwrap();
    gen::generate(&cfg, &mut w, &mut Vec::new()).unwrap();
    std::io::Write::flush(&mut w.into_inner()).unwrap();
    let mut evicted = 0;
    for (freeze, keep_closed, idle_timeout_s) in [
        (Freeze::Never, false, 2),
        (Freeze::Never, true, 5),
        (Freeze::quiet_always(), false, 3),
        (Freeze::quiet_always(), true, 600),
        (Freeze::EveryPacket, false, 2),
    ] {
        let opts = Options {
            freeze,
            keep_closed,
            idle_timeout_s,
            ..Options::default()
        };
        let mut a = Analyzer::new(opts);
        a.begin_input(0);
        let mut packets = 0u64;
        wsclose::__internals::capture::file::read(&pcap, &mut |p| {
            a.packet(p);
            packets += 1;
            assert!(
                a.sweep_bound_holds(),
                "{freeze:?} {keep_closed} {idle_timeout_s}: packet {packets}"
            );
        })
        .unwrap();
        let (_, seen) = a.finish_input().unwrap();
        evicted += seen.evicted_flows;
    }
    assert!(evicted > 100, "{evicted} connections evicted by the sweeps");
}

/// The default policy freezes quiet connections only once their group of flows holds a
/// sixteenth of its share of `--max-memory`, and those quiet for 10 s once it holds 64 KiB
/// (`budget::FREEZE_FROM`): of 256 connections open at once (four a group) few at the
/// default budget, many of the same under a small one; the report the same bytes either way.
#[test]
fn quiet_connections_are_frozen_only_when_memory_is_scarce() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = gen::Config::new(3000, 6 << 20, 17);
    cfg.rate_mbps = 2;
    let pcap = dir.path().join("gen-17.pcap");
    let mut w = gen::pcap_file(&pcap).unwrap();
    gen::generate(&cfg, &mut w, &mut Vec::new()).unwrap();
    std::io::Write::flush(&mut w.into_inner()).unwrap();
    let roomy = with(Freeze::default(), 0, false);
    let scarce = Options {
        max_memory: 32 << 20,
        max_flows: 2048,
        ..roomy
    };
    let (frozen_roomy, _) = freeze_counts(&pcap, roomy);
    let (frozen_scarce, _) = freeze_counts(&pcap, scarce);
    let (frozen_always, _) = freeze_counts(&pcap, with(Freeze::quiet_always(), 0, false));
    assert!(
        frozen_roomy * 10 < frozen_scarce,
        "frozen at the default budget: {frozen_roomy}, under 32M: {frozen_scarce}"
    );
    assert!(
        frozen_scarce > 100 && frozen_always >= frozen_scarce,
        "frozen under 32M: {frozen_scarce}, whatever the flows hold: {frozen_always}"
    );
    // The report the same bytes as with none frozen under the same budget: the incident
    // stage's room (a thirty-second of --max-memory, `memory::incidents_room`) keeps fewer
    // endings under 32M than at the default, and says so, so the budget is held the same.
    let one = std::slice::from_ref(&pcap);
    let never = Options {
        freeze: Freeze::Never,
        ..scarce
    };
    let (frozen_never, _) = freeze_counts(&pcap, never);
    assert_eq!(frozen_never, 0);
    let said = report(one, scarce);
    assert!(
        said.contains("the incident stage kept the endings of the first connections only"),
        "the endings left out under 32M are not said"
    );
    assert_eq!(said, report(one, never));
}

/// Two thousand connections open at once hold more than 64 KiB in each group of flows
/// (`budget::FREEZE_FROM`): under the default budget those quiet for 10 s are frozen, as a
/// sixteenth of a group's share (800 KiB at 1 GiB) never let them be, and the report is the
/// same bytes as with none frozen.
#[test]
fn many_quiet_connections_are_frozen_under_the_default_budget() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = gen::Config::new(3000, 6 << 20, 17);
    cfg.rate_mbps = 2;
    cfg.concurrency = 2000;
    let pcap = dir.path().join("gen-17-crowd.pcap");
    let mut w = gen::pcap_file(&pcap).unwrap();
    gen::generate(&cfg, &mut w, &mut Vec::new()).unwrap();
    std::io::Write::flush(&mut w.into_inner()).unwrap();
    let default = with(Freeze::default(), 0, false);
    let (frozen, thawed) = freeze_counts(&pcap, default);
    assert!(
        frozen > 100 && thawed > 0,
        "frozen {frozen}, thawed {thawed}"
    );
    let one = std::slice::from_ref(&pcap);
    assert_eq!(
        report(one, default),
        report(one, with(Freeze::Never, 0, false))
    );
}

/// A side's RST after its own FIN is kept beside the FIN through freezing: frozen after
/// every packet (between the FIN and the RST too), the report is the same, RST included.
#[test]
fn an_rst_after_a_fin_survives_freezing() {
    use wsclose::vocab::Role::{Client, Server};
    let mut s = common::Session::new(40111, 8080);
    s.open();
    s.fin(Client);
    s.send(Server, &common::text(Server, "tick"));
    let rst = s.rst(Client);
    let mut w =
        wsclose::__internals::capture::write::PcapWriter::new(Vec::new(), s.link, 262_144).unwrap();
    for p in &s.pkts {
        w.packet(p.ts, &p.data, p.orig_len).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fin-then-rst.pcap");
    std::fs::write(&path, w.into_inner()).unwrap();
    let one = std::slice::from_ref(&path);
    let run = |freeze| report(one, with(freeze, 12, false));
    let never = run(Freeze::Never);
    assert!(
        never.contains("\"rst_after_fin\": {\n") && never.contains(&format!("\"packet\": {rst}")),
        "{never}"
    );
    assert!(freeze_counts(&path, with(Freeze::EveryPacket, 0, false)).1 > 0);
    assert_eq!(never, run(Freeze::EveryPacket));
}
