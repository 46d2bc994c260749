//! Issue 103 item 4 on a recording (fixtures/points/cohort-*, COHORT_EXPECT.json, written
//! from the endpoints' logs and the router's nft counters): 8 sessions of two
//! implementations whose pings and messages a router dropped for 12 s left the client's
//! host and never reached the server's; each client's heartbeat gave up and its host reset
//! what crossed after the heal. From the two host files and from their merge: one incident
//! of the 8, told as the path's (`partition`) with the points' evidence
//! (`facts.lost_between_points`), never a kind that blames an endpoint; its words in every
//! format. The control (fixtures/points/kill-*: the same cohort, both servers SIGKILLed,
//! every packet at both points) is not the path's.

use serde_json::Value;
use std::path::PathBuf;
use wsclose::__internals::analyzer::Options;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/points")
        .join(name)
}

fn report(files: &[&str]) -> Value {
    let paths: Vec<PathBuf> = files.iter().map(|f| fixture(f)).collect();
    serde_json::to_value(wsclose::analyze_files(&paths, Options::default()).unwrap()).unwrap()
}

/// The kinds that name an endpoint's doing.
const ENDPOINT_KINDS: &[&str] = &[
    "server-restart",
    "server-stop",
    "client-drop",
    "server-stall",
    "crash-loop",
];

/// The words the path's incident must carry (in every format).
const PATH_WORDS: &str = "the path between the points, not either endpoint";

#[test]
fn a_cohort_lost_between_the_points_is_the_paths_incident() {
    for (how, files) in [
        ("pair", &["cohort-client.pcap", "cohort-server.pcap"][..]),
        ("merged", &["cohort-merged.pcapng"][..]),
    ] {
        let r = report(files);
        let cs = r["connections"].as_array().unwrap();
        assert_eq!(cs.len(), 8, "{how}: one row a session");
        let inc = r["incidents"].as_array().cloned().unwrap_or_default();
        assert_eq!(inc.len(), 1, "{how}: one incident of the cohort: {inc:#?}");
        let i = &inc[0];
        assert_eq!(i["kind"], "partition", "{how}: {i:#}");
        assert_eq!(i["members"], 8, "{how}: each session once: {i:#}");
        assert_eq!(i["facts"]["lost_between_points"], 8, "{how}: {i:#}");
        let cause = i["cause"].as_str().unwrap();
        assert!(
            cause.contains("8 of the 8 sessions were seen at two points of their path")
                && cause.contains(
                    "left the point nearer the client and never reached the one nearer the server"
                )
                && cause.contains(PATH_WORDS),
            "{how}: {cause}"
        );
        assert!(cs.iter().all(|c| c["incident"] == i["id"]), "{how}");
        let doubts = r["doubts"].as_array().cloned().unwrap_or_default();
        assert!(
            doubts.is_empty(),
            "{how}: no doubt left of the cohort: {doubts:#?}"
        );
    }
}

/// The same incident whether the reports were kept in memory or on disk (the store marks
/// the endings lost between the points after it joined the two views, `Index::lose`).
#[test]
fn the_paths_incident_is_the_same_with_the_reports_on_disk() {
    let json = |extra: &[&str]| -> Value {
        let o = assert_cmd::Command::cargo_bin("wsclose")
            .unwrap()
            .env_remove("SSLKEYLOGFILE")
            .args(["analyze", "--format", "json"])
            .args(extra)
            .arg(fixture("cohort-client.pcap"))
            .arg(fixture("cohort-server.pcap"))
            .output()
            .unwrap();
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let memory = json(&[]);
    let disk = json(&["--keep-reports", "0"]);
    assert_eq!(memory["incidents"][0]["kind"], "partition");
    assert_eq!(memory["incidents"], disk["incidents"]);
}

#[test]
fn the_kill_control_is_not_the_paths() {
    for (how, files) in [
        ("pair", &["kill-client.pcap", "kill-server.pcap"][..]),
        ("merged", &["kill-merged.pcapng"][..]),
    ] {
        let r = report(files);
        let cs = r["connections"].as_array().unwrap();
        assert_eq!(cs.len(), 8, "{how}");
        for c in cs {
            let lost = c["status"]["causes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"] == "between-points" && k["verdict"] == "lost-between");
            assert!(!lost, "{how}: nothing was lost between the points: {c:#}");
        }
        for i in r["incidents"].as_array().into_iter().flatten() {
            assert_ne!(i["kind"], "partition", "{how}: {i:#}");
            assert_eq!(i["facts"]["lost_between_points"], 0, "{how}: {i:#}");
            assert!(!i["cause"].as_str().unwrap().contains(PATH_WORDS), "{how}");
        }
    }
}

/// The kinds that blame an endpoint need the points not to show most members' packets
/// lost between them (the table's rows).
#[test]
fn no_endpoint_kind_is_named_where_the_points_show_the_packets_lost_between() {
    let r = report(&["cohort-client.pcap", "cohort-server.pcap"]);
    for i in r["incidents"].as_array().into_iter().flatten() {
        assert!(
            !ENDPOINT_KINDS.contains(&i["kind"].as_str().unwrap()),
            "{i:#}"
        );
    }
}

/// The incident's words reach the table (its headline; its whole cause with `-v`), Markdown,
/// HTML and JSON Lines (the table's lines wrapped: read with their spaces collapsed).
#[test]
fn the_paths_incident_reads_in_every_format() {
    let files = [fixture("cohort-client.pcap"), fixture("cohort-server.pcap")];
    let out = |args: &[&str]| {
        let o = assert_cmd::Command::cargo_bin("wsclose")
            .unwrap()
            .env_remove("SSLKEYLOGFILE")
            .env("COLUMNS", "400")
            .args(["analyze"])
            .args(args)
            .args(&files)
            .output()
            .unwrap();
        let o = String::from_utf8(o.stdout).unwrap();
        o.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let brief = out(&[]);
    assert!(
        brief.contains("Incident 1: partition")
            && brief.contains(
                "they left the point nearer the client and never reached the one nearer the server"
            ),
        "{brief}"
    );
    for args in [
        &["-v"][..],
        &["--format", "markdown"],
        &["--format", "html"],
        &["--format", "jsonl"],
    ] {
        let o = out(args);
        assert!(o.contains(PATH_WORDS), "{args:?}: {o}");
        assert!(
            o.contains("8 of the 8 sessions were seen at two points"),
            "{args:?}"
        );
    }
}
