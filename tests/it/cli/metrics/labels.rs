//! Issue 104, item 4: the label values that come from the wire are bounded. A client that
//! closes 2 000 sessions with 2 000 codes of 3000-4999 makes a handful of `status` values
//! (registered codes as themselves, the first 16 unregistered ones seen as themselves, the
//! rest as their block: `3000-3999`, `4000-4999`), not 2 000 series; 1 500 servers under the
//! least `--max-memory` and no `--metrics-servers` bound make no more label sets than the
//! metrics' room holds (the rest counted as `other`). The closes still sum to the sessions,
//! what was folded is counted, and the label sets' bytes are charged.

use super::{Following, Samples};
use crate::common::*;
use std::collections::BTreeSet;
use wsclose::__internals::capture::write::PcapWriter;
use wsclose::vocab::{
    LinkType,
    Role::{Client, Server},
    Timestamp,
};

/// `n` sessions, one every 5 ms, session `k` from client port 20 000 + k to server port
/// 9 000 + k % `servers`, closed by the client with `code(k)` (the server answering with
/// the same), then both FINs: a classic pcap.
fn capture(n: u16, servers: u16, code: impl Fn(u16) -> u16) -> Vec<u8> {
    let mut pkts = Vec::new();
    for k in 0..n {
        let mut s = Session::new(20_000 + k, 9_000 + k % servers);
        s.clock = Timestamp(T0.0 + i64::from(k) * 5_000_000);
        s.open();
        let c = code(k);
        s.send(Client, &close(Client, c, ""));
        s.send(Server, &close(Server, c, ""));
        s.fins(Server);
        pkts.extend(s.pkts);
    }
    pkts.sort_by_key(|p| p.ts);
    let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 262_144).unwrap();
    for p in &pkts {
        w.packet(p.ts, &p.data, p.orig_len).unwrap();
    }
    w.into_inner()
}

/// The closes served once all `n` sessions are counted (20 s at most).
fn counted(f: &Following, n: f64) -> Samples {
    f.scrape_until(|s| s.sum_by("wsclose_closes_total", &[]).values().sum::<f64>() == n)
}

fn series(s: &Samples, name: &str) -> usize {
    s.0.iter().filter(|x| x.0 == name).count()
}

#[test]
fn two_thousand_private_codes_make_a_handful_of_statuses() {
    let n = 2_000u16;
    let f = Following::start(&capture(n, 1, |k| 3_000 + k), &[]);
    let s = counted(&f, f64::from(n));
    let by_status = s.sum_by("wsclose_closes_total", &["status"]);
    assert_eq!(
        by_status.values().sum::<f64>(),
        f64::from(n),
        "{by_status:?}"
    );
    let statuses: BTreeSet<&str> = by_status.keys().map(|k| k[0].as_str()).collect();
    // The registered codes of 3000-4999 (3000, 3003, 3008), the first 16
    // unregistered ones, and the two blocks.
    assert!(
        statuses.len() <= 24,
        "{} statuses: {statuses:?}",
        statuses.len()
    );
    assert!(
        statuses.contains("3000-3999") && statuses.contains("4000-4999"),
        "{statuses:?}"
    );
    assert!(
        statuses.contains("3000") && statuses.contains("3001"),
        "{statuses:?}"
    );
    assert!(series(&s, "wsclose_closes_total") <= 24);
    // Every close under a block is counted as folded.
    let in_blocks: f64 = by_status
        .iter()
        .filter(|(k, _)| k[0].contains('-'))
        .map(|(_, v)| v)
        .sum();
    assert!(in_blocks > 1_900.0, "{by_status:?}");
    assert_eq!(
        s.sum_by("wsclose_labels_folded_total", &["label"])
            .get(&vec!["status".to_string()])
            .copied(),
        Some(in_blocks)
    );
    let held = s.value("wsclose_memory_metrics_bytes").unwrap();
    eprintln!(
        "{n} codes: {} statuses, {} label sets, {held} bytes",
        statuses.len(),
        series(&s, "wsclose_closes_total")
    );
    assert!(held > 0.0 && held < 64.0 * 1024.0, "{held}");
    assert!(s.value("wsclose_memory_charged_bytes").unwrap() >= held);
}

#[test]
fn label_sets_past_the_room_in_max_memory_are_other() {
    let n = 1_500u16;
    let f = Following::start(
        &capture(n, n, |_| 4_001),
        &["--max-memory", "32M", "--metrics-servers", "100000"],
    );
    let s = counted(&f, f64::from(n));
    // A 256th of 32 MiB: 128 KiB, at 256 bytes and more a label set.
    let made = series(&s, "wsclose_closes_total");
    assert!(made > 100 && made <= 520, "{made} label sets");
    let held = s.value("wsclose_memory_metrics_bytes").unwrap();
    eprintln!("{n} servers: {made} label sets, {held} bytes");
    assert!(held <= (128 << 10) as f64 + 2_048.0, "{held}");
    let others = s.sum_by("wsclose_closes_total", &["server", "status", "cause"]);
    let other = others
        .get(&vec![
            "other".to_string(),
            "other".to_string(),
            "other".to_string(),
        ])
        .copied()
        .unwrap_or(0.0);
    assert_eq!(others.values().sum::<f64>(), f64::from(n));
    assert!(other > 0.0, "{others:?}");
    assert_eq!(
        s.sum_by("wsclose_labels_folded_total", &["label"])
            .get(&vec!["series".to_string()])
            .copied(),
        Some(other)
    );
}
