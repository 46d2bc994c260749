//! Incidents as they form, for `live` and `analyze --follow`: the first ending of each
//! connection (its first close frame, or its FIN or RST with none before), as it happens,
//! grouped by server and way of ending; a group says so once it passes [`MIN_MEMBERS`]
//! (and stands out from its server's usual pace, below), and again at 10, 100, 1 000, …
//! members.
//!
//! In: [`CloseEvent`]s. Out: a [`Forming`] when a group passes a mark, with the kind the
//! report's own detection ([`crate::incident::detect`]) names it and its gate would keep
//! it ([`crate::incident::holds_live`]). A group is said only where that detection, run on the latest [`KEPT`] first endings of its server (every
//! side's, as the report keeps them), names an incident that holds the ending just read:
//! the same necessary evidence as the report's (a code's share of the server's endings,
//! the sessions open then, the clients' hosts), so that a server whose sessions end with
//! several codes at a steady pace, or one whose pace is not known yet, is said to form
//! nothing the report will not name (issue 102, item 6; issue 104, item 10). What it cannot
//! see live (refused attempts, the sessions accepted after) it does not use. A stop's row
//! needs three quarters of the sessions open at its first end: the watch is told each
//! WebSocket connection as it begins and finishes (`Watch::session`, the analyzer's
//! `Taps::on_session`), and a stop it finds is said only where, at the pace of its members
//! so far, it can end that many within the report's window for a stop (a server closing
//! each session at its own age while 40 are open, three in 1.4 s, cannot; a restart, three
//! within a millisecond, can).
//! Work: constant per event (amortized), plus one detection over at most [`KEPT`] endings
//! each time a group that stands out reaches a try (3, 4, 5, 6, 7, 8, 10, then a quarter
//! more each time): a logarithmic number per group, and one per [`JUDGE_EVERY_NS`] of
//! capture time at most (a group whose turn it is not is judged at its next ending). At most [`WATCHED`]
//! groups are kept (those idle past every window dropped first, then all), [`KEPT`]
//! endings and [`OPEN_KEPT`] open sessions (then a count per server, for at most
//! [`WATCHED`] servers; one whose count is not kept is judged on the sessions kept):
//! [`HELD_BYTES`] in all, which the binary sets aside from `--max-memory`. A stop's check
//! reads the server's kept endings and open sessions once: linear in what is kept.
//!
//! On a busy server endings of one kind come all day; three within a gap are its usual,
//! not an incident. Each server and way keeps its usual gap between endings (a running mean
//! of the gaps outside groups, once [`USUAL_AFTER`] are seen): a group stands out while that
//! pace would put so many endings in its span less often than [`UNUSUAL`], and ends when it
//! no longer does (a running wsclose then says no incident for a server's steady pace,
//! and an incident that forms ends when its pace falls back).

use super::{
    Ending, How, Signs, BURST_S, CLIENT_BURST_S, GAP_S, MIN_MEMBERS, RETRY_GAP_S, SHED_GAP_S,
};
use crate::vocab::{
    CloseEvent, EndKind, Endpoint, EventWhat, Incident, IncidentKind, Role, StreamEndKind,
    Timestamp,
};
use std::collections::VecDeque;

/// First endings kept for the detection a group is judged by (every server's, the latest).
pub const KEPT: usize = 2048;

/// Sessions kept open at most, each with its start ([`Watch::session`]); past them a
/// server's open sessions are only counted (in at most [`WATCHED`] servers' counts).
pub const OPEN_KEPT: usize = 4096;

/// What a watch holds at most, set aside from `--max-memory` by the binary (`Taps::beside`):
/// its kept endings, its groups and its open sessions and counts (each table at twice its
/// entries' size, for its slack), and one detection's copy of the endings with its working
/// state (its vectors per ending, under 256 bytes) and the starts a stop is projected on.
pub const HELD_BYTES: usize = KEPT * std::mem::size_of::<Ending>()
    + 2 * WATCHED * (std::mem::size_of::<((Endpoint, How), Group)>() + 1)
    + 2 * OPEN_KEPT * (std::mem::size_of::<(OpenKey, OpenSession)>() + 1)
    + 2 * WATCHED * (std::mem::size_of::<(Endpoint, u32)>() + 1)
    + KEPT * (std::mem::size_of::<Ending>() + 256)
    + (KEPT + OPEN_KEPT) * std::mem::size_of::<i64>()
    + 2 * GONE_KEPT * (std::mem::size_of::<(Endpoint, i64)>() + 1)
    + WANTS * std::mem::size_of::<(Endpoint, How)>();
