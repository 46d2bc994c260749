//! The `wsclose` binary: parse the command line, run, print, and map the outcome to the
//! exit codes documented in README.md and `--help`. Errors go to standard error as
//! `wsclose: <what happened and what to do>`; a closed pipe (`| head`) is not an error.
//! Notes and warnings go there too, unless `-q`.

use cli::{AnalyzeArgs, Cli, ColorChoice, Command, ExtractArgs, Format, LiveArgs, TextFormat};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use wsclose::render::{csv, explain, html, json, markdown, table};
use wsclose::report::redact;
use wsclose::sanitize::terminal;

/// `-q`: no notes or warnings on standard error (errors, and why the exit code is not 0,
/// are still said).
static QUIET: AtomicBool = AtomicBool::new(false);

/// A note or warning on standard error, left out with `-q`.
macro_rules! note {
    ($($arg:tt)*) => {
        if !QUIET.load(Ordering::Relaxed) {
            eprintln!($($arg)*);
        }
    };
}

#[path = "main/annotate.rs"]
mod annotate;
#[path = "main/cli.rs"]
mod cli;
#[path = "main/man.rs"]
mod man;
#[path = "main/output.rs"]
mod output;
use output::OutputFile;
#[path = "main/progress.rs"]
mod progress;
use progress::{Bar, Timing};

fn main() -> ExitCode {
    let cli = match cli::parse_from(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => return ExitCode::from(clap_exit(&e)),
    };
    QUIET.store(cli.quiet, Ordering::Relaxed);
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("wsclose: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// What clap itself prints (`--help`, `--version`, a usage error), printed, and the exit
/// code: clap's (0 for help and version, 2 for a usage error), or 6 when help or version
/// could not be written to standard output (a closed pipe is no failure, as in `stream`).
fn clap_exit(e: &clap::Error) -> u8 {
    // `-V` after a command: wsclose's version, not clap's "wsclose-analyze 0.1.0".
    let printed = if e.kind() == clap::error::ErrorKind::DisplayVersion {
        writeln!(std::io::stdout(), "wsclose {}", env!("CARGO_PKG_VERSION"))
    } else {
        e.print()
    };
    let printed = printed.and_then(|()| {
        if e.use_stderr() {
            std::io::stderr().flush()
        } else {
            std::io::stdout().flush()
        }
    });
    match printed {
        Err(w) if !e.use_stderr() && w.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("wsclose: cannot write to standard output: {w}");
            6
        }
        _ => u8::try_from(e.exit_code()).unwrap_or(2),
    }
}

/// Writes to standard output; a reader that went away (broken pipe) ends quietly.
fn emit(text: &str) {
    stream(|out| out.write_all(text.as_bytes()));
}

/// Writes to standard output, buffered, with `write`: a closed pipe ends quietly (`| head`);
/// any other failure (a full disk, a report that could not be read back) is said and exits
/// with 6, "cannot write", so that a script never takes a cut report for a whole one.
fn stream(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if let Err(e) = write(&mut out).and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("wsclose: cannot write the report: {e}");
            std::process::exit(6);
        }
    }
}

/// Table width: `COLUMNS` when set, else the terminal's, else the renderer's default.
fn width() -> Option<u16> {
    if let Some(c) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
    {
        return Some(c.max(40));
    }
    if std::io::stdout().is_terminal() {
        comfy_table::Table::new().width()
    } else {
        None
    }
}

fn run(cli: Cli) -> Result<u8, wsclose::error::Error> {
    let verbose = cli.verbose > 0;
    match cli.command {
        Command::Analyze(args) => analyze(args, verbose),
        Command::Explain {
            mut codes, format, ..
        } => {
            codes.dedup();
            emit(&match format {
                TextFormat::Table => explain::explain(&codes, width()),
                TextFormat::Json => explain::explain_json(&codes),
            });
            Ok(0)
        }
        Command::Codes { format, .. } => {
            emit(&match format {
                TextFormat::Table => explain::codes(width()),
                TextFormat::Json => explain::codes_json(),
            });
            Ok(0)
        }
        Command::Extract(args) => extract(args, verbose),
        Command::Annotate(args) => annotate::annotate(args, verbose),
        Command::Live(args) if args.list => interfaces(),
        Command::Live(args) => live(args, verbose),
        Command::Interfaces => interfaces(),
        Command::Schema => {
            emit(&wsclose::report::schema::report_text());
            Ok(0)
        }
        Command::Completions { shell } => {
            use clap_complete::Generator;
            let mut cmd = <Cli as clap::CommandFactory>::command();
            cmd.set_bin_name("wsclose");
            cmd.build();
            // `try_generate`: `generate` panics when the script cannot be written.
            stream(|out| shell.try_generate(&cmd, out));
            Ok(0)
        }
        Command::Man { command } => man::man(command.as_deref()),
    }
}

