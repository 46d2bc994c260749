//! The pairing of legs: by key, by key and CONNECT target, by path and timing; and how much
//! work the pairing does as more sessions share one key.

use super::*;
use crate::report::legs::{digest, fixed};
use crate::vocab::Timestamp;

/// A leg on a host that is both a client and the proxy (every leg leaves from the
/// address the others are served on, each to an endpoint of its own).
fn leg(input: u64, key: &str, first: u64, start: i64, end: i64) -> Leg {
    at(input, key, first, start, end, ("proxy", "proxy", first))
}

/// A leg from client address `c` to server address `s`, port `port`.
fn at(
    input: u64,
    key: &str,
    first: u64,
    start: i64,
    end: i64,
    (c, s, port): (&str, &str, u64),
) -> Leg {
    Leg {
        key: fixed(key).unwrap(),
        order: input << 48 | first,
        start: Timestamp(start),
        end: Timestamp(end),
        client_ip: digest(c) as u32,
        server_ip: digest(s) as u32,
        server: digest(&(s, port)) as u32,
        server_port: port as u16,
        target_port: 0,
        target_ip: 0,
        connect: Timestamp(start),
    }
}

#[test]
fn a_tunnel_links_only_the_leg_to_its_connect_target_after_the_connect() {
    // The client's leg to the proxy, in a CONNECT tunnel to "backend" port 9000 sent at
    // t=5; three connections from the proxy with the same key: one to another port,
    // one to port 9000 before the CONNECT, one to port 9000 after it.
    let mut front = at(0, "k", 1, 0, 100, ("client", "proxy", 3128));
    front.target_port = 9000;
    front.target_ip = digest("backend") as u32;
    front.connect = Timestamp(5);
    let other_port = at(0, "k", 2, 6, 90, ("proxy", "backend", 9001));
    let too_early = at(0, "k", 3, 4, 90, ("proxy", "backend", 9000));
    let other_host = at(0, "k", 4, 6, 90, ("proxy", "elsewhere", 9000));
    let right = at(0, "k", 5, 7, 90, ("proxy", "backend", 9000));
    let mut group = vec![front, too_early, other_port, other_host, right];
    group.sort_by_key(|l| (l.start, l.order));
    let mut pairs = Vec::new();
    pair_group(&group, &mut pairs, &mut 0);
    assert_eq!(pairs, vec![(1, 5)]);
    // Without the tunnel, the key alone links the first that leaves from the proxy.
    let mut plain = group.clone();
    for l in &mut plain {
        l.target_port = 0;
    }
    let mut pairs = Vec::new();
    pair_group(&plain, &mut pairs, &mut 0);
    assert_eq!(pairs.first(), Some(&(1, 3)));
}

#[test]
fn a_shared_key_links_only_a_leg_that_leaves_from_the_proxy() {
    const K: &str = "dGhlIHNhbXBsZSBub25jZQ==";
    // A proxy: the client talks to it, it talks to the backend with the same key.
    let proxied = pairs(vec![
        at(0, K, 1, 0, 100, ("client", "proxy", 443)),
        at(0, K, 2, 10, 90, ("proxy", "backend", 8080)),
    ]);
    assert_eq!(proxied, [(1, 2)]);
    // Two unrelated clients sending one constant key to one server at once: no legs.
    assert!(pairs(vec![
        at(0, K, 1, 0, 100, ("client-a", "server", 80)),
        at(0, K, 2, 10, 90, ("client-b", "server", 80)),
    ])
    .is_empty());
    // Two sessions with one constant key from the server's own host to one endpoint
    // (a load test on the server): the back leg would go where the front leg went.
    assert!(pairs(vec![
        at(0, K, 1, 0, 100, ("server", "server", 80)),
        at(0, K, 2, 10, 90, ("server", "server", 80)),
    ])
    .is_empty());
}

fn pairs(legs: Vec<Leg>) -> Vec<(u64, u64)> {
    let mut p: Vec<(u64, u64)> = super::pairs(Index {
        legs,
        candidates: Vec::new(),
        ..Index::default()
    })
    .into_iter()
    .map(|p| (p.front.0, p.back.0))
    .collect();
    p.sort_unstable();
    p
}

