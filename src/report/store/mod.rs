//! Finished connection reports, kept in memory up to a budget and beyond it in an anonymous
//! temporary file, so that memory does not grow with the number of connections a capture
//! held.
//!
//! In: reports as their connections finish (in any order), or first a place reserved for
//! one and the report later (`Analyzer` builds some while its thread waits), later packet
//! numbers of finished connections (late ACKs), and the stores of other shards. Out:
//! after [`Store::sort`], the reports in the report's order — by (input, first packet),
//! ids 1..N — read back one at a time. The first `budget` reports stay in memory (a capture
//! attached to a bug report never has more, so it never touches the disk); each later one
//! is written to the file in its stored form (`serial`: every field, including those JSON
//! leaves out) and only a small `Entry` stays in memory. The file (`scratch::temp_file`:
//! TMPDIR's directory, else /tmp or /var/tmp, said in [`Store::notes`]) has no name and is
//! deleted by the system when the last handle to it closes. If no file can be made or
//! written, up to [`NO_DISK_FACTOR`] times the budget stay in memory and later reports are
//! dropped: counted ([`Store::dropped`]), left out of the report's order and ids, and said.

use super::legs::{self, order};
use super::{ConnectionReport, StatusKey};
use crate::scratch::Scratch;
use std::io;

/// Each report's stored form, field by field (what the temporary file holds).
mod form;

/// Finished reports kept in memory by default before the rest go to the temporary file
/// (256: about 0.6 MB of reports; 1024 cost 2 MiB more peak RSS on a 1 GB capture and
/// saved no time).
pub const DEFAULT_BUDGET: usize = 256;

/// Without a temporary file, at most this many times the budget of reports stay in memory
/// (4 096 by default), shared among the groups of flows (`Store::set_group_cap`); later
/// ones are dropped.
pub const NO_DISK_FACTOR: usize = 16;

/// Bytes of encoded reports gathered before they are written to the file in one go.
const WRITE_BATCH: usize = 64 << 10;

/// The finished connection reports: the first [`DEFAULT_BUDGET`] (or the budget set) in memory, the
/// rest in a temporary file, read back in order.
#[derive(Debug, Clone)]
pub struct Store {
    /// Reports whose application names an identity (an MQTT client id, a socket.io sid):
    /// only when there are two or more does `diagnose::app::link_store` read them back.
    pub identities: u64,
    /// Per identity (the hash of its kind and value): the orders of the reports that name
    /// it, so that only the reports that share one are read back to link them.
    identity_orders: std::collections::BTreeMap<u64, Vec<u64>>,
    budget: usize,
    /// One per report: in the order pushed, or the report's order after `sort`.
    entries: Vec<Entry>,
    /// The reports kept in memory (`Place::Memory` indexes here).
    memory: Vec<Option<ConnectionReport>>,
    /// The ids `sort` gave, one per entry (empty before it): kept apart from the entries,
    /// which are in memory for the whole analysis, while these exist only for the report.
    ids: Vec<u32>,
    /// Temporary files: this store's own, and those of shard stores appended to it.
    files: Vec<SpillFile>,
    /// Which of `files` this store writes to, once it has needed one.
    writing: Option<usize>,
    /// The temporary file failed: reports stay in memory from then on, up to
    /// [`NO_DISK_FACTOR`] times the budget, and later ones are dropped.
    no_disk: bool,
    /// Without a temporary file, at most this many reports stay in memory (besides
    /// [`NO_DISK_FACTOR`] times the budget): what the memory budget leaves them.
    /// Without a temporary file, reports of one group of flows kept in memory at most
    /// ([`Store::set_group_cap`]), and how many each group keeps.
    group_cap: usize,
    group_kept: Vec<u32>,
    /// In unit tests: no temporary file can be made, as where no directory can hold one.
    #[cfg(test)]
    no_file: bool,
    /// Reports dropped for want of a temporary file (their entries are removed by `sort`).
    dropped: u64,
    /// Entries kept at most (0: no limit): a followed or live capture's, so that its index
    /// does not grow for days ([`Store::set_max_entries`]).
    max_entries: usize,
    /// Sessions not kept for want of room under `max_entries`.
    not_kept: u64,
    /// What the report should say of the temporary files (see [`Store::notes`]).
    notes: Vec<String>,
    /// The sessions that may be legs of a proxied session (`legs`), by order.
    legs: legs::Index,
    /// Each report's ending, for the incident stage (`incident`).
    incidents: crate::incident::Index,
    /// The orders of the reports whose packets came on two interfaces
    /// (`diagnose::points`).
    two_points: Vec<u64>,
    /// What the trails of the reports kept in memory hold (`vocab::trail`).
    trail_bytes: usize,
    /// The trails are let go ([`Store::drop_trails`]): those of the reports in the file
    /// are passed over when one is read back.
    no_trails: bool,
}

