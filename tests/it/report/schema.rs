//! The JSON contract as a JSON Schema (schema/report.schema.json, `wsclose schema`):
//! the committed file is what the code generates now; the JSON report of every recorded
//! capture under fixtures/ (the TLS and HTTP/2 ones with and without their key logs, the
//! wrong key logs too), of all the top-level ones read as one multi-file report, `--redact`ed
//! and with `--timeline`, validates against it (every object of the schema is closed, so a
//! field the schema lacks fails); docs/json.md names every field of the schema, and the
//! finding kinds and close-frame problems it lists are exactly those the schema (the
//! `finding::Kind` variants) allows.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const SCHEMA_FILE: &str = "schema/report.schema.json";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Standard output of `wsclose ARGS` (SSLKEYLOGFILE cleared); exit codes 0..=2 are reports
/// (2: a capture with nothing to report, or `--fail-on`), anything else fails the test.
fn wsclose(args: &[&str]) -> Vec<u8> {
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .env_remove("SSLKEYLOGFILE")
        .args(args)
        .output()
        .unwrap();
    let code = out.status.code().expect("an exit code");
    assert!(
        code <= 2,
        "{args:?}: exit {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn schema() -> Value {
    let text = std::fs::read_to_string(root().join(SCHEMA_FILE)).expect("the committed schema");
    serde_json::from_str(&text).expect("the schema is JSON")
}

/// The committed schema `file` is `generated` (what the report model makes) byte for byte,
/// and `wsclose ARGS` prints it (the binary embeds the file). With `WSCLOSE_SCHEMA=overwrite`
/// the file is written from the model first: how it is made again after a change.
fn committed_is_generated(file: &str, generated: &str, args: &[&str]) {
    let path = root().join(file);
    if std::env::var_os("WSCLOSE_SCHEMA").is_some_and(|v| v == "overwrite") {
        std::fs::write(&path, generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap();
    assert!(
        committed == generated,
        "{file} is stale: make it again with \
         `WSCLOSE_SCHEMA=overwrite cargo test --test it report::schema::` (then build wsclose, \
         which embeds it)"
    );
    let printed = String::from_utf8(wsclose(args)).unwrap();
    assert!(
        printed == committed,
        "`wsclose {}` does not print {file}: build it again",
        args.join(" ")
    );
}

/// (a) The committed schema is the one the code makes, byte for byte, and `wsclose schema`
/// prints it.
#[test]
fn committed_schema_is_what_the_code_generates() {
    committed_is_generated(
        SCHEMA_FILE,
        &wsclose::report::schema::report_text(),
        &["schema"],
    );
}

/// Validates the JSON report `wsclose analyze --format json ARGS` writes.
fn check(validator: &jsonschema::Validator, args: &[&str]) {
    let mut all = vec!["analyze", "--format", "json"];
    all.extend_from_slice(args);
    let out = wsclose(&all);
    let report: Value = serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("{args:?}: the report is not JSON: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .take(10)
        .collect();
    assert!(errors.is_empty(), "{args:?}:\n{}", errors.join("\n"));
}

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&schema()).expect("a valid JSON Schema")
}

/// The captures in `dir` (under fixtures/), sorted.
fn captures(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures").join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".pcap"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "fixtures/{dir}");
    files
}

/// Every capture of `dir`, alone; those with key logs (`NAME.keylog`, `NAME-*.keylog`,
/// wrong ones included) once more with each of them. Returns how many reports were checked.
fn check_dir(dir: &str) -> usize {
    let v = validator();
    let mut checked = 0;
    for capture in captures(dir) {
        let path = capture.to_str().unwrap();
        check(&v, &[path]);
        checked += 1;
        let name = capture.file_name().unwrap().to_string_lossy();
        let stem = name.split(".pcap").next().unwrap().to_string();
        for keylog in std::fs::read_dir(capture.parent().unwrap()).unwrap() {
            let keylog = keylog.unwrap().path();
            let k = keylog.file_name().unwrap().to_string_lossy().into_owned();
            if k.ends_with(".keylog")
                && (k == format!("{stem}.keylog") || k.starts_with(&format!("{stem}-")))
            {
                check(&v, &[path, "--keylog", keylog.to_str().unwrap()]);
                checked += 1;
            }
        }
    }
    checked
}

/// (b) The recorded captures of fixtures/ itself, one by one.
#[test]
fn every_plain_fixture_report_validates() {
    assert!(check_dir("") > 40);
}

#[test]
fn every_tls_fixture_report_validates_with_and_without_key_logs() {
    // Each capture without a key log (listed as encrypted) and with each of its key logs.
    assert!(check_dir("tls") > 30);
}

#[test]
fn every_h2_fixture_report_validates_with_and_without_key_logs() {
    assert!(check_dir("h2") >= 10);
}

#[test]
fn every_proxy_fixture_report_validates() {
    assert!(check_dir("proxy") >= 12);
}

#[test]
fn every_application_and_heartbeat_fixture_report_validates() {
    assert!(check_dir("app") >= 11);
    assert!(check_dir("heartbeat") >= 5);
}

/// (b) The top-level captures as one multi-file report, also `--redact`ed and with the
/// timeline, a wss:// capture with its timeline, one whose encrypted connection a `--port`
/// left out, and wss:// and HTTP/2 captures `--redact`ed with and without their key logs.
#[test]
fn multi_file_redacted_and_timeline_reports_validate() {
    let v = validator();
    let files: Vec<String> = captures("")
        .iter()
        .map(|p| p.to_str().unwrap().to_owned())
        .collect();
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    for extra in [
        &[][..],
        &["--redact"],
        &["--timeline"],
        &["--redact", "--timeline"],
    ] {
        let mut args: Vec<&str> = extra.to_vec();
        args.extend_from_slice(&files);
        check(&v, &args);
    }
    let tls = root().join("fixtures/tls/python-tls13-aes128gcm-close-1000.pcap");
    let keylog = root().join("fixtures/tls/python-tls13-aes128gcm-close-1000.keylog");
    check(
        &v,
        &[
            "--timeline",
            tls.to_str().unwrap(),
            "--keylog",
            keylog.to_str().unwrap(),
        ],
    );
    // A selection that leaves encrypted connections out (summary.total_encrypted_connections).
    let firefox = root().join("fixtures/tls/firefox-haproxy-h2-backend-kill.pcap");
    check(&v, &["--port", "18483", firefox.to_str().unwrap()]);
    // Redacted wss:// and HTTP/2 reports, with their key logs (the tls objects: SNI a
    // pseudonym, client random null) and without (the encrypted connections).
    for name in [
        "tls/python-tls13-aes128gcm-close-1000",
        "h2/chromium-node-h2",
    ] {
        let capture = root().join(format!("fixtures/{name}.pcap"));
        let keylog = root().join(format!("fixtures/{name}.keylog"));
        let capture = capture.to_str().unwrap();
        check(&v, &["--redact", capture]);
        check(
            &v,
            &["--redact", capture, "--keylog", keylog.to_str().unwrap()],
        );
    }
}

/// A `--timeline` report says, per connection, how many frames fell out of the timeline
/// (`timeline_frames_left_out`, a count); a report without the timeline has no such field.
#[test]
fn the_timeline_says_what_it_left_out() {
    let v = validator();
    let capture = root().join("fixtures/python-close-1001.pcap");
    let capture = capture.to_str().unwrap();
    let out = wsclose(&["analyze", "--format", "json", "--timeline", capture]);
    let mut report: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["connections"][0]["timeline_frames_left_out"], 0);
    report["connections"][0]["timeline_frames_left_out"] = Value::from(12);
    assert!(v.is_valid(&report));
    report["connections"][0]["timeline_frames_left_out"] = Value::from(-1);
    assert!(!v.is_valid(&report), "not a count");
    let out = wsclose(&["analyze", "--format", "json", capture]);
    let report: Value = serde_json::from_slice(&out).unwrap();
    assert!(report["connections"][0]
        .get("timeline_frames_left_out")
        .is_none());
}

/// A field the schema does not name fails validation: the schema's objects are closed.
#[test]
fn a_field_the_schema_lacks_is_refused() {
    let v = validator();
    let capture = root().join("fixtures/python-close-1001.pcap");
    let out = wsclose(&["analyze", "--format", "json", capture.to_str().unwrap()]);
    let mut report: Value = serde_json::from_slice(&out).unwrap();
    assert!(v.is_valid(&report));
    report["connections"][0]["status"]["new_field"] = Value::Bool(true);
    assert!(!v.is_valid(&report), "an unknown field in a status");
    report["connections"][0]["status"]
        .as_object_mut()
        .unwrap()
        .remove("new_field");
    report["connections"][0]
        .as_object_mut()
        .unwrap()
        .remove("tcp_end");
    assert!(!v.is_valid(&report), "a connection without its tcp_end");
}

/// The JSON contract in words.
const JSON_DOC: &str = "docs/json.md";

/// The backquoted names in docs/json.md between the line that starts with `start` and the
/// next line that starts with `end`.
fn doc_names(start: &str, end: &str) -> BTreeSet<String> {
    let doc = std::fs::read_to_string(root().join(JSON_DOC)).unwrap();
    let section: Vec<&str> = doc
        .lines()
        .skip_while(|l| !l.starts_with(start))
        .take_while(|l| !l.starts_with(end))
        .collect();
    assert!(
        !section.is_empty(),
        "{JSON_DOC} has no line starting with {start:?}"
    );
    let text = section.join("\n");
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|n| {
            n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
        .map(str::to_owned)
        .collect()
}

/// The names a string schema allows: its `enum`, or those of its `oneOf` branches (`enum`
/// or `const`: schemars gives a variant with a doc comment a branch of its own).
fn enum_names(s: &Value) -> BTreeSet<String> {
    let branches = match s["oneOf"].as_array() {
        Some(b) => b.clone(),
        None => vec![s.clone()],
    };
    let names: BTreeSet<String> = branches
        .iter()
        .flat_map(|b| match (&b["enum"], &b["const"]) {
            (Value::Array(names), _) => names.clone(),
            (_, Value::String(_)) => vec![b["const"].clone()],
            _ => panic!("neither enum nor const in {b}"),
        })
        .map(|n| n.as_str().unwrap().to_owned())
        .collect();
    assert!(!names.is_empty(), "no names in {s}");
    names
}

/// (c) The finding kinds docs/json.md lists are every `finding::Kind` variant (the schema's
/// `Kind` enum, which schemars makes from the variants), and no other.
#[test]
fn the_json_doc_lists_exactly_the_finding_kinds() {
    let listed = doc_names("Finding kinds", "Close-frame `problems`");
    let kinds = enum_names(&schema()["$defs"]["Kind"]);
    assert!(kinds.len() > 25, "{kinds:?}");
    let missing: Vec<_> = kinds.difference(&listed).collect();
    let unknown: Vec<_> = listed.difference(&kinds).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "not in {JSON_DOC}: {missing:?}; in {JSON_DOC} but no finding kind: {unknown:?}"
    );
    // The kinds serde writes are the schema's: each one round-trips.
    for k in &kinds {
        let kind: wsclose::vocab::Kind =
            serde_json::from_value(Value::String(k.clone())).unwrap_or_else(|e| panic!("{k}: {e}"));
        assert_eq!(kind.as_str(), k);
    }
}

/// The close-frame problems docs/json.md lists are those the schema allows.
#[test]
fn the_json_doc_lists_exactly_the_close_problems() {
    let listed = doc_names("Close-frame `problems`", "(`tcp_end_packet`");
    let s = schema();
    let problems = enum_names(&s["$defs"]["CloseFrameReport"]["properties"]["problems"]["items"]);
    let listed: BTreeSet<String> = listed.into_iter().filter(|n| n != "problems").collect();
    assert_eq!(listed, problems);
}

/// docs/json.md names every field of the report: the top level's and each object's of the
/// schema (backquoted), so that a field added to the report is described there too.
#[test]
fn the_json_doc_names_every_field() {
    let doc = std::fs::read_to_string(root().join(JSON_DOC)).unwrap();
    let s = schema();
    let mut objects = vec![("report".to_string(), s.clone())];
    objects.extend(
        s["$defs"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, def)| (name.clone(), def.clone())),
    );
    let mut missing = Vec::new();
    for (name, def) in &objects {
        for field in def["properties"]
            .as_object()
            .into_iter()
            .flat_map(|p| p.keys())
        {
            if !doc.contains(&format!("`{field}`")) {
                missing.push(format!("{name}.{field}"));
            }
        }
    }
    assert!(missing.is_empty(), "{JSON_DOC} does not name: {missing:?}");
}

