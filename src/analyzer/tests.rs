//! Unit tests of the analyzer: tombstones, flow groups, thread bounds, eviction order.

use super::*;

/// A tombstone and its key fill a 16-byte table slot, and it is kept from its closing
/// second, rounded up, for the 30 s grace period: a retransmitted FIN 30.5 s after a
/// close at 10.4 s is still the closed connection's, one 31.1 s after is not.
#[test]
fn a_tombstone_is_small_and_kept_through_the_grace_period() {
    assert_eq!(std::mem::size_of::<(u64, Tombstone)>(), 16);
    let s = |x: f64| (x * 1e9) as i64;
    let t = Tombstone::new(Timestamp(s(10.4)), 7);
    assert_eq!((t.at_s, t.done), (11, 7));
    assert!(t.kept(s(10.4) + s(30.5)));
    assert!(t.kept(s(41.0)));
    assert!(!t.kept(s(41.0) + 1));
    assert!(!t.kept(s(10.4) + s(31.1)));
    // Kept up to `until` and not after: what the prunes' bound is made of.
    assert!(t.kept(t.until()) && !t.kept(t.until() + 1));
    // A whole second is not rounded up; times outside u32 seconds are clamped (a
    // capture dated after 2106 loses its tombstones at the next sweep).
    assert_eq!(Tombstone::new(Timestamp(s(12.0)), 0).at_s, 12);
    assert_eq!(Tombstone::new(Timestamp(-5), 0).at_s, 0);
    assert!(Tombstone::new(Timestamp(-5), 0).kept(s(30.0)));
    assert_eq!(Tombstone::new(Timestamp(i64::MAX), 0).at_s, u32::MAX);
    assert!(!Tombstone::new(Timestamp(i64::MAX), 0).kept(i64::MAX));
}

/// A library caller's thread count is brought down to one per group of flows at most,
/// and the groups follow the flow cap: one per 1 024 flows, from 1 to 64, their shares
/// adding up to the cap.
#[test]
fn threads_and_groups_are_bounded() {
    let opts = |threads, max_flows| Options {
        threads,
        max_flows,
        ..Options::default()
    };
    assert_eq!(Analyzer::threads(&opts(100_000, 200_000)), MAX_THREADS);
    assert_eq!(Analyzer::threads(&opts(3, 200_000)), 3);
    // 0: one per core, no lower cap than the groups'.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(Analyzer::threads(&opts(0, 200_000)), cores.min(MAX_THREADS));
    for (max_flows, groups) in [
        (1, 1),
        (2047, 1),
        (2048, 2),
        (200_000, 64),
        (usize::MAX, 64),
    ] {
        assert_eq!(Analyzer::flow_groups(max_flows), groups, "{max_flows}");
        if max_flows < usize::MAX {
            let a = Analyzer::new(opts(0, max_flows));
            let caps: Vec<usize> = (0..groups as usize).map(|g| a.group_cap(g)).collect();
            assert_eq!(caps.iter().sum::<usize>(), max_flows);
            assert!(caps.iter().all(|&c| c >= max_flows / groups as usize));
        }
    }
}

/// Every flow belongs to exactly one shard, the same one for both directions, and the
/// shards get shares of a few thousand flows within a few percent of each other.
#[test]
fn each_flow_has_one_shard_whichever_way_its_packets_go() {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for n in [2u64, 3, 4] {
        let shards: Vec<Analyzer> = (0..n)
            .map(|me| {
                let mut a = Analyzer::new(Options::default());
                a.set_shard(Some((me, n)));
                a
            })
            .collect();
        let mut share = vec![0u32; n as usize];
        for i in 0..6000u64 {
            let a = if i % 5 == 0 {
                Endpoint::v6(u128::from(next()) << 64 | u128::from(next()), next() as u16)
            } else {
                Endpoint::v4(next() as u32, next() as u16)
            };
            let b = Endpoint::v4(
                0x0a00_0001 + (i % 3) as u32,
                [80, 443, 8765][(i % 3) as usize],
            );
            let owners: Vec<usize> = (0..n as usize)
                .filter(|&k| shards[k].owns(&a, &b))
                .collect();
            assert_eq!(owners.len(), 1, "{a} {b}");
            assert!(shards[owners[0]].owns(&b, &a), "{a} {b}");
            share[owners[0]] += 1;
        }
        let fair = 6000 / n as u32;
        for s in share {
            assert!(s.abs_diff(fair) < fair / 10, "shares {n}: {s} of {fair}");
        }
    }
}

