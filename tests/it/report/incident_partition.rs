//! The incidents of issue 91's partition recordings (fixtures/incident/, made by
//! fixtures/record/incident/record_partition.sh): the path between 20 clients and a server
//! cut by an nft rule on a router for 12 s and restored, captured on the router's two
//! links; Tornado at both ends (clients closing with 1000 "ping timed out" after 3 s) and
//! gorilla/websocket at both ends (clients dropping TCP 5 s after their last pong); half the
//! clients with a timeout longer than the cut. The expected incident was written from the
//! peers' logs before wsclose read the captures (fixtures/README.md): kind, silence, who
//! died and who survived, who came back, in JSON and every other format; and a cut of 1 s,
//! shorter than every timeout, that is no incident.

use crate::common::recorded::{json, members, one_incident_in_every_format, the_incident, within};

/// A partition recording: one `partition` of 10.93.1.2:`port` from client host 10.93.0.2,
/// `died` members (the short-timeout sessions whose path the capture shows healed), the 10
/// long-timeout sessions (connections 11 to 20) survivors, each member back after the heal,
/// `unanswered` connection attempts lost in the cut.
fn partition(name: &str, port: u16, died: u64, ended_by: &str, unanswered: u64) {
    let r = json(name);
    let i = the_incident(&r);
    assert_eq!(i["kind"], "partition", "{i}");
    assert_eq!(i["server"], format!("10.93.1.2:{port}"));
    assert_eq!(i["client"], "10.93.0.2");
    assert_eq!(i["members"], died, "{i}");
    assert_eq!(i["ended_by"], ended_by);
    assert_eq!(i["side"], "client");
    // The dead ends crossed together at the heal (queued behind the data that waited).
    within(&i["window_s"], 0.0..1.0);
    let p = &i["partition"];
    // The rule stood 12 s; each side's next packet after the cut began the retransmissions
    // (within the 2 s of their ticks and pings), and a retransmission backed off to 1.6 s
    // and more crossed first after the heal.
    within(&p["silence_s"], 10.0..14.0);
    assert_eq!(p["survived"], 10, "{p}");
    let survivors: Vec<u64> = (11..=20).collect();
    assert_eq!(p["survivors"], serde_json::json!(survivors));
    assert_eq!(p["crossed"], died + 10);
    let back = &i["reconnects"];
    // Every short client opened again once the path healed (the logs), after the silence
    // began: 10 to 12.5 s after it.
    assert_eq!(back["came_back"], died, "{back}");
    assert_eq!(back["never"], 0);
    within(&back["median_s"], 9.0..13.0);
    // The clients' attempts during the cut: their SYNs got no answer (the logs' failed
    // attempts).
    assert_eq!(back["refused"], unanswered);
    // The members are short-timeout clients' sessions (1 to 10), none of the survivors.
    let m = members(&r);
    assert_eq!(m.len() as u64, died);
    for c in &m {
        assert!(c["id"].as_u64().unwrap() <= 10, "{c}");
    }
    // Nothing else: no idle cohort, no stall, no stop.
    assert!(r["incidents"].as_array().unwrap().len() == 1);
}

/// Tornado: the 10 short clients' close 1000 "ping timed out" went out during the cut and
/// crossed at the heal (the server logged them at 906.8-907.3, the clients their abort at
/// 901.4-901.8); one client's socket was gone before the heal (connection 9: the server's
/// next retransmission met its RST, the first packet across: its heal), a member too. 10 failed
/// attempts, all 10 back at 905.4-905.8; the 10 long clients closed 1000 "done" at the end.
#[test]
fn tornado_partition_is_one_partition_with_its_survivors() {
    partition("tornado-partition.pcap.gz", 19840, 10, "mixed", 10);
}

/// gorilla: the 10 short clients' read deadline passed 4 s into the cut (`i/o timeout` at
/// 932.6-933.1) and they closed TCP; 7 FINs crossed at the heal, 3 sockets were gone before
/// it (the server logged "connection reset by peer" for sessions 5, 9, 10: their resets
/// crossed at the heal), all 10 members. 21 failed
/// dials, all 10 back at 940.7-942.7.
#[test]
fn gorilla_partition_is_one_partition_with_its_survivors() {
    partition("gorilla-partition.pcap.gz", 19841, 10, "fin/rst", 21);
}

/// The control: the same crowd as tornado-partition, the path cut for 1 s only, less than
/// every timeout: both sides retransmitted, every session lived on (the logs: only the 20
/// closes 1000 "done" at the end): no incident.
#[test]
fn a_blip_shorter_than_every_timeout_is_no_incident() {
    let r = json("tornado-blip.pcap.gz");
    assert!(
        r["incidents"].as_array().is_none_or(|v| v.is_empty()),
        "{}",
        r["incidents"]
    );
}

/// Every format says each recording's partition: the table, Markdown, HTML, JSON Lines and
/// annotate's comment on each member's deciding packet; no cohort, stall or restart.
#[test]
fn every_format_says_the_partitions() {
    let dir = tempfile::tempdir().unwrap();
    for (name, port, n) in [
        ("tornado-partition.pcap.gz", 19840, 10u64),
        ("gorilla-partition.pcap.gz", 19841, 10),
    ] {
        let headline = format!("the path between 10.93.0.2 and 10.93.1.2:{port} was cut from");
        let flat =
            one_incident_in_every_format(dir.path(), name, "partition", &headline, n, n as usize);
        assert!(
            flat.contains("10 survived (longer timeouts, or none)"),
            "{flat}"
        );
        for other in ["idle age", "stopped answering", "restarted"] {
            assert!(!flat.contains(other), "{name}: {other}");
        }
    }
}