/// The records' schema (`wsclose schema --records`).
const RECORDS_FILE: &str = "schema/records.schema.json";

fn records_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join(RECORDS_FILE)).expect("the records schema");
    let schema: Value = serde_json::from_str(&text).expect("the records schema is JSON");
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

/// Every line of `text` validates against the records' schema; the lines, parsed.
fn check_records(v: &jsonschema::Validator, what: &str, text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| {
            let record: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{what}: not JSON: {e}: {line}"));
            let errors: Vec<String> = v
                .iter_errors(&record)
                .map(|e| format!("at {}: {e}", e.instance_path()))
                .take(5)
                .collect();
            assert!(errors.is_empty(), "{what}:\n{}\n{line}", errors.join("\n"));
            record
        })
        .collect()
}

/// The committed records' schema is the one the code makes; every record of `--format
/// jsonl` (plain, several inputs, redacted, with the timeline, HTTP/2 and TLS) and every
/// event line of `--follow --format jsonl` validates against it; a record whose `status`
/// is not the status object, or that lacks its `run_id`, fails.
#[test]
fn records_validate_against_the_committed_records_schema() {
    committed_is_generated(
        RECORDS_FILE,
        &wsclose::report::schema::records_text(),
        &["schema", "--records"],
    );
    let v = records_validator();
    let fixture = |p: &str| root().join("fixtures").join(p).display().to_string();
    let many = fixture("node-many.pcap.gz");
    let ipv6 = fixture("node-ipv6.pcap");
    let h2 = fixture("h2/hypercorn-h2c-upgrade.pcap");
    let tls = fixture("tls/python-tls13-aes128gcm-close-1000.pcap");
    let keylog = fixture("tls/python-tls13-aes128gcm-close-1000.keylog");
    let mut kinds = BTreeSet::new();
    for args in [
        vec![many.as_str()],
        vec![many.as_str(), ipv6.as_str(), h2.as_str()],
        vec!["--redact", many.as_str(), ipv6.as_str()],
        vec!["--timeline", h2.as_str()],
        vec![tls.as_str(), "--keylog", keylog.as_str()],
    ] {
        let mut all = vec!["analyze", "-q", "--format", "jsonl"];
        all.extend_from_slice(&args);
        let text = String::from_utf8(wsclose(&all)).unwrap();
        let records = check_records(&v, &format!("{args:?}"), &text);
        assert!(records.len() >= 2, "{args:?}");
        for r in &records {
            kinds.insert(r["type"].as_str().unwrap().to_string());
        }
        let mut bad = records[0].clone();
        bad["status"] = Value::from(1006);
        assert!(!v.is_valid(&bad), "a status that is a number");
        bad = records[0].clone();
        bad.as_object_mut().unwrap().remove("run_id");
        assert!(!v.is_valid(&bad), "a record without its run id");
    }
    // The event records of a followed capture, then its report's records.
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .args(["analyze", "-q", "--follow", "--format", "jsonl", "-"])
        .pipe_stdin(root().join("fixtures/node-close-1008.pcap"))
        .unwrap()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let records = check_records(&v, "--follow", &text);
    let events: Vec<&Value> = records.iter().filter(|r| r["type"] == "event").collect();
    assert!(events.len() >= 2, "{text}");
    kinds.insert("event".to_string());
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["connection", "event", "summary"]
    );
    // An event and its connection's record share the uid, the Community ID and the
    // status's shape.
    let conn = records.iter().find(|r| r["type"] == "connection").unwrap();
    let first = events.iter().find(|e| !e["status"].is_null()).unwrap();
    assert_eq!(first["uid"], conn["uid"]);
    assert_eq!(first["community_id"], conn["community_id"]);
    assert_eq!(first["run_id"], conn["run_id"]);
    assert_eq!(first["status"]["code"], conn["status"]["code"]);
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&first["status"]), keys(&conn["status"]));
}
