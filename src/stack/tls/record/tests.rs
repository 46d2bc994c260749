//! Record framing at every split, and the four protections (TLS 1.3 AEAD, TLS 1.2 GCM,
//! ChaCha20, CBC in both MAC orders) sealed and opened.

use super::super::keys::{suite, tls12_keys, tls13_traffic_keys, KeyBytes, TrafficKeys};
use super::aead::xor_seq;
use super::cipher::Protection;
use super::*;
use aes::Aes128;
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::KeyIvInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Frames `stream` cut at `cuts` (chunk i carried by packet i + 1). `reuse`: the
/// caller's buffer is emptied after each record (a spanning record's own buffer is
/// handed over), else it keeps everything (spanning records are copied after it).
fn frame_with(stream: &[u8], cuts: &[usize], reuse: bool) -> Result<Vec<Record>, FrameError> {
    let mut f = Framer::default();
    let mut out = Vec::new();
    let mut buf = if reuse { Vec::new() } else { vec![0xee] };
    let mut start = 0;
    for (i, &cut) in cuts.iter().chain([stream.len()].iter()).enumerate() {
        let mut bytes = &stream[start..cut];
        while let Some((head, at)) = f.next(&mut bytes, i as u64 + 1, &mut buf)? {
            out.push(Record {
                content_type: head.content_type,
                version: head.version,
                payload: buf[at..].to_vec(),
                packet: head.packet,
            });
            if reuse {
                buf.clear();
            }
        }
        assert!(bytes.is_empty());
        start = cut;
    }
    if !reuse {
        // What was in the buffer before stays, and the payloads follow one another.
        assert_eq!(buf[0], 0xee);
        assert_eq!(
            buf.len(),
            1 + out.iter().map(|r| r.payload.len()).sum::<usize>()
        );
    }
    Ok(out)
}

fn frame_all(stream: &[u8], cuts: &[usize]) -> Result<Vec<Record>, FrameError> {
    let reused = frame_with(stream, cuts, true);
    assert_eq!(reused, frame_with(stream, cuts, false));
    reused
}

fn rec(ty: u8, payload: &[u8]) -> Vec<u8> {
    let mut r = vec![ty, 3, 3];
    r.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    r.extend_from_slice(payload);
    r
}

#[test]
fn framing_at_every_split_and_completing_packet() {
    let stream = [rec(22, &[1; 10]), rec(23, &[2; 300]), rec(21, &[1, 0])].concat();
    // One chunk: all three records, packet 1.
    let all = frame_all(&stream, &[]).unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[1].payload, vec![2; 300]);
    assert!(all.iter().all(|r| r.packet == 1));
    for a in 0..stream.len() {
        for b in [a, (a + 1).min(stream.len()), (a + 157).min(stream.len())] {
            let got = frame_all(&stream, &[a, b]).unwrap();
            assert_eq!(
                got.iter()
                    .map(|r| (r.content_type, r.payload.clone()))
                    .collect::<Vec<_>>(),
                all.iter()
                    .map(|r| (r.content_type, r.payload.clone()))
                    .collect::<Vec<_>>()
            );
            // The packet that completed each record: chunk 1 is [0,a), 2 is [a,b), 3 the rest.
            let ends = [15usize, 15 + 305, stream.len()];
            for (r, end) in got.iter().zip(ends) {
                let want = if end <= a {
                    1
                } else if end <= b {
                    2
                } else {
                    3
                };
                assert_eq!(r.packet, want, "a={a} b={b} end={end}");
            }
        }
    }
    // One byte at a time.
    let cuts: Vec<usize> = (1..stream.len()).collect();
    let got = frame_all(&stream, &cuts).unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(got[2].packet, stream.len() as u64);
}

