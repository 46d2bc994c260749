//! Issue 103 item 3 on the recordings of `fixtures/points/`: the cause a session seen at two
//! points gets from both views (`between-points`), from the two host files given together
//! and from their merge, against the culprit EXPECT.json gives each session (written from
//! the endpoints' logs and the box's counters); and the controls (a rotation, two unrelated
//! captures, a file given twice) with no such cause, as each file reads alone.

use serde_json::Value;
use std::path::PathBuf;
use wsclose::__internals::analyzer::Options;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/points")
}

/// The JSON report of `files` (of fixtures/points/) read together.
fn report(files: &[&str]) -> Value {
    let paths: Vec<PathBuf> = files.iter().map(|f| dir().join(f)).collect();
    let r = wsclose::analyze_files(&paths, Options::default()).unwrap();
    serde_json::to_value(&r).unwrap()
}

fn expect() -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join("EXPECT.json")).unwrap()).unwrap()
}

/// The client's address at the client's point ("10.103.1.2:PORT"), from a session's line.
fn client_of(session: &str) -> String {
    let at = session.find("10.103.1.2:").unwrap();
    session[at..].split([' ', ',']).next().unwrap().to_string()
}

fn between(c: &Value) -> Option<&Value> {
    c["status"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "between-points")
}

/// Each session of each recording: one row with its points, and the culprit EXPECT.json
/// gives it, from the two files and from their merge alike.
#[test]
fn each_recording_names_the_culprit_from_both_views() {
    let e = expect();
    for sc in ["drop", "nat", "firewall", "mtu"] {
        let pair = [format!("{sc}-client.pcap"), format!("{sc}-server.pcap")];
        let merged = [format!("{sc}-merged.pcapng")];
        let router = [format!("{sc}-router.pcap")];
        for (how, files) in [
            ("pair", &pair[..]),
            ("merged", &merged[..]),
            ("router", &router[..]),
        ] {
            let names: Vec<&str> = files.iter().map(String::as_str).collect();
            let r = report(&names);
            let cs = r["connections"].as_array().unwrap();
            for s in e["scenarios"][sc]["sessions"].as_array().unwrap() {
                let client = client_of(s["session"].as_str().unwrap());
                let rows: Vec<&Value> = cs.iter().filter(|c| c["client"] == client).collect();
                assert_eq!(rows.len(), 1, "{sc} {how} {client}: one row: {rows:#?}");
                let c = rows[0];
                assert!(c["points"].is_object(), "{sc} {how} {client}: points");
                let want = &s["culprit"];
                let got = between(c);
                let said = format!("{sc} {how} {client}: {:#}", c["status"]);
                if want["verdict"].is_null() {
                    assert!(got.is_none(), "{said}");
                    continue;
                }
                let got = got.unwrap_or_else(|| panic!("no between-points: {said}"));
                // From the merge as from the two files: the second copy of a packet
                // after the first copy's reset is kept and placed.
                assert_eq!(got["verdict"], want["verdict"], "{said}");
                for f in ["lost_from", "translated"] {
                    if !want[f].is_null() {
                        assert_eq!(got[f], want[f], "{f}: {said}");
                    }
                }
                assert_eq!(got["end_by"], want["end_by"], "{said}");
                // Never an endpoint's software, nor its logs, beside the points' verdict.
                let kinds: Vec<&str> = c["status"]["causes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|k| k["kind"].as_str().unwrap())
                    .collect();
                assert!(
                    !kinds.contains(&"abrupt-ending") && !kinds.contains(&"unanswered-message"),
                    "{said}"
                );
                let fix = c["status"]["fix"].as_str().unwrap();
                assert!(
                    !fix.contains("logs at the time of packet") && !fix.contains("crash"),
                    "{said}"
                );
                let cause = c["status"]["cause"].as_str().unwrap();
                assert!(!cause.contains("own software ended"), "{said}");
            }
        }
    }
}

/// The example, from the two files: the firewall's reset named with its TTL and IP
/// ID against the server's packets', the other way's reset too, and the box to look for.
#[test]
fn a_forged_reset_is_the_box_between_the_points_with_its_ttl() {
    let r = report(&["firewall-client.pcap", "firewall-server.pcap"]);
    let c = r["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client"] == "10.103.1.2:31331")
        .unwrap();
    let b = between(c).unwrap();
    assert_eq!(
        (&b["end_packet"], &b["ttl"], &b["side_ttl"], &b["ip_id"]),
        (
            &Value::from(24),
            &Value::from(64),
            &Value::from(63),
            &Value::from(0)
        ),
        "{b:#}"
    );
    assert_eq!(
        (&b["peer_made_packet"], &b["peer_made_at"]),
        (&Value::from(22), &Value::from(1))
    );
    let cause = c["status"]["cause"].as_str().unwrap();
    assert!(
        cause.contains("was never sent by the server")
            && cause.contains("a box between the points made it (TTL 64, IP ID 0, where the server's packets arrive with 63)"),
        "{cause}"
    );
    let fix = c["status"]["fix"].as_str().unwrap();
    assert!(
        fix.starts_with("Find the box between firewall-client.pcap and firewall-server.pcap"),
        "{fix}"
    );
    // Said once: the single view's TTL reading of the same reset gives way to the points'.
    let kinds: Vec<&Value> = c["status"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| &k["kind"])
        .collect();
    assert!(
        !kinds.contains(&&Value::from("reset-not-from-peer")),
        "{kinds:?}"
    );
    assert_eq!(fix.matches("Find the box").count(), 1, "{fix}");
}

