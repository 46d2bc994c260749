//! SockJS's recognition (the target's shape, then the server's `o`), its close frames by
//! name or quoted, its heartbeat `h` and a heartbeat that stopped.

use super::*;

const TARGET: &str = "/echo/123/a1b2c3d4/websocket";

/// A SockJS session opened at packet 5 whose server beat `h` every second from 1 s to
/// `beats` s.
fn opened(beats: u64) -> Script {
    let mut s = Script::new(None, Some(TARGET));
    s.text(Server, "o", 5, 0);
    for i in 1..=beats {
        s.text(Server, "h", 5 + 2 * i, 1000 * i as i64);
    }
    s
}

#[test]
fn a_target_of_its_shape_is_sockjs_only_once_the_server_opens_with_o() {
    // The server's first message is not `o`: not SockJS, and nothing more is read.
    let mut s = Script::new(None, Some(TARGET));
    s.text(Client, "hello", 4, 0).text(Server, "welcome", 5, 1);
    assert!(!s.t.listening());
    assert!(s.t.worded(&closed(Server, Some(1000), "", 7, 2)).is_none());
    // No `o` in the capture: nothing claimed either.
    let s = Script::new(None, Some(TARGET));
    assert!(s.t.worded(&closed(Server, Some(1000), "", 7, 2)).is_none());
    let r = opened(0).t.worded(&closed(Client, Some(1000), "", 7, 2));
    let r = r.unwrap();
    assert_eq!((r.protocol.as_str(), r.cause), ("SockJS", None));
}

#[test]
fn a_close_frame_is_named_by_sockjs_or_quoted() {
    for (frame, label) in [
        (r#"c[3000,"Go away!"]"#, "go away"),
        (
            r#"c[2010,"Another connection still open"]"#,
            "another connection still open",
        ),
        (
            r#"c[1002,"Connection interrupted"]"#,
            "connection interrupted",
        ),
        (
            r#"c[3000,"No response from heartbeat"]"#,
            "no response from heartbeat",
        ),
        (
            r#"c[4001,"kicked by admin"]"#,
            r#"close 4001 "kicked by admin""#,
        ),
    ] {
        let mut s = opened(0);
        s.text(Server, frame, 9, 100);
        let r =
            s.t.worded(&closed(Server, Some(1000), "", 11, 101))
                .unwrap();
        assert_eq!(r.cause.as_deref(), Some(label), "{frame}");
        assert_eq!(r.ended_by, Some(Server));
        assert_eq!(r.evidence, [9, 11]);
        // A reason of the peer's own is redacted, by the field that holds it; SockJS's own
        // labels are not.
        let mut cause = r.cause.unwrap();
        let own = frame.starts_with("c[4001");
        assert_eq!(cause.redact(), own, "{frame}");
        if own {
            assert_eq!(&*cause, r#"close 4001 "[redacted]""#);
        } else {
            assert_eq!(&*cause, label, "{frame}");
        }
    }
    // A close frame sent after the client closed answers it: no verdict from it.
    let mut s = opened(0);
    s.text(Server, r#"c[3000,"Go away!"]"#, 12, 100);
    let r = s.t.worded(&closed(Client, Some(1000), "", 11, 99)).unwrap();
    assert_eq!(r.cause, None);
    // A malformed one is undecodable and decides nothing.
    let mut s = opened(0);
    s.text(Server, r#"c[3000,"Go away!""#, 9, 100);
    let r =
        s.t.worded(&closed(Server, Some(1000), "", 11, 101))
            .unwrap();
    assert_eq!((r.cause, r.undecodable), (None, 1));
}

#[test]
fn the_servers_h_is_its_heartbeat_with_its_period() {
    let r = opened(4)
        .t
        .worded(&closed(Client, Some(1000), "", 20, 4500))
        .unwrap();
    let server = r.heartbeat.unwrap().server;
    assert_eq!(
        (
            server.pings,
            server.unanswered,
            server.period_ms,
            server.last_ping
        ),
        (4, 0, Some(1000), Some(13))
    );
    // Not stopped: the client closed half a period after the last.
    assert_eq!(r.cause, None);
}

#[test]
fn a_heartbeat_stopped_for_two_periods_before_the_end_is_named() {
    let r = opened(4)
        .t
        .worded(&closed(Client, Some(1000), "", 20, 7000))
        .unwrap();
    assert_eq!(r.cause.as_deref(), Some("heartbeat stopped"));
    assert_eq!(r.ended_by, Some(Client));
    assert_eq!(r.evidence, [13, 20]);
    // The server's FIN after its heartbeat stopped: the server ended it.
    let r = opened(4)
        .t
        .worded(&tcp_end(Server, false, 20, 9000))
        .unwrap();
    assert_eq!(
        (r.cause.as_deref(), r.ended_by),
        (Some("heartbeat stopped"), Some(Server))
    );
    assert!(r
        .summary
        .unwrap()
        .contains("the server ended the TCP connection (FIN) 5 s later"));
    // Data from the server after its last h: it was not silent.
    let mut s = opened(4);
    s.text(Server, r#"a["late"]"#, 15, 6000);
    let r =
        s.t.worded(&closed(Client, Some(1000), "", 20, 7000))
            .unwrap();
    assert_eq!(r.cause, None);
    // One beat gives no period: nothing is claimed.
    let r = opened(1)
        .t
        .worded(&closed(Client, Some(1000), "", 20, 9000))
        .unwrap();
    assert_eq!(r.cause, None);
}

#[test]
fn a_heartbeat_is_not_called_stopped_where_the_capture_lost_the_servers_messages() {
    let mut s = opened(4);
    s.t.tapped(Server, Tapped::Lost { packet: 15 });
    let r =
        s.t.worded(&closed(Client, Some(1000), "", 20, 7000))
            .unwrap();
    assert_eq!(r.cause, None);
}

/// Issue 84 item 6: two `h` 10 ms apart (a server catching up) are no period, and the
/// client's own clean close 1.5 s later is no heartbeat of the server's missed; nor is a
/// burst after a regular beat (its last gaps do not agree). A period needs several
/// intervals that agree.
#[test]
fn one_short_gap_is_no_period_and_a_clean_close_after_it_no_stopped_heartbeat() {
    let mut s = Script::new(None, Some(TARGET));
    s.text(Server, "o", 5, 0)
        .text(Server, "h", 7, 25_000)
        .text(Server, "h", 8, 25_010);
    let r =
        s.t.worded(&closed(Client, Some(1000), "", 10, 26_510))
            .unwrap();
    assert_eq!((r.cause, r.ended_by), (None, None), "{:?}", r.summary);
    // A regular beat every second, then one 10 ms after the last: the last gaps disagree.
    let mut s = opened(4);
    s.text(Server, "h", 14, 4_010);
    let r =
        s.t.worded(&closed(Client, Some(1000), "", 20, 5_500))
            .unwrap();
    assert_eq!(r.cause, None, "{:?}", r.summary);
    // The regular beat missed twice before the client's close is still a stopped heartbeat,
    // its period the beat's cadence.
    let r = opened(4)
        .t
        .worded(&closed(Client, Some(1000), "", 20, 7_000))
        .unwrap();
    assert_eq!(r.cause.as_deref(), Some("heartbeat stopped"));
    assert!(r.summary.unwrap().contains("(h, every 1 s)"));
}