// 4 009 984 bytes on 64-bit targets (3 940 352 before the servers shown gone): well under
// the smallest budget the analysis takes (32 MiB).
const _: () = assert!(HELD_BYTES < 4 << 20);

/// A session open: its server, client and scope (its VLANs and tunnels).
type OpenKey = (Endpoint, Endpoint, u32);

/// A session seen to begin and not yet finished.
#[derive(Debug, Clone, Copy)]
struct OpenSession {
    /// Its start (ns).
    start: i64,
    /// Its first ending was read (it is among the kept endings, not the open ones).
    ended: bool,
}

/// Least capture time (ns) between two detections: a hundred a second of capture at most,
/// whatever the wire makes stand out (a client cycling through a thousand close codes makes
/// a group of each); a group whose turn it is not is judged at its next ending.
pub const JUDGE_EVERY_NS: i64 = 10_000_000;

/// Groups watched at once at most.
pub const WATCHED: usize = 4096;

/// Servers whose latest refused attempt a watch keeps at most ([`Watch::refused`]).
pub const GONE_KEPT: usize = 1024;

/// Groups kept waiting for their server to be shown gone at most ([`Watch::refused`]).
pub const WANTS: usize = 64;

/// Endings of a server and way seen before their usual gap is trusted.
pub const USUAL_AFTER: u32 = 16;

/// A group formed before its server's pace was known is judged by the pace learned since
/// once it has lasted this long (seconds).
pub const JUDGE_AFTER_S: f64 = 10.0;

/// A group stands out when the usual pace would put its endings in its span less often
/// than this.
pub const UNUSUAL: f64 = 1e-6;

/// A group of endings that passed a mark.
#[derive(Debug, Clone, PartialEq)]
pub struct Forming {
    /// The server (or proxy) that ended them.
    pub server: Endpoint,
    /// How: "FIN", "RST", "close 1013".
    pub how: String,
    /// How many so far, the first's time and the last's.
    pub members: u64,
    /// The first ending's time.
    pub first: Timestamp,
    /// The last ending's time.
    pub last: Timestamp,
    /// The kind the report's detection names it, on what was read so far (a server stop
    /// may be a restart once its clients come back: the report at the end says).
    pub kind: IncidentKind,
    /// Its close code (`None`: FIN or RST; `Some(None)`: an empty close frame).
    pub code: Option<Option<u16>>,
    /// Its first line (each incident is said first once, then at its marks).
    pub new: bool,
}

impl Forming {
    /// "incident forming: server 10.0.0.5:8443 ended 3 sessions by FIN within 12 ms (the
    /// report at the end names the incident)".
    pub fn line(&self) -> String {
        self.line_naming(&self.server.to_string())
    }

    /// [`Forming::line`] with the server named `server` (its pseudonym under `--redact`).
    pub fn line_naming(&self, server: &str) -> String {
        format!(
            "{} incident forming: server {} ended {} sessions by {} within {} (the report at the end names the incident)",
            crate::units::clock(self.last),
            server,
            self.members,
            self.how,
            crate::units::Rough(self.last.since(self.first).max(0.0))
        )
    }
}

/// Endings of a key remembered while its group does not stand out yet: a group may start
/// at any of them once the ones since stand out.
const RECENT: usize = 16;

#[derive(Debug, Clone, Copy)]
struct Group {
    first: i64,
    last: i64,
    members: u64,
    /// The next count at which to say it.
    next_mark: u64,
    /// Whether it has stood out from the usual pace (then it is judged by the report's
    /// detection at each try).
    stood: bool,
    /// Whether the report's detection named it (then it is said, and counted open).
    said: bool,
    /// The count of members at which it is judged next, while not said.
    next_try: u64,
    /// Whether it stood out against a known pace (else it formed before one was known,
    /// and the pace learned since is mostly its own: it is judged by it only once it has
    /// lasted [`JUDGE_AFTER_S`], so a restart's burst at the start of a capture stays whole).
    paced_out: bool,
    /// The kind the report's detection named it (once said).
    kind: IncidentKind,
    /// The running mean gap (ns) between this server and way's endings outside groups that
    /// stood out, and how many gaps it holds (up to [`USUAL_AFTER`]).
    usual: f64,
    gaps: u32,
    /// The times of its latest endings, oldest first once full (`recent_len` of them).
    recent: [i64; RECENT],
    recent_len: usize,
}

