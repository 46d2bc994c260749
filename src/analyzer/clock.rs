//! The analyzer's clock, which finishes idle flows: capture time as the packets bring it,
//! to every shard alike (each sees every packet's time, its own shard's packets whole and
//! the others' by their time alone), so that flows are swept at the same moments whatever
//! the number of threads.
//!
//! In: each packet's capture time, in file order (a run of other shards' packets at once).
//! Out: the clock's reading (`Analyzer::now`), a step ahead held until the next packet
//! confirms it, and the sweeps and tombstone prunes that come due.

use super::{Analyzer, Tombstone, CLOSED_GRACE_S, MAX_TOMBSTONES, SWEEP_EVERY_NS};
use crate::capture::shared::{Run, NO_TCP};
use crate::flow::FlowKey;
use crate::report::Eviction;
use crate::vocab::Timestamp;

impl Analyzer {
    /// A packet at `ts` of another shard's flow, known without decoding it: the reader of a
    /// shared file found it whole and plain TCP ([`crate::capture::shared::Plain`]). What
    /// [`Analyzer::packet`] would do with it, without the decoding: the clock, the count of
    /// packets (shard 0), the sweep that follows a TCP packet.
    pub(super) fn elsewhere(&mut self, ts: Timestamp) {
        self.advance_clock(ts);
        if self.primary() {
            self.seen.packets += 1;
        }
        self.maybe_sweep();
    }

    /// Packets in a row (`recs`, the latest at `latest`), each of another shard's flow or
    /// with no TCP inside ([`NO_TCP`]): what [`Analyzer::elsewhere`] or
    /// [`Analyzer::no_tcp`] does with each, in one step when none of their times can change
    /// more than the clock's reading (no step ahead pending or made, no sweep coming due,
    /// no tombstones to prune): the clock then reads the latest, as it would after each in
    /// turn.
    pub(super) fn elsewhere_run(&mut self, run: Run<'_>, latest: Timestamp) {
        let idle = self.idle_ns();
        let now = self.now.0;
        let quiet = self.ahead.is_none()
            && !self.sweep_owed
            && now != i64::MIN
            && latest.0 <= now.saturating_add(idle)
            && latest.0.max(now).saturating_sub(self.last_sweep.0) <= SWEEP_EVERY_NS
            && self.closed.len() <= MAX_TOMBSTONES;
        if !quiet {
            for (owner, ts) in run.iter() {
                if owner == NO_TCP {
                    self.no_tcp(ts);
                } else {
                    Analyzer::elsewhere(self, ts);
                }
            }
        } else {
            self.now = self.now.max(latest);
            if self.primary() {
                self.seen.packets += run.len() as u64;
                self.seen.other_packets += run.no_tcp() as u64;
            }
        }
    }

    /// A whole packet in which decoding finds no TCP segment and says so
    /// ([`crate::decode::never_tcp`]), at `ts`: what [`Analyzer::packet`] does with it,
    /// without the decoding: the clock, and in the first shard the counts of packets and of
    /// other packets; no sweep (one follows TCP packets only).
    pub(super) fn no_tcp(&mut self, ts: Timestamp) {
        self.advance_clock(ts);
        if self.primary() {
            self.seen.packets += 1;
            self.seen.other_packets += 1;
        }
    }

    /// Moves the eviction clock to `ts` (rule 15). Time that goes backwards does not move
    /// it. A step ahead larger than the idle timeout would, on its own, make every other
    /// flow idle, so it waits for the next packet: if that one is far ahead too, the step
    /// was real (a quiet spell) and the clock takes it, then the sweep it made due runs,
    /// before that next packet, exactly as it would have at the step; if the next packet is
    /// back near the clock, the step was one packet out of line (merged captures with
    /// skewed clocks) and is dropped. The end of input confirms a step still waiting.
    ///
    /// Inlined: every packet moves it, and the call (saving and restoring registers) cost
    /// more than the tests; the rare step ahead is judged out of line.
    #[inline(always)]
    pub(super) fn advance_clock(&mut self, ts: Timestamp) {
        let idle = self.idle_ns();
        if self.ahead.is_some() {
            self.judge_step(ts, idle);
        }
        if self.now.0 == i64::MIN {
            self.now = ts;
        } else if ts.0 > self.now.0.saturating_add(idle) {
            self.ahead = Some(ts);
        } else if ts > self.now {
            self.now = ts;
        }
    }

    /// A step ahead waiting (see [`Analyzer::advance_clock`]), judged by the next packet at
    /// `ts`: taken if `ts` is far ahead too, dropped if not; then the sweep it made due.
    #[cold]
    #[inline(never)]
    fn judge_step(&mut self, ts: Timestamp, idle: i64) {
        if let Some(step) = self.ahead.take() {
            if ts.0 > self.now.0.saturating_add(idle) {
                self.now = step;
            }
            if std::mem::take(&mut self.sweep_owed) {
                self.maybe_sweep();
            }
        }
    }

