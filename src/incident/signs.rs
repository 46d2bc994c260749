//! What one session's ending shows of its peer beyond how it ended, for the incident kinds
//! that read the window's evidence (a stalled server, slow consumers): whether the side that
//! ended had pinged and got no pong, when, the peer's last frame before that, whether its
//! data was left unacknowledged, whether the client gave up before its upgrade was answered,
//! and how long the client had read nothing (its receive window zero) when the server ended
//! it; and how long its client host had been dark at its end ([`Ending::dark`]).
//!
//! In: a finished connection's report (`report::incidents::ending` fills it). Out:
//! [`Signs`], 16 bytes kept in each [`Ending`] (charged with it to `--max-memory`): its
//! times as milliseconds before the session's end, read back through the ending.

use super::Ending;

/// No time kept.
const NONE: i32 = i32::MIN;

/// What the capture shows of a session's peer at its end (see the module's header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signs {
    /// Milliseconds from the first unanswered ping of the side that ended it (its heartbeat
    /// gave up, `heartbeat-timeout`) to the end ([`NONE`]: no such ping).
    ping_ms: i32,
    /// Milliseconds from the peer's last frame before that ping to the end ([`NONE`]: none
    /// was kept, or the peer sent none: then the session's start stands for it).
    peer_ms: i32,
    /// Milliseconds from the server's last frame in the session to the end (negative: after
    /// it; [`NONE`]: none was kept).
    server_ms: i32,
    /// The side that ended it had data the peer never acknowledged to the end
    /// (`unacknowledged-data`): the path or the peer's host, not only its process, was gone.
    pub unacknowledged: bool,
    /// The client ended TCP before the server answered its upgrade request (the answer came
    /// after, or never): it gave up waiting.
    pub upgrade_unanswered: bool,
    /// The server answered the upgrade (a 101, or 2xx for an HTTP/2 stream) before the
    /// session ended.
    pub upgraded: bool,
    /// How long the client's receive window had been zero (its application read nothing,
    /// `reader-stopped` or `receive-window-closed`) when the server ended the session, coded
    /// by [`zero_code`] in the byte the three flags left as padding (0: no such spell).
    zero: u8,
}

/// A zero-window spell's seconds in one byte: tenths of a second up to 12.7 s, then steps
/// of 2^(1/16) (4.4 %) from 12.8 s up to about 3 100 s (longer ones read as that); 0 stays
/// for none, so a spell under 0.05 s codes as 1 (0.1 s).
pub fn zero_code(seconds: f64) -> u8 {
    if !seconds.is_finite() || seconds <= 0.0 {
        return 0;
    }
    if seconds < 12.75 {
        return (seconds * 10.0).round().clamp(1.0, 127.0) as u8;
    }
    (128.0 + (16.0 * (seconds / 12.8).log2()).round()).clamp(128.0, 255.0) as u8
}

/// The seconds [`zero_code`] coded (`None` for 0).
pub fn zero_seconds(code: u8) -> Option<f64> {
    match code {
        0 => None,
        1..=127 => Some(f64::from(code) / 10.0),
        _ => Some(12.8 * (f64::from(code - 128) / 16.0).exp2()),
    }
}

impl Default for Signs {
    fn default() -> Signs {
        Signs {
            ping_ms: NONE,
            peer_ms: NONE,
            server_ms: NONE,
            unacknowledged: false,
            upgrade_unanswered: false,
            upgraded: false,
            zero: 0,
        }
    }
}

/// Milliseconds from `t` to `end` (nanoseconds), kept in an `i32` (about 24 days either way).
fn before(end: i64, t: Option<i64>) -> i32 {
    t.map_or(NONE, |t| {
        let ms = end.saturating_sub(t) / 1_000_000;
        ms.clamp(i64::from(NONE) + 1, i64::from(i32::MAX)) as i32
    })
}

fn at(end: i64, ms: i32) -> Option<i64> {
    (ms != NONE).then(|| end.saturating_sub(i64::from(ms) * 1_000_000))
}

