//! Issue 92 item 7, the one-direction view: a capture of one side's packets says what that
//! direction shows of the path (its bytes sent again: acknowledgements did not reach it in
//! time) and withholds the verdict that rests on the other direction (a path that died, a
//! black hole, a peer gone). On one-direction captures derived from two-end recordings
//! with a capture filter (fixtures/path/*-oneway.pcap, fixtures/README.md), two
//! implementations, with controls: a one-direction capture of a normal close says no
//! retransmission, and the full captures are no one-direction.

use crate::common::run;
use serde_json::Value;
use std::path::Path;

fn connection(path: &str) -> Value {
    let p = format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    let (out, err, code) = run::wsclose(&["analyze", "--format", "json", &p]);
    assert!(code.is_some(), "{path}: {err}");
    let r: Value = serde_json::from_slice(&out).unwrap();
    let conns = r["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 1, "{path}");
    conns[0].clone()
}

fn kinds(c: &Value) -> Vec<String> {
    c["status"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kind"].as_str().unwrap().to_string())
        .collect()
}

fn resent(c: &Value) -> Option<&Value> {
    c["status"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "one-direction-resent")
}

/// The server's packets of the half-open session (websockets) and of the tornado download
/// whose large segments died: their retransmissions said, no path verdict drawn.
#[test]
fn one_direction_says_its_retransmissions_and_withholds_the_path() {
    for (path, last, after) in [
        ("path/python-half-open-server-oneway.pcap", 16, 0.0),
        ("path/tornado-drop-down-server-oneway.pcap", 24, 1.486),
    ] {
        let c = connection(path);
        let k = kinds(&c);
        assert_eq!(k[0], "one-direction", "{path}: {k:?}");
        assert_eq!(c["status"]["causes"][0]["seen"], "server", "{path}");
        for withheld in [
            "unacknowledged-data",
            "mtu-black-hole",
            "still-open",
            "heartbeat-timeout",
        ] {
            assert!(!k.iter().any(|x| x == withheld), "{path}: {k:?}");
        }
        let r = resent(&c).unwrap_or_else(|| panic!("{path}: {k:?}"));
        assert_eq!(r["from"], "server", "{path}");
        assert_eq!(r["retransmissions"], 5, "{path}: {r}");
        assert_eq!(r["last_packet"], last, "{path}: {r}");
        assert_eq!(r["after_s"], after, "{path}: {r}");
        let said = c["status"]["cause"].as_str().unwrap();
        assert!(
            said.contains("it sent bytes it had sent before again 5 times"),
            "{said}"
        );
        assert!(
            said.contains("rests on the client's direction, which is not in the capture"),
            "{said}"
        );
    }
}

/// Controls: the client's packets of a normal close keep their verdict (1000, its own close
/// frame on the wire) with no retransmission said; the two-end captures the one-direction
/// ones came from are no one-direction, and name the path as before.
#[test]
fn a_normal_one_direction_capture_and_the_full_ones_say_no_such_thing() {
    let c = connection("path/python-close-1000-client-oneway.pcap");
    assert_eq!(c["status"]["code"], 1000, "{c}");
    assert_eq!(kinds(&c)[0], "one-direction");
    assert!(resent(&c).is_none(), "{:?}", kinds(&c));
    for (path, path_kind) in [
        ("path/python-half-open-server.pcap", "unacknowledged-data"),
        ("path/tornado-drop-down-server.pcap", "mtu-black-hole"),
        ("python-close-1000-client.pcap", "close-frame"),
    ] {
        let c = connection(path);
        let k = kinds(&c);
        assert!(
            !k.iter().any(|x| x.starts_with("one-direction")),
            "{path}: {k:?}"
        );
        assert!(k.iter().any(|x| x == path_kind), "{path}: {k:?}");
    }
}

fn cause<'a>(c: &'a Value, kind: &str) -> Option<&'a Value> {
    c["status"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == kind)
}

/// A half-open session recorded at both ends with a router between (nodejs-websocket's
/// ticks, a websockets client; the router drops the session both ways): each view is named
/// from the TTLs, its own packets 64, the other end's 63. At the server its ticks from
/// packet 21 left the host, never acknowledged; at the client its FIN from packet 21 did.
#[test]
fn each_view_of_a_half_open_session_is_named() {
    for (view, host, verdict) in [
        ("server", "server", "unacknowledged-data"),
        ("client", "client", "abrupt-ending"),
    ] {
        let path = format!("path/njsws-halfopen-{view}.pcap");
        let c = connection(&path);
        assert!(cause(&c, verdict).is_some(), "{path}: {:?}", kinds(&c));
        let k = cause(&c, "seen-at").unwrap_or_else(|| panic!("{path}: {:?}", kinds(&c)));
        assert_eq!(k["host"], host, "{path}: {k}");
        assert_eq!(k["own_ttl"], 64, "{path}: {k}");
        assert_eq!(k["peer_ttl"], 63, "{path}: {k}");
        assert_eq!(k["unacknowledged"], host, "{path}: {k}");
        assert_eq!(k["packet"], 21, "{path}: {k}");
        let said = c["status"]["cause"].as_str().unwrap();
        assert!(
            said.contains(&format!("The capture was taken at the {host}'s host")),
            "{said}"
        );
        assert!(
            said.contains("left this host and was never acknowledged"),
            "{said}"
        );
    }
}

