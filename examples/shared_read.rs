//! The threaded design's reading part alone: `N` threads take every chunk of one capture
//! file from the shared reader, as wsclose's analyzer threads do (they read, cut and index
//! the chunks: each plain TCP packet's owner thread, found from its headers), and each
//! counts the packets its shard owns, analyzing nothing. Its time is the most
//! the threaded design can do on the machine: wsclose with `--threads N` cannot be faster.
//!
//! ```sh
//! cargo run --release --features tools --example shared_read -- capture.pcap 2
//! ```
//!
//! Prints the packets each thread owned, the packets every thread read (the others'), and
//! the chunks.

use std::path::Path;
use std::sync::Arc;
use wsclose::__internals::capture::shared::{SharedFile, ANY};
use wsclose::__internals::decode::{Shards, MAX_GROUPS};

/// Says what is wrong and what to give instead, and exits with status 2.
fn usage(why: &str) -> ! {
    eprintln!(
        "shared_read: {why}\nusage: shared_read FILE [THREADS] (an uncompressed classic pcap or pcapng file; THREADS 1 to 64, 2 by default)"
    );
    std::process::exit(2)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| usage("no capture file given"));
    let threads: usize = match args.next() {
        None => 2,
        Some(t) => match t.parse() {
            Ok(n @ 1..=64) => n,
            _ => usage(&format!("{t:?} is not a thread count from 1 to 64")),
        },
    };
    let shards = Shards::new(MAX_GROUPS, threads as u64);
    let shared = match SharedFile::open(Path::new(&path), shards, None) {
        Some(s) => Arc::new(s),
        None => usage(&format!(
            "{path}: cannot be opened, or is not an uncompressed classic pcap or pcapng file"
        )),
    };
    let counts: Vec<(u64, u64, u64)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|k| {
                let shared = Arc::clone(&shared);
                s.spawn(move || {
                    let (mut own, mut any, mut chunks) = (0u64, 0u64, 0u64);
                    let mut prev = None;
                    while let Some(chunk) = shared.next(k, prev.take(), &mut || false) {
                        chunks += 1;
                        // As wsclose's readers find their packets: one byte a packet.
                        let me = k as u8;
                        for &owner in chunk.owners() {
                            own += u64::from(owner == me);
                            any += u64::from(owner == ANY);
                        }
                        prev = Some(chunk);
                    }
                    (own, any, chunks)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a reader thread"))
            .collect()
    });
    for (k, (own, any, chunks)) in counts.iter().enumerate() {
        println!("thread {k}: {own} packets of its shard, {any} read by all, {chunks} chunks");
    }
}
