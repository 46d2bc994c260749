//! A heartbeat that gave up: one side pinged (RFC 6455 §5.5.2), the other sent no pong
//! (§5.5.3), and the side that pinged ended the session; and the close reasons libraries
//! write when their keepalive runs out.
//!
//! In: the first valid close frame and the first ending of what carried the session, each
//! side's last few pings and pongs (`ControlMarks`: `pings`, `pongs`), and the
//! library each side's handshake names. Out: a [`Cause::HeartbeatTimeout`] with the ping
//! that went unanswered, the peer's last pong before the end, how long the pinging side
//! waited, the ping cadence, and the library whose timeout it is when its close reason or
//! its handshake header names it. Nothing is claimed from a ping followed by a normal
//! close or soon by an ending: the pinging side must have waited [`MIN_WAIT_MS`] and ended
//! with no close frame or with 1011, or written a reason a library writes for its keepalive.
//! And [`stopped`]: a side whose regular pings stopped coming ([`Cause::PingsStopped`]).

use crate::app::ControlMarks;
use crate::report::cause::Cause;
use crate::report::cause::End;
use crate::vocab::CloseFrame;
use crate::vocab::{Library, PerSide, Role, Software};
use crate::websocket::session::Handshake;

/// A close reason a library writes when its keepalive ran out.
struct Said {
    /// The reason, as the library writes it.
    reason: &'static str,
    /// The code it writes with it, when the words alone are too common to name it.
    code: Option<u16>,
    /// Any case ("Keepalive ping timeout" too), or exactly as written.
    any_case: bool,
    /// The library.
    library: Library,
}

/// Close reasons libraries write when their keepalive ran out, each from the library's
/// source.
const REASONS: [Said; 2] = [
    // websockets ≥ 10 (asyncio and legacy) and uvicorn's websockets-sansio and wsproto
    // implementations: `fail(1011, "keepalive ping timeout")`.
    Said {
        reason: "keepalive ping timeout",
        code: None,
        any_case: true,
        library: Library::PythonWebsockets,
    },
    // Ktor's WebSockets plugin (io.ktor.websocket, PingPong.kt, `pinger`): no pong within
    // `timeout` → `onTimeout(CloseReason(CloseReason.Codes.INTERNAL_ERROR, "Ping timeout"))`,
    // a close frame 1011 "Ping timeout". The words are common ("ping timeout" is also
    // engine.io's): only with 1011 and as written.
    Said {
        reason: "Ping timeout",
        code: Some(1011),
        any_case: false,
        library: Library::Ktor,
    },
];

/// How long a side must have waited after its ping for its ending to count as giving up
/// on the pong: one that ends sooner after a ping was closing anyway (no library's
/// heartbeat waits less by default).
pub const MIN_WAIT_MS: f64 = 100.0;

