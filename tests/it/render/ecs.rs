//! `--format ecs` against the Elastic Common Schema: every field of every document (of
//! several captures, redacted too, and of the events `--follow` streams) but wsclose's own
//! (`wsclose.*`) is one ECS defines, its value of the type ECS gives it (date, keyword, long,
//! ip, ...) and, where ECS lists allowed values (`event.kind`, `event.category`,
//! `event.type`, `event.outcome`), one of them. The field list with ECS's types is
//! `render::ecs::FIELDS`, taken from ECS 9.4.0's field definitions (ecs_flat.yml).

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::net::IpAddr;
use wsclose::render::ecs::FIELDS;

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

/// Each leaf of `v` with its dotted path (array elements under the array's path).
fn leaves<'a>(path: String, v: &'a Value, out: &mut Vec<(String, &'a Value)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                leaves(p, x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| leaves(path.clone(), x, out)),
        _ => out.push((path, v)),
    }
}

/// RFC 3339, as ECS's `date` takes it: `YYYY-MM-DDTHH:MM:SS[.fraction]Z`.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && s.ends_with('Z')
        && s[..4].bytes().all(|c| c.is_ascii_digit())
}

/// What is wrong with `doc` against ECS's definitions (empty: nothing).
fn check(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut all = Vec::new();
    leaves(String::new(), doc, &mut all);
    // ECS: the one field every document must have.
    if doc.get("@timestamp").is_none() {
        out.push("@timestamp: missing".to_string());
    }
    for (path, v) in all {
        if path.starts_with("wsclose.") {
            continue;
        }
        let Some((_, ty, allowed)) = FIELDS.iter().find(|f| f.0 == path) else {
            out.push(format!("{path}: not an ECS field this list has"));
            continue;
        };
        let ok = match *ty {
            "date" => v.as_str().is_some_and(is_date),
            "keyword" | "wildcard" | "match_only_text" => v.is_string(),
            "long" => v.is_i64() || v.is_u64(),
            "ip" => v.as_str().is_some_and(|s| s.parse::<IpAddr>().is_ok()),
            other => panic!("a type this test does not know: {other}"),
        };
        if !ok {
            out.push(format!("{path}: {v} is no {ty}"));
        }
        if !allowed.is_empty() && !v.as_str().is_some_and(|s| allowed.contains(&s)) {
            out.push(format!("{path}: {v} is none of ECS's allowed values"));
        }
    }
    out
}

fn docs(args: &[&str], stdin: Option<&str>) -> Vec<Value> {
    let mut cmd = Command::cargo_bin("wsclose").unwrap();
    cmd.current_dir(MANIFEST)
        .env_remove("SSLKEYLOGFILE")
        .args(args);
    if let Some(f) = stdin {
        cmd.pipe_stdin(std::path::Path::new(MANIFEST).join(f))
            .unwrap();
    }
    let out = cmd.output().unwrap();
    assert!(out.status.code().unwrap() <= 2, "{args:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{args:?}: {e}: {l}")))
        .collect()
}