impl Group {
    fn new(t: i64) -> Group {
        Group {
            first: t,
            last: t,
            members: 0,
            next_mark: MIN_MEMBERS as u64,
            stood: false,
            said: false,
            next_try: MIN_MEMBERS as u64,
            paced_out: false,
            kind: IncidentKind::ServerStop,
            usual: 0.0,
            gaps: 0,
            recent: [0; RECENT],
            recent_len: 0,
        }
    }

    /// Starts a new group at `t`, keeping the usual pace.
    fn restart(&mut self, t: i64) {
        *self = Group {
            usual: self.usual,
            gaps: self.gaps,
            ..Group::new(t)
        };
    }

    /// Whether the pace is known ([`USUAL_AFTER`] gaps seen).
    fn paced(&self) -> bool {
        self.gaps >= USUAL_AFTER && self.usual > 0.0
    }

    /// Whether `members` endings within `span` ns stand out from the usual pace: the
    /// chance that endings at that pace (a Poisson process) put `members - 1` more in that
    /// span is under [`UNUSUAL`] (by its Chernoff bound, `e^-λ (eλ/k)^k`). Always while the
    /// pace is not known.
    fn stands_out(&self, members: u64, span: i64) -> bool {
        if !self.paced() {
            return true;
        }
        if members < MIN_MEMBERS as u64 {
            return false;
        }
        let lambda = span.max(0) as f64 / self.usual;
        if lambda <= 0.0 {
            return true;
        }
        let k = (members - 1) as f64;
        k > lambda && -lambda + k * (1.0 + lambda.ln() - k.ln()) <= UNUSUAL.ln()
    }

    /// Takes a gap into the usual pace.
    fn learn(&mut self, gap: i64) {
        let gap = gap.max(0) as f64;
        self.gaps = (self.gaps + 1).min(USUAL_AFTER);
        self.usual += (gap - self.usual) / f64::from(self.gaps);
    }

    /// Remembers an ending at `t` among the recent ones.
    fn remember(&mut self, t: i64) {
        if self.recent_len == RECENT {
            self.recent.rotate_left(1);
            if let Some(last) = self.recent.last_mut() {
                *last = t;
            }
        } else if let Some(slot) = self.recent.get_mut(self.recent_len) {
            *slot = t;
            self.recent_len += 1;
        }
    }

    /// Before it stands out, with a new ending at `t` taken in: the longest run of recent
    /// endings up to `t` that stands out becomes the group (from the first of the run).
    fn find_run(&mut self, t: i64) {
        let n = self.recent_len.min(RECENT);
        let run = self.recent.iter().take(n).enumerate().find(|&(i, &at)| {
            let members = (n - i) as u64;
            members >= MIN_MEMBERS as u64 && self.stands_out(members, t - at)
        });
        if let Some((i, &at)) = run {
            self.first = at;
            self.members = (n - i) as u64;
            self.stood = true;
            self.paced_out = true;
        }
    }
}

/// A group's window (ns from its first ending; `i64::MAX`: none) and the longest gap (ns)
/// between two of its endings.
fn limits(how: How) -> (i64, i64) {
    let (window, gap) = match how {
        How::Close(Some(1013 | 1014)) => (i64::MAX, SHED_GAP_S),
        How::Close(Some(c)) if c >= 3000 || matches!(c, 1002 | 1003 | 1007..=1010) => {
            (i64::MAX, RETRY_GAP_S)
        }
        _ => ((BURST_S * 1e9) as i64, GAP_S),
    };
    (window, (gap * 1e9) as i64)
}

/// An incident forming now ([`Watch::forming`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    /// The server (or proxy) that ended the sessions.
    pub server: Endpoint,
    /// How, as the group counts it: "FIN or RST", "close 1013", "an empty close".
    pub how: String,
    /// Its endings so far.
    pub members: u64,
}

