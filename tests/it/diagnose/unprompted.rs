//! Issue 92 item 4, the rest: a close after the peer's long quiet is its sender's own
//! decision (the quiet stated), and a server's unprompted close followed by its TCP end and
//! its clients' reconnects refused is its shutdown (the refusals cited with their count,
//! times and packets). On recordings (fixtures/frameworks/: nodejs-websocket shutting down
//! with an empty close frame, Daphne exiting after its close; the expected verdicts are
//! those of fixtures/README.md, written from the endpoints' logs) and on sessions built in
//! code, each rule with a control where it must say nothing.

use crate::common;
use crate::common::run;

use common::{close, text, Session};
use serde_json::Value;
use wsclose::report::Cause;
use wsclose::vocab::Role::{Client, Server};
use wsclose::vocab::Timestamp;

fn fixture(name: &str) -> String {
    format!("{}/fixtures/frameworks/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn output(name: &str, format: &str) -> String {
    let path = fixture(name);
    let (out, err, code) = run::wsclose(&["analyze", "--format", format, &path]);
    assert!(code.is_some(), "{name} --format {format}: {err}");
    String::from_utf8(out).unwrap()
}

fn connection(name: &str) -> Value {
    let r: Value = serde_json::from_str(&output(name, "json")).unwrap();
    let conns = r["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 1, "{name}");
    conns[0].clone()
}

fn unprompted(c: &Value) -> Option<&Value> {
    c["status"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "unprompted-close")
}

/// nodejs-websocket, on SIGTERM, sends an empty close frame (packet 12) 5.5 s after the
/// client's last frame ("hello", packet 8), its FIN after the client's reply, and exits:
/// the client's 5 reconnects are refused (SYNs 18 to 26, each answered by a RST).
#[test]
fn an_empty_close_after_a_quiet_then_refusals_is_the_servers_shutdown() {
    let c = connection("njsws-quiet-shutdown.pcap");
    assert_eq!(c["status"]["code"], 1005, "{c}");
    let k = unprompted(&c).unwrap_or_else(|| panic!("{c}"));
    assert_eq!(k["by"], "server");
    assert!(k["code"].is_null(), "{k}");
    assert_eq!(k["close_packet"], 12);
    assert!(k["own_end"].is_null(), "{k}");
    let q = k["quiet_s"].as_f64().unwrap();
    assert!((5.5..5.6).contains(&q), "{k}");
    let a = &k["afterwards"];
    assert_eq!(a["refused"], 5, "{k}");
    assert_eq!(a["first_refused"], 18, "{k}");
    assert_eq!(a["last_refused"], 26, "{k}");
    let first = a["first_refused_s"].as_f64().unwrap();
    assert!((0.15..0.3).contains(&first), "{k}");
    let said = c["status"]["cause"].as_str().unwrap();
    assert!(
        said.contains("Nothing came from the client for 5.546 s before the server's empty close frame (packet 12)"),
        "{said}"
    );
    assert!(said.contains("refused 5 times"), "{said}");
    assert!(said.contains("its process had stopped"), "{said}");
    let table = output("njsws-quiet-shutdown.pcap", "table");
    assert!(
        table.contains(
            "the server closed unprompted [pkt 12], nothing from the client for 5.546 s before it,"
        ),
        "{table}"
    );
    assert!(
        table.contains(
            "then 5 reconnects refused [pkt 18-26]: its own decision, likely its shutdown"
        ),
        "{table}"
    );
}

/// Daphne's close (packet 8), its RST (11), then 4 reconnects refused (12 to 18): cited now
/// (before, the `afterwards` of the incident stage was read for abrupt endings only).
#[test]
fn daphnes_exit_cites_the_refused_reconnects() {
    let c = connection("daphne-unprompted-exit.pcap");
    let k = unprompted(&c).unwrap_or_else(|| panic!("{c}"));
    assert!(k["quiet_s"].is_null(), "{k}");
    assert_eq!(k["own_end"], "rst");
    assert_eq!(k["afterwards"]["refused"], 4, "{k}");
    assert_eq!(k["afterwards"]["first_refused"], 12, "{k}");
    assert_eq!(k["afterwards"]["last_refused"], 18, "{k}");
    let table = output("daphne-unprompted-exit.pcap", "table");
    assert!(
        table.contains("ended TCP itself (RST [pkt 11]), then 4 reconnects refused [pkt 12-18]"),
        "{table}"
    );
}

/// The client's message, then `wait` seconds, then the server's close 1000 with no reason,
/// its reply and the FINs: the causes.
fn after_quiet(port: u16, wait: f64) -> Vec<Cause> {
    let mut s = Session::new(port, 8080);
    s.open();
    s.send(Client, &text(Client, "subscribe"));
    s.clock = Timestamp(s.clock.0 + (wait * 1e9) as i64);
    s.send(Server, &close(Server, 1000, ""));
    s.send(Client, &close(Client, 1000, ""));
    s.fins(Server);
    let r = common::analyze_timed(s.link, &s.pkts, Default::default());
    common::only(&r).status.causes.clone()
}

/// A close 8 s after the peer's last message is unprompted, the quiet stated; controls: 10 ms
/// after it, the close answers the message (`close-answers-message`), not unprompted; 2 s
/// after it, neither is said.
#[test]
fn a_close_after_a_long_quiet_is_unprompted_and_a_quick_one_is_a_reply() {
    let causes = after_quiet(40301, 8.0);
    let k = causes
        .iter()
        .find(|c| c.kind() == "unprompted-close")
        .unwrap_or_else(|| panic!("{causes:?}"));
    let Cause::UnpromptedClose { by, quiet_s, .. } = k else {
        unreachable!()
    };
    assert_eq!(*by, Server);
    assert!(quiet_s.is_some_and(|q| (8.0..8.01).contains(&q)), "{k:?}");
    let quick = after_quiet(40302, 0.01);
    assert!(
        quick.iter().any(|c| c.kind() == "close-answers-message"),
        "{quick:?}"
    );
    assert!(
        !quick.iter().any(|c| c.kind() == "unprompted-close"),
        "{quick:?}"
    );
    let between = after_quiet(40303, 2.0);
    assert!(
        !between
            .iter()
            .any(|c| matches!(c.kind(), "unprompted-close" | "close-answers-message")),
        "{between:?}"
    );
}

/// Control: bytes of the client's missing from the capture after its last frame may hold a
/// frame the close answered: no unprompted close is said, however long the quiet.
#[test]
fn a_gap_after_the_peers_last_frame_says_nothing() {
    let mut s = Session::new(40304, 8080);
    s.open();
    s.send(Client, &text(Client, "subscribe"));
    s.clock = Timestamp(s.clock.0 + 8_000_000_000);
    s.lose(Client, &text(Client, "more"));
    s.send(Client, &text(Client, "again"));
    s.clock = Timestamp(s.clock.0 + 8_000_000_000);
    s.send(Server, &close(Server, 1000, ""));
    s.send(Client, &close(Client, 1000, ""));
    s.fins(Server);
    let r = common::analyze_timed(s.link, &s.pkts, Default::default());
    let causes = &common::only(&r).status.causes;
    assert!(
        !causes.iter().any(|c| c.kind() == "unprompted-close"),
        "{causes:?}"
    );
}

/// The sixth audit's item 7: a server that rejects a session right after the upgrade with a
/// code of its own and no reason (4401, an expired token), then closes its socket at once
/// (a close frame written, then the socket closed: a FIN before the client's reply, as
/// gorilla's `WriteMessage(Close)` then `Close()` do) made an application's decision; its
/// process going away is not said, since nothing shows it (no attempt refused after it).
/// Its control, Daphne's exit above with its reconnects refused, still says it.
#[test]
fn a_rejection_then_the_socket_closed_is_the_applications_decision_not_an_exit() {
    for (own, name) in [(false, "fin"), (true, "rst")] {
        let mut s = Session::new(40100, 8080);
        s.open();
        s.send(Server, &close(Server, 4401, ""));
        if own {
            s.rst(Server);
        } else {
            s.fin(Server);
            s.send(Client, &close(Client, 4401, ""));
            s.fin(Client);
            s.ack(Server);
        }
        let r = common::analyze_timed(s.link, &s.pkts, Default::default());
        let c = common::only(&r);
        let words = c.status.cause();
        assert!(
            c.status.causes.iter().any(|k| matches!(
                k,
                Cause::UnpromptedClose {
                    code: Some(4401),
                    own_end: Some(e),
                    ..
                } if e == name
            )),
            "{name}: {:?}",
            c.status.causes
        );
        assert!(
            words.contains("its application's decision, stated by code 4401"),
            "{name}: {words}"
        );
        assert!(
            words.contains("nothing in the capture shows that its process ended"),
            "{name}: {words}"
        );
        assert!(!words.contains("went away"), "{name}: {words}");
    }
    // The control: Daphne's RST after its close, then its port refusing: its exit said.
    let c = connection("daphne-unprompted-exit.pcap");
    let said = c["status"]["cause"].as_str().unwrap();
    assert!(
        said.contains("its process most likely went away with the close"),
        "{said}"
    );
}
