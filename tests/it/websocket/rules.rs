//! Runs the `wsclose` binary on the `*-rule-*` fixtures: in each, a raw-socket client
//! (fixtures/record/raw_client.py) breaks one framing rule of RFC 6455 (or RFC 7692) once,
//! after a good exchange, and a real server (Python websockets 17.4 or Node ws 8.23.0)
//! fails the connection. The expected values are those of fixtures/README.md, checked with
//! tshark when the captures were recorded.
//!
//! Two tests per fixture: `*_facts` checks what is on the wire (the exact close frames, how
//! TCP ended, the finding for the broken rule: its kind, from the client, at the bad frame's
//! packet, and no finding against the real server); `*_status` checks the diagnosis (the
//! status code, and that the evidence names the bad frame's packet and is consistent).

use assert_cmd::Command;
use serde_json::Value;

/// One expected close frame: side, code (None = no code), reason, packet.
type Close = (&'static str, Option<u64>, &'static str, u64);

struct Rule {
    file: &'static str,
    server_port: u16,
    client_port: u16,
    /// permessage-deflate negotiated.
    deflate: bool,
    closes: &'static [Close],
    /// Close-frame `problems` of the client's first close frame, when that frame is the
    /// broken rule.
    close_problem: Option<&'static str>,
    /// The server's FIN (it fails the connection: close frame, then FIN at once).
    server_fin: u64,
    status: u64,
    /// The finding kind for the broken rule; None when no rule is broken (1009: the
    /// message is only over the server's own limit).
    finding: Option<&'static str>,
    /// The packet of the bad frame.
    bad_packet: u64,
}

/// Finding kinds that say the sender broke RFC 6455 / RFC 7692 (`Kind::is_violation`).
const VIOLATIONS: &[&str] = &[
    "unmasked-client-frame",
    "masked-server-frame",
    "rsv-bits-set",
    "reserved-opcode",
    "non-minimal-length",
    "length-top-bit-set",
    "control-frame-too-long",
    "fragmented-control-frame",
    "continuation-without-start",
    "data-frame-inside-fragmented-message",
    "invalid-utf8-text",
    "frame-after-close",
    "malformed-close",
    "inflate-failed",
];

/// The one connection of a fixture, from `wsclose analyze --format json`.
fn connection(r: &Rule) -> Value {
    let path = format!("{}/fixtures/{}", env!("CARGO_MANIFEST_DIR"), r.file);
    let out = Command::cargo_bin("wsclose")
        .unwrap()
        .args(["analyze", "--format", "json", &path])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "wsclose analyze {}: {}",
        r.file,
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let conns = report["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 1, "{}: connection count", r.file);
    let c = conns[0].clone();
    let ends = |key: &str, port: u16| {
        c[key]
            .as_str()
            .is_some_and(|s| s.ends_with(&format!(":{port}")))
    };
    assert!(
        ends("client", r.client_port),
        "{}: client {}",
        r.file,
        c["client"]
    );
    assert!(
        ends("server", r.server_port),
        "{}: server {}",
        r.file,
        c["server"]
    );
    c
}

fn findings(c: &Value) -> Vec<(String, String, Option<u64>)> {
    c["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap_or_default().to_string(),
                f["from"].as_str().unwrap_or("-").to_string(),
                f["packet"].as_u64(),
            )
        })
        .collect()
}

