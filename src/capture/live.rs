//! Live capture through libpcap (feature `live`): the only module that touches libpcap.
//!
//! In: an interface name, a BPF filter, limits (duration, packet count), the kernel ring's
//! size, an optional file to save every packet to, and a stop flag (set by Ctrl-C). Out:
//! each packet to a callback, exactly as the file reader gives them, so everything
//! downstream is the same code path; the drops as they are counted; libpcap's counters.
//!
//! Two threads. The reader does nothing but take packets out of libpcap's ring (TPACKET_V3
//! blocks, packed, handed over at most [`BLOCK_TIMEOUT_MS`] after their first packet), save
//! each to the pcapng (`Saver`, every write checked: the first that fails stops the
//! capture and the error says the file is incomplete) and hand them in batches to the
//! analysis through a queue bounded in bytes. When the analysis falls behind and the queue
//! is full, a batch is dropped from the analysis (counted, its time window kept) but is
//! still in the saved file. The drops of the kernel's ring and of the interface come from
//! libpcap's counters, read every [`STATS_EVERY`], and written to the saved file as they
//! rise and when it ends (an Interface Statistics Block: `isb_ifdrop`, `isb_osdrop`). The
//! TLS secrets are added to the saved file once the capture ends (`live_session`).

use super::write::Saver;
use super::Packet;
use crate::error::Error;
use crate::vocab::{LinkType, LiveDrops, Timestamp};
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// Enough for any frame, including 64 KiB+ offloaded segments on loopback.
pub const SNAPLEN: i32 = 262_144;

/// The kernel's ring when `--buffer-size` does not say: 32 MiB. Its TPACKET_V3 blocks pack
/// packets at their captured size, so it holds about 20 000 full Ethernet frames, or 500
/// segments of 64 KiB (loopback with segmentation offload), while the reader is away.
pub const DEFAULT_RING: usize = 32 << 20;

/// The least and the most `--buffer-size` takes: a ring smaller than 1 MiB holds two of
/// libpcap's blocks at the snaplen; libpcap takes the size as a C int.
pub const RING_RANGE: (usize, usize) = (1 << 20, 1 << 30);

/// How long the kernel keeps a block of packets before handing it to the reader
/// (TPACKET_V3's block retire timeout): the latency a packet adds before the analysis
/// sees it.
pub const BLOCK_TIMEOUT_MS: i32 = 10;

/// The longest wait for the ring in one poll: how soon the reader notices Ctrl-C or the
/// end of `--duration` on an idle interface.
const POLL_MS: i32 = 50;

/// How long the reader goes on reading the ring once told to stop.
const DRAIN_FOR: Duration = Duration::from_millis(200);

/// A batch handed to the analysis is sent once it holds this many bytes, or as soon as the
/// ring is empty (so a quiet link waits for nothing).
const BATCH_BYTES: usize = 128 << 10;

/// How often libpcap's drop counters are read (each read is a getsockopt).
pub const STATS_EVERY: Duration = Duration::from_millis(100);

/// How often the analysis is told of new drops (`on_drops`): at most once a second.
const TELL_EVERY: Duration = Duration::from_secs(1);

/// What [`live_session`](crate::live_session) captures, and where it saves it.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// The interface to capture on (`lo`, `eth0`, `any`).
    pub interface: String,
    /// A BPF filter (tcpdump's syntax); empty: every packet.
    pub filter: String,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Stop after this many packets.
    pub count: Option<u64>,
    /// Save every captured packet to this file; `-`: to standard output (as tcpdump's
    /// `-w -`; the caller then prints nothing there).
    pub write: Option<PathBuf>,
    /// The kernel's ring, in bytes (`--buffer-size`); `None`: [`DEFAULT_RING`].
    pub buffer_size: Option<usize>,
}

use crate::error::LiveSummary;

