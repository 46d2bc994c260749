//! The analysis of a live capture ([`crate::live_session`], feature `live`): the packets
//! libpcap gives go through the same [`Analyzer`] as a file's, the key logs followed as
//! they grow; when the capture stops, its one input is summed up (what was lost, where the
//! packets were saved), the connections open while packets were lost are marked, and the
//! saved file is given the TLS secrets of its connections.
//!
//! In: the capture's options, the analysis', key sources, callbacks. Out: the [`Report`],
//! libpcap's counters, and why the capture stopped early, if it did.

use super::{Analyzer, Options, Taps};
use crate::capture;
use crate::capture::live::{DropLog, LiveOptions};
use crate::error::Error;
use crate::error::LiveSummary;
use crate::report::{self, Report};
use crate::vocab::LiveDrops;
use crate::{diagnose, extract, keys, memory, stack};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

/// See [`crate::live_session`].
#[allow(clippy::too_many_arguments)]
pub fn live_session(
    opts: &LiveOptions,
    analysis: Options,
    key_sources: &keys::KeySources,
    stop: &AtomicBool,
    opened: &mut dyn FnMut(),
    taps: Taps,
    on_drops: &mut dyn FnMut(&LiveDrops),
    key: &crate::report::redact::KeySlot,
) -> Result<(Report, LiveSummary, Option<Error>), Error> {
    refuse_replacing_a_key_log(opts, key_sources)?;
    let mut analyzer = Analyzer::new(analysis);
    let tally = taps.tally.clone();
    analyzer.tap(taps);
    analyzer.share_key(std::sync::Arc::clone(key));
    let mut keys = Following::new(key_sources);
    keys.poll(&mut analyzer);
    let mut polled = Instant::now();
    let queue = memory::read_room(analysis.max_memory.max(memory::MIN_MAX_MEMORY));
    let drops = std::sync::Mutex::new(DropLog::default());
    let result = capture::live::capture(
        opts,
        stop,
        queue,
        opened,
        &mut |pkt| {
            if keys.following() && polled.elapsed() >= Duration::from_millis(2) {
                polled = Instant::now();
                keys.poll(&mut analyzer);
            }
            analyzer.packet(pkt);
            // Counted for the metrics (`--metrics`): see `Tally::packet`.
            if let Some(t) = &tally {
                if t.packet(pkt.data.len(), pkt.ts.0) {
                    t.charged_bytes.store(
                        analyzer.charged() as u64,
                        std::sync::atomic::Ordering::Relaxed,
                    );
                }
            }
        },
        on_drops,
        &drops,
    );
    let drops = drops.into_inner().unwrap_or_else(|p| p.into_inner());
    let (summary, failure) = match result {
        Ok(s) => (s, None),
        Err(e) => match &e {
            Error::LiveStopped { summary, .. } | Error::LiveWriteFailed { summary, .. } => {
                (*summary, Some(e))
            }
            _ => return Err(e),
        },
    };
    let saved = Saved::new(opts, &failure);
    let mut warnings = stop_warnings(&failure);
    warnings.extend(drop_warnings(&drops.counts, saved.file()));
    warnings.extend(saved.warnings(&summary, keys.following()));
    let input = input_summary(opts, &summary, warnings, failure.is_some());
    keys.poll(&mut analyzer);
    keys.count_more(&mut analyzer);
    let key_log = analyzer.key_log();
    let pseudonyms = analyzer.key();
    let (mut connections, mut seen) = analyzer.finish_input()?;
    seen.live_drops = Some(drops.counts);
    if drops.counts.any() {
        mark_lost(&mut connections, &drops);
    }
    let mut report = Report::new(vec![input], connections, seen);
    report.key = Some(pseudonyms);
    // The saved file carries the TLS secrets of the connections in it, before its first
    // packet (where Wireshark and wsclose read them), when key logs were followed.
    if let Some(w) = saved.rewritable().filter(|_| keys.following()) {
        add_secrets(&mut report, w, &key_log);
    }
    keys.into_report(&mut report);
    Ok((report, summary, failure))
}

/// The file to save to is the user's: it never replaces one of the key logs to follow.
fn refuse_replacing_a_key_log(
    opts: &LiveOptions,
    key_sources: &keys::KeySources,
) -> Result<(), Error> {
    if let Some(w) = &opts.write {
        let same = |k: &Path| matches!((std::fs::canonicalize(w), std::fs::canonicalize(k)), (Ok(a), Ok(b)) if a == b);
        if let Some((_, name, _)) = key_sources.named().find(|(k, _, _)| same(k)) {
            return Err(Error::Usage(format!(
                "--write {} names the key log {name}: saving the capture there would replace \
                 it; write the capture to another file",
                w.display()
            )));
        }
    }
    Ok(())
}

