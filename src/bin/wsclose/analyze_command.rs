//! `wsclose analyze`: the captures analysed, the notes said, the selection, redaction and
//! annotated capture applied, the report written in its format, and the exit code.

use crate::annotate_command;
use crate::cli::{self, AnalyzeArgs};
use crate::export;
use crate::notes::{evictions_note, joins_note, key_log_notes, nothing_found};
use crate::progress::{Bar, Timing};
use crate::{command_line_less, plural, stream, QUIET};
use std::io::IsTerminal;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use wsclose::render::{csv, Format};
use wsclose::report::redact;
use wsclose::sanitize::terminal;

/// `wsclose analyze`: its exit code (`cli::EXIT_CODES`).
pub(crate) fn analyze(mut args: AnalyzeArgs, verbose: bool) -> Result<u8, wsclose::error::Error> {
    // A directory stands for the captures in it, in time order (rotated files); followed,
    // it is a capture ring, its files read as they appear (the library lists it).
    let ring = args.follow && matches!(&args.files[..], [d] if d.is_dir());
    let (files, notes) = if ring {
        (args.files.clone(), Vec::new())
    } else {
        cli::expand(&args.files)?
    };
    for n in notes {
        note!("wsclose: {}", terminal(&n));
    }
    args.files = files;
    if args.follow {
        check_follow(&args)?;
    } else if let Some(addr) = args.metrics.metrics {
        return Err(wsclose::error::Error::Usage(format!(
            "--metrics {addr} serves the metrics of a capture read as it is written: add \
             --follow (or use `wsclose live`)"
        )));
    }
    // Opened before the analysis: a target that cannot be written fails at once.
    let annotated = match &args.annotate {
        Some(out) => {
            annotate_command::check(&args.files, out, &args.keys, args.redact, args.notes)?;
            Some(annotate_command::prepare(
                "--annotate",
                out,
                true,
                args.notes,
            )?)
        }
        None => None,
    };
    let exports = export::open(&args)?;
    let opts = args.options();
    if opts.threads < args.read.threads {
        note!(
            "wsclose: --threads {}: using {} (one per core: more threads would only take turns)",
            args.read.threads,
            opts.threads
        );
    }
    let hashed = opts.hash_streams;
    let timing = Timing::start(verbose);
    // A Markdown report opens with each capture's SHA-256. It is computed on a thread of its
    // own while the analysis runs, instead of by a second read of every file after it (that
    // read and hash, about half a second per GB, used to come on top of the analysis).
    let hashing = hashed
        .then(|| {
            let files = args.files.clone();
            std::thread::Builder::new()
                .spawn(move || files.iter().map(|p| sha256(p)).collect::<Vec<_>>())
                .ok()
        })
        .flatten();
    let mut report = if args.follow {
        follow(&args, opts, verbose)?
    } else {
        analyze_with_bar(&args, opts)?
    };
    timing.lap("analysis");
    report.command = Some(command_line_less(EXPORT_FLAGS));
    say_notes(&report, &args, verbose);
    let unreadable = report.inputs.iter().any(|i| i.error.is_some());
    let found = report.summary.total_connections;
    args.select.apply(&mut report)?;
    // Redacted first: the annotated capture's comments are redacted as the report is.
    let paths = annotate_command::inputs(&report);
    if args.redact {
        redact::redact(&mut report);
    }
    if let (Some(file), Some(out)) = (annotated, &args.annotate) {
        let budget = args.limits.max_memory;
        annotate_command::write(
            &report,
            file,
            &paths,
            out,
            &args.files,
            &args.keys,
            args.notes,
            budget,
        )?;
    }
    write(&args, exports, &mut report, hashing, &timing, verbose)?;
    exit_code(&args, &report, unreadable, found)
}

