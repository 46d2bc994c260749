//! The binary's progress bar (indicatif, on standard error while large inputs are read) and
//! its phase timings (`WSCLOSE_TIMING` or `-v`: each phase's wall and CPU time).

use std::io::IsTerminal;

/// A progress bar on standard error while large inputs are read: it appears only when
/// standard error is a terminal and the reading has taken more than a second, and it is
/// cleared before anything is printed, so it never mixes with a report, piped or not.
pub struct Bar {
    pub counter: wsclose::Progress,
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Bar {
    /// Starts the bar's thread, or `None` when standard error is not a terminal.
    pub fn start(files: &[std::path::PathBuf]) -> Option<Bar> {
        use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        use std::time::{Duration, Instant};
        if !std::io::stderr().is_terminal() {
            return None;
        }
        // The total is known when every input is a file (bytes on disk, compressed or not).
        let total: Option<u64> = files
            .iter()
            .map(|p| {
                (!crate::cli::is_stream(p))
                    .then(|| std::fs::metadata(p).ok().map(|m| m.len()))
                    .flatten()
            })
            .sum();
        let counter = wsclose::Progress::default();
        let done = Arc::new(AtomicBool::new(false));
        let (c, d) = (Arc::clone(&counter), Arc::clone(&done));
        // No thread, no bar (the analysis does not need one).
        let spawned = std::thread::Builder::new().spawn(move || {
            let started = Instant::now();
            let mut bar: Option<ProgressBar> = None;
            while !d.load(Ordering::Acquire) {
                std::thread::park_timeout(Duration::from_millis(100));
                if bar.is_none() && started.elapsed() >= Duration::from_secs(1) {
                    let (b, template) = match total {
                        Some(t) => (
                            ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::hidden()),
                            "wsclose: reading [{wide_bar}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
                        ),
                        None => (
                            ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()),
                            "wsclose: reading {spinner} {bytes} ({bytes_per_sec})",
                        ),
                    };
                    if let Ok(style) = ProgressStyle::with_template(template) {
                        b.set_style(style.progress_chars("=> "));
                    }
                    // The rate and time left count from here, not from a jump at start.
                    b.set_position(c.load(Ordering::Relaxed));
                    b.reset_eta();
                    b.set_draw_target(ProgressDrawTarget::stderr());
                    bar = Some(b);
                }
                if let Some(b) = &bar {
                    b.set_position(c.load(Ordering::Relaxed));
                }
            }
            if let Some(b) = bar {
                b.finish_and_clear();
            }
        });
        let thread = spawned.ok()?;
        Some(Bar {
            counter,
            done,
            thread,
        })
    }

    /// Stops the bar and clears its line.
    pub fn finish(self) {
        self.done.store(true, std::sync::atomic::Ordering::Release);
        self.thread.thread().unpark();
        let _ = self.thread.join();
    }
}

/// With `WSCLOSE_TIMING` set or `-v`, each phase's wall and CPU time on standard error (for
/// `scripts/bench` and profiling; Linux only for the CPU time).
pub struct Timing(Option<std::cell::Cell<(std::time::Instant, f64)>>);

impl Timing {
    pub fn start(verbose: bool) -> Timing {
        Timing(
            (verbose || std::env::var_os("WSCLOSE_TIMING").is_some())
                .then(|| std::cell::Cell::new((std::time::Instant::now(), cpu_seconds()))),
        )
    }

    pub fn lap(&self, phase: &str) {
        if let Some(c) = &self.0 {
            let (t, cpu) = c.get();
            let now = (std::time::Instant::now(), cpu_seconds());
            eprintln!(
                "wsclose: timing: {phase}: {:.3} s wall, {:.2} s CPU",
                now.0.duration_since(t).as_secs_f64(),
                now.1 - cpu
            );
            c.set(now);
        }
    }
}

/// User and system CPU seconds of this process so far (0 where /proc is missing).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime, in clock ticks of 1/100 s on Linux.
    (ticks(11) + ticks(12)) / 100.0
}