    /// The idle timeout in nanoseconds.
    pub(super) fn idle_ns(&self) -> i64 {
        (self.opts.idle_timeout_s as i64).saturating_mul(1_000_000_000)
    }

    /// End of an input: a step ahead still waiting is confirmed (nothing came to contradict
    /// it) and the sweep it made due runs.
    pub(super) fn settle_clock(&mut self) {
        if let Some(step) = self.ahead.take() {
            self.now = step;
        }
        if std::mem::take(&mut self.sweep_owed) {
            self.maybe_sweep();
        }
    }

    /// Inlined: it runs after every TCP packet on every thread, and the call (saving and
    /// restoring registers) cost more than the checks.
    #[inline(always)]
    pub(super) fn maybe_sweep(&mut self) {
        if self.ahead.is_some() {
            // Judged at the next packet (see `advance_clock`).
            self.sweep_owed = true;
            return;
        }
        if self.now.0.saturating_sub(self.last_sweep.0) > SWEEP_EVERY_NS {
            self.sweep();
        } else if self.closed.len() > MAX_TOMBSTONES {
            // Not a sweep: sweeps come at the same moments in every shard.
            self.prune_tombstones();
        }
    }
}

/// The sweeps, and the tombstones' prunes, with the bounds that spare them a walk over their
/// tables when nothing there can be due.
impl Analyzer {
    /// Finish flows that are idle, or closed and past the grace period (the flow cap is
    /// kept as flows start, `cap_group`).
    pub(super) fn sweep(&mut self) {
        self.last_sweep = self.now;
        let now = self.now.0;
        let idle = self.idle_ns();
        let grace = CLOSED_GRACE_S * 1_000_000_000;
        self.prune_tombstones();
        debug_assert_eq!(
            self.group_flows.iter().map(|&n| n as usize).sum::<usize>(),
            self.flows.len() + self.frozen.len()
        );
        let mut expired: Vec<FlowKey> = Vec::new();
        if now > self.sweep_due {
            let mut due = i64::MAX;
            for (k, c) in &self.flows {
                let quiet = now.saturating_sub(c.active_at.0);
                if quiet > idle || (c.closed() && quiet > grace) {
                    expired.push(*k);
                } else {
                    due = due.min(Self::due(c.active_at.0, c.closed(), idle));
                }
            }
            self.sweep_due = due;
        }
        // Every frozen connection was active at `frozen_oldest` or later: none is idle
        // before the clock is an idle timeout past it.
        if now.saturating_sub(self.frozen_oldest) > idle {
            let mut oldest = i64::MAX;
            for (k, f) in &self.frozen {
                if now.saturating_sub(f.active_at.0) > idle {
                    expired.push(*k);
                }
                // Those expired count too: with more flows than the cap, not all of them
                // may be finished below.
                oldest = oldest.min(f.active_at.0);
            }
            self.frozen_oldest = oldest;
        }
        for k in expired {
            self.evict(&k, Eviction::MaxFlows);
        }
        self.freeze_quiet(now);
        if self.freezer.wants_compaction() {
            self.freezer.compact(self.frozen.values_mut());
        }
    }

    /// Whether no connection in memory can be found expired by a sweep before the bound the
    /// sweeps trust (`sweep_due`): for tests, after any packet.
    #[doc(hidden)]
    pub fn sweep_bound_holds(&self) -> bool {
        let idle = self.idle_ns();
        self.flows
            .values()
            .all(|c| Self::due(c.active_at.0, c.closed(), idle) >= self.sweep_due)
    }

    /// When a connection last active at `active` (ns) can first be found expired by a
    /// sweep: an idle timeout after it, or, closed, its grace (if that is shorter).
    pub(super) fn due(active: i64, closed: bool, idle: i64) -> i64 {
        let wait = if closed {
            idle.min(CLOSED_GRACE_S * 1_000_000_000)
        } else {
            idle
        };
        active.saturating_add(wait)
    }

    /// Drops the tombstones past their grace period, and all of them if too many remain.
    /// Looks at each tombstone only once one can be past its grace (`tombs_due`).
    pub(super) fn prune_tombstones(&mut self) {
        let now = self.now.0;
        if now <= self.tombs_due && self.closed.len() <= MAX_TOMBSTONES {
            return;
        }
        let mut due = i64::MAX;
        self.closed.retain(|_, t| {
            let kept = t.kept(now);
            if kept {
                due = due.min(t.until());
            }
            kept
        });
        if self.closed.len() > MAX_TOMBSTONES {
            self.closed.clear();
            due = i64::MAX;
        }
        self.tombs_due = due;
    }

    /// A tombstone for the connection of `key` (its `tomb` hash).
    pub(super) fn bury(&mut self, key: u64, t: Tombstone) {
        self.tombs_due = self.tombs_due.min(t.until());
        self.closed.insert(key, t);
    }
}