/// SHA-256 of a file, streamed (none for an unreadable file, and for standard input or a
/// pipe, which is read once, by the analysis, and hashed there: `InputSummary::sha256`).
fn sha256(path: &std::path::Path) -> Option<String> {
    use sha2::Digest;
    if cli::is_stream(path) {
        return None;
    }
    let f = std::fs::File::open(path).ok()?;
    let mut h = sha2::Sha256::new();
    // Read 64 KiB at a time (`io::copy` hashes straight from a `BufReader`'s buffer): its
    // own 8 KiB made eight times the system calls.
    std::io::copy(&mut std::io::BufReader::with_capacity(64 << 10, f), &mut h).ok()?;
    Some(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The inputs' SHA-256s, computed on a thread of their own while the analysis runs.
type Hashing = JoinHandle<Vec<Option<String>>>;

/// `--follow`: one input, standard input, a FIFO or a regular file (followed as it grows);
/// anything else is a usage error.
fn check_follow(args: &AnalyzeArgs) -> Result<(), wsclose::error::Error> {
    let usage = wsclose::error::Error::Usage;
    // The input cannot be read again to annotate.
    if args.annotate.is_some() {
        return Err(usage(
            "--follow cannot be used with --annotate: a followed input is read once and \
             cannot be read again to copy its packets"
                .into(),
        ));
    }
    match &args.files[..] {
        [_] => Ok(()),
        many => Err(usage(format!(
            "--follow reads one capture (standard input, a FIFO or a file being written), not {}",
            many.len()
        ))),
    }
}

/// What `--follow` and `live` print for a close as it happens, in `format`: its record
/// (json, jsonl), its ECS document (ecs), else its line; redacted as `stream` says.
pub(crate) fn event_text(
    format: Format,
    verbose: bool,
    stream: &wsclose::render::events::Stream,
    ev: &wsclose::CloseEvent,
) -> String {
    use wsclose::render::events;
    let mut line = match format {
        Format::Json | Format::Jsonl => events::json_line(ev, stream),
        Format::Ecs => events::ecs_line(ev, stream),
        Format::Table | Format::Markdown | Format::Csv | Format::Html => {
            events::line_in(ev, verbose, stream)
        }
    };
    line.push('\n');
    line
}

/// An incident forming, when `ev` takes a server's endings past a mark of `watch`: its line
/// after the event's in a text format; on standard error beside records (json, jsonl,
/// ecs), whose stream holds records of the schema only (the report's `incidents` follow).
/// The server is named as `stream` names endpoints (its pseudonym under `--redact`).
/// Counted in the metrics too, when there are some.
pub(crate) fn forming_incident(
    format: Format,
    watch: &std::sync::Mutex<wsclose::incident::Watch>,
    metrics: Option<&crate::metrics::Metrics>,
    ev: &wsclose::CloseEvent,
    stream: &wsclose::render::events::Stream,
    line: &mut String,
) {
    let formed = watch.lock().map(|mut w| w.event(ev));
    let Ok(Some(f)) = formed else {
        return;
    };
    forming_line(format, metrics, &f, stream, line);
}

/// An incident forming, `f`: counted in the metrics when there are some, and its line after
/// `line` in a text format, on standard error beside records.
pub(crate) fn forming_line(
    format: Format,
    metrics: Option<&crate::metrics::Metrics>,
    f: &wsclose::incident::Forming,
    stream: &wsclose::render::events::Stream,
    line: &mut String,
) {
    if let Some(m) = metrics {
        m.forming(f);
    }
    let said = f.line_naming(&stream.endpoint(&f.server.to_string()));
    if format.is_records() {
        note!("wsclose: {said}");
    } else {
        line.push_str(&said);
        line.push('\n');
    }
}

/// What a followed or live capture tells as it goes: `on_event`, each WebSocket connection
/// begun and finished told to the incident `watch` (the sessions open to each server, a
/// stop's evidence), each attempt refused told to it too (a server shown gone: a stop it
/// held back is said then, through `on_forming`), and with `--metrics` each report counted
/// and the library's tally shared with the metrics.
pub(crate) fn taps(
    on_event: wsclose::OnEvent,
    watch: std::sync::Arc<std::sync::Mutex<wsclose::incident::Watch>>,
    metrics: Option<&std::sync::Arc<crate::metrics::Metrics>>,
    mut on_forming: Box<dyn FnMut(&wsclose::incident::Forming) + Send>,
) -> wsclose::Taps {
    let mut taps = wsclose::Taps::new(on_event);
    let refusals = std::sync::Arc::clone(&watch);
    taps.on_session = Some(Box::new(move |m| {
        if let Ok(mut w) = watch.lock() {
            w.session(m.start, m.client, m.server, m.scope, m.begun);
        }
    }));
    taps.on_refused = Some(Box::new(move |server, at| {
        let formed = refusals.lock().ok().and_then(|mut w| w.refused(server, at));
        if let Some(f) = formed {
            on_forming(&f);
        }
    }));
    // The incident watch's kept endings and groups, beside the analysis.
    taps.beside = wsclose::incident::watch::HELD_BYTES;
    // A capture ring's files lost: said as it happens (the report's warnings say it again).
    taps.on_note = Some(Box::new(|w| {
        note!("wsclose: warning: {}", terminal(w));
    }));
    if let Some(m) = metrics {
        let counted = std::sync::Arc::clone(m);
        taps.on_report = Some(Box::new(move |r| counted.report(r)));
        taps.tally = Some(std::sync::Arc::clone(&m.tally));
        taps.beside = m.room + wsclose::incident::watch::HELD_BYTES;
    }
    taps
}

/// `--follow`: the input read on one analyzer, each close said on standard output as it
/// is read (as `wsclose live` says it: [`event_text`], a line, or a record with --format
/// json, jsonl or ecs; redacted with --redact), flushed at once, until the input ends,
/// SIGINT, SIGTERM or SIGHUP stops the reading (a regular file does not end: it is followed
/// as it grows), or standard output is closed (its reader gone, as `| head -1` goes: the run
/// ends, as `tail -f`'s does); the report follows. A second signal while the report is
/// written ends the process the usual way (130).
fn follow(
    args: &AnalyzeArgs,
    opts: wsclose::Options,
    verbose: bool,
) -> Result<wsclose::report::Report, wsclose::error::Error> {
    use std::io::Write;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    use wsclose::render::events;
    let Some(path) = args.files.first() else {
        return Err(wsclose::error::Error::Usage(
            "--follow needs a capture".into(),
        ));
    };
    let stop = Arc::new(AtomicBool::new(false));
    // Standard output closed: seen when a line fails to go out, or by the watch below while
    // no close comes.
    let closed = Arc::new(AtomicBool::new(false));
    let (on_stop, on_closed) = (Arc::clone(&stop), Arc::clone(&closed));
    let stream = events::Stream::new(&path.display().to_string(), args.redact);
    let key = std::sync::Arc::clone(&stream.key);
    let format = args.format;
    // `--metrics`: bound before the input is opened (a port in use fails at once).
    let metrics = crate::metrics::serve(
        &args.metrics,
        args.limits.max_memory,
        args.redact.then(|| std::sync::Arc::clone(&key)),
    )?;
    // Incidents as they form: said when a server's endings pass a mark.
    let watch = metrics
        .as_ref()
        .map_or_else(Default::default, |m| std::sync::Arc::clone(&m.watch));
    let counted = metrics.clone();
    let sessions = std::sync::Arc::clone(&watch);
    // A stop said when an attempt refused shows its server gone (no close event then).
    let (f_stream, f_counted) = (stream.clone(), metrics.clone());
    let on_forming = Box::new(move |f: &wsclose::incident::Forming| {
        let mut line = String::new();
        forming_line(format, f_counted.as_deref(), f, &f_stream, &mut line);
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
    });
    let on_event = Box::new(move |ev: &wsclose::CloseEvent| {
        let mut line = event_text(format, verbose, &stream, ev);
        forming_incident(format, &watch, counted.as_deref(), ev, &stream, &mut line);
        let mut out = std::io::stdout().lock();
        // A standard output that is gone otherwise fails the report after, which says so.
        if let Err(e) = out.write_all(line.as_bytes()).and_then(|()| out.flush()) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                on_closed.store(true, Ordering::SeqCst);
                on_stop.store(true, Ordering::SeqCst);
            }
        }
    });
    crate::signals::stop_on_signal(&stop);
    watch_stdout(&stop, &closed);
    let report = match wsclose::analyze_follow(
        path,
        opts,
        &args.keys.sources(),
        taps(on_event, sessions, metrics.as_ref(), on_forming),
        &stop,
        &key,
    ) {
        // Stopped before a byte came (a FIFO no writer opened): said, then the error of an
        // empty input (exit 3).
        Err(e @ wsclose::error::Error::Empty { .. }) if stop.load(Ordering::SeqCst) => {
            note!(
                "wsclose: stopped following {} before anything was written to it (a signal, or standard output closed)",
                terminal(&path.display().to_string())
            );
            return Err(e);
        }
        r => r?,
    };
    if closed.load(Ordering::SeqCst) {
        note!(
            "wsclose: stopped following {}: standard output was closed (its reader is gone)",
            terminal(&path.display().to_string())
        );
    } else if stop.load(Ordering::SeqCst) {
        note!(
            "wsclose: stopped following {} (a signal: Ctrl-C, SIGTERM or SIGHUP); the report covers what was read",
            terminal(&path.display().to_string())
        );
    }
    Ok(report)
}

