//! What the held-out sets' tests share (issue 102, "Prove it": fixtures/incident3/,
//! fixtures/incident4/, ...): a set's captures and its EXPECT.json, a capture's JSON report,
//! and the checks of an incident against what EXPECT.json says of it.

use crate::common::run;

use serde_json::Value;
use std::path::{Path, PathBuf};

/// A held-out set: its folder under fixtures/.
pub struct Set(pub &'static str);

impl Set {
    /// The path of the set's file `name`.
    pub fn capture(&self, name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(self.0)
            .join(name)
    }

    /// The set's EXPECT.json, whole.
    pub fn expectations(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.capture("EXPECT.json")).unwrap()).unwrap()
    }

    /// What the set's EXPECT.json says of `name`.
    pub fn expect(&self, name: &str) -> Value {
        self.expectations()[name].clone()
    }

    /// "Done when: the held-out half gives its kind or its stated decision without a wrong
    /// kind": on each of the set's `n` captures, no incident of a kind its expectation does
    /// not call right ([`right_kind`]), each of an expected server ([`right_server`]); a
    /// control none.
    pub fn no_wrong_kind(&self, n: usize) {
        let all = self.expectations();
        let names: Vec<&String> = all
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| !k.starts_with('_'))
            .collect();
        assert_eq!(names.len(), n);
        for name in names {
            let e = &all[name];
            let (r, _) = self.report(name);
            for i in list(&r, "incidents") {
                assert!(e["control"] != true, "{name}: a control's incident: {i:#}");
                assert!(right_kind(&i, e), "{name}: a wrong kind: {i:#}");
                assert!(right_server(&i, e), "{name}: {i:#}");
            }
        }
    }

    /// `name`'s JSON report, with its capture's path.
    pub fn report(&self, name: &str) -> (Value, String) {
        let p = self.capture(name).to_str().unwrap().to_string();
        let r = serde_json::from_str(&out(&["analyze", "--format", "json", &p])).unwrap();
        (r, p)
    }
}

/// wsclose's standard output for `args`, which must exit 0 or 1.
pub fn out(args: &[&str]) -> String {
    let (o, e, code) = run::wsclose(args);
    assert!(matches!(code, Some(0 | 1)), "{args:?}: {e}");
    String::from_utf8(o).unwrap()
}

/// The array `key` of a report (empty when absent).
pub fn list(r: &Value, key: &str) -> Vec<Value> {
    r[key].as_array().cloned().unwrap_or_default()
}

/// `got` is within the expectation's tolerance of `want` seconds: 0.1 s, or 10 % above 1 s.
pub fn near(got: &Value, want: &Value) -> bool {
    let (g, w) = (got.as_f64().unwrap(), want.as_f64().unwrap());
    (g - w).abs() <= if w > 1.0 { w * 0.1 } else { 0.1 }
}

/// The counts an incident must give as EXPECT.json says them: members, came back, never,
/// refused.
pub fn counts_as_expected(name: &str, i: &Value, e: &Value) {
    assert_eq!(i["members"], e["ended"], "{name}: {i:#}");
    let rc = &i["reconnects"];
    assert_eq!(rc["came_back"], e["reconnected"], "{name}: {rc}");
    assert_eq!(rc["never"], e["never_came_back"], "{name}: {rc}");
    assert_eq!(
        rc["refused"], e["refused_connection_attempts"],
        "{name}: {rc}"
    );
}

/// Whether `i` is of a kind the expectation `e` calls right: one of its `right_kinds`, or
/// a `stated-decision` of the side and code it says were stated.
pub fn right_kind(i: &Value, e: &Value) -> bool {
    let kinds = e["right_kinds"].as_array().cloned().unwrap_or_default();
    let said = &e["stated_decision"];
    kinds.contains(&i["kind"])
        || (i["kind"] == "stated-decision"
            && !said.is_null()
            && i["code"] == said["close_code"]
            && i["side"] == said["by"])
}

/// The incident's window is EXPECT.json's `ended_window_s`, within 0.1 s.
pub fn window_as_expected(name: &str, i: &Value, e: &Value) {
    let window =
        e["ended_window_s"][1].as_f64().unwrap() - e["ended_window_s"][0].as_f64().unwrap();
    assert!(
        (i["window_s"].as_f64().unwrap() - window).abs() < 0.1,
        "{name}: {i:#}"
    );
}

/// The reconnects' median and slowest delays are EXPECT.json's, within [`near`]'s tolerance.
pub fn delays_as_expected(name: &str, rc: &Value, e: &Value) {
    assert!(
        near(&rc["median_s"], &e["reconnect_delay_s"]["median"]),
        "{name}: {rc}"
    );
    assert!(
        near(&rc["slowest_s"], &e["reconnect_delay_s"]["max"]),
        "{name}: {rc}"
    );
}

/// Whether `i` is told of an address the expectation allows: one of its
/// `server_addresses_ok` (a proxy's or its backend's), else its `server_address`.
pub fn right_server(i: &Value, e: &Value) -> bool {
    match e["server_addresses_ok"].as_array() {
        Some(ok) => ok.contains(&i["server"]),
        None => i["server"] == e["server_address"],
    }
}

/// The one incident of `name`'s report `r`, after checking there is exactly one, of a right
/// kind ([`right_kind`]), of an expected server ([`right_server`]).
pub fn the_incident(name: &str, r: &Value, e: &Value) -> Value {
    let all = list(r, "incidents");
    assert_eq!(all.len(), 1, "{name}: {all:#?}");
    let i = all[0].clone();
    assert!(right_kind(&i, e), "{name}: {i:#}");
    assert!(right_server(&i, e), "{name}: {i:#}");
    i
}

/// The incident is the closer's stated decision as EXPECT.json says it: its side, code and
/// reason.
pub fn said_as_expected(name: &str, i: &Value, e: &Value) {
    let said = &e["stated_decision"];
    assert_eq!(i["side"], said["by"], "{name}: {i:#}");
    assert_eq!(i["code"], said["close_code"], "{name}: {i:#}");
    assert_eq!(
        i["facts"]["said"]["reason"], said["reason"],
        "{name}: {i:#}"
    );
}
