//! Issue 82 items 1 and 2 (and issue 83 item 5): an abrupt ending is read from what the
//! capture holds (`abrupt-ending`: whose software ended it, with its packets, or that the
//! capture cannot tell), and a connection whose own cause is known carries no list of the
//! code's typical sources or other protocols' codes; those stay in `wsclose explain`.
//!
//! Sessions built in code (tests/it/common: every packet and time known), and the fixtures
//! recorded earlier whose status now reads its own cause.

use crate::common;
use crate::common::run;

use assert_cmd::Command;
use common::*;
use serde_json::Value;
use wsclose::__internals::analyzer::Options;
use wsclose::__internals::capture::Timestamp;
use wsclose::__internals::flow::Role::{Client, Server};

/// Moves the session's clock `secs` seconds on.
fn wait(s: &mut Session, secs: f64) {
    s.clock = Timestamp(s.clock.0 + (secs * 1e9) as i64);
}

/// The JSON status of the only connection of `s`, analyzed with its own times.
fn status(s: &Session) -> Value {
    let r = analyze_timed(s.link, &s.pkts, Options::default());
    serde_json::to_value(&only(&r).status).unwrap()
}

/// The `abrupt-ending` cause of `st`, if any.
fn abrupt(st: &Value) -> Option<&Value> {
    st["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "abrupt-ending")
}

/// What the catalog says of 1006 in general, which a read ending never repeats.
const TYPICAL: &str = "Typical sources";

#[test]
fn a_server_that_stops_mid_session_is_named_with_its_fin() {
    let mut s = Session::new(41001, 8080);
    s.open();
    s.send(Client, &text(Client, "subscribe"));
    s.send(Server, &text(Server, "tick 1"));
    wait(&mut s, 2.347);
    let fin = s.fin(Server);
    s.fin(Client);
    s.ack(Server);
    let st = status(&s);
    assert_eq!(st["code"], 1006, "{st}");
    let a = abrupt(&st).unwrap_or_else(|| panic!("{st}"));
    assert_eq!(a["verdict"], "server-process", "{a}");
    assert_eq!(a["end"]["packet"], fin, "{a}");
    assert_eq!(a["end"]["how"], "fin", "{a}");
    assert!((a["quiet_s"].as_f64().unwrap() - 2.348).abs() < 0.01, "{a}");
    assert!(a["after_message"].is_null(), "{a}");
    let cause = st["cause"].as_str().unwrap();
    assert!(
        cause.contains(&format!(
            "the server's own software ended the session (its process stopped, crashed or was killed, or its code closed the socket): the server closed TCP with a FIN (packet {fin})"
        )),
        "{cause}"
    );
    // No quiet spell of whole seconds: no proxy idle timeout leads, nor any other
    // generic source.
    assert!(!cause.contains(TYPICAL), "{cause}");
    assert!(!cause.contains("idle timeout on a proxy"), "{cause}");
    let fix = st["fix"].as_str().unwrap();
    assert!(
        fix.contains("Read the server's logs at the time of packet"),
        "{fix}"
    );
    assert!(fix.contains("catch SIGTERM and drain"), "{fix}");
}

#[test]
fn a_server_whose_socket_is_gone_answers_the_client_with_an_rst() {
    let mut s = Session::new(41002, 8080);
    s.open();
    s.send(Server, &text(Server, "hello"));
    wait(&mut s, 1.5);
    s.fin(Server);
    wait(&mut s, 0.2);
    s.send(Client, &text(Client, "are you there"));
    let rst = s.rst(Server);
    let st = status(&s);
    let a = abrupt(&st).unwrap_or_else(|| panic!("{st}"));
    assert_eq!(a["verdict"], "server-process", "{a}");
    assert_eq!(a["reset_packet"], rst, "{a}");
    let cause = st["cause"].as_str().unwrap();
    assert!(
        cause.contains(&format!(
            "its RST (packet {rst}) answered what the client sent after that: its socket was gone"
        )),
        "{cause}"
    );
}

#[test]
fn a_client_that_drops_right_after_a_message_is_named() {
    let mut s = Session::new(41003, 8080);
    s.open();
    let msg = s.send(Server, &text(Server, "big update"));
    let rst = s.rst(Client);
    let st = status(&s);
    let a = abrupt(&st).unwrap_or_else(|| panic!("{st}"));
    assert_eq!(a["verdict"], "client-process", "{a}");
    assert_eq!(a["after_message"], msg, "{a}");
    assert_eq!(a["end"]["packet"], rst, "{a}");
    assert_eq!(a["end"]["how"], "rst", "{a}");
    assert!(!st["cause"].as_str().unwrap().contains(TYPICAL), "{st}");
}

#[test]
fn a_spell_of_whole_seconds_no_timeout_matches_is_not_decided() {
    let mut s = Session::new(41004, 8080);
    s.open();
    s.send(Client, &text(Client, "hi"));
    // 13.000 s of quiet (no known default is 13 s), then the server's FIN.
    wait(&mut s, 12.999);
    let fin = s.fin(Server);
    s.fin(Client);
    s.ack(Server);
    let st = status(&s);
    let a = abrupt(&st).unwrap_or_else(|| panic!("{st}"));
    assert_eq!(a["verdict"], "unknown", "{a}");
    let cause = st["cause"].as_str().unwrap();
    assert!(
        cause.contains(&format!("The capture cannot tell who ended the session: the server's FIN (packet {fin}) came after a quiet spell of 13.0 s")),
        "{cause}"
    );
    assert!(
        cause.contains("(for: the whole seconds; against: nothing in the capture names one)"),
        "{cause}"
    );
    assert!(!cause.contains(TYPICAL), "{cause}");
    assert!(
        st["fix"]
            .as_str()
            .unwrap()
            .starts_with("Look for an idle timeout of 13.0 s"),
        "{st}"
    );
}

/// A peer that froze is the heartbeat's verdict, said once: no abrupt ending beside it.
#[test]
fn a_side_whose_ping_went_unanswered_is_the_heartbeats_verdict() {
    let mut s = Session::new(41005, 8080);
    s.open();
    s.send(Client, &text(Client, "hi"));
    wait(&mut s, 0.5);
    let ping = s.send(Server, &common::ping(Server, b"hb"));
    s.ack(Client); // the client's kernel acknowledges it; its application never answers
    wait(&mut s, 5.0);
    s.fin(Server);
    let st = status(&s);
    let hb = &st["causes"][1];
    assert_eq!(hb["kind"], "heartbeat-timeout", "{st}");
    assert_eq!(hb["ping_packet"], ping, "{st}");
    assert!(abrupt(&st).is_none(), "{st}");
}

#[test]
fn no_reading_where_bytes_are_missing() {
    let mut s = Session::new(41006, 8080);
    s.open();
    s.send(Server, &text(Server, "one"));
    s.lose(Server, &text(Server, "two"));
    s.send(Server, &text(Server, "three"));
    wait(&mut s, 2.5);
    s.fin(Server);
    let st = status(&s);
    assert_eq!(st["code"], 1006, "{st}");
    // A close frame may be in what was lost: nothing is read into the ending, and the
    // catalog's list of what a 1006 usually is stays.
    assert!(abrupt(&st).is_none(), "{st}");
    assert!(st["cause"].as_str().unwrap().contains(TYPICAL), "{st}");
}

#[test]
fn a_known_timeout_keeps_its_own_cause() {
    let mut s = Session::new(41007, 8080);
    s.open();
    s.send(Client, &text(Client, "hi"));
    wait(&mut s, 59.999);
    s.fin(Server);
    let st = status(&s);
    let kinds: Vec<&str> = st["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"idle-timeout"), "{kinds:?}");
    assert!(!kinds.contains(&"abrupt-ending"), "{kinds:?}");
}

/// `wsclose analyze --format json` of fixtures/NAME: its first connection's status.
fn fixture_status(name: &str) -> Value {
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .args(["analyze", "--format", "json"])
        .arg(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures")
                .join(name),
        )
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&run::stdout_of(out)).unwrap();
    v["connections"][0]["status"].clone()
}

/// A reason whose words name the cause, and a private code with the application's own
/// reason: the cause says that and its fix, and neither the code's typical sources nor
/// other protocols' codes (issue 68, issue 82 item 2, issue 83 item 5); `wsclose explain`
/// still gives them.
#[test]
fn a_known_cause_stands_alone() {
    let st = fixture_status("node-close-1008.pcap");
    let cause = st["cause"].as_str().unwrap();
    assert!(
        cause.contains("Its reason's words, \"token expired\""),
        "{cause}"
    );
    assert!(!cause.contains("a rate limit or flood guard"), "{cause}");
    let st = fixture_status("node-close-4001-utf8.pcap");
    let cause = st["cause"].as_str().unwrap();
    assert!(cause.contains("zu spät"), "{cause}");
    assert!(!cause.contains("graphql-ws"), "{cause}");
    assert!(!cause.contains("4408"), "{cause}");
    let explain = |code: &str| {
        let out = Command::cargo_bin("wsclose")
            .unwrap()
            .args(["explain", code])
            .output()
            .unwrap();
        String::from_utf8(run::stdout_of(out)).unwrap()
    };
    assert!(explain("4001").contains("4408 init timeout"));
    assert!(explain("1008").contains("a rate limit or flood guard"));
}

/// A 1006 whose ending is read says it, not the catalog's list: the router stopped with
/// SIGINT (`crossbar stop`, its log: "Controller received SIGINT … shutting down node")
/// and its FIN came 4.8 s after the last frame; the client's RST right after the server's
/// message (python-no-close-rst, the client's code dropped the socket).
#[test]
fn recorded_abrupt_endings_name_their_side() {
    let st = fixture_status("app/wamp-crossbar-shutdown.pcap");
    let a = abrupt(&st).unwrap_or_else(|| panic!("{st}"));
    assert_eq!(a["verdict"], "server-process", "{a}");
    assert_eq!(a["end"]["packet"], 11, "{a}");
    assert!(!st["cause"].as_str().unwrap().contains(TYPICAL), "{st}");
    let st = fixture_status("python-no-close-rst.pcap");
    let a = abrupt(&st).unwrap_or_else(|| panic!("{st}"));
    assert_eq!(a["verdict"], "client-process", "{a}");
    assert_eq!(a["after_message"], 9, "{a}");
}

/// `wsclose analyze --format json` of fixtures/NAME: its connections.
fn fixture_connections(name: &str) -> Vec<Value> {
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .args(["analyze", "--format", "json"])
        .arg(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures")
                .join(name),
        )
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&run::stdout_of(out)).unwrap();
    v["connections"].as_array().unwrap().clone()
}

