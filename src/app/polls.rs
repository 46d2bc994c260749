//! socket.io sessions that began on engine.io's HTTP long-polling transport and moved to a
//! WebSocket (the upgrade: `2probe`, `3probe`, then `5` on the WebSocket): the polling
//! connections of the capture that carried the same session id (`sid`).
//!
//! In: each finished TCP connection that was engine.io long-polling (its sid, requests, the
//! OPEN packet its handshake response carried, its last response), kept in [`Polls`] up to
//! [`Polls::CAP`] connections; then each report's socket.io application. Out: the polling
//! connections in the sid's `related` entry, what they show for the sentence that ends the
//! summary (`vocab::said::socketio::LongPolling`: the sid, their first packets, whether the
//! last poll was answered before or after the UPGRADE; worded in `report::words::app`),
//! and the heartbeat's pingInterval and pingTimeout from the OPEN when the WebSocket
//! carried none; with those timers, a ping timeout is judged from what the session kept
//! for it (`vocab::PingFacts`), before the causes it comes before.

use crate::vocab::said::socketio::LongPolling;
use crate::vocab::{AppSaid, ApplicationReport, Identity};
use crate::vocab::{HeartbeatReport, Polled, PollingConnection, Polls};

/// Links the socket.io session `a` of input `input` to the polling connections of `polls`;
/// whether it began on them (its words are then to be made again, `report::words::app::fill`).
pub fn link(polls: &Polls, input: usize, a: &mut ApplicationReport) -> bool {
    if a.protocol != super::Protocol::SocketIo.name() {
        return false;
    }
    let mut began = None;
    let mut open = None;
    let mut facts = None;
    for id in a.related.iter_mut().filter(|i| i.kind == "socket.io-sid") {
        facts = id.ping.take().or(facts);
        let Some(list) = polls.of(&id.value) else {
            continue;
        };
        let mut mine: Vec<&Polled> = list.iter().filter(|p| p.input == input).collect();
        if mine.is_empty() {
            continue;
        }
        mine.sort_by_key(|p| p.conn.first_packet);
        open = mine.iter().find(|p| p.conn.open_packet.is_some()).copied();
        let all: Vec<PollingConnection> = mine.iter().map(|p| p.conn.clone()).collect();
        began = Some(long_polling(&id.value, &all, id.upgrade_packet, open));
        // The last ones, nearest the upgrade, are listed; all are counted (thousands of
        // sessions sharing one sid each listed thousands of polls: 1.9 GB of JSON).
        id.polling_total = all.len() as u64;
        let skip = all.len().saturating_sub(Identity::MAX_LISTED);
        id.polling = all.into_iter().skip(skip).collect();
    }
    let Some(began) = began else {
        return false;
    };
    // The WebSocket carried no OPEN: a ping timeout is judged with the polling OPEN's
    // timers, where it comes before the verdict the session got without them.
    let below = match a.said.as_deref() {
        Some(AppSaid::SocketIo(w)) => super::socketio::below_ping(w),
        _ => false,
    };
    if let (Some(f), Some(o), true) = (facts, open, below) {
        if let (Some(i), Some(t)) = o.open {
            if let Some(v) = f.judge(i, t, o.open_at) {
                a.ended_by = v.ended_by;
                a.said = Some(Box::new(v.said));
                a.evidence = v.evidence;
            }
        }
    }
    // Its sentence ends the summary (`report::words::app`).
    a.long_polling = Some(Box::new(began));
    if let Some(&Polled {
        open: (interval, timeout),
        ..
    }) = open
    {
        let hb = a.heartbeat.get_or_insert_with(HeartbeatReport::default);
        if hb.interval_ms.is_none() && hb.timeout_ms.is_none() {
            hb.interval_ms = interval;
            hb.timeout_ms = timeout;
        }
    }
    true
}

/// What the polling connections of a session that began on long-polling show.
fn long_polling(
    sid: &str,
    polling: &[PollingConnection],
    upgrade: Option<u64>,
    open: Option<&Polled>,
) -> LongPolling {
    LongPolling {
        sid: sid.to_string(),
        firsts: polling
            .iter()
            .take(Identity::MAX_LISTED)
            .map(|p| p.first_packet)
            .collect(),
        connections: polling.len() as u64,
        last_response: polling.iter().filter_map(|p| p.last_response).max(),
        upgrade,
        open: match open.map(|o| (o.conn.open_packet, o.open)) {
            Some((Some(p), (Some(i), Some(t)))) => Some((p, i, t)),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::Protocol;
    use super::*;
    use crate::vocab::{ApplicationReport, Identity};

    /// Thousands of polling connections with one sid: a session lists the last
    /// `Identity::MAX_LISTED` (nearest its upgrade), counts them all, and its summary names
    /// the first few and the number (issue 57 item 7: 3 000 polling and 3 000 WebSocket
    /// connections with one sid gave 1.9 GB of JSON).
    #[test]
    fn a_sid_with_thousands_of_polls_lists_a_few_and_counts_all() {
        let n = 3_000u64;
        let mut polls = Polls::default();
        polls.by_sid.insert(
            "sid".into(),
            (0..n)
                .map(|i| Polled {
                    input: 0,
                    conn: PollingConnection {
                        first_packet: 10 * i + 1,
                        last_response: Some(10 * i + 2),
                        requests: 1,
                        open_packet: None,
                    },
                    open: (None, None),
                    open_at: None,
                })
                .collect(),
        );
        let mut a = ApplicationReport {
            protocol: Protocol::SocketIo.name().into(),
            related: vec![Identity {
                kind: "socket.io-sid".into(),
                value: "sid".into(),
                connections: Vec::new(),
                connections_total: 0,
                upgrade_packet: Some(10 * n + 5),
                polling: Vec::new(),
                polling_total: 0,
                ping: None,
            }],
            ..ApplicationReport::default()
        };
        link(&polls, 0, &mut a);
        crate::report::words::app::fill(&mut a, None);
        let id = &a.related[0];
        assert_eq!(id.polling.len(), Identity::MAX_LISTED);
        assert_eq!(id.polling_total, n);
        assert_eq!(
            id.polling.last().map(|p| p.first_packet),
            Some(10 * (n - 1) + 1)
        );
        let summary = a.summary.unwrap_or_default();
        assert!(
            summary.contains(
                "3000 polling connections (from packets 1, 11, 21, 31, 41, 51, 61, 71, …)"
            ),
            "{summary}"
        );
        assert!(summary.len() < 600, "{} bytes", summary.len());
    }
}
