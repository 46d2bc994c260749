//! Verdicts that rest on what did not come are withheld once the capture lost part of the
//! direction they rest on (issue 57 item 3), and ids of any length cost a fixed amount
//! (item 9): socket.io, Action Cable, STOMP and graphql-ws.

use super::*;

/// A socket.io session whose client direction the capture lost (its pong's segment among
/// the bytes missing): the server's close after the quiet spell is no "ping timeout" the
/// report can state, since the pong may well have come (issue 57 item 3). With nothing lost,
/// the same messages are a ping timeout.
#[test]
fn socketio_ping_timeout_is_withheld_after_the_capture_lost_a_direction() {
    for lose in [false, true] {
        let mut s = Script::new(None, Some("/socket.io/?EIO=4&transport=websocket"));
        s.text(
            Server,
            r#"0{"sid":"abc","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}"#,
            4,
            0,
        )
        .text(Client, "40", 6, 5)
        .text(Server, r#"40{"sid":"xyz"}"#, 7, 6)
        .text(Server, "2", 9, 300)
        .text(Client, "3", 10, 301)
        .text(Server, "2", 12, 600);
        if lose {
            s.t.tapped(Client, crate::app::Tapped::Lost { packet: 13 });
        }
        let r = s.t.finish(&closed(Server, None, "", 14, 801)).unwrap();
        if lose {
            assert_eq!(r.cause, None, "{r:?}");
            let summary = r.summary.unwrap_or_default();
            assert!(
                summary.contains(
                    "client's socket.io messages are not all in the capture from packet 13"
                ),
                "{summary}"
            );
            assert_eq!(r.evidence, [13]);
        } else {
            assert_eq!(r.cause.as_deref(), Some("ping timeout"));
        }
    }
}

/// Action Cable's stale connection rests on the server's pings not coming: after the
/// capture lost some of the server's messages it is withheld (issue 57 item 3); a loss of
/// the client's direction changes nothing.
#[test]
fn actioncable_stale_is_withheld_after_the_servers_messages_were_lost() {
    for (lost, stale) in [(None, true), (Some(Client), true), (Some(Server), false)] {
        let mut s = Script::new(Some("actioncable-v1-json"), Some("/cable"));
        s.text(Server, r#"{"type":"welcome"}"#, 4, 0).text(
            Server,
            r#"{"type":"ping","message":1}"#,
            5,
            3000,
        );
        if let Some(side) = lost {
            s.t.tapped(side, crate::app::Tapped::Lost { packet: 6 });
        }
        let r =
            s.t.finish(&closed(Client, Some(1000), "", 8, 9500))
                .unwrap();
        if stale {
            assert_eq!(r.cause.as_deref(), Some("stale connection"), "{lost:?}");
        } else {
            assert_eq!(r.cause, None);
            assert!(r.summary.unwrap_or_default().contains(
                "server's Action Cable messages are not all in the capture from packet 6"
            ));
        }
    }
}

/// STOMP's missed heart-beats rest on the other side's frames not coming: after the capture
/// lost some of them the verdict is withheld (issue 57 item 3); a loss of the closing side's
/// own direction changes nothing.
#[test]
fn stomp_missed_heartbeats_are_withheld_after_the_silent_side_was_lost() {
    for (lost, missed) in [(None, true), (Some(Server), true), (Some(Client), false)] {
        let mut s = stomp_heartbeats();
        if let Some(side) = lost {
            s.t.tapped(side, crate::app::Tapped::Lost { packet: 7 });
        }
        // The server closes after 2.5 s without the client's beats (every 1 s).
        let r = s.t.finish(&tcp_end(Server, false, 9, 3500)).unwrap();
        if missed {
            assert_eq!(r.cause.as_deref(), Some("missed heart-beats"), "{lost:?}");
        } else {
            assert_eq!(r.cause, None);
            assert!(r
                .summary
                .unwrap_or_default()
                .contains("client's STOMP frames are not all in the capture from packet 7"));
        }
    }
}

/// graphql-ws subscription ids of any length are remembered by a fixed-size hash, so 256
/// open subscriptions with 60 kB ids cost 2 KiB, not 15 MB (issue 57 item 9); a duplicate is
/// still found, and the report quotes at most 64 bytes of its id.
#[test]
fn graphql_long_subscription_ids_cost_a_hash_and_duplicates_are_still_found() {
    let mut s = Script::new(Some("graphql-transport-ws"), None);
    s.text(Client, r#"{"type":"connection_init"}"#, 4, 0).text(
        Server,
        r#"{"type":"connection_ack"}"#,
        5,
        1,
    );
    let long = "x".repeat(60_000);
    let sub = format!(
        r#"{{"type":"subscribe","id":"{long}","payload":{{"query":"subscription{{a}}"}}}}"#
    );
    s.text(Client, &sub, 6, 2).text(Client, &sub, 8, 3);
    let r = s.t.finish(&closed(Server, Some(4409), "", 9, 4)).unwrap();
    assert_eq!(r.cause.as_deref(), Some("subscriber already exists"));
    assert_eq!(r.evidence, [8, 9]);
    let summary = r.summary.unwrap_or_default();
    assert!(
        summary.len() < 400,
        "{} bytes: {}",
        summary.len(),
        &summary[..200]
    );
}
