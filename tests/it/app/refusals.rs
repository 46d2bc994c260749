//! Upgrades refused with the server's reason in the response's body (fixtures/app/, recorded
//! by fixtures/record/app/record.sh, section `refusal`; what both endpoints logged is in the
//! .log beside each capture): python `ocpp` 2.1.0 on python-websockets 17.4, which refuses a
//! missing or unknown subprotocol itself with HTTP 400, and a ws 8.23.0 server whose
//! verifyClient refuses with a message. The body is quoted as the refusal's reason; no cause
//! is guessed from the status code (a 400 is not said to be headers a proxy stripped).

use crate::common::run;

use crate::common::app as fixture;
use fixture::json;

#[test]
fn each_refusal_quotes_the_servers_body() {
    for (name, body) in [
        (
            "ocpp-refused-no-subprotocol.pcap",
            "Failed to open a WebSocket connection: missing subprotocol.",
        ),
        (
            "ocpp-refused-wrong-subprotocol.pcap",
            "Failed to open a WebSocket connection: invalid subprotocol; expected one of ocpp1.6.",
        ),
        (
            "ws-refused-subprotocol.pcap",
            "Unsupported subprotocol \"ocpp2.0.1\": this endpoint speaks ocpp1.6 only",
        ),
    ] {
        let r = json(name, &[]);
        let c = &r["connections"][0];
        assert_eq!(c["status"]["name"], "Upgrade refused", "{name}");
        let cause = &c["status"]["causes"][0];
        assert_eq!(
            (
                &cause["kind"],
                &cause["http_status"],
                cause["body"].as_str()
            ),
            (&"upgrade-refused".into(), &400.into(), Some(body)),
            "{name}"
        );
        let text = c["status"]["cause"].as_str().unwrap_or_default();
        assert!(
            text.contains(&format!(
                "The response's body gives the server's reason: \"{body}\""
            )),
            "{name}: {text}"
        );
        assert!(!text.contains("proxy"), "{name}: {text}");
        let fix = c["status"]["fix"].as_str().unwrap_or_default();
        assert!(
            fix.starts_with("Change the request as the server's reason"),
            "{fix}"
        );
    }
}

#[test]
fn the_refusals_reason_leads_the_row() {
    let out = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .env("COLUMNS", "200")
        .env("NO_COLOR", "1")
        .args([
            "analyze",
            &fixture::path("ocpp-refused-no-subprotocol.pcap"),
            "--format",
            "markdown",
        ])
        .output()
        .unwrap();
    let md = String::from_utf8(run::stdout_of(out)).unwrap();
    assert!(
        md.contains("| 1 | HTTP 400 refusal: \"Failed to open a WebSocket connection: missing subprotocol.\"; Upgrade refused |"),
        "{md}"
    );
}

#[test]
fn redact_leaves_the_body_out() {
    let r = json("ws-refused-subprotocol.pcap", &["--redact"]);
    let c = &r["connections"][0];
    assert_eq!(c["status"]["causes"][0]["body"], "[redacted]");
    let text = c["status"]["cause"].as_str().unwrap_or_default();
    assert!(
        !text.contains("ocpp2.0.1") && text.contains("\"[redacted]\""),
        "{text}"
    );
}