/// The key logs followed while the capture runs, and their warnings.
///
/// Key logs are reread as they grow, at most every 2 ms while packets come (a poll is an
/// open and a stat: at most 500 a second). Chromium 156 appends a connection's lines up
/// to 20 ms after its first encrypted request (measured on loopback), and a WebSocket can
/// close within that: polled every 50 ms, a connection could end, and be reported with
/// "no key", before its lines were read; its records wait (held) until they are.
struct Following {
    followers: Vec<keys::Follower>,
    warnings: Vec<String>,
}

impl Following {
    fn new(key_sources: &keys::KeySources) -> Following {
        Following {
            followers: keys::Follower::all(key_sources),
            warnings: Vec::new(),
        }
    }

    /// Whether any key log is followed.
    fn following(&self) -> bool {
        !self.followers.is_empty()
    }

    /// Reads what the key logs gained since the last poll.
    fn poll(&mut self, analyzer: &mut Analyzer) {
        if let Some(keys) = analyzer.keys_mut() {
            for f in self.followers.iter_mut() {
                self.warnings.extend(f.poll(keys));
            }
        }
        // The secrets read take their part of the memory budget.
        analyzer.recount_keys();
    }

    /// The count of each key log's bad lines beyond those listed.
    fn count_more(&mut self, analyzer: &mut Analyzer) {
        if let Some(keys) = analyzer.keys_mut() {
            for f in &self.followers {
                self.warnings.extend(
                    keys.more_warnings(&f.name().to_string())
                        .map(|w| w.to_string()),
                );
            }
        }
    }

    /// The key logs followed, and their warnings, in the report.
    fn into_report(self, report: &mut Report) {
        report.set_key_logs(
            self.followers
                .iter()
                .map(|f| crate::vocab::KeySource {
                    source: f.name().clone(),
                    connections: f.connections(),
                    unmatched_lines: 0,
                    error: None,
                })
                .collect(),
        );
        report.key_log_warnings = self.warnings;
    }
}

/// Where the captured packets were saved, if they were.
struct Saved<'a> {
    /// `-w`: the file (or `-`) the capture was written to, if it was written whole.
    to: Option<&'a Path>,
    /// `-w -`: the packets went to standard output, a stream the secrets cannot be put
    /// back into.
    to_stdout: bool,
}

impl<'a> Saved<'a> {
    fn new(opts: &'a LiveOptions, failure: &Option<Error>) -> Saved<'a> {
        let written = !matches!(failure, Some(Error::LiveWriteFailed { .. }));
        Saved {
            to: opts.write.as_deref().filter(|_| written),
            to_stdout: opts.write.as_ref().is_some_and(|w| w.as_os_str() == "-"),
        }
    }

    /// Whether the packets were saved.
    fn file(&self) -> bool {
        self.to.is_some()
    }

    /// The saved file, when it can be given the TLS secrets (not standard output).
    fn rewritable(&self) -> Option<&'a Path> {
        self.to.filter(|_| !self.to_stdout)
    }

    /// What the saved file reproduces, and what it lacks.
    fn warnings(&self, summary: &LiveSummary, following: bool) -> Vec<String> {
        let mut warnings = Vec::new();
        if let Some(w) = self.to {
            warnings.push(if self.to_stdout {
                format!(
                    "every captured packet was written to standard output ({} packets); \
                     `wsclose analyze` of what it was saved to reproduces this report",
                    summary.packets
                )
            } else {
                format!(
                    "every captured packet was saved to {} ({} packets); `wsclose analyze {}` reproduces this report",
                    w.display(),
                    summary.packets,
                    w.display()
                )
            });
        }
        if self.to_stdout && self.file() && following {
            warnings.push(
                "the TLS secrets are not in the capture written to standard output (a stream \
                 is not rewritten once written): give the key log with it to decrypt it"
                    .into(),
            );
        }
        warnings
    }
}