/// The sessions open as a watch knows them ([`Watch::session`]).
#[derive(Debug, Default)]
struct Opens {
    /// The sessions seen to begin and not finished, at most [`OPEN_KEPT`].
    open: rustc_hash::FxHashMap<OpenKey, OpenSession>,
    /// Per server, its sessions open past [`OPEN_KEPT`] (their starts not kept).
    beyond: rustc_hash::FxHashMap<Endpoint, u32>,
}

impl Opens {
    /// The kind the report's detection names the incident that holds the latest kept ending
    /// (of `server`), run on the kept endings of `server`, where the report's gate would
    /// keep it an incident ([`super::holds_live`]: its row, the facts a watch cannot see
    /// left open) and, for a stop, where it can still end three quarters of the sessions
    /// open at its first end as the report's stop must ([`Opens::reaches_open`]); `None`
    /// when it names none.
    /// With it, whether it waits for the server to be shown gone ([`super::wants_gone`]: an
    /// attempt refused at or after `gone_at`, the latest refused, would show it).
    fn judge(
        &self,
        kept: &VecDeque<Ending>,
        server: Endpoint,
        gone_at: Option<i64>,
    ) -> Option<(IncidentKind, bool)> {
        let mut endings: Vec<Ending> = kept
            .iter()
            .filter(|e| e.server == server)
            .copied()
            .collect();
        for (pos, e) in endings.iter_mut().enumerate() {
            e.pos = pos as u32;
        }
        let last = endings.len().checked_sub(1)? as u32;
        let out = super::detect(endings, &[]);
        let id = out.links.get(last)?.incident?;
        // And the gate's: named only where the report would name it (its row, on what is
        // seen), and a stop only where the sessions open let it be one.
        out.incidents
            .iter()
            .find(|i| i.id == id)
            .filter(|i| super::holds_live(i))
            .filter(|i| !is_stop(i.kind) || self.reaches_open(i, server, kept))
            .map(|i| {
                let mut seen = i.clone();
                // An attempt refused since its first end: the server shown gone, as the
                // report's `refused_after` counts it.
                if gone_at.is_some_and(|t| t >= i.start.0) {
                    seen.facts.refused_after = 1;
                }
                (i.kind, super::wants_gone(&seen))
            })
    }

    /// Whether the stop `i` of `server` (found on the server's endings among `kept`, at
    /// their positions) can be one the report names: the report's stop ends at least three
    /// quarters of the party's sessions open at its first end, within [`BURST_S`] of it
    /// ([`CLIENT_BURST_S`] for a client host's drop), or in a run whose ends are each within
    /// [`GAP_S`] of the one before when three quarters of those sessions had lived twice as
    /// long as the run. Open at the first end: the kept endings that began by then and ended
    /// after, the sessions still open that began by then ([`Watch::session`]; those past
    /// [`OPEN_KEPT`] counted as begun then). The members still to come are projected at the
    /// pace of those so far: a server closing its sessions one by one at its usual pace
    /// (40 open, three closed within 1.4 s) cannot end thirty of them in time; a restart
    /// (three within a millisecond) can.
    fn reaches_open(&self, i: &Incident, server: Endpoint, kept: &VecDeque<Ending>) -> bool {
        let (t0, t1, m) = (i.start.0, i.end.0, i.members);
        // A client host's drop: that host's sessions; else the server's.
        let host = (i.kind == IncidentKind::ClientDrop)
            .then(|| {
                let first = i.connections.first()?;
                kept.iter()
                    .filter(|e| e.server == server)
                    .nth(usize::try_from(first.checked_sub(1)?).ok()?)
            })
            .flatten()
            .map(|e| e.client.ip());
        let mine = |client: &Endpoint| host.is_none_or(|h| client.ip() == h);
        let mut starts: Vec<i64> = kept
            .iter()
            .filter(|e| e.server == server && mine(&e.client) && e.start <= t0 && e.end >= t0)
            .map(|e| e.start)
            .collect();
        starts.extend(
            self.open
                .iter()
                .filter(|((s, c, _), o)| *s == server && mine(c) && !o.ended && o.start <= t0)
                .map(|(_, o)| o.start),
        );
        let unknown = if host.is_none() {
            self.beyond.get(&server).copied().unwrap_or(0) as usize
        } else {
            0
        };
        let open = starts.len() + unknown;
        // As the stop's rule counts: members * 4 >= open * 3.
        let needed = ((open * 3).div_ceil(4)).max(MIN_MEMBERS) as u64;
        if m >= needed {
            return true;
        }
        let gap = (t1.saturating_sub(t0)).max(0) as f64 / m.saturating_sub(1).max(1) as f64;
        let takes = gap * (needed - 1) as f64;
        let burst = if host.is_some() {
            CLIENT_BURST_S
        } else {
            BURST_S
        };
        if takes <= burst * 1e9 {
            return true;
        }
        if host.is_some() || gap > GAP_S * 1e9 {
            return false;
        }
        // A long run: read whole when three quarters of those open had lived twice as long.
        let old_by = t0.saturating_sub((2.0 * takes).min(i64::MAX as f64) as i64);
        let old = starts.iter().filter(|&&s| s <= old_by).count();
        old * 4 >= open * 3
    }
}

