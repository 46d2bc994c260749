//! Sessions through a proxy (issue 34), on the captures recorded through nginx 1.22 and
//! HAProxy 2.6 (fixtures/proxy/, fixtures/record/proxy/): the two legs of each session
//! linked to each other and to no other, the proxy named as the closer of an idle session
//! with the quiet time it measured, a backend's end relayed by the proxy said as such, and
//! relayed close frames listed. An HTTP/2 front (RFC 8441 through HAProxy's h2c front)
//! linked to its HTTP/1.1 back legs by path and timing, only where one candidate fits each
//! way. The same with the reports in memory, spilled to the temporary file, and analyzed by
//! two threads.

use crate::common::kept;
use crate::common::run;

use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;
use wsclose::__internals::analyzer::Options;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/proxy")
        .join(format!("{name}.pcap"))
}

/// `wsclose analyze --format json`, with extra arguments.
fn json(names: &[&str], extra: &[&str]) -> Value {
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .args(["analyze", "--format", "json"])
        .args(extra)
        .args(names.iter().map(|n| fixture(n)))
        .output()
        .unwrap();
    serde_json::from_slice(&run::stdout_of(out)).unwrap()
}

fn conns(r: &Value) -> &Vec<Value> {
    r["connections"].as_array().unwrap()
}

fn port(addr: &Value) -> u16 {
    addr.as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn by_id(r: &Value, id: u64) -> &Value {
    conns(r).iter().find(|c| c["id"] == id).unwrap()
}

/// Every connection is a leg linked both ways to one other, the front leg's server is the
/// proxy (at `front_port`) and the back leg's server the backend (at `back_port`), and
/// each connection has exactly one partner. Returns the (front, back) pairs.
fn check_pairs(r: &Value, front_port: u16, back_port: u16) -> Vec<(u64, u64)> {
    let mut pairs = Vec::new();
    for c in conns(r) {
        let id = c["id"].as_u64().unwrap();
        let other = c["other_leg"]
            .as_u64()
            .unwrap_or_else(|| panic!("connection {id} not linked: {c}"));
        assert_ne!(other, id);
        let o = by_id(r, other);
        assert_eq!(o["other_leg"], id, "the link goes both ways");
        let leg = &c["leg"];
        assert_eq!(leg["other_leg"], other);
        assert_eq!(port(&leg["proxy"]), front_port, "{leg}");
        match leg["side"].as_str().unwrap() {
            "front" => {
                assert_eq!(port(&c["server"]), front_port);
                assert_eq!(o["leg"]["side"], "back");
                assert_eq!(port(&o["server"]), back_port);
                // The back leg starts while the front leg is open, from the proxy's address.
                assert_eq!(
                    o["client"].as_str().unwrap().rsplit_once(':').unwrap().0,
                    c["server"].as_str().unwrap().rsplit_once(':').unwrap().0
                );
                pairs.push((id, other));
            }
            "back" => assert_eq!(o["leg"]["side"], "front"),
            s => panic!("side {s}"),
        }
    }
    assert_eq!(pairs.len() * 2, conns(r).len());
    pairs
}

/// The number after `prefix` in `text` ("after 2000 ms" → 2000).
fn number_after(text: &str, prefix: &str) -> f64 {
    let at = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix:?} in {text}"))
        + prefix.len();
    let n: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    n.parse().unwrap()
}

/// The proxy's FIN or RST on each leg: the front leg's first end is the server's (the
/// proxy's), the back leg's first end the client's (the proxy's again).
fn first_end(c: &Value) -> (&str, &str, u64) {
    let e = &c["tcp_ends"][0];
    (
        e["by"].as_str().unwrap(),
        e["kind"].as_str().unwrap(),
        e["packet"].as_u64().unwrap(),
    )
}