#[test]
fn framing_rejects_long_and_non_tls() {
    let mut long = vec![23, 3, 3];
    long.extend_from_slice(&((MAX_RECORD + 1) as u16).to_be_bytes());
    assert_eq!(
        frame_all(&long, &[2]),
        Err(FrameError::TooLong {
            len: MAX_RECORD + 1,
            packet: 2
        })
    );
    let mut max = vec![23, 3, 3];
    max.extend_from_slice(&(MAX_RECORD as u16).to_be_bytes());
    max.extend(vec![0; MAX_RECORD]);
    assert_eq!(frame_all(&max, &[]).unwrap().len(), 1);
    assert_eq!(
        frame_all(b"GET / HTTP/1.1\r\n", &[]),
        Err(FrameError::NotTls { packet: 1 })
    );
    assert_eq!(
        frame_all(&[22, 2, 0, 0, 1, 0], &[]),
        Err(FrameError::NotTls { packet: 1 })
    );
    assert!(FrameError::TooLong { len: 1, packet: 2 }
        .to_string()
        .contains("packet 2"));
}

fn roundtrip(mut sealer: RecordCipher, mut opener: RecordCipher) {
    let messages: [(u8, &[u8]); 4] = [
        (22, b"\x14\x00\x00\x0cfinished...."),
        (23, b"GET /chat HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"),
        (23, &[0x88, 0x02, 0x03, 0xe8]),
        (21, &[1, 0]),
    ];
    let mut stream = Vec::new();
    for (i, (ty, m)) in messages.iter().enumerate() {
        stream.extend(sealer.seal(*ty, m, [i as u8; 16]));
    }
    let records = frame_all(&stream, &[3, 50]).unwrap();
    assert_eq!(records.len(), 4);
    for (mut r, (ty, m)) in records.into_iter().zip(messages) {
        assert_eq!(opener.open_record(&mut r), Ok(ty));
        assert_eq!(r.payload, m);
    }
    assert_eq!(opener.seq(), 4);
    // The next record under a wrong sequence number fails and leaves seq alone.
    sealer.seq += 1;
    let mut bad = frame_all(&sealer.seal(23, b"x", [9; 16]), &[])
        .unwrap()
        .remove(0);
    assert_eq!(opener.open_record(&mut bad), Err(OpenError::Auth));
    assert_eq!(opener.seq(), 4);
}

#[test]
fn tls13_round_trip_every_suite() {
    for (id, len) in [(0x1301, 32), (0x1302, 48), (0x1303, 32)] {
        let s = suite(id).unwrap();
        let keys = tls13_traffic_keys(s, &vec![5; len]).unwrap();
        roundtrip(
            RecordCipher::tls13(s, &keys).unwrap(),
            RecordCipher::tls13(s, &keys).unwrap(),
        );
    }
}

#[test]
fn tls12_round_trip_aead_and_cbc() {
    for id in [
        0xc02f, 0xc030, 0xcca8, 0x002f, 0x0035, 0xc013, 0xc014, 0x003c, 0x003d, 0xc027, 0xc028,
    ] {
        let s = suite(id).unwrap();
        let k = tls12_keys(s, &[7; 48], &[1; 32], &[2; 32]).unwrap();
        for etm in [false, true] {
            roundtrip(
                RecordCipher::tls12(s, &k.client, etm).unwrap(),
                RecordCipher::tls12(s, &k.client, etm).unwrap(),
            );
        }
        // The other direction's keys do not open these records.
        let mut sealer = RecordCipher::tls12(s, &k.client, false).unwrap();
        let mut opener = RecordCipher::tls12(s, &k.server, false).unwrap();
        let mut r = frame_all(&sealer.seal(23, b"hello", [3; 16]), &[])
            .unwrap()
            .remove(0);
        assert_eq!(opener.open_record(&mut r), Err(OpenError::Auth), "{id:04x}");
    }
}

