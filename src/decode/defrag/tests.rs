use super::*;
use crate::decode::decode;
use etherparse::PacketBuilder;

/// An IPv4/TCP packet (raw IP) with identification `id` carrying `payload`.
fn tcp_packet(id: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(40_000, 8080, 1_000, 512)
        .ack(77)
        .write(&mut v, payload)
        .unwrap();
    if let Some(h) = v.get_mut(4..6) {
        h.copy_from_slice(&id.to_be_bytes());
    }
    v
}

/// `packet` (raw IPv4, 20-byte header) cut into fragments at the payload offsets `cuts`
/// (multiples of 8).
fn fragments(packet: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let (head, payload) = packet.split_at(20);
    let mut out = Vec::new();
    let mut at = 0;
    for (i, &end) in cuts.iter().chain([payload.len()].iter()).enumerate() {
        let more = i < cuts.len();
        let mut h = head.to_vec();
        h[2..4].copy_from_slice(&((20 + end - at) as u16).to_be_bytes());
        let flags = (u16::from(more) << 13) | (at / 8) as u16;
        h[6..8].copy_from_slice(&flags.to_be_bytes());
        h[10..12].copy_from_slice(&[0, 0]);
        let sum = checksum(&h);
        h[10..12].copy_from_slice(&sum.to_be_bytes());
        h.extend_from_slice(&payload[at..end]);
        out.push(h);
        at = end;
    }
    out
}

fn pkt(data: &[u8], number: u64, secs: i64) -> Packet<'_> {
    Packet {
        options: Default::default(),
        number,
        ts: Timestamp(1_700_000_000_000_000_000 + secs * 1_000_000_000),
        link: LinkType::RAW,
        data,
        orig_len: data.len() as u32,
        iface: None,
    }
}

/// Feeds `frags` in `order`; the whole packet if one came.
fn feed(d: &mut Defrag, frags: &[Vec<u8>], order: &[usize]) -> Option<Vec<u8>> {
    let mut whole = None;
    for (n, &i) in order.iter().enumerate() {
        let taken = d.take(&pkt(&frags[i], n as u64 + 1, 0));
        let got = taken.expect("an IPv4 fragment of TCP is taken");
        if let Some(w) = got {
            assert!(whole.is_none(), "completed twice");
            whole = Some(w);
        }
    }
    whole
}

#[test]
fn fragments_in_any_order_give_back_the_packet() {
    let payload: Vec<u8> = (0..1000).map(|i| (i % 251) as u8).collect();
    let packet = tcp_packet(7, &payload);
    let frags = fragments(&packet, &[8, 400, 808]);
    let want = decode(&pkt(&packet, 1, 0)).unwrap();
    for order in [
        vec![0, 1, 2, 3],
        vec![3, 2, 1, 0],
        vec![2, 0, 3, 1],
        // A fragment captured twice.
        vec![1, 1, 0, 3, 2],
    ] {
        let mut d = Defrag::default();
        let whole = feed(&mut d, &frags, &order).unwrap_or_else(|| panic!("{order:?}"));
        // Only the fragment fields and the checksum differ from the original.
        assert_eq!(whole.len(), packet.len());
        assert_eq!(whole[20..], packet[20..]);
        assert_eq!(checksum(&whole[..20]), 0, "a valid header checksum");
        let seg = decode(&pkt(&whole, 1, 0)).unwrap();
        assert_eq!(
            (seg.src, seg.dst, seg.seq, seg.ack, seg.payload),
            (want.src, want.dst, want.seq, want.ack, want.payload)
        );
        assert_eq!(d.lost(), (0, None));
        assert_eq!(d.held(), 0);
        assert_eq!(d.reassembled, 1);
    }
    // A packet that is no fragment is not taken; nor a fragment of another protocol.
    let mut d = Defrag::default();
    assert!(d.take(&pkt(&packet, 1, 0)).is_none());
    let mut udp = frags[0].clone();
    udp[9] = 17;
    assert!(d.take(&pkt(&udp, 1, 0)).is_none());
}