/// A capture device and its addresses, for `wsclose interfaces`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Interface {
    /// Its name, as `-i` takes it.
    pub name: String,
    /// libpcap's description of it, when it has one.
    pub description: Option<String>,
    /// Its addresses.
    pub addresses: Vec<String>,
    /// Whether it is up.
    pub up: bool,
}

/// The interfaces libpcap can capture on, with their addresses.
pub fn interfaces() -> Result<Vec<Interface>, Error> {
    let devices = pcap::Device::list()
        .map_err(|e| Error::Live(format!("cannot list capture interfaces: {e}")))?;
    Ok(devices
        .into_iter()
        .map(|d| Interface {
            up: d.flags.is_up(),
            addresses: d.addresses.iter().map(|a| a.addr.to_string()).collect(),
            name: d.name,
            description: d.desc,
        })
        .collect())
}

fn names() -> String {
    interfaces()
        .map(|l| l.into_iter().map(|i| i.name).collect::<Vec<_>>().join(", "))
        .unwrap_or_else(|_| "(cannot list them)".into())
}

/// Turns libpcap's message into one that says what to do.
fn open_error(iface: &str, e: pcap::Error) -> Error {
    let msg = e.to_string();
    let lower = msg.to_lowercase();
    if lower.contains("permission") || lower.contains("not permitted") {
        Error::Live(format!(
            "no permission to capture on {iface} ({msg}). Run as root (`sudo wsclose live -i {iface}`), \
             or let this binary capture: `sudo setcap cap_net_raw,cap_net_admin=eip $(command -v wsclose)`"
        ))
    } else if lower.contains("no such device") || lower.contains("doesn't exist") {
        Error::Live(format!(
            "no interface named {iface}. Interfaces here: {}. (`wsclose interfaces` lists them with addresses)",
            names()
        ))
    } else {
        Error::Live(format!("cannot capture on {iface}: {msg}"))
    }
}

/// Packets read from the ring, handed to the analysis together: their bytes one after the
/// other, and each one's place in them.
#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    packets: Vec<Held>,
}

/// One packet of a [`Batch`].
struct Held {
    number: u64,
    ts: Timestamp,
    orig_len: u32,
    start: usize,
    end: usize,
}

impl Batch {
    fn clear(&mut self) {
        self.data.clear();
        self.packets.clear();
    }

    fn window(&self) -> Option<(Timestamp, Timestamp)> {
        Some((self.packets.first()?.ts, self.packets.last()?.ts))
    }
}

/// What the reader thread ends with.
struct Ended {
    summary: LiveSummary,
    write_error: Option<std::io::Error>,
    failure: Option<String>,
}

/// The drops counted so far, shared by the reader (which counts them) and the analysis
/// (which says them): [`LiveDrops`] and the windows of time they fell in.
#[derive(Debug, Default)]
pub struct DropLog {
    /// The counts by reason.
    pub counts: LiveDrops,
    /// When they happened: the span between two reads of libpcap's counters that saw
    /// the kernel's count rise, or the first and last packet of a batch the queue could not
    /// take. Merged when they overlap; at most [`DropLog::MAX_WINDOWS`] (the last one
    /// then stretches to cover the later ones).
    pub windows: Vec<(Timestamp, Timestamp)>,
}

impl DropLog {
    /// The windows kept.
    pub const MAX_WINDOWS: usize = 256;

    fn add_window(&mut self, from: Timestamp, to: Timestamp) {
        let (from, to) = (from.min(to), from.max(to));
        let full = self.windows.len() >= Self::MAX_WINDOWS;
        match self.windows.last_mut() {
            Some(last) if from <= last.1 || full => {
                last.0 = last.0.min(from);
                last.1 = last.1.max(to);
            }
            _ => self.windows.push((from, to)),
        }
    }

    /// Whether a span of time overlaps a window in which packets were dropped.
    pub fn overlaps(&self, start: Timestamp, end: Timestamp) -> bool {
        self.windows.iter().any(|&(a, b)| a <= end && start <= b)
    }
}