/// The groups being watched.
#[derive(Debug, Default)]
pub struct Watch {
    groups: rustc_hash::FxHashMap<(Endpoint, How), Group>,
    /// The latest first endings of every session (each side's), as the report's incident
    /// stage keeps them, oldest first.
    kept: VecDeque<Ending>,
    /// The capture time of the latest detection ([`JUDGE_EVERY_NS`]).
    judged_at: Option<i64>,
    /// The sessions open ([`Watch::session`]).
    opens: Opens,
    /// Per server, when its latest refused attempt was sent ([`Watch::refused`]), at most
    /// [`GONE_KEPT`] servers.
    gone: rustc_hash::FxHashMap<Endpoint, i64>,
    /// The groups the report's detection names a stop or a restart whose server is not shown
    /// gone yet ([`super::wants_gone`]): said once an attempt to it is refused after they
    /// began, at most [`WANTS`] (the oldest dropped).
    wants: Vec<(Endpoint, How)>,
}

/// The next count after `members` at which a group not yet said is judged again: every
/// count up to 8, then a quarter more (a logarithmic number of detections per group).
fn next_try(members: u64) -> u64 {
    (members + 1).max(members + members / 4)
}

/// The mark after `members`: 10, 100, 1 000, ...
fn next_mark(members: u64) -> u64 {
    let mut m = 10;
    while m <= members {
        m = m.saturating_mul(10);
    }
    m
}

/// The ending the report's incident stage would keep of the session `ev` ended (first):
/// what a close event carries of it, its quiet spell and its client host's dark spell with
/// it (an idle cohort's and a client host's drop's evidence, whose rows need no refusal);
/// no peer's signs, proxy or twin: unknown live, so no rule that needs them holds.
fn ending_of(ev: &CloseEvent, order: u64) -> Ending {
    use std::hash::{Hash, Hasher};
    let how = match &ev.what {
        EventWhat::Close { code, .. } => How::Close(*code),
        EventWhat::Tcp(EndKind::Fin) | EventWhat::Stream(StreamEndKind::EndStream) => How::Fin,
        EventWhat::Tcp(EndKind::Rst) | EventWhat::Stream(_) => How::Rst,
    };
    let route = {
        let mut h = rustc_hash::FxHasher::default();
        let path = ev.path.as_deref().unwrap_or("");
        path.split('?').next().unwrap_or("").hash(&mut h);
        h.finish() as u32
    };
    let mut e = Ending {
        order,
        stream: ev.h2_stream.unwrap_or(0),
        pos: 0,
        client: ev.client,
        server: ev.server,
        route,
        start: ev.start.0,
        end: ev.ts.0,
        packet: ev.packet,
        how,
        by: Some(ev.from),
        idle_ms: ev.idle_ms.unwrap_or(u32::MAX),
        proxied: false,
        signs: Signs::at_times(ev.ts.0, None, None, None),
        forged: false,
        between: false,
        lost_from: 0,
        lost_to: 0,
        lost_by: None,
        ident: 0,
        said: 0,
        answered_us: u32::MAX,
        answered_size: 0,
        answered_op: 0,
        closed_after_peer: 0,
        dark: 0,
        server_dark: 0,
        key: super::NO_KEY,
    };
    if let Some(ms) = ev.dark_ms {
        e.set_dark(f64::from(ms) / 1e3);
    }
    e
}

