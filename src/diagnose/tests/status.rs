//! The status decision, the quiet spell before a 1006 and the words for them.

use crate::diagnose::idle::{self, idle_timeout_match, unanswered, Idle};
use crate::diagnose::status::{causes, close_handshake, seen_by, Missing};
use crate::report::cause::{End, EndHow};
use crate::report::Status;
use crate::units::Secs;
use crate::vocab::CloseFrame;
use crate::vocab::{EndKind, Opcode, PerSide, Role, Stats, Timestamp};

/// The status of a session, as the report makes it.
fn status(
    closes: &[&CloseFrame],
    ends: &[End],
    http_status: Option<u16>,
    upgraded: bool,
    missing: Missing,
) -> Status {
    Status::new(causes(closes, ends, http_status, upgraded, missing))
}

/// `status` with what a quiet spell adds to a 1006.
fn explain_idle(status: &mut Status, idle: &Idle) {
    if status.code == Some(1006) {
        for c in idle::causes(idle) {
            status.add(c);
        }
    }
}

/// Under 10 s a span keeps its milliseconds (a 4 ms reaction is not "0.0 s"); above,
/// a tenth of a second is enough and matches the proxies' timeouts as people say them.
#[test]
fn spans_of_time_keep_the_digits_that_matter() {
    assert_eq!(Secs(0.0042).to_string(), "0.004 s");
    assert_eq!(Secs(0.0).to_string(), "0.000 s");
    assert_eq!(Secs(9.9994).to_string(), "9.999 s");
    assert_eq!(Secs(10.0).to_string(), "10.0 s");
    assert_eq!(Secs(60.04).to_string(), "60.0 s");
}

const NONE: Missing = Missing {
    lost: PerSide {
        client: false,
        server: false,
    },
    stops: PerSide {
        client: None,
        server: None,
    },
    gaps: false,
};
const BOTH: Missing = Missing {
    lost: PerSide {
        client: true,
        server: true,
    },
    gaps: true,
    ..NONE
};

fn close(from: Role, payload: &[u8], order: u64) -> CloseFrame {
    crate::close::parse(
        from,
        payload,
        true,
        payload.len() as u64,
        order,
        Timestamp(0),
        order,
    )
}

fn end(by: Role, kind: EndKind, order: u64) -> End {
    End::tcp(by, kind, order, Timestamp(0), order)
}

#[test]
fn initiator_code_wins() {
    let a = close(Role::Server, b"\x03\xf0policy", 5);
    let b = close(Role::Client, b"\x03\xe8", 7);
    let s = status(
        &[&b, &a],
        &[end(Role::Server, EndKind::Fin, 9)],
        Some(101),
        true,
        NONE,
    );
    assert_eq!((s.code, s.inferred), (Some(1008), false));
    assert!(
        s.cause().contains("server closed with 1008"),
        "{}",
        s.cause()
    );
    assert!(s.cause().contains("client replied 1000"), "{}", s.cause());
    assert_eq!(seen_by(Role::Client, &[&a, &b], &[], NONE), Some(1008));
    assert_eq!(seen_by(Role::Server, &[&a, &b], &[], NONE), Some(1000));
}

#[test]
fn empty_close_is_1005_inferred() {
    let a = close(Role::Client, b"", 3);
    let s = status(&[&a], &[], Some(101), true, NONE);
    assert_eq!((s.code, s.inferred), (Some(1005), true));
}

#[test]
fn tcp_end_before_close_is_1006() {
    let s = status(
        &[],
        &[end(Role::Client, EndKind::Rst, 4)],
        Some(101),
        true,
        NONE,
    );
    assert_eq!((s.code, s.inferred), (Some(1006), true));
    assert!(
        s.cause()
            .contains("client reset TCP with an RST (packet 4)"),
        "{}",
        s.cause()
    );
    let late = close(Role::Server, b"\x03\xe8", 9);
    let s = status(
        &[&late],
        &[end(Role::Client, EndKind::Fin, 4)],
        Some(101),
        true,
        NONE,
    );
    assert_eq!(s.code, Some(1006));
    let lost = status(
        &[],
        &[end(Role::Client, EndKind::Fin, 4)],
        Some(101),
        true,
        BOTH,
    );
    assert!(
        lost.cause().contains("may have been sent and lost"),
        "{}",
        lost.cause()
    );
    assert_eq!(
        seen_by(
            Role::Server,
            &[&late],
            &[end(Role::Client, EndKind::Fin, 4)],
            NONE
        ),
        Some(1006)
    );
    // The initiator half-closed first; the reply still reaches it.
    let first = close(Role::Server, b"\x03\xea", 2);
    let reply = close(Role::Client, b"\x03\xea", 6);
    let ends = [end(Role::Server, EndKind::Fin, 4)];
    assert_eq!(
        seen_by(Role::Server, &[&first, &reply], &ends, NONE),
        Some(1002)
    );
    assert_eq!(
        seen_by(Role::Client, &[&first, &reply], &ends, NONE),
        Some(1002)
    );
}