/// What stays in memory of a report (32 bytes: one per connection of the capture): its
/// place, and the few fields that are updated or counted without reading it back.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// The report's order: its input above bit 48, its first packet below (65 536 inputs
    /// or 2^48 packets in one are beyond any capture).
    order: u64,
    /// Updated by late packets after the report was made (the stored copy is not).
    last_packet: u64,
    /// The [`Place`], packed: the file's index above bit 48 ([`IN_MEMORY`] for a report
    /// kept in memory) and the offset in it (or the index in `memory`) below.
    at: u64,
    /// The encoded report's length in its file.
    len: u32,
    status: StatusKey,
}

/// The file index of a report kept in memory, in [`Entry::at`].
const IN_MEMORY: u64 = 0xFFFF;

/// [`Entry::at`] of an entry reserved and not filled yet: in memory, at an index no report
/// has (`Store::get` says the store is damaged).
const UNFILLED: u64 = u64::MAX;

/// [`Entry::at`] of a dropped report ([`Place::Dropped`]).
const DROPPED: u64 = u64::MAX - 1;

impl Entry {
    fn place(&self) -> Place {
        if self.at == DROPPED {
            return Place::Dropped;
        }
        match self.at >> 48 {
            IN_MEMORY => Place::Memory((self.at & 0xFFFF_FFFF) as u32),
            file => Place::File {
                file: file as u16,
                len: self.len,
                at: self.at & ((1 << 48) - 1),
            },
        }
    }

    /// The entry at `place`, which `Store::spill` made sure can be packed (a file index
    /// below [`IN_MEMORY`], an offset below 2^48).
    fn with_place(self, place: Place) -> Entry {
        let (at, len) = match place {
            Place::Dropped => (DROPPED, 0),
            Place::Memory(i) => (IN_MEMORY << 48 | u64::from(i), 0),
            Place::File { file, len, at } => (u64::from(file) << 48 | at, len),
        };
        Entry { at, len, ..self }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Memory(u32),
    File {
        file: u16,
        len: u32,
        at: u64,
    },
    /// Not kept: no temporary file could hold it, and memory was full.
    Dropped,
}

/// One temporary file.
#[derive(Debug, Clone)]
struct SpillFile {
    scratch: Scratch,
}

/// The hash an identity is indexed by (equal kinds and values, equal hashes; two that
/// collide are told apart when their reports are read back).
pub(crate) fn identity_hash(kind: &str, value: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    kind.hash(&mut h);
    value.hash(&mut h);
    h.finish()
}

fn damaged(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("the temporary file of finished reports is damaged: {what}"),
    )
}

impl Store {
    /// A store that keeps up to `budget` reports in memory.
    pub fn new(budget: usize) -> Store {
        Store {
            budget,
            entries: Vec::new(),
            memory: Vec::new(),
            ids: Vec::new(),
            files: Vec::new(),
            writing: None,
            no_disk: false,
            group_cap: usize::MAX,
            group_kept: Vec::new(),
            #[cfg(test)]
            no_file: false,
            dropped: 0,
            max_entries: 0,
            not_kept: 0,
            notes: Vec::new(),
            legs: legs::Index::default(),
            incidents: crate::incident::Index::default(),
            two_points: Vec::new(),
            trail_bytes: 0,
            no_trails: false,
            identities: 0,
            identity_orders: std::collections::BTreeMap::new(),
        }
    }

    /// Reports dropped so far for want of a temporary file.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// What one report's entry takes in memory, kept to the end however the report is
    /// kept (in memory or in the file).
    pub const ENTRY_BYTES: usize = std::mem::size_of::<Entry>();