/// Watches standard output on a thread of its own while a capture is followed: a pipe whose
/// reader is gone (POLLERR) or a terminal hung up (POLLHUP) sets `closed` and `stop`, so
/// that the run ends though no close comes to be written. Looked at every 150 ms (the
/// follow's own poll) until `stop` is set; nothing happens to a file or `/dev/null`.
fn watch_stdout(
    stop: &std::sync::Arc<std::sync::atomic::AtomicBool>,
    closed: &std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    let (stop, closed) = (std::sync::Arc::clone(stop), std::sync::Arc::clone(closed));
    let _ = std::thread::Builder::new()
        .name("stdout-watch".into())
        .spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let mut fd = libc::pollfd {
                    fd: libc::STDOUT_FILENO,
                    events: 0,
                    revents: 0,
                };
                // SAFETY: one valid pollfd, for the length given.
                let n = unsafe { libc::poll(&mut fd, 1, 150) };
                if n > 0 && fd.revents & (libc::POLLERR | libc::POLLHUP) != 0 {
                    closed.store(true, Ordering::SeqCst);
                    stop.store(true, Ordering::SeqCst);
                }
                if n < 0 || fd.revents & libc::POLLNVAL != 0 {
                    break;
                }
            }
        });
}

/// The analysis, with a progress bar on standard error unless `-q`.
fn analyze_with_bar(
    args: &AnalyzeArgs,
    opts: wsclose::Options,
) -> Result<wsclose::report::Report, wsclose::error::Error> {
    let bar = (!QUIET.load(Ordering::Relaxed))
        .then(|| Bar::start(&args.files))
        .flatten();
    let analyzed = wsclose::analyze_files_with_progress(
        &args.files,
        opts,
        &args.keys.sources(),
        bar.as_ref().map(|b| std::sync::Arc::clone(&b.counter)),
    );
    if let Some(b) = bar {
        b.finish();
    }
    analyzed
}

