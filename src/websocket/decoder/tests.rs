//! The decoder on hand-made frames: permessage-deflate inflating, UTF-8 after inflating,
//! corrupt data and a decompression bomb; a close frame's masking key across segments.

use super::*;
use crate::vocab::Kind;
use flate2::{Compress, Compression, FlushCompress};

fn at(packet: u64) -> Origin {
    Origin {
        packet,
        ts: Timestamp(0),
        order: packet,
    }
}

/// An unmasked server frame.
fn frame(b0: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![b0];
    match payload.len() {
        n if n < 126 => f.push(n as u8),
        n => {
            f.push(126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    f.extend_from_slice(payload);
    f
}

/// Compress like a permessage-deflate sender (sync flush, tail stripped).
fn deflate(c: &mut Compress, msg: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(msg.len() * 2 + 64);
    c.compress_vec(msg, &mut out, FlushCompress::Sync).unwrap();
    out.truncate(out.len() - 4);
    out
}

fn server_with_inflater() -> Decoder {
    let mut d = Decoder::new(Role::Server, true);
    d.set_inflater(Inflater::new(false, 1 << 20));
    d
}

fn kinds(f: &Findings) -> Vec<Kind> {
    f.items.iter().map(|f| f.kind).collect()
}

#[test]
fn compressed_text_is_inflated_and_checked_across_messages() {
    let mut c = Compress::new(Compression::default(), false);
    let mut d = server_with_inflater();
    let mut f = Findings::default();
    let m1 = deflate(&mut c, "grüße, grüße, grüße, grüße".as_bytes());
    let m2 = deflate(&mut c, "grüße again".as_bytes());
    d.data(&frame(0xC1, &m1), at(1), &mut f);
    d.data(&frame(0xC1, &m2), at(2), &mut f);
    assert!(f.items.is_empty(), "{:?}", f.items);
    assert_eq!(d.stats.messages, 2);
    assert_eq!(d.stats.compressed_messages, 2);
    // Sizes are the inflated ones.
    assert_eq!(
        d.stats.largest_message,
        Some(("grüße, grüße, grüße, grüße".len() as u64, 1))
    );
}

#[test]
fn invalid_utf8_inside_compressed_text_is_found_after_inflating() {
    let mut c = Compress::new(Compression::default(), false);
    let mut d = server_with_inflater();
    let mut f = Findings::default();
    let m = deflate(&mut c, b"ok so far \xc3\x28 then bad");
    d.data(&frame(0xC1, &m), at(5), &mut f);
    assert_eq!(kinds(&f), vec![Kind::InvalidUtf8Text]);
    assert_eq!(f.items[0].packet, Some(5));
    assert!(
        f.items[0]
            .detail
            .contains("inflated text message is not valid UTF-8 at message byte 10"),
        "{}",
        f.items[0].detail
    );
}

#[test]
fn corrupt_compressed_data_is_a_finding_and_stops_inflating() {
    let mut d = server_with_inflater();
    let mut f = Findings::default();
    d.data(&frame(0xC1, b"\xff\xff\xff\xff\xff\xff"), at(3), &mut f);
    assert_eq!(kinds(&f), vec![Kind::InflateFailed]);
    // The decoder stays in sync: a later close frame is still read.
    d.data(&frame(0x88, b"\x03\xefbad data"), at(4), &mut f);
    assert_eq!(d.closes[0].code, Some(1007));
}

#[test]
fn a_decompression_bomb_hits_the_cap() {
    let mut c = Compress::new(Compression::best(), false);
    let mut d = server_with_inflater();
    let mut f = Findings::default();
    let bomb = deflate(&mut c, &vec![b'a'; 4 << 20]);
    assert!(bomb.len() < 65_000);
    d.data(&frame(0xC2, &bomb), at(9), &mut f);
    assert_eq!(kinds(&f), vec![Kind::InflateCapHit]);
}

#[test]
fn without_an_inflater_compressed_text_is_not_judged() {
    let mut d = Decoder::new(Role::Server, true);
    let mut f = Findings::default();
    d.data(&frame(0xC1, b"\xff\xfe not deflate"), at(1), &mut f);
    assert!(f.items.is_empty());
    assert_eq!(d.stats.compressed_messages, 1);
}

/// A client's masked close frame (Caddy's recorded `88827ae5d5e6790c`: 1001, key
/// 7ae5d5e6, and one with a reason) keeps its masking key however its bytes are cut: in
/// two at every byte, and a byte a segment; a server's unmasked one keeps none.
#[test]
fn a_close_frames_masking_key_is_kept_at_every_split() {
    let key = [0x7a, 0xe5, 0xd5, 0xe6];
    let masked = |payload: &[u8]| {
        let mut f = vec![0x88, 0x80 | payload.len() as u8];
        f.extend_from_slice(&key);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        f
    };
    let caddy = masked(&1001u16.to_be_bytes());
    assert_eq!(caddy, [0x88, 0x82, 0x7a, 0xe5, 0xd5, 0xe6, 0x79, 0x0c]);
    let with_reason = masked(b"\x0f\xa0bye");
    for (bytes, code, reason) in [(&caddy, 1001, ""), (&with_reason, 4000, "bye")] {
        let mut cuts: Vec<Vec<&[u8]>> = (1..bytes.len())
            .map(|k| vec![&bytes[..k], &bytes[k..]])
            .collect();
        cuts.push(bytes.chunks(1).collect());
        for parts in cuts {
            let mut d = Decoder::new(Role::Client, false);
            let mut f = Findings::default();
            for (i, p) in parts.iter().enumerate() {
                d.data(p, at(i as u64 + 1), &mut f);
            }
            assert_eq!(d.closes.len(), 1, "{parts:?}");
            let c = &d.closes[0];
            assert_eq!(c.mask_key, Some(key), "{parts:?}");
            assert_eq!((c.code, c.reason.as_str()), (Some(code), reason));
            assert_eq!(c.packet, parts.len() as u64);
        }
    }
    let mut d = Decoder::new(Role::Server, false);
    d.data(&frame(0x88, b"\x03\xe9"), at(1), &mut Findings::default());
    assert_eq!((d.closes[0].code, d.closes[0].mask_key), (Some(1001), None));
}