    /// Keeps at most `n` entries (0: no limit): a followed or live capture's, which may
    /// run for days; sessions past it are told as they finish, not kept
    /// ([`Store::has_room`], [`Store::not_kept`]).
    pub fn set_max_entries(&mut self, n: usize) {
        self.max_entries = n;
    }

    /// What it holds in memory by its own estimate, for the memory charged
    /// (`Analyzer::charged`): the entries at their capacity, the reports kept in memory at
    /// `report_bytes` each (`memory::REPORT_BYTES`), the identities' index, the legs' and
    /// the endings' indexes at their capacity, and each temporary file's write buffer.
    pub fn held_bytes(&self, report_bytes: usize) -> usize {
        const IDENTITY_BYTES: usize = 64;
        self.entries.capacity() * Self::ENTRY_BYTES
            + self.memory.len() * report_bytes
            + self.identities as usize * IDENTITY_BYTES
            + self.legs.held_bytes()
            + self.incidents.held_bytes()
            + self.files.len() * WRITE_BATCH
            + self.two_points.capacity() * 8
            + self.trail_bytes
    }

    /// Whether `n` more sessions may be kept.
    pub fn has_room(&self, n: usize) -> bool {
        self.max_entries == 0 || self.entries.len() + n <= self.max_entries
    }

    /// Counts `n` sessions not kept for want of room (`has_room` was false).
    pub fn skip(&mut self, n: usize) {
        self.not_kept += n as u64;
    }

    /// Sessions not kept for want of room, and the most kept.
    pub fn not_kept(&self) -> (u64, usize) {
        (self.not_kept, self.max_entries)
    }

    /// What the report should say of the temporary files: why none could be used, or where
    /// one went when TMPDIR's directory could not hold it (each said once).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Adds `note` to [`Store::notes`] unless it is there already.
    pub fn note(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// Keeps up to `budget` reports in memory from now on.
    pub fn set_budget(&mut self, budget: usize) {
        self.budget = budget;
    }

    /// Without a temporary file, keeps at most `cap` reports of each group of flows in
    /// memory: later ones of that group are dropped, counted and said. A group's reports are placed in the order its
    /// connections finished whatever the thread count, so the same ones are dropped with
    /// any number of threads.
    pub fn set_group_cap(&mut self, cap: usize) {
        self.group_cap = cap.max(1);
    }

    /// How many reports it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many reports are in the temporary file rather than in memory.
    pub fn on_disk(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| matches!(e.place(), Place::File { .. }))
            .count()
    }

    /// Bytes of the reports in the temporary files (for benchmarks).
    pub fn spilled_bytes(&self) -> u64 {
        self.entries
            .iter()
            .map(|e| match e.place() {
                Place::File { len, .. } => u64::from(len),
                Place::Memory(_) | Place::Dropped => 0,
            })
            .sum()
    }

    /// Adds a finished report of group of flows `group`; returns its index for
    /// [`Store::set_last_packet`] (valid until the store is sorted or another is appended).
    pub fn push(&mut self, r: ConnectionReport, group: usize) -> usize {
        let index = self.reserve(r.input, r.first_packet, r.last_packet);
        self.fill(index, r, group);
        index
    }

    /// Makes room for the report of a finished connection (of input `input`, from packet
    /// `first_packet` to `last_packet`) before it is built: its index, as [`Store::push`]
    /// gives, to [`Store::fill`] later. Until then late packets update it as any other, and
    /// reading it back fails (the store is damaged).
    pub fn reserve(&mut self, input: usize, first_packet: u64, last_packet: u64) -> usize {
        if self.entries.len() == self.entries.capacity() {
            // A quarter more at a time, not twice: the one thing here that grows with the
            // capture's connections keeps little room unused.
            self.entries.reserve_exact(self.entries.len() / 4 + 64);
        }
        self.entries.push(Entry {
            order: order(input, first_packet),
            last_packet,
            at: UNFILLED,
            len: 0,
            status: StatusKey::Open,
        });
        self.ids.clear();
        self.entries.len() - 1
    }