/// The kinds a stop names (`detect/stops.rs`): their row's evidence includes three
/// quarters of the party's sessions open at the first end.
fn is_stop(kind: IncidentKind) -> bool {
    matches!(
        kind,
        IncidentKind::ServerStop
            | IncidentKind::ServerRestart
            | IncidentKind::BackendStop
            | IncidentKind::ProxyReload
            | IncidentKind::ClientDrop
    )
}

impl Watch {
    /// Takes in a WebSocket connection seen to begin (`begun`) or to finish: the sessions
    /// open to each server, a stop's evidence (the report's stop ends three quarters of
    /// those open at its first end). Its start is its
    /// first packet's (a close event's `start`); `scope`, where its 4-tuple lives. Constant
    /// work; at most [`OPEN_KEPT`] kept, then counted per server (at most [`WATCHED`]
    /// servers counted: a server past them is judged on those kept).
    pub fn session(
        &mut self,
        start: Timestamp,
        client: Endpoint,
        server: Endpoint,
        scope: u32,
        begun: bool,
    ) {
        let o = &mut self.opens;
        let key = (server, client, scope);
        if begun {
            if o.open.len() < OPEN_KEPT {
                o.open.insert(
                    key,
                    OpenSession {
                        start: start.0,
                        ended: false,
                    },
                );
            } else if o.beyond.len() < WATCHED || o.beyond.contains_key(&server) {
                *o.beyond.entry(server).or_default() += 1;
            }
        } else if o.open.remove(&key).is_none() {
            if let Some(n) = o.beyond.get_mut(&server) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    o.beyond.remove(&server);
                }
            }
        }
    }

    /// Groups watched now.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The groups past their first mark whose last ending is no more than their gap before
    /// `now` (the latest capture time read): the incidents forming now (for the metrics'
    /// gauge of each, which goes once its gap has passed).
    pub fn forming(&self, now: Timestamp) -> Vec<Open> {
        self.groups
            .iter()
            .filter(|((_, how), g)| {
                g.said
                    && g.members >= MIN_MEMBERS as u64
                    && now.0.saturating_sub(g.last) <= limits(*how).1
            })
            .map(|((server, how), g)| Open {
                server: *server,
                how: match how {
                    How::Close(Some(c)) => format!("close {c}"),
                    How::Close(None) => "an empty close".into(),
                    _ => "FIN or RST".into(),
                },
                members: g.members,
            })
            .collect()
    }

    /// Takes in one event; a [`Forming`] when its group passes a mark.
    pub fn event(&mut self, ev: &CloseEvent) -> Option<Forming> {
        if !ev.first {
            return None;
        }
        // Every session's first ending is kept for the detection a group is judged by
        // (its order: its start and client, as one HTTP/2 connection's streams share).
        let order = (ev.start.0 as u64) ^ (u64::from(ev.client.port) << 48);
        if self.kept.len() >= KEPT {
            self.kept.pop_front();
        }
        self.kept.push_back(ending_of(ev, order));
        if let Some(o) = self.opens.open.get_mut(&(ev.server, ev.client, ev.scope)) {
            // Among the kept endings now.
            o.ended = true;
        }
        if ev.from != Role::Server {
            return None;
        }
        let how = match &ev.what {
            EventWhat::Close { code, .. } => How::Close(*code),
            EventWhat::Tcp(EndKind::Fin) | EventWhat::Stream(_) => How::Fin,
            EventWhat::Tcp(EndKind::Rst) => How::Rst,
        };
        // FIN and RST are one way of ending, as in a stop.
        let key = (ev.server, if how == How::Rst { How::Fin } else { how });
        let t = ev.ts.0;
        let (window, gap) = limits(how);
        if self.groups.len() >= WATCHED && !self.groups.contains_key(&key) {
            // Full: the groups idle past any window go; if none is, all go (once per
            // WATCHED new groups at most: constant work per event, amortized).
            let stale = t.saturating_sub((RETRY_GAP_S * 1e9) as i64);
            self.groups.retain(|_, g| g.last >= stale);
            if self.groups.len() >= WATCHED {
                self.groups.clear();
            }
        }
        let fresh = !self.groups.contains_key(&key);
        let g = self.groups.entry(key).or_insert_with(|| Group::new(t));
        let within = t.saturating_sub(g.last) <= gap
            && (window == i64::MAX
                || t.saturating_sub(g.first) <= window
                || g.members >= MIN_MEMBERS as u64);
        // The usual pace learns the gaps outside groups that stood out (and every gap until
        // it is known: a group said before then is checked against it once it is).
        if !fresh && (!g.stood || !g.paced()) {
            g.learn(t.saturating_sub(g.last));
        }
        // A group that no longer stands out (its pace is the usual one again) ends here.
        let span = t.saturating_sub(g.first);
        let judged = g.paced_out || span >= (JUDGE_AFTER_S * 1e9) as i64;
        if !within || (g.stood && judged && !g.stands_out(g.members + 1, span)) {
            g.restart(t);
        }
        g.members += 1;
        g.last = t.max(g.last);
        if !g.stood {
            if g.paced() {
                // At a known pace: the recent endings that stand out, if any, are the group.
                g.remember(t);
                g.find_run(t);
            } else if g.members >= MIN_MEMBERS as u64 {
                g.stood = true;
            }
        }
        if !g.stood {
            return None;
        }
        let new = !g.said;
        if new {
            // Said only where the report's detection names it, on what was read so far.
            if g.members < g.next_try
                || self
                    .judged_at
                    .is_some_and(|at| t.saturating_sub(at) < JUDGE_EVERY_NS)
            {
                return None;
            }
            self.judged_at = Some(t);
            match self
                .opens
                .judge(&self.kept, ev.server, self.gone.get(&ev.server).copied())
            {
                Some((kind, false)) => {
                    g.said = true;
                    g.kind = kind;
                }
                Some((kind, true)) => {
                    // Said once the server is shown gone (`refused`), not before: the
                    // report names no stop or restart of a server it does not show gone.
                    g.kind = kind;
                    g.next_try = next_try(g.members);
                    if !self.wants.contains(&key) {
                        if self.wants.len() >= WANTS {
                            self.wants.remove(0);
                        }
                        self.wants.push(key);
                    }
                    return None;
                }
                None => {
                    g.next_try = next_try(g.members);
                    return None;
                }
            }
        } else if g.members < g.next_mark {
            return None;
        }
        g.next_mark = next_mark(g.members);
        Some(forming(ev.server, how, g, new))
    }

    /// Takes in an attempt to `server` refused in TCP or TLS, sent at `at`
    /// (`Taps::on_refused`): the server shown gone. A group of it that the report's
    /// detection named a stop or a restart, waiting for that ([`WANTS`]), begun by `at` and
    /// ended no more than [`RETRY_GAP_S`] before it, is said now: its [`Forming`]. Constant
    /// work (at most [`WANTS`] compared).
    pub fn refused(&mut self, server: Endpoint, at: Timestamp) -> Option<Forming> {
        if self.gone.len() >= GONE_KEPT && !self.gone.contains_key(&server) {
            self.gone.clear();
        }
        let t = self.gone.entry(server).or_insert(at.0);
        *t = (*t).max(at.0);
        let pos = self.wants.iter().position(|k| k.0 == server)?;
        let key = self.wants.get(pos).copied()?;
        let Some(g) = self.groups.get_mut(&key) else {
            self.wants.swap_remove(pos);
            return None;
        };
        if g.said || at.0.saturating_sub(g.last) > (RETRY_GAP_S * 1e9) as i64 {
            self.wants.swap_remove(pos);
            return None;
        }
        if at.0 < g.first {
            return None;
        }
        self.wants.swap_remove(pos);
        g.said = true;
        g.next_mark = next_mark(g.members);
        Some(forming(server, key.1, g, true))
    }
}

/// What a watch says of `g`, the group of `server` and way `how` (its way as the group
/// counts it: FIN and RST one).
fn forming(server: Endpoint, how: How, g: &Group, new: bool) -> Forming {
    Forming {
        server,
        how: match how {
            How::Close(Some(c)) => format!("close {c}"),
            How::Close(None) => "an empty close".into(),
            How::Rst => "RST".into(),
            _ => "FIN".into(),
        },
        members: g.members,
        first: Timestamp(g.first),
        last: Timestamp(g.last),
        kind: g.kind,
        code: match how {
            How::Close(c) => Some(c),
            _ => None,
        },
        new,
    }
}