fn now() -> Timestamp {
    let d = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_parts(d.as_secs() as i64, d.subsec_nanos())
}

/// Waits until the ring has a block ready, or `POLL_MS` passed.
fn wait_for(fd: std::os::fd::RawFd) {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, for the length given; libpcap's descriptor stays open
    // while the capture it belongs to lives (the caller holds it).
    unsafe {
        libc::poll(&mut p, 1, POLL_MS);
    }
}

/// Captures until `stop` is set, the duration passes, `count` packets were read, or a packet
/// cannot be saved (`Error::LiveWriteFailed`). `opened` is called once the interface is
/// open, the filter set and the file to save to created, before the first packet (a
/// failure before then returns its error without calling it). The analysis (`sink`) runs
/// on the calling thread and the reading on a thread of its own; `queue_bytes` bounds what
/// waits between them. `on_drops` is told the counts at most once a second while they
/// rise; `drops` holds them, and their windows, at the end.
pub fn capture(
    opts: &LiveOptions,
    stop: &AtomicBool,
    queue_bytes: usize,
    opened: &mut dyn FnMut(),
    sink: &mut dyn FnMut(&Packet<'_>),
    on_drops: &mut dyn FnMut(&LiveDrops),
    drops: &Mutex<DropLog>,
) -> Result<LiveSummary, Error> {
    let iface = opts.interface.as_str();
    let ring = opts.buffer_size.unwrap_or(DEFAULT_RING);
    // Not immediate mode: that makes libpcap use TPACKET_V2, a ring of slots of the
    // snaplen's size (eight of them in libpcap's default 2 MiB at 256 KiB), which a burst
    // fills at once. TPACKET_V3's blocks hold packets at their size, handed over when full
    // or BLOCK_TIMEOUT_MS after their first packet.
    let cap = pcap::Capture::from_device(iface)
        .map_err(|e| open_error(iface, e))?
        .snaplen(SNAPLEN)
        .buffer_size(i32::try_from(ring).unwrap_or(i32::MAX))
        .timeout(BLOCK_TIMEOUT_MS)
        .promisc(false)
        .open()
        .map_err(|e| open_error(iface, e))?;
    // Non-blocking, with our own poll: on Linux a blocking read may never time out on an
    // idle interface, and the reader must notice Ctrl-C and the duration limit.
    let mut cap = cap.setnonblock().map_err(|e| open_error(iface, e))?;
    cap.filter(&opts.filter, true).map_err(|e| {
        Error::Live(format!(
            "the capture filter '{}' does not compile: {e} (it is a BPF filter as tcpdump takes, e.g. 'tcp port 8765')",
            opts.filter
        ))
    })?;
    let link = LinkType(cap.get_datalink().0 as u32);
    let cannot_write = |p: &PathBuf, e: std::io::Error| Error::Write {
        path: p.clone(),
        source: e,
    };
    let save = match &opts.write {
        Some(p) => {
            let file = if p.as_os_str() == "-" {
                use std::os::fd::AsFd;
                std::io::stdout()
                    .as_fd()
                    .try_clone_to_owned()
                    .map(File::from)
            } else {
                File::create(p)
            }
            .map_err(|e| cannot_write(p, e))?;
            let saver = Saver::new(BufWriter::new(file), link, SNAPLEN as u32, iface)
                .map_err(|e| cannot_write(p, e))?;
            Some(saver)
        }
        None => None,
    };
    opened();
    // Each batch is at most BATCH_BYTES and a packet over it; at least two wait.
    let slots = (queue_bytes / (BATCH_BYTES + SNAPLEN as usize)).max(2);
    let (full_tx, full_rx) = mpsc::sync_channel::<Batch>(slots);
    // Emptied batches go back to the reader: the batches in use stay those first made.
    let (free_tx, free_rx) = mpsc::channel::<Batch>();
    let ended = std::thread::scope(|s| {
        let reader = std::thread::Builder::new()
            .name("wsclose-capture".into())
            .spawn_scoped(s, move || {
                read(cap, save, opts, stop, &full_tx, &free_rx, drops)
            });
        let reader = match reader {
            Ok(r) => r,
            Err(e) => {
                return Ended {
                    summary: LiveSummary::default(),
                    write_error: None,
                    failure: Some(format!("cannot start the capture thread: {e}")),
                }
            }
        };
        analyse(link, &full_rx, &free_tx, sink, on_drops, drops);
        reader.join().unwrap_or_else(|_| Ended {
            summary: LiveSummary::default(),
            write_error: None,
            failure: Some("the capture thread failed (a bug: please report it)".into()),
        })
    });
    let Ended {
        mut summary,
        write_error,
        failure,
    } = ended;
    summary.link = Some(link);
    {
        let log = drops.lock().unwrap_or_else(|p| p.into_inner());
        summary.dropped = log.counts.kernel;
        summary.if_dropped = log.counts.interface;
        summary.queue_dropped = log.counts.queue;
    }
    match (&opts.write, write_error, failure) {
        (Some(path), Some(e), stopped) => Err(Error::LiveWriteFailed {
            path: path.clone(),
            source: e,
            summary,
            stopped,
        }),
        (_, _, Some(f)) => Err(Error::LiveStopped {
            message: f,
            summary,
        }),
        _ => Ok(summary),
    }
}

/// The analysis's side: every batch's packets to `sink`, in order, until the reader ends;
/// the drop counts to `on_drops` at most once a second while they rise.
fn analyse(
    link: LinkType,
    full: &Receiver<Batch>,
    free: &mpsc::Sender<Batch>,
    sink: &mut dyn FnMut(&Packet<'_>),
    on_drops: &mut dyn FnMut(&LiveDrops),
    drops: &Mutex<DropLog>,
) {
    let mut told = LiveDrops::default();
    let mut told_at: Option<Instant> = None;
    // Tests only (debug builds): an analysis this many microseconds a packet slower, so
    // that tests/it/capture/live/mod.rs can fill the queue and see the loss said.
    #[cfg(debug_assertions)]
    let slow = std::env::var("WSCLOSE_TEST_SLOW_ANALYSIS_US")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_micros);
    loop {
        match full.recv_timeout(Duration::from_millis(200)) {
            Ok(mut batch) => {
                for h in &batch.packets {
                    #[cfg(debug_assertions)]
                    if let Some(d) = slow {
                        std::thread::sleep(d);
                    }
                    sink(&Packet {
                        options: Default::default(),
                        number: h.number,
                        ts: h.ts,
                        link,
                        data: batch.data.get(h.start..h.end).unwrap_or_default(),
                        orig_len: h.orig_len,
                        iface: None,
                    });
                }
                batch.clear();
                let _ = free.send(batch);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if told_at.is_none_or(|t| t.elapsed() >= TELL_EVERY) {
            let counts = drops.lock().unwrap_or_else(|p| p.into_inner()).counts;
            if counts != told {
                on_drops(&counts);
                told = counts;
                told_at = Some(Instant::now());
            }
        }
    }
}

/// The counters libpcap keeps as C unsigned ints (they wrap), read into totals.
struct Counters {
    last: (u32, u32),
    read_at: Instant,
    read_ts: Timestamp,
}

impl Counters {
    fn read(
        &mut self,
        cap: &mut pcap::Capture<pcap::Active>,
        summary: &mut LiveSummary,
        drops: &Mutex<DropLog>,
    ) {
        let Ok(st) = cap.stats() else { return };
        let ts = now();
        let kernel = st.dropped.wrapping_sub(self.last.0);
        let interface = st.if_dropped.wrapping_sub(self.last.1);
        self.last = (st.dropped, st.if_dropped);
        summary.received = st.received;
        if kernel > 0 || interface > 0 {
            let mut log = drops.lock().unwrap_or_else(|p| p.into_inner());
            log.counts.kernel += u64::from(kernel);
            log.counts.interface += u64::from(interface);
            log.add_window(self.read_ts, ts);
        }
        self.read_at = Instant::now();
        self.read_ts = ts;
    }
}

/// One packet read from the ring: counted, saved (the first write that fails is
/// returned), and put in the batch.
fn take(
    p: &pcap::Packet<'_>,
    summary: &mut LiveSummary,
    save: &mut Option<Saver<BufWriter<File>>>,
    batch: &mut Batch,
) -> Result<(), std::io::Error> {
    summary.packets += 1;
    // time_t and suseconds_t differ in width across platforms.
    #[allow(clippy::unnecessary_cast)]
    let ts = Timestamp::from_parts(
        p.header.ts.tv_sec as i64,
        (p.header.ts.tv_usec as u32).saturating_mul(1000),
    );
    let start = batch.data.len();
    batch.data.extend_from_slice(p.data);
    batch.packets.push(Held {
        number: summary.packets,
        ts,
        orig_len: p.header.len,
        start,
        end: batch.data.len(),
    });
    match save.as_mut() {
        Some(s) => s.packet(ts, p.data, p.header.len),
        None => Ok(()),
    }
}

/// The reader's side: packets out of the ring, each saved and put in a batch; a batch sent
/// when full or when the ring is empty; libpcap's counters read every `STATS_EVERY`.
#[allow(clippy::too_many_arguments)]
fn read(
    mut cap: pcap::Capture<pcap::Active>,
    mut save: Option<Saver<BufWriter<File>>>,
    opts: &LiveOptions,
    stop: &AtomicBool,
    full: &SyncSender<Batch>,
    free: &Receiver<Batch>,
    drops: &Mutex<DropLog>,
) -> Ended {
    use std::os::fd::AsRawFd;
    let fd = cap.as_raw_fd();
    let iface = opts.interface.as_str();
    let started = Instant::now();
    let mut summary = LiveSummary::default();
    let mut write_error = None;
    let mut failure = None;
    let mut counters = Counters {
        last: (0, 0),
        read_at: Instant::now(),
        read_ts: now(),
    };
    let mut batch = Batch::default();
    // The drops (interface, kernel) last written to the saved file.
    let mut saved_drops = (0u64, 0u64);
    // Sends the batch to the analysis, or, when the queue is full, drops it from the
    // analysis (it is saved already) and counts its packets. false: the analysis is gone.
    let send = |batch: &mut Batch, wait: bool| -> bool {
        if batch.packets.is_empty() {
            return true;
        }
        let next = free.try_recv().unwrap_or_default();
        let b = std::mem::replace(batch, next);
        let sent = if wait {
            full.send(b).map_err(|e| TrySendError::Disconnected(e.0))
        } else {
            full.try_send(b)
        };
        match sent {
            Ok(()) => true,
            Err(TrySendError::Full(mut b)) => {
                if let Some((from, to)) = b.window() {
                    let mut log = drops.lock().unwrap_or_else(|p| p.into_inner());
                    log.counts.queue += b.packets.len() as u64;
                    log.add_window(from, to);
                }
                b.clear();
                *batch = b;
                true
            }
            Err(TrySendError::Disconnected(_)) => false,
        }
    };
    while !stop.load(Ordering::Relaxed)
        && opts.duration.is_none_or(|d| started.elapsed() < d)
        && opts.count.is_none_or(|n| summary.packets < n)
    {
        match cap.next_packet() {
            Ok(p) => {
                if let Err(e) = take(&p, &mut summary, &mut save, &mut batch) {
                    write_error = Some(e);
                    break;
                }
                if batch.data.len() >= BATCH_BYTES && !send(&mut batch, false) {
                    break;
                }
            }
            Err(pcap::Error::TimeoutExpired) => {
                // The ring is empty: what was read goes to the analysis now.
                if !send(&mut batch, false) {
                    break;
                }
                wait_for(fd);
            }
            Err(e) => {
                failure = Some(format!(
                    "capture on {iface} stopped: {e} (did the interface go down? `ip link show {iface}`)"
                ));
                break;
            }
        }
        if counters.read_at.elapsed() >= STATS_EVERY {
            counters.read(&mut cap, &mut summary, drops);
            // New drops go into the file at once too: a file cut short (a full disk, a
            // kill) still says them.
            let counts = drops.lock().unwrap_or_else(|p| p.into_inner()).counts;
            let lost = (counts.interface, counts.kernel);
            if lost != saved_drops {
                saved_drops = lost;
                if let Some(Err(e)) = save.as_mut().map(|s| s.statistics(now(), lost.0, lost.1)) {
                    write_error = Some(e);
                    break;
                }
            }
        }
    }
    // Stopped by Ctrl-C or --duration: what the kernel holds (a block is handed over
    // BLOCK_TIMEOUT_MS after its first packet) is read too, as far as --count allows and
    // for at most DRAIN_FOR on a link that never goes quiet.
    if failure.is_none() && write_error.is_none() {
        std::thread::sleep(Duration::from_millis(2 * BLOCK_TIMEOUT_MS as u64));
        let until = Instant::now() + DRAIN_FOR;
        while opts.count.is_none_or(|n| summary.packets < n) && Instant::now() < until {
            let Ok(p) = cap.next_packet() else { break };
            if let Err(e) = take(&p, &mut summary, &mut save, &mut batch) {
                write_error = Some(e);
                break;
            }
            if batch.data.len() >= BATCH_BYTES {
                send(&mut batch, true);
            }
        }
    }
    // The last packets wait for room: the capture has ended, the analysis catches up.
    send(&mut batch, true);
    counters.read(&mut cap, &mut summary, drops);
    // The file ends with the drops of the whole capture (an Interface Statistics Block),
    // which `wsclose analyze` of it says.
    if let Some(s) = save.as_mut() {
        if write_error.is_none() {
            let counts = drops.lock().unwrap_or_else(|p| p.into_inner()).counts;
            write_error = s
                .statistics(now(), counts.interface, counts.kernel)
                .and_then(|()| s.finish())
                .err();
        }
    }
    Ended {
        summary,
        write_error,
        failure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_parts(s, 0)
    }

    #[test]
    fn drop_windows_merge_when_they_overlap_and_stay_bounded() {
        let mut log = DropLog::default();
        log.add_window(t(10), t(11));
        log.add_window(t(11), t(12)); // touches the last: merged
        log.add_window(t(20), t(19)); // given backwards: put in order
        assert_eq!(log.windows, vec![(t(10), t(12)), (t(19), t(20))]);
        assert!(log.overlaps(t(5), t(10)));
        assert!(log.overlaps(t(12), t(15)));
        assert!(!log.overlaps(t(13), t(18)));
        assert!(!log.overlaps(t(21), t(30)));
        for s in 0..1000 {
            log.add_window(t(100 + 2 * s), t(100 + 2 * s));
        }
        assert_eq!(log.windows.len(), DropLog::MAX_WINDOWS);
        // Past the cap the last window stretches: no time with drops is left uncovered.
        assert!(log.overlaps(t(2098), t(2098)));
        assert_eq!(log.windows.last().unwrap().1, t(2098));
    }

    #[test]
    fn a_batch_window_is_its_first_and_last_packet() {
        let mut b = Batch::default();
        assert_eq!(b.window(), None);
        for (n, s) in [(1, 3), (2, 4), (3, 7)] {
            b.packets.push(Held {
                number: n,
                ts: t(s),
                orig_len: 0,
                start: 0,
                end: 0,
            });
        }
        assert_eq!(b.window(), Some((t(3), t(7))));
        b.clear();
        assert!(b.packets.is_empty() && b.data.is_empty());
    }
}
