//! docs/reassembly.md's 32 test scenarios and two more (33: an ACK captured before the data it
//! acknowledges waits for it; 34: such a hole never filled is still a gap), one test per
//! scenario, named `sNN_<subject>` after its number (a scenario whose rule the library does
//! not meet yet has a second, ignored test holding the failing assertion), plus the
//! assembler against a bitmap model. One module per group of scenarios; this one holds the
//! helpers they share.
//!
//! Every scenario is built in code (tests/it/common) and run through the whole pipeline: a
//! pcap written to a temporary directory and `wsclose::analyze_files`, or, for the stream
//! longer than 4 GiB, packets built on the fly and fed to the `Analyzer`. Each asserts what
//! the report says: close frames with code, reason and packet, status, how TCP ended,
//! findings and the `tcp` counters. Scenarios about raw byte delivery also drive a
//! `HalfStream` directly and compare the exact bytes. Scenarios about sequence numbers run
//! at ISNs 0, 1, 2^32-1 and 2^32-10, and at ISNs that put the wrap inside the data.

use crate::common;

use common::*;
use std::time::{Duration, Instant};
use wsclose::__internals::analyzer::{Analyzer, Options};
use wsclose::__internals::capture::Packet;
use wsclose::__internals::flow::Event;
use wsclose::__internals::stack::tcp::assembler::{HalfStream, Limits};
use wsclose::report::{ConnectionReport, Report};
use wsclose::vocab::{
    Counters, Kind, LinkType,
    Role::{self, Client, Server},
    Timestamp,
};

mod acks;
mod delivery;
mod endings;
mod framing;
mod holes;
mod model;
mod resources;
mod starts;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// The ISNs every sequence-number scenario runs at (docs/reassembly.md, "Test scenarios").
const ISNS: [u32; 4] = [0, 1, u32::MAX, u32::MAX - 9];

/// (client ISN, server ISN) pairs: each of [`ISNS`] on both sides, then the pair that puts
/// the 2^32 wrap 3 bytes after the first `client_before` bytes of the client's stream and
/// the first `server_before` bytes of the server's.
fn isn_pairs(client_before: usize, server_before: usize) -> Vec<(u32, u32)> {
    let wrap_after = |n: usize| 0u32.wrapping_sub(1 + n as u32 + 3);
    let mut v: Vec<(u32, u32)> = ISNS.iter().map(|&i| (i, i)).collect();
    v.push((wrap_after(client_before), wrap_after(server_before)));
    v
}

/// The counters without `segments` (how segments are counted is not a rule of the spec).
fn tcp(c: Counters) -> Counters {
    Counters { segments: 0, ..c }
}

/// Counters of a direction that delivered `bytes` with nothing unusual.
fn clean(bytes: usize) -> Counters {
    Counters {
        bytes: bytes as u64,
        ..Counters::default()
    }
}

/// The kinds of the findings, in order.
fn kinds(c: &ConnectionReport) -> Vec<Kind> {
    c.findings.iter().map(|f| f.kind).collect()
}

/// `bytes` from `from` at sequence number `seq` (a retransmission, or a segment sent out of
/// order). The side's next sequence number moves only if this segment ends past it.
fn send_at(s: &mut Session, from: Role, seq: u32, bytes: &[u8]) -> u64 {
    let n = s.emit(from, 0, seq, bytes, None);
    let end = seq.wrapping_add(bytes.len() as u32);
    let i = side(from);
    if end.wrapping_sub(s.next[i]) as i32 > 0 {
        s.next[i] = end;
    }
    n
}

/// Where the pieces of `len` bytes cut at `cuts` start, and `len`.
fn bounds(cuts: &[usize], len: usize) -> Vec<usize> {
    [0].iter().chain(cuts).chain(&[len]).copied().collect()
}

/// `bytes` from `from` cut at `cuts` into pieces, the pieces captured in the order `order`
/// (indices of pieces). Returns the packet number of each piece, by piece index.
fn send_pieces(
    s: &mut Session,
    from: Role,
    bytes: &[u8],
    cuts: &[usize],
    order: &[usize],
) -> Vec<u64> {
    let bounds = bounds(cuts, bytes.len());
    assert_eq!(order.len(), bounds.len() - 1);
    let base = s.next[side(from)];
    let mut pkts = vec![0; order.len()];
    for &i in order {
        let (a, b) = (bounds[i], bounds[i + 1]);
        pkts[i] = s.emit(from, 0, base.wrapping_add(a as u32), &bytes[a..b], None);
    }
    s.next[side(from)] = base.wrapping_add(bytes.len() as u32);
    pkts
}

