//! WAMP v2 on two independent routers (fixtures/app/wamp-*, recorded by
//! fixtures/record/app/record.sh, section `wamp`; what the clients and routers logged is in
//! the .log beside each capture): Crossbar.io 26.10.1 with Autobahn|Python 26.10.2 clients
//! (json, msgpack, msgpack.batched, cbor.batched, cbor, json.batched) and fox-wamp 0.7.28
//! with an Autobahn|JS 22.11.1 client (json). Then a capture that lost the router's ABORT,
//! and one whose ABORT is split across two TCP segments (copies edited here).

use crate::common::run;

use crate::common::markup;

use crate::common::app as fixture;
use fixture::json;
use serde_json::{json, Value};

/// (status code, ended_by, cause, evidence, version, messages, undecodable) of the one
/// connection.
fn report(r: &Value) -> Value {
    let c = &r["connections"][0];
    let a = &c["application"];
    json!([
        c["status"]["code"],
        a["ended_by"],
        a["cause"],
        a["evidence"],
        a["version"],
        a["messages"],
        a["undecodable"]
    ])
}

fn summary(r: &Value) -> String {
    r["connections"][0]["application"]["summary"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn each_wamp_session_reads_as_its_endpoints_logged() {
    let cases = [
        // Crossbar.io: "no realm "no-such-realm" exists on this router".
        (
            "wamp-crossbar-no-such-realm.pcap",
            json!([1000, "server", "wamp.error.no_such_realm", [8, 9], "2 (json)", 2, 0]),
            "it answered the client's HELLO for realm \"no-such-realm\" (packet 8) with ABORT \"wamp.error.no_such_realm\" at packet 9 (the realm does not exist on the router): \"no realm \"no-such-realm\" exists on this router\"",
        ),
        (
            "wamp-crossbar-auth-failed.pcap",
            json!([1000, "server", "wamp.error.not_authorized", [8, 11], "2 (msgpack)", 4, 0]),
            "\"ticket in static WAMP-Ticket authentication is invalid\"",
        ),
        // The client leaves; Crossbar.io answers wamp.close.normal.
        (
            "wamp-crossbar-goodbye.pcap",
            json!([1000, "client", "wamp.close.close_realm", [11, 12], "2 (msgpack, batched)", 4, 0]),
            "the router answered GOODBYE \"wamp.close.normal\" at packet 12: a clean end of the WAMP session",
        ),
        // wamp.session.kill from a second session; the client's library answers.
        (
            "wamp-crossbar-killed.pcap",
            json!([1000, "server", "wamp.close.killed", [11, 13], "2 (json, batched)", 4, 0]),
            "the router closed the WAMP session with GOODBYE \"wamp.close.killed\" at packet 11 (the session was killed by the router's management): \"maintenance window\"",
        ),
        // The CALL's ERROR ends nothing; the client dropped the WebSocket.
        (
            "wamp-crossbar-error.pcap",
            json!([1000, null, null, [9, 11], "2 (cbor, batched)", 4, 0]),
            "the router answered CALL request 1 with ERROR \"wamp.error.no_such_procedure\" at packet 11",
        ),
        // `crossbar stop`: the router's FIN, no GOODBYE (the client logged transport_lost).
        (
            "wamp-crossbar-shutdown.pcap",
            json!([1006, null, null, [9], "2 (cbor)", 2, 0]),
            "the WAMP session was established (WELCOME at packet 9) and neither side sent GOODBYE or ABORT before the router ended the connection at packet 11",
        ),
        (
            "wamp-fox-auth-failed.pcap",
            json!([1000, "server", "wamp.error.authentication_failed", [8, 11], "2 (json)", 4, 0]),
            "(authentication failed)",
        ),
        // fox-wamp answers with a URI of the wrong namespace, wamp.error.goodbye_and_out.
        (
            "wamp-fox-goodbye.pcap",
            json!([1000, "client", "wamp.close.close_realm", [11, 12], "2 (json)", 4, 0]),
            "the router answered GOODBYE \"wamp.error.goodbye_and_out\" at packet 12: a clean end of the WAMP session, and the WebSocket close after it (the router's, packet 14) only ends the transport",
        ),
        (
            "wamp-fox-error.pcap",
            json!([1005, null, null, [9, 11], "2 (json)", 4, 0]),
            "which answers that request and ends no session",
        ),
    ];
    for (name, want, words) in cases {
        let r = json(name, &[]);
        assert_eq!(report(&r), want, "{name}");
        let s = summary(&r);
        assert!(s.contains(words), "{name}: {s}");
    }
}

/// The application's verdict leads the status: its cause and fix, not the close code's
/// typical causes; an ERROR, which ends nothing, adds no cause.
#[test]
fn the_routers_reason_leads_the_status() {
    let r = json("wamp-crossbar-no-such-realm.pcap", &[]);
    let causes = &r["connections"][0]["status"]["causes"];
    let app: Vec<&Value> = causes
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "application")
        .collect();
    assert_eq!(app.len(), 1, "{causes}");
    assert_eq!(app[0]["cause"], "wamp.error.no_such_realm");
    let r = json("wamp-fox-error.pcap", &[]);
    let causes = r["connections"][0]["status"]["causes"].to_string();
    assert!(!causes.contains("application"), "{causes}");
}

/// `--redact` leaves out the realm and the Details' message (the summary) and keeps the
/// reason URIs the specification defines.
#[test]
fn redaction_hides_the_realm_and_the_routers_message() {
    let r = json("wamp-crossbar-no-such-realm.pcap", &["--redact"]);
    let text = r["connections"][0].to_string();
    assert!(!text.contains("no-such-realm\\\""), "{text}");
    assert!(!text.contains("exists on this router"), "{text}");
    assert_eq!(
        r["connections"][0]["application"]["cause"],
        "wamp.error.no_such_realm"
    );
}

/// The record layout of a classic pcap of Ethernet frames, IPv4 and TCP: (offset of the
/// record header, offset of the TCP payload, payload length) of each record.
fn records(b: &[u8]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= b.len() {
        let len = u32::from_le_bytes(b[at + 8..at + 12].try_into().unwrap()) as usize;
        let ip = at + 16 + 14;
        let ihl = usize::from(b[ip] & 0x0f) * 4;
        let total = usize::from(u16::from_be_bytes([b[ip + 2], b[ip + 3]]));
        let tcp = ip + ihl;
        let doff = usize::from(b[tcp + 12] >> 4) * 4;
        out.push((at, tcp + doff, total - ihl - doff));
        at += 16 + len;
    }
    out
}

/// `fixtures/app/NAME` edited: record `k` (1-based) dropped, or split into two segments at
/// payload byte `at` (the second with its sequence number moved on).
fn edited(name: &str, k: usize, split: Option<usize>) -> String {
    let b = std::fs::read(fixture::path(name)).unwrap();
    let mut out = b[..24].to_vec();
    for (i, &(rec, payload, len)) in records(&b).iter().enumerate() {
        let end = payload + len;
        if i + 1 != k {
            out.extend(&b[rec..end]);
            continue;
        }
        let Some(cut) = split else { continue };
        let head = &b[rec + 16..payload];
        for (from, to, shift) in [(0, cut, 0u32), (cut, len, cut as u32)] {
            let mut h = head.to_vec();
            let ip = 14;
            let ihl = usize::from(h[ip] & 0x0f) * 4;
            let total = (head.len() - 14 + (to - from)) as u16;
            h[ip + 2..ip + 4].copy_from_slice(&total.to_be_bytes());
            let seq = u32::from_be_bytes(h[ip + ihl + 4..ip + ihl + 8].try_into().unwrap());
            h[ip + ihl + 4..ip + ihl + 8].copy_from_slice(&seq.wrapping_add(shift).to_be_bytes());
            let n = (h.len() + to - from) as u32;
            out.extend(&b[rec..rec + 8]);
            out.extend(n.to_le_bytes());
            out.extend(n.to_le_bytes());
            out.extend(&h);
            out.extend(&b[payload + from..payload + to]);
        }
    }
    let tag = split.map_or("without".to_string(), |c| format!("split{c}"));
    let path = format!("{}/{name}-{tag}-{k}", env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(&path, out).unwrap();
    path
}

fn analyze(path: &str) -> Value {
    let out = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .args(["analyze", path, "--format", "json"])
        .output()
        .unwrap();
    serde_json::from_slice(&run::stdout_of(out)).unwrap()
}

#[test]
fn a_lost_abort_names_nothing_and_says_what_is_unknown() {
    // Packet 9 is the router's ABORT (json): without it, nothing says why the session
    // ended, and the summary says from where the router's messages are unknown.
    let r = analyze(&edited("wamp-crossbar-no-such-realm.pcap", 9, None));
    let a = &r["connections"][0]["application"];
    assert_eq!(a["cause"], Value::Null, "{a}");
    let s = summary(&r);
    assert!(
        s.contains("the router's messages are not all in the capture from packet"),
        "{s}"
    );
    assert!(!s.contains("neither side sent"), "{s}");
}

#[test]
fn an_abort_split_across_segments_reads_the_same() {
    // Packet 11 is the router's ABORT (msgpack, 95 bytes of TCP payload): cut inside its
    // reason and inside its frame header, it reads as whole, from the packet that ends it.
    for cut in [1, 40, 94] {
        let r = analyze(&edited("wamp-crossbar-auth-failed.pcap", 11, Some(cut)));
        assert_eq!(
            report(&r),
            json!([
                1000,
                "server",
                "wamp.error.not_authorized",
                [8, 12],
                "2 (msgpack)",
                4,
                0
            ]),
            "cut at {cut}"
        );
    }
    // fox-wamp's JSON ABORT (packet 11, 43 bytes).
    let r = analyze(&edited("wamp-fox-auth-failed.pcap", 11, Some(20)));
    assert_eq!(
        report(&r),
        json!([
            1000,
            "server",
            "wamp.error.authentication_failed",
            [8, 12],
            "2 (json)",
            4,
            0
        ])
    );
}

/// Wire text as markup (THREATS kind 8): the router's ABORT of `wamp-crossbar-no-such-realm`
/// rewritten in place to carry a reason URI and a Details message of JSON-escaped terminal
/// escapes, a bidi override, HTML and Markdown: no format and no comment of the annotated
/// capture carries them raw, and the verdict quotes the URI.
#[test]
fn a_hostile_abort_reaches_no_format_raw() {
    let path = run::pcap_swapped(
        &fixture::path("wamp-crossbar-no-such-realm.pcap"),
        &[
            (
                br#"no realm \"no-such-realm\" exists on this router"#,
                br#"\u001b[2J\u202e<script>x</script>|y|**z**`"#,
            ),
            (b"wamp.error.no_such_realm", br"<i>x</i>\u001b[31m"),
        ],
        "wamp-hostile-abort.pcap",
    );
    let r = analyze(&path);
    assert_eq!(
        r["connections"][0]["application"]["cause"], "ABORT \"<i>x</i>\u{1b}[31m......\"",
        "{r}"
    );
    markup::formats_carry_no_raw_markup(&path, "<i>x</i>", &["<i>", "<script>"]);
}