#[test]
fn idle_timeout_names_the_proxy_with_the_quiet_time_on_both_legs() {
    // nginx: FIN on both legs; HAProxy: FIN to the client, RST to the backend.
    for (name, front, back, kinds) in [
        ("nginx-idle", 18801, 18901, ("fin", "fin")),
        ("haproxy-idle", 18802, 18902, ("fin", "rst")),
    ] {
        let r = json(&[name], &[]);
        let pairs = check_pairs(&r, front, back);
        assert_eq!(pairs.len(), 1, "{name}");
        let (f, b) = (by_id(&r, pairs[0].0), by_id(&r, pairs[0].1));
        let (fe, be) = (first_end(f), first_end(b));
        assert_eq!(
            (fe.0, fe.1),
            ("server", kinds.0),
            "{name}: the proxy ends the front leg"
        );
        assert_eq!(
            (be.0, be.1),
            ("client", kinds.1),
            "{name}: the proxy ends the back leg"
        );
        for c in [f, b] {
            assert_eq!(c["status"]["code"], 1006);
            assert_eq!(c["leg"]["ended_by"], "proxy", "{name}");
            let cause = c["status"]["cause"].as_str().unwrap();
            assert!(
                cause.starts_with("The proxy ended both legs"),
                "{name}: {cause}"
            );
            // The packets of both ends, each with its kind.
            for (e, leg) in [(fe, "client's leg"), (be, "backend's leg")] {
                let kind = e.1.to_uppercase();
                assert!(
                    cause.contains(&format!("{leg} (connection ")),
                    "{name}: {cause}"
                );
                assert!(
                    cause.contains(&format!("{kind} (packet {})", e.2)),
                    "{name}: {cause}"
                );
            }
            // The quiet spell is the configured 2 s timeout, measured to the millisecond.
            let quiet = number_after(cause, "after ");
            assert!((1990.0..=2010.0).contains(&quiet), "{name}: {quiet} ms");
            assert!(
                cause.contains("an idle timeout of that length (2 s)"),
                "{cause}"
            );
            let fix = c["status"]["fix"].as_str().unwrap();
            assert!(fix.contains("ping") && fix.contains("raise"), "{fix}");
            // nginx names itself in the client's 101 (Server: nginx/1.22.1; the backend's
            // says Python websockets): its own setting, no other product's. HAProxy passes
            // the backend's Server on: no product, the usual settings as candidates
            // (issue 69 item 1).
            if name == "nginx-idle" {
                assert_eq!(f["handshake"]["proxy_product"]["product"], "nginx");
                assert_eq!(f["handshake"]["proxy_product"]["version"], "1.22.1");
                assert!(b["handshake"].get("proxy_product").is_none(), "{b}");
                let named = &c["status"]["causes"][0]["proxy_product"];
                assert_eq!(named["product"], "nginx", "{c}");
                assert_eq!(named["header"], "server", "{c}");
                assert!(
                    cause.contains("The proxy names itself in the client's 101 (its Server, which the backend's 101 does not carry): nginx 1.22.1, whose setting for that is proxy_read_timeout / proxy_send_timeout (default 60 s)."),
                    "{cause}"
                );
                assert!(!cause.contains("timeout tunnel"), "{cause}");
                assert!(
                    fix.contains("raise nginx's proxy_read_timeout / proxy_send_timeout"),
                    "{fix}"
                );
            } else {
                assert!(f["handshake"].get("proxy_product").is_none(), "{f}");
                assert!(c["status"]["causes"][0]["proxy_product"].is_null(), "{c}");
                assert!(cause.contains("proxy_read_timeout") && cause.contains("timeout tunnel"));
                assert!(!cause.contains("names itself"), "{cause}");
            }
            let ev = &c["evidence"];
            assert!(
                ev["summary"]
                    .as_str()
                    .unwrap()
                    .starts_with("the proxy closed both legs"),
                "{ev}"
            );
            let mut want = vec![fe.2, be.2];
            want.sort_unstable();
            assert_eq!(ev["packets"], serde_json::json!(want));
        }
    }
}

#[test]
fn a_killed_backend_is_named_and_the_proxy_only_relayed_its_end() {
    for (name, front, back) in [
        ("nginx-backend-kill", 18805, 18905),
        ("haproxy-backend-kill", 18806, 18906),
    ] {
        let r = json(&[name], &[]);
        let pairs = check_pairs(&r, front, back);
        let (f, b) = (by_id(&r, pairs[0].0), by_id(&r, pairs[0].1));
        // The backend's FIN came first, on the back leg.
        assert_eq!(first_end(b).0, "server");
        for c in [f, b] {
            assert_eq!(c["status"]["code"], 1006);
            assert_eq!(c["leg"]["ended_by"], "backend");
            let cause = c["status"]["cause"].as_str().unwrap();
            assert!(
                cause.starts_with(&format!(
                    "The backend ended its leg (connection {}) with a FIN (packet {})",
                    b["id"],
                    first_end(b).2
                )),
                "{name}: {cause}"
            );
            assert!(
                cause.contains(&format!("with a FIN (packet {})", first_end(f).2)),
                "{cause}"
            );
            assert!(!cause.contains("idle timeout of that length"), "{cause}");
            assert!(c["status"]["fix"]
                .as_str()
                .unwrap()
                .contains("backend's logs"));
        }
    }
}