/// The same two views, what each host stopped receiving: at the client, the server's
/// ticks stopped (its last frame, tick 5, packet 19; nothing of the server's after, the
/// client's FIN #21 and its 3 retransmissions unanswered, the capture's last packet 7.3 s
/// after the tick); at the server, nothing of the client's after its ping (#10), the tick
/// #21 and 6 retransmissions unanswered, and no data of the client's to have stopped.
/// Controls: the MTU black hole's sender view (a router between, the receiver's duplicate
/// ACKs during the stall) names its view with no silence.
#[test]
fn each_view_of_a_half_open_session_says_what_stopped_arriving() {
    let times = |path: &str| -> Vec<f64> {
        let mut out = Vec::new();
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(path);
        wsclose::__internals::capture::file::read(&file, &mut |p| out.push(p.ts.0 as f64 / 1e9))
            .unwrap();
        out
    };
    for (view, peer, last, data, sent) in [
        ("client", "server", 19, true, 4),
        ("server", "client", 10, false, 7),
    ] {
        let path = format!("path/njsws-halfopen-{view}.pcap");
        let c = connection(&path);
        let k = cause(&c, "seen-at").unwrap();
        let q = &k["peer_silent"];
        assert_eq!(
            (&q["last_frame"], &q["data"], &q["sent_since"]),
            (&last.into(), &data.into(), &sent.into()),
            "{path}: {k}"
        );
        let t = times(&path);
        let gap = t.last().unwrap() - t[last - 1];
        assert!(
            (q["before_end_s"].as_f64().unwrap() - gap).abs() < 0.002,
            "{path}: {gap} {q}"
        );
        let said = c["status"]["cause"].as_str().unwrap();
        assert!(
            said.contains(&format!(
                "Nothing of the {peer}'s reached this host from packet 21 on: its last frame here was packet {last}"
            )) && said.contains(&format!("the {view}'s {sent} segments since went unanswered")),
            "{said}"
        );
        assert_eq!(
            said.contains(&format!("the {peer}'s data stopped arriving")),
            data,
            "{said}"
        );
    }
    for path in [
        "path/python-mtu-quiet-server.pcap",
        "path/node-mtu-quiet-server.pcap",
    ] {
        let c = connection(path);
        let k = cause(&c, "seen-at").unwrap_or_else(|| panic!("{path}: {:?}", kinds(&c)));
        assert!(k["peer_silent"].is_null(), "{path}: {k}");
        let said = c["status"]["cause"].as_str().unwrap();
        assert!(!said.contains("reached this host from packet"), "{said}");
    }
}

/// Controls: where the TTLs do not tell (no router between: both ends' packets 64, the
/// half-open recordings of websockets and ws) or nothing went unacknowledged (a normal
/// close, a router between: the control download), no host is named (`seen-at`; the
/// side of the break, `seen-before-break`, is the next test's).
#[test]
fn no_view_is_named_where_the_ttls_or_the_data_do_not_tell() {
    for path in [
        "path/python-half-open-server.pcap",
        "path/node-half-open-client.pcap",
        "python-close-1000-client.pcap",
        "path/aiohttp-nodrop-server.pcap",
    ] {
        let c = connection(path);
        assert!(cause(&c, "seen-at").is_none(), "{path}: {:?}", kinds(&c));
    }
}

/// The packets of a fixture, by number: their times.
fn packet_times(path: &str) -> Vec<f64> {
    let mut out = Vec::new();
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path);
    wsclose::__internals::capture::file::read(&file, &mut |p| out.push(p.ts.0 as f64 / 1e9))
        .unwrap();
    out
}

