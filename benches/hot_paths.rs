//! Micro-benchmarks of the hot paths, and the whole pipeline on a generated capture.
//!
//! ```sh
//! cargo bench --bench hot_paths                 # everything, a few minutes on 2 cores
//! cargo bench --bench hot_paths -- unmask       # one group
//! ```
//!
//! Groups: `frame_header` (nom header parser), `unmask` (word-wise vs byte-wise, 64 B,
//! 1 KiB, 64 KiB), `utf8` (incremental validation, whole and per segment), `reassembly`
//! (one direction, 1 MiB in MSS segments, in order and shuffled), `inflate`
//! (permessage-deflate: small messages of one direction, of 32 interleaved directions that
//! each start from their history, a 64 KiB message per segment, and plain zlib on the
//! same stream as the floor), `pipeline` (the analyzer
//! fed in-memory packets of a generated 20 MB capture; the same through `analyze_files`
//! from a file; rendering that report as JSON), `serial` (the stored form: a generated
//! capture's finished reports written and read back, without a file; the analyzer
//! freezing every connection after every packet and thawing it for the next, against
//! never freezing, throughput in bytes frozen), `hpack` (header blocks: RFC 7541 C.4's three
//! Huffman-coded requests on one table, and a 256 KiB block of one-letter Huffman-coded
//! names and values, the hostile case; each also through `loona-hpack`, which this
//! decoder replaced).

#[path = "../examples/gen/mod.rs"]
mod gen;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;
use wsclose::__internals::analyzer::{Analyzer, Freeze, Options};
use wsclose::__internals::capture::Packet;
use wsclose::__internals::flow::Event;
use wsclose::__internals::stack::tcp::assembler::{HalfStream, Limits};
use wsclose::__internals::websocket::frame::{parse_header, unmask, unmask_bytewise};
use wsclose::__internals::websocket::utf8::Utf8Stream;
use wsclose::vocab::{LinkType, Timestamp};

fn configure(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
}

fn frame_header(c: &mut Criterion) {
    let mut headers: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut f = Vec::new();
    gen::frame(&mut f, true, 0x1, None, b"hello");
    headers.push(("short_server", f));
    let mut f = Vec::new();
    gen::frame(&mut f, true, 0x1, Some([1, 2, 3, 4]), b"hello");
    headers.push(("short_masked", f));
    let mut f = Vec::new();
    gen::frame(&mut f, true, 0x2, Some([1, 2, 3, 4]), &[0u8; 1000]);
    headers.push(("len16_masked", f));
    let mut f = Vec::new();
    gen::frame(&mut f, true, 0x2, None, &[0u8; 70_000]);
    headers.push(("len64_server", f));

    let mut g = c.benchmark_group("frame_header");
    configure(&mut g);
    g.throughput(Throughput::Elements(1));
    for (name, bytes) in &headers {
        g.bench_with_input(BenchmarkId::from_parameter(name), bytes, |b, bytes| {
            b.iter(|| parse_header(black_box(bytes)).map(|(_, h)| h.payload_len))
        });
    }
    // Only the first bytes of a header arrived: the Incomplete path.
    let partial = &headers[2].1[..3];
    g.bench_function("incomplete", |b| {
        b.iter(|| parse_header(black_box(partial)).is_err())
    });
    g.finish();
}

fn unmasking(c: &mut Criterion) {
    let mut g = c.benchmark_group("unmask");
    configure(&mut g);
    let key = [0x37, 0xfa, 0x21, 0x3d];
    for size in [64usize, 1024, 65_536] {
        let mut buf = gen::Rng::new(1).bytes(size);
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::new("word", size), &size, |b, _| {
            b.iter(|| unmask(black_box(&mut buf), key, 1))
        });
        g.bench_with_input(BenchmarkId::new("bytewise", size), &size, |b, _| {
            b.iter(|| unmask_bytewise(black_box(&mut buf), key, 1))
        });
    }
    g.finish();
}

/// About `n` bytes of JSON-like text with multi-byte characters (as the generator writes).
fn sample_text(n: usize) -> Vec<u8> {
    let mut rng = gen::Rng::new(5);
    let words = [
        "price",
        "update",
        "naïve",
        "café",
        "日本語",
        "✓",
        "ok",
        "session",
    ];
    let mut s = String::with_capacity(n + 16);
    while s.len() < n {
        s.push_str(words[rng.below(words.len() as u64) as usize]);
        s.push(' ');
    }
    while s.len() > n {
        s.pop();
    }
    s.into_bytes()
}