/// A Mojolicious 9.31 server stopped with SIGTERM and SIGKILL under an aiohttp 3.14.5
/// client that reconnects (fixtures/ending/, the verdicts in fixtures/README.md written
/// from the endpoints' logs first): the first session is the server's own doing, named
/// with the server's FIN; the session after the restart is the client's clean 1000; the
/// refused attempts (a SYN answered by an RST) are no WebSocket connections.
#[test]
fn a_server_stopped_under_its_clients_is_named() {
    for (name, fin, close) in [
        ("ending/mojo-sigterm.pcap", 16, 46),
        ("ending/mojo-sigkill.pcap", 16, 44),
        ("ending/mojo-sigkill-no-backoff.pcap", 18, 252),
    ] {
        let cs = fixture_connections(name);
        assert_eq!(cs.len(), 2, "{name}");
        let st = &cs[0]["status"];
        assert_eq!(st["code"], 1006, "{name}: {st}");
        let a = abrupt(st).unwrap_or_else(|| panic!("{name}: {st}"));
        assert_eq!(a["verdict"], "server-process", "{name}: {a}");
        assert_eq!(a["end"]["packet"], fin, "{name}: {a}");
        assert_eq!(a["end"]["by"], "server", "{name}: {a}");
        assert_eq!(a["end"]["how"], "fin", "{name}: {a}");
        let cause = st["cause"].as_str().unwrap();
        assert!(!cause.contains(TYPICAL), "{name}: {cause}");
        let st = &cs[1]["status"];
        assert_eq!(st["code"], 1000, "{name}: {st}");
        assert_eq!(st["causes"][0]["packet"], close, "{name}: {st}");
        assert_eq!(st["causes"][0]["from"], "client", "{name}: {st}");
        assert_eq!(st["causes"][0]["reason"], "done", "{name}: {st}");
    }
}