/// The status of an upgraded connection that the server ended with a FIN at `packet`,
/// with no close frame.
fn server_fin_status(packet: u64) -> Status {
    status(
        &[],
        &[end(Role::Server, EndKind::Fin, packet)],
        Some(101),
        true,
        NONE,
    )
}

#[test]
fn idle_sixty_seconds_points_at_a_proxy() {
    let mut s = server_fin_status(4);
    let idle = Idle {
        seconds: 60.02,
        how: EndHow::Tcp(EndKind::Fin),
        end_packet: 4,
        last_frame_packet: Some(7),
        last_ping_packet: None,
        last_pong_packet: None,
        ended_by: Role::Server,
        lasted_s: 75.0,
        unanswered: None,
    };
    explain_idle(&mut s, &idle);
    assert!(
        s.cause().contains("packet 7, 60.0 s before TCP ended"),
        "{}",
        s.cause()
    );
    assert!(s.cause().contains("no ping or pong"), "{}", s.cause());
    assert!(s.cause().contains("nginx"), "{}", s.cause());
    // Only one leg is known: the side that ended it may be a proxy or the server.
    assert!(
        s.cause()
            .contains("the peer (a proxy or the server) may have closed"),
        "{}",
        s.cause()
    );
    assert!(s.fix.starts_with("Keep the connection busy"), "{}", s.fix);
    let mut s = server_fin_status(4);
    explain_idle(
        &mut s,
        &Idle {
            seconds: 12.0,
            how: EndHow::Tcp(EndKind::Fin),
            ..idle
        },
    );
    assert!(
        !s.cause().contains("That quiet spell") && !s.fix.starts_with("Keep"),
        "{}",
        s.cause()
    );
    assert!(s.cause().contains("packet 7, 12.0 s before TCP ended"));
    // A short quiet spell keeps its milliseconds.
    let mut s = server_fin_status(4);
    explain_idle(
        &mut s,
        &Idle {
            seconds: 0.25,
            how: EndHow::Tcp(EndKind::Fin),
            ..idle
        },
    );
    assert!(
        s.cause().contains("packet 7, 0.250 s before TCP ended"),
        "{}",
        s.cause()
    );
    assert!(idle_timeout_match(100.4)
        .iter()
        .any(|t| t.who.contains("Cloudflare")));
}