/// "1 packet", "2 packets".
fn plural(n: u64, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The command line as typed, for the report header (arguments with spaces quoted).
fn command_line() -> String {
    // "wsclose" rather than the binary's path, which says nothing to the ticket's reader.
    std::iter::once("wsclose".to_string())
        .chain(std::env::args().skip(1))
        .map(|a| {
            if a.contains(' ') || a.is_empty() {
                format!("'{a}'")
            } else {
                a
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
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

fn color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

fn analyze(mut args: AnalyzeArgs, verbose: bool) -> Result<u8, wsclose::error::Error> {
    // A directory stands for the captures in it, in time order (rotated files).
    let (files, notes) = cli::expand(&args.files)?;
    for n in notes {
        note!("wsclose: {}", terminal(&n));
    }
    args.files = files;
    // Opened before the analysis: a target that cannot be written fails at once.
    let annotated = match &args.annotate {
        Some(out) => {
            annotate::check(&args.files, out, &args.keys, args.redact, args.notes)?;
            Some(annotate::prepare("--annotate", out, true, args.notes)?)
        }
        None => None,
    };
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
    let mut report = analyzed?;
    timing.lap("analysis");
    report.command = Some(command_line());
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
    let unreadable = report.inputs.iter().any(|i| i.error.is_some());
    let found = report.summary.total_connections;
    let spill = wsclose::error::Error::Spill;
    select(&args.select, &mut report)?;
    // Redacted first: the annotated capture's comments are redacted as the report is.
    let paths = annotate::inputs(&report);
    if args.redact {
        redact::redact(&mut report);
    }
    if let (Some(file), Some(out)) = (annotated, &args.annotate) {
        let budget = args.limits.max_memory;
        annotate::write(
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
    match args.format {
        // Streamed, a chunk of connections at a time: a large report is never in memory.
        Format::Json | Format::Csv => {
            if report.stored.as_ref().is_some_and(|s| s.on_disk() == 0) {
                // All in memory anyway: move them out of the store rather than copy chunks.
                report.load().map_err(spill)?;
            }
            let mut left_out = Vec::new();
            stream(|out| match args.format {
                Format::Json => json::write(&report, out),
                _ if args.timeline => csv::write_timeline(&report, out).map(|left| left_out = left),
                _ => csv::write(&report, out),
            });
            // What the CSV cannot say in a row: frames that fell out of the frame log.
            if let Some(left) = csv::left_out_note(&left_out) {
                note!("wsclose: warning: {left}");
            }
            timing.lap("report");
        }
        // A table at a time, read back from the store: a large report is never in memory.
        Format::Table => {
            let detail = if verbose {
                table::Detail::Full
            } else {
                table::Detail::Brief
            };
            stream(|out| table::write_detail(&report, width(), color(args.color), detail, out));
            timing.lap("report");
            // Read on a terminal, a table of thousands of connections scrolls away: say how
            // to narrow it (on standard error, so a redirected table stays the same).
            if std::io::stdout().is_terminal() {
                if let Some(hint) =
                    wsclose::report::filter::narrowing_hint(&report, &args.select.selection())
                {
                    note!("wsclose: {hint}");
                }
            }
        }
        Format::Markdown | Format::Html => {
            let hashes: Vec<Option<String>> = match hashing.map(|h| h.join()) {
                Some(Ok(hashes)) => hashes,
                // No thread could be made (or it failed): hash here.
                _ => args.files.iter().map(|p| sha256(p)).collect(),
            };
            timing.lap("hash");
            if args.format == Format::Html {
                let limit = (!args.full).then_some(html::LIMIT);
                stream(|out| html::write_with(&report, &hashes, limit, out));
            } else {
                let limit = (!args.full).then_some(markdown::LIMIT);
                stream(|out| markdown::write_with(&report, &hashes, limit, out));
            }
            timing.lap("report");
        }
    }
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
        let line = wsclose::report::filter::shown_line(&report).unwrap_or_default();
        eprintln!(
            "wsclose: no WebSocket connection could be read: {} encrypted; {}",
            plural(all, "TLS connection"),
            terminal(&line)
        );
        return Ok(1);
    }
    if found == 0 {
        let s = &report.seen;
        eprintln!(
            "wsclose: no WebSocket connection found: {}, {} in {} (none asked for a WebSocket upgrade or carried WebSocket frames{}), {} other, {} with cut or damaged headers{}{}",
            plural(s.packets, "packet"),
            plural(s.tcp_packets, "TCP packet"),
            plural(s.tcp_connections, "TCP connection"),
            // What the snap length cut off is unknown: an upgrade may be in it.
            if s.snaplen_cut_packets > 0 {
                let n = s.snaplen_cut_packets;
                let were = if n == 1 { "packet was" } else { "packets were" };
                format!(
                    " in the bytes captured; {n} {were} cut by the snap length, so one may be in what is missing"
                )
            } else {
                String::new()
            },
            s.other_packets,
            s.malformed_packets,
            if s.unsupported_link_types.is_empty() {
                String::new()
            } else {
                format!(
                    ", undecoded link types: {}",
                    s.unsupported_link_types.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            },
            if s.refused_tunnels > 0 {
                let n = s.refused_tunnels;
                format!(
                    "; {n} CONNECT tunnel{} refused by a forward proxy, none shown to be for a WebSocket",
                    if n == 1 { "" } else { "s" }
                )
            } else {
                String::new()
            }
        );
        return Ok(1);
    }
    // A filter that left nothing: said, and exit 1, as grep does with no match.
    if report.summary.connections == 0 {
        if let Some(line) = wsclose::report::filter::shown_line(&report) {
            eprintln!("wsclose: {}", terminal(&line));
            return Ok(1);
        }
    }
    if !args.fail_on.is_empty() {
        let mut hits = 0;
        report
            .for_each_connection(|c| {
                hits += usize::from(args.fail_on.iter().any(|s| s.matches(c)));
                Ok(())
            })
            .map_err(spill)?;
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

/// On standard error: the lines of the key logs that could not be used (the first few of
/// each, and a count of the rest), a `SSLKEYLOGFILE` that could not be read, and with
/// `-v` what each key log gave.
fn key_log_notes(logs: &[wsclose::keys::KeySource], warnings: &[String], verbose: bool) {
    for w in warnings {
        note!("wsclose: warning: {}", terminal(w));
    }
    for k in logs {
        if let Some(e) = &k.error {
            note!(
                "wsclose: warning: key log {}: {}",
                terminal(&k.source),
                terminal(e)
            );
        } else if verbose {
            let unmatched = match k.unmatched_lines {
                0 => String::new(),
                n => format!(
                    " ({} for connections not in the capture)",
                    plural(n, "line")
                ),
            };
            note!(
                "wsclose: key log {}: the secrets of {}{unmatched}",
                terminal(&k.source),
                plural(k.connections as u64, "TLS connection")
            );
        }
    }
}

/// On standard error, once per cap, how many connections a cap ended before they did and
/// which flag to raise (the report marks each of them evicted).
fn evictions_note(seen: &wsclose::report::Seen, limits: &cli::LimitArgs) {
    if seen.evicted_max_flows > 0 {
        note!(
            "wsclose: warning: {} were evicted while still open because more than --max-flows ({}) were open at once; the report marks them evicted (how they ended is not in it): raise --max-flows to follow them to their end",
            plural(seen.evicted_max_flows, "TCP connection"),
            limits.max_flows
        );
    }
    if seen.shed_buffers > 0 || seen.evicted_max_memory > 0 {
        let mut what = Vec::new();
        if seen.shed_buffers > 0 {
            what.push(format!(
                "{} gave up the out-of-order bytes they held (the holes before them are gaps)",
                plural(seen.shed_buffers, "TCP connection")
            ));
        }
        if seen.evicted_max_memory > 0 {
            what.push(format!(
                "{} were evicted while still open (the report marks them evicted; how they ended is not in it)",
                plural(seen.evicted_max_memory, "TCP connection")
            ));
        }
        note!(
            "wsclose: warning: the connections in flight reached --max-memory ({} MiB): {}; raise --max-memory to keep them",
            limits.max_memory >> 20,
            what.join("; ")
        );
    }
    if seen.evicted_idle > 0 {
        note!(
            "wsclose: note: {} went without a packet for more than --idle-timeout ({} s) and were finished there; the report marks them evicted: raise --idle-timeout if they were only quiet",
            plural(seen.evicted_idle, "TCP connection"),
            limits.idle_timeout
        );
    }
}

/// On standard error, how inputs were taken: each run of rotated files read as one capture
/// (one line for the run), the first input after the first read on its own with why, and
/// the others read on their own in one line (many separate recordings given together are
/// the usual case, not news: the JSON's `continuity` gives each one's reason).
fn joins_note(inputs: &[wsclose::InputSummary]) {
    use cli::file_name;
    let name = |i: usize| terminal(&file_name(&inputs[i].path)).into_owned();
    // The inputs read on their own after the first one explained: (count, first, last).
    let mut alone: Option<(usize, usize, usize)> = None;
    let mut i = 0;
    while i < inputs.len() {
        // The inputs that continue input `i`.
        let mut last = i;
        for (j, next) in inputs.iter().enumerate().skip(i + 1) {
            if next.continues_previous {
                last = j;
            } else if next.packets > 0 || next.error.is_none() && next.continuity.is_none() {
                break;
            }
        }
        if last > i {
            let files = inputs[i..=last].iter().filter(|x| x.packets > 0).count();
            let second = inputs[i + 1..=last]
                .iter()
                .position(|x| x.continues_previous)
                .map_or(last, |k| i + 1 + k);
            note!(
                "wsclose: {} to {} ({files} files) read as one capture, each continuing the one before (rotated files); packets are numbered on across them ({}'s packet 1 is packet {})",
                name(i),
                name(last),
                name(second),
                inputs[second].packet_offset + 1
            );
        } else if i > 0 && inputs[i].packets > 0 && inputs[i].continuity.is_some() {
            match &mut alone {
                None => {
                    note!(
                        "wsclose: {} read as a capture of its own: {}",
                        name(i),
                        terminal(inputs[i].continuity.as_deref().unwrap_or_default())
                    );
                    alone = Some((0, i, i));
                }
                Some((n, first, end)) => {
                    if *n == 0 {
                        *first = i;
                    }
                    *n += 1;
                    *end = i;
                }
            }
        }
        i = last + 1;
    }
    if let Some((n, first, end)) = alone.filter(|(n, ..)| *n > 0) {
        let which = if n == 1 {
            name(first)
        } else {
            format!("{} to {} ({n} files)", name(first), name(end))
        };
        note!(
            "wsclose: {which} read as captures of their own too, each for its reason (`continuity` in --format json)"
        );
    }
}

fn extract(args: ExtractArgs, verbose: bool) -> Result<u8, wsclose::error::Error> {
    if args.capture.as_os_str() == "-" {
        return Err(wsclose::error::Error::Usage(
            "extract reads the capture twice, so it needs a file, not standard input".into(),
        ));
    }
    if cli::is_stream(&args.capture) {
        return Err(wsclose::error::Error::Usage(format!(
            "extract reads the capture twice, so it needs a regular file, not {} (a pipe or device): save the capture to a file first",
            terminal(&args.capture.display().to_string())
        )));
    }
    // The output is prepared before the analysis (a bad path fails at once, not after a
    // long read), but a file is only replaced once the whole extract is written.
    if output::is_stdout(&args.write) {
        output::check_stdout("-w", &args.write, "the extract", false)?;
    }
    refuse_overwriting_an_input(&args)?;
    let out = OutputFile::open(&args.write, !args.redact)?;
    let fail = |e: std::io::Error| wsclose::error::Error::Write {
        path: args.write.clone(),
        source: e,
    };
    let (code, secrets) = extract_to(&args, verbose, out.writer().map_err(fail)?)?;
    out.finish(secrets).map_err(fail)?;
    Ok(code)
}

/// Applies the selection flags to `report`; a `--connection` id it does not have is a
/// usage error.
fn select(
    select: &cli::SelectArgs,
    report: &mut wsclose::report::Report,
) -> Result<(), wsclose::error::Error> {
    let found = report.summary.total_connections;
    select
        .selection()
        .apply(report)
        .map_err(wsclose::error::Error::Spill)?;
    match select
        .connections
        .iter()
        .find(|id| **id == 0 || **id > found)
    {
        Some(id) => Err(wsclose::error::Error::Usage(format!(
            "there is no connection {id}: the report has {found} (ids 1 to {found})"
        ))),
        None => Ok(()),
    }
}

/// `extract -w` naming the capture it reads or a key log it reads (the same file, whatever
/// the path or link) is refused before anything is opened for writing.
fn refuse_overwriting_an_input(args: &ExtractArgs) -> Result<(), wsclose::error::Error> {
    use std::os::unix::fs::MetadataExt;
    let Some(out) = output::target_meta(&args.write) else {
        return Ok(());
    };
    let same = |p: &std::path::Path| {
        std::fs::metadata(p).is_ok_and(|m| m.dev() == out.dev() && m.ino() == out.ino())
    };
    if same(&args.capture) {
        return Err(wsclose::error::Error::Usage(format!(
            "extract -w {} names the capture it reads: write the extract to another file",
            terminal(&args.write.display().to_string())
        )));
    }
    let sources = args.keys.sources();
    if let Some(k) = sources
        .files
        .iter()
        .chain(sources.env.iter())
        .find(|k| same(k))
    {
        return Err(wsclose::error::Error::Usage(format!(
            "extract -w {} names the key log {}, which it reads: write the extract to another file",
            terminal(&args.write.display().to_string()),
            terminal(&k.display().to_string())
        )));
    }
    Ok(())
}

/// Writes the extract to `out`: its exit code, and whether TLS secrets were written.
fn extract_to(
    args: &ExtractArgs,
    verbose: bool,
    out: Box<dyn Write>,
) -> Result<(u8, bool), wsclose::error::Error> {
    // Only the one connection is read back from the store.
    let report = wsclose::analyze_files_with_progress(
        std::slice::from_ref(&args.capture),
        args.read.options(&args.limits),
        &args.keys.sources(),
        None,
    )?;
    key_log_notes(&report.key_logs, &report.key_log_warnings, verbose);
    let n = report.summary.total_connections;
    let mut found = None;
    report
        .for_each_connection(|c| {
            if c.id == args.connection {
                found = Some(c.clone());
            }
            Ok(())
        })
        .map_err(wsclose::error::Error::Spill)?;
    let Some(conn) = found else {
        return Err(wsclose::error::Error::Usage(format!(
            "there is no connection {} in {}: it has {} (`wsclose analyze {}` lists them)",
            args.connection,
            args.capture.display(),
            plural(n as u64, "WebSocket connection"),
            args.capture.display()
        )));
    };
    use wsclose::extract::TlsSecrets;
    // A TLS connection's extract carries its own secrets (and no other connection's), read
    // again from the same sources; they are written to the file, never printed.
    let secrets = match &conn.tls {
        None => TlsSecrets::NotTls,
        // With --redact they are not even read.
        Some(_) if args.redact => TlsSecrets::Unknown,
        Some(_) => {
            // Only this connection's secrets are kept.
            let wanted: Vec<[u8; 32]> =
                wsclose::extract::client_random(&conn).into_iter().collect();
            let loaded = wsclose::keys::load_for(
                &args.keys.sources(),
                std::slice::from_ref(&args.capture),
                &wanted,
            );
            wsclose::extract::tls_secrets(&conn, &loaded.keys)
        }
    };
    let decrypted = conn.tls.as_ref().is_some_and(|t| t.decrypted);
    let note = match (&secrets, args.redact) {
        (TlsSecrets::NotTls, _) => "",
        (_, true) => " (pcapng without TLS secrets, as --redact asks: it opens encrypted)",
        (TlsSecrets::NoClientRandom, _) => " (pcapng without TLS secrets: its ClientHello is not in the capture, so its key-log lines cannot be told apart from other connections'; it opens encrypted)",
        (TlsSecrets::Unknown, _) => " (pcapng without TLS secrets: no key log given has this connection's; it opens encrypted)",
        (TlsSecrets::Lines(_), _) if decrypted => " (pcapng with this connection's TLS secrets: open it in Wireshark to see it decrypted)",
        (TlsSecrets::Lines(_), _) => " (pcapng with the TLS secrets logged for this connection, though they did not decrypt it here)",
    };
    let key_log = match &secrets {
        TlsSecrets::Lines(lines) if !args.redact => Some(lines.as_str()),
        _ => None,
    };
    let out_name = if output::is_stdout(&args.write) {
        std::path::PathBuf::from("standard output")
    } else {
        args.write.clone()
    };
    let wrote_secrets = key_log.is_some_and(|k| !k.is_empty());
    let done = wsclose::extract::extract(&args.capture, &conn, out, &out_name, key_log)?;
    // With --redact the addresses stay in the file (it is the capture) but are not said.
    let between = if args.redact {
        String::new()
    } else {
        format!(
            " ({} → {})",
            terminal(&conn.client.to_string()),
            terminal(&conn.server.to_string())
        )
    };
    note!(
        "wsclose: wrote {} packets of connection {}{between} to {}{note}",
        done.packets,
        conn.id,
        out_name.display()
    );
    if let Some(stream) = conn.h2_stream {
        note!(
            "wsclose: connection {} is HTTP/2 stream {stream}: the file holds every packet of its TCP connection, the other streams on it included (HTTP/2 needs them: one header compression state per direction)",
            conn.id
        );
    }
    if done.skipped_other_link > 0 {
        note!(
            "wsclose: warning: {} packets of that connection were on another link type and were left out",
            done.skipped_other_link
        );
    }
    Ok((0, wrote_secrets))
}

#[cfg(not(feature = "live"))]
const NO_LIVE: &str = "this wsclose was built without live capture. To get it, install libpcap's development \
     package (Debian/Ubuntu: `sudo apt-get install libpcap-dev`; Fedora: `sudo dnf install libpcap-devel`) \
     and rebuild with the `live` feature: `cargo build --release --features live` \
     (or `cargo install --path . --features live`). Offline analysis needs none of this: \
     capture with `tcpdump -i lo -w bug.pcap` and run `wsclose analyze bug.pcap`.";

#[cfg(not(feature = "live"))]
fn live(_args: LiveArgs, _verbose: bool) -> Result<u8, wsclose::error::Error> {
    Err(wsclose::error::Error::Live(NO_LIVE.into()))
}

#[cfg(not(feature = "live"))]
fn interfaces() -> Result<u8, wsclose::error::Error> {
    Err(wsclose::error::Error::Live(NO_LIVE.into()))
}

#[cfg(feature = "live")]
fn interfaces() -> Result<u8, wsclose::error::Error> {
    use std::fmt::Write as _;
    let mut out = String::new();
    for i in wsclose::interfaces()? {
        let _ = writeln!(
            out,
            "{:<16} {:<5} {}{}",
            i.name,
            if i.up { "up" } else { "down" },
            i.addresses.join(", "),
            i.description
                .map(|d| format!("  ({d})"))
                .unwrap_or_default()
        );
    }
    emit(&out);
    Ok(0)
}

/// A live capture's lost packets by place, for standard error.
#[cfg(feature = "live")]
fn drops_line(d: &wsclose::LiveDrops) -> String {
    format!(
        "{} by the kernel (its capture ring was full; --buffer-size), {} by the interface, {} \
         by the analysis (its queue was full; saved, not analysed)",
        d.kernel, d.interface, d.queue
    )
}

#[cfg(feature = "live")]
fn live(args: LiveArgs, verbose: bool) -> Result<u8, wsclose::error::Error> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use wsclose::render::events;
    use wsclose::LiveOptions;

    let interface = args.interface.clone().unwrap_or_default();
    // `-w -` (or /dev/stdout): the pcapng goes to standard output, as tcpdump's does, and
    // the lines and the report to standard error.
    let to_stdout = args.write.as_deref().is_some_and(output::is_stdout);
    if let Some(w) = args.write.as_deref().filter(|_| to_stdout) {
        output::check_stdout("-w", w, "the capture", false)?;
        // Standard output appended to a key log being followed (`-w - >> keys.log`).
        use std::os::unix::fs::MetadataExt;
        if let Some(out) = output::target_meta(w) {
            let sources = args.keys.sources();
            if let Some(k) = sources.files.iter().chain(sources.env.iter()).find(|k| {
                std::fs::metadata(k).is_ok_and(|m| m.dev() == out.dev() && m.ino() == out.ino())
            }) {
                return Err(wsclose::error::Error::Usage(format!(
                    "-w {} is the key log {}, which live follows: write the capture elsewhere",
                    terminal(&w.display().to_string()),
                    terminal(&k.display().to_string())
                )));
            }
        }
    }
    let say = move |text: &str| {
        if to_stdout {
            eprint!("{text}");
        } else {
            emit(text);
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    // A second Ctrl-C while the report is printed ends the process the usual way.
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    let opts = LiveOptions {
        interface: interface.clone(),
        filter: args.filter.clone(),
        duration: args.duration,
        count: args.count,
        write: if to_stdout {
            Some("-".into())
        } else {
            args.write.clone()
        },
        buffer_size: args.buffer_size,
    };
    let format = args.format;
    // Said once the capture has started: not before a permission or interface error.
    let mut opened = || {
        note!(
            "wsclose: capturing on {} (filter '{}'){}; Ctrl-C stops and prints the report",
            interface,
            args.filter,
            match &args.write {
                Some(_) if to_stdout => ", writing packets to standard output".into(),
                Some(w) => format!(", saving packets to {}", terminal(&w.display().to_string())),
                None => String::new(),
            }
        )
    };
    let on_event = Box::new(move |ev: &wsclose::CloseEvent| {
        let mut line = match format {
            TextFormat::Table if verbose => events::line_verbose(ev),
            TextFormat::Table => events::line(ev),
            TextFormat::Json => events::json_line(ev),
        };
        line.push('\n');
        say(&line);
    });
    // Said as they rise, at most once a second: the person watching knows at once that
    // closes may be missing.
    let mut on_drops =
        |d: &wsclose::LiveDrops| note!("wsclose: packets lost so far: {}", drops_line(d));
    let (report, summary, failure) = wsclose::live_session(
        &opts,
        args.limits.options(),
        &args.keys.sources(),
        &stop,
        &mut opened,
        on_event,
        &mut on_drops,
    )?;
    // Not libpcap's count of packets received: on a loopback interface the kernel counts
    // each packet twice (going out and coming in), which reads like half of them were lost.
    let drops = report.seen.live_drops.unwrap_or_default();
    if drops.any() {
        note!(
            "wsclose: {} captured; lost: {}",
            plural(summary.packets, "packet"),
            drops_line(&drops)
        )
    } else {
        note!(
            "wsclose: {} captured, none dropped",
            plural(summary.packets, "packet")
        )
    }
    for w in &report.inputs[0].warnings {
        note!("wsclose: {}", terminal(w));
    }
    for w in &report.warnings {
        note!("wsclose: warning: {}", terminal(w));
    }
    match format {
        TextFormat::Table => {
            let detail = if verbose {
                table::Detail::Full
            } else {
                table::Detail::Brief
            };
            let mut out = Vec::new();
            let _ = table::write_detail(&report, width(), color(args.color), detail, &mut out);
            say(&format!("\n{}", String::from_utf8_lossy(&out)));
        }
        TextFormat::Json => {
            say(&(wsclose::render::json::line(&report) + "\n"));
        }
    }
    // The exit codes `analyze` gives (`cli::EXIT_CODES`): 1 when no WebSocket connection
    // was seen, so that a script can tell a capture that missed the traffic; 4 when the
    // capture failed, 6 when the file it saved to could not be written (each said above).
    Ok(if let Some(e) = &failure {
        e.exit_code()
    } else if report.summary.total_connections == 0 {
        eprintln!(
            "wsclose: no WebSocket connection was seen on {interface} (filter '{}'): check that the traffic crosses this interface (`wsclose interfaces`; loopback traffic is on lo), that the filter lets it through, and that WebSocket traffic (a handshake or frames) passed while it ran",
            args.filter
        );
        1
    } else {
        0
    })
}
