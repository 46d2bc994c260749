//! The assembler on hand-made segments: sequence wrap-around and every rule of
//! docs/reassembly.md it applies.

use super::hold::EARLY_MAX_SEGMENTS;
use super::*;

/// Collects the stream as bytes with `None` for gap bytes.
#[derive(Default)]
struct Sink {
    bytes: Vec<Option<u8>>,
    gaps: Vec<(u64, u64)>,
}

impl Sink {
    fn push(&mut self, e: Event<'_>) {
        match e {
            Event::Data { offset, bytes, .. } => {
                assert_eq!(offset as usize, self.bytes.len(), "data out of order");
                self.bytes.extend(bytes.iter().map(|&b| Some(b)));
            }
            Event::Gap { offset, len, .. } => {
                assert_eq!(offset as usize, self.bytes.len(), "gap out of order");
                self.gaps.push((offset, len));
                self.bytes.extend(std::iter::repeat_n(None, len as usize));
            }
        }
    }
    fn text(&self) -> String {
        self.bytes
            .iter()
            .map(|b| b.map_or('_', |b| b as char))
            .collect()
    }
}

/// A half stream that has seen its SYN with sequence number `isn`, an empty sink, and the
/// sequence number of its first byte.
fn after_syn(isn: u32) -> (HalfStream, Sink, u32) {
    let mut h = HalfStream::new();
    h.syn(isn);
    (h, Sink::default(), isn.wrapping_add(1))
}

fn seg(h: &mut HalfStream, sink: &mut Sink, seq: u32, data: &[u8]) {
    h.segment(
        seq,
        data,
        0,
        false,
        1,
        Timestamp(0),
        &Limits::default(),
        &mut |e| sink.push(e),
    );
}

const ISNS: [u32; 4] = [0, 1, u32::MAX, u32::MAX - 9];

#[test]
fn tail_keeps_the_last_recent_bytes_across_wraps() {
    let mut t = Tail::default();
    let mut all: Vec<u8> = Vec::new();
    let mut n = 0u8;
    for size in [0, 1, 7, 100, 255, 256, 3, 250, 300, 1, 129, 128, 256, 17] {
        let piece: Vec<u8> = (0..size)
            .map(|_| {
                n = n.wrapping_add(1);
                n
            })
            .collect();
        t.push(&piece);
        all.extend_from_slice(&piece);
        let want = &all[all.len().saturating_sub(RECENT)..];
        assert_eq!(t.iter().copied().collect::<Vec<u8>>(), want, "after {size}");
        assert_eq!(usize::from(t.len), want.len());
    }
}

#[test]
fn in_order_out_of_order_and_duplicates() {
    for isn in ISNS {
        let (mut h, mut s, b) = after_syn(isn);
        seg(&mut h, &mut s, b, b"abc");
        seg(&mut h, &mut s, b.wrapping_add(6), b"ghi");
        assert_eq!(s.text(), "abc");
        seg(&mut h, &mut s, b.wrapping_add(3), b"def");
        assert_eq!(s.text(), "abcdefghi", "isn {isn}");
        seg(&mut h, &mut s, b.wrapping_add(3), b"def");
        // Retransmission reaching past the frontier: only the tail is new.
        seg(&mut h, &mut s, b.wrapping_add(6), b"ghijk");
        assert_eq!(s.text(), "abcdefghijk");
        assert_eq!(h.counters.retransmissions, 2);
        assert!(s.gaps.is_empty());
    }
}

#[test]
fn reversed_segments() {
    for isn in ISNS {
        let (mut h, mut s, b) = after_syn(isn);
        let text = b"0123456789abcdefghij";
        for i in (0..10u32).rev() {
            let off = (i * 2) as usize;
            seg(&mut h, &mut s, b.wrapping_add(i * 2), &text[off..off + 2]);
        }
        assert_eq!(s.text().as_bytes(), text);
    }
}

#[test]
fn first_bytes_win_among_held() {
    let (mut h, mut s, _) = after_syn(100);
    seg(&mut h, &mut s, 105, b"XYZ");
    seg(&mut h, &mut s, 104, b"-xyz-");
    seg(&mut h, &mut s, 101, b"abc");
    assert_eq!(s.text(), "abc-XYZ-");
    assert_eq!(h.counters.inconsistencies, 1);
}

#[test]
fn hole_is_a_gap_at_flush_never_spliced() {
    let (mut h, mut s, _) = after_syn(0);
    seg(&mut h, &mut s, 1, b"ab");
    seg(&mut h, &mut s, 6, b"fg");
    h.flush(&mut |e| s.push(e));
    assert_eq!(s.text(), "ab___fg");
    assert_eq!(s.gaps, vec![(2, 3)]);
    assert_eq!(h.counters.missing_bytes, 3);
}