/// A capture of one direction whose side closed first (issue 82 item 6: its own close
/// frame on the wire, the other side's data after it, its reply, in the acknowledgements):
/// the frame's code is the status (what the other side's application saw), the other
/// side's reply is marked as not captured, and what the captured side saw stays unknown.
/// Before, the status was withheld ("Unknown (one direction captured)", no code).
#[test]
fn one_direction_with_its_own_close_frame_reports_the_code() {
    for (closer, code) in [(Client, 1000), (Server, 1001)] {
        let mut s = Session::new(41010 + code - 1000, 8080);
        s.open();
        s.send(Client, &text(Client, "hi"));
        s.send(Server, &text(Server, "yo"));
        let close_at = s.send(closer, &close(closer, code, "bye"));
        s.ack(closer.peer());
        s.send(closer.peer(), &close(closer.peer(), code, "bye"));
        s.fins(closer);
        // Only the closing side's packets, numbered as the capture numbers them.
        let kept: Vec<Pkt> = s
            .pkts
            .iter()
            .filter(|p| p.from == closer)
            .cloned()
            .collect();
        let packet = kept.iter().position(|p| p.id == close_at).unwrap() as u64 + 1;
        let r = analyze_timed(s.link, &kept, Options::default());
        let c = only(&r);
        let v = serde_json::to_value(c).unwrap();
        let st = &v["status"];
        assert_eq!(st["code"], code, "{st}");
        assert_eq!(st["causes"][0]["kind"], "one-direction", "{st}");
        assert_eq!(st["causes"][0]["close_packet"], packet, "{st}");
        assert_eq!(st["causes"][1]["kind"], "close-frame", "{st}");
        assert_eq!(st["causes"][1]["from"], closer.as_str(), "{st}");
        let peer = closer.peer().as_str();
        assert_eq!(v["seen_by"][peer], code, "{v}");
        assert!(v["seen_by"][closer.as_str()].is_null(), "{v}");
        assert_eq!(v["close_handshake"]["reply_may_be_missing"], true, "{v}");
        let cause = st["cause"].as_str().unwrap();
        assert!(
            cause.contains(&format!(
                "the {}'s close frame (packet {packet}) is on the wire",
                closer.as_str()
            )),
            "{cause}"
        );
        assert!(
            cause.contains(&format!(
                "came first: the {}'s acknowledgements show the {peer} sent data after it",
                closer.as_str()
            )),
            "{cause}"
        );
        assert!(cause.contains(&format!("the {peer}'s reply, and so the status the {}'s application saw, are not in the capture", closer.as_str())), "{cause}");
    }
}