/// A run of packets of other shards' flows handed over at once moves an analyzer exactly
/// as each of them in turn does: its clock (steps ahead across idle gaps judged at the
/// next packet), the sweeps they make due, the tombstones pruned, the packets the first
/// shard counts. Times step forward by microseconds, by more than a sweep's interval and
/// by more than the idle timeout (of 2 s, or none), and back; runs of 1 to 20, with
/// packets that hold no TCP among them (counted as other packets by the first shard); with
/// and without more tombstones than are kept.
#[test]
fn a_run_of_other_shards_packets_moves_an_analyzer_as_each_of_them_does() {
    use crate::capture::shared::{Run, NO_TCP};
    let mut rng = crate::Rng(0x9e37_79b9_7f4a_7c15);
    let mut next = move || rng.next();
    let state = |a: &Analyzer| {
        (
            a.now,
            a.ahead,
            a.last_sweep,
            a.sweep_owed,
            a.seen.packets,
            a.seen.other_packets,
            a.closed.len(),
        )
    };
    let (mut quiet, mut not) = (0, 0);
    for round in 0..40u64 {
        // An idle timeout of none: every step forward is a step ahead, judged later.
        let opts = || Options {
            idle_timeout_s: if round % 3 == 2 { 0 } else { 2 },
            ..Options::default()
        };
        let (mut each, mut runs) = (Analyzer::new(opts()), Analyzer::new(opts()));
        let start = 1_700_000_000_000_000_000_i64;
        for a in [&mut each, &mut runs] {
            a.set_shard(Some((round % 2, 2)));
        }
        let mut ts = start;
        let times: Vec<i64> = (0..600)
            .map(|_| {
                let r = next();
                ts += match r % 32 {
                    0 => -50_000_000,
                    1 => 5_000_000_000,
                    2..=4 => 300_000_000,
                    _ => (r >> 8) as i64 % 3_000_000,
                };
                ts
            })
            .collect();
        let mut rest = &times[..];
        let mut k = 0;
        while !rest.is_empty() {
            k += 1;
            if k == 3 && round % 4 < 2 {
                // More tombstones than are kept, closed over the last minute: the next
                // packet prunes those past their grace period.
                for a in [&mut each, &mut runs] {
                    let now = a.now.0;
                    for key in 0..MAX_TOMBSTONES as u64 + 10 {
                        let at = Timestamp(now - (key % 60) as i64 * 1_000_000_000);
                        a.bury(key, Tombstone::new(at, 0));
                    }
                }
            }
            let n = (1 + next() % 20).min(rest.len() as u64) as usize;
            let (run, after) = rest.split_at(n);
            rest = after;
            // A packet in three with no TCP inside.
            let owners: Vec<u8> = run
                .iter()
                .map(|_| if next() % 3 == 0 { NO_TCP } else { 1 })
                .collect();
            let times: Vec<Timestamp> = run.iter().map(|&t| Timestamp(t)).collect();
            let latest = Timestamp(*run.iter().max().unwrap());
            let before = state(&runs);
            for (&owner, &ts) in owners.iter().zip(&times) {
                match owner {
                    NO_TCP => each.no_tcp(ts),
                    _ => each.elsewhere(ts),
                }
            }
            let (owners, times) = (&owners[..], &times[..]);
            runs.elsewhere_run(Run { owners, times }, latest);
            assert_eq!(state(&each), state(&runs), "round {round}, run {run:?}");
            // Which way it went: a quiet run moved only the clock's reading.
            let after = state(&runs);
            if (after.1, after.2, after.6) == (before.1, before.2, before.6) && !after.3 {
                quiet += 1;
            } else {
                not += 1;
            }
        }
    }
    // Both ways were taken, many times.
    assert!(quiet > 500 && not > 100, "{quiet} quiet runs, {not} others");
}

/// The secrets an analyzer decrypts with come out of the flows' part of the budget: given
/// at once (a file's key logs), or added as a live capture reads them and counted again.
#[test]
fn the_secrets_take_their_part_of_the_budget() {
    let opts = Options {
        max_memory: 64 << 20,
        ..Options::default()
    };
    let groups = Analyzer::flow_groups(opts.max_flows) as usize;
    let mut text = String::new();
    for i in 0..1000u32 {
        text.push_str(&format!("CLIENT_RANDOM {i:064x} {}\n", "ab".repeat(48)));
    }
    let none = Analyzer::new(opts).budget.share();
    let mut keys = KeyLog::new();
    assert!(keys.add_text("test", text.as_bytes()).is_empty());
    let mut given = Analyzer::new(opts);
    given.set_keys(Arc::new(keys));
    let less = (none * groups - 1000 * crate::memory::KEY_BYTES) / groups;
    assert_eq!(given.budget.share(), less);
    let mut live = Analyzer::new(opts);
    live.keys_mut()
        .expect("its own")
        .add_text("test", text.as_bytes());
    assert_eq!(live.budget.share(), none);
    live.recount_keys();
    assert_eq!(live.budget.share(), less);
}

