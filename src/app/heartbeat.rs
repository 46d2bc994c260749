//! Each side's heartbeat: the protocol's own pings and pongs (engine.io, MQTT PINGREQ, STOMP
//! heart-beats, …) and WebSocket pings and pongs (RFC 6455 §5.5.2-§5.5.3), with the last of
//! each and how many of one side's pings the other left unanswered at the end (none for a
//! heartbeat that asks for no answer, such as STOMP's heart-beats).

use crate::vocab::{HeartbeatReport, PerSide, Role, SideBeat, Timestamp};
use serde::{Deserialize, Serialize};

/// One kind of heartbeat sent by one side.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub(crate) struct Count {
    pub n: u64,
    /// The last one: packet and time.
    pub last: Option<(u64, Timestamp)>,
}

impl Count {
    fn add(&mut self, packet: u64, ts: Timestamp) {
        self.n += 1;
        self.last = Some((packet, ts));
    }
}

/// One side's heartbeats and data as they happen.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub(crate) struct Side {
    pub app_pings: Count,
    pub app_pongs: Count,
    pub ws_pings: Count,
    pub ws_pongs: Count,
    /// The last few data messages (heartbeats included): packet and time.
    pub messages: Recent,
    /// This side's pings sent after the other side's last pong (protocol pings, else
    /// WebSocket pings).
    pub unanswered_app: u64,
    pub unanswered_ws: u64,
    /// The first of those: packet and time.
    pub first_unanswered_app: Option<(u64, Timestamp)>,
    pub first_unanswered_ws: Option<(u64, Timestamp)>,
    /// The last run of protocol pings the other side's pong answered: its first ping
    /// (packet, time) and the pong's packet.
    answered_run: Option<(u64, Timestamp, u64)>,
    /// The shortest interval between two of its protocol heartbeats in a row (ms).
    #[serde(default)]
    ping_gap: Option<u64>,
}

impl Side {
    /// One of its protocol heartbeats.
    fn ping(&mut self, packet: u64, ts: Timestamp) {
        if let Some((_, last)) = self.app_pings.last {
            let gap = super::between(last, ts);
            self.ping_gap = Some(self.ping_gap.map_or(gap, |g| g.min(gap)));
        }
        self.app_pings.add(packet, ts);
    }

    /// Its heartbeat's period as the capture shows it: the shortest interval between two of
    /// its protocol heartbeats in a row, once it sent at least [`PERIOD_AFTER`].
    pub fn period(&self) -> Option<u64> {
        self.ping_gap.filter(|_| self.app_pings.n >= PERIOD_AFTER)
    }

    /// Its last data message before packet `end` (a side resumed after the other ended
    /// still sends; what came after the end is not what the end followed).
    pub fn last_message_before(&self, end: u64) -> Option<(u64, Timestamp)> {
        self.messages.iter().filter(|&(p, _)| p < end).last()
    }

    /// Its first protocol ping still unanswered at packet `end`: the first it sent after
    /// the other side's last pong before `end`, when it came before `end` (a pong sent after
    /// the end, by a side resumed after the other closed, answered nothing in time). When
    /// more than one pong came after `end`, the run `end` fell in is not kept: none.
    pub fn first_unanswered_app_before(&self, end: u64) -> Option<(u64, Timestamp)> {
        let run = match self.answered_run {
            Some((first, at, pong)) if pong > end => Some((first, at)),
            _ => self.first_unanswered_app,
        };
        run.filter(|&(p, _)| p < end)
    }
}

/// Heartbeats a side sends before their period is given (two intervals at least).
pub(crate) const PERIOD_AFTER: u64 = 3;

/// Both sides' heartbeats.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub(crate) struct Beats {
    pub sides: PerSide<Side>,
}

impl Beats {
    pub fn side(&self, r: Role) -> &Side {
        match r {
            Role::Client => &self.sides.client,
            Role::Server => &self.sides.server,
        }
    }

    fn side_mut(&mut self, r: Role) -> &mut Side {
        match r {
            Role::Client => &mut self.sides.client,
            Role::Server => &mut self.sides.server,
        }
    }

    pub fn data(&mut self, from: Role, packet: u64, ts: Timestamp) {
        self.side_mut(from).messages.add(packet, ts);
    }

    /// A protocol heartbeat: a ping, or (`pong`) its answer.
    pub fn app(&mut self, from: Role, pong: bool, packet: u64, ts: Timestamp) {
        if pong {
            self.side_mut(from).app_pongs.add(packet, ts);
            let other = self.side_mut(from.peer());
            if let Some((first, at)) = other.first_unanswered_app {
                other.answered_run = Some((first, at, packet));
            }
            other.unanswered_app = 0;
            other.first_unanswered_app = None;
        } else {
            let s = self.side_mut(from);
            s.ping(packet, ts);
            s.unanswered_app += 1;
            s.first_unanswered_app.get_or_insert((packet, ts));
        }
    }

    /// A protocol heartbeat that asks for no answer.
    pub fn keepalive(&mut self, from: Role, packet: u64, ts: Timestamp) {
        self.side_mut(from).ping(packet, ts);
    }