/// A CBC record built independently with the `cbc` and `hmac` crates (RFC 5246
/// §6.2.3.2 layout), not with `seal`.
#[test]
fn tls12_cbc_sha256_record_built_by_hand() {
    use cbc::cipher::BlockEncryptMut;
    let mac_key = [0x11u8; 32];
    let enc_key = [0x22u8; 16];
    let iv = [0x33u8; 16];
    let content = b"\x81\x05hello";
    // MAC over seq(0) || type 23 || 0x0303 || len || content.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&mac_key).unwrap();
    m.update(&[0, 0, 0, 0, 0, 0, 0, 0, 23, 3, 3, 0, content.len() as u8]);
    m.update(content);
    let tag = m.finalize().into_bytes();
    let mut plain = [content.as_slice(), &tag].concat();
    let pad = 15 - plain.len() % 16;
    plain.extend(std::iter::repeat_n(pad as u8, pad + 1));
    let n = plain.len();
    cbc::Encryptor::<Aes128>::new_from_slices(&enc_key, &iv)
        .unwrap()
        .encrypt_padded_mut::<NoPadding>(&mut plain, n)
        .unwrap();
    let mut record = Record {
        content_type: 23,
        version: 0x0303,
        payload: [iv.as_slice(), &plain].concat(),
        packet: 9,
    };
    let keys = TrafficKeys {
        mac_key: KeyBytes::new(&mac_key).unwrap(),
        key: KeyBytes::new(&enc_key).unwrap(),
        iv: KeyBytes::EMPTY,
    };
    let s = suite(0x003c).unwrap(); // TLS_RSA_WITH_AES_128_CBC_SHA256
    let mut c = RecordCipher::tls12(s, &keys, false).unwrap();
    let mut copy = record.clone();
    assert_eq!(c.open_record(&mut record), Ok(23));
    assert_eq!(record.payload, content);
    // A flipped ciphertext bit breaks the MAC or the padding: Auth either way.
    let last = copy.payload.len() - 20;
    copy.payload[last] ^= 1;
    let mut c = RecordCipher::tls12(s, &keys, false).unwrap();
    assert_eq!(c.open_record(&mut copy), Err(OpenError::Auth));
}

#[test]
fn a_failed_open_keeps_the_sequence_number() {
    for id in [0x1301, 0x1303] {
        let s = suite(id).unwrap();
        let k1 = tls13_traffic_keys(s, &[1; 32]).unwrap();
        let k2 = tls13_traffic_keys(s, &[2; 32]).unwrap();
        let mut sealer = RecordCipher::tls13(s, &k1).unwrap();
        let r = frame_all(&sealer.seal(23, b"payload", [0; 16]), &[])
            .unwrap()
            .remove(0);
        let mut wrong = RecordCipher::tls13(s, &k2).unwrap();
        assert_eq!(wrong.open_record(&mut r.clone()), Err(OpenError::Auth));
        assert_eq!(wrong.seq(), 0);
        let mut right = RecordCipher::tls13(s, &k1).unwrap();
        let mut r = r.clone();
        assert_eq!(right.open_record(&mut r), Ok(23));
        assert_eq!(r.payload, b"payload");
        assert_eq!(right.seq(), 1);
    }
}

