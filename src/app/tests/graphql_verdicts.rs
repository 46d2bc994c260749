//! GraphQL over WebSocket's verdicts: graphql-transport-ws codes by name, the protocols
//! mismatched, the legacy subscriptions-transport-ws errors and keep-alives.

use super::*;

#[test]
fn graphql_transport_ws_codes_by_name_with_context() {
    let mut s = Script::new(Some("graphql-transport-ws"), Some("/graphql"));
    let r =
        s.t.worded(&closed(
            Server,
            Some(4408),
            "Connection initialisation timeout",
            5,
            3000,
        ))
        .unwrap();
    assert_eq!(r.protocol, "graphql-transport-ws");
    assert_eq!(
        r.cause.as_deref(),
        Some("connection initialisation timeout")
    );
    assert!(r.summary.unwrap().contains("no connection_init"));
    s.text(Client, r#"{"type":"connection_init"}"#, 4, 0)
        .text(Server, r#"{"type":"connection_ack"}"#, 5, 1)
        .text(
            Client,
            r#"{"type":"subscribe","id":"1","payload":{"query":"subscription{a}"}}"#,
            6,
            2,
        )
        .text(
            Client,
            r#"{"type":"subscribe","id":"1","payload":{"query":"subscription{a}"}}"#,
            8,
            3,
        );
    let r =
        s.t.worded(&closed(
            Server,
            Some(4409),
            "Subscriber for 1 already exists",
            9,
            4,
        ))
        .unwrap();
    assert_eq!(r.cause.as_deref(), Some("subscriber already exists"));
    assert_eq!(r.evidence, [8, 9]);
    // A code the protocol does not define: nothing claimed.
    assert!(s
        .t
        .worded(&closed(Server, Some(4000), "", 9, 4))
        .unwrap()
        .cause
        .is_none());
}

#[test]
fn graphql_protocol_mismatch_either_way() {
    let mut s = Script::new(Some("graphql-transport-ws"), None);
    s.text(Client, r#"{"type":"connection_init"}"#, 4, 0).text(
        Client,
        r#"{"type":"start","id":"1","payload":{}}"#,
        6,
        1,
    );
    let r = s.t.worded(&closed(Server, Some(4400), "", 7, 2)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("protocol mismatch"));
    let mut s = Script::new(Some("graphql-ws"), None);
    s.text(
        Client,
        r#"{"type":"subscribe","id":"1","payload":{}}"#,
        6,
        1,
    );
    let r = s.t.worded(&closed(Server, Some(1002), "", 7, 2)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("protocol mismatch"));
    assert_eq!(r.protocol, "graphql-ws");
}

#[test]
fn graphql_legacy_errors_and_keepalives() {
    let mut s = Script::new(Some("graphql-ws"), None);
    s.text(Client, r#"{"type":"connection_init","payload":{}}"#, 4, 0)
        .text(Server, r#"{"type":"connection_ack"}"#, 5, 1)
        .text(Server, r#"{"type":"ka"}"#, 6, 10)
        .text(Server, r#"{"type":"ka"}"#, 8, 1010)
        .text(Server, r#"{"type":"ka"}"#, 9, 2010);
    let r =
        s.t.worded(&closed(Client, Some(1000), "", 12, 5000))
            .unwrap();
    assert_eq!(r.cause.as_deref(), Some("keep-alive missed"));
    assert!(r
        .summary
        .as_deref()
        .unwrap_or_default()
        .contains("(ka, every 1 s)"));
    // The server's ka asks for no answer: the server's heartbeat, never unanswered.
    let server = r.heartbeat.unwrap().server;
    assert_eq!((server.pings, server.unanswered), (3, 0));
    // Where the server's messages are not all in the capture, a ka may have been lost:
    // none is said to have been missed.
    let mut lost = Script::new(Some("graphql-ws"), None);
    lost.text(Server, r#"{"type":"ka"}"#, 6, 10)
        .text(Server, r#"{"type":"ka"}"#, 8, 1010);
    lost.t.tapped(Server, Tapped::Lost { packet: 9 });
    let r = lost
        .t
        .worded(&closed(Client, Some(1000), "", 12, 4000))
        .unwrap();
    assert_eq!(r.cause, None);
    let r =
        s.t.worded(&closed(Client, Some(1000), "", 12, 1500))
            .unwrap();
    assert_eq!(r.cause, None);
    s.text(
        Server,
        r#"{"type":"connection_error","payload":{"message":"bad token"}}"#,
        9,
        1100,
    );
    let r =
        s.t.worded(&closed(Server, Some(1011), "", 12, 1200))
            .unwrap();
    assert_eq!(r.cause.as_deref(), Some("connection error"));
}

#[test]
fn graphql_protocols_are_told_apart_by_both_sides_messages_not_the_name() {
    // Agreed as `graphql-ws`, but both sides speak graphql-transport-ws: it is that
    // protocol, and its close codes are named.
    let mut s = Script::new(Some("graphql-ws"), None);
    s.text(Client, r#"{"type":"connection_init"}"#, 4, 0)
        .text(Server, r#"{"type":"connection_ack"}"#, 5, 1)
        .text(
            Client,
            r#"{"type":"subscribe","id":"1","payload":{}}"#,
            6,
            2,
        )
        .text(Server, r#"{"type":"next","id":"1","payload":{}}"#, 7, 3)
        .text(
            Client,
            r#"{"type":"subscribe","id":"1","payload":{}}"#,
            8,
            4,
        );
    let r = s.t.worded(&closed(Server, Some(4409), "", 9, 5)).unwrap();
    assert_eq!(r.protocol, "graphql-transport-ws");
    assert!(
        r.recognized_by.starts_with(
            "Sec-WebSocket-Protocol: graphql-ws; both sides' messages are graphql-transport-ws's"
        ),
        "{}",
        r.recognized_by
    );
    assert_eq!(r.cause.as_deref(), Some("subscriber already exists"));
    // Agreed as graphql-transport-ws, both sides speak the legacy protocol: its ka is the
    // server's keep-alive, and its stop is named.
    let mut s = Script::new(Some("graphql-transport-ws"), None);
    s.text(Client, r#"{"type":"connection_init"}"#, 4, 0)
        .text(Server, r#"{"type":"connection_ack"}"#, 5, 1)
        .text(Client, r#"{"type":"start","id":"1","payload":{}}"#, 6, 2)
        .text(Server, r#"{"type":"ka"}"#, 7, 10)
        .text(Server, r#"{"type":"ka"}"#, 8, 1010)
        .text(Server, r#"{"type":"ka"}"#, 9, 2010);
    let r =
        s.t.worded(&closed(Client, Some(1000), "", 12, 5000))
            .unwrap();
    assert_eq!(r.protocol, "graphql-ws");
    assert_eq!(r.cause.as_deref(), Some("keep-alive missed"));
    // One side only speaks the other protocol: a mismatch, as before.
    let mut s = Script::new(Some("graphql-transport-ws"), None);
    s.text(Client, r#"{"type":"start","id":"1","payload":{}}"#, 6, 2);
    let r = s.t.worded(&closed(Server, Some(4400), "", 7, 3)).unwrap();
    assert_eq!(
        (r.protocol.as_str(), r.cause.as_deref()),
        ("graphql-transport-ws", Some("protocol mismatch"))
    );
    // Both, but one of them had spoken the agreed protocol first: a mismatch.
    let mut s = Script::new(Some("graphql-ws"), None);
    s.text(Server, r#"{"type":"ka"}"#, 5, 1)
        .text(
            Client,
            r#"{"type":"subscribe","id":"1","payload":{}}"#,
            6,
            2,
        )
        .text(Server, r#"{"type":"next","id":"1","payload":{}}"#, 7, 3);
    let r = s.t.worded(&closed(Server, Some(1002), "", 8, 4)).unwrap();
    assert_eq!(
        (r.protocol.as_str(), r.cause.as_deref()),
        ("graphql-ws", Some("protocol mismatch"))
    );
}

/// Issue 84 item 6, for graphql-ws's keep-alive: two `ka` 10 ms apart (a server catching
/// up) are no period, and the client's own clean close 1.5 s later is no keep-alive missed.
/// Nor is a regular `ka` followed by one 10 ms later. Several intervals that agree are.
#[test]
fn graphql_legacy_one_short_ka_gap_is_no_period() {
    let opened = || {
        let mut s = Script::new(Some("graphql-ws"), None);
        s.text(Client, r#"{"type":"connection_init","payload":{}}"#, 4, 0)
            .text(Server, r#"{"type":"connection_ack"}"#, 5, 1);
        s
    };
    let mut s = opened();
    s.text(Server, r#"{"type":"ka"}"#, 6, 1000)
        .text(Server, r#"{"type":"ka"}"#, 7, 1010);
    let r =
        s.t.worded(&closed(Client, Some(1000), "", 9, 2510))
            .unwrap();
    assert_eq!(r.cause, None, "{:?}", r.summary);
    let mut s = opened();
    s.text(Server, r#"{"type":"ka"}"#, 6, 1000)
        .text(Server, r#"{"type":"ka"}"#, 7, 2000)
        .text(Server, r#"{"type":"ka"}"#, 8, 3000)
        .text(Server, r#"{"type":"ka"}"#, 9, 3010);
    let r =
        s.t.worded(&closed(Client, Some(1000), "", 11, 4510))
            .unwrap();
    assert_eq!(r.cause, None, "{:?}", r.summary);
}