#[test]
fn a_backend_close_relayed_unchanged_is_listed() {
    for (name, front, back) in [
        ("nginx-backend-close", 18803, 18903),
        ("haproxy-backend-close", 18804, 18904),
    ] {
        let r = json(&[name], &[]);
        let pairs = check_pairs(&r, front, back);
        let (f, b) = (by_id(&r, pairs[0].0), by_id(&r, pairs[0].1));
        for c in [f, b] {
            assert_eq!(c["status"]["code"], 4001);
            assert_eq!(c["leg"]["proxy_changed_close"], false);
            assert_eq!(c["leg"]["ended_by"], "backend");
            let relayed: Vec<&str> = c["leg"]["relayed"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap())
                .collect();
            // The backend's close comes first, then the client's reply.
            let backend_close = b["close_frames"][0]["packet"].as_u64().unwrap();
            let relayed_close = f["close_frames"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["from"] == "server")
                .unwrap()["packet"]
                .as_u64()
                .unwrap();
            assert_eq!(
                relayed[0],
                format!(
                    "the backend's close frame 4001 (connection {}, packet {backend_close}) was relayed unchanged to connection {} (packet {relayed_close})",
                    b["id"], f["id"]
                ),
                "{name}"
            );
            assert_eq!(relayed.len(), 2, "{relayed:?}");
            assert!(relayed[1].starts_with("the client's close frame 4001"));
        }
    }
}

#[test]
fn sessions_at_once_each_link_to_their_own_partner() {
    for (name, front, back) in [("nginx-many", 18807, 18907), ("haproxy-many", 18808, 18908)] {
        let r = json(&[name], &[]);
        assert_eq!(conns(&r).len(), 6, "{name}");
        let pairs = check_pairs(&r, front, back);
        assert_eq!(pairs.len(), 3);
        let mut codes = Vec::new();
        for (f, b) in pairs {
            let (f, b) = (by_id(&r, f), by_id(&r, b));
            // Client i closes with 4000+i "bye i": both legs of a session carry the same
            // code and reason, and no two sessions do.
            let close = |c: &Value| {
                let x = &c["close_frames"][0];
                (
                    x["code"].as_u64().unwrap(),
                    x["reason"].as_str().unwrap().to_string(),
                )
            };
            assert_eq!(close(f), close(b), "{name}: linked to the wrong partner");
            assert_eq!(f["leg"]["ended_by"], "client");
            codes.push(close(f).0);
        }
        codes.sort_unstable();
        assert_eq!(codes, [4001, 4002, 4003]);
    }
}

#[test]
fn no_link_between_captures_or_sessions_of_other_keys() {
    // Two captures at once: only the legs within each are linked.
    let r = json(&["nginx-idle", "haproxy-idle", "nginx-many"], &[]);
    for c in conns(&r) {
        let o = by_id(&r, c["other_leg"].as_u64().unwrap());
        assert_eq!(c["input"], o["input"], "a link across inputs");
    }
}

