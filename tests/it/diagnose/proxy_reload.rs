//! Proxies reloaded or stopped, and quiet spells that match a known timeout, on captures
//! recorded through Caddy 2.6, Apache httpd 2.4, nginx 1.22 and HAProxy 2.6 (fixtures/proxy/,
//! fixtures/record/proxy/record_reload.sh): the reload or stop named as a cause with its
//! packets and its fix, the close frames each application sent in answer to the proxy's own
//! never said to be relayed to a frame that came before them, a proxy's byte-for-byte copy
//! of the client's close frame (its masking key and payload) told from its own close, also
//! with a close frame split (one lost or cut off: tests/it/diagnose/proxy_unknown.rs), and a spell of a
//! known default said as a match. The same with the reports spilled to the temporary file
//! and sharded.

use crate::common::kept;
use crate::common::proxied;
use crate::common::run;
use assert_cmd::Command;
use proxied::*;
use serde_json::Value;
use std::path::PathBuf;
use wsclose::__internals::analyzer::Options;

#[test]
fn caddy_reload_and_stop_are_named_with_the_proxys_own_close_frames() {
    for name in ["proxy/caddy-reload.pcap", "proxy/caddy-stop.pcap"] {
        let r = json(&[name], &[]);
        assert_eq!(conns(&r).len(), 2, "{name}");
        for c in conns(&r) {
            // What each application saw: the proxy's 1001.
            assert_eq!(c["status"]["code"], 1001, "{name}: {c}");
            assert_eq!(c["leg"]["ended_by"], "proxy");
            let k = kinds(c);
            assert_eq!(
                k[..2],
                ["close-frame", "proxy-reload-or-stop"],
                "{name}: {k:?}"
            );
            let p = cause(c, "proxy-reload-or-stop");
            assert_eq!(p["close_frames"], true);
            assert!(p["apart_ms"].as_f64().unwrap() < 1.0, "{p}");
            let legs = &p["legs"];
            assert_eq!(legs["front"], 1);
            assert_eq!(legs["back"], 2);
            assert_eq!(legs["front_end"]["packet"], 45);
            assert_eq!(legs["front_end"]["by"], "server");
            assert_eq!(legs["front_end"]["name"], "close frame 1001");
            assert_eq!(legs["back_end"]["packet"], 48);
            assert_eq!(legs["back_end"]["by"], "client");
            // The last tick came 43 ms before: no quiet spell.
            assert_eq!(legs["last_frame_packet"], 43, "{legs}");
            assert!(legs["quiet_ms"].as_f64().unwrap() < 100.0, "{legs}");
            let t = text(c);
            assert!(t.contains("The proxy closed both legs itself at the same instant: a close frame 1001 (packet 45) to the client (connection 1) and a close frame 1001 (packet 48) to the backend (connection 2)"), "{t}");
            assert!(
                t.contains("after the last frame on either leg (packet 43)"),
                "{t}"
            );
            assert!(t.contains("Neither application started the close"), "{t}");
            assert!(t.contains("caddy reload"), "{t}");
            let fix = c["status"]["fix"].as_str().unwrap();
            assert!(
                fix.starts_with("Let the proxy drain its WebSockets"),
                "{fix}"
            );
            assert!(fix.contains("worker_shutdown_timeout") && fix.contains("backoff"));
        }
    }
}