impl Signs {
    /// The times of a session that ended at `end` (nanoseconds): its ending side's first
    /// unanswered ping, the peer's last frame before it, the server's last frame.
    pub fn at_times(
        end: i64,
        unanswered_ping: Option<i64>,
        peer_last_frame: Option<i64>,
        server_last_frame: Option<i64>,
    ) -> Signs {
        Signs {
            ping_ms: before(end, unanswered_ping),
            peer_ms: before(end, peer_last_frame),
            server_ms: before(end, server_last_frame),
            ..Signs::default()
        }
    }

    /// Records that the client's window had been zero for `seconds` when the server ended the
    /// session.
    pub fn set_zero_window(&mut self, seconds: f64) {
        self.zero = zero_code(seconds);
    }
}

impl Ending {
    /// Records that its client host had been dark for `seconds` at its end ([`Ending::dark`]).
    pub fn set_dark(&mut self, seconds: f64) {
        self.dark = zero_code(seconds);
    }

    /// How long its client host had been dark at its end (to `zero_code`'s precision),
    /// if it had.
    pub fn dark_s(&self) -> Option<f64> {
        zero_seconds(self.dark)
    }

    /// When its client host went dark (its first server segment never acknowledged), if it
    /// did: its end less [`Ending::dark_s`].
    pub fn dark_from(&self) -> Option<i64> {
        self.dark_s()
            .map(|s| self.end.saturating_sub((s * 1e9) as i64))
    }

    /// Records that its server host had been dark for `seconds` at its end
    /// ([`Ending::server_dark`]).
    pub fn set_server_dark(&mut self, seconds: f64) {
        self.server_dark = zero_code(seconds);
    }

    /// When its server host went dark (its client's first segment never acknowledged), if it
    /// did, to `zero_code`'s precision.
    pub fn server_dark_from(&self) -> Option<i64> {
        zero_seconds(self.server_dark).map(|s| self.end.saturating_sub((s * 1e9) as i64))
    }

    /// How long the client's receive window had been zero when the server ended the session
    /// (to `zero_code`'s precision), if it had.
    pub fn zero_window_s(&self) -> Option<f64> {
        zero_seconds(self.signs.zero)
    }

    /// When the first unanswered ping of the side that ended it was captured (ms precision).
    pub fn unanswered_ping(&self) -> Option<i64> {
        at(self.end, self.signs.ping_ms)
    }

    /// When the peer's last frame before that ping was captured, if one was kept.
    pub fn peer_last_frame(&self) -> Option<i64> {
        at(self.end, self.signs.peer_ms)
    }

    /// Its idle age as the timeout of the side that ended it counts it, milliseconds: its
    /// quiet spell before the end where known ([`Ending::idle_ms`]); else, where the server
    /// ended it by TCP after its ping went unanswered while the client's TCP acknowledged
    /// it (its heartbeat gave up on a client whose host was up), the spell from the client's
    /// last frame before that ping: the server's own ping ends no silence of the client's,
    /// and the client's stale data after the end (met by the server's reset) is what left
    /// the quiet spell unknown. `None` when neither is known.
    pub fn idle_age_ms(&self) -> Option<u32> {
        if self.idle_ms != u32::MAX {
            return Some(self.idle_ms);
        }
        if self.by != Some(crate::vocab::Role::Server)
            || !matches!(self.how, super::How::Fin | super::How::Rst)
            || self.signs.unacknowledged
            || self.dark != 0
        {
            return None;
        }
        self.unanswered_ping()?;
        let quiet = self.end.saturating_sub(self.peer_last_frame()?) / 1_000_000;
        u32::try_from(quiet).ok().filter(|&q| q != u32::MAX)
    }

    /// When the server's last frame was captured, if one was kept.
    pub fn server_last_frame(&self) -> Option<i64> {
        at(self.end, self.signs.server_ms)
    }
}