/// The half-open sessions recorded with no router between (websockets and ws, the server
/// pinging, the client's namespace dropping the session both ways), each captured at the
/// server's host and at the client's: the TTLs name no host (64 both ways), and the two
/// captures of a session hold the same packets (the client's tcpdump sees what comes in
/// before nft's input hook drops it). What the side that kept sending shows still names
/// the side of the break each capture was on: the server's ping #21 and its 5
/// retransmissions (over 3.346 s) reached the capture point, nothing of the client's after
/// it, the client's last frame its pong #19. The host is not named, in either capture: the
/// one taken at the client's host says the same, as it must.
#[test]
fn a_half_open_session_without_a_router_names_the_side_of_the_break() {
    let mut said_by_view = Vec::new();
    for stem in ["python", "node"] {
        for view in ["server", "client"] {
            let path = format!("path/{stem}-half-open-{view}.pcap");
            let c = connection(&path);
            assert!(cause(&c, "seen-at").is_none(), "{path}: {:?}", kinds(&c));
            let k =
                cause(&c, "seen-before-break").unwrap_or_else(|| panic!("{path}: {:?}", kinds(&c)));
            assert_eq!(
                (
                    &k["from"],
                    &k["packet"],
                    &k["retransmissions"],
                    &k["seconds"]
                ),
                (&"server".into(), &21.into(), &5.into(), &3.346.into()),
                "{path}: {k}"
            );
            let q = &k["peer_silent"];
            assert_eq!(
                (&q["last_frame"], &q["data"], &q["sent_since"]),
                (&19.into(), &false.into(), &6.into()),
                "{path}: {k}"
            );
            // The packets say so: #21 to the end are the server's (its ping and its
            // retransmissions, 3.346 s apart first to last), and the client's pong #19
            // came 4.347 s before the last.
            let t = packet_times(&path);
            assert_eq!(t.len(), 26, "{path}");
            assert!((t[25] - t[20] - 3.346).abs() < 0.001, "{path}");
            assert!(
                (q["before_end_s"].as_f64().unwrap() - (t[25] - t[18])).abs() < 0.002,
                "{path}: {q}"
            );
            let said = c["status"]["cause"].as_str().unwrap();
            for words in [
                "Where this capture was taken: on the server's side of the break.",
                "The server's data from packet 21, sent again 5 times over 3.346 s, reached the capture point",
                "The client's last frame here was packet 19",
                "Which host the capture was taken at is not said",
            ] {
                assert!(said.contains(words), "{path}: {words}: {said}");
            }
            assert!(!said.contains("this host"), "{path}: {said}");
            assert!(!said.contains("data stopped arriving"), "{path}: {said}");
            said_by_view.push(k.clone());
        }
    }
    // Each session's two captures say the same: nothing in them tells the hosts apart.
    assert_eq!(said_by_view[0], said_by_view[1]);
    assert_eq!(said_by_view[2], said_by_view[3]);
    // Every format says it, on the evidence line (HTML escapes the apostrophes; ECS has
    // the words).
    let p = format!(
        "{}/fixtures/path/python-half-open-client.pcap",
        env!("CARGO_MANIFEST_DIR")
    );
    let clause =
        "captured on the server's side of the break: nothing of the client's from packet 21 on";
    for format in ["table", "markdown", "csv", "html", "jsonl", "ecs"] {
        let (out, err, code) = run::wsclose(&["analyze", "--format", format, "-v", &p]);
        assert!(code.is_some(), "{format}: {err}");
        let out = String::from_utf8(out).unwrap();
        let out: String = out
            .lines()
            .map(|l| l.trim_matches(|c: char| c == '│' || c.is_whitespace()))
            .map(|l| l.rsplit('┆').next().unwrap_or(l).trim())
            .collect::<Vec<_>>()
            .join(" ");
        // (ECS documents carry the cause's words, not the evidence line.)
        let want = match format {
            "html" => clause.replace('\'', "&#39;"),
            "ecs" => "Where this capture was taken: on the server's side of the break.".into(),
            _ => clause.to_string(),
        };
        assert!(out.contains(&want), "{format}: {out}");
    }
}

/// Controls: the peer's packets reached the capture after the data's first segment
/// (`half-open.pcap`: the server's late 1001 after the client's ping; the MTU black hole's
/// sender views: the receiver's duplicate ACKs), the TTLs named the host (`seen-at` said
/// instead: the router recordings), one direction captured (no acknowledgement to be
/// missing), or nothing went unacknowledged: no `seen-before-break`.
#[test]
fn no_side_of_a_break_is_named_where_the_peer_answered_or_the_ttls_or_nothing_tell() {
    for path in [
        "path/half-open.pcap",
        "path/half-open-close.pcap",
        "path/python-mtu-down-server.pcap",
        "path/aiohttp-drop-down-server.pcap",
        "path/njsws-halfopen-server.pcap",
        "path/njsws-halfopen-client.pcap",
        "path/python-mtu-quiet-server.pcap",
        "path/python-half-open-server-oneway.pcap",
        "python-close-1000-client.pcap",
        "path/aiohttp-nodrop-server.pcap",
    ] {
        let c = connection(path);
        assert!(
            cause(&c, "seen-before-break").is_none(),
            "{path}: {:?}",
            kinds(&c)
        );
    }
    // (The first two do leave data unacknowledged: what withholds it there is the peer's
    // packet after it.)
    for path in ["path/half-open.pcap", "path/half-open-close.pcap"] {
        let c = connection(path);
        assert!(
            cause(&c, "unacknowledged-data").is_some(),
            "{path}: {:?}",
            kinds(&c)
        );
    }
}