#[test]
fn short_and_hostile_records_do_not_panic() {
    let s13 = suite(0x1301).unwrap();
    let k13 = tls13_traffic_keys(s13, &[1; 32]).unwrap();
    let mut ciphers = vec![RecordCipher::tls13(s13, &k13).unwrap()];
    for id in [0xc02f, 0xcca8, 0xc013, 0xc028] {
        let s = suite(id).unwrap();
        let k = tls12_keys(s, &[7; 48], &[1; 32], &[2; 32]).unwrap();
        ciphers.push(RecordCipher::tls12(s, &k.client, false).unwrap());
        ciphers.push(RecordCipher::tls12(s, &k.client, true).unwrap());
    }
    for c in &mut ciphers {
        for len in [0usize, 1, 15, 16, 17, 23, 24, 31, 32, 33, 48, 64, 100] {
            let mut r = Record {
                content_type: 23,
                version: 0x0303,
                payload: vec![0xa5; len],
                packet: 1,
            };
            assert!(c.open_record(&mut r).is_err(), "{c:?} len {len}");
        }
        assert_eq!(c.seq(), 0);
    }
    // TLS 1.3 record that authenticates but is all padding: Malformed.
    let mut sealer = RecordCipher::tls13(s13, &k13).unwrap();
    let mut body = vec![0u8; 4];
    let header = [23, 3, 3, 0, 20];
    let Protection::Tls13 { aead, iv } = &sealer.protection else {
        unreachable!()
    };
    let tag = aead.seal(xor_seq(iv, 0), &header, &mut body);
    body.extend(tag);
    let mut r = Record {
        content_type: 23,
        version: 0x0303,
        payload: body,
        packet: 1,
    };
    sealer.seq = 0;
    let mut opener = RecordCipher::tls13(s13, &k13).unwrap();
    assert_eq!(opener.open_record(&mut r), Err(OpenError::Malformed));
}

/// A framer's gathered record buffer outlives the framer on its thread: the next
/// connection's framer gathers its record in it (same allocation), and a buffer far
/// larger than a record is not kept.
#[test]
fn record_buffers_are_kept_for_the_next_connection() {
    let header = [content::APPLICATION_DATA, 3, 3, 0x40, 0x00]; // 16 KiB record
    let start = spare::kept();
    let mut a = Framer::default();
    let mut buf = Vec::new();
    let mut bytes = &header[..];
    assert_eq!(a.next(&mut bytes, 1, &mut buf), Ok(None));
    let ptr = a.partial.as_ptr();
    drop(a);
    assert_eq!(spare::kept(), start + 1);
    let mut b = Framer::default();
    let mut bytes = &header[..];
    assert_eq!(b.next(&mut bytes, 2, &mut buf), Ok(None));
    assert_eq!(b.partial.as_ptr(), ptr, "the kept buffer, not a new one");
    assert_eq!(spare::kept(), start);
    let body = vec![7u8; 0x4000];
    let mut bytes = &body[..];
    let (head, at) = b
        .next(&mut bytes, 3, &mut buf)
        .expect("frames")
        .expect("whole");
    assert_eq!(
        (head.packet, buf.get(at..).map(<[u8]>::len)),
        (3, Some(0x4000))
    );
    spare::give(vec![0; 1 << 20]);
    assert_eq!(spare::kept(), start, "a megabyte buffer is freed, not kept");
}

/// A partial record whose buffer is too small for it (the few bytes of a header) moves to
/// one of the thread's record buffers, its bytes copied; the small buffer is freed, not
/// kept: a kept buffer has room for any record.
#[test]
fn a_too_small_gathering_buffer_is_replaced_not_kept() {
    let header = [content::APPLICATION_DATA, 3, 3, 0x40, 0x00]; // 16 KiB record
    let start = spare::kept();
    let mut f = Framer {
        partial: Vec::with_capacity(9000),
    };
    let old = f.partial.as_ptr();
    let mut buf = Vec::new();
    let mut bytes = &header[..];
    assert_eq!(f.next(&mut bytes, 1, &mut buf), Ok(None));
    assert!(f.partial.capacity() >= 0x4000 + 5);
    assert_ne!(f.partial.as_ptr(), old);
    assert_eq!(f.partial, header);
    assert_eq!(spare::kept(), start, "the 9000-byte buffer is freed");
    let body = vec![7u8; 0x4000];
    let mut bytes = &body[..];
    let (_, at) = f.next(&mut bytes, 2, &mut buf).unwrap().unwrap();
    assert_eq!(buf.get(at..), Some(&body[..]));
}

