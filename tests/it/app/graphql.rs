//! GraphQL over WebSocket on two servers (fixtures/app/, recorded by
//! fixtures/record/app/record.sh, section `graphql`; what both endpoints logged is in the .log
//! beside each capture): graphql-ws 5.16.2 with its own handleProtocols, and
//! strawberry-graphql 0.341.2 on uvicorn 0.54.0 with a gql 4.4.0 client. A client that offers
//! only the legacy `graphql-ws` is accepted without a subprotocol and closed with 4406: the
//! mismatch is named from the request's offer and the response's missing selection. A
//! subscription completed and a close 1000 is named a normal end.

use crate::common::app as fixture;
use fixture::json;
use serde_json::json;

#[test]
fn an_offer_not_selected_then_4406_is_the_subprotocol_mismatch() {
    for name in ["graphql-offer-legacy.pcap", "strawberry-offer-legacy.pcap"] {
        let r = json(name, &[]);
        let c = &r["connections"][0];
        assert!(c["handshake"]["subprotocol"].is_null(), "{name}");
        let a = &c["application"];
        assert_eq!(
            json!([
                c["status"]["code"],
                a["protocol"],
                a["recognized_by"],
                a["ended_by"],
                a["cause"],
                a["evidence"]
            ]),
            json!([
                4406,
                "graphql-ws",
                "Sec-WebSocket-Protocol offered: graphql-ws (the response selected none)",
                "server",
                "subprotocol not acceptable",
                [8]
            ]),
            "{name}"
        );
        let s = a["summary"].as_str().unwrap_or_default();
        assert!(
            s.starts_with("the client offered Sec-WebSocket-Protocol \"graphql-ws\" (graphql-ws is the legacy subscriptions-transport-ws protocol) and the server's 101 selected none; the server then closed with 4406"),
            "{name}: {s}"
        );
    }
}

#[test]
fn a_completed_subscription_then_1000_is_a_normal_end() {
    for (name, evidence) in [
        ("graphql-complete.pcap", json!([17, 19])),
        ("strawberry-complete.pcap", json!([18, 20])),
    ] {
        let r = json(name, &[]);
        let c = &r["connections"][0];
        let a = &c["application"];
        assert_eq!(
            json!([
                c["status"]["code"],
                a["protocol"],
                a["ended_by"],
                a["cause"],
                a["evidence"],
                a["fix"],
                a["undecodable"]
            ]),
            json!([
                1000,
                "graphql-transport-ws",
                "client",
                "completed",
                evidence,
                null,
                0
            ]),
            "{name}"
        );
        let s = a["summary"].as_str().unwrap_or_default();
        assert!(
            s.contains("1 complete message (the last from the server at packet")
                && s.ends_with("a normal end"),
            "{name}: {s}"
        );
    }
}
