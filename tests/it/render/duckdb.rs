//! The records in a real store: the JSON Lines of two runs over several fixtures, appended
//! into one file as `wsclose … --format jsonl >> closes.jsonl` appends them, load into an
//! embedded DuckDB (its Python package) as one typed table, and the questions a team asks
//! answer as the JSON reports of the same captures say: closes by code per hour, the
//! servers with most 1006s, and the join with a Suricata-style flow log by Community ID
//! (built here from the JSON reports, as Suricata writes its `flow` events: IPv6 fully
//! written, and on a same-address flow the Community ID of Suricata versions that order
//! the ports in network byte order), which joins every connection only with the
//! same-address fallback docs/pipelines.md gives.
//!
//! Without DuckDB (`pip install duckdb`) the test says so and skips, except under CI (the
//! `CI` environment variable set), where .ci/run installs it and a missing one fails.

use crate::common::skip;

use assert_cmd::Command;
use serde_json::Value;
use sha1::{Digest, Sha1};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

fn have_duckdb() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The captures of `dir` under fixtures/ (files whose name holds `.pcap`), sorted.
fn captures(dir: &str) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(Path::new(MANIFEST).join("fixtures").join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".pcap"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| p.strip_prefix(MANIFEST).unwrap().display().to_string())
        .collect()
}

/// `wsclose analyze -q ARGS` from the repository root: its standard output (exit codes 0
/// to 2 are reports).
fn analyze(args: &[String]) -> Vec<u8> {
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .current_dir(MANIFEST)
        .env_remove("SSLKEYLOGFILE")
        .env_remove("WSCLOSE_RUN_ID")
        .arg("analyze")
        .arg("-q")
        .args(args)
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    assert!(
        code <= 2,
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// An address as Suricata's EVE writes it: IPv4 dotted, IPv6 as eight groups of four hex
/// digits (its `PrintInetIPv6`).
fn suricata_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => v6
            .segments()
            .iter()
            .map(|s| format!("{s:04x}"))
            .collect::<Vec<_>>()
            .join(":"),
    }
}

/// The Community ID (v1, seed 0) of a TCP flow as a Suricata that compares a same-address
/// flow's ports in network byte order computes it: `(src == dst && sp < dp)` on the ports
/// already swapped to big endian, read as little-endian integers.
fn suricata_community_id(a: (IpAddr, u16), b: (IpAddr, u16)) -> String {
    let bytes = |ip: IpAddr| match ip {
        IpAddr::V4(v) => v.octets().to_vec(),
        IpAddr::V6(v) => v.octets().to_vec(),
    };
    let (ab, bb) = (bytes(a.0), bytes(b.0));
    let first = if ab != bb {
        ab < bb
    } else {
        a.1.swap_bytes() < b.1.swap_bytes()
    };
    let (lo, hi) = if first {
        ((ab, a.1), (bb, b.1))
    } else {
        ((bb, b.1), (ab, a.1))
    };
    let mut sha = Sha1::new();
    sha.update(0u16.to_be_bytes());
    sha.update(&lo.0);
    sha.update(&hi.0);
    sha.update([6, 0]);
    sha.update(lo.1.to_be_bytes());
    sha.update(hi.1.to_be_bytes());
    use base64::Engine as _;
    format!(
        "1:{}",
        base64::engine::general_purpose::STANDARD.encode(sha.finalize())
    )
}

/// An RFC 3339 time of a report as a number of seconds: the date's digits as days, plus the
/// time of day. Not epoch seconds, but the difference of two times of one day is right.
fn seconds(t: &str) -> f64 {
    let day: f64 = t[..10].replace('-', "").parse().unwrap();
    let h: f64 = t[11..13].parse().unwrap();
    let m: f64 = t[14..16].parse().unwrap();
    let s: f64 = t[17..t.len() - 1].parse().unwrap();
    day * 86_400.0 + h * 3600.0 + m * 60.0 + s
}

fn endpoint(text: &str) -> (IpAddr, u16) {
    let (ip, port) = text.rsplit_once(':').unwrap();
    (
        ip.trim_matches(['[', ']']).parse().unwrap(),
        port.parse().unwrap(),
    )
}

/// DuckDB's answers: the table's columns and types, then each question's rows.
const QUERIES: &str = r#"
import duckdb, json, sys
records, flows = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute(f"""CREATE TABLE r AS SELECT * FROM read_json_auto('{records}',
    format = 'newline_delimited', sample_size = -1, field_appearance_threshold = 0)""")