#[test]
fn legs_pair_by_key_and_nesting_only() {
    const A: &str = "qtxv6qxPKu9EgLpm6exfaQ==";
    const B: &str = "7+pmlFpabfgIyqjmv8ukSA==";
    // Two sessions at once, interleaved: each front with the back leg of its own key.
    let p = pairs(vec![
        leg(0, A, 1, 0, 100),
        leg(0, B, 2, 5, 100),
        leg(0, A, 3, 10, 90),
        leg(0, B, 4, 12, 90),
    ]);
    assert_eq!(p, [(1, 3), (2, 4)]);
    // The same key again after the first connection ended (a client that reuses its
    // key): not a leg of it.
    assert!(pairs(vec![leg(0, A, 1, 0, 100), leg(0, A, 9, 200, 300)]).is_empty());
    // The same key in two inputs: not linked.
    assert!(pairs(vec![leg(0, A, 1, 0, 100), leg(1, A, 1, 10, 90)]).is_empty());
    // Three with one key (two proxies in a row): paired in time order, each once.
    let p = pairs(vec![
        leg(0, A, 1, 0, 100),
        leg(0, A, 2, 10, 90),
        leg(0, A, 3, 20, 80),
    ]);
    assert_eq!(p, [(1, 2)]);
    // Many keys alone around the two that share one (left out of the sort): the
    // same pair, whatever the order the legs were noted in.
    let mut legs: Vec<Leg> = (0..200)
        .map(|i| leg(0, &format!("alone-{i}"), 100 + i, 5, 50))
        .collect();
    legs.insert(57, leg(0, A, 1, 0, 100));
    legs.insert(3, leg(0, A, 2, 10, 90));
    assert_eq!(pairs(legs.clone()), [(1, 2)]);
    legs.reverse();
    assert_eq!(pairs(legs), [(1, 2)]);
}

/// An HTTP/2 WebSocket (`stream` > 0) or an HTTP/1.1 upgrade of input 0: its path,
/// request and answer packets, and when it began to close (ms).
fn cand(order: u64, stream: u32, path: &str, req: u64, resp: u64, closing: i64) -> Candidate {
    Candidate {
        order,
        stream,
        path: digest(path),
        host: digest("h"),
        // The proxy's address for a stream, the backend's for an HTTP/1.1 connection.
        server: digest(if stream > 0 { "proxy" } else { "backend" }),
        request: req,
        response: resp,
        closing: Some(Timestamp(closing * 1_000_000)),
    }
}

fn by_path(c: Vec<Candidate>) -> Vec<((u64, u32), (u64, u32))> {
    let mut pairs = Vec::new();
    pair_by_path(&c, &mut pairs);
    let mut p: Vec<_> = pairs.into_iter().map(|p| (p.front, p.back)).collect();
    p.sort_unstable();
    p
}

#[test]
fn http2_legs_pair_by_path_and_timing_only_when_unambiguous() {
    // Streams 1 and 3 of connection 1 (CONNECTs in packet 7, 200s in 30), back legs
    // 10 and 11 (upgrades in packets 20 and 21): each path has one of each.
    let p = by_path(vec![
        cand(1, 1, "/a", 7, 30, 1000),
        cand(1, 3, "/b", 7, 30, 2000),
        cand(10, 0, "/a", 20, 25, 1001),
        cand(11, 0, "/b", 21, 26, 2003),
    ]);
    assert_eq!(p, [((1, 1), (10, 0)), ((1, 3), (11, 0))]);
    let by = |c: Vec<Candidate>| {
        let mut pairs = Vec::new();
        pair_by_path(&c, &mut pairs);
        pairs
    };
    let one = by(vec![
        cand(1, 1, "/a", 7, 30, 1000),
        cand(10, 0, "/a", 20, 25, 1001),
    ]);
    match one.first().map(|p| &p.by) {
        Some(LinkedBy::PathAndTiming {
            host: true,
            connect: 7,
            upgrade: 20,
            answer: 30,
            closes_ms: Some(ms),
        }) => assert!((ms - 1.0).abs() < 1e-6),
        other => panic!("{other:?}"),
    }
    // The closes tell two streams of one path apart when only one stream's close
    // follows the back leg's.
    assert_eq!(
        by_path(vec![
            cand(1, 1, "/a", 7, 30, 1000),
            cand(1, 3, "/a", 8, 31, 9000),
            cand(10, 0, "/a", 20, 25, 9001),
        ]),
        [((1, 3), (10, 0))]
    );
    let stream = || cand(1, 1, "/a", 7, 30, 1000);
    let back = |order: u64, path: &str, req: u64, closing: i64| {
        cand(order, 0, path, req, req + 5, closing)
    };
    let mut open = back(10, "/a", 20, 0);
    open.closing = None;
    let mut to_proxy = back(10, "/a", 20, 1001);
    to_proxy.server = digest("proxy");
    for (why, c) in [
        (
            "two streams of one path at once, two back legs",
            vec![
                stream(),
                cand(1, 3, "/a", 7, 30, 1000),
                back(10, "/a", 20, 1001),
                back(11, "/a", 21, 1001),
            ],
        ),
        (
            "one stream, two back legs in its window",
            vec![stream(), back(10, "/a", 20, 1001), back(11, "/a", 21, 1001)],
        ),
        (
            "two streams of one path, one back leg",
            vec![
                stream(),
                cand(1, 3, "/a", 8, 31, 1000),
                back(10, "/a", 20, 1001),
            ],
        ),
        // The path alone is not enough.
        (
            "an upgrade before the CONNECT",
            vec![stream(), back(10, "/a", 5, 1001)],
        ),
        (
            "an upgrade after the 200",
            vec![stream(), back(10, "/a", 31, 1001)],
        ),
        (
            "closes farther apart than CLOSE_GAP_S",
            vec![stream(), back(10, "/a", 20, 2001)],
        ),
        ("one leg still open", vec![stream(), open]),
        (
            "a connection to the proxy itself (another client's)",
            vec![stream(), to_proxy],
        ),
        ("another path", vec![stream(), back(10, "/b", 20, 1001)]),
        (
            "another input",
            vec![stream(), back(1 << 48 | 10, "/a", 20, 1001)],
        ),
    ] {
        assert!(by_path(c).is_empty(), "linked: {why}");
    }
}