/// An HTTP/2 front (RFC 8441, HAProxy 2.6 `proto h2`, a Node client) and HTTP/1.1 back
/// legs: no key to share, so the legs are linked by path and timing where that is
/// unambiguous, and said to be so; the two `/twin` streams opened at once are not linked.
#[test]
fn http2_front_legs_link_by_path_and_timing_only_when_unambiguous() {
    let r = json(&["haproxy-h2c-front"], &[]);
    assert_eq!(conns(&r).len(), 10);
    let path = |c: &Value| c["handshake"]["path"].as_str().unwrap().to_string();
    let mut linked = Vec::new();
    for c in conns(&r) {
        let id = c["id"].as_u64().unwrap();
        let h2 = c["transport"] == "h2";
        assert_eq!(port(&c["server"]), if h2 { 18812 } else { 18912 }, "{c}");
        if path(c) == "/twin" {
            assert!(c["other_leg"].is_null() && c["leg"].is_null(), "{c}");
            continue;
        }
        let other = c["other_leg"]
            .as_u64()
            .unwrap_or_else(|| panic!("connection {id} not linked: {c}"));
        let o = by_id(&r, other);
        assert_eq!(o["other_leg"], id, "the link goes both ways");
        assert_eq!(path(o), path(c), "linked to another path");
        assert_ne!(o["transport"], c["transport"]);
        let leg = &c["leg"];
        assert_eq!(leg["side"], if h2 { "front" } else { "back" });
        assert_eq!(port(&leg["proxy"]), 18812);
        assert_eq!(leg["linked_by"], "path_and_timing");
        let evidence = leg["link_evidence"].as_str().unwrap();
        assert!(
            evidence.contains("not by a key") && evidence.contains("weaker evidence"),
            "{evidence}"
        );
        if h2 {
            // The back leg's upgrade request between the stream's CONNECT and its 200.
            let (connect, upgrade, answer) = (
                c["handshake"]["request_packet"].as_u64().unwrap(),
                o["handshake"]["request_packet"].as_u64().unwrap(),
                c["handshake"]["response_packet"].as_u64().unwrap(),
            );
            assert!(connect < upgrade && upgrade < answer);
            assert!(
                evidence.contains(&format!("(packet {upgrade})")),
                "{evidence}"
            );
            linked.push(path(c));
        }
    }
    linked.sort();
    assert_eq!(linked, ["/close", "/echo", "/stay"]);
    // What the legs show together: the relayed closes, and for /stay the client's end
    // passed on by the proxy.
    let front = |p: &str| {
        conns(&r)
            .iter()
            .find(|c| c["transport"] == "h2" && path(c) == p)
            .unwrap()
    };
    assert_eq!(front("/close")["leg"]["ended_by"], "backend");
    assert_eq!(front("/echo")["leg"]["ended_by"], "client");
    let stay = front("/stay");
    assert_eq!(stay["status"]["code"], 1006);
    assert!(
        stay["status"]["cause"]
            .as_str()
            .unwrap()
            .starts_with("The client ended its leg"),
        "{}",
        stay["status"]
    );
    // The table says the link is weaker (its lines wrap).
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .env("COLUMNS", "200")
        .args(["analyze", "--color", "never"])
        .arg(fixture("haproxy-h2c-front"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("(linked by path") && text.contains("not by key)"),
        "{text}"
    );
}

#[test]
fn links_are_the_same_in_memory_on_disk_and_sharded() {
    let names = [
        "nginx-many",
        "haproxy-idle",
        "nginx-backend-kill",
        "haproxy-h2c-front",
    ];
    let paths: Vec<PathBuf> = names.iter().map(|n| fixture(n)).collect();
    kept::same_in_memory_on_disk_and_sharded(&paths);
}

#[test]
fn table_and_markdown_name_the_other_leg_and_the_proxy() {
    for format in ["table", "markdown"] {
        let out = Command::cargo_bin("wsclose")
            .unwrap()
            .env("COLUMNS", "200")
            .args(["analyze", "--format", format, "--color", "never"])
            .arg(fixture("haproxy-idle"))
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("leg of connection 2 through 127.0.0.1:18802")
                && text.contains("leg of connection 1 through 127.0.0.1:18802"),
            "{format}: {text}"
        );
    }
}

#[test]
fn redaction_renames_the_proxy_too() {
    let r = json(&["nginx-idle"], &["--redact"]);
    for c in conns(&r) {
        let proxy = c["leg"]["proxy"].as_str().unwrap();
        assert!(!proxy.contains("127.0.0.1"), "{proxy}");
    }
    let front = conns(&r)
        .iter()
        .find(|c| c["leg"]["side"] == "front")
        .unwrap();
    assert_eq!(front["leg"]["proxy"], front["server"]);
}