#[test]
fn fragments_that_disagree_or_were_cut_are_given_up() {
    let payload = vec![b'a'; 64];
    let packet = tcp_packet(9, &payload);
    let frags = fragments(&packet, &[16, 48]);
    // Another fragment over the same bytes, with other bytes (a teardrop or an evasion).
    let mut other = frags[1].clone();
    let n = other.len();
    other[n - 1] ^= 0xff;
    let mut d = Defrag::default();
    assert_eq!(d.take(&pkt(&frags[0], 1, 0)), Some(None));
    assert_eq!(d.take(&pkt(&frags[1], 2, 0)), Some(None));
    assert_eq!(d.take(&pkt(&other, 3, 0)), Some(None));
    assert_eq!(d.lost(), (3, Some(1)));
    // The last fragment, now alone, does not complete anything.
    assert_eq!(d.take(&pkt(&frags[2], 4, 0)), Some(None));
    d.finish();
    assert_eq!(d.lost(), (1, Some(4)));
    // A fragment the snap length cut: its datagram cannot come whole.
    let mut d = Defrag::default();
    let cut = &frags[1][..frags[1].len() - 4];
    let p = Packet {
        orig_len: frags[1].len() as u32,
        ..pkt(cut, 2, 0)
    };
    assert_eq!(d.take(&pkt(&frags[0], 1, 0)), Some(None));
    assert_eq!(d.take(&p), Some(None));
    assert_eq!(d.take(&pkt(&frags[2], 3, 0)), Some(None));
    d.finish();
    assert_eq!(d.lost(), (3, Some(1)));
    // Fragments reaching past 65 535 bytes.
    let mut d = Defrag::default();
    let mut far = frags[2].clone();
    far[6..8].copy_from_slice(&0x1fffu16.to_be_bytes());
    assert_eq!(d.take(&pkt(&far, 1, 0)), Some(None));
    assert_eq!(d.lost(), (1, Some(1)));
    // A datagram whose payload fits but whose header then does not: 65 528 bytes of
    // fragments after a first one of 8, 20 bytes of header.
    let mut d = Defrag::default();
    let big = tcp_packet(11, &vec![3u8; 65_515 - 20]);
    let mut frags = fragments(&big, &[8]);
    let last = &mut frags[1];
    let extra = vec![3u8; 8];
    last.extend_from_slice(&extra);
    let len = (last.len()) as u16;
    last[2..4].copy_from_slice(&len.to_be_bytes());
    assert_eq!(d.take(&pkt(&frags[0], 1, 0)), Some(None));
    assert_eq!(d.take(&pkt(&frags[1], 2, 0)), Some(None));
    assert_eq!(d.lost(), (2, Some(1)));
}

#[test]
fn what_is_held_stays_bounded() {
    // Many datagrams whose last fragment never comes: at most MAX_DATAGRAMS wait, the
    // oldest given up first, and never more than MAX_BYTES.
    let payload = vec![7u8; 1400];
    let mut d = Defrag::default();
    let total = MAX_DATAGRAMS as u64 * 3;
    for id in 0..total {
        let packet = tcp_packet(id as u16, &payload);
        let frags = fragments(&packet, &[1376]);
        assert_eq!(d.take(&pkt(&frags[0], id + 1, 0)), Some(None));
        assert!(d.pending.len() <= MAX_DATAGRAMS);
        assert!(d.held() <= MAX_BYTES, "{}", d.held());
    }
    assert_eq!(d.lost(), (total - MAX_DATAGRAMS as u64, Some(1)));
    // Large datagrams: the bytes bound gives up the oldest.
    let big = vec![1u8; 60_000];
    let mut d = Defrag::default();
    for id in 0..40u16 {
        let packet = tcp_packet(id, &big);
        let frags = fragments(&packet, &[59_000]);
        assert_eq!(d.take(&pkt(&frags[0], u64::from(id) + 1, 0)), Some(None));
        assert!(d.held() <= MAX_BYTES, "{}", d.held());
    }
    assert!(d.lost().0 > 0);
    // The share follows --max-memory: at the least budget, 32 MiB, two datagrams of 60 000
    // bytes at a time (128 KiB), the oldest given up for each new one.
    let mut d = Defrag::new(32 << 20);
    assert_eq!(d.cap(), MIN_BYTES);
    for id in 0..4u16 {
        let packet = tcp_packet(id, &big);
        let frags = fragments(&packet, &[59_000]);
        assert_eq!(d.take(&pkt(&frags[0], u64::from(id) + 1, 0)), Some(None));
        assert!(d.held() <= MIN_BYTES, "{}", d.held());
    }
    assert_eq!(d.lost(), (2, Some(1)));
    assert_eq!(Defrag::new(1 << 30).cap(), MAX_BYTES);
    // A datagram not completed within the timeout is given up when a later fragment comes.
    let mut d = Defrag::default();
    let frags = fragments(&tcp_packet(1, &payload), &[1376]);
    let later = fragments(&tcp_packet(2, &payload), &[1376]);
    assert_eq!(d.take(&pkt(&frags[0], 1, 0)), Some(None));
    assert_eq!(d.take(&pkt(&later[0], 2, 31)), Some(None));
    assert_eq!(d.take(&pkt(&frags[1], 3, 31)), Some(None));
    assert_eq!(d.lost(), (1, Some(1)));
    // Tiny fragments: more than MAX_PARTS give the datagram up.
    let packet = tcp_packet(3, &vec![5u8; 8 * (MAX_PARTS + 8)]);
    let cuts: Vec<usize> = (1..MAX_PARTS + 8).map(|i| i * 8).collect();
    let frags = fragments(&packet, &cuts);
    let order: Vec<usize> = (0..frags.len()).collect();
    let mut d = Defrag::default();
    assert_eq!(feed(&mut d, &frags, &order), None);
    assert!(d.lost().0 > 0);
}