    /// The report of the entry [`Store::reserve`] made at `index` (with the same input and
    /// packets), of group of flows `group` (of the analyzer's groups: without a temporary
    /// file, the group's cap decides whether it is kept). Its last packet stays the
    /// entry's, which late packets may have moved.
    pub fn fill(&mut self, index: usize, r: ConnectionReport, group: usize) {
        let status = r.status_kind();
        if let Some(e) = self.entries.get(index) {
            self.legs.add(e.order, &r);
            crate::report::incidents::keep(&mut self.incidents, e.order, &r);
            if r.trail.as_deref().is_some_and(|t| {
                t.ifaces.len() == 2 || (t.ifaces.len() < 2 && t.two_ttls().is_some())
            }) {
                self.two_points.push(e.order);
            }
        }
        if let Some(a) = r.application.as_ref().filter(|a| !a.related.is_empty()) {
            self.identities += 1;
            if let Some(e) = self.entries.get(index) {
                for id in &a.related {
                    let orders = self
                        .identity_orders
                        .entry(identity_hash(&id.kind, &id.value))
                        .or_default();
                    if orders.last() != Some(&e.order) {
                        orders.push(e.order);
                    }
                }
            }
        }
        let place = self.place(r, Some(group));
        if let Some(e) = self.entries.get_mut(index) {
            *e = Entry { status, ..*e }.with_place(place);
        }
    }

    /// Keeps `r` in memory while the budget allows, else writes it to the file. A new
    /// report (of `group`) beyond its group's cap goes to the file even while the budget
    /// has room, and without a file it is dropped: whether it is kept must not depend on
    /// when this store first needed the file, which the thread count changes (a store per
    /// thread, the budget divided among them). A report already kept (`None`: moved from
    /// another store or rewritten) is never dropped.
    fn place(&mut self, r: ConnectionReport, group: Option<usize>) -> Place {
        let kept = |g: usize| self.group_kept.get(g).map_or(0, |&k| k as usize);
        let full = group.is_some_and(|g| kept(g) >= self.group_cap);
        if (self.memory.len() >= self.budget || full) && !self.no_disk {
            match self.spill(&r) {
                Ok(place) => return place,
                Err(e) => {
                    self.no_disk = true;
                    self.note(e.to_string());
                }
            }
        }
        if self.no_disk && full {
            self.dropped += 1;
            return Place::Dropped;
        }
        if let Some(g) = group {
            if self.group_kept.len() <= g {
                self.group_kept.resize(g + 1, 0);
            }
            if let Some(k) = self.group_kept.get_mut(g) {
                *k = k.saturating_add(1);
            }
        }
        self.trail_bytes += r.trail.as_deref().map_or(0, |t| t.heap_bytes());
        self.memory.push(Some(r));
        Place::Memory(u32::try_from(self.memory.len() - 1).unwrap_or(u32::MAX))
    }

