//! Runs one target's body (on stable, no libFuzzer) over files or directories: a corpus, a
//! crash artifact. Each input runs under `catch_unwind`; inputs that panic or take over
//! `--slow SECONDS` (default 1) are listed, and the exit status is 1 if any did.
//! Usage: `cargo run --manifest-path fuzz/Cargo.toml --release --example replay -- TARGET PATH...`

use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut slow = Duration::from_secs(1);
    if let Some(i) = args.iter().position(|a| a == "--slow") {
        let secs: f64 = args.get(i + 1).and_then(|s| s.parse().ok()).unwrap_or(1.0);
        slow = Duration::from_secs_f64(secs);
        args.drain(i..(i + 2).min(args.len()));
    }
    let Some((target, paths)) = args.split_first() else {
        eprintln!(
            "usage: replay TARGET PATH... (targets: {})",
            wsclose_fuzz::TARGETS.join(", ")
        );
        return ExitCode::from(2);
    };
    if !wsclose_fuzz::TARGETS.contains(&target.as_str()) {
        eprintln!(
            "unknown target {target} (targets: {})",
            wsclose_fuzz::TARGETS.join(", ")
        );
        return ExitCode::from(2);
    }
    let (mut runs, mut bad) = (0u64, 0u64);
    let started = Instant::now();
    for p in paths {
        for f in wsclose_fuzz::files_in(&PathBuf::from(p)) {
            let Ok(data) = std::fs::read(&f) else {
                continue;
            };
            runs += 1;
            let t0 = Instant::now();
            let res = panic::catch_unwind(AssertUnwindSafe(|| wsclose_fuzz::run(target, &data)));
            let took = t0.elapsed();
            if res.is_err() {
                bad += 1;
                println!("PANIC {} ({} bytes)", f.display(), data.len());
            } else if took > slow {
                bad += 1;
                println!("SLOW  {} ({} bytes, {:.2?})", f.display(), data.len(), took);
            }
        }
    }
    println!(
        "{target}: {runs} inputs in {:.1?}, {bad} failed",
        started.elapsed()
    );
    if bad > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