fn utf8(c: &mut Criterion) {
    let text = sample_text(65_536);
    let ascii = vec![b'a'; 65_536];
    let mut g = c.benchmark_group("utf8");
    configure(&mut g);
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("mixed_64k_whole", |b| {
        b.iter(|| {
            let mut s = Utf8Stream::new();
            s.push(black_box(&text)).and_then(|_| s.finish())
        })
    });
    g.bench_function("mixed_64k_per_segment", |b| {
        b.iter(|| {
            let mut s = Utf8Stream::new();
            for chunk in black_box(&text).chunks(1448) {
                s.push(chunk).unwrap();
            }
            s.finish()
        })
    });
    g.throughput(Throughput::Bytes(ascii.len() as u64));
    g.bench_function("ascii_64k_whole", |b| {
        b.iter(|| {
            let mut s = Utf8Stream::new();
            s.push(black_box(&ascii)).and_then(|_| s.finish())
        })
    });
    let small = &text[..120];
    g.throughput(Throughput::Bytes(small.len() as u64));
    g.bench_function("mixed_120b", |b| {
        b.iter(|| {
            let mut s = Utf8Stream::new();
            s.push(black_box(small)).and_then(|_| s.finish())
        })
    });
    g.finish();
}

fn reassembly(c: &mut Criterion) {
    const TOTAL: usize = 1 << 20;
    const MSS: usize = 1448;
    let data = gen::Rng::new(2).bytes(TOTAL);
    let isn: u32 = 0xFFFF_0000; // crosses the 2^32 wrap
    let segs: Vec<(u32, &[u8])> = data
        .chunks(MSS)
        .enumerate()
        .map(|(i, p)| (isn.wrapping_add(1).wrapping_add((i * MSS) as u32), p))
        .collect();
    // Shuffled in windows of 32 segments (a reordering network), and fully.
    let mut rng = gen::Rng::new(3);
    let mut windowed = segs.clone();
    for w in windowed.chunks_mut(32) {
        for i in (1..w.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            w.swap(i, j);
        }
    }
    let mut full = segs.clone();
    for i in (1..full.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        full.swap(i, j);
    }
    let limits = Limits::default();
    let run = |order: &[(u32, &[u8])]| {
        let mut h = HalfStream::new();
        h.syn(isn);
        let mut delivered = 0u64;
        let mut out = |ev: Event<'_>| {
            if let Event::Data { bytes, .. } = ev {
                delivered += bytes.len() as u64;
            }
        };
        for (n, (seq, p)) in order.iter().enumerate() {
            h.segment(
                *seq,
                p,
                0,
                false,
                n as u64 + 1,
                Timestamp(0),
                &limits,
                &mut out,
            );
        }
        h.flush(&mut out);
        assert_eq!(delivered, TOTAL as u64);
        delivered
    };
    let mut g = c.benchmark_group("reassembly");
    configure(&mut g);
    g.throughput(Throughput::Bytes(TOTAL as u64));
    g.bench_function("in_order_1MiB", |b| b.iter(|| run(black_box(&segs))));
    g.bench_function("shuffled_window32_1MiB", |b| {
        b.iter(|| run(black_box(&windowed)))
    });
    g.bench_function("shuffled_full_1MiB", |b| b.iter(|| run(black_box(&full))));
    g.finish();
}

fn pipeline(c: &mut Criterion) {
    let cfg = gen::Config::new(400, 20_000_000, 7);
    let mut sink = gen::MemSink::default();
    let summary = gen::generate(&cfg, &mut sink, std::io::sink()).expect("generate");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.pcap");
    {
        let mut w = gen::pcap_file(&path).expect("create");
        for &(ts, start, end) in &sink.index {
            let data = &sink.data[start..end];
            w.packet(ts, data, data.len() as u32).expect("write");
        }
        std::io::Write::flush(&mut w.into_inner()).expect("flush");
    }
    let analyze_mem = || {
        let mut a = Analyzer::new(Options::default());
        a.begin_input(0);
        for (i, &(ts, start, end)) in sink.index.iter().enumerate() {
            let data = &sink.data[start..end];
            a.packet(&Packet {
                options: Default::default(),
                number: i as u64 + 1,
                ts,
                link: LinkType::ETHERNET,
                data,
                orig_len: data.len() as u32,
                iface: None,
            });
        }
        a.finish_input().unwrap()
    };
    let (conns, _) = analyze_mem();
    assert_eq!(conns.len() as u64, summary.websocket);

    let mut g = c.benchmark_group("pipeline");
    g.warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .sample_size(10);
    g.throughput(Throughput::Bytes(summary.bytes));
    g.bench_function("analyzer_in_memory_20MB", |b| {
        b.iter(|| black_box(analyze_mem().0.len()))
    });
    g.bench_function("analyze_files_20MB", |b| {
        b.iter(|| {
            wsclose::analyze_files(std::slice::from_ref(&path), Options::default())
                .expect("analyze")
                .connections
                .len()
        })
    });
    let report =
        wsclose::analyze_files(std::slice::from_ref(&path), Options::default()).expect("analyze");
    g.bench_function("render_json_20MB", |b| {
        b.iter(|| wsclose::render::json::render(black_box(&report)).len())
    });
    g.finish();
}