/// One direction whose side sent no close frame: the first close frame may be the unseen
/// side's, so the status stays unknown.
#[test]
fn one_direction_without_its_close_frame_stays_unknown() {
    let mut s = Session::new(41020, 8080);
    s.open();
    s.send(Client, &text(Client, "hi"));
    s.send(Server, &text(Server, "yo"));
    s.send(Server, &close(Server, 1000, ""));
    s.fins(Client);
    let kept: Vec<Pkt> = s
        .pkts
        .iter()
        .filter(|p| p.from == Client)
        .cloned()
        .collect();
    let r = analyze_timed(s.link, &kept, Options::default());
    let st = serde_json::to_value(&only(&r).status).unwrap();
    assert_eq!(st["causes"][0]["kind"], "one-direction", "{st}");
    assert!(st["causes"][0]["close_packet"].is_null(), "{st}");
    assert!(st["code"].is_null(), "{st}");
    assert_eq!(st["name"], "Unknown (one direction captured)", "{st}");
}

/// Data sent again and never acknowledged, too little for `unacknowledged-data`: the
/// network is not ruled out, so the capture cannot tell (recorded: path/node-mtu-quiet-
/// server, the server's segment #11 lost to an MTU black hole, sent again 4 times; the
/// client's own timer ended it 9.4 s later, its log: "10 s passed, terminate()").
#[test]
fn data_left_unacknowledged_keeps_the_network_in_the_running() {
    let st = fixture_status("path/node-mtu-quiet-server.pcap");
    let a = abrupt(&st).unwrap_or_else(|| panic!("{st}"));
    assert_eq!(a["verdict"], "unknown", "{a}");
    assert_eq!(a["unacknowledged"]["from"], "server", "{a}");
    assert_eq!(a["unacknowledged"]["packet"], 11, "{a}");
    let cause = st["cause"].as_str().unwrap();
    assert!(
        cause.contains("the server's data from packet 11 was still unacknowledged, sent again 4 times. First, the path"),
        "{cause}"
    );
    assert!(!cause.contains("Not the network"), "{cause}");
}

/// A session whose HTTP/2 stream the client ended 8 ms after the server's message
/// (h2/hypercorn-h2c-close-crash, connection 2): the reaction is the cause, with no quiet
/// spell, so the catalog's list (which leads with a proxy's idle timeout) is not said.
#[test]
fn a_reaction_to_a_message_carries_no_idle_timeout_list() {
    let st = &fixture_connections("h2/hypercorn-h2c-close-crash.pcap")[1]["status"];
    assert_eq!(st["causes"][1]["kind"], "unanswered-message", "{st}");
    let cause = st["cause"].as_str().unwrap();
    assert!(
        cause.contains("The client reacted to that message"),
        "{cause}"
    );
    assert!(!cause.contains(TYPICAL), "{cause}");
}