/// What is on the wire: handshake, close frames, TCP end, the finding for the rule.
fn facts(r: &Rule) {
    let c = connection(r);
    let file = r.file;
    assert_eq!(c["handshake"]["status"], 101, "{file}");
    assert_eq!(c["handshake"]["accept_valid"], true, "{file}");
    assert_eq!(c["handshake"]["deflate"], r.deflate, "{file}: deflate");
    let frames: Vec<(String, Option<u64>, String, u64)> = c["close_frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["from"].as_str().unwrap().to_string(),
                f["code"].as_u64(),
                f["reason"].as_str().unwrap().to_string(),
                f["packet"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, Option<u64>, String, u64)> = r
        .closes
        .iter()
        .map(|&(from, code, reason, packet)| (from.to_string(), code, reason.to_string(), packet))
        .collect();
    assert_eq!(frames, want, "{file}: close frames");
    if let Some(problem) = r.close_problem {
        let first = &c["close_frames"][0];
        assert_eq!(first["from"], "client", "{file}");
        let problems = first["problems"].as_array().unwrap();
        assert!(
            problems.iter().any(|p| p == problem),
            "{file}: problems of the client's close frame: {problems:?}"
        );
    }
    assert_eq!(c["tcp_end"], "fin", "{file}: tcp_end");
    assert_eq!(c["tcp_end_by"], "server", "{file}: tcp_end_by");
    assert_eq!(
        c["tcp_end_packet"].as_u64(),
        Some(r.server_fin),
        "{file}: tcp_end_packet"
    );
    let found = findings(&c);
    // The servers are real implementations: nothing they sent breaks a rule.
    assert!(
        !found.iter().any(|(_, from, _)| from == "server"),
        "{file}: findings against the server: {found:?}"
    );
    match r.finding {
        Some(kind) => assert!(
            found
                .iter()
                .any(|(k, from, p)| k == kind && from == "client" && *p == Some(r.bad_packet)),
            "{file}: no {kind} from the client at packet {}: {found:?}",
            r.bad_packet
        ),
        None => assert!(
            !found
                .iter()
                .any(|(k, _, _)| VIOLATIONS.contains(&k.as_str())),
            "{file}: no rule was broken, yet: {found:?}"
        ),
    }
}

/// The diagnosis: the status code, and evidence that names the bad frame.
fn status(r: &Rule) {
    let c = connection(r);
    let file = r.file;
    assert_eq!(
        c["status"]["code"].as_u64(),
        Some(r.status),
        "{file}: status ({})",
        c["status"]["cause"]
    );
    assert_eq!(c["status"]["inferred"], false, "{file}: inferred");
    let evidence = &c["evidence"];
    assert!(evidence.is_object(), "{file}: no evidence: {evidence}");
    let packets = evidence["packets"].as_array().unwrap();
    assert!(
        packets.iter().any(|p| p.as_u64() == Some(r.bad_packet)),
        "{file}: evidence does not name packet {}: {evidence}",
        r.bad_packet
    );
    assert_eq!(
        evidence["consistent"], true,
        "{file}: evidence not consistent: {evidence}"
    );
}

/// The usual shape: the server fails the connection with `code`/`reason` at packet 11,
/// FIN at 12; the client echoes the close frame at 13. The bad frame is packet 10.
macro_rules! server_fails {
    ($file:expr, $ports:expr, $code:expr, $reason:expr, $finding:expr) => {
        Rule {
            file: $file,
            server_port: $ports.0,
            client_port: $ports.1,
            deflate: false,
            closes: &[
                ("server", Some($code), $reason, 11),
                ("client", Some($code), $reason, 13),
            ],
            close_problem: None,
            server_fin: 12,
            status: $code,
            finding: Some($finding),
            bad_packet: 10,
        }
    };
}

/// The client's bad close frame is packet 10; the server answers with its own close frame
/// at 11 and its FIN at 12; the client sends no second close frame.
macro_rules! bad_close {
    ($file:expr, $ports:expr, ($ccode:expr, $creason:expr), $problem:expr, $code:expr, $reason:expr) => {
        Rule {
            file: $file,
            server_port: $ports.0,
            client_port: $ports.1,
            deflate: false,
            closes: &[
                ("client", $ccode, $creason, 10),
                ("server", Some($code), $reason, 11),
            ],
            close_problem: Some($problem),
            server_fin: 12,
            status: $code,
            finding: Some("malformed-close"),
            bad_packet: 10,
        }
    };
}

const RSV1: Rule = server_fails!(
    "python-rule-rsv1.pcap",
    (18721, 31026),
    1002,
    "reserved bits must be 0",
    "rsv-bits-set"
);

const RESERVED_OPCODE: Rule = server_fails!(
    "python-rule-reserved-opcode.pcap",
    (18722, 31027),
    1002,
    "invalid opcode",
    "reserved-opcode"
);

const PING_TOO_LONG: Rule = server_fails!(
    "python-rule-ping-too-long.pcap",
    (18723, 31028),
    1002,
    "control frame too long",
    "control-frame-too-long"
);

const PING_NO_FIN: Rule = server_fails!(
    "python-rule-ping-no-fin.pcap",
    (18724, 31029),
    1002,
    "fragmented control frame",
    "fragmented-control-frame"
);

const ORPHAN_CONTINUATION: Rule = server_fails!(
    "python-rule-orphan-continuation.pcap",
    (18725, 31030),
    1002,
    "unexpected continuation frame",
    "continuation-without-start"
);

const TEXT_IN_FRAGMENTED: Rule = Rule {
    file: "python-rule-text-in-fragmented.pcap",
    server_port: 18726,
    client_port: 31031,
    deflate: false,
    closes: &[
        ("server", Some(1002), "expected a continuation frame", 14),
        ("client", Some(1002), "expected a continuation frame", 16),
    ],
    close_problem: None,
    server_fin: 15,
    status: 1002,
    finding: Some("data-frame-inside-fragmented-message"),
    bad_packet: 12,
};

const CLOSE_1_BYTE: Rule = bad_close!(
    "python-rule-close-1-byte.pcap",
    (18727, 31032),
    (None, ""),
    "one-byte-payload",
    1002,
    "close frame too short"
);

const CLOSE_1005: Rule = bad_close!(
    "python-rule-close-1005.pcap",
    (18728, 31033),
    (Some(1005), ""),
    "code-never-sent",
    1002,
    "invalid status code"
);

const CLOSE_999: Rule = bad_close!(
    "python-rule-close-999.pcap",
    (18729, 31034),
    (Some(999), ""),
    "code-invalid",
    1002,
    "invalid status code"
);

const CLOSE_REASON_UTF8: Rule = bad_close!(
    "python-rule-close-reason-utf8.pcap",
    (18730, 31035),
    // The reason bytes are `bad c3 28`; the report replaces the invalid byte with U+FFFD.
    (Some(1000), "bad \u{fffd}("),
    "reason-not-utf8",
    1007,
    "invalid continuation byte at position 4"
);

const FRAGMENTED_UTF8: Rule = Rule {
    file: "python-rule-fragmented-utf8.pcap",
    server_port: 18731,
    client_port: 31036,
    deflate: false,
    closes: &[
        (
            "server",
            Some(1007),
            "invalid continuation byte at position 3",
            14,
        ),
        (
            "client",
            Some(1007),
            "invalid continuation byte at position 3",
            16,
        ),
    ],
    close_problem: None,
    server_fin: 15,
    status: 1007,
    finding: Some("invalid-utf8-text"),
    bad_packet: 12,
};

const PYTHON_DEFLATE_INVALID: Rule = Rule {
    deflate: true,
    ..server_fails!(
        "python-rule-deflate-invalid.pcap",
        (18732, 31037),
        1002,
        "decompression failed",
        "inflate-failed"
    )
};

const DEFLATE_UTF8: Rule = Rule {
    deflate: true,
    ..server_fails!(
        "python-rule-deflate-utf8.pcap",
        (18733, 31038),
        1007,
        "invalid continuation byte at position 0",
        "invalid-utf8-text"
    )
};

const NODE_DEFLATE_INVALID: Rule = Rule {
    deflate: true,
    // ws closes with the code alone (a 2-byte payload), and with 1007 where websockets
    // sends 1002.
    ..server_fails!(
        "node-rule-deflate-invalid.pcap",
        (9032, 31040),
        1007,
        "",
        "inflate-failed"
    )
};

/// Fragments at 10, 12, 14, 16, 18 (16 bytes each); the fifth crosses the 64-byte limit.
macro_rules! too_big {
    ($file:expr, $ports:expr, $reason:expr) => {
        Rule {
            file: $file,
            server_port: $ports.0,
            client_port: $ports.1,
            deflate: false,
            closes: &[
                ("server", Some(1009), $reason, 20),
                ("client", Some(1009), $reason, 22),
            ],
            close_problem: None,
            server_fin: 21,
            status: 1009,
            finding: None,
            bad_packet: 18,
        }
    };
}

const PYTHON_TOO_BIG: Rule = too_big!(
    "python-rule-too-big-fragmented.pcap",
    (18734, 31039),
    "frame with 16 bytes after reading 64 bytes exceeds limit of 64 bytes"
);

const NODE_TOO_BIG: Rule = too_big!("node-rule-too-big-fragmented.pcap", (9034, 31041), "");

#[test]
fn rsv1_facts() {
    facts(&RSV1);
}

#[test]
fn rsv1_status() {
    status(&RSV1);
}

#[test]
fn reserved_opcode_facts() {
    facts(&RESERVED_OPCODE);
}

#[test]
fn reserved_opcode_status() {
    status(&RESERVED_OPCODE);
}

#[test]
fn ping_too_long_facts() {
    facts(&PING_TOO_LONG);
}

#[test]
fn ping_too_long_status() {
    status(&PING_TOO_LONG);
}

#[test]
fn ping_no_fin_facts() {
    facts(&PING_NO_FIN);
}

#[test]
fn ping_no_fin_status() {
    status(&PING_NO_FIN);
}

#[test]
fn orphan_continuation_facts() {
    facts(&ORPHAN_CONTINUATION);
}

#[test]
fn orphan_continuation_status() {
    status(&ORPHAN_CONTINUATION);
}

#[test]
fn text_in_fragmented_facts() {
    facts(&TEXT_IN_FRAGMENTED);
}

#[test]
fn text_in_fragmented_status() {
    status(&TEXT_IN_FRAGMENTED);
}

#[test]
fn close_1_byte_facts() {
    facts(&CLOSE_1_BYTE);
}

#[test]
fn close_1_byte_status() {
    status(&CLOSE_1_BYTE);
}

#[test]
fn close_1005_facts() {
    facts(&CLOSE_1005);
}

#[test]
fn close_1005_status() {
    status(&CLOSE_1005);
}

#[test]
fn close_999_facts() {
    facts(&CLOSE_999);
}

#[test]
fn close_999_status() {
    status(&CLOSE_999);
}

#[test]
fn close_reason_utf8_facts() {
    facts(&CLOSE_REASON_UTF8);
}

#[test]
fn close_reason_utf8_status() {
    status(&CLOSE_REASON_UTF8);
}

#[test]
fn fragmented_utf8_facts() {
    facts(&FRAGMENTED_UTF8);
}

#[test]
fn fragmented_utf8_status() {
    status(&FRAGMENTED_UTF8);
}

#[test]
fn python_deflate_invalid_facts() {
    facts(&PYTHON_DEFLATE_INVALID);
}

#[test]
fn python_deflate_invalid_status() {
    status(&PYTHON_DEFLATE_INVALID);
}

#[test]
fn deflate_utf8_facts() {
    facts(&DEFLATE_UTF8);
}

#[test]
fn deflate_utf8_status() {
    status(&DEFLATE_UTF8);
}

#[test]
fn node_deflate_invalid_facts() {
    facts(&NODE_DEFLATE_INVALID);
}

#[test]
fn node_deflate_invalid_status() {
    status(&NODE_DEFLATE_INVALID);
}

#[test]
fn python_too_big_fragmented_facts() {
    facts(&PYTHON_TOO_BIG);
}

#[test]
fn python_too_big_fragmented_status() {
    status(&PYTHON_TOO_BIG);
}

#[test]
fn node_too_big_fragmented_facts() {
    facts(&NODE_TOO_BIG);
}

#[test]
fn node_too_big_fragmented_status() {
    status(&NODE_TOO_BIG);
}