fn serial(c: &mut Criterion) {
    let cfg = gen::Config::new(400, 10_000_000, 7);
    let mut sink = gen::MemSink::default();
    gen::generate(&cfg, &mut sink, std::io::sink()).expect("generate");
    // The reports, and the connections frozen and the bytes written for them.
    let analyze = |freeze: Freeze| {
        let mut a = Analyzer::new(Options {
            freeze,
            ..Options::default()
        });
        a.begin_input(0);
        for (i, &(ts, start, end)) in sink.index.iter().enumerate() {
            let data = &sink.data[start..end];
            a.packet(&Packet {
                options: Default::default(),
                number: i as u64 + 1,
                ts,
                link: LinkType::ETHERNET,
                data,
                orig_len: data.len() as u32,
                iface: None,
            });
        }
        let frozen = (a.freeze_counts().0, a.frozen_bytes());
        (a.finish_input().expect("reports").0, frozen)
    };
    let (reports, _) = analyze(Freeze::Never);
    let stored: Vec<Vec<u8>> = reports
        .iter()
        .map(|r| wsclose::__internals::serial::to_vec(r).expect("written"))
        .collect();
    let total: usize = stored.iter().map(Vec::len).sum();
    let (_, (frozen, frozen_bytes)) = analyze(Freeze::EveryPacket);
    eprintln!(
        "serial: {} reports, {total} bytes stored; {frozen} connections frozen, {frozen_bytes} bytes",
        reports.len()
    );

    let mut g = c.benchmark_group("serial");
    configure(&mut g);
    g.throughput(Throughput::Bytes(total as u64));
    g.bench_function("write_reports", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(total);
            for r in black_box(&reports) {
                wsclose::__internals::serial::append(r, &mut out).expect("written");
            }
            out.len()
        })
    });
    g.bench_function("read_reports", |b| {
        b.iter(|| {
            black_box(&stored)
                .iter()
                .filter_map(|s| {
                    wsclose::__internals::serial::read::<wsclose::report::ConnectionReport>(s)
                })
                .count()
        })
    });
    g.throughput(Throughput::Bytes(frozen_bytes));
    g.bench_function("analyze_freezing_every_packet_10MB", |b| {
        b.iter(|| analyze(Freeze::EveryPacket).0.len())
    });
    g.bench_function("analyze_never_freezing_10MB", |b| {
        b.iter(|| analyze(Freeze::Never).0.len())
    });
    g.finish();
}

/// `n` messages of about `len` bytes of text, compressed in one stream (context takeover),
/// and their inflated size.
fn compressed_messages(seed: u64, n: usize, len: usize) -> (Vec<Vec<u8>>, u64) {
    let text = sample_text(64 * 1024);
    let mut rng = gen::Rng::new(seed);
    let mut c = flate2::Compress::new(flate2::Compression::default(), false);
    let mut total = 0;
    let msgs = (0..n)
        .map(|_| {
            let at = rng.below((text.len() - len) as u64) as usize;
            let m = &text[at..at + len];
            total += m.len() as u64;
            gen::deflate_message(&mut c, m)
        })
        .collect();
    (msgs, total)
}