#[test]
fn a_reply_to_the_proxys_own_close_is_not_relayed() {
    let r = json(&["proxy/caddy-reload.pcap"], &[]);
    let c = &conns(&r)[0];
    let relays = cause(c, "relayed-close")["relays"]
        .as_array()
        .unwrap()
        .clone();
    let how: Vec<(&str, u64, Option<u64>)> = relays
        .iter()
        .map(|x| {
            (
                x["how"].as_str().unwrap(),
                x["packet"].as_u64().unwrap(),
                x["to_packet"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        how,
        [
            ("proxy-own", 45, None),
            ("proxy-own", 48, None),
            ("answers-proxy", 50, Some(45)),
            ("answers-proxy", 52, Some(48)),
        ]
    );
    let said: Vec<&str> = c["leg"]["relayed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(
        said[2],
        "the client's close frame 1001 (connection 1, packet 50) answered the proxy's own (packet 45) and was not relayed"
    );
    assert_eq!(
        said[3],
        "the backend's close frame 1002 (connection 2, packet 52) answered the proxy's own (packet 48) and was not relayed"
    );
    assert!(!text(c).contains("was relayed"), "{}", text(c));
}

/// Every relayed close frame of every proxied fixture names a packet after it.
#[test]
fn a_relay_never_names_a_packet_before_the_frame() {
    let dir = fixture("proxy");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| format!("proxy/{}", e.unwrap().file_name().to_string_lossy()))
        .filter(|n| n.ends_with(".pcap"))
        .collect();
    names.sort();
    let mut relayed = 0;
    for name in &names {
        let r = json(&[name], &[]);
        for c in conns(&r) {
            let Some(rc) = c["status"]["causes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|k| k["kind"] == "relayed-close")
            else {
                continue;
            };
            for x in rc["relays"].as_array().unwrap() {
                let (p, to) = (x["packet"].as_u64().unwrap(), x["to_packet"].as_u64());
                match x["how"].as_str().unwrap() {
                    "unchanged" | "changed" => {
                        relayed += 1;
                        assert!(to.unwrap() > p, "{name}: {x}");
                        assert_ne!(x["to_connection"], x["connection"], "{name}: {x}");
                    }
                    "answers-proxy" => assert!(to.unwrap() < p, "{name}: {x}"),
                    _ => assert!(to.is_none(), "{name}: {x}"),
                }
            }
        }
    }
    // The backend-close and many fixtures of nginx and HAProxy, and the HTTP/2 front.
    assert!(relayed >= 20, "{relayed} relays in {names:?}");
}

#[test]
fn nginx_and_haproxy_reloads_end_both_legs_at_once_with_no_quiet_spell() {
    // HAProxy at hard-stop-after (1 s) after a reload (SIGUSR2 to its master).
    let r = json(&["proxy/haproxy-reload.pcap"], &[]);
    for c in conns(&r) {
        assert_eq!(kinds(c), ["proxy-reload-or-stop"]);
        let l = &cause(c, "proxy-reload-or-stop")["legs"];
        assert_eq!(
            (&l["front_end"]["packet"], &l["back_end"]["packet"]),
            (&71.into(), &68.into())
        );
        assert_eq!(l["last_frame_packet"], 66);
        assert!(l["quiet_ms"].as_f64().unwrap() < 250.0, "{l}");
        assert!(text(c).contains("HAProxy when hard-stop-after runs out after a reload"));
    }
    // nginx at worker_shutdown_timeout (1 s) after a reload (SIGHUP).
    let r = json(&["proxy/nginx-reload.pcap"], &[]);
    for c in conns(&r) {
        assert_eq!(c["status"]["code"], 1006);
        assert_eq!(kinds(c), ["proxy-reload-or-stop"]);
        let p = cause(c, "proxy-reload-or-stop");
        assert_eq!(p["close_frames"], false);
        assert_eq!(p["legs"]["front_end"]["name"], "FIN");
        assert_eq!(p["legs"]["front_end"]["packet"], 72);
        assert_eq!(p["legs"]["back_end"]["packet"], 69);
        assert_eq!(p["legs"]["last_frame_packet"], 67);
        let quiet = p["legs"]["quiet_ms"].as_f64().unwrap();
        assert!(quiet < 250.0, "a tick every 250 ms: {quiet}");
        assert_eq!(c["evidence"]["packets"], serde_json::json!([69, 72]));
        let t = text(c);
        assert!(t.contains("too soon after it for an idle timeout"), "{t}");
        assert!(
            t.contains("worker_shutdown_timeout runs out after a reload"),
            "{t}"
        );
        assert!(c["status"]["fix"]
            .as_str()
            .unwrap()
            .contains("worker_shutdown_timeout"));
        assert_eq!(c["leg"]["ended_by"], "proxy");
    }
}

/// nginx stopped 0.7 s into a quiet session: less than a second of quiet, both legs at
/// once: a stop, not an idle timeout.
#[test]
fn a_proxy_stopped_within_a_second_of_quiet_is_named_as_such() {
    for name in ["proxy/nginx-stop.pcap", "proxy/haproxy-stop.pcap"] {
        let r = json(&[name], &[]);
        for c in conns(&r) {
            assert_eq!(kinds(c), ["proxy-reload-or-stop"], "{name}");
            let q = cause(c, "proxy-reload-or-stop")["legs"]["quiet_ms"]
                .as_f64()
                .unwrap();
            assert!((700.0..800.0).contains(&q), "{name}: {q}");
        }
    }
}

#[test]
fn apache_idle_timeout_is_the_proxys_on_both_legs() {
    let r = json(&["proxy/apache-idle.pcap"], &[]);
    for c in conns(&r) {
        assert_eq!(kinds(c), ["proxy-idle-timeout"]);
        let legs = &cause(c, "proxy-idle-timeout")["legs"];
        let q = legs["quiet_ms"].as_f64().unwrap();
        assert!((1990.0..2100.0).contains(&q), "{q}");
        assert_eq!(legs["front_end"]["packet"], 24);
        assert_eq!(legs["back_end"]["packet"], 21);
        assert!(text(c).contains("an idle timeout of that length (2 s)"));
        // 2 s is no known default.
        assert!(!text(c).contains("matches the default"), "{}", text(c));
    }
}

#[test]
fn a_quiet_spell_of_a_known_default_is_said_as_a_match() {
    // Both legs: nginx's 60 s, named among the defaults it matches.
    let r = json(&["proxy/nginx-idle-60s.pcap"], &[]);
    for c in conns(&r) {
        assert!(text(c).contains("It matches the default of nginx's proxy_read_timeout / proxy_send_timeout (60 s), the Kubernetes ingress-nginx controller's"), "{}", text(c));
    }
    // The client's leg alone: the peer may be the proxy or the server.
    let r = json(&["proxy/nginx-idle-60s-front-only.pcap"], &[]);
    let c = &conns(&r)[0];
    let m = cause(c, "idle-timeout");
    assert_eq!(
        m["matches"],
        serde_json::json!([
            "nginx",
            "ingress-nginx",
            "apache",
            "aws-alb",
            "nghttpx-backend-read",
            "lighttpd",
            "varnish-pipe"
        ])
    );
    let t = text(c);
    assert!(t.contains("That quiet spell (60.0 s) matches the default of nginx's proxy_read_timeout / proxy_send_timeout (60 s)"), "{t}");
    assert!(
        t.contains("Apache httpd's Timeout / ProxyTimeout (60 s)"),
        "{t}"
    );
    assert!(
        t.contains("the peer (a proxy or the server) may have closed"),
        "{t}"
    );
    assert!(!t.contains("most likely"), "{t}");
    // A 2 s spell matches nothing: no idle-timeout cause at all.
    let r = json(&["python-no-close-fin.pcap"], &[]);
    for c in conns(&r) {
        assert!(!kinds(c).contains(&"idle-timeout"), "{}", c["status"]);
    }
}

#[test]
fn the_reload_is_the_same_in_memory_on_disk_and_sharded() {
    let names = [
        "proxy/caddy-reload.pcap",
        "proxy/nginx-reload.pcap",
        "proxy/haproxy-reload.pcap",
        "proxy/apache-idle.pcap",
        "proxy/caddy-reload-delayed-relay.pcap",
    ];
    let paths: Vec<PathBuf> = names.iter().map(|n| fixture(n)).collect();
    kept::same_in_memory_on_disk_and_sharded(&paths);
}

/// The proxy's own close frames name a reload only when they came at one instant: the
/// backend's leg's moved 200 ms later, they are two closes of its own, not one event.
#[test]
fn own_closes_apart_are_not_one_reload() {
    let paths = [fixture("proxy/caddy-reload.pcap")];
    let mut report = wsclose::analyze_files(&paths, Options::default()).unwrap();
    let [f, b] = &mut report.connections[..] else {
        panic!("two legs")
    };
    let has = |r: &wsclose::report::ConnectionReport| {
        r.status
            .causes
            .iter()
            .any(|c| c.kind() == "proxy-reload-or-stop")
    };
    assert!(has(f) && has(b));
    let mut report = wsclose::analyze_files(&paths, Options::default()).unwrap();
    let [f, b] = &mut report.connections[..] else {
        panic!("two legs")
    };
    // Analyzed afresh, then linked again with the back leg's frames 200 ms later.
    for c in &mut b.close_frames {
        c.time = wsclose::Timestamp(c.time.0 + 200_000_000);
    }
    let before: Vec<_> = f.status.causes.clone();
    f.status
        .causes
        .retain(|c| c.kind() != "proxy-reload-or-stop");
    b.status
        .causes
        .retain(|c| c.kind() != "proxy-reload-or-stop");
    wsclose::diagnose::proxied::link(f, b, &wsclose::report::legs::LinkedBy::Key);
    assert!(!has(f) && !has(b), "{:?}", f.status.causes);
    assert_ne!(before, f.status.causes);
    // Still the proxy's own frames, each.
    let leg = f.leg.as_ref().unwrap();
    assert_eq!(
        leg.relayed
            .iter()
            .filter(|n| n.starts_with("the proxy sent its own close frame"))
            .count(),
        2,
        "{:?}",
        leg.relayed
    );
}

/// The table names a reload with close frames where the close frames alone read as an
/// ordinary 1001 (issue 60: "reported as a relay of the client's close, the reload not
/// named"): each leg's status cell leads with the proxy ending both legs at one instant.
#[test]
fn the_table_names_the_reload_a_proxy_closed_with_close_frames() {
    for name in ["proxy/caddy-reload.pcap", "proxy/caddy-stop.pcap"] {
        let out = Command::cargo_bin("wsclose")
            .unwrap()
            .env("COLUMNS", "400")
            .arg("analyze")
            .arg(fixture(name))
            .output()
            .unwrap();
        let table = String::from_utf8(out.stdout).unwrap();
        let named = table
            .lines()
            .filter(|l| l.contains("the proxy ended both legs at one instant: close frame 1001 to the client (connection 1, packet"))
            .count();
        assert_eq!(
            named, 2,
            "{name}: each leg's cell names the reload:\n{table}"
        );
        assert!(table.contains("the proxy reloaded or stopped"), "{table}");
    }
}

/// Issue 69 item 5 on real packets: Caddy 2.6.2 reloaded and stopped with its path to the
/// backend 50 ms long, each leg captured where it arrives (fixtures/README.md,
/// record_reload_netns.sh), with a Python `websockets` client and with a Node `ws` one:
/// Caddy's 1001 to the client (#43), the client's echo, and 50 ms later Caddy's own
/// unmasked 1001 reaching the backend, which answers it. The back-leg 1001 is the proxy's
/// own, not a relay of the echo, and the reload or stop is named on both legs. At the fix's
/// parent (1b81ee9^) the echo was "relayed unchanged" to the back-leg 1001 and no
/// `proxy-reload-or-stop` was named, on all four.
#[test]
fn the_proxys_own_close_reaching_the_backend_after_the_clients_echo_is_its_own() {
    // The capture, the client's echo, the proxy's 1001 to the backend, the backend's answer.
    for (name, echo, own, reply) in [
        ("proxy/caddy-reload-delayed.pcap", 46, 48, 50),
        ("proxy/caddy-stop-delayed.pcap", 46, 48, 49),
        ("proxy/caddy-reload-delayed-node.pcap", 45, 49, 51),
        ("proxy/caddy-stop-delayed-node.pcap", 45, 48, 49),
    ] {
        let r = json(&[name], &[]);
        assert_eq!(conns(&r).len(), 2, "{name}");
        for c in conns(&r) {
            assert_eq!(c["status"]["code"], 1001, "{name}: {c}");
            assert_eq!(c["leg"]["ended_by"], "proxy", "{name}");
            let k = kinds(c);
            assert_eq!(
                k[..2],
                ["close-frame", "proxy-reload-or-stop"],
                "{name}: {k:?}"
            );
            let p = cause(c, "proxy-reload-or-stop");
            assert_eq!(p["close_frames"], true);
            assert_eq!(p["legs"]["front_end"]["packet"], 43, "{name}: {p}");
            assert_eq!(p["legs"]["back_end"]["packet"], own, "{name}: {p}");
            // Sent at once, seen 50 ms apart: the back leg's packets arrive 50 ms late.
            let apart = p["apart_ms"].as_f64().unwrap();
            assert!((45.0..60.0).contains(&apart), "{name}: {p}");
            let relays = relays(c);
            assert_eq!(
                relays,
                [
                    ("proxy-own", 43, None),
                    ("answers-proxy", echo, Some(43)),
                    ("proxy-own", own, None),
                    ("answers-proxy", reply, Some(own)),
                ],
                "{name}: {c}"
            );
            let said = c["leg"]["relayed"].to_string();
            assert!(!said.contains("was relayed"), "{name}: {said}");
            assert!(
                said.contains(&format!(
                    "the proxy sent its own close frame 1001 to the backend (connection 2, packet {own})"
                )),
                "{name}: {said}"
            );
            let t = text(c);
            assert!(
                t.contains("The proxy closed both legs itself"),
                "{name}: {t}"
            );
        }
    }
}

/// The same reload where Caddy did relay the client's echo (fixtures/README.md): the back
/// leg's first close frame (#50) is the client's #45 byte for byte (`88827ae5d5e6790c`,
/// its masking key and all), the backend answered it (#51), and only then came Caddy's own
/// unmasked 1001 (#52). The copy is a relay, the backend's answer to it nothing to pass on
/// (the client had answered the proxy already), and the proxy's own close on the back leg
/// is #52. At 017b5f6, whose close frames kept no masking key, #50 was called the proxy's
/// own and the echo "relayed unchanged" to #52.
#[test]
fn a_relayed_echo_before_the_proxys_own_close_is_a_relay() {
    let r = json(&["proxy/caddy-reload-delayed-relay.pcap"], &[]);
    assert_eq!(conns(&r).len(), 2);
    for c in conns(&r) {
        assert_eq!(c["status"]["code"], 1001, "{c}");
        let p = cause(c, "proxy-reload-or-stop");
        assert_eq!(p["close_frames"], true);
        assert_eq!(p["legs"]["front_end"]["packet"], 43, "{p}");
        assert_eq!(p["legs"]["back_end"]["packet"], 52, "{p}");
        let apart = p["apart_ms"].as_f64().unwrap();
        assert!((45.0..60.0).contains(&apart), "{p}");
        assert_eq!(
            relays(c),
            [
                ("proxy-own", 43, None),
                ("unchanged", 45, Some(50)),
                ("not-passed-on", 51, None),
                ("proxy-own", 52, None),
            ],
            "{c}"
        );
        let said = c["leg"]["relayed"].to_string();
        assert!(
            said.contains("the client's close frame 1001 (connection 1, packet 45) was relayed unchanged to connection 2 (packet 50)"),
            "{said}"
        );
        assert!(
            said.contains(
                "the proxy sent its own close frame 1001 to the backend (connection 2, packet 52)"
            ),
            "{said}"
        );
        assert!(
            text(c).contains("The proxy closed both legs itself"),
            "{}",
            text(c)
        );
    }
}

/// The record `rec` of a classic pcap of Ethernet, IPv4 and TCP, as two: the TCP payload
/// cut after `k` bytes, the second segment's sequence number moved on by `k`, each IPv4
/// total length and record length set to match (checksums are not read).
fn split_record(rec: &[u8], k: usize) -> [Vec<u8>; 2] {
    let ip = 16 + 14;
    assert_eq!(rec[ip] >> 4, 4, "IPv4");
    let tcp = ip + usize::from(rec[ip] & 0x0f) * 4;
    let payload = tcp + usize::from(rec[tcp + 12] >> 4) * 4;
    assert!(k > 0 && payload + k < rec.len());
    let part = |bytes: &[u8], seq_add: u32| {
        let mut r = rec[..payload].to_vec();
        r.extend_from_slice(bytes);
        let caplen = (r.len() - 16) as u32;
        r[8..12].copy_from_slice(&caplen.to_le_bytes());
        r[12..16].copy_from_slice(&caplen.to_le_bytes());
        let total = (r.len() - ip) as u16;
        r[ip + 2..ip + 4].copy_from_slice(&total.to_be_bytes());
        let seq = u32::from_be_bytes(r[tcp + 4..tcp + 8].try_into().unwrap());
        r[tcp + 4..tcp + 8].copy_from_slice(&seq.wrapping_add(seq_add).to_be_bytes());
        r
    };
    [
        part(&rec[payload..payload + k], 0),
        part(&rec[payload + k..], k as u32),
    ]
}

/// The relayed reload with the client's echo (#45) and its copy (#50) each cut in two
/// segments at every byte (THREATS kind 6: the masking key split), so every packet after
/// each moves on by one: the copy is still the echo relayed, the proxy's own the last.
#[test]
fn the_relay_is_read_with_the_close_frames_split_at_every_byte() {
    let (head, recs) =
        pcap_records(&std::fs::read(fixture("proxy/caddy-reload-delayed-relay.pcap")).unwrap());
    let dir = tempfile::tempdir().unwrap();
    for k in 1..8 {
        let mut bytes = head.clone();
        for (i, r) in recs.iter().enumerate() {
            if i == 44 || i == 49 {
                assert_eq!(&r[r.len() - 8..], b"\x88\x82\x7a\xe5\xd5\xe6\x79\x0c");
                split_record(r, k)
                    .iter()
                    .for_each(|p| bytes.extend_from_slice(p));
            } else {
                bytes.extend_from_slice(r);
            }
        }
        let path = dir.path().join(format!("relay-split-{k}.pcap"));
        std::fs::write(&path, bytes).unwrap();
        let report = wsclose::analyze_files(&[path], Options::default()).unwrap();
        let r: Value = serde_json::to_value(&report.connections).unwrap();
        let cs = r.as_array().unwrap();
        assert_eq!(cs.len(), 2, "split at {k}");
        for c in cs {
            let p = cause(c, "proxy-reload-or-stop");
            assert_eq!(p["legs"]["back_end"]["packet"], 54, "split at {k}: {p}");
            assert_eq!(
                relays(c),
                [
                    ("proxy-own", 43, None),
                    ("unchanged", 46, Some(52)),
                    ("not-passed-on", 53, None),
                    ("proxy-own", 54, None),
                ],
                "split at {k}"
            );
        }
    }
}

/// The masking key a close frame is kept with is not in JSON (nor in any output): the
/// close frames show the documented fields only, with or without `--redact`.
#[test]
fn the_masking_key_is_kept_but_not_shown() {
    for extra in [&[][..], &["--redact"][..]] {
        let r = json(&["proxy/caddy-reload-delayed-relay.pcap"], extra);
        for c in conns(&r) {
            for f in c["close_frames"].as_array().unwrap() {
                let keys: Vec<&String> = f.as_object().unwrap().keys().collect();
                assert_eq!(
                    keys,
                    ["code", "from", "name", "packet", "problems", "reason", "time"],
                    "{f}"
                );
            }
        }
        assert!(!r.to_string().contains("7ae5d5e6"), "{extra:?}");
    }
}

/// Issue 69 item 5: the proxy sends its own 1001 to the client, the client's echo reaches
/// it, and only then does it close the backend itself. Built from caddy-stop.pcap (Caddy
/// 2.6.2 closes both legs 0.07 ms apart, the client's echo after both): the client's echo
/// (#52, 8 bytes) moved to just after the proxy's FIN to it (#47), before the proxy's 1001
/// to the backend (#48), each TCP connection's own packets left in their order. The
/// proxy's close on the back leg is its own, not a relay of the client's echo, and the
/// stop is named on both legs.
#[test]
fn the_proxys_own_close_on_the_back_leg_after_the_clients_echo_is_its_own() {
    let (head, recs) = pcap_records(&std::fs::read(fixture("proxy/caddy-stop.pcap")).unwrap());
    assert_eq!(recs.len(), 53);
    let echo_at = 51; // #52
    assert_eq!(
        recs[echo_at].len(),
        16 + 14 + 20 + 32 + 8,
        "the client's echo"
    );
    let mut order: Vec<Vec<u8>> = recs[..47].to_vec();
    let mut echo = recs[echo_at].clone();
    set_record_us(&mut echo, record_us(&recs[46]) + 5);
    assert!(record_us(&echo) < record_us(&recs[47]));
    order.push(echo);
    order.extend(recs[47..51].iter().cloned());
    order.push(recs[52].clone());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("caddy-stop-echo-first.pcap");
    let mut bytes = head;
    order.iter().for_each(|r| bytes.extend_from_slice(r));
    std::fs::write(&path, bytes).unwrap();

    let report = wsclose::analyze_files(&[path], Options::default()).unwrap();
    let r: Value = serde_json::to_value(&report.connections).unwrap();
    let cs = r.as_array().unwrap();
    assert_eq!(cs.len(), 2);
    for c in cs {
        assert_eq!(c["status"]["code"], 1001, "{c}");
        assert_eq!(c["leg"]["ended_by"], "proxy");
        let p = cause(c, "proxy-reload-or-stop");
        assert_eq!(p["close_frames"], true);
        assert_eq!(p["legs"]["front_end"]["packet"], 45);
        assert_eq!(p["legs"]["back_end"]["packet"], 49);
        assert!(p["apart_ms"].as_f64().unwrap() < 1.0, "{p}");
        let relays = relays(c);
        assert_eq!(
            relays,
            [
                ("proxy-own", 45, None),
                ("answers-proxy", 48, Some(45)),
                ("proxy-own", 49, None),
                ("answers-proxy", 51, Some(49)),
            ],
            "{c}"
        );
        let said = c["leg"]["relayed"].to_string();
        assert!(!said.contains("was relayed"), "{said}");
        assert!(
            said.contains(
                "the proxy sent its own close frame 1001 to the backend (connection 2, packet 49)"
            ),
            "{said}"
        );
        let t = text(c);
        assert!(t.contains("The proxy closed both legs itself"), "{t}");
    }
}

/// The copy rule on three proxies' recordings: nginx 1.22 and HAProxy 2.6 (HTTP/1.1 and an
/// HTTP/2 front) pass the client's close frame on byte for byte, its masking key and all,
/// as Caddy 2.6.2 did in the relayed reload; each such relay is read as "unchanged" from the
/// client's frame to its copy. The proxy's own close frames to the backend in every Caddy
/// recording are unmasked: never a copy of the client's.
#[test]
fn proxies_relay_the_clients_close_frame_byte_for_byte() {
    use wsclose::diagnose::reload::same_bytes;
    let mut copies = 0;
    for name in [
        "proxy/nginx-backend-close.pcap",
        "proxy/nginx-many.pcap",
        "proxy/haproxy-backend-close.pcap",
        "proxy/haproxy-many.pcap",
        "proxy/haproxy-h2c-front.pcap",
        "proxy/caddy-reload-delayed-relay.pcap",
    ] {
        let report = wsclose::analyze_files(&[fixture(name)], Options::default()).unwrap();
        let frame = |conn: u64, packet: u64| {
            let c = report.connections.iter().find(|c| c.id == conn).unwrap();
            c.close_frames.iter().find(|f| f.packet == packet).unwrap()
        };
        let json: Value = serde_json::to_value(&report.connections).unwrap();
        let mut seen = 0;
        for c in json.as_array().unwrap() {
            if c["leg"]["side"] != "front" {
                continue;
            }
            let Some(rc) = c["status"]["causes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|k| k["kind"] == "relayed-close")
            else {
                continue;
            };
            for x in rc["relays"].as_array().unwrap() {
                if x["role"] != "client" || x["how"] != "unchanged" {
                    continue;
                }
                let f = frame(
                    x["connection"].as_u64().unwrap(),
                    x["packet"].as_u64().unwrap(),
                );
                let g = frame(
                    x["to_connection"].as_u64().unwrap(),
                    x["to_packet"].as_u64().unwrap(),
                );
                assert!(f.mask_key.is_some(), "{name}: {x}");
                assert!(same_bytes(g, f), "{name}: {x}: {f:?} {g:?}");
                seen += 1;
            }
        }
        assert!(seen >= 1, "{name}");
        copies += seen;
    }
    assert!(copies >= 10, "{copies}");
    for name in [
        "proxy/caddy-reload.pcap",
        "proxy/caddy-stop.pcap",
        "proxy/caddy-reload-delayed.pcap",
        "proxy/caddy-stop-delayed.pcap",
        "proxy/caddy-reload-delayed-node.pcap",
        "proxy/caddy-stop-delayed-node.pcap",
        "proxy/caddy-reload-delayed-relay.pcap",
    ] {
        let report = wsclose::analyze_files(&[fixture(name)], Options::default()).unwrap();
        let json: Value = serde_json::to_value(&report.connections).unwrap();
        let own = &cause(&json[0], "proxy-reload-or-stop")["legs"]["back_end"]["packet"];
        let back = &report.connections[1];
        let f = back.close_frames.iter().find(|f| *own == f.packet).unwrap();
        assert_eq!(
            (f.from, f.mask_key),
            (wsclose::Role::Client, None),
            "{name}"
        );
    }
}

/// Issue 69: a proxy with an address on each network. caddy-reload-delayed-relay.pcap with
/// the back leg's proxy address rewritten from 10.69.1.2 (the address the client reached,
/// which record_reload_netns.sh makes Caddy's back leg leave from) to 10.69.2.1 (Caddy's
/// address on the backend's network, where its back leg left from before the script set
/// the route's source): the legs are linked by the key, which they alone carry, and their
/// nested handshakes, and read as before. At 017b5f6 (a back leg had to leave from the
/// front leg's server address) they were not linked and no reload was named.
#[test]
fn a_back_leg_from_the_proxys_other_address_is_linked() {
    let (head, recs) =
        pcap_records(&std::fs::read(fixture("proxy/caddy-reload-delayed-relay.pcap")).unwrap());
    let (front_addr, back_addr, backend) = ([10, 69, 1, 2], [10, 69, 2, 1], [10, 69, 2, 2]);
    let mut bytes = head;
    let mut moved = 0;
    for r in &recs {
        let mut r = r.clone();
        let ip = 16 + 14;
        let (src, dst) = (ip + 12, ip + 16);
        if r[src..src + 4] == front_addr && r[dst..dst + 4] == backend {
            r[src..src + 4].copy_from_slice(&back_addr);
            moved += 1;
        } else if r[src..src + 4] == backend && r[dst..dst + 4] == front_addr {
            r[dst..dst + 4].copy_from_slice(&back_addr);
            moved += 1;
        }
        bytes.extend_from_slice(&r);
    }
    assert!(moved > 20, "{moved}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join("caddy-reload-delayed-relay-two-addresses.pcap");
    std::fs::write(&path, bytes).unwrap();
    kept::same_in_memory_on_disk_and_sharded(std::slice::from_ref(&path));
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .args(["analyze", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&run::stdout_of(out)).unwrap();
    let was = json(&["proxy/caddy-reload-delayed-relay.pcap"], &[]);
    assert_eq!(conns(&r).len(), 2);
    assert_eq!(
        conns(&r)[1]["client"].as_str().unwrap().split(':').next(),
        Some("10.69.2.1")
    );
    for (c, w) in conns(&r).iter().zip(conns(&was)) {
        let leg = &c["leg"];
        assert_eq!(leg["linked_by"], "sec_websocket_key_and_handshakes", "{c}");
        let ev = leg["link_evidence"].as_str().unwrap();
        assert!(
            ev.contains("which no other connection of the capture does"),
            "{ev}"
        );
        assert_eq!(leg["relayed"], w["leg"]["relayed"]);
        assert_eq!(kinds(c), kinds(w));
        assert_eq!(
            cause(c, "proxy-reload-or-stop")["legs"],
            cause(w, "proxy-reload-or-stop")["legs"]
        );
        assert_eq!(leg["proxy"], w["leg"]["proxy"]);
    }
    // Each handshake packet the evidence names, in order: the client's request, the
    // backend's request and 101, the client's 101.
    let ev = conns(&r)[0]["leg"]["link_evidence"].as_str().unwrap();
    let h = |c: &Value, k: &str| c["handshake"][k].as_u64().unwrap();
    let (f, b) = (&conns(&r)[0], &conns(&r)[1]);
    assert!(h(f, "request_packet") < h(b, "request_packet"));
    assert!(h(b, "response_packet") < h(f, "response_packet"));
    for (what, p) in [
        (
            "the back leg's upgrade request (packet",
            h(b, "request_packet"),
        ),
        ("its 101 (packet", h(b, "response_packet")),
        ("the client's request (packet", h(f, "request_packet")),
    ] {
        assert!(ev.contains(&format!("{what} {p})")), "{ev}");
    }
}

/// Real proxies with an address per leg (fixtures/README.md): nginx 1.22.1 with its back
/// leg from 127.0.0.2 (`proxy_bind`) while the client reached it at 127.0.0.1, and Caddy
/// 2.6.2 with its back leg from its own address on the backend's network (10.69.2.1, the
/// client at 10.69.1.2). Each pair of legs is linked by its key and nested handshakes and
/// read as the same recording with one address is (nginx-backend-close.pcap: the
/// backend's 4001 relayed both ways; caddy-reload-delayed.pcap: the reload named on both
/// legs). At 017b5f6 neither was linked.
#[test]
fn real_proxies_with_an_address_per_leg_are_linked() {
    for (name, same, front_ip, back_ip) in [
        (
            "proxy/nginx-backend-close-two-addresses.pcap",
            "proxy/nginx-backend-close.pcap",
            "127.0.0.1",
            "127.0.0.2",
        ),
        (
            "proxy/caddy-reload-delayed-two-addresses.pcap",
            "proxy/caddy-reload-delayed.pcap",
            "10.69.1.2",
            "10.69.2.1",
        ),
    ] {
        let r = json(&[name], &[]);
        let was = json(&[same], &[]);
        let (f, b) = (&conns(&r)[0], &conns(&r)[1]);
        let ip = |h: &Value| h.as_str().unwrap().rsplit_once(':').unwrap().0.to_string();
        assert_eq!(
            (ip(&f["server"]), ip(&b["client"])),
            (front_ip.into(), back_ip.into())
        );
        for (c, w) in [f, b].into_iter().zip(conns(&was)) {
            assert_eq!(
                c["leg"]["linked_by"], "sec_websocket_key_and_handshakes",
                "{name}: {c}"
            );
            assert_eq!(w["leg"]["linked_by"], "sec_websocket_key", "{same}");
            assert_eq!(c["status"]["code"], w["status"]["code"], "{name}");
            assert_eq!(kinds(c), kinds(w), "{name}");
            assert_eq!(c["leg"]["ended_by"], w["leg"]["ended_by"], "{name}");
            let how = |c: &Value| {
                relays(c)
                    .iter()
                    .map(|x| x.0.to_string())
                    .collect::<Vec<_>>()
            };
            assert_eq!(how(c), how(w), "{name}");
        }
    }
    let r = json(&["proxy/caddy-reload-delayed-two-addresses.pcap"], &[]);
    for c in conns(&r) {
        let legs = &cause(c, "proxy-reload-or-stop")["legs"];
        assert_eq!(
            (&legs["front_end"]["packet"], &legs["back_end"]["packet"]),
            (&43.into(), &48.into())
        );
    }
}