    fn spill(&mut self, r: &ConnectionReport) -> io::Result<Place> {
        let k = match self.writing {
            Some(k) => k,
            None => {
                #[cfg(test)]
                if self.no_file {
                    return Err(io::Error::other("no temporary file in this test"));
                }
                let (scratch, note) = Scratch::new(WRITE_BATCH)?;
                if let Some(note) = note {
                    self.note(note);
                }
                self.files.push(SpillFile { scratch });
                let k = self.files.len() - 1;
                self.writing = Some(k);
                k
            }
        };
        // Both must fit an entry's packed place (see `Entry::at`).
        let file = u16::try_from(k)
            .ok()
            .filter(|&f| u64::from(f) < IN_MEMORY)
            .ok_or_else(|| io::Error::other("too many temporary files"))?;
        let f = self
            .files
            .get_mut(k)
            .ok_or_else(|| io::Error::other("no temporary file"))?;
        let mut written = None;
        let (at, len) = f
            .scratch
            .append(|out| written = form::append(r, out))
            .ok_or_else(|| io::Error::other("a report of 4 GiB or more"))?;
        if written.is_none() {
            return Err(io::Error::other("a report that cannot be written out"));
        }
        f.scratch.maybe_flush().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "the temporary file of finished connection reports could not be written: {e}"
                ),
            )
        })?;
        if at >> 48 != 0 {
            return Err(io::Error::other("a temporary file of 256 TiB"));
        }
        Ok(Place::File { file, at, len })
    }

    /// A packet of a finished connection came late: it is the report's last packet now.
    pub fn set_last_packet(&mut self, index: usize, packet: u64) {
        if let Some(e) = self.entries.get_mut(index) {
            e.last_packet = packet;
        }
    }

    /// Takes in every report of `other` (another shard's store).
    pub fn append(&mut self, other: Store) {
        let base = self.files.len();
        self.legs.append(other.legs);
        self.two_points.extend(other.two_points);
        self.incidents.append(other.incidents);
        self.identities += other.identities;
        self.not_kept += other.not_kept;
        for (h, orders) in other.identity_orders {
            self.identity_orders.entry(h).or_default().extend(orders);
        }
        self.dropped += other.dropped;
        for note in other.notes {
            self.note(note);
        }
        self.entries.reserve_exact(other.entries.len());
        self.files.extend(other.files);
        let mut memory = other.memory;
        self.ids.clear();
        for e in other.entries {
            let place = match e.place() {
                Place::File { file, at, len } => match u16::try_from(usize::from(file) + base) {
                    Ok(file) if u64::from(file) < IN_MEMORY => Place::File { file, at, len },
                    _ => continue,
                },
                Place::Memory(i) => match memory.get_mut(i as usize).and_then(Option::take) {
                    Some(r) => self.place(r, None),
                    None => continue,
                },
                Place::Dropped => Place::Dropped,
            };
            self.entries.push(e.with_place(place));
        }
    }

    /// Puts the reports in the report's order, by (input, first packet), and numbers them
    /// from 1; the WebSockets of one HTTP/2 connection in the order their streams opened
    /// (ascending stream ids, RFC 9113 §5.1.1), as `Report::new` orders them in memory.
    pub fn sort(&mut self) {
        self.remove_dropped();
        // Stable: the sessions of one HTTP/2 connection share their order (its input and
        // first packet) and were reserved in a row, in the order their streams opened.
        self.entries.sort_by_key(|e| e.order);
        self.ids = (1..=self.entries.len())
            .map(|id| u32::try_from(id).unwrap_or(u32::MAX))
            .collect();
    }

    /// Removes the entries of dropped reports (counted in [`Store::dropped`]).
    fn remove_dropped(&mut self) {
        if self.dropped == 0 {
            return;
        }
        let keep: Vec<bool> = self
            .entries
            .iter()
            .map(|e| e.place() != Place::Dropped)
            .collect();
        self.retain(&keep);
    }

    /// The reports (their indexes, once sorted, in order) that name any of `ids` (kind,
    /// value).
    pub fn identity_positions<'a>(
        &self,
        ids: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> Vec<usize> {
        let mut at: Vec<usize> = ids
            .filter_map(|(k, v)| self.identity_orders.get(&identity_hash(k, v)))
            .flatten()
            .flat_map(|&o| self.positions(o))
            .collect();
        at.sort_unstable();
        at.dedup();
        at
    }

    /// Each identity that two or more reports name, one at a time: its hash
    /// (`identity_hash`) and the indexes (once sorted, in order) of the reports that name
    /// it (all the streams of an HTTP/2 connection whose stream names it).
    pub fn shared_identities(&self) -> impl Iterator<Item = (u64, Vec<usize>)> + '_ {
        self.identity_orders
            .iter()
            .filter(|(_, o)| o.len() > 1)
            .map(|(&h, orders)| {
                let mut at: Vec<usize> = orders.iter().flat_map(|&o| self.positions(o)).collect();
                at.sort_unstable();
                at.dedup();
                (h, at)
            })
    }

    /// The orders of the reports whose packets came on two interfaces.
    pub fn two_point_orders(&self) -> &[u64] {
        &self.two_points
    }

    /// The index of the proxied sessions' legs (its room, what it left out).
    pub fn legs_mut(&mut self) -> &mut legs::Index {
        &mut self.legs
    }

    /// The endings the incident stage works from (its room, what it left out).
    pub fn incidents_mut(&mut self) -> &mut crate::incident::Index {
        &mut self.incidents
    }

    /// The endings, each placed at its report's position once sorted (taken out).
    pub fn take_endings(&mut self) -> Vec<crate::incident::Ending> {
        let index = std::mem::take(&mut self.incidents);
        // Asked in increasing order: a cursor that only moves forward through the sorted
        // entries (no binary search per ending).
        let cursor = std::cell::Cell::new(0usize);
        index.placed(|order| {
            let mut lo = cursor.get();
            while self.entries.get(lo).is_some_and(|e| e.order < order) {
                lo += 1;
            }
            let mut hi = lo;
            while self.entries.get(hi).is_some_and(|e| e.order == order) {
                hi += 1;
            }
            cursor.set(hi);
            lo..hi
        })
    }

    /// The index of the proxied sessions' legs, taken out (`diagnose::legs::link_store`).
    pub fn take_legs(&mut self) -> legs::Index {
        std::mem::take(&mut self.legs)
    }

    /// Where the reports of sort key `order` are, once sorted: one report, or the streams
    /// of one HTTP/2 connection (which share their connection's order); empty if none.
    pub fn positions(&self, order: u64) -> std::ops::Range<usize> {
        let lo = self.entries.partition_point(|e| e.order < order);
        let hi = self.entries.partition_point(|e| e.order <= order);
        lo..hi
    }

    /// Lets go of the trails of the reports, once the points are joined
    /// (`diagnose::points`) and the legs at two points linked (`diagnose::legs`, which reads
    /// the pairs' handshake times from them): nothing reads a trail after, and every report
    /// read back (identities, each format's rendering) would copy or decode its trail, up to
    /// `vocab::trail::MAX_MARKS` marks, again. Those kept in memory are dropped, those in
    /// the file passed over when read.
    pub fn drop_trails(&mut self) {
        for r in self.memory.iter_mut().flatten() {
            r.trail = None;
        }
        self.trail_bytes = 0;
        self.no_trails = true;
    }

    /// Puts `r` in the place of the report at `index` (read back and changed): in memory
    /// where that one was, else written to the file anew.
    pub fn replace(&mut self, index: usize, r: ConnectionReport) -> io::Result<()> {
        let e = *self
            .entries
            .get(index)
            .ok_or_else(|| io::Error::other("no such report"))?;
        let status = r.status_kind();
        let place = match e.place() {
            Place::Memory(i) => {
                let slot = self
                    .memory
                    .get_mut(i as usize)
                    .ok_or_else(|| damaged("a report kept in memory is missing"))?;
                *slot = Some(r);
                Place::Memory(i)
            }
            Place::File { .. } => self.place(r, None),
            Place::Dropped => return Err(io::Error::other("a dropped report")),
        };
        if let Some(x) = self.entries.get_mut(index) {
            *x = Entry { status, ..e }.with_place(place);
        }
        Ok(())
    }

    /// Keeps the reports whose flag in `keep` (one per report, in order) is true.
    pub fn retain(&mut self, keep: &[bool]) {
        let mut flags = keep.iter();
        self.entries
            .retain(|_| flags.next().copied().unwrap_or(false));
        if !self.ids.is_empty() {
            let mut flags = keep.iter();
            self.ids.retain(|_| flags.next().copied().unwrap_or(false));
        }
    }

    /// Each report's input, in order.
    pub fn inputs(&self) -> impl Iterator<Item = usize> + '_ {
        self.entries.iter().map(|e| (e.order >> 48) as usize)
    }

    /// Each report's status, in order (for the summary's counts).
    pub fn statuses(&self) -> impl Iterator<Item = StatusKey> + '_ {
        self.entries.iter().map(|e| e.status)
    }

    /// The report at `index` (in the store's order), read back.
    pub fn get(&self, index: usize, buf: &mut Vec<u8>) -> io::Result<ConnectionReport> {
        let e = self
            .entries
            .get(index)
            .ok_or_else(|| io::Error::other("no such report"))?;
        let mut r = match e.place() {
            Place::Memory(i) => self
                .memory
                .get(i as usize)
                .and_then(Option::as_ref)
                .cloned()
                .ok_or_else(|| damaged("a report kept in memory is missing"))?,
            Place::File { file, at, len } => {
                self.read_file(file, at, len, buf)?;
                form::read(buf, !self.no_trails)
                    .ok_or_else(|| damaged("a report cannot be decoded"))?
            }
            Place::Dropped => return Err(io::Error::other("a dropped report")),
        };
        Self::settle(&self.ids, index, e, &mut r);
        Ok(r)
    }

    /// [`Store::get`], the report put at the end of `out`: one read back from the file
    /// is decoded straight into `out`'s room, not moved through the calls between (a
    /// report is over a kilobyte).
    pub fn get_onto<'v>(
        &self,
        index: usize,
        buf: &mut Vec<u8>,
        out: &'v mut Vec<ConnectionReport>,
    ) -> io::Result<&'v mut ConnectionReport> {
        let e = self
            .entries
            .get(index)
            .ok_or_else(|| io::Error::other("no such report"))?;
        let Place::File { file, at, len } = e.place() else {
            // Kept in memory (or dropped): as `get` gives it, settled there.
            out.push(self.get(index, buf)?);
            return out
                .last_mut()
                .ok_or_else(|| io::Error::other("no such report"));
        };
        self.read_file(file, at, len, buf)?;
        form::read_onto(buf, out, !self.no_trails)
            .ok_or_else(|| damaged("a report cannot be decoded"))?;
        let r = out
            .last_mut()
            .ok_or_else(|| io::Error::other("no such report"))?;
        Self::settle(&self.ids, index, e, r);
        Ok(r)
    }

    /// Reads the bytes of a report in file `file` into `buf`.
    fn read_file(&self, file: u16, at: u64, len: u32, buf: &mut Vec<u8>) -> io::Result<()> {
        self.files
            .get(usize::from(file))
            .ok_or_else(|| damaged("a report's file is missing"))?
            .scratch
            .read(at, len, buf)
    }

    /// What the entry knows better than the stored report: the id `sort` gave (a report
    /// not sorted yet keeps its own) and the last packet.
    fn settle(ids: &[u32], index: usize, e: &Entry, r: &mut ConnectionReport) {
        if let Some(&id) = ids.get(index) {
            r.id = u64::from(id);
        }
        r.last_packet = e.last_packet;
    }

    /// [`Store::get`], moving a report kept in memory out of the store instead of copying
    /// it (it cannot be read again).
    pub fn take(&mut self, index: usize, buf: &mut Vec<u8>) -> io::Result<ConnectionReport> {
        let e = *self
            .entries
            .get(index)
            .ok_or_else(|| io::Error::other("no such report"))?;
        let Place::Memory(i) = e.place() else {
            return self.get(index, buf);
        };
        let mut r = self
            .memory
            .get_mut(i as usize)
            .and_then(Option::take)
            .ok_or_else(|| damaged("a report kept in memory is missing"))?;
        Self::settle(&self.ids, index, &e, &mut r);
        Ok(r)
    }

    /// All the reports, in the store's order, in memory. When none is on disk, they are put
    /// in order where they are, without a second vector of them.
    pub fn into_vec(mut self) -> io::Result<Vec<ConnectionReport>> {
        self.remove_dropped();
        let mut rank = vec![usize::MAX; self.memory.len()];
        let mut all_in_memory = self.entries.len() == self.memory.len();
        for (k, e) in self.entries.iter().enumerate() {
            match (e.place(), all_in_memory) {
                (Place::Memory(i), true) => match rank.get_mut(i as usize) {
                    Some(r) if *r == usize::MAX => *r = k,
                    _ => all_in_memory = false,
                },
                _ => all_in_memory = false,
            }
        }
        if !all_in_memory {
            let mut buf = Vec::new();
            return (0..self.len()).map(|i| self.take(i, &mut buf)).collect();
        }
        // `rank` is a permutation: move each report to its rank, one cycle at a time.
        for i in 0..rank.len() {
            while let Some(&r) = rank.get(i).filter(|&&r| r != i) {
                self.memory.swap(i, r);
                rank.swap(i, r);
            }
        }
        // Collected in place (same layout): no second buffer.
        let mut out: Vec<ConnectionReport> = self.memory.into_iter().flatten().collect();
        for (i, (r, e)) in out.iter_mut().zip(&self.entries).enumerate() {
            Self::settle(&self.ids, i, e, r);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