#[test]
fn a_close_changed_in_transit_is_flagged() {
    let opts = Options::default();
    let mut report = wsclose::analyze_files(&[fixture("nginx-backend-close")], opts).unwrap();
    let [f, b] = &mut report.connections[..] else {
        panic!("two legs")
    };
    assert!(!f.leg.as_ref().unwrap().proxy_changed_close);
    // What a proxy that rewrote the backend's code would have put on the client's leg.
    let relayed = f
        .close_frames
        .iter_mut()
        .find(|x| x.from == wsclose::vocab::Role::Server)
        .unwrap();
    relayed.code = Some(1001);
    wsclose::diagnose::proxied::link(f, b, &wsclose::report::legs::LinkedBy::Key);
    let leg = f.leg.as_ref().unwrap();
    assert!(leg.proxy_changed_close);
    assert!(
        leg.relayed
            .iter()
            .any(|n| n.contains("4001") && n.contains("changed in transit") && n.contains("1001")),
        "{:?}",
        leg.relayed
    );
    // The client's reply to the backend's close, never passed on to the backend: not
    // answered by the proxy (its frame on the client's leg came before the reply).
    let mut report = wsclose::analyze_files(&[fixture("nginx-backend-close")], opts).unwrap();
    let [f, b] = &mut report.connections[..] else {
        panic!("two legs")
    };
    b.close_frames
        .retain(|x| x.from != wsclose::vocab::Role::Client);
    wsclose::diagnose::proxied::link(f, b, &wsclose::report::legs::LinkedBy::Key);
    let leg = f.leg.as_ref().unwrap();
    assert!(
        leg.relayed
            .iter()
            .any(|n| n.starts_with("the client's")
                && n.ends_with("was not passed on to connection 2")),
        "{:?}",
        leg.relayed
    );
    // A client's close the proxy answered itself on the client's leg, with nothing on
    // the backend's: the proxy's close frame there comes after the client's.
    let mut report = wsclose::analyze_files(&[fixture("nginx-backend-close")], opts).unwrap();
    let [f, b] = &mut report.connections[..] else {
        panic!("two legs")
    };
    b.close_frames.clear();
    f.close_frames
        .sort_by_key(|x| x.from != wsclose::vocab::Role::Client);
    let (packet, time) = (f.close_frames[0].packet, f.close_frames[0].time);
    f.close_frames[1].packet = packet + 1;
    f.close_frames[1].time = wsclose::Timestamp(time.0 + 1_000_000);
    wsclose::diagnose::proxied::link(f, b, &wsclose::report::legs::LinkedBy::Key);
    let leg = f.leg.as_ref().unwrap();
    assert!(leg.proxy_changed_close);
    assert!(
        leg.relayed
            .iter()
            .any(|n| n.contains("was not passed on") && n.contains("answered it itself")),
        "{:?}",
        leg.relayed
    );
}

#[test]
fn a_stopped_proxy_is_not_called_a_timeout_of_that_length() {
    // SIGTERM 0.7 s into the session, before the 2 s timeout: the proxy ends both legs
    // after a quiet spell that is no whole number of seconds.
    for (name, front, back) in [("nginx-stop", 18809, 18909), ("haproxy-stop", 18810, 18910)] {
        let r = json(&[name], &[]);
        let pairs = check_pairs(&r, front, back);
        let (f, b) = (by_id(&r, pairs[0].0), by_id(&r, pairs[0].1));
        assert_eq!(first_end(f).0, "server");
        assert_eq!(first_end(b).0, "client");
        for c in [f, b] {
            assert_eq!(c["leg"]["ended_by"], "proxy");
            let cause = c["status"]["cause"].as_str().unwrap();
            assert!(
                cause.starts_with("The proxy ended both legs at the same instant"),
                "{cause}"
            );
            let quiet = number_after(cause, "apart, ");
            assert!((700.0..=1000.0).contains(&quiet), "{name}: {quiet} ms");
            assert!(!cause.contains("an idle timeout of that length"), "{cause}");
            assert!(cause.contains("reloaded or stopped"), "{cause}");
            assert!(c["evidence"]["summary"]
                .as_str()
                .unwrap()
                .ends_with("the proxy reloaded or stopped"));
        }
    }
}