/// On standard error: what the key logs gave, the warnings of the report and of each
/// input, an input that could not be read, how the inputs were taken, and the connections
/// a cap ended early.
fn say_notes(report: &wsclose::report::Report, args: &AnalyzeArgs, verbose: bool) {
    key_log_notes(&report.key_logs, &report.key_log_warnings, verbose);
    for w in &report.warnings {
        note!("wsclose: warning: {}", terminal(w));
    }
    for input in &report.inputs {
        for w in &input.warnings {
            note!("wsclose: warning: {}: {}", terminal(&input.path), w);
        }
        if let Some(e) = &input.error {
            eprintln!("wsclose: {} (the other inputs were analyzed)", terminal(e));
        }
    }
    joins_note(&report.inputs);
    evictions_note(&report.seen, &args.limits);
}

/// The options of the exports, left out of the command a report says made it (as a
/// shell's redirection is): every export of a run, and a run that writes only one of them,
/// say the same command.
const EXPORT_FLAGS: &[&str] = &[
    "--export-json",
    "--export-jsonl",
    "--export-ecs",
    "--export-markdown",
    "--export-html",
    "--export-csv",
];

/// Writes the report to every export, then to standard output in the format asked for.
fn write(
    args: &AnalyzeArgs,
    exports: Vec<export::Export<'_>>,
    report: &mut wsclose::report::Report,
    hashing: Option<Hashing>,
    timing: &Timing,
    verbose: bool,
) -> Result<(), wsclose::error::Error> {
    let spill = wsclose::error::Error::Spill;
    let formats: Vec<Format> = args.formats().collect();
    // JSON, JSON Lines and CSV are streamed, a chunk of connections at a time: a large
    // report is never in memory.
    if formats.iter().any(|f| f.streams())
        && report.stored.as_ref().is_some_and(|s| s.on_disk() == 0)
    {
        // All in memory anyway: move them out of the store rather than copy chunks.
        report.load().map_err(spill)?;
    }
    let hashes: Vec<Option<String>> = if formats.iter().any(|f| f.shows_hashes()) {
        let hashes = match hashing.map(|h| h.join()) {
            Some(Ok(hashes)) => hashes,
            // No thread could be made (or it failed): hash here.
            _ => args.files.iter().map(|p| sha256(p)).collect(),
        };
        timing.lap("hash");
        hashes
    } else {
        Vec::new()
    };
    let how = crate::render_options(&hashes, args.timeline, args.full, args.color, verbose);
    // The exports first: a standard output that fails ends the run (exit 6).
    let mut left_out = Vec::new();
    if !exports.is_empty() {
        left_out = export::write(exports, report, &how)?;
        timing.lap("exports");
    }
    // The table a table at a time, read back from the store; JSON, JSON Lines and CSV
    // streamed a chunk at a time: a large report is never in memory.
    stream(|out| {
        args.format.write(report, out, &how).map(|left| {
            if !left.is_empty() {
                left_out = left;
            }
        })
    });
    timing.lap("report");
    // Read on a terminal, a table of thousands of connections scrolls away: say how to
    // narrow it (on standard error, so a redirected table stays the same).
    if args.format == Format::Table && std::io::stdout().is_terminal() {
        if let Some(hint) =
            wsclose::report::filter::narrowing_hint(report, &args.select.selection())
        {
            note!("wsclose: {hint}");
        }
    }
    // What the CSV cannot say in a row: frames that fell out of the frame log.
    if let Some(left) = csv::left_out_note(&left_out) {
        note!("wsclose: warning: {left}");
    }
    Ok(())
}