#[test]
fn every_document_follows_the_ecs_field_definitions() {
    let mut used = BTreeSet::new();
    let mut sets = BTreeSet::new();
    let mut checked = 0;
    let runs: Vec<(Vec<&str>, Option<&str>)> = vec![
        (
            vec![
                "analyze",
                "--format",
                "ecs",
                "fixtures/node-many.pcap.gz",
                "fixtures/node-ipv6.pcap",
                "fixtures/h2/hypercorn-h2c-upgrade.pcap",
                "fixtures/python-refused-403.pcap",
                "fixtures/path/half-open.pcap",
            ],
            None,
        ),
        (
            vec![
                "analyze",
                "--format",
                "ecs",
                "--redact",
                "fixtures/node-many.pcap.gz",
                "fixtures/node-ipv6.pcap",
            ],
            None,
        ),
        (
            vec!["analyze", "-q", "--follow", "--format", "ecs", "-"],
            Some("fixtures/node-many.pcap.gz"),
        ),
        (
            vec![
                "analyze", "-q", "--follow", "--redact", "--format", "ecs", "-",
            ],
            Some("fixtures/node-ipv6.pcap"),
        ),
    ];
    for (args, stdin) in &runs {
        let docs = docs(args, *stdin);
        assert!(docs.len() > 2, "{args:?}");
        for d in &docs {
            let wrong = check(d);
            assert!(wrong.is_empty(), "{args:?}: {wrong:?}\n{d}");
            let mut all = Vec::new();
            leaves(String::new(), d, &mut all);
            used.extend(
                all.into_iter()
                    .map(|(p, _)| p)
                    .filter(|p| !p.starts_with("wsclose.")),
            );
            sets.insert(d["event"]["dataset"].as_str().unwrap().to_string());
            assert_eq!(d["ecs"]["version"], wsclose::render::ecs::ECS_VERSION);
            checked += 1;
        }
    }
    assert!(checked > 40);
    assert_eq!(
        sets.into_iter().collect::<Vec<_>>(),
        ["wsclose.connection", "wsclose.event", "wsclose.summary"]
    );
    // The fields the issue names are all there.
    for f in [
        "@timestamp",
        "event.kind",
        "event.category",
        "event.type",
        "event.outcome",
        "event.duration",
        "event.start",
        "event.end",
        "source.ip",
        "source.port",
        "destination.ip",
        "destination.port",
        "network.community_id",
        "network.transport",
        "network.protocol",
        "url.path",
        "url.domain",
    ] {
        assert!(used.contains(f), "{f} never written");
    }
    // And the check catches what ECS would refuse.
    let mut d = docs(&runs[0].0, None).remove(0);
    assert!(check(&d).is_empty());
    d["source"]["ip"] = "host-1".into();
    d["event"]["kind"] = "websocket".into();
    d["event"]["duration"] = 1.5.into();
    d["network"]["direction_of_close"] = "x".into();
    assert_eq!(check(&d).len(), 4, "{:?}", check(&d));
}

/// A capture with no packet (a quiet rotation file) still has a summary document that ECS
/// takes: its `@timestamp` is the run's start (issue 93 item 13: it had none, which a data
/// stream refuses).
#[test]
fn a_summary_without_packets_is_dated_by_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quiet.pcap");
    // A classic pcap's header alone: version 2.4, snap length 65535, Ethernet.
    let mut header = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    header.extend([0u8; 8]);
    header.extend(65_535u32.to_le_bytes());
    header.extend(1u32.to_le_bytes());
    std::fs::write(&path, header).unwrap();
    let before = std::time::SystemTime::now();
    let docs = docs(
        &["analyze", "--format", "ecs", path.to_str().unwrap()],
        None,
    );
    let after = std::time::SystemTime::now();
    assert_eq!(docs.len(), 1, "{docs:?}");
    let d = &docs[0];
    assert_eq!(d["event"]["dataset"], "wsclose.summary");
    assert_eq!(d["wsclose"]["packets"], 0);
    assert!(check(d).is_empty(), "{:?}\n{d}", check(d));
    let ts = d["@timestamp"].as_str().unwrap();
    let at = |t: std::time::SystemTime| {
        let s = t.duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as i64;
        wsclose::vocab::Timestamp(s).rfc3339()
    };
    // RFC 3339 in UTC with the same digits compares as text.
    assert!(
        at(before)[..19] <= ts[..19] && ts[..19] <= at(after)[..19],
        "{ts}"
    );
}

/// A connection's document says what its record says: the same uid, Community ID, status,
/// endpoints and times.
#[test]
fn a_document_says_what_its_record_says() {
    let ecs = docs(
        &["analyze", "--format", "ecs", "fixtures/node-ipv6.pcap"],
        None,
    );
    let jsonl = docs(
        &["analyze", "--format", "jsonl", "fixtures/node-ipv6.pcap"],
        None,
    );
    let (d, r) = (&ecs[0], &jsonl[0]);
    assert_eq!(d["wsclose"]["uid"], r["uid"]);
    assert_eq!(d["event"]["id"], r["uid"]);
    assert_eq!(d["network"]["community_id"], r["community_id"]);
    assert_eq!(d["network"]["type"], "ipv6");
    assert_eq!(d["source"]["ip"], r["client_ip"]);
    assert_eq!(d["source"]["port"], r["client_port"]);
    assert_eq!(d["destination"]["ip"], r["server_ip"]);
    assert_eq!(d["@timestamp"], r["end"]);
    assert_eq!(d["event"]["start"], r["start"]);
    assert_eq!(d["event"]["code"], r["status"]["code"].to_string());
    assert_eq!(d["wsclose"]["status"], r["status"]);
    let ns = (r["duration_s"].as_f64().unwrap() * 1e9).round() as i64;
    assert!((d["event"]["duration"].as_i64().unwrap() - ns).abs() <= 1);
}
