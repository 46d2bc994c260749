//! What the tests of recorded incidents (tests/it/report/incident_*.rs) share: a recording
//! of fixtures/incident/ run through wsclose, its one incident and members, and the check
//! that every format says that incident.

use super::{pcapng, run};
use serde_json::Value;

/// A recording's path in fixtures/incident/.
pub fn path(name: &str) -> String {
    format!("{}/fixtures/incident/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// wsclose's standard output, which must end with exit 0 or 1 (closes found).
pub fn run_ok(args: &[&str]) -> String {
    let (out, err, code) = run::wsclose(args);
    assert!(matches!(code, Some(0) | Some(1)), "{err}");
    String::from_utf8(out).unwrap()
}

/// The JSON report of a recording.
pub fn json(name: &str) -> Value {
    serde_json::from_str(&run_ok(&["analyze", "--format", "json", &path(name)])).unwrap()
}

/// The one incident of a report.
pub fn the_incident(r: &Value) -> &Value {
    let i = r["incidents"].as_array().unwrap();
    assert_eq!(i.len(), 1, "{i:#?}");
    &i[0]
}

/// The connections of incident 1.
pub fn members(r: &Value) -> Vec<&Value> {
    r["connections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["incident"] == 1)
        .collect()
}

/// `x` is a number within `range`.
pub fn within(x: &Value, range: std::ops::Range<f64>) {
    let v = x.as_f64().unwrap_or(f64::NAN);
    assert!(range.contains(&v), "{v} not in {range:?}");
}

/// Every format says the recording `name` (at `p`) has one incident, of `kind`, with
/// `headline`: the table, Markdown, HTML, JSON Lines (with `members` members) and the
/// annotated capture (`commented` packets say it); the table's flattened text is returned
/// for the caller's own checks. The annotated capture goes into `dir`.
pub fn one_incident_in_every_format(
    dir: &std::path::Path,
    name: &str,
    kind: &str,
    headline: &str,
    members: u64,
    commented: usize,
) -> String {
    let p = path(name);
    let table = run_ok(&["analyze", &p]);
    let flat = table.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(&format!("Incident 1: {kind} ")),
        "{name}: {table}"
    );
    assert!(flat.contains(headline), "{name}: {table}");
    assert!(!flat.contains("Incident 2: "), "{name}");
    let md = run_ok(&["analyze", "--format", "markdown", &p]);
    assert!(md.contains(&format!("Incident 1: {kind}")), "{name}");
    let html = run_ok(&["analyze", "--format", "html", &p]);
    assert!(html.contains(&format!("Incident 1: {kind}")), "{name}");
    let jsonl = run_ok(&["analyze", "--format", "jsonl", &p]);
    let incidents: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["type"] == "incident")
        .collect();
    assert_eq!(incidents.len(), 1, "{name}");
    assert_eq!(incidents[0]["kind"], kind, "{name}");
    assert_eq!(incidents[0]["members"], members, "{name}");
    let out = dir.join(format!("{name}.pcapng"));
    let (_, err, code) = run::wsclose(&["annotate", &p, "-w", out.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{name}: {err}");
    let (_, packets) = pcapng::packet_comments(&std::fs::read(&out).unwrap());
    let said = packets
        .iter()
        .flatten()
        .filter(|c| c.contains(&format!("incident 1 ({kind}): {headline}")))
        .count();
    assert_eq!(said, commented, "{name}");
    flat
}