/// A session cut at the length of a known maximum lifetime (Google Cloud's 30 s backend
/// service timeout) is said as a match, its quiet spell aside; a length that matches none
/// adds nothing.
#[test]
fn a_session_as_long_as_a_known_lifetime_is_said_as_a_match() {
    let idle = Idle {
        seconds: 4.2,
        how: EndHow::Tcp(EndKind::Fin),
        end_packet: 30,
        last_frame_packet: Some(28),
        last_ping_packet: None,
        last_pong_packet: None,
        ended_by: Role::Server,
        lasted_s: 30.012,
        unanswered: None,
    };
    let mut s = server_fin_status(30);
    explain_idle(&mut s, &idle);
    let m = s
        .causes
        .iter()
        .find_map(|c| match c {
            crate::report::Cause::IdleTimeout { matches, .. } => Some(matches.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(m, ["gcp-backend-service"]);
    assert!(
        s.cause().contains("The connection lasted 30.0 s, which matches a Google Cloud external Application Load Balancer's backend service timeout (30 s): the peer (a proxy or the server) may have ended it at that limit, busy or not."),
        "{}",
        s.cause()
    );
    assert!(!s.cause().contains("That quiet spell ("), "{}", s.cause());
    // Both at once: a 60 s spell in a session of two hours.
    let mut s = server_fin_status(30);
    explain_idle(
        &mut s,
        &Idle {
            seconds: 60.0,
            lasted_s: 7199.0,
            ..idle
        },
    );
    assert!(s
        .cause()
        .contains("That quiet spell (60.0 s) matches the default of nginx's"));
    assert!(s.cause().contains(
        "The connection lasted 7199.0 s, which matches AWS API Gateway's longest connection (2 h)"
    ));
    // Neither: no such cause at all.
    let mut s = server_fin_status(30);
    explain_idle(
        &mut s,
        &Idle {
            lasted_s: 45.0,
            ..idle
        },
    );
    assert!(!s
        .causes
        .iter()
        .any(|c| matches!(c, crate::report::Cause::IdleTimeout { .. })));
}

#[test]
fn an_end_right_after_a_message_is_a_reaction_to_it() {
    let t = |ms: u32| Timestamp::from_parts(0, ms * 1_000_000);
    let client = Stats {
        last_message: Some((Opcode::TEXT, 100, 8)),
        last_frame: Some((8, t(2))),
        ..Stats::default()
    };
    let server = Stats {
        last_frame: Some((6, t(1))),
        ..Stats::default()
    };
    let sent = |client, server| PerSide { client, server };
    let u = unanswered(Role::Server, sent(&client, &server), 9, t(6)).unwrap();
    assert_eq!((u.from, u.size, u.packet), (Role::Client, 100, 8));
    assert_eq!(u.phrase(), "the client's 100-byte text message (packet 8)");
    // Too long after it to be a reaction; or the end came from the message's sender.
    assert!(unanswered(Role::Server, sent(&client, &server), 9, t(1502)).is_none());
    assert!(unanswered(Role::Client, sent(&client, &server), 9, t(6)).is_none());
    // The server answered (a frame of its own after the message).
    let answered = Stats {
        last_frame: Some((9, t(3))),
        ..server
    };
    assert!(unanswered(Role::Server, sent(&client, &answered), 10, t(6)).is_none());
    // The client's last frame was a ping after the message, not the message itself.
    let pinged = Stats {
        last_frame: Some((9, t(3))),
        ..client
    };
    assert!(unanswered(Role::Server, sent(&pinged, &server), 10, t(6)).is_none());
    // The explanation names the message and who reacted to it.
    let mut st = server_fin_status(9);
    explain_idle(
        &mut st,
        &Idle {
            seconds: 0.004,
            how: EndHow::Tcp(EndKind::Fin),
            end_packet: 9,
            last_frame_packet: Some(8),
            last_ping_packet: None,
            last_pong_packet: None,
            ended_by: Role::Server,
            lasted_s: 3.0,
            unanswered: Some(u),
        },
    );
    assert!(
        st.cause().contains("The last WebSocket frame was the client's 100-byte text message (packet 8), 0.004 s before the server ended TCP with no frame in reply")
            && st.cause().contains("The server reacted to that message"),
        "{}",
        st.cause()
    );
    assert!(
        st.fix
            .starts_with("Read the server's logs at the time of packet 8.")
            && st.fix.contains("the client then learns why"),
        "{}",
        st.fix
    );
}

#[test]
fn closing_handshake() {
    let a = close(Role::Client, b"\x03\xe8bye", 3);
    let b = close(Role::Server, b"\x03\xe9", 5);
    let h = close_handshake(&[&b, &a], &[end(Role::Client, EndKind::Fin, 7)], NONE).unwrap();
    assert_eq!(h.initiator, Role::Client);
    assert_eq!((h.reply, h.reply_code, h.echoed), (true, Some(1001), false));
    assert_eq!(h.tcp_closed_first_by, Some(Role::Client));
    let h = close_handshake(&[&a], &[], NONE).unwrap();
    assert!(!h.reply && h.tcp_closed_first_by.is_none());
    assert!(close_handshake(&[], &[], NONE).is_none());
}

/// Bytes of the client's direction are missing: that it did not reply, and that the
/// server saw 1006, are not claimed; the server's own close still sets the status.
#[test]
fn no_reply_is_not_claimed_when_the_peer_lost_bytes() {
    let first = close(Role::Server, b"\x03\xf0token expired", 9);
    let ends = [end(Role::Client, EndKind::Fin, 11)];
    let client_lost = Missing {
        lost: PerSide {
            client: true,
            server: false,
        },
        stops: PerSide {
            client: Some(4),
            server: None,
        },
        gaps: true,
    };
    let s = status(&[&first], &ends, Some(101), true, client_lost);
    assert_eq!((s.code, s.inferred), (Some(1008), false));
    assert!(
        s.cause()
            .contains("Whether the client replied is not in the capture")
            && !s.cause().contains("sent no close frame"),
        "{}",
        s.cause()
    );
    assert!(
        s.cause()
            .contains("its frames stop at the gap found at packet 4"),
        "{}",
        s.cause()
    );
    assert_eq!(seen_by(Role::Server, &[&first], &ends, client_lost), None);
    assert_eq!(
        seen_by(Role::Client, &[&first], &ends, client_lost),
        Some(1008)
    );
    let h = close_handshake(&[&first], &ends, client_lost).unwrap();
    assert!(!h.reply && h.reply_may_be_missing);
    // The same with every byte there: no reply, and the server saw 1006.
    let s = status(&[&first], &ends, Some(101), true, NONE);
    assert!(s
        .cause()
        .contains("The client sent no close frame in reply."));
    assert_eq!(seen_by(Role::Server, &[&first], &ends, NONE), Some(1006));
    assert!(
        !close_handshake(&[&first], &ends, NONE)
            .unwrap()
            .reply_may_be_missing
    );
    // Only the initiator's own direction lost bytes: the missing reply is still a fact.
    let server_lost = Missing {
        lost: PerSide {
            client: false,
            server: true,
        },
        ..NONE
    };
    assert_eq!(
        seen_by(Role::Server, &[&first], &ends, server_lost),
        Some(1006)
    );
}

#[test]
fn open_and_refused() {
    let s = status(&[], &[], Some(101), true, NONE);
    assert_eq!(s.code, None);
    assert_eq!(s.name, "Open");
    let s = status(&[], &[], Some(403), false, NONE);
    assert_eq!((s.code, &*s.name), (None, "Upgrade refused"));
    assert!(
        s.cause().contains("HTTP 403") && s.cause().contains("Origin"),
        "{}",
        s.cause()
    );
}

#[test]
fn truncated_close_is_unknown() {
    let c = crate::close::parse(Role::Client, b"", false, 2, 8, Timestamp(0), 8);
    let s = status(&[&c], &[], Some(101), true, NONE);
    assert_eq!(s.code, None);
    assert!(s.name.starts_with("Unknown"));
}