    /// A WebSocket ping or pong.
    pub fn ws_control(&mut self, from: Role, pong: bool, packet: u64, ts: Timestamp) {
        if pong {
            self.side_mut(from).ws_pongs.add(packet, ts);
            let other = self.side_mut(from.peer());
            other.unanswered_ws = 0;
            other.first_unanswered_ws = None;
        } else {
            let s = self.side_mut(from);
            s.ws_pings.add(packet, ts);
            s.unanswered_ws += 1;
            s.first_unanswered_ws.get_or_insert((packet, ts));
        }
    }

    /// The report's view, when any heartbeat was seen or one was negotiated.
    pub fn report(
        &self,
        interval_ms: Option<u64>,
        timeout_ms: Option<u64>,
    ) -> Option<HeartbeatReport> {
        let side = |s: &Side| SideBeat {
            pings: s.app_pings.n,
            period_ms: s.period(),
            pongs: s.app_pongs.n,
            last_ping: s.app_pings.last.map(|l| l.0),
            last_pong: s.app_pongs.last.map(|l| l.0),
            unanswered: s.unanswered_app,
            websocket_pings: s.ws_pings.n,
            websocket_pongs: s.ws_pongs.n,
            websocket_unanswered: s.unanswered_ws,
        };
        let r = HeartbeatReport {
            interval_ms,
            timeout_ms,
            client: side(&self.sides.client),
            server: side(&self.sides.server),
        };
        let any = |s: &SideBeat| s.pings + s.pongs + s.websocket_pings + s.websocket_pongs > 0;
        (interval_ms.is_some() || timeout_ms.is_some() || any(&r.client) || any(&r.server))
            .then_some(r)
    }
}

/// One direction's last few pings and pongs, for the heartbeat it kept
/// (`diagnose::heartbeat`): kept by its WebSocket decoder, not copied into the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ControlMarks {
    /// The last pings.
    pub pings: Recent,
    /// The last pongs.
    pub pongs: Recent,
}

/// The last [`Recent::N`] control frames of one kind: packet and time, oldest first. A
/// heartbeat that failed shows in its last few pings, so a few are kept, in constant space.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Recent {
    marks: [(u64, Timestamp); Recent::N],
    /// How many were added in all.
    added: u64,
}

impl Recent {
    /// How many are kept.
    pub const N: usize = 4;

    /// Adds one (O(1)).
    pub fn add(&mut self, packet: u64, ts: Timestamp) {
        let at = usize::try_from(self.added % Self::N as u64).unwrap_or(0);
        if let Some(m) = self.marks.get_mut(at) {
            *m = (packet, ts);
        }
        self.added += 1;
    }

    /// How many were added in all.
    pub fn added(&self) -> u64 {
        self.added
    }

    /// The ones kept, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = (u64, Timestamp)> + '_ {
        let kept = self.added.min(Self::N as u64) as usize;
        let start = if self.added > Self::N as u64 {
            usize::try_from(self.added % Self::N as u64).unwrap_or(0)
        } else {
            0
        };
        (0..kept).filter_map(move |i| self.marks.get((start + i) % Self::N).copied())
    }

    /// Whether every one added is still kept.
    pub fn whole(&self) -> bool {
        self.added <= Self::N as u64
    }

    /// The interval (s) between the ones kept when they came at a cadence: at least
    /// `CADENCE_PINGS` (3) of them, each gap within `CADENCE_SLACK` (10 %) (or 50 ms) of the gaps'
    /// mean. A period rests on several intervals that agree, never on one: two heartbeats
    /// 10 ms apart (a sender catching up) give none.
    pub fn cadence(&self) -> Option<f64> {
        cadence(self.iter())
    }

    /// [`Recent::cadence`] of the ones kept before packet `end`, in whole ms (what came
    /// after an ending is not what the ending followed).
    pub fn cadence_before(&self, end: u64) -> Option<u64> {
        cadence(self.iter().filter(|&(p, _)| p < end))
            .map(|s| (s * 1000.0).round() as u64)
            .filter(|&ms| ms > 0)
    }
}

/// The interval (s) between `marks` (packet and time, oldest first) when they came at a
/// cadence: at least `CADENCE_PINGS` (3), each gap within `CADENCE_SLACK` (10 %) (or 50 ms) of the
/// gaps' mean.
fn cadence(marks: impl Iterator<Item = (u64, Timestamp)>) -> Option<f64> {
    let pings: Vec<_> = marks.collect();
    if pings.len() < CADENCE_PINGS {
        return None;
    }
    let gaps: Vec<f64> = pings
        .iter()
        .zip(pings.iter().skip(1))
        .map(|(a, b)| b.1.since(a.1))
        .collect();
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    let slack = (mean * CADENCE_SLACK).max(0.05);
    (mean > 0.0 && gaps.iter().all(|g| (g - mean).abs() <= slack)).then_some(mean)
}

/// Pings at least this many (the last ones kept) show a cadence.
pub const CADENCE_PINGS: usize = 3;

/// How far the gaps between those pings may stray from their mean and still be a cadence:
/// 10 % of it, or 50 ms (a timer's jitter on a busy host).
pub const CADENCE_SLACK: f64 = 0.10;