/// Why the capture stopped early, if it did.
fn stop_warnings(failure: &Option<Error>) -> Vec<String> {
    let mut warnings: Vec<String> = Vec::new();
    match failure {
        Some(Error::LiveWriteFailed { stopped, .. }) => {
            warnings.extend(stopped.iter().cloned());
            warnings.push(failure.iter().map(|e| e.to_string()).collect());
        }
        Some(e) => warnings.push(e.to_string()),
        None => {}
    }
    warnings
}

/// The live capture as the report's one input.
fn input_summary(
    opts: &LiveOptions,
    summary: &LiveSummary,
    warnings: Vec<String>,
    truncated: bool,
) -> crate::vocab::InputSummary {
    crate::vocab::InputSummary {
        path: format!("live:{}", opts.interface),
        format: "live",
        gzip: false,
        compression: None,
        link_types: summary.link.into_iter().collect(),
        packets: summary.packets,
        warnings,
        bytes: None,
        first_time: None,
        last_time: None,
        truncated,
        error: None,
        continues_previous: false,
        packet_offset: 0,
        continuity: None,
        unrelated: false,
        dropped: 0,
        span: None,
        sha256: None,
    }
}

/// A finding on each connection that was open while packets were lost; one still open when
/// the capture stopped is "Unknown (packets dropped)" (its end may be among them), not
/// "Open".
fn mark_lost(connections: &mut [report::ConnectionReport], drops: &DropLog) {
    // A connection was open from its first packet to its TCP ending both ways (an RST,
    // or a FIN each way); one the analysis did not see end was open until the capture
    // stopped (its ending may be what was lost).
    let ended = |c: &report::ConnectionReport| {
        c.tcp_ends.len() >= 2
            || c.tcp_ends
                .iter()
                .any(|e| e.kind == crate::vocab::EndKind::Rst)
    };
    let lost = drops.counts.kernel + drops.counts.interface + drops.counts.queue;
    for c in connections.iter_mut().filter(|c| {
        let end = if ended(c) {
            c.end
        } else {
            crate::vocab::Timestamp(i64::MAX)
        };
        drops.overlaps(c.start, end)
    }) {
        if !ended(c) {
            diagnose::dropped(&mut c.status, lost);
        }
        let found = crate::vocab::Found::LiveDrop;
        c.findings
            .push(crate::report::words::finding::finding(None, None, found));
    }
}

/// Writes the TLS secrets of the report's connections into the saved file `w` (a
/// Decryption Secrets Block), and says so, or why not, on the input.
fn add_secrets(report: &mut Report, w: &Path, keys: &stack::tls::keylog::KeyLog) {
    let added = extract::report_secrets(report, keys).and_then(|text| {
        if text.is_empty() {
            return Ok(0);
        }
        capture::write::insert_secrets(w, text.as_bytes()).map(|()| text.lines().count())
    });
    let note = match added {
        Ok(0) => None,
        Ok(n) => Some(format!(
            "{}: the TLS secrets of its connections ({n} key-log lines) are in it, in a \
             Decryption Secrets Block: Wireshark and `wsclose analyze` decrypt it with no \
             key log; share it as you would the key log",
            w.display()
        )),
        Err(e) => Some(format!(
            "{}: the TLS secrets could not be added to it ({e}): its packets are whole; \
             give the key log with it to decrypt them",
            w.display()
        )),
    };
    if let (Some(note), Some(input)) = (note, report.inputs.first_mut()) {
        input.warnings.push(note);
    }
}

/// The report's warnings for a live capture's lost packets, one per place they were lost.
fn drop_warnings(d: &LiveDrops, saved: bool) -> Vec<String> {
    let plural = |n: u64, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let mut w = Vec::new();
    if d.kernel > 0 {
        w.push(format!(
            "the kernel dropped {} (its capture ring was full: the capture fell behind); they \
             are neither analysed nor saved, and closes in them are missing: a larger \
             --buffer-size, a narrower -f filter",
            plural(d.kernel, "packet")
        ));
    }
    if d.interface > 0 {
        w.push(format!(
            "the interface dropped {} before capture; closes in them are missing",
            plural(d.interface, "packet")
        ));
    }
    if d.queue > 0 {
        w.push(format!(
            "the analysis fell behind and skipped {} (its queue, a sixteenth of --max-memory, \
             was full); {}",
            plural(d.queue, "captured packet"),
            if saved {
                "the saved file has them all: `wsclose analyze` on it gives the whole report"
            } else {
                "closes in them are missing from this report: save the packets with -w and \
                 analyse the file"
            }
        ));
    }
    w
}