/// A key link takes its connections out of the path-and-timing pairing.
#[test]
fn keyed_legs_are_not_paired_again_by_path() {
    const A: &str = "qtxv6qxPKu9EgLpm6exfaQ==";
    let index = Index {
        legs: vec![leg(0, A, 10, 0, 100), leg(0, A, 11, 1, 90)],
        candidates: vec![cand(1, 1, "/a", 7, 30, 0), cand(11, 0, "/a", 20, 25, 0)],
        ..Index::default()
    };
    let p = super::pairs(index);
    assert_eq!(p.len(), 1);
    assert_eq!(
        (p[0].front, p[0].back, &p[0].by),
        ((10, 0), (11, 0), &LinkedBy::Key)
    );
}

#[test]
fn too_many_streams_at_once_are_left_unlinked() {
    let mut c: Vec<Candidate> = (0..=ACTIVE_MAX as u32)
        .map(|k| cand(1, 2 * k + 1, "/a", 7, 1000, 1000))
        .collect();
    c.push(cand(10, 0, "/a", 20, 25, 1000));
    assert!(by_path(c).is_empty());
}

/// The work of pairing `legs`, and the pairs (front, back) it made, sorted.
fn work(legs: Vec<Leg>) -> (u64, Vec<(u64, u64)>) {
    let mut work = 0;
    let mut p: Vec<(u64, u64)> = pairs_counted(
        Index {
            legs,
            candidates: Vec::new(),
            ..Index::default()
        },
        &mut work,
    )
    .into_iter()
    .map(|p| (p.front.0, p.back.0))
    .collect();
    p.sort_unstable();
    (work, p)
}