#[test]
fn ack_past_hole_is_a_gap_once_the_wait_is_given_up() {
    let (mut h, mut s, _) = after_syn(0);
    seg(&mut h, &mut s, 1, b"ab");
    seg(&mut h, &mut s, 6, b"fg");
    h.peer_ack(8, 9, Timestamp(5));
    assert_eq!(s.text(), "ab", "held: the segment may come later");
    assert_eq!(h.held_since(), Some((9, Timestamp(5))));
    h.give_up(&Limits::default(), &mut |e| s.push(e));
    assert_eq!(s.text(), "ab___fg");
    assert_eq!(h.held_since(), None);
}

#[test]
fn acked_bytes_arriving_after_the_ack_are_no_gap() {
    for isn in ISNS {
        let (mut h, mut s, b) = after_syn(isn);
        seg(&mut h, &mut s, b, b"ab");
        // The ACK of "abcde" is captured before the segment "cde" (Wireshark: "ACKed
        // unseen segment"), and a later ACK reaches further still.
        h.peer_ack(b.wrapping_add(5), 3, Timestamp(1));
        seg(&mut h, &mut s, b.wrapping_add(5), b"fg");
        h.peer_ack(b.wrapping_add(7), 5, Timestamp(2));
        assert_eq!(h.held_since(), Some((3, Timestamp(1))));
        seg(&mut h, &mut s, b.wrapping_add(2), b"cde");
        assert_eq!(s.text(), "abcdefg", "isn {isn}");
        assert_eq!(h.held_since(), None, "nothing left to wait for");
        h.give_up(&Limits::default(), &mut |e| s.push(e));
        h.flush(&mut |e| s.push(e));
        assert!(s.gaps.is_empty());
        assert_eq!(h.counters.gaps, 0);
    }
}

#[test]
fn acked_holes_all_become_gaps_marked_with_the_ack() {
    let mut h = HalfStream::new();
    let mut gaps = Vec::new();
    let mut s = Sink::default();
    h.syn(0);
    seg(&mut h, &mut s, 1, b"a");
    seg(&mut h, &mut s, 4, b"d");
    seg(&mut h, &mut s, 7, b"g");
    h.peer_ack(10, 8, Timestamp(0));
    h.flush(&mut |e| {
        if let Event::Gap { packet, .. } = e {
            gaps.push(packet);
        }
        s.push(e)
    });
    // Every hole below the ACK, the last one after the last held byte too.
    assert_eq!(s.text(), "a__d__g__");
    assert_eq!(gaps, vec![Some(8); 3]);
}

#[test]
fn fin_reached_only_after_all_data() {
    let (mut h, mut s, _) = after_syn(0);
    h.segment(
        4,
        b"d",
        0,
        true,
        3,
        Timestamp(0),
        &Limits::default(),
        &mut |e| s.push(e),
    );
    assert!(!h.fin_reached());
    seg(&mut h, &mut s, 1, b"abc");
    assert!(h.fin_reached());
    assert_eq!(s.text(), "abcd");
}

#[test]
fn snaplen_cut_becomes_gap() {
    let (mut h, mut s, _) = after_syn(0);
    let mut cuts = Vec::new();
    h.segment(
        1,
        b"ab",
        3,
        false,
        1,
        Timestamp(0),
        &Limits::default(),
        &mut |e| {
            if let Event::Gap { cut, .. } = e {
                cuts.push(cut);
            }
            s.push(e)
        },
    );
    seg(&mut h, &mut s, 6, b"f");
    assert_eq!(s.text(), "ab___f");
    assert_eq!(
        cuts,
        vec![true],
        "the gap says it was cut by the snap length"
    );
}

#[test]
fn midstream_pickup_is_partial_not_gap() {
    let mut h = HalfStream::new();
    let mut s = Sink::default();
    seg(&mut h, &mut s, 5000, b"xy");
    seg(&mut h, &mut s, 5002, b"z");
    assert!(h.partial);
    assert_eq!(s.text(), "xyz");
    assert!(s.gaps.is_empty());
}

#[test]
fn cap_forces_gap_and_keeps_bounded() {
    let limits = Limits {
        max_pending_bytes: 10,
        max_pending_ranges: 100,
    };
    let (mut h, mut s, _) = after_syn(0);
    for i in 0..5u32 {
        h.segment(
            11 + i * 4,
            b"abcd",
            0,
            false,
            1,
            Timestamp(0),
            &limits,
            &mut |e| s.push(e),
        );
    }
    assert!(h.cap_hit);
    assert!(h.pending.bytes() <= 10);
    h.flush(&mut |e| s.push(e));
    assert_eq!(s.text(), "__________abcdabcdabcdabcdabcd");
}

#[test]
fn stream_past_4_gib() {
    let mut h = HalfStream::new();
    let mut s_len = 0u64;
    h.syn(u32::MAX - 3);
    let chunk = vec![7u8; 1 << 16];
    let mut seq = (u32::MAX - 3).wrapping_add(1);
    for _ in 0..(1u64 << 16) + 2 {
        h.segment(
            seq,
            &chunk,
            0,
            false,
            1,
            Timestamp(0),
            &Limits::default(),
            &mut |e| {
                if let Event::Data { offset, bytes, .. } = e {
                    assert_eq!(offset, s_len);
                    s_len += bytes.len() as u64;
                }
            },
        );
        seq = seq.wrapping_add(1 << 16);
    }
    assert!(s_len > 1 << 32);
    assert_eq!(h.counters.gaps, 0);
}