#[test]
fn nginx_default_timeout_with_both_legs_and_with_the_front_leg_only() {
    // Both legs: the proxy named, 60 s measured.
    let r = json(&["nginx-idle-60s"], &[]);
    let pairs = check_pairs(&r, 18811, 18911);
    for id in [pairs[0].0, pairs[0].1] {
        let c = by_id(&r, id);
        let cause = c["status"]["cause"].as_str().unwrap();
        let quiet = number_after(cause, "after ");
        assert!((59_900.0..=60_100.0).contains(&quiet), "{quiet} ms");
        assert!(
            cause.contains("an idle timeout of that length (60 s)"),
            "{cause}"
        );
        let fix = c["status"]["fix"].as_str().unwrap();
        assert!(fix.contains("well inside 60 s (every 30 s"), "{fix}");
    }
    // The client's leg alone (the same packets, filtered on the proxy's port): nothing to
    // link, and the round-number heuristic does not say which peer it was.
    let r = json(&["nginx-idle-60s-front-only"], &[]);
    let c = &conns(&r)[0];
    assert_eq!(conns(&r).len(), 1);
    assert!(c["other_leg"].is_null() && c["leg"].is_null(), "{c}");
    let cause = c["status"]["cause"].as_str().unwrap();
    assert!(!cause.contains("The proxy ended"), "{cause}");
    assert!(
        cause.contains("(60.0 s) matches the default of nginx's proxy_read_timeout")
            && cause.contains("the peer (a proxy or the server) may have closed"),
        "{cause}"
    );
    let ev = c["evidence"]["summary"].as_str().unwrap();
    assert!(
        ev.ends_with("(an idle timeout of the peer, a proxy or the server?)"),
        "{ev}"
    );
}

#[test]
fn a_close_the_proxy_started_is_the_proxys() {
    // The backend's close taken off its leg: the close the client got (and the client's
    // reply relayed to the backend) then started at the proxy.
    let mut report =
        wsclose::analyze_files(&[fixture("nginx-backend-close")], Options::default()).unwrap();
    let [f, b] = &mut report.connections[..] else {
        panic!("two legs")
    };
    assert_eq!(f.leg.as_ref().unwrap().ended_by.as_deref(), Some("backend"));
    b.close_frames
        .retain(|x| x.from != wsclose::vocab::Role::Server);
    wsclose::diagnose::proxied::link(f, b, &wsclose::report::legs::LinkedBy::Key);
    let leg = f.leg.as_ref().unwrap();
    assert_eq!(leg.ended_by.as_deref(), Some("proxy"));
    assert!(leg.proxy_changed_close);
    assert!(
        leg.relayed
            .iter()
            .any(|n| n.starts_with("the proxy sent its own close frame 4001 to the client")),
        "{:?}",
        leg.relayed
    );
}

/// Apache httpd 2.4.71 with an HTTP/2 front (mod_http2, H2WebSockets on, h2c) ending an idle
/// RFC 8441 session at its Timeout / ProxyTimeout of 2 s (record_h2_front.sh), in front of
/// a Python websockets backend and of a Node ws one. Over HTTP/2 Apache names itself in no
/// header: its 200 carries the backend's `server` (Python/3.11 websockets/17.4), or none
/// when the backend's 101 has none (ws). So no product is named, and the candidates are
/// listed, Apache httpd's setting among them.
#[test]
fn an_http2_front_that_names_no_product_gets_the_candidates() {
    for name in ["apache-h2c-idle", "apache-h2c-idle-node"] {
        let r = json(&[name], &[]);
        let cs = conns(&r);
        assert_eq!(cs.len(), 2, "{name}");
        let front = cs.iter().find(|c| c["transport"] == "h2").unwrap();
        assert!(front["handshake"].get("proxy_product").is_none(), "{front}");
        for c in cs {
            let k = &c["status"]["causes"][0];
            assert_eq!(k["kind"], "proxy-idle-timeout", "{name}: {c}");
            assert!(k["proxy_product"].is_null(), "{name}: {k}");
            let quiet = k["legs"]["quiet_ms"].as_f64().unwrap();
            assert!((2000.0..2010.0).contains(&quiet), "{quiet}");
            let t = c["status"]["cause"].as_str().unwrap();
            assert!(
                t.contains("an idle timeout of that length (2 s): nginx proxy_read_timeout / proxy_send_timeout, HAProxy timeout tunnel, Apache httpd Timeout / ProxyTimeout"),
                "{t}"
            );
            assert!(!t.contains("names itself"), "{t}");
        }
    }
}

