//! What each analyzer thread adds: one capture analyzed through the library with `N`
//! threads, beyond the command line's cap of one per core (the library's own cap is 64),
//! and its JSON report written, as `wsclose analyze --format json` writes it, to nowhere
//! (or, with `--hash`, to a hash).
//! Run under callgrind, it counts the instructions of all the threads together: on a
//! machine of few cores, how the work grows with the threads a larger machine would run.
//!
//! ```sh
//! cargo build --profile profiling --features tools --example threads_cost
//! valgrind --tool=callgrind target/profiling/examples/threads_cost capture.pcap 16
//! ```
//!
//! Prints the thread count, the connections found and, with `--hash`, a hash of the JSON
//! report (the same for any count). A TLS capture's key log is read from `SSLKEYLOGFILE`.

use std::path::PathBuf;

/// Says what is wrong and what to give instead, and exits with status 2.
fn usage(why: &str) -> ! {
    eprintln!(
        "threads_cost: {why}\nusage: threads_cost FILE [THREADS [--hash]] (THREADS 1 to 64, 2 by default)"
    );
    std::process::exit(2)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(
        args.next()
            .unwrap_or_else(|| usage("no capture file given")),
    );
    let threads: usize = match args.next() {
        None => 2,
        Some(t) => match t.parse() {
            Ok(n @ 1..=64) => n,
            _ => usage(&format!("{t:?} is not a thread count from 1 to 64")),
        },
    };
    let opts = wsclose::Options {
        threads,
        ..wsclose::Options::default()
    };
    // A TLS capture's key log: from SSLKEYLOGFILE, as the command line takes it.
    let sources = wsclose::keys::KeySources::with_env(Vec::new());
    let report = match wsclose::analyze_files_with_progress(&[path], opts, &sources, None) {
        Ok(r) => r,
        Err(e) => usage(&e.to_string()),
    };
    let hash = match args.next().as_deref() {
        None => false,
        Some("--hash") => true,
        Some(other) => usage(&format!("{other:?} is not --hash")),
    };
    let mut digest = Digest(hash.then(std::hash::DefaultHasher::new));
    if let Err(e) = wsclose::render::json::write(&report, &mut digest) {
        usage(&format!("writing the report: {e}"));
    }
    print!(
        "{threads} threads: {} connections",
        report.summary.connections
    );
    match digest.0 {
        Some(h) => println!(", report {:016x}", std::hash::Hasher::finish(&h)),
        None => println!(),
    }
}

/// Hashes what is written to it (the report's bytes, the same with any thread count), or
/// drops it.
struct Digest(Option<std::hash::DefaultHasher>);

impl std::io::Write for Digest {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(h) = &mut self.0 {
            std::hash::Hasher::write(h, buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