/// The exit code, and on standard error why it is not 0: an input that could not be read
/// (3), no WebSocket connection read or left by the selection (1), a connection whose
/// status `--fail-on` lists (5).
fn exit_code(
    args: &AnalyzeArgs,
    report: &wsclose::report::Report,
    unreadable: bool,
    found: u64,
) -> Result<u8, wsclose::error::Error> {
    if unreadable {
        return Ok(3);
    }
    if found == 0 && report.summary.encrypted_connections > 0 {
        eprintln!(
            "wsclose: no WebSocket connection could be read: {} encrypted (listed in the report, with why and what to do)",
            plural(report.summary.encrypted_connections, "TLS connection"),
        );
        return Ok(1);
    }
    // A selection that left none of them listed.
    if let (0, Some(all)) = (found, report.summary.total_encrypted_connections) {
        let line = wsclose::report::filter::shown_line(report).unwrap_or_default();
        eprintln!(
            "wsclose: no WebSocket connection could be read: {} encrypted; {}",
            plural(all, "TLS connection"),
            terminal(&line)
        );
        return Ok(1);
    }
    if found == 0 {
        eprintln!("wsclose: {}", nothing_found(&report.seen));
        return Ok(1);
    }
    // A filter that left nothing: said, and exit 1, as grep does with no match.
    if report.summary.connections == 0 {
        if let Some(line) = wsclose::report::filter::shown_line(report) {
            eprintln!("wsclose: {}", terminal(&line));
            return Ok(1);
        }
    }
    fail_on(&args.fail_on, report)
}

/// `--fail-on` (`analyze`, `live`): 5, said on standard error, when a shown connection has
/// one of the statuses listed; else 0.
pub(crate) fn fail_on(
    fail_on: &[wsclose::report::filter::StatusSpec],
    report: &wsclose::report::Report,
) -> Result<u8, wsclose::error::Error> {
    if !fail_on.is_empty() {
        let mut hits = 0;
        report
            .for_each_connection(|c| {
                hits += usize::from(fail_on.iter().any(|s| s.matches(c)));
                Ok(())
            })
            .map_err(wsclose::error::Error::Spill)?;
        if hits > 0 {
            eprintln!(
                "wsclose: {} ended with a status listed in --fail-on",
                plural(hits as u64, "connection")
            );
            return Ok(5);
        }
    }
    Ok(0)
}
