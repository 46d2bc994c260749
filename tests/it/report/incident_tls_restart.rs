//! The incidents of issue 91's TLS-restart recordings (fixtures/incident/, made by
//! fixtures/record/incident/record_tls_restart.sh): a wss:// server killed and started again
//! 1 s later on loopback, with a certificate of another CA than the one its 10 clients
//! trust (gorilla/websocket with Go's crypto/tls at both ends; Tornado with Python's ssl at
//! both ends), and the control, started again with a certificate they trust. Each client
//! wrote its TLS secrets to the key log beside the capture. The expected incident was
//! written from the peers' logs before wsclose read the captures (fixtures/README.md).

use crate::common::recorded::{json, members, path, run_ok, the_incident, within};
use serde_json::Value;

/// The JSON report of a recording read with its key log.
fn with_keys(name: &str) -> Value {
    let keys = path(&format!("{name}.keylog"));
    serde_json::from_str(&run_ok(&[
        "analyze",
        "--format",
        "json",
        "--keylog",
        &keys,
        &path(&format!("{name}.pcap.gz")),
    ]))
    .unwrap()
}

/// A rejected restart: one `tls-rejected-restart` of 127.0.0.1:`port`, the 10 sessions the
/// kill ended, none back, the 10 attempts refused in TCP while it was down and
/// `rejected` handshakes refused by the clients at TLS once it was up (the logs' counts);
/// `named` members say which incident they belong to (`incident-member`: where their
/// quiet spells differ, so that no timeout ended them), with this kind.
fn rejected(name: &str, port: u16, rejected: u64, named: usize) {
    let r = with_keys(name);
    let i = the_incident(&r);
    assert_eq!(i["kind"], "tls-rejected-restart", "{i}");
    assert_eq!(i["server"], format!("127.0.0.1:{port}"));
    assert_eq!(i["members"], 10);
    assert_eq!(i["side"], "server");
    within(&i["window_s"], 0.0..0.05);
    // Killed, started 1 s later: its first TLS answer 1.9-2.1 s after the last end (the
    // clients' next attempt after it listened).
    within(&i["down_s"], 1.0..2.5);
    let back = &i["reconnects"];
    assert_eq!(back["came_back"], 0, "{back}");
    assert_eq!(back["never"], 10);
    assert_eq!(back["refused"], 10);
    assert_eq!(back["refused_tls"], rejected);
    assert!(i["cause"].as_str().unwrap().contains("certificate"), "{i}");
    // Each member is one of it, and a member that names its incident names this kind,
    // not the stop it was read as first.
    let m = members(&r);
    assert_eq!(m.len(), 10);
    let mut naming = 0;
    for c in &m {
        for k in c["status"]["causes"].as_array().unwrap() {
            if k["kind"] == "incident-member" {
                assert_eq!(k["incident_kind"], "tls-rejected-restart", "{c}");
                naming += 1;
            }
        }
    }
    assert_eq!(naming, named, "{name}");
}

/// gorilla (Go's crypto/tls): each rejected handshake is a protected record of 19 bytes
/// after the server's flight and its close; the logs: 10 `connection refused`, 40
/// `x509: certificate signed by unknown authority`.
#[test]
fn gorilla_restart_with_a_rejected_certificate() {
    rejected("gorilla-tls-rejected", 19850, 40, 10);
}

/// Tornado (OpenSSL): the client's alert unknown_ca in the clear, then its RST; the logs:
/// 10 `ConnectionRefusedError`, 50 `SSLCertVerificationError`.
#[test]
fn tornado_restart_with_a_rejected_certificate() {
    rejected("tornado-tls-rejected", 19851, 50, 0);
}

