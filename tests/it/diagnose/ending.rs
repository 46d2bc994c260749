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
use wsclose::vocab::{
    Role::{Client, Server},
    Timestamp,
};

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

/// Every connection's JSON of `s`, analyzed with its own times.
fn all_connections(s: &Session) -> Vec<Value> {
    let r = analyze_timed(s.link, &s.pkts, Options::default());
    serde_json::to_value(&r.connections)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// A new connection of the client from `port`: its SYN, answered by the server's RST
/// (nothing listens on the port). Returns the SYN's packet.
fn refused_syn(s: &mut Session, port: u16, isn: u32) -> u64 {
    s.ports[0] = port;
    s.reconnect(isn, 0);
    let syn = s.syn();
    s.emit(Server, RST, 0, &[], None);
    syn
}

/// Issue 82 item 1: after a server's abrupt ending, what came next from the same client
/// host to the same server port is cited on the connection itself: its new SYN refused
/// with a RST (the port closed: the server was down) and its reconnect accepted after the
/// gap (the server came back). A refusal soon after the ending decides a spell of whole
/// seconds that alone left the verdict open: the server's process had stopped.
#[test]
fn a_server_down_then_back_is_read_from_the_clients_next_attempts() {
    let mut s = Session::new(41010, 8080);
    s.open();
    s.send(Client, &text(Client, "hi"));
    // 13.000 s of quiet, then the server's FIN: alone, the capture cannot tell (above).
    wait(&mut s, 12.999);
    let fin = s.fin(Server);
    s.fin(Client);
    s.ack(Server);
    wait(&mut s, 0.8);
    let first = refused_syn(&mut s, 41011, 7_000);
    wait(&mut s, 0.5);
    let last = refused_syn(&mut s, 41012, 8_000);
    // Another port of the same server host refusing is not this server's.
    s.ports[1] = 9090;
    refused_syn(&mut s, 41013, 9_000);
    s.ports[1] = 8080;
    wait(&mut s, 0.6);
    s.ports[0] = 41014;
    s.reconnect(10_000, 20_000);
    let syn = s.syn();
    s.syn_ack();
    s.ack(Client);
    s.send(Client, &request());
    s.send(Server, &response(false));
    s.send(Client, &close(Client, 1000, "bye"));
    s.send(Server, &close(Server, 1000, "bye"));
    s.fins(Server);
    let all = all_connections(&s);
    assert_eq!(all.len(), 2, "{all:?}");
    let st = &all[0]["status"];
    let a = abrupt(st).unwrap_or_else(|| panic!("{st}"));
    assert_eq!(a["end"]["packet"], fin, "{a}");
    assert_eq!(a["verdict"], "server-process", "{a}");
    let after = &a["afterwards"];
    assert_eq!(
        (
            &after["refused"],
            &after["first_refused"],
            &after["last_refused"]
        ),
        (&2.into(), &first.into(), &last.into()),
        "{a}"
    );
    assert_eq!(after["accepted"]["connection"], 2, "{a}");
    assert_eq!(after["accepted"]["packet"], syn, "{a}");
    assert_eq!(after["accepted"]["reconnect"], true, "{a}");
    let gap = after["accepted"]["after_s"].as_f64().unwrap();
    assert!((gap - 1.9).abs() < 0.01, "{a}");
    let cause = st["cause"].as_str().unwrap();
    for said in [
        "were refused 2 times: the first SYN, 0.8".to_string(),
        format!("(packet {first}), was answered by a RST"),
        format!("(packet {last}): the server was down, so its process had stopped"),
        "The server came back (restarted): down between 1.3".to_string(),
        "the client's reconnect 1.9".to_string(),
        format!("was accepted (packet {syn}), as connection 2."),
    ] {
        assert!(cause.contains(&said), "{said}: {cause}");
    }
    // No idle timeout is offered once the port was found closed.
    assert!(!cause.contains("cannot tell"), "{cause}");
    let ev = &all[0]["evidence"];
    for p in [fin, first, last, syn] {
        assert!(
            ev["packets"].as_array().unwrap().contains(&p.into()),
            "{ev}"
        );
    }
    assert!(
        ev["summary"]
            .as_str()
            .unwrap()
            .contains("then 2 new connections of the client's host refused"),
        "{ev}"
    );
}

/// A refusal long after the ending says the server was down then, not that its ending was
/// the process's: the open verdict stays open, with the refusal cited.
#[test]
fn a_late_refusal_is_cited_without_deciding() {
    let mut s = Session::new(41020, 8080);
    s.open();
    s.send(Client, &text(Client, "hi"));
    wait(&mut s, 12.999);
    s.fin(Server);
    s.fin(Client);
    s.ack(Server);
    wait(&mut s, 30.0);
    let syn = refused_syn(&mut s, 41021, 7_000);
    let all = all_connections(&s);
    let a = abrupt(&all[0]["status"]).unwrap_or_else(|| panic!("{all:?}"));
    assert_eq!(a["verdict"], "unknown", "{a}");
    assert_eq!(a["afterwards"]["first_refused"], syn, "{a}");
    assert!(a["afterwards"]["accepted"].is_null(), "{a}");
    let cause = all[0]["status"]["cause"].as_str().unwrap();
    assert!(cause.contains("were refused once"), "{cause}");
    assert!(cause.contains("the server was down."), "{cause}");
}

/// A client whose process dropped the session and came back: its next session is cited.
#[test]
fn a_client_that_came_back_is_cited() {
    let mut s = Session::new(41030, 8080);
    s.open();
    s.send(Server, &text(Server, "update"));
    s.rst(Client);
    wait(&mut s, 2.0);
    s.ports[0] = 41031;
    s.reconnect(10_000, 20_000);
    let syn = s.syn();
    s.syn_ack();
    s.ack(Client);
    s.send(Client, &request());
    s.send(Server, &response(false));
    let all = all_connections(&s);
    let a = abrupt(&all[0]["status"]).unwrap_or_else(|| panic!("{all:?}"));
    assert_eq!(a["verdict"], "client-process", "{a}");
    assert_eq!(a["afterwards"]["refused"], 0, "{a}");
    assert_eq!(a["afterwards"]["accepted"]["packet"], syn, "{a}");
    assert_eq!(a["afterwards"]["accepted"]["reconnect"], true, "{a}");
    let cause = all[0]["status"]["cause"].as_str().unwrap();
    assert!(
        cause.contains("The client came back 2.0")
            && cause.contains(&format!("(packet {syn}), as connection 2")),
        "{cause}"
    );
    // A session that ended with close frames gets nothing of this.
    assert!(abrupt(&all[1]["status"]).is_none());
}

/// The recordings of a Mojolicious server stopped under an aiohttp client that reconnects:
/// the refusals the client logged ("connect refused … 111") are the RSTs cited on the
/// connection, each SYN answered, and the reconnect its log names is the one accepted.
#[test]
fn a_stopped_server_cites_the_refusals_the_client_logged() {
    for (name, fin) in [
        ("ending/mojo-sigterm", 16),
        ("ending/mojo-sigkill", 16),
        ("ending/mojo-sigkill-no-backoff", 18),
    ] {
        let log = std::fs::read_to_string(format!(
            "{}/fixtures/{name}.log",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let logged = log.matches("connect refused").count() as u64;
        assert!(logged > 0, "{name}");
        let all = fixture_connections(&format!("{name}.pcap"));
        let a = abrupt(&all[0]["status"]).unwrap_or_else(|| panic!("{name}: {all:?}"));
        assert_eq!(a["end"]["packet"], fin, "{name}");
        let after = &a["afterwards"];
        assert_eq!(after["refused"], logged, "{name}: {a}");
        assert_eq!(after["accepted"]["connection"], 2, "{name}: {a}");
        assert_eq!(after["accepted"]["reconnect"], true, "{name}: {a}");
        assert_eq!(
            after["accepted"]["packet"].as_u64(),
            all[1]["first_packet"].as_u64(),
            "{name}: {a}"
        );
        let first = after["first_refused"].as_u64().unwrap();
        let last = after["last_refused"].as_u64().unwrap();
        assert!(fin < first && first < last, "{name}: {a}");
        let cause = all[0]["status"]["cause"].as_str().unwrap();
        assert!(
            cause.contains(&format!("were refused {logged} times"))
                && cause.contains("The server came back (restarted)"),
            "{name}: {cause}"
        );
    }
}

/// The `closing-cut-short` cause of `st`, if any.
fn cut_short(st: &Value) -> Option<&Value> {
    st["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "closing-cut-short")
}

/// Issue 82 item 1: a close frame followed by an abrupt end is read from who sent the
/// close, who ended TCP and how, and what met the reply; not a plain clean close.
#[test]
fn a_close_frame_then_the_senders_rst_is_cut_short() {
    let mut s = Session::new(42001, 8080);
    s.open();
    s.send(Server, &text(Server, "hi"));
    wait(&mut s, 1.3);
    let close_packet = s.send(Server, &close(Server, 1001, "bye"));
    let rst = s.rst(Server);
    let st = status(&s);
    assert_eq!(st["code"], 1001, "{st}");
    let k = cut_short(&st).unwrap_or_else(|| panic!("{st}"));
    assert_eq!(
        (
            &k["from"],
            &k["close_packet"],
            &k["end"]["by"],
            &k["end"]["how"]
        ),
        (
            &"server".into(),
            &close_packet.into(),
            &"server".into(),
            &"rst".into()
        ),
        "{k}"
    );
    assert_eq!(k["end"]["packet"], rst, "{k}");
    assert!(
        k["reply_packet"].is_null() && k["reply_reset"].is_null(),
        "{k}"
    );
    let cause = st["cause"].as_str().unwrap();
    for said in [
        format!("The closing handshake was cut short by the server: the server reset TCP with an RST (packet {rst})"),
        format!("after its own close frame (packet {close_packet}), without waiting for the client's reply"),
        "RFC 9293 §3.10.7.4".to_string(),
    ] {
        assert!(cause.contains(&said), "{said}: {cause}");
    }
    assert!(
        st["fix"]
            .as_str()
            .unwrap()
            .starts_with("Have the server wait for the client's close frame"),
        "{st}"
    );
}

#[test]
fn a_reply_met_by_the_closers_rst_is_cut_short() {
    let mut s = Session::new(42002, 8080);
    s.open();
    let close_packet = s.send(Server, &close(Server, 1000, ""));
    let fin = s.fin(Server);
    wait(&mut s, 0.05);
    let reply = s.send(Client, &close(Client, 1000, ""));
    let rst = s.rst(Server);
    let st = status(&s);
    let k = cut_short(&st).unwrap_or_else(|| panic!("{st}"));
    assert_eq!(k["close_packet"], close_packet, "{k}");
    assert_eq!(
        (&k["end"]["packet"], &k["end"]["how"]),
        (&fin.into(), &"fin".into()),
        "{k}"
    );
    assert_eq!(
        (&k["reply_packet"], &k["reply_reset"]),
        (&reply.into(), &rst.into()),
        "{k}"
    );
    let cause = st["cause"].as_str().unwrap();
    assert!(
        cause.contains(&format!("without waiting for the client's reply, which its RST (packet {rst}) then met (packet {reply})")),
        "{cause}"
    );
}

#[test]
fn a_peer_that_ends_tcp_without_replying_cuts_it_short() {
    let mut s = Session::new(42003, 8080);
    s.open();
    let close_packet = s.send(Client, &close(Client, 1000, "done"));
    wait(&mut s, 0.2);
    let fin = s.fin(Server);
    s.fin(Client);
    s.ack(Server);
    let st = status(&s);
    let k = cut_short(&st).unwrap_or_else(|| panic!("{st}"));
    assert_eq!(
        (&k["from"], &k["end"]["by"], &k["end"]["packet"]),
        (&"client".into(), &"server".into(), &fin.into()),
        "{k}"
    );
    assert!(
        (k["after_s"].as_f64().unwrap() - 0.201).abs() < 0.002,
        "{k}"
    );
    let cause = st["cause"].as_str().unwrap();
    assert!(
        cause.contains(&format!("The closing handshake was cut short by the server: the server closed TCP with a FIN (packet {fin}) 0.201 s after the client's close frame (packet {close_packet}), without a close frame in reply")),
        "{cause}"
    );
}

/// Closings that completed, or whose only fault is a reply that never came, are not cut
/// short: the reply before TCP's end; the closer's FIN first and the reply after it; the
/// closer's FIN and no reply at all (`no-close-reply` says it); an invalid reply (it did
/// answer); bytes missing (the reply may be among them).
#[test]
fn completed_closings_are_not_cut_short() {
    let mut cases: Vec<(&str, Session)> = Vec::new();
    let mut s = Session::new(42010, 8080);
    s.open();
    s.send(Client, &close(Client, 1000, ""));
    s.send(Server, &close(Server, 1000, ""));
    s.fins(Server);
    cases.push(("handshake then FINs", s));
    let mut s = Session::new(42011, 8080);
    s.open();
    s.send(Client, &close(Client, 1000, ""));
    s.fin(Client);
    s.send(Server, &close(Server, 1000, ""));
    s.fin(Server);
    s.ack(Client);
    cases.push(("half-close then reply", s));
    let mut s = Session::new(42012, 8080);
    s.open();
    s.send(Server, &close(Server, 1000, ""));
    s.fin(Server);
    s.fin(Client);
    s.ack(Server);
    cases.push(("no reply after the closer's FIN", s));
    let mut s = Session::new(42013, 8080);
    s.open();
    s.send(Client, &close(Client, 1000, ""));
    s.send(Server, &close_raw(Server, b"1000"));
    s.fin(Server);
    s.fin(Client);
    s.ack(Server);
    cases.push(("an invalid reply", s));
    let mut s = Session::new(42014, 8080);
    s.open();
    s.send(Server, &close(Server, 1000, ""));
    s.lose(Client, &text(Client, "lost"));
    s.send(Client, &text(Client, "after the gap"));
    s.rst(Server);
    cases.push(("bytes missing", s));
    for (what, s) in cases {
        let st = status(&s);
        assert!(cut_short(&st).is_none(), "{what}: {st}");
    }
}

/// Recorded: RabbitMQ's Web STOMP closes with 1000 and its FIN at once, and resets the
/// client's reply (fixtures/app, `rabbitmqctl close_all_connections`); ws fails a
/// connection whose 101 selected no subprotocol with its own FIN right after the graphql-ws
/// server's 4406, sending no close frame (fixtures/README.md). Where the application's
/// verdict is known, its fix stands alone.
#[test]
fn recorded_closings_cut_short_are_named() {
    let all = fixture_connections("app/rabbitmq-stomp-close-all.pcap");
    let k = cut_short(&all[0]["status"]).unwrap_or_else(|| panic!("{all:?}"));
    assert_eq!(
        (
            &k["from"],
            &k["close_packet"],
            &k["end"]["packet"],
            &k["reply_packet"],
            &k["reply_reset"]
        ),
        (
            &"server".into(),
            &12.into(),
            &13.into(),
            &14.into(),
            &15.into()
        ),
        "{k}"
    );
    let all = fixture_connections("app/graphql-offer-legacy.pcap");
    let st = &all[0]["status"];
    let k = cut_short(st).unwrap_or_else(|| panic!("{all:?}"));
    assert_eq!(
        (
            &k["from"],
            &k["end"]["by"],
            &k["end"]["how"],
            &k["end"]["packet"]
        ),
        (
            &"server".into(),
            &"client".into(),
            &"fin".into(),
            &10.into()
        ),
        "{k}"
    );
    assert!(
        !st["fix"].as_str().unwrap().contains("answer a close frame"),
        "{st}"
    );
}

/// Issue 82 item 6: a half-open connection seen from the side that keeps sending into a
/// peer that vanished: its ping and the retransmissions backing off are never
/// acknowledged, nothing comes from the peer, and then the sender gives up with its own
/// RST: that ending is read as its giving up, with the seconds it tried.
#[test]
fn a_sender_that_gives_up_on_a_vanished_peer_is_named() {
    let mut s = Session::new(42100, 8080);
    s.open();
    s.send(Client, &text(Client, "hello"));
    s.send(Server, &text(Server, "hello"));
    s.ack(Client);
    wait(&mut s, 1.0);
    let hb = ping(Server, b"hb");
    let seq = s.next[1];
    let first = s.send(Server, &hb);
    let mut last = first;
    for backoff in [0.2, 0.4, 0.8, 1.6, 3.2] {
        wait(&mut s, backoff);
        last = s.emit(Server, 0, seq, &hb, None);
    }
    wait(&mut s, 2.0);
    let rst = s.rst(Server);
    let st = status(&s);
    let u = st["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "unacknowledged-data")
        .unwrap_or_else(|| panic!("{st}"));
    assert_eq!(
        (
            &u["from"],
            &u["first_packet"],
            &u["last_packet"],
            &u["retransmissions"]
        ),
        (&"server".into(), &first.into(), &last.into(), &5.into()),
        "{u}"
    );
    assert_eq!(
        (
            &u["gave_up"]["by"],
            &u["gave_up"]["how"],
            &u["gave_up"]["packet"]
        ),
        (&"server".into(), &"rst".into(), &rst.into()),
        "{u}"
    );
    let tried = u["gave_up_s"].as_f64().unwrap();
    assert!((tried - 8.2).abs() < 0.02, "{u}");
    let cause = st["cause"].as_str().unwrap();
    assert!(
        cause.contains(&format!(
            "The server kept sending into a client that was gone, then gave up: the server reset TCP with an RST (packet {rst}) 8.2"
        )),
        "{cause}"
    );
}

/// A sender that did not end in the capture is not said to have given up.
#[test]
fn a_sender_that_did_not_end_is_not_said_to_give_up() {
    let mut s = Session::new(42101, 8080);
    s.open();
    s.send(Client, &text(Client, "hello"));
    s.send(Server, &text(Server, "hello"));
    s.ack(Client);
    let hb = ping(Server, b"hb");
    let seq = s.next[1];
    s.send(Server, &hb);
    for backoff in [0.2, 0.4, 0.8, 1.6] {
        wait(&mut s, backoff);
        s.emit(Server, 0, seq, &hb, None);
    }
    let st = status(&s);
    let u = st["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "unacknowledged-data")
        .unwrap_or_else(|| panic!("{st}"));
    assert!(u["gave_up"].is_null(), "{u}");
    assert!(!st["cause"].as_str().unwrap().contains("gave up"), "{st}");
}

/// THREATS kinds 2 and 5: the refused attempts kept are bounded by `--max-memory` (a
/// 256th of it: some 900 at the least budget, 32 MiB), the earliest kept, and the report
/// says how many were not kept.
#[test]
fn refusals_past_their_room_are_counted_and_said() {
    let mut s = Session::new(42200, 8080);
    s.open();
    s.send(Server, &text(Server, "hi"));
    wait(&mut s, 0.3);
    s.fin(Server);
    s.fin(Client);
    s.ack(Server);
    let n = 2000u32;
    for k in 0..n {
        wait(&mut s, 0.001);
        refused_syn(&mut s, 10_000 + k as u16, 100_000 + k * 10);
    }
    let opts = Options {
        max_memory: 32 << 20,
        ..Options::default()
    };
    let r = analyze_timed(s.link, &s.pkts, opts);
    let v = serde_json::to_value(&r).unwrap();
    let a = abrupt(&v["connections"][0]["status"]).unwrap_or_else(|| panic!("{v}"));
    let kept = a["afterwards"]["refused"].as_u64().unwrap();
    assert!(kept > 0 && kept < u64::from(n), "{a}");
    // The earliest are kept: the first refusal is the first SYN after the ending.
    assert_eq!(a["afterwards"]["first_refused"], 10, "{a}");
    let warned = r
        .warnings
        .iter()
        .find(|w| w.contains("refused connection attempts"))
        .unwrap_or_else(|| panic!("{:?}", r.warnings));
    assert!(
        warned.starts_with(&format!(
            "{} refused connection attempts",
            u64::from(n) - kept
        )),
        "{warned}"
    );
}
