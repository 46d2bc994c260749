//! How fast TLS records open: 100 MiB of 16 KiB TLS 1.3 AES-128-GCM records, decrypted by
//! wsclose's record layer and by `ring` called directly (the layer's own cost on top).
//!
//! This is how the AEAD crate was chosen: with RustCrypto's `aes-gcm` 0.10 inside the record
//! layer, the same run gave 329-349 MiB/s against ring's 919-1056 MiB/s (best of three
//! rounds, on a 2-core AMD EPYC host shared with other builds, load about 8-10), so the
//! layer uses ring. With ring inside, the layer and ring called directly ran within the
//! host's noise of each other (561-1764 and 596-2078 MiB/s over nine rounds, load 7-9).
//!
//! ```sh
//! CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
//!     cargo run --release --features tools --example tls_aead_speed
//! ```
//!
//! The records are sealed with ring, then opened by both; the best of three runs is printed.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM};
use std::time::Instant;
use wsclose::__internals::stack::tls::keys::{suite, tls13_traffic_keys};
use wsclose::__internals::stack::tls::record::{Record, RecordCipher};

const RECORD: usize = 16 * 1024;
const TOTAL: usize = 100 << 20;

fn nonce(iv: &[u8], seq: u64) -> [u8; 12] {
    let mut n = [0u8; 12];
    n.copy_from_slice(iv);
    for (b, s) in n[4..].iter_mut().zip(seq.to_be_bytes()) {
        *b ^= s;
    }
    n
}

fn main() {
    let s = suite(0x1301).expect("TLS_AES_128_GCM_SHA256");
    let keys = tls13_traffic_keys(s, &[0x42; 32]).expect("keys");
    let ring_key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &keys.key).expect("key"));
    let count = TOTAL / RECORD;
    let mut records = Vec::with_capacity(count);
    for seq in 0..count as u64 {
        let mut body: Vec<u8> = (0..RECORD).map(|i| (i as u64 ^ seq) as u8).collect();
        body.push(23); // inner content type
        let len = (body.len() + 16) as u16;
        let header = [23, 3, 3, (len >> 8) as u8, len as u8];
        ring_key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce(&keys.iv, seq)),
                Aad::from(header),
                &mut body,
            )
            .expect("seal");
        records.push(Record {
            content_type: 23,
            version: 0x0303,
            payload: body,
            packet: seq,
        });
    }
    let mb = TOTAL as f64 / (1 << 20) as f64;
    for round in 0..3 {
        // wsclose's record layer, opening in place.
        let mut work = records.clone();
        let mut cipher = RecordCipher::tls13(s, &keys).expect("cipher");
        let t = Instant::now();
        for r in &mut work {
            assert_eq!(cipher.open_record(r), Ok(23));
        }
        let ours = t.elapsed().as_secs_f64();
        // ring, same records.
        let mut work = records.clone();
        let t = Instant::now();
        for (seq, r) in work.iter_mut().enumerate() {
            let header = r.head().header(r.payload.len());
            let plain = ring_key
                .open_in_place(
                    Nonce::assume_unique_for_key(nonce(&keys.iv, seq as u64)),
                    Aad::from(header),
                    &mut r.payload,
                )
                .expect("open");
            assert_eq!(plain.len(), RECORD + 1);
        }
        let ring_s = t.elapsed().as_secs_f64();
        println!(
            "round {round}: wsclose record layer {ours:.3} s = {:.0} MiB/s; ring directly {ring_s:.3} s = {:.0} MiB/s",
            mb / ours,
            mb / ring_s
        );
    }
}
