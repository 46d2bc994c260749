//! A doubtful cluster says why it is doubtful (issue 91 item 7), on a generated capture:
//! 45 sessions of one server, five of them ended by the server's FIN within 100 ms after a
//! minute, the forty others left open. No incident (a stop ends nearly all its sessions);
//! the report's `doubts` and every document format say what the five show and why no kind
//! is named, and `--redact` names the server there as everywhere.

use crate::common::*;
use serde_json::Value;
use wsclose::__internals::capture::write::PcapWriter;
use wsclose::vocab::{
    LinkType,
    Role::{Client, Server},
    Timestamp,
};

const MS: i64 = 1_000_000;
const S: i64 = 1_000 * MS;

fn capture(dir: &std::path::Path) -> String {
    let mut pkts = Vec::new();
    for k in 0..45u16 {
        let mut s =
            Session::new(20_000 + k, 8443).isns(u32::from(k) * 7919 + 1, 1_000_000 + u32::from(k));
        s.clock = Timestamp(T0.0 + i64::from(k) * 20 * MS);
        s.open();
        s.send(Client, &text(Client, "hello"));
        if k < 5 {
            s.clock = Timestamp(T0.0 + 60 * S + i64::from(k) * 20 * MS);
            s.fin(Server);
            s.fin(Client);
            s.ack(Server);
        }
        pkts.extend(s.pkts);
    }
    pkts.sort_by_key(|p| p.ts);
    let mut w = PcapWriter::new(Vec::new(), LinkType::RAW, 262_144).unwrap();
    for p in &pkts {
        w.packet(p.ts, &p.data, p.orig_len).unwrap();
    }
    let path = dir.join("doubt.pcap");
    std::fs::write(&path, w.into_inner()).unwrap();
    path.to_str().unwrap().to_string()
}

fn out(args: &[&str]) -> String {
    let (o, err, code) = crate::common::run::wsclose(args);
    assert!(matches!(code, Some(0) | Some(1)), "{err}");
    String::from_utf8(o).unwrap()
}

#[test]
fn a_doubtful_cluster_says_why_no_kind_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = capture(dir.path());
    let r: Value = serde_json::from_str(&out(&["analyze", "--format", "json", &p])).unwrap();
    assert!(r["incidents"].is_null(), "{}", r["incidents"]);
    let d = r["doubts"].as_array().unwrap();
    assert_eq!(d.len(), 1, "{d:#?}");
    let d = &d[0];
    assert_eq!(d["members"], 5);
    assert_eq!(d["open"], 45);
    assert_eq!(d["by_server"], 5);
    assert_eq!(d["ended_by"], "fin");
    assert_eq!(d["server"], "10.0.0.2:8443");
    assert_eq!(d["connections"], serde_json::json!([1, 2, 3, 4, 5]));
    let why = "the server ended 5 of the 45 sessions open to it then";
    assert!(d["why"].as_str().unwrap().starts_with(why), "{d}");
    for format in ["table", "markdown", "html"] {
        let text = out(&["analyze", "--format", format, "--color", "never", &p]);
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains("no kind is named"), "{format}: {text}");
        assert!(flat.contains(why), "{format}");
        assert!(!flat.contains("Incident 1"), "{format}");
    }
    // JSON Lines and ECS: a record of it before the connections'.
    let jsonl = out(&["analyze", "--format", "jsonl", &p]);
    let first: Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(
        (&first["type"], &first["reason"]),
        (&"doubt".into(), &"few-of-open".into())
    );
    let ecs = out(&["analyze", "--format", "ecs", &p]);
    let first: Value = serde_json::from_str(ecs.lines().next().unwrap()).unwrap();
    assert_eq!(first["event"]["action"], "doubt", "{first}");
    let red: Value =
        serde_json::from_str(&out(&["analyze", "--format", "json", "--redact", &p])).unwrap();
    let server = red["doubts"][0]["server"].as_str().unwrap();
    assert!(!server.contains("10.0.0.2"), "{server}");
    let md = out(&["analyze", "--format", "markdown", "--redact", &p]);
    assert!(!md.contains("10.0.0.2"));
}

/// The recorded control of two client processes of one host (fixtures/incident/
/// clients-leave, `record_fleet.sh`): no incident; the one process of three sessions killed
/// while the host's four others ran on is a doubt that says so (one host, 3 of its 7
/// sessions: one of its clients, not the host), as the recorder's log says.
#[test]
fn one_process_of_a_host_is_a_doubt_that_says_so() {
    let r: Value = serde_json::from_str(&out(&[
        "analyze",
        "--format",
        "json",
        &crate::common::recorded::path("clients-leave.pcap.gz"),
    ]))
    .unwrap();
    assert!(r["incidents"].is_null(), "{}", r["incidents"]);
    let d = &r["doubts"];
    assert_eq!(d.as_array().map(Vec::len), Some(1), "{d}");
    let d = &d[0];
    assert_eq!(d["reason"], "few-of-host", "{d}");
    assert_eq!(
        (&d["members"], &d["host_open"], &d["by_client"]),
        (&3.into(), &7.into(), &3.into())
    );
    assert!(
        d["why"].as_str().unwrap().contains("3 of the 7 sessions"),
        "{d}"
    );
}

/// The recorded controls say nothing, not even a doubt: a pause and a blip shorter than
/// every timeout (faye-pause, tornado-blip), slow clients a patient server waits for
/// (go-slow-control), normal closes through a NAT (nat-close-trio), a server host silent 2 s
/// and back with its state (ws-link-blip-control). And a recording that
/// is an incident leaves no doubt beside it: every earlier kind's members are taken whole
/// (one recording per directory listing, keys given where the fixture has them).
#[test]
fn recorded_controls_and_incidents_leave_no_doubt() {
    use crate::common::recorded::path;
    let controls = [
        "faye-pause",
        "tornado-blip",
        "go-slow-control",
        "nat-close-trio",
        "daphne-spread-1009-control",
        "ws-link-blip-control",
    ];
    // Two decisions of one code 10 s apart: two incidents (tests/it/report/incident_second.rs).
    let twos = ["ws-plan-4001-twice-control"];
    let dir = format!("{}/fixtures/incident", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().into_string().unwrap();
            n.strip_suffix(".pcap.gz").map(str::to_string)
        })
        .collect();
    names.sort();
    // clients-leave's killed process is the doubt the test above reads.
    names.retain(|n| n != "clients-leave");
    assert!(names.len() >= 30, "{names:?}");
    for n in controls {
        assert!(names.iter().any(|m| m == n), "{n} is gone from {dir}");
    }
    for n in &names {
        let pcap = path(&format!("{n}.pcap.gz"));
        let keys = path(&format!("{n}.keylog"));
        let mut args = vec!["analyze", "--format", "json"];
        if std::path::Path::new(&keys).exists() {
            args.extend(["--keylog", &keys]);
        }
        args.push(&pcap);
        let r: Value = serde_json::from_str(&out(&args)).unwrap();
        assert!(r["doubts"].is_null(), "{n}: {}", r["doubts"]);
        let incidents = r["incidents"].as_array().map_or(0, Vec::len);
        if controls.contains(&n.as_str()) {
            assert_eq!(incidents, 0, "{n}: {}", r["incidents"]);
        } else if twos.contains(&n.as_str()) {
            assert_eq!(incidents, 2, "{n}: {}", r["incidents"]);
        } else {
            assert_eq!(incidents, 1, "{n}: {}", r["incidents"]);
        }
    }
}