#[test]
fn data_before_the_syn_is_held_and_released_by_it() {
    for isn in ISNS {
        let mut h = HalfStream::new();
        let mut s = Sink::default();
        let b = isn.wrapping_add(1);
        seg(&mut h, &mut s, b.wrapping_add(3), b"def");
        assert_eq!(s.text(), "", "held while the start is unknown");
        assert!(h.held_since().is_some());
        h.syn(isn);
        h.release(&Limits::default(), &mut |e| s.push(e));
        assert_eq!(s.text(), "", "held out of order behind the SYN's start");
        seg(&mut h, &mut s, b, b"abc");
        assert_eq!(s.text(), "abcdef", "isn {isn}");
        assert!(!h.partial);
        assert!(s.gaps.is_empty());
    }
}

#[test]
fn midstream_segments_reordered_before_the_stream_moves_on_lose_nothing() {
    let mut h = HalfStream::new();
    let mut s = Sink::default();
    seg(&mut h, &mut s, 5003, b"def");
    seg(&mut h, &mut s, 5000, b"abc");
    assert_eq!(s.text(), "");
    // Past the end of what is held: no SYN is coming, start at the lowest byte.
    seg(&mut h, &mut s, 5006, b"gh");
    assert_eq!(s.text(), "abcdefgh");
    assert!(h.partial);
    assert!(s.gaps.is_empty());
    assert_eq!(h.held_since(), None);
}

#[test]
fn held_data_is_flushed_at_the_end() {
    let mut h = HalfStream::new();
    let mut s = Sink::default();
    seg(&mut h, &mut s, 77, b"only");
    assert_eq!(s.text(), "");
    h.flush(&mut |e| s.push(e));
    assert_eq!(s.text(), "only");
    assert!(h.partial);
    assert!(s.gaps.is_empty());
}

#[test]
fn data_held_before_the_start_is_bounded() {
    // Segments that keep going back (each before the last) are held up to the cap;
    // then the lowest held starts the stream, and what comes before it afterwards is
    // before the start (as for any stream picked up mid-way).
    let mut h = HalfStream::new();
    let mut s = Sink::default();
    let n = EARLY_MAX_SEGMENTS as u32 + 3;
    for i in (0..n).rev() {
        seg(&mut h, &mut s, 1000 + i * 2, b"xy");
        assert!(h.early().len() <= EARLY_MAX_SEGMENTS);
    }
    assert_eq!(s.text(), "xy".repeat(EARLY_MAX_SEGMENTS));
    assert!(s.gaps.is_empty());
    assert_eq!(h.counters.bytes, 2 * EARLY_MAX_SEGMENTS as u64);
    assert_eq!(h.counters.retransmissions, 3);
    assert!(h.partial);

    // One large segment is not held at all.
    let mut h = HalfStream::new();
    let mut s = Sink::default();
    let big = vec![b'b'; EARLY_MAX_BYTES + 1];
    seg(&mut h, &mut s, 9, &big);
    assert_eq!(s.bytes.len(), big.len());
    assert!(h.early_bytes() <= EARLY_MAX_BYTES);
}

/// Giving up what is held (the memory budget): the held ranges are delivered after gaps
/// over the holes before them, nothing stays held, nothing is made up, and the stream goes
/// on in order from there. Segments held before the SYN go too.
#[test]
fn shed_delivers_held_ranges_past_gaps_and_holds_nothing() {
    for isn in ISNS {
        let (mut h, mut s, b) = after_syn(isn);
        seg(&mut h, &mut s, b, b"ab");
        seg(&mut h, &mut s, b.wrapping_add(4), b"ef");
        seg(&mut h, &mut s, b.wrapping_add(8), b"ij");
        assert_eq!(h.held(), (4, 2));
        assert!(h.shed(9, &mut |e| s.push(e)));
        assert_eq!(h.held(), (0, 0));
        assert_eq!(s.text(), "ab__ef__ij");
        assert_eq!(s.gaps, vec![(2, 2), (6, 2)]);
        assert_eq!((h.counters.gaps, h.counters.missing_bytes), (2, 4));
        // Nothing held: nothing to give up.
        assert!(!h.shed(10, &mut |e| s.push(e)));
        seg(&mut h, &mut s, b.wrapping_add(10), b"k");
        assert_eq!(s.text(), "ab__ef__ijk");
    }
    // Before the SYN: the held segments start the stream (partial), as a release does.
    let mut h = HalfStream::new();
    let mut s = Sink::default();
    seg(&mut h, &mut s, 100, b"abc");
    assert_eq!(h.held(), (3, 1));
    assert!(h.shed(2, &mut |e| s.push(e)));
    assert_eq!(
        (h.held(), s.text().as_str(), h.partial),
        ((0, 0), "abc", true)
    );
}