con.execute(f"""CREATE TABLE f AS SELECT * FROM read_json_auto('{flows}',
    format = 'newline_delimited', sample_size = -1)""")
out = {}
out["columns"] = [[n, t] for n, t, *_ in con.execute("DESCRIBE r").fetchall()]
out["by_hour"] = con.execute("""
    SELECT strftime(date_trunc('hour', to_timestamp(ts_epoch)), '%Y-%m-%dT%H') AS hour,
           status.code AS code, count(*) AS n
    FROM r WHERE type = 'connection' AND status.code IS NOT NULL
    GROUP BY ALL ORDER BY ALL""").fetchall()
out["top_1006"] = con.execute("""
    SELECT server_ip, server_port, count(*) AS n
    FROM r WHERE type = 'connection' AND status.code = 1006
    GROUP BY ALL ORDER BY n DESC, server_ip, server_port LIMIT 3""").fetchall()
out["runs"] = con.execute("""
    SELECT count(*), count(DISTINCT uid), count(DISTINCT run_id)
    FROM r WHERE type = 'connection'""").fetchone()
out["summaries"] = con.execute(
    """SELECT (SELECT count(*) FROM r WHERE type = 'summary'),
              (SELECT sum(struct_extract(s, 'count'))
               FROM (SELECT unnest(statuses) AS s FROM r WHERE type = 'summary'))"""
).fetchone()
# A Community ID names a 5-tuple, which comes back: joins also ask for the same start.
near = 'abs(epoch(f.flow."start"::TIMESTAMPTZ) - r.start_epoch) < 1'
by_cid = f"r.community_id = f.community_id AND {near}"
same_address = f"""(r.client_ip = r.server_ip AND f.src_ip = f.dest_ip
    AND least(r.client_port, r.server_port) = least(f.src_port, f.dest_port)
    AND greatest(r.client_port, r.server_port) = greatest(f.src_port, f.dest_port)
    AND {near})"""
# The incidents (docs/pipelines.md's query), and their members by the connections'
# `incident` within the same run.
out["incidents"] = con.execute("""
    SELECT kind, server, members, reconnects.came_back, reconnects.never, reconnects.refused
    FROM r WHERE type = 'incident' ORDER BY ts""").fetchall()
out["members"] = con.execute("""
    SELECT i.kind, count(*) AS connections, count(*) FILTER (c.status.code = 1006) AS n_1006
    FROM r i JOIN r c
      ON c.type = 'connection' AND c.run_id = i.run_id AND c.incident = i.id
    WHERE i.type = 'incident'
    GROUP BY ALL ORDER BY ALL""").fetchall()
out["join_cid"] = con.execute(f"""
    SELECT count(*) FROM r JOIN f ON {by_cid} WHERE r.type = 'connection'""").fetchone()[0]
out["join_anyway"] = con.execute(f"""
    SELECT count(*) FROM r JOIN f ON ({by_cid}) OR {same_address}
    WHERE r.type = 'connection'""").fetchone()[0]
print(json.dumps(out, default=str))
"#;