/// The heartbeat cause of a session, if its ending shows one.
pub fn cause(
    first_close: Option<&CloseFrame>,
    first_end: Option<&End>,
    hs: &Handshake,
    sent: PerSide<&ControlMarks>,
    stops: PerSide<Option<u64>>,
) -> Option<Cause> {
    // Who ended first, where, and with which close frame (if its close came first).
    let close = first_close.filter(|c| first_end.is_none_or(|e| c.order < e.order));
    let (by, end_packet, end_ts) = match (close, first_end) {
        (Some(c), _) => (c.from, c.packet, c.time),
        (None, Some(e)) => (e.by, e.packet, e.ts),
        (None, None) => return None,
    };
    let software = match by {
        Role::Client => hs.client_software.as_ref(),
        Role::Server => hs.server_software.as_ref(),
    };
    let said = close.and_then(|c| {
        let reason = c.reason.trim();
        REASONS
            .iter()
            .find(|s| {
                let words = if s.any_case {
                    reason.eq_ignore_ascii_case(s.reason)
                } else {
                    reason == s.reason
                };
                words && s.code.is_none_or(|code| c.code == Some(code))
            })
            .map(|s| s.library)
    });
    // The library: a uvicorn server writes websockets' words; its Server header tells.
    let library = match (said, software) {
        (Some(_), Some(s)) if s.library == Library::Uvicorn => Some(s.clone()),
        (Some(lib), Some(s)) if s.library == lib => Some(s.clone()),
        (Some(lib), _) => Some(Software {
            library: lib,
            version: None,
        }),
        (None, s) => s.cloned(),
    };
    let mine = sent.of(by);
    let theirs = sent.of(by.peer());
    let last_pong = theirs.pongs.iter().filter(|&(p, _)| p < end_packet).last();
    let pings: Vec<_> = mine.pings.iter().filter(|&(p, _)| p < end_packet).collect();
    let unanswered: Vec<_> = pings
        .iter()
        .copied()
        .filter(|&(p, _)| last_pong.is_none_or(|(q, _)| p > q))
        .collect();
    let at_least = !mine.pings.whole() && unanswered.len() == pings.len();
    let first = unanswered.first().copied();
    // Its ping interval: the cadence of its last pings before the end (several gaps that
    // agree), never the one gap between its last two.
    let interval_ms = mine.pings.cadence_before(end_packet).map(|i| i as f64);
    let code_fits = match close {
        None => true,
        Some(c) => c.code == Some(1011) || said.is_some(),
    };
    let waited_ms = first.map(|(_, t)| ms(end_ts.since(t)));
    let waited = waited_ms.is_some_and(|w| w >= MIN_WAIT_MS);
    if said.is_none() && !(waited && code_fits) {
        return None;
    }
    // The pongs that did not come rest on the peer's direction being all there: once its
    // frames stopped being decoded (a gap where a header was due) before the end, a pong
    // may be among what the capture lost, and only a library's own words still say it.
    if said.is_none() && stops.of(by.peer()).is_some_and(|p| p <= end_packet) {
        return None;
    }
    Some(Cause::HeartbeatTimeout {
        by,
        library,
        reason_says_so: said.is_some(),
        ping_packet: first.map(|(p, _)| p),
        unanswered: unanswered.len() as u64,
        at_least,
        last_pong_packet: last_pong.map(|(p, _)| p),
        waited_ms,
        interval_ms,
        end_packet,
        close_code: close.and_then(|c| c.code),
    })
}

/// Seconds as whole milliseconds (a cause's numbers are what the capture's clock gives,
/// rounded to the millisecond).
fn ms(seconds: f64) -> f64 {
    (seconds.max(0.0) * 1000.0).round()
}

/// The interval (s) between the last pings kept of `marks` when they came at a cadence
/// ([`crate::app::Recent::cadence`]: at least three, each gap near the gaps' mean).
pub fn cadence(marks: &crate::app::Recent) -> Option<f64> {
    marks.cadence()
}