/// A record completed across chunks leaves its direction holding no buffer: the one it
/// was gathered in becomes the caller's, and the caller's empty one goes back to the
/// thread (or, when the caller's held records already, the gathering buffer does).
#[test]
fn a_completed_record_leaves_no_buffer_with_its_direction() {
    let mut rec = vec![content::APPLICATION_DATA, 3, 3, 0x08, 0x00]; // 2 KiB record
    rec.extend(std::iter::repeat_n(9u8, 0x800));
    let start = spare::kept();
    let mut f = Framer::default();
    let mut buf = spare::take(super::spare::RECORD_BUF);
    let mut bytes = &rec[..100];
    assert_eq!(f.next(&mut bytes, 1, &mut buf), Ok(None));
    let mut bytes = &rec[100..];
    let (_, at) = f.next(&mut bytes, 2, &mut buf).unwrap().unwrap();
    assert_eq!(buf.get(at..), rec.get(5..));
    assert_eq!((f.partial.capacity(), f.has_partial()), (0, false));
    assert_eq!(
        spare::kept(),
        start + 1,
        "the caller's empty buffer is kept"
    );
    // The caller's buffer holds a record now: the next one spanning chunks is appended
    // to it, and its gathering buffer is kept.
    let mut bytes = &rec[..100];
    assert_eq!(f.next(&mut bytes, 3, &mut buf), Ok(None));
    assert_eq!(spare::kept(), start, "the kept buffer gathers");
    let mut bytes = &rec[100..];
    let (_, at2) = f.next(&mut bytes, 4, &mut buf).unwrap().unwrap();
    assert_eq!((at2, buf.len()), (at + 0x800, at + 0x1000));
    assert_eq!(f.partial.capacity(), 0);
    assert_eq!(spare::kept(), start + 1);
}

/// A record tried under a key that is not its own is put back byte for byte from the
/// thread's backup (the same buffer try after try), and kept as opened when it opens.
#[test]
fn tried_records_are_put_back_when_they_do_not_open() {
    let s = suite(0x1301).unwrap();
    let (own, other) = (
        tls13_traffic_keys(s, &[1; 32]).unwrap(),
        tls13_traffic_keys(s, &[2; 32]).unwrap(),
    );
    let mut sealer = RecordCipher::tls13(s, &own).unwrap();
    let sealed = frame_all(&sealer.seal(content::HANDSHAKE, &[0x14; 300], [0; 16]), &[])
        .unwrap()
        .remove(0);
    let mut rec = sealed.payload.clone();
    let mut wrong = RecordCipher::tls13(s, &other).unwrap();
    let head = sealed.head();
    for _ in 0..3 {
        let r = spare::with_backup(&mut rec, |rec| wrong.open(head, rec));
        assert_eq!(r, Err(OpenError::Auth));
        assert_eq!(rec, sealed.payload, "put back as it was");
    }
    // A failure that garbles the record on purpose is undone too.
    let r: Result<(), ()> = spare::with_backup(&mut rec, |rec| {
        rec.fill(0);
        Err(())
    });
    assert!(r.is_err());
    assert_eq!(rec, sealed.payload);
    let mut right = RecordCipher::tls13(s, &own).unwrap();
    let (ty, plain) = spare::with_backup(&mut rec, |rec| right.open(head, rec)).unwrap();
    assert_eq!(ty, content::HANDSHAKE);
    assert_eq!(rec.get(plain), Some(&[0x14; 300][..]));
    assert_eq!(wrong.seq(), 0, "a failed try leaves the sequence number");
    // Records of growing sizes up to the largest: the backup is kept, never past a record.
    for len in [300, 0x4000, super::MAX_RECORD] {
        let mut big = vec![7u8; len];
        let r: Result<(), ()> = spare::with_backup(&mut big, |b| {
            b.fill(1);
            Err(())
        });
        assert!(r.is_err() && big.iter().all(|&b| b == 7), "{len}");
        let room = spare::backup_room();
        assert!((len..=spare::RECORD_BUF).contains(&room), "{len}: {room}");
    }
}