/// The HTTP/2 answer's `server` read as an HTTP/1.1 answer's: Apache httpd's h2c front
/// before nginx 1.22.1 before the Python backend (record_h2_front.sh
/// apache-h2c-nginx-idle). nginx's 101 names it (`Server: nginx/1.22.1`), and httpd passes
/// that on in its HTTP/2 200 (#25), so the client's stream names nginx: a fact of the
/// answer, not the proxy that ended it. httpd ended its leg to nginx at its 2 s
/// ProxyTimeout and nginx relayed that to the backend; the HTTP/2 stream matches two
/// back legs by path, so it is linked to neither, and nothing says nginx closed it.
#[test]
fn an_http2_answer_names_the_product_its_server_field_names() {
    let r = json(&["apache-h2c-nginx-idle"], &[]);
    let cs = conns(&r);
    assert_eq!(cs.len(), 3);
    let front = cs.iter().find(|c| c["transport"] == "h2").unwrap();
    assert_eq!(
        front["handshake"]["proxy_product"],
        serde_json::json!({"product": "nginx", "version": "1.22.1", "header": "server"})
    );
    assert!(front.get("leg").is_none_or(Value::is_null), "{front}");
    assert!(!front["status"]["cause"]
        .as_str()
        .unwrap()
        .contains("names itself"));
    // httpd's leg to nginx: nginx's 101 names it; the backend's leg: no product.
    let mid = cs.iter().find(|c| port(&c["server"]) == 18875).unwrap();
    assert_eq!(mid["handshake"]["proxy_product"]["product"], "nginx");
    let back = cs.iter().find(|c| port(&c["server"]) == 18974).unwrap();
    assert!(back["handshake"].get("proxy_product").is_none());
    for c in [mid, back] {
        let k = &c["status"]["causes"][0];
        assert_eq!(k["kind"], "relayed-end", "{c}");
        assert_eq!(k["app"], "client", "{k}");
    }
}

/// An HTTP/2 front that names itself (issue 69 item 1): nghttp2's nghttpx 1.52.0 (h2c,
/// `--backend-read-timeout=2s`) in front of a Python websockets backend and of a Node ws one
/// (record_h2_front.sh nghttpx-h2c-idle, -node). Its 200 to the extended CONNECT carries
/// `server: nghttpx` (and `via: 1.1 nghttpx`), which neither backend's 101 carries, so the
/// proxy is named, with its own setting, and not the usual list; 2 s after the echo it FINs
/// the back leg and ends stream 1 (END_STREAM, RST_STREAM NO_ERROR). The client's stream
/// is answered with a 200, not a 101, and the words say so.
#[test]
fn an_http2_front_that_names_itself_is_named_with_its_setting() {
    for name in ["nghttpx-h2c-idle", "nghttpx-h2c-idle-node"] {
        let r = json(&[name], &[]);
        let cs = conns(&r);
        assert_eq!(cs.len(), 2, "{name}");
        let front = cs.iter().find(|c| c["transport"] == "h2").unwrap();
        assert_eq!(
            front["handshake"]["proxy_product"],
            serde_json::json!({"product": "nghttpx", "version": null, "header": "server"}),
            "{name}"
        );
        let back = cs.iter().find(|c| c["transport"] != "h2").unwrap();
        assert!(back["handshake"].get("proxy_product").is_none(), "{back}");
        for c in cs {
            let k = &c["status"]["causes"][0];
            assert_eq!(k["kind"], "proxy-idle-timeout", "{name}: {c}");
            assert_eq!(k["proxy_product"]["product"], "nghttpx", "{name}: {k}");
            let quiet = k["legs"]["quiet_ms"].as_f64().unwrap();
            assert!((2000.0..2010.0).contains(&quiet), "{quiet}");
            let t = c["status"]["cause"].as_str().unwrap();
            assert!(
                t.contains("The proxy names itself in its HTTP/2 answer to the client's extended CONNECT (its Server, which the backend's 101 does not carry): nghttpx, whose setting for that is --backend-read-timeout (default 60 s)."),
                "{name}: {t}"
            );
            assert!(!t.contains("HAProxy timeout tunnel"), "{t}");
            assert!(!t.contains("client's 101"), "{t}");
            let fix = c["status"]["fix"].as_str().unwrap();
            assert!(
                fix.contains("raise nghttpx's --backend-read-timeout"),
                "{fix}"
            );
        }
    }
}