#[test]
fn two_runs_load_as_one_typed_table_and_answer_right() {
    if !have_duckdb() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have DuckDB's Python package (.ci/run installs it: pip install duckdb)"
        );
        skip::skipped(format_args!(
            "python3 with duckdb not installed (pip install duckdb)"
        ));
        return;
    }
    // Run 1: the top-level fixtures and the heartbeat ones (loopback: same-address flows);
    // run 2: paths, HTTP/2, applications, last words, frameworks, and one capture of run 1
    // again.
    let mut one = captures("");
    one.extend(captures("heartbeat"));
    // (Not the one-direction copies of path recordings, `*-oneway`: their connections are
    // the same as their originals', under the same uids, which the count below would take
    // for one run's connections twice.)
    let mut two: Vec<String> = captures("path")
        .into_iter()
        .filter(|p| !p.contains("-oneway"))
        .collect();
    two.extend(captures("h2"));
    two.extend(captures("app"));
    // (Heartbeats sent as data messages: `message_heartbeats` is empty in the others, and
    // DuckDB types a list it never saw an element of as a list of JSON.)
    two.extend(captures("lastwords"));
    // (And bytes that are no frames, `not_frames`: only the framework recordings have them.)
    two.extend(captures("frameworks"));
    two.push("fixtures/node-ipv6.pcap".into());
    // Incidents: a server stopped, restarted, shedding load, a proxy reload, an idle cohort.
    two.extend(captures("incident"));
    let dir = tempfile::tempdir().unwrap();
    let records = dir.path().join("closes.jsonl");
    let mut appended = Vec::new();
    let mut reports = Vec::new();
    for files in [&one, &two] {
        let mut args = vec!["--format".to_string(), "jsonl".into()];
        args.extend(files.iter().cloned());
        appended.extend(analyze(&args));
        args[1] = "json".into();
        reports.push(serde_json::from_slice::<Value>(&analyze(&args)).unwrap());
    }
    std::fs::write(&records, &appended).unwrap();

    // The expected answers, from the JSON reports.
    let connections: Vec<&Value> = reports
        .iter()
        .flat_map(|r| r["connections"].as_array().unwrap())
        .collect();
    let mut by_hour: BTreeMap<(String, u64), u64> = BTreeMap::new();
    let mut by_1006: BTreeMap<(String, u64), u64> = BTreeMap::new();
    for c in &connections {
        let Some(code) = c["status"]["code"].as_u64() else {
            continue;
        };
        let hour = c["end"].as_str().unwrap()[..13].to_string();
        *by_hour.entry((hour, code)).or_default() += 1;
        if code == 1006 {
            let (ip, port) = endpoint(c["server"].as_str().unwrap());
            *by_1006
                .entry((ip.to_string(), u64::from(port)))
                .or_default() += 1;
        }
    }
    let mut top: Vec<((String, u64), u64)> = by_1006.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(3);
    assert!(!top.is_empty(), "the fixtures hold 1006s");

    // The Suricata-style flow log: one `flow` event per TCP connection.
    let flows = dir.path().join("eve.json");
    let mut eve = String::new();
    let mut seen = Vec::new();
    let (mut same_address, mut cid_differs) = (0, 0);
    for c in &connections {
        let (client, server) = (
            endpoint(c["client"].as_str().unwrap()),
            endpoint(c["server"].as_str().unwrap()),
        );
        // One flow per TCP connection: the streams of an HTTP/2 connection share it, and
        // so do a connection's captures at its two ends (the path fixtures).
        let at = seconds(c["start"].as_str().unwrap());
        if seen
            .iter()
            .any(|&(cl, se, t): &(_, _, f64)| (cl, se) == (client, server) && (t - at).abs() < 1.0)
        {
            continue;
        }
        seen.push((client, server, at));
        let ours = c["community_id"].as_str().unwrap();
        let theirs = suricata_community_id(client, server);
        if client.0 == server.0 {
            same_address += 1;
            cid_differs += usize::from(theirs != ours);
        } else {
            assert_eq!(theirs, ours, "{c}");
        }
        let start = c["start"].as_str().unwrap();
        let flow = serde_json::json!({
            "timestamp": start,
            "flow_id": seen.len(),
            "event_type": "flow",
            "src_ip": suricata_ip(client.0),
            "src_port": client.1,
            "dest_ip": suricata_ip(server.0),
            "dest_port": server.1,
            "proto": "TCP",
            "community_id": theirs,
            "flow": {"start": start, "state": "closed"},
        });
        eve.push_str(&flow.to_string());
        eve.push('\n');
    }
    std::fs::write(&flows, eve).unwrap();
    assert!(same_address > 20 && cid_differs > 0 && cid_differs < same_address);
    // Each connection record finds its flow by Community ID unless it is a same-address
    // flow whose Suricata Community ID differs.
    let join_cid = connections
        .iter()
        .filter(|c| {
            let (client, server) = (
                endpoint(c["client"].as_str().unwrap()),
                endpoint(c["server"].as_str().unwrap()),
            );
            suricata_community_id(client, server) == c["community_id"].as_str().unwrap()
        })
        .count();
    assert!(join_cid < connections.len());

    let out = std::process::Command::new("python3")
        .args(["-c", QUERIES])
        .arg(&records)
        .arg(&flows)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "duckdb: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();

    // One typed table: no column of raw JSON; the envelope's fields and the status typed.
    let columns: BTreeMap<String, String> = got["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c[0].as_str().unwrap().into(), c[1].as_str().unwrap().into()))
        .collect();
    for (name, ty) in &columns {
        assert_ne!(ty, "JSON", "{name} is a raw JSON column");
        assert_ne!(ty, "JSON[]", "{name} is a list of raw JSON");
    }
    for (name, ty) in [
        ("type", "VARCHAR"),
        ("record_version", "BIGINT"),
        ("run_id", "VARCHAR"),
        ("input_path", "VARCHAR"),
        ("uid", "VARCHAR"),
        ("client_ip", "VARCHAR"),
        ("client_port", "BIGINT"),
        ("server_ip", "VARCHAR"),
        ("server_port", "BIGINT"),
        ("ts", "TIMESTAMP WITH TIME ZONE"),
        ("ts_epoch", "DOUBLE"),
        ("start_epoch", "DOUBLE"),
        ("end_epoch", "DOUBLE"),
        ("community_id", "VARCHAR"),
        ("duration_s", "DOUBLE"),
    ] {
        assert_eq!(columns[name], ty, "{name}");
    }
    assert!(
        columns["status"].starts_with(
            "STRUCT(code BIGINT, \"name\" VARCHAR, inferred BOOLEAN, cause VARCHAR, fix VARCHAR"
        ),
        "{}",
        columns["status"]
    );
    assert!(
        columns["statuses"]
            .starts_with("STRUCT(code BIGINT, \"key\" VARCHAR, \"name\" VARCHAR, count BIGINT)[]"),
        "{}",
        columns["statuses"]
    );

    // Closes by code per hour, and the servers with most 1006s.
    let rows = |k: &str| got[k].as_array().unwrap().clone();
    let hours: BTreeMap<(String, u64), u64> = rows("by_hour")
        .iter()
        .map(|r| {
            (
                (r[0].as_str().unwrap().into(), r[1].as_u64().unwrap()),
                r[2].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(hours, by_hour);
    let got_top: Vec<((String, u64), u64)> = rows("top_1006")
        .iter()
        .map(|r| {
            (
                (r[0].as_str().unwrap().into(), r[1].as_u64().unwrap()),
                r[2].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got_top, top);

    // Two runs: every connection of both, the repeated capture's under the same uids.
    let repeated = reports[0]["connections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            reports[0]["inputs"][c["input"].as_u64().unwrap() as usize]["path"]
                == "fixtures/node-ipv6.pcap"
        })
        .count();
    assert!(repeated > 0);
    assert_eq!(
        got["runs"],
        serde_json::json!([connections.len(), connections.len() - repeated, 2])
    );
    let total: u64 = reports
        .iter()
        .map(|r| r["summary"]["connections"].as_u64().unwrap())
        .sum();
    assert_eq!(got["summaries"], serde_json::json!([2, total]));

    // The incidents, each as its report says it, and their members joined by run and id.
    let mut incidents: Vec<Value> = Vec::new();
    let mut members: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for r in &reports {
        for i in r["incidents"].as_array().into_iter().flatten() {
            let back = &i["reconnects"];
            incidents.push(serde_json::json!([
                i["kind"],
                i["server"],
                i["members"],
                back["came_back"],
                back["never"],
                back["refused"]
            ]));
        }
        for c in r["connections"].as_array().unwrap() {
            let Some(id) = c["incident"].as_u64() else {
                continue;
            };
            let kind = r["incidents"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["id"] == id)
                .unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_string();
            let n = members.entry(kind).or_default();
            n.0 += 1;
            n.1 += u64::from(c["status"]["code"] == 1006);
        }
    }
    assert!(incidents.len() >= 5, "{incidents:?}");
    let mut got_incidents = rows("incidents");
    let key = |v: &Value| v.to_string();
    got_incidents.sort_by_key(key);
    incidents.sort_by_key(key);
    assert_eq!(got_incidents, incidents);
    let got_members: BTreeMap<String, (u64, u64)> = rows("members")
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().into(),
                (r[1].as_u64().unwrap(), r[2].as_u64().unwrap()),
            )
        })
        .collect();
    assert_eq!(got_members, members);

    // The join: by Community ID alone, the same-address flows Suricata hashes otherwise
    // are missed; with the fallback every connection joins its flow, once.
    assert_eq!(got["join_cid"], join_cid);
    assert_eq!(got["join_anyway"], connections.len());
}
