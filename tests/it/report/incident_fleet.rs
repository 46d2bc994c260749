//! The incidents of issue 91's fleet recordings (fixtures/incident/, made by
//! fixtures/record/incident/record_fleet.sh in network namespaces: a server host and two
//! client hosts), with nhooyr.io/websocket (Go) and tokio-tungstenite (Rust): slow consumers
//! cut by the server while fast clients stay, a client host's processes killed, and their
//! controls. Each verdict was written from the peers' logs before wsclose read the capture
//! (fixtures/README.md); here the incident's kind, window, server, client host, members and
//! came back / never / refused, in JSON, Markdown and the table, the incident in every other
//! format, and the controls' silence.

use crate::common::recorded::{
    json, members, one_incident_in_every_format, path, run_ok, the_incident, within,
};

use serde_json::Value;

fn has_cause(c: &Value, kind: &str) -> bool {
    c["status"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["kind"] == kind)
}

/// The incident's figures as Markdown and the table both print them (the table's lines
/// joined): its window (the Markdown's own line, found again in the table), then `rest`
/// (server, client host, members, came back, never, refused).
fn figures_in_markdown_and_table(name: &str, rest: &str) {
    let p = path(name);
    let md = run_ok(&["analyze", "--format", "markdown", &p]);
    let window = md
        .lines()
        .find(|l| l.starts_with("Window: "))
        .unwrap_or_else(|| panic!("{name}: {md}"));
    assert!(window.ends_with(rest), "{name}: {window}");
    let table = run_ok(&["analyze", &p]);
    let flat = table.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(window), "{name}: {window} not in {table}");
}

/// What a slow-consumer recording must show, from its peers' logs.
struct Slow {
    name: &'static str,
    server: &'static str,
    ended_by: &'static str,
    window: std::ops::Range<f64>,
    zero: std::ops::Range<f64>,
}