fn inflate(c: &mut Criterion) {
    use wsclose::__internals::websocket::deflate::{Inflater, DEFAULT_CAP};
    let mut g = c.benchmark_group("inflate");
    configure(&mut g);
    let run = |inf: &mut Inflater, pieces: &[&[u8]]| {
        let mut n = 0usize;
        for p in pieces {
            inf.chunk(p, &mut |b| n += b.len()).unwrap();
        }
        inf.end_message(&mut |b| n += b.len()).unwrap();
        n
    };

    // One direction: 200 JSON-sized messages, each finding its own state.
    let (msgs, total) = compressed_messages(1, 200, 300);
    g.throughput(Throughput::Bytes(total));
    g.bench_function("own_state_200x300B", |b| {
        b.iter(|| {
            let mut inf = Inflater::new(false, DEFAULT_CAP);
            msgs.iter().map(|m| run(&mut inf, &[m])).sum::<usize>()
        })
    });
    // The floor: zlib alone on the same stream (no history kept, no cache).
    g.bench_function("zlib_alone_200x300B", |b| {
        let mut out = vec![0u8; 8192];
        b.iter(|| {
            let mut d = flate2::Decompress::new(false);
            let mut n = 0;
            for m in &msgs {
                for input in [&m[..], &[0, 0, 0xff, 0xff][..]] {
                    let before = d.total_out();
                    d.decompress(input, &mut out, flate2::FlushDecompress::Sync)
                        .unwrap();
                    n += d.total_out() - before;
                }
            }
            n
        })
    });

    // 32 directions interleaved message by message: more than the per-thread cache holds,
    // so every message starts a state from its direction's history (the costly case).
    let made: Vec<(Vec<Vec<u8>>, u64)> = (0..32)
        .map(|i| compressed_messages(10 + i, 20, 300))
        .collect();
    g.throughput(Throughput::Bytes(made.iter().map(|m| m.1).sum()));
    g.bench_function("primed_32_directions_20x300B", |b| {
        b.iter(|| {
            let mut infs: Vec<Inflater> =
                (0..32).map(|_| Inflater::new(false, DEFAULT_CAP)).collect();
            let mut n = 0;
            for round in 0..20 {
                for (inf, (s, _)) in infs.iter_mut().zip(&made) {
                    n += run(inf, &[&s[round]]);
                }
            }
            n
        })
    });

    // One 64 KiB message arriving in MSS-sized segments.
    let (big, total) = compressed_messages(3, 1, 65_000);
    let pieces: Vec<&[u8]> = big[0].chunks(1448).collect();
    g.throughput(Throughput::Bytes(total));
    g.bench_function("one_64k_per_segment", |b| {
        b.iter(|| run(&mut Inflater::new(false, DEFAULT_CAP), &pieces))
    });
    g.finish();
}

fn hpack(c: &mut Criterion) {
    use wsclose::__internals::stack::h2::hpack::BlockDecoder;
    use wsclose::__internals::stack::h2::MAX_HEADER_BLOCK;
    let mut g = c.benchmark_group("hpack");
    configure(&mut g);
    // RFC 7541 C.4.1-C.4.3.
    let requests: [&[u8]; 3] = [
        b"\x82\x86\x84\x41\x8c\xf1\xe3\xc2\xe5\xf2\x3a\x6b\xa0\xab\x90\xf4\xff",
        b"\x82\x86\x84\xbe\x58\x86\xa8\xeb\x10\x64\x9c\xbf",
        b"\x82\x87\x85\xbf\x40\x88\x25\xa8\x49\xe9\x5b\xa9\x7d\x7f\x89\x25\xa8\x49\xe9\x5b\xb8\xe8\xb4\xbf",
    ];
    let bytes: usize = requests.iter().map(|r| r.len()).sum();
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("rfc7541_c4_requests", |b| {
        b.iter(|| {
            let mut d = BlockDecoder::new();
            for r in requests {
                black_box(d.decode(black_box(r)).ok());
            }
        })
    });
    g.bench_function("rfc7541_c4_requests_loona", |b| {
        b.iter(|| {
            let mut d = loona_hpack::Decoder::new();
            for r in requests {
                black_box(d.decode_with_cb(black_box(r), |_, _| ()).ok());
            }
        })
    });
    let field = [0x00, 0x81, 0x1F, 0x81, 0x1F];
    let hostile = field.repeat(MAX_HEADER_BLOCK / field.len());
    g.throughput(Throughput::Bytes(hostile.len() as u64));
    g.bench_function("one_letter_huffman_256KiB", |b| {
        b.iter(|| BlockDecoder::new().decode(black_box(&hostile)).ok())
    });
    g.sample_size(10);
    g.bench_function("one_letter_huffman_256KiB_loona", |b| {
        b.iter(|| {
            loona_hpack::Decoder::new()
                .decode_with_cb(black_box(&hostile), |_, _| ())
                .ok()
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    hpack,
    frame_header,
    unmasking,
    utf8,
    reassembly,
    inflate,
    pipeline,
    serial
);
criterion_main!(benches);