/// The packets of WebSocket session `i` (client 10.1.x.y:40000 to server 10.0.0.2:80, from
/// `t0` ms): TCP handshake, upgrade, the server's close 1001 and the client's echo, FINs,
/// and (`late`) a last ACK after them.
fn session(i: u32, t0: i64, late: bool) -> Vec<(Timestamp, Vec<u8>)> {
    use etherparse::PacketBuilder;
    let client = [10, 1, (i >> 8) as u8, i as u8];
    let server = [10, 0, 0, 2];
    let (mut cs, mut ss) = (1000u32, 5000u32);
    let mut out = Vec::new();
    let mut emit = |from_client: bool, syn: bool, fin: bool, payload: &[u8]| {
        let (src, dst, sp, dp) = if from_client {
            (client, server, 40000, 80)
        } else {
            (server, client, 80, 40000)
        };
        let (seq, ack) = if from_client { (cs, ss) } else { (ss, cs) };
        let mut b = PacketBuilder::ethernet2([2; 6], [4; 6])
            .ipv4(src, dst, 64)
            .tcp(sp, dp, seq, 65535);
        if syn {
            b = b.syn();
        }
        if fin {
            b = b.fin();
        }
        if !(syn && from_client) {
            b = b.ack(ack);
        }
        let mut data = Vec::new();
        b.write(&mut data, payload).unwrap();
        let step = payload.len() as u32 + u32::from(syn) + u32::from(fin);
        if from_client {
            cs += step;
        } else {
            ss += step;
        }
        let t = Timestamp((t0 + out.len() as i64) * 1_000_000);
        out.push((t, data));
    };
    emit(true, true, false, b"");
    emit(false, true, false, b"");
    emit(true, false, false, b"");
    emit(
        true,
        false,
        false,
        b"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    emit(
        false,
        false,
        false,
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
    );
    emit(false, false, false, &[0x88, 0x02, 0x03, 0xe9]);
    emit(true, false, false, &[0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe9]);
    emit(false, false, true, b"");
    emit(true, false, true, b"");
    if late {
        emit(false, false, false, b"");
    }
    out
}

/// A followed or live capture keeps at most [`KEPT_SESSIONS`] reports for its report at the
/// end, the first to finish, and charges what it keeps for them (issue 104 item 9: at the
/// default budget it kept two million, their index, endings and legs uncharged): with the
/// default options, more sessions than that leave exactly that many, the rest counted as
/// not kept; the memory charged once they are all kept is the memory charged at the end,
/// and covers what the store holds; a late ACK still finds its report.
#[test]
fn a_followed_capture_keeps_a_bounded_charged_number_of_sessions() {
    let mut a = Analyzer::new(Options::default());
    a.tap(Taps::new(Box::new(|_| {})));
    let n = KEPT_SESSIONS as u32 + 300;
    let (mut number, mut charged_full) = (0u64, 0);
    for i in 0..n {
        let late = i % 1000 == 7;
        for (ts, data) in session(i, i64::from(i) * 20, late) {
            number += 1;
            a.packet(&Packet {
                number,
                ts,
                link: LinkType::ETHERNET,
                data: &data,
                orig_len: data.len() as u32,
                iface: None,
                options: Default::default(),
            });
        }
        assert!(a.done.len() <= KEPT_SESSIONS, "{i}");
        let held = a.done.held_bytes(crate::memory::REPORT_BYTES);
        assert!(a.charged() >= held && held > 0);
        if i as usize + 1 == KEPT_SESSIONS {
            charged_full = a.charged();
        }
    }
    assert_eq!(a.charged(), charged_full);
    let (mut done, _) = a.finish_store();
    assert_eq!(done.not_kept(), (300, KEPT_SESSIONS));
    assert_eq!(done.len(), KEPT_SESSIONS);
    done.sort();
    let reports = done.into_vec().unwrap();
    for (i, r) in reports.iter().enumerate() {
        assert_eq!(r.status.code, Some(1001), "{i}");
        let packets = if i % 1000 == 7 { 9 } else { 8 };
        assert_eq!(r.last_packet, r.first_packet + packets, "{i}");
    }
}
