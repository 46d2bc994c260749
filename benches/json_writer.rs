//! The JSON report's writer (`render::pretty`, a hand-written serde serializer) against
//! serde_json's own serializer with a `Formatter` that gives the same bytes: the pretty
//! layout from any depth, and the characters `sanitize::is_unsafe` names (DEL, C1, the
//! bidirectional overrides) escaped as `\uXXXX` beside the ones serde_json escapes.
//!
//! ```sh
//! cargo bench --bench json_writer
//! ```
//!
//! Input: the connection reports of a generated capture (`examples/gen`, 2 000 TCP
//! connections, 20 MB, seed 7: the same mix as the 1 GB benchmark capture), each written
//! at depth 2 as `json::write` writes it, one thread. Both writers' bytes are checked to
//! be the same before anything is timed. The throughput is JSON bytes written.

#[path = "../examples/gen/mod.rs"]
mod gen;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde::Serialize;
use std::hint::black_box;
use std::io::{self, Write};
use std::time::Duration;
use wsclose::__internals::pretty;
use wsclose::report::ConnectionReport;
use wsclose::sanitize::is_unsafe;

/// serde_json's pretty layout (two-space indentation, `"key": value`), starting at `depth`,
/// with terminal-safe strings: what `render::pretty` would be as a serde_json `Formatter`.
struct SafePretty {
    depth: usize,
    has_value: bool,
}

impl SafePretty {
    /// A newline and the indentation, in one write.
    fn newline<W: ?Sized + Write>(&self, w: &mut W) -> io::Result<()> {
        const INDENT: &[u8; 65] =
            b"\n                                                                ";
        match INDENT.get(..1 + 2 * self.depth) {
            Some(line) => w.write_all(line),
            None => {
                w.write_all(b"\n")?;
                (0..self.depth).try_for_each(|_| w.write_all(b"  "))
            }
        }
    }
}

impl serde_json::ser::Formatter for SafePretty {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(w)?;
        }
        w.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.newline(w)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(w)?;
        }
        w.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.newline(w)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    /// A run of characters serde_json leaves as they are: copied, but for those
    /// `is_unsafe` names (only ever outside ASCII but for DEL).
    fn write_string_fragment<W: ?Sized + Write>(&mut self, w: &mut W, s: &str) -> io::Result<()> {
        if s.bytes().all(|b| b < 0x7f) {
            return w.write_all(s.as_bytes());
        }
        let mut start = 0;
        for (i, c) in s.char_indices() {
            if is_unsafe(c) {
                w.write_all(&s.as_bytes()[start..i])?;
                write!(w, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        w.write_all(&s.as_bytes()[start..])
    }
}

fn with_serde_json(out: &mut Vec<u8>, c: &ConnectionReport) {
    let mut ser = serde_json::Serializer::with_formatter(
        &mut *out,
        SafePretty {
            depth: 2,
            has_value: false,
        },
    );
    c.serialize(&mut ser).expect("serialize");
}

fn with_pretty(out: &mut Vec<u8>, c: &ConnectionReport) {
    pretty::write(out, 2, c).expect("serialize");
}

fn all(conns: &[ConnectionReport], write: fn(&mut Vec<u8>, &ConnectionReport)) -> Vec<u8> {
    let mut out = Vec::with_capacity(conns.len() * 4096);
    for c in conns {
        write(&mut out, c);
    }
    out
}

fn json_writer(c: &mut Criterion) {
    let cfg = gen::Config::new(2_000, 20_000_000, 7);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.pcap");
    {
        let mut w = gen::pcap_file(&path).expect("create");
        let mut sink = gen::MemSink::default();
        gen::generate(&cfg, &mut sink, io::sink()).expect("generate");
        for &(ts, start, end) in &sink.index {
            let data = &sink.data[start..end];
            w.packet(ts, data, data.len() as u32).expect("write");
        }
        w.into_inner().flush().expect("flush");
    }
    let mut report =
        wsclose::analyze_files(std::slice::from_ref(&path), Default::default()).expect("analyze");
    report.load().expect("in memory");
    let conns = &report.connections;

    // The same bytes, and a hostile string escaped the same way by both.
    let ours = all(conns, with_pretty);
    assert_eq!(ours, all(conns, with_serde_json));
    let mut hostile = conns[0].clone();
    hostile.status.detail = "a\u{9b}b\u{1b}c\u{2066}d\u{7f}e\u{85}\"✓".into();
    assert_eq!(
        all(&[hostile.clone()], with_pretty),
        all(&[hostile], with_serde_json)
    );
    eprintln!(
        "json_writer: {} connections, {} bytes of JSON ({} per connection)",
        conns.len(),
        ours.len(),
        ours.len() / conns.len()
    );

    let mut g = c.benchmark_group("json_writer");
    g.warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .sample_size(30)
        .throughput(Throughput::Bytes(ours.len() as u64));
    g.bench_function("pretty_write", |b| {
        b.iter(|| all(black_box(conns), with_pretty).len())
    });
    g.bench_function("serde_json_formatter", |b| {
        b.iter(|| all(black_box(conns), with_serde_json).len())
    });
    g.finish();
}

criterion_group!(benches, json_writer);
criterion_main!(benches);