/// Four slow clients of host 10.95.0.2 cut by the server, six fast ones (three on each host)
/// going on: one `slow-consumers` of 4, none back; each member's own cause the client's
/// window that stopped, ended by the server.
fn slow(s: &Slow) {
    let r = json(s.name);
    let i = the_incident(&r);
    assert_eq!(i["kind"], "slow-consumers", "{i}");
    assert_eq!(i["server"], s.server);
    assert_eq!(i["client"], "10.95.0.2");
    assert_eq!(i["members"], 4);
    assert_eq!(i["side"], "server");
    assert_eq!(i["ended_by"], s.ended_by);
    within(&i["window_s"], s.window.clone());
    let back = &i["reconnects"];
    assert_eq!(back["came_back"], 0);
    assert_eq!(back["never"], 4);
    assert_eq!(back["refused"], 0);
    assert_eq!(i["slow"]["stayed"], 6);
    within(&i["slow"]["zero_window_min_s"], s.zero.clone());
    within(&i["slow"]["zero_window_max_s"], s.zero.clone());
    let m = members(&r);
    assert_eq!(m.len(), 4);
    for c in &m {
        assert!(has_cause(c, "reader-stopped"), "{c}");
        assert!(
            c["handshake"]["path"].as_str().unwrap().contains("id=slow"),
            "{c}"
        );
    }
    // The fast clients closed with 1000 after the cut: in no incident.
    let fast: Vec<&Value> = r["connections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["handshake"]["path"].as_str().unwrap().contains("id=fast"))
        .collect();
    assert_eq!(fast.len(), 6);
    for c in fast {
        assert_eq!(c["status"]["code"], 1000);
        assert!(c.get("incident").is_none(), "{c}");
    }
    figures_in_markdown_and_table(
        s.name,
        &format!(
            "server {}; client host 10.95.0.2; 4 members; came back 0, never 4, refused 0.",
            s.server
        ),
    );
}

/// nhooyr: each Write's 2 s context expired, nhooyr closed the socket; its FIN waited
/// behind the unread bytes and came as each client read again (the log: 8.52 to 9.14 s),
/// after some 6 s of zero window.
#[test]
fn nhooyr_write_timeouts_are_slow_consumers() {
    slow(&Slow {
        name: "go-slow-consumers.pcap.gz",
        server: "10.95.0.1:19951",
        ended_by: "fin",
        window: 0.6..0.66,
        zero: 5.5..6.5,
    });
}

/// tokio-tungstenite: each send not done in 2 s, the server aborted the connection
/// (SO_LINGER 0): its RST at once, while the window was still zero (the log: 5.93 to 6.54
/// s), some 3.3 s into it.
#[test]
fn tungstenite_send_timeouts_are_slow_consumers() {
    slow(&Slow {
        name: "rust-slow-consumers.pcap.gz",
        server: "10.95.0.1:19952",
        ended_by: "rst",
        window: 0.58..0.64,
        zero: 3.0..3.6,
    });
}

/// The control: the same clients with a server that waits (no write timeout): the slow
/// clients' windows go to zero and open again, nothing is cut, every session ends with the
/// clients' 1000: no incident, no reconnect link.
#[test]
fn zero_windows_the_server_waited_out_are_no_incident() {
    let r = json("go-slow-control.pcap.gz");
    assert_eq!(
        r["incidents"].as_array().map_or(0, Vec::len),
        0,
        "{}",
        r["incidents"]
    );
    let c = r["connections"].as_array().unwrap();
    assert_eq!(c.len(), 10);
    for c in c {
        assert_eq!(c["status"]["code"], 1000, "{c}");
        assert!(c.get("reconnect").is_none(), "{c}");
    }
    let table = run_ok(&["analyze", &path("go-slow-control.pcap.gz")]);
    assert!(!table.contains("Incident "), "{table}");
}

/// What a killed-clients recording must show, from its peers' logs.
struct Killed {
    name: &'static str,
    server: &'static str,
    members: u64,
    came_back: u64,
}

/// Every client process of host 10.95.0.2 killed at once (kill -9): its kernel ended their
/// sessions (FIN or RST, no close frame) within milliseconds: one `client-drop` whose words
/// say the processes ended, not the network.
fn killed(k: &Killed) {
    let r = json(k.name);
    let i = the_incident(&r);
    assert_eq!(i["kind"], "client-drop", "{i}");
    assert_eq!(i["client"], "10.95.0.2");
    assert_eq!(i["server"], k.server);
    assert_eq!(i["members"], k.members);
    assert_eq!(i["side"], "client");
    assert!(
        ["fin", "rst", "fin/rst"].contains(&i["ended_by"].as_str().unwrap()),
        "{i}"
    );
    within(&i["window_s"], 0.0..0.01);
    let back = &i["reconnects"];
    assert_eq!(back["came_back"], k.came_back);
    assert_eq!(back["never"], k.members - k.came_back);
    assert_eq!(back["refused"], 0);
    // Each restarted process came back with its own id: sure, not "a session of the host".
    assert_eq!(back["same_host"], 0);
    let cause = i["cause"].as_str().unwrap();
    assert!(
        cause.contains("Here the host's kernel ended each session itself"),
        "{cause}"
    );
    // The kind's words list every shape it has; what this one is, is said after "Here".
    let here = &cause[cause.find("Here").unwrap()..];
    assert!(!here.contains("its network went"), "{cause}");
    assert!(
        i["fix"]
            .as_str()
            .unwrap()
            .contains("why its processes ended"),
        "{i}"
    );
    for c in members(&r) {
        assert!(c["close_frames"].as_array().unwrap().is_empty(), "{c}");
        assert!(
            c["handshake"]["path"].as_str().unwrap().contains("id=a"),
            "{c}"
        );
    }
    figures_in_markdown_and_table(
        k.name,
        &format!(
            "server {}; client host 10.95.0.2; {} members; came back {}, never {}, refused 0.",
            k.server,
            k.members,
            k.came_back,
            k.members - k.came_back
        ),
    );
}

/// Six tokio-tungstenite client processes killed, started again 2 s later with their ids:
/// all six back (the server's log: each id upgraded again).
#[test]
fn tungstenite_clients_killed_and_restarted_are_a_client_drop_all_back() {
    killed(&Killed {
        name: "rust-clients-killed.pcap.gz",
        server: "10.95.0.1:19953",
        members: 6,
        came_back: 6,
    });
    let r = json("rust-clients-killed.pcap.gz");
    within(&the_incident(&r)["reconnects"]["median_s"], 1.9..2.3);
}

/// Five nhooyr client processes killed, not started again: none back.
#[test]
fn nhooyr_clients_killed_are_a_client_drop_none_back() {
    killed(&Killed {
        name: "go-clients-killed.pcap.gz",
        server: "10.95.0.1:19954",
        members: 5,
        came_back: 0,
    });
}

/// The control: six client processes of one host killed one at a time 0.7 s apart (each
/// its own ending), then one process holding 3 of the host's 7 sessions: no incident (no
/// three within 0.25 s, or not three quarters of the host's sessions), and no reconnect.
#[test]
fn processes_ending_one_by_one_or_one_of_many_are_no_incident() {
    let r = json("clients-leave.pcap.gz");
    assert_eq!(
        r["incidents"].as_array().map_or(0, Vec::len),
        0,
        "{}",
        r["incidents"]
    );
    let c = r["connections"].as_array().unwrap();
    assert_eq!(c.len(), 17);
    let abrupt = c
        .iter()
        .filter(|c| c["status"]["code"] == 1006)
        .inspect(|c| {
            assert_eq!(
                c["client"].as_str().unwrap().split(':').next(),
                Some("10.95.0.2")
            )
        })
        .count();
    assert_eq!(abrupt, 9);
    for c in c {
        assert!(c.get("reconnect").is_none(), "{c}");
    }
    let table = run_ok(&["analyze", &path("clients-leave.pcap.gz")]);
    assert!(!table.contains("Incident "), "{table}");
}

/// Every format says each recording's incident: the table, Markdown, HTML, JSON Lines and
/// annotate's comment on each member's deciding packet.
#[test]
fn every_format_says_the_fleet_incidents() {
    let cases = [
        (
            "go-slow-consumers.pcap.gz",
            "slow-consumers",
            "server 10.95.0.1:19951 cut 4 clients that had stopped reading",
            4,
        ),
        (
            "rust-slow-consumers.pcap.gz",
            "slow-consumers",
            "server 10.95.0.1:19952 cut 4 clients that had stopped reading",
            4,
        ),
        (
            "rust-clients-killed.pcap.gz",
            "client-drop",
            "client host 10.95.0.2 dropped its sessions",
            6,
        ),
        (
            "go-clients-killed.pcap.gz",
            "client-drop",
            "client host 10.95.0.2 dropped its sessions",
            5,
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, kind, headline, n) in cases {
        let flat = one_incident_in_every_format(dir.path(), name, kind, headline, n, n as usize);
        assert!(!flat.contains("restarted"), "{name}");
        if kind == "client-drop" {
            assert!(
                flat.contains("its client processes ended"),
                "{name}: {flat}"
            );
        } else {
            assert!(flat.contains("other sessions went on"), "{name}: {flat}");
        }
    }
}