/// The loss from both views, from the two files: the client's packets 49 to 57 (a ping and
/// a message, and their retransmissions) never reached the server's host, client to
/// server, t = 3.35 to 6.70 s after the client file's first packet (3.02 to 6.37 s after the
/// session's); the same from the server's clock 1.234567 s ahead.
#[test]
fn packets_lost_between_the_points_are_the_paths() {
    for server in ["drop-server.pcap", "drop-server-skewed.pcap"] {
        let r = report(&["drop-client.pcap", server]);
        let c = r["connections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["client"] == "10.103.1.2:31311")
            .unwrap();
        let b = between(c).unwrap();
        assert_eq!(b["verdict"], "lost-between", "{b:#}");
        assert_eq!(
            (
                &b["lost_first_packet"],
                &b["lost_last_packet"],
                &b["lost_packets"]
            ),
            (&Value::from(49), &Value::from(57), &Value::from(6)),
            "{b:#}"
        );
        assert!(b["lost_pings"].as_u64().unwrap() >= 1, "{b:#}");
        let (from, to) = (
            b["lost_from_s"].as_f64().unwrap(),
            b["lost_to_s"].as_f64().unwrap(),
        );
        assert!(
            (from - 3.022).abs() < 0.01 && (to - 6.365).abs() < 0.01,
            "{b:#}"
        );
        assert_eq!(
            (&b["end_by"], &b["end_packet"]),
            (&Value::from("client"), &Value::from(89))
        );
    }
}

/// The controls: no session at two points, so no such cause, and each reads as its files
/// alone (the same kinds of causes).
#[test]
fn the_controls_get_no_cause_from_two_points() {
    let kinds = |r: &Value| -> Vec<Vec<String>> {
        let mut v: Vec<Vec<String>> = r["connections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                c["status"]["causes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|k| k["kind"].as_str().unwrap().to_string())
                    .collect()
            })
            .collect();
        v.sort();
        v
    };
    let alone = report(&["drop-client.pcap"]);
    for files in [
        &["rotation-1.pcap", "rotation-2.pcap"][..],
        &["drop-client.pcap", "drop-client.pcap"][..],
    ] {
        let r = report(files);
        assert_eq!(kinds(&r), kinds(&alone), "{files:?}");
    }
    let a = report(&["unrelated-a.pcap"]);
    let b = report(&["unrelated-b.pcap"]);
    let both = report(&["unrelated-a.pcap", "unrelated-b.pcap"]);
    let mut each = kinds(&a);
    each.extend(kinds(&b));
    each.sort();
    assert_eq!(kinds(&both), each);
    assert!(!format!("{both}").contains("between-points"));
}
