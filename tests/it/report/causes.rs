//! `status.causes` in the JSON report: the typed causes of each connection's status, by
//! their stable kinds, on recorded captures of each kind of ending (a proxy's idle timeout
//! on both legs and on one, a proxy stopped, a backend killed behind a proxy, a message
//! answered by a FIN, a refused upgrade, a close frame that breaks a rule, an RST after a
//! FIN over TLS, TCP ended with TLS left open).

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

/// The connections of `wsclose analyze --format json` on `capture` (under fixtures/), with
/// its key log when there is one beside it.
fn connections(capture: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(capture);
    let mut cmd = Command::cargo_bin("wsclose").unwrap();
    cmd.env_remove("SSLKEYLOGFILE").arg("analyze").arg(&path);
    let keylog = path.with_extension("keylog");
    if keylog.exists() {
        cmd.arg("--keylog").arg(keylog);
    }
    let out = cmd.args(["--format", "json"]).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    report["connections"].as_array().unwrap().clone()
}

/// The kinds of each connection's causes.
fn kinds(capture: &str) -> Vec<Vec<String>> {
    connections(capture)
        .iter()
        .map(|c| {
            c["status"]["causes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["kind"].as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn each_kind_of_ending_has_its_causes() {
    for (capture, want) in [
        (
            "proxy/nginx-idle-60s.pcap",
            vec![vec!["proxy-idle-timeout"], vec!["proxy-idle-timeout"]],
        ),
        (
            "proxy/haproxy-stop.pcap",
            vec![vec!["proxy-reload-or-stop"], vec!["proxy-reload-or-stop"]],
        ),
        (
            "proxy/nginx-idle-60s-front-only.pcap",
            vec![vec!["no-close-frame", "quiet-spell", "idle-timeout"]],
        ),
        (
            "proxy/haproxy-backend-kill.pcap",
            vec![vec!["relayed-end"], vec!["relayed-end"]],
        ),
        (
            "tungstenite-max-size-drop.pcap",
            vec![vec![
                "no-close-frame",
                "unanswered-message",
                "abrupt-ending",
            ]],
        ),
        ("python-refused-403.pcap", vec![vec!["upgrade-refused"]]),
        (
            "python-rule-close-1005.pcap",
            vec![vec!["close-frame", "invalid-close-frame", "no-close-reply"]],
        ),
        (
            "node-close-1008.pcap",
            vec![vec!["close-frame", "reason-words", "close-reply"]],
        ),
        (
            "tls/go-tls13-aes128gcm-close-1000.pcap",
            vec![vec!["close-frame", "close-reply", "rst-after-fin"]],
        ),
        (
            "tls/go-tls13-rst.pcap",
            vec![vec![
                "no-close-frame",
                "quiet-spell",
                "abrupt-ending",
                "tls-not-closed",
            ]],
        ),
    ] {
        assert_eq!(kinds(capture), want, "{capture}");
    }
}

/// The causes carry the numbers and packets the cause's words say.
#[test]
fn causes_carry_their_numbers_and_packets() {
    let c = &connections("proxy/nginx-idle-60s.pcap")[0];
    let legs = &c["status"]["causes"][0]["legs"];
    let quiet = legs["quiet_ms"].as_f64().unwrap();
    assert!((59_000.0..61_000.0).contains(&quiet), "{legs}");
    let said = format!("after {quiet:.0} ms of quiet on both legs");
    assert!(
        c["status"]["cause"].as_str().unwrap().contains(&said),
        "{c}"
    );
    let c = &connections("tls/go-tls13-aes128gcm-close-1000.pcap")[0];
    let rst = &c["status"]["causes"][2];
    let (fin, reset) = (&rst["fin_packet"], &rst["rst_packet"]);
    let said =
        format!("After its FIN (packet {fin}), the server also reset TCP (RST, packet {reset})");
    assert!(
        c["status"]["cause"].as_str().unwrap().contains(&said),
        "{c}"
    );
    assert_eq!(rst["after"]["what"], "close-notify");
    let c = &connections("tungstenite-max-size-drop.pcap")[0];
    let u = &c["status"]["causes"][1];
    assert_eq!(u["message"]["opcode"], "text");
    assert_eq!(u["message"]["from"], "client");
    assert_eq!(u["end"]["how"], "fin");
    assert_eq!(u["end"]["by"], "server");
}

/// docs/causes.md (what each kind means) and docs/json.md (the contract) name every cause
/// kind.
#[test]
fn the_docs_list_every_cause_kind() {
    for doc in ["docs/causes.md", "docs/json.md"] {
        let text =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(doc)).unwrap();
        for kind in wsclose::report::Cause::KINDS {
            assert!(text.contains(&format!("`{kind}`")), "{doc} lacks `{kind}`");
        }
    }
}

/// `wsclose explain KIND` says of every cause kind its row of docs/causes.md's "Cause
/// kinds" table, and the table has one row for each kind and none for anything else: a
/// new kind without its row, or a row left of a removed kind, fails.
#[test]
fn the_cause_kinds_table_has_a_row_for_each_kind_and_no_other() {
    let mut rows = wsclose::explain::cause_kinds();
    rows.sort_unstable();
    let mut kinds = wsclose::report::Cause::KINDS.to_vec();
    kinds.sort_unstable();
    assert_eq!(rows, kinds);
}

/// A 101 that breaks a rule of RFC 6455 §4.1 other than the accept value, met by two real
/// clients (Python websockets 17.4, Node ws 8.23.0) that fail the connection by closing TCP
/// without a frame (fixtures/handshake/, their logs beside them): the fault is the cause,
/// said first with the 101's packet, before the ending's `no-close-frame`; the status stays
/// 1006, the fix is the handshake's, and the fault is a `handshake-invalid` finding too.
#[test]
fn a_101_fault_the_client_fails_on_is_the_cause() {
    for (fault, name, header) in [
        (
            "upgrade-missing",
            "upgrade-not-websocket",
            "Upgrade: websocket",
        ),
        (
            "connection-missing",
            "connection-not-upgrade",
            "Connection: Upgrade",
        ),
        (
            "extension-not-offered",
            "extension-not-offered",
            "Sec-WebSocket-Extensions",
        ),
        (
            "protocol-not-offered",
            "protocol-not-offered",
            "Sec-WebSocket-Protocol",
        ),
    ] {
        for client in ["py", "node"] {
            let capture = format!("handshake/{client}-101-{fault}.pcap");
            let cs = connections(&capture);
            assert_eq!(cs.len(), 1, "{capture}");
            let c = &cs[0];
            let causes = c["status"]["causes"].as_array().unwrap();
            let response = c["handshake"]["response_packet"].as_u64().unwrap();
            assert_eq!(
                causes[0]["kind"], "handshake-fault",
                "{capture}: {causes:?}"
            );
            assert_eq!(causes[0]["fault"], name, "{capture}");
            assert_eq!(causes[0]["packet"], response, "{capture}");
            assert_eq!(causes[1]["kind"], "no-close-frame", "{capture}: {causes:?}");
            assert_eq!(c["status"]["code"], 1006, "{capture}");
            let fix = c["status"]["fix"].as_str().unwrap();
            assert!(fix.contains(header), "{capture}: {fix}");
            assert!(
                c["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|f| f["kind"] == "handshake-invalid" && f["packet"] == response),
                "{capture}: {}",
                c["findings"]
            );
            let evidence = c["evidence"]["summary"].as_str().unwrap();
            assert!(
                evidence.starts_with("the server's 101"),
                "{capture}: {evidence}"
            );
            // No frame went either way: the spell before the FIN is not "after the last
            // frame" (it was, before).
            assert!(
                !evidence.contains("after the last frame")
                    && evidence
                        .contains("after the connection's first packet (no frame either way)"),
                "{capture}: {evidence}"
            );
        }
    }
}

/// Issue 69 item 4: where a cause names what happened (a path fault, a proxy's timeout or
/// reload, pings that stopped), the catalog's list of a 1006's typical sources ("an idle
/// timeout on a proxy …, a server process that crashed …") is not said beside it; a 1006
/// that only says TCP ended keeps that list, since nothing in the capture says more.
#[test]
fn a_named_cause_is_not_followed_by_the_codes_typical_sources() {
    let typical = wsclose::close::catalog::lookup(1006).causes;
    let named = [
        "path/python-mtu-down-client.pcap",
        "path/node-mtu-down-server.pcap",
        "path/go-mtu-up-client.pcap",
        "path/node-keepalive-client.pcap",
        "path/node-half-open-server.pcap",
        "path/python-slow-reader.pcap",
        "proxy/nginx-idle.pcap",
        "proxy/haproxy-idle.pcap",
        "proxy/caddy-reload-delayed.pcap",
    ];
    let mut seen = 0;
    for capture in named {
        for c in connections(capture) {
            let status = &c["status"];
            let cause = status["cause"].as_str().unwrap();
            assert!(!cause.contains(typical), "{capture}: {cause}");
            if status["code"] == 1006 {
                seen += 1;
            }
        }
    }
    assert!(seen >= 8, "1006s seen: {seen}");
    // A 1006 with nothing more than how TCP ended is now read from its evidence too
    // (issue 82 item 1): the client's FIN right after the server's message is the
    // client's own doing, and the list is not said (tests/it/diagnose/ending.rs keeps it where
    // nothing can be read: bytes missing).
    let bare = connections("python-no-close-fin.pcap");
    let cause = bare[0]["status"]["cause"].as_str().unwrap();
    assert_eq!(bare[0]["status"]["code"], 1006);
    let abrupt = bare[0]["status"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "abrupt-ending");
    assert_eq!(
        abrupt.map(|k| &k["verdict"]),
        Some(&"client-process".into())
    );
    assert!(!cause.contains(typical), "{cause}");
}
