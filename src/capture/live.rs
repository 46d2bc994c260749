//! Live capture through libpcap (feature `live`): the only module that touches libpcap.
//!
//! In: an interface name, a BPF filter, limits (duration, packet count), an optional file to
//! save every packet to, and a stop flag (set by Ctrl-C). Out: each packet to a callback,
//! exactly as the file reader gives them, so everything downstream is the same code path;
//! and libpcap's counters at the end. Immediate mode, a snaplen that keeps whole frames.
//! The file is a pcapng written by [`Saver`] (its interface named), every write checked:
//! the first that fails (a full disk) stops the capture, and the error says the file is
//! incomplete. The TLS secrets are added to it once the capture ends (`live_session`).

use super::write::Saver;
use super::{LinkType, Packet, Timestamp};
use crate::error::Error;
use std::io::BufWriter;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long to wait when no packet is ready (bounds the latency of a live event).
const IDLE_WAIT: Duration = Duration::from_millis(5);

/// Enough for any frame, including 64 KiB+ offloaded segments on loopback.
pub const SNAPLEN: i32 = 262_144;

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
    /// Save every captured packet to this file.
    pub write: Option<PathBuf>,
}

pub use super::LiveSummary;

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

/// Captures until `stop` is set, the duration passes, `count` packets were read, or a packet
/// cannot be saved (`Error::LiveWriteFailed`). `opened` is called once the interface is
/// open, the filter set and the file to save to created, before the first packet (a
/// failure before then returns its error without calling it).
pub fn capture(
    opts: &LiveOptions,
    stop: &AtomicBool,
    opened: &mut dyn FnMut(),
    sink: &mut dyn FnMut(&Packet<'_>),
) -> Result<LiveSummary, Error> {
    let iface = opts.interface.as_str();
    let cap = pcap::Capture::from_device(iface)
        .map_err(|e| open_error(iface, e))?
        .immediate_mode(true)
        .snaplen(SNAPLEN)
        .timeout(100)
        .promisc(false)
        .open()
        .map_err(|e| open_error(iface, e))?;
    // Non-blocking: on Linux a blocking read may never time out on an idle interface, and
    // the loop must notice Ctrl-C and the duration limit.
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
    let mut save = match &opts.write {
        Some(p) => {
            let file = std::fs::File::create(p).map_err(|e| cannot_write(p, e))?;
            let saver = Saver::new(BufWriter::new(file), link, SNAPLEN as u32, iface)
                .map_err(|e| cannot_write(p, e))?;
            Some((p, saver))
        }
        None => None,
    };
    opened();
    let mut write_error = None;
    let started = Instant::now();
    let mut summary = LiveSummary {
        link: Some(link),
        ..LiveSummary::default()
    };
    let mut failure = None;
    while !stop.load(Ordering::Relaxed)
        && opts.duration.is_none_or(|d| started.elapsed() < d)
        && opts.count.is_none_or(|n| summary.packets < n)
    {
        match cap.next_packet() {
            Ok(p) => {
                summary.packets += 1;
                // time_t and suseconds_t differ in width across platforms.
                #[allow(clippy::unnecessary_cast)]
                let ts = Timestamp::from_parts(
                    p.header.ts.tv_sec as i64,
                    (p.header.ts.tv_usec as u32).saturating_mul(1000),
                );
                if let Some((_, s)) = save.as_mut() {
                    if let Err(e) = s.packet(ts, p.data, p.header.len) {
                        write_error = Some(e);
                    }
                }
                sink(&Packet {
                    number: summary.packets,
                    ts,
                    link,
                    data: p.data,
                    orig_len: p.header.len,
                    iface: None,
                });
                if write_error.is_some() {
                    break;
                }
            }
            Err(pcap::Error::TimeoutExpired) => std::thread::sleep(IDLE_WAIT),
            Err(e) => {
                failure = Some(format!(
                    "capture on {iface} stopped: {e} (did the interface go down? `ip link show {iface}`)"
                ));
                break;
            }
        }
    }
    if let Some((_, s)) = save.as_mut() {
        if write_error.is_none() {
            write_error = s.finish().err();
        }
    }
    if let Ok(st) = cap.stats() {
        summary.received = st.received;
        summary.dropped = st.dropped;
        summary.if_dropped = st.if_dropped;
    }
    match (save, write_error, failure) {
        (Some((path, _)), Some(e), stopped) => Err(Error::LiveWriteFailed {
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