/// Captures packet `n` again, byte for byte (a duplicate or a retransmission).
fn resend(s: &mut Session, n: u64) -> u64 {
    let mut p = s.pkts[n as usize - 1].clone();
    p.id = s.pkts.len() as u64 + 1;
    p.ts = s.clock;
    s.clock = Timestamp(s.clock.0 + 1_000_000);
    s.pkts.push(p);
    s.pkts.len() as u64
}

/// How many of the contiguous pieces of a stream, arriving in `order` (piece indices), come
/// ahead of a hole and so have to wait.
fn held_count(order: &[usize]) -> u64 {
    let mut have = vec![false; order.len()];
    let mut frontier = 0;
    let mut held = 0;
    for &i in order {
        if i > frontier {
            held += 1;
        }
        have[i] = true;
        while frontier < have.len() && have[frontier] {
            frontier += 1;
        }
    }
    held
}

/// `n` distinct indices in a random order.
fn shuffled(n: usize, rng: &mut Rng) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut v);
    v
}

/// One direction's stream as the assembler hands it out: bytes, `None` for gap bytes.
#[derive(Default)]
struct Stream {
    bytes: Vec<Option<u8>>,
    gaps: Vec<(u64, u64)>,
    /// (offset, length, packet) of each `Data` event.
    data: Vec<(u64, usize, u64)>,
}

impl Stream {
    fn push(&mut self, e: Event<'_>) {
        match e {
            Event::Data {
                offset,
                bytes,
                packet,
                ..
            } => {
                assert_eq!(offset, self.bytes.len() as u64, "data out of order");
                assert!(!bytes.is_empty(), "empty data event");
                self.data.push((offset, bytes.len(), packet));
                self.bytes.extend(bytes.iter().map(|&b| Some(b)));
            }
            Event::Gap { offset, len, .. } => {
                assert_eq!(offset, self.bytes.len() as u64, "gap out of order");
                assert!(len > 0, "empty gap");
                self.gaps.push((offset, len));
                self.bytes.extend(std::iter::repeat_n(None, len as usize));
            }
        }
    }
}

/// A `HalfStream` and what it delivered. Offsets passed to its methods are relative to the
/// first data byte's sequence number (`ISN + 1`), wrapping.
struct Half {
    h: HalfStream,
    out: Stream,
    /// Sequence number of offset 0.
    base: u32,
    limits: Limits,
}

impl Half {
    /// A direction whose SYN was seen.
    fn syn(isn: u32) -> Half {
        let mut half = Half::midstream(isn.wrapping_add(1));
        half.h.syn(isn);
        half
    }

    /// A direction picked up mid-stream; `base` is the sequence number offsets count from.
    fn midstream(base: u32) -> Half {
        Half {
            h: HalfStream::new(),
            out: Stream::default(),
            base,
            limits: Limits::default(),
        }
    }

    fn seg(&mut self, off: u64, data: &[u8]) {
        self.segment(off, data, 0, false, 1);
    }

    fn segment(&mut self, off: u64, data: &[u8], missing: u32, fin: bool, packet: u64) {
        let Half {
            h,
            out,
            base,
            limits,
        } = self;
        h.segment(
            base.wrapping_add(off as u32),
            data,
            missing,
            fin,
            packet,
            Timestamp(0),
            limits,
            &mut |e| out.push(e),
        );
    }

    fn ack(&mut self, off: u64) {
        let Half { h, out, base, .. } = self;
        h.peer_ack(base.wrapping_add(off as u32), 0, Timestamp(0));
        // The window a connection gives a reordered segment is over at once here.
        h.give_up(&Limits::default(), &mut |e| out.push(e));
    }

    fn flush(&mut self) {
        let Half { h, out, .. } = self;
        h.flush(&mut |e| out.push(e));
    }

    /// The stream so far, `_` for gap bytes.
    fn text(&self) -> String {
        self.out
            .bytes
            .iter()
            .map(|b| b.map_or('_', char::from))
            .collect()
    }

    fn bytes(&self) -> Vec<u8> {
        self.out.bytes.iter().map(|b| b.expect("no gap")).collect()
    }
}

/// A UTF-8 text of 1-, 2-, 3- and 4-byte characters: a byte lost, doubled or moved breaks
/// the decoder's UTF-8 check or its frame boundaries.
fn utf8_text(n: usize) -> String {
    "añ€𝄞 ".repeat(n)
}

/// The report of `s`'s packets, captured in the order `order` (packet numbers, 1-based).
fn reordered(s: &Session, order: &[u64]) -> Report {
    let pkts: Vec<Pkt> = order
        .iter()
        .map(|&n| s.pkts[n as usize - 1].clone())
        .collect();
    analyze(s.link, &pkts)
}