/// The refused handshakes as encrypted connections: each listed (`partial-key`: the key
/// log holds no application secrets for it) with the client's fatal alert, named in JSON
/// and in the table's row. Go's client logged its handshake secrets before the alert, which
/// it sends under them (RFC 8446 §6): decrypted, it is bad_certificate, as the server
/// logged (`remote error: tls: bad certificate`, 40 times). OpenSSL sends its alert in the
/// clear (a client's write key changes only after the server's Finished): unknown_ca.
#[test]
fn each_refused_handshake_names_the_clients_alert() {
    for (name, refused, alert) in [
        ("gorilla-tls-rejected", 40, "bad_certificate"),
        ("tornado-tls-rejected", 50, "unknown_ca"),
    ] {
        let r = with_keys(name);
        let listed = r["seen"]["encrypted"].as_array().unwrap();
        let refusing: Vec<&Value> = listed
            .iter()
            .filter(|e| {
                e["tls"]["alerts"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|a| a["description"] == alert))
            })
            .collect();
        assert_eq!(refusing.len(), refused, "{name}: {listed:?}");
        for e in &refusing {
            assert_eq!(e["reason"], "partial-key", "{e}");
            let a = &e["tls"]["alerts"][0];
            assert_eq!(
                (&a["from"], &a["level"]),
                (&"client".into(), &"fatal".into()),
                "{e}"
            );
        }
        // Each row says it (HTML: a row's words unwrapped).
        let html = run_ok(&[
            "analyze",
            "--format",
            "html",
            "--keylog",
            &path(&format!("{name}.keylog")),
            &path(&format!("{name}.pcap.gz")),
        ]);
        let said = format!("the client sent a fatal alert {alert} at packet");
        assert_eq!(html.matches(&said).count(), refused, "{name}");
    }
}

/// The control: started again with a certificate of the CA the clients trust: a plain
/// `server-restart`, all 10 back (the logs: `open (attempt 3)`), 10 refused in TCP, none
/// at TLS.
#[test]
fn a_restart_with_a_trusted_certificate_stays_a_restart() {
    let r = with_keys("tornado-tls-restart");
    let i = the_incident(&r);
    assert_eq!(i["kind"], "server-restart", "{i}");
    assert_eq!(i["members"], 10);
    let back = &i["reconnects"];
    assert_eq!(back["came_back"], 10);
    assert_eq!(back["never"], 0);
    assert_eq!(back["refused"], 10);
    assert!(back.get("refused_tls").is_none(), "{back}");
}

/// Without the key log nothing is a WebSocket (every connection is listed as encrypted),
/// so no session ended and there is no incident: the rejected handshakes alone make none.
#[test]
fn without_the_key_log_there_is_no_incident() {
    let r = json("gorilla-tls-rejected.pcap.gz");
    assert!(
        r["incidents"].as_array().is_none_or(|v| v.is_empty()),
        "{}",
        r["incidents"]
    );
}

/// Every format says it: the table (its window line with the refused handshakes),
/// Markdown, HTML and JSON Lines.
#[test]
fn every_format_says_the_rejected_restart() {
    for (name, port, n) in [
        ("gorilla-tls-rejected", 19850, 40),
        ("tornado-tls-rejected", 19851, 50),
    ] {
        let p = path(&format!("{name}.pcap.gz"));
        let keys = path(&format!("{name}.keylog"));
        let table = run_ok(&["analyze", "--keylog", &keys, &p]);
        let flat = table.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains("Incident 1: tls-rejected-restart "),
            "{table}"
        );
        assert!(
            flat.contains(&format!("server 127.0.0.1:{port} restarted at")),
            "{table}"
        );
        assert!(
            flat.contains("with a certificate its clients reject"),
            "{table}"
        );
        assert!(flat.contains(&format!(
            "came back 0, never 10, refused 10; refused at TLS: {n}, the clients rejected the new certificate"
        )), "{table}");
        let md = run_ok(&["analyze", "--format", "markdown", "--keylog", &keys, &p]);
        assert!(md.contains("Incident 1: tls-rejected-restart"), "{name}");
        assert!(md.contains(&format!("refused at TLS: {n}")), "{name}");
        let html = run_ok(&["analyze", "--format", "html", "--keylog", &keys, &p]);
        assert!(html.contains("Incident 1: tls-rejected-restart"), "{name}");
        let jsonl = run_ok(&["analyze", "--format", "jsonl", "--keylog", &keys, &p]);
        let incidents: Vec<Value> = jsonl
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v["type"] == "incident")
            .collect();
        assert_eq!(incidents.len(), 1, "{name}");
        assert_eq!(incidents[0]["kind"], "tls-rejected-restart");
        assert_eq!(incidents[0]["reconnects"]["refused_tls"], n);
    }
}