/// Issue 67 item 12: sessions sharing one constant key, all open at once, cost the pairing
/// work that grows as n log n, not n² (160 000 of them took 32 s, 78 % of it here): twice the
/// sessions, about twice the legs looked at. Counted, not timed. Three crowds: distinct
/// clients of one server (no legs), a proxy relaying every session with the key (a pair
/// each), and a load test run on the server's own host (no legs: every session goes where
/// the first went).
#[test]
fn legs_sharing_one_key_are_paired_in_n_log_n() {
    const K: &str = "dGhlIHNhbXBsZSBub25jZQ==";
    const END: i64 = 1 << 40;
    // What it is, its legs for n sessions, and how many pairs they make.
    type Crowd = (&'static str, fn(usize) -> Vec<Leg>, fn(usize) -> usize);
    let crowds: [Crowd; 3] = [
        (
            "distinct clients",
            |n| {
                (0..n)
                    .map(|i| {
                        let c = format!("client-{i}");
                        at(0, K, i as u64 + 1, i as i64, END, (&c, "server", 80))
                    })
                    .collect()
            },
            |_| 0,
        ),
        (
            "a proxy",
            |n| {
                (0..n)
                    .map(|i| {
                        let (c, s, port) = if i % 2 == 0 {
                            (format!("client-{i}"), "proxy", 443)
                        } else {
                            ("proxy".to_string(), "backend", 8080)
                        };
                        at(0, K, i as u64 + 1, i as i64, END - i as i64, (&c, s, port))
                    })
                    .collect()
            },
            |n| n / 2,
        ),
        (
            "a load test on the server",
            |n| {
                (0..n)
                    .map(|i| at(0, K, i as u64 + 1, i as i64, END, ("server", "server", 80)))
                    .collect()
            },
            |_| 0,
        ),
    ];
    for (what, crowd, want) in crowds {
        let mut seen = Vec::new();
        for n in [10_000, 20_000] {
            let (w, p) = work(crowd(n));
            assert_eq!(p.len(), want(n), "{what}, {n}");
            // A proxy's fronts each with the back leg that started right after it.
            assert!(p.iter().all(|&(f, b)| b == f + 1), "{what}, {n}");
            seen.push(w);
        }
        let ratio = seen[1] as f64 / seen[0] as f64;
        assert!(ratio < 2.5, "{what}: work {seen:?}, ratio {ratio:.2}");
    }
}

/// A proxy with an address on each network (issue 69): the back leg leaves from another
/// address than the one the client reached. Linked by the key when these two alone carry
/// it and their handshakes nest (the back leg's upgrade and 101 between the client's
/// upgrade and 101); else not at all.
#[test]
fn a_back_leg_from_another_address_is_linked_by_its_nested_handshake() {
    const K: &str = "x3JJHMbDL1EzLkh9GBhXDw==";
    let front = at(0, K, 1, 0, 100, ("client", "proxy-front", 443));
    let back = at(0, K, 2, 10, 90, ("proxy-back", "backend", 8080));
    // Upgrade requests and 101s: the client's in packets 4 and 12, the backend's in 7
    // and 9.
    let hs = |f: (u64, u64), b: (u64, u64)| {
        vec![
            cand(1, 0, "/ws", f.0, f.1, 95),
            cand(2, 0, "/ws", b.0, b.1, 95),
        ]
    };
    let linked = |legs: Vec<Leg>, candidates: Vec<Candidate>| {
        let mut p: Vec<Pair> = super::pairs(Index {
            legs,
            candidates,
            ..Index::default()
        });
        p.sort_unstable_by_key(|p| p.front);
        p
    };
    let p = linked(vec![front, back], hs((4, 12), (7, 9)));
    assert_eq!(
        p,
        [Pair {
            front: (1, 0),
            back: (2, 0),
            by: LinkedBy::KeyAndHandshakes {
                request: 4,
                upgrade: 7,
                upgrade_answer: 9,
                answer: 12,
            },
        }]
    );
    assert_eq!(p[0].by.name(), "sec_websocket_key_and_handshakes");
    // Not nested: the client answered before the backend, or the back leg's upgrade
    // sent before the client's.
    assert!(linked(vec![front, back], hs((4, 8), (7, 9))).is_empty());
    assert!(linked(vec![front, back], hs((6, 12), (5, 9))).is_empty());
    // A handshake not captured (no candidate): not linked.
    assert!(linked(vec![front, back], hs((4, 12), (7, 9))[..1].to_vec()).is_empty());
    // A third connection with the key (a load test replaying one key, THREATS kind 3):
    // nothing tells which is the back leg, none is linked.
    let third = at(0, K, 3, 11, 90, ("proxy-back", "backend", 8080));
    let mut three = hs((4, 12), (7, 9));
    three.push(cand(3, 0, "/ws", 8, 10, 95));
    assert!(linked(vec![front, back, third], three).is_empty());
    // From the client's own address (a client with a constant key opening a second
    // connection), after the front leg ended, or to the front leg's own server: no.
    let same_client = at(0, K, 2, 10, 90, ("client", "backend", 8080));
    assert!(linked(vec![front, same_client], hs((4, 12), (7, 9))).is_empty());
    let later = at(0, K, 2, 101, 190, ("proxy-back", "backend", 8080));
    assert!(linked(vec![front, later], hs((4, 12), (7, 9))).is_empty());
    let same_server = at(0, K, 2, 10, 90, ("proxy-back", "proxy-front", 443));
    assert!(linked(vec![front, same_server], hs((4, 12), (7, 9))).is_empty());
    // Where the back leg leaves from the proxy's address, the address rule links it, as
    // before, by the key.
    let from_proxy = at(0, K, 2, 10, 90, ("proxy-front", "backend", 8080));
    let p = linked(vec![front, from_proxy], hs((4, 12), (7, 9)));
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].by, LinkedBy::Key);
}

/// Many pairs of legs from other addresses, each pair with a key of its own: each linked,
/// the work linear in the connections.
#[test]
fn pairs_from_other_addresses_are_linked_in_linear_work() {
    let n = 2_000u64;
    let mut legs = Vec::new();
    let mut candidates = Vec::new();
    for i in 0..n {
        let key = format!("key-{i}");
        let (f, b) = (10 * i + 1, 10 * i + 2);
        legs.push(at(0, &key, f, 0, 100, ("client", "proxy-front", 443)));
        legs.push(at(0, &key, b, 10, 90, ("proxy-back", "backend", 8080)));
        candidates.push(cand(f, 0, "/ws", f + 3, f + 8, 95));
        candidates.push(cand(b, 0, "/ws", f + 4, f + 5, 95));
    }
    let mut work = 0;
    let pairs = pairs_counted(
        Index {
            legs,
            candidates,
            ..Index::default()
        },
        &mut work,
    );
    assert_eq!(pairs.len() as u64, n);
    assert!(pairs
        .iter()
        .all(|p| matches!(p.by, LinkedBy::KeyAndHandshakes { .. }) && p.back.0 == p.front.0 + 1));
    assert!(work <= 10 * n, "{work}");
}