/// Side `from`'s regular pings that stopped: its last three or more pings (the last few
/// kept) came at a regular cadence ([`cadence`]), its last frame is its last ping, it did
/// not end the session first (`ended`), its direction was followed to the end (`lost`: a
/// gap or a lost frame boundary in it could hide later pings, and then nothing is said), and at least two more pings
/// were due before `until` (the first ending, or the end of the capture). The pings are
/// `marks`: WebSocket pings, or with `message_bytes` the copies of the short data message
/// that is the side's application heartbeat.
pub fn stopped(
    from: Role,
    (marks, message_bytes): (&crate::app::Recent, Option<u64>),
    last_frame: Option<u64>,
    ended: bool,
    lost: bool,
    until: crate::vocab::Timestamp,
    end: Option<crate::report::cause::Ending>,
) -> Option<Cause> {
    if ended || lost {
        return None;
    }
    let mean = cadence(marks)?;
    let pings: Vec<_> = marks.iter().collect();
    let &(last, at) = pings.last()?;
    if last_frame != Some(last) {
        return None;
    }
    let silent = until.since(at);
    (silent >= 2.0 * mean).then(|| Cause::PingsStopped {
        from,
        interval_ms: (mean * 1e6).round() / 1e3,
        pings: pings.len() as u64,
        last_ping: last,
        at: at.rfc3339(),
        silent_s: (silent * 1000.0).round() / 1000.0,
        end,
        message_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::{EndKind, Timestamp};

    fn at(ms: i64) -> Timestamp {
        Timestamp(ms * 1_000_000)
    }

    fn close(from: Role, code: u16, reason: &str, packet: u64) -> CloseFrame {
        CloseFrame {
            from,
            code: Some(code),
            name: None,
            reason: reason.into(),
            payload_len: 2 + reason.len() as u64,
            packet,
            time: at(packet as i64 * 100),
            problems: Vec::new(),
            order: packet,
            mask_key: None,
        }
    }

    fn fin(by: Role, packet: u64) -> End {
        End::tcp(by, EndKind::Fin, packet, at(packet as i64 * 100), packet)
    }

    /// Marks of pings (or pongs) at these packets, 100 ms a packet.
    fn sent(pings: &[u64], pongs: &[u64]) -> ControlMarks {
        let mut s = ControlMarks::default();
        for &p in pings {
            s.pings.add(p, at(p as i64 * 100));
        }
        for &p in pongs {
            s.pongs.add(p, at(p as i64 * 100));
        }
        s
    }

    fn run(
        close: Option<&CloseFrame>,
        end: Option<&End>,
        server: &ControlMarks,
        client: &ControlMarks,
    ) -> Option<Cause> {
        cause(
            close,
            end,
            &Handshake::default(),
            PerSide { client, server },
            PerSide::default(),
        )
    }

    /// The peer's direction stopped being decoded before the end: its pong may be among
    /// the bytes the capture lost, so no heartbeat timeout is claimed (issue 57 item 3).
    #[test]
    fn no_timeout_is_claimed_once_the_peers_direction_was_lost() {
        let server = sent(&[10, 20], &[]);
        let client = sent(&[], &[11]);
        let lost_before = PerSide {
            client: Some(22),
            server: None,
        };
        let lost_after = PerSide {
            client: Some(26),
            server: None,
        };
        let own_lost = PerSide {
            client: None,
            server: Some(22),
        };
        let end = fin(Role::Server, 25);
        let run_with = |stops| {
            cause(
                None,
                Some(&end),
                &Handshake::default(),
                PerSide {
                    client: &client,
                    server: &server,
                },
                stops,
            )
        };
        assert!(run_with(lost_before).is_none());
        assert!(run_with(lost_after).is_some());
        assert!(run_with(own_lost).is_some());
    }

    #[test]
    fn an_unanswered_ping_then_a_fin_is_a_heartbeat_timeout() {
        let server = sent(&[0, 10, 20], &[]);
        let client = sent(&[], &[11, 30]); // 30: a late pong, after the end
        let c = run(None, Some(&fin(Role::Server, 25)), &server, &client).unwrap();
        let Cause::HeartbeatTimeout {
            by,
            ping_packet,
            unanswered,
            last_pong_packet,
            waited_ms,
            interval_ms,
            close_code,
            ..
        } = c
        else {
            panic!("{c:?}")
        };
        assert_eq!(by, Role::Server);
        assert_eq!(ping_packet, Some(20));
        assert_eq!(unanswered, 1);
        assert_eq!(last_pong_packet, Some(11));
        assert_eq!(waited_ms, Some(500.0));
        assert_eq!(interval_ms, Some(1000.0));
        assert_eq!(close_code, None);
        // Two pings are one gap: no interval is claimed (issue 84 item 6), nor with a
        // third out of step.
        for pings in [&[10, 20][..], &[0, 19, 20]] {
            let c = run(
                None,
                Some(&fin(Role::Server, 25)),
                &sent(pings, &[]),
                &client,
            );
            let Some(Cause::HeartbeatTimeout { interval_ms, .. }) = c else {
                panic!("{c:?}")
            };
            assert_eq!(interval_ms, None, "{pings:?}");
        }
    }

    #[test]
    fn answered_pings_or_a_normal_close_claim_nothing() {
        let server = sent(&[10, 20], &[]);
        let answered = sent(&[], &[11, 21]);
        let silent = ControlMarks::default();
        assert_eq!(
            run(None, Some(&fin(Role::Server, 25)), &server, &answered),
            None
        );
        // Ended 1 ms after its ping: it did not wait for a pong (a public capture, a
        // client that pings and then closes).
        let quick = End::tcp(Role::Server, EndKind::Fin, 25, at(2001), 25);
        assert_eq!(run(None, Some(&quick), &sent(&[20], &[]), &silent), None);
        // A ping just before a 1000 close is no timeout.
        let bye = close(Role::Server, 1000, "bye", 22);
        assert_eq!(run(Some(&bye), None, &server, &silent), None);
        // The side that did not ping ended it.
        assert_eq!(
            run(None, Some(&fin(Role::Client, 25)), &server, &silent),
            None
        );
    }

    #[test]
    fn a_librarys_reason_names_it_even_without_the_ping() {
        let c = close(Role::Server, 1011, "keepalive ping timeout", 5);
        let none = ControlMarks::default();
        let Some(Cause::HeartbeatTimeout {
            library,
            reason_says_so,
            ping_packet,
            ..
        }) = run(Some(&c), None, &none, &none)
        else {
            panic!()
        };
        assert_eq!(library.map(|s| s.library), Some(Library::PythonWebsockets));
        assert!(reason_says_so);
        assert_eq!(ping_packet, None);
    }

    /// A second library's words (issue 105 item 6): Ktor's pinger closes with 1011 "Ping
    /// timeout", which names Ktor; the same words with another code, or in another case,
    /// are no library's (engine.io and applications write "ping timeout" too).
    #[test]
    fn ktors_reason_names_ktor_only_with_its_code() {
        let none = ControlMarks::default();
        let named = |code: u16, reason: &str| {
            let c = close(Role::Client, code, reason, 5);
            match run(Some(&c), None, &none, &none) {
                Some(Cause::HeartbeatTimeout {
                    library,
                    reason_says_so,
                    ..
                }) => reason_says_so
                    .then_some(library.map(|s| s.library))
                    .flatten(),
                _ => None,
            }
        };
        assert_eq!(named(1011, "Ping timeout"), Some(Library::Ktor));
        assert_eq!(named(1000, "Ping timeout"), None);
        assert_eq!(named(1011, "ping timeout"), None);
        // websockets' words name websockets whatever the code and case, as before.
        assert_eq!(
            named(1000, "Keepalive ping timeout"),
            Some(Library::PythonWebsockets)
        );
    }

    #[test]
    fn only_the_last_pings_are_kept_and_then_it_says_at_least() {
        let server = sent(&[10, 20, 30, 40, 50, 60], &[]);
        let Some(Cause::HeartbeatTimeout {
            unanswered,
            at_least,
            ping_packet,
            ..
        }) = run(
            None,
            Some(&fin(Role::Server, 70)),
            &server,
            &ControlMarks::default(),
        )
        else {
            panic!()
        };
        assert_eq!((unanswered, at_least, ping_packet), (4, true, Some(30)));
    }

    #[test]
    fn a_cadence_is_three_copies_at_least_each_gap_near_their_mean() {
        let marks = |ms: &[i64]| {
            let mut r = crate::app::Recent::default();
            for (i, &m) in ms.iter().enumerate() {
                r.add(i as u64 + 1, at(m));
            }
            r
        };
        let near =
            |ms: &[i64], want: f64| cadence(&marks(ms)).is_some_and(|c| (c - want).abs() < 1e-9);
        assert!(near(&[0, 300, 600, 900], 0.3));
        // Only the last four are kept: an early copy out of step does not count.
        assert!(near(&[0, 50, 350, 650, 950], 0.3));
        // Within 10 % (or 50 ms) of the mean.
        assert!(near(&[0, 1000, 2080, 3000], 1.0));
        assert_eq!(cadence(&marks(&[0, 300])), None);
        // A copy missing doubles one gap.
        assert_eq!(cadence(&marks(&[0, 300, 900, 1200])), None);
        assert_eq!(cadence(&marks(&[0, 1000, 2200, 3000])), None);
        assert_eq!(cadence(&marks(&[5, 5, 5])), None);
    }
}
