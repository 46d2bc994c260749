//! `wsclose live` and `wsclose interfaces`: a live capture's close events as they happen
//! and its report when it stops (feature `live`; without it, how to get it).

use crate::cli::LiveArgs;
#[cfg(feature = "live")]
use crate::{emit, output, plural};
#[cfg(feature = "live")]
use wsclose::render::Format;
#[cfg(feature = "live")]
use wsclose::sanitize::terminal;

#[cfg(not(feature = "live"))]
const NO_LIVE: &str = "this wsclose was built without live capture. To get it, install libpcap's development \
     package (Debian/Ubuntu: `sudo apt-get install libpcap-dev`; Fedora: `sudo dnf install libpcap-devel`) \
     and rebuild with the `live` feature: `cargo build --release --features live` \
     (or `cargo install --path . --features live`). Offline analysis needs none of this: \
     capture with `tcpdump -i lo -w bug.pcap` and run `wsclose analyze bug.pcap`.";

#[cfg(not(feature = "live"))]
pub(crate) fn live(_args: LiveArgs, _verbose: bool) -> Result<u8, wsclose::error::Error> {
    Err(wsclose::error::Error::Live(NO_LIVE.into()))
}

#[cfg(not(feature = "live"))]
pub(crate) fn interfaces() -> Result<u8, wsclose::error::Error> {
    Err(wsclose::error::Error::Live(NO_LIVE.into()))
}

#[cfg(feature = "live")]
pub(crate) fn interfaces() -> Result<u8, wsclose::error::Error> {
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
pub(crate) fn live(args: LiveArgs, verbose: bool) -> Result<u8, wsclose::error::Error> {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    use wsclose::render::events;
    use wsclose::LiveOptions;

    let interface = args.interface.clone().unwrap_or_default();
    // `-w -` (or /dev/stdout): the pcapng goes to standard output, as tcpdump's does, and
    // the lines and the report to standard error.
    let to_stdout = args.write.as_deref().is_some_and(output::is_stdout);
    if to_stdout {
        check_stdout(&args)?;
    }
    let say = move |text: &str| {
        if to_stdout {
            eprint!("{text}");
        } else {
            emit(text);
        }
    };
    // The exports are opened before the capture: a file that cannot be written fails at
    // once, not after an hour of capture. Not onto the capture `-w` writes.
    let taken = args
        .write
        .as_deref()
        .filter(|w| !to_stdout && !output::is_stdout(w))
        .map(|w| ("-w", w))
        .into_iter()
        .collect();
    let exports = crate::export::open_exports(args.export.exports(), taken, &[], &args.keys)?;
    let stop = Arc::new(AtomicBool::new(false));
    // The one handler of the process (`signals`): the first Ctrl-C, SIGTERM or SIGHUP stops
    // the capture; a second while the report is printed ends the process (130), and removes
    // the temporary files of the exports being written.
    crate::signals::stop_on_signal(&stop);
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
    let stream = events::Stream::new(&format!("live:{interface}"), args.redact);
    let key = Arc::clone(&stream.key);
    // `--metrics`: bound before the capture starts (a port in use fails at once).
    let metrics = crate::metrics::serve(
        &args.metrics,
        args.limits.max_memory,
        args.redact.then(|| Arc::clone(&key)),
    )?;
    if let Some(m) = &metrics {
        m.drops(&wsclose::LiveDrops::default());
    }
    // Incidents as they form: said when a server's endings pass a mark.
    let watch = metrics
        .as_ref()
        .map_or_else(Default::default, |m| Arc::clone(&m.watch));
    let counted = metrics.clone();
    let sessions = Arc::clone(&watch);
    // A stop said when an attempt refused shows its server gone (no close event then).
    let (f_stream, f_counted) = (stream.clone(), metrics.clone());
    let on_forming = Box::new(move |f: &wsclose::incident::Forming| {
        let mut line = String::new();
        crate::analyze_command::forming_line(format, f_counted.as_deref(), f, &f_stream, &mut line);
        say(&line);
    });
    let on_event = Box::new(move |ev: &wsclose::CloseEvent| {
        let mut line = crate::analyze_command::event_text(format, verbose, &stream, ev);
        crate::analyze_command::forming_incident(
            format,
            &watch,
            counted.as_deref(),
            ev,
            &stream,
            &mut line,
        );
        say(&line);
    });
    // Said as they rise, at most once a second: the person watching knows at once that
    // closes may be missing.
    let mut on_drops = |d: &wsclose::LiveDrops| {
        if let Some(m) = &metrics {
            m.drops(d);
        }
        note!("wsclose: packets lost so far: {}", drops_line(d))
    };
    let (mut report, summary, failure) = wsclose::live_session(
        &opts,
        args.limits.options(),
        &args.keys.sources(),
        &stop,
        &mut opened,
        crate::analyze_command::taps(on_event, sessions, metrics.as_ref(), on_forming),
        &mut on_drops,
        &key,
    )?;
    say_captured(&report, summary.packets);
    report.command = Some(crate::command_line_less(&[
        "--export-json",
        "--export-jsonl",
        "--export-ecs",
        "--export-markdown",
        "--export-html",
        "--export-csv",
    ]));
    let found = report.summary.total_connections;
    // As `analyze` does: the selection, then the redaction, then the exports and the report.
    args.select.apply(&mut report)?;
    if args.redact {
        wsclose::report::redact::redact(&mut report);
    }
    let hashes = vec![None; report.inputs.len()];
    let how = crate::render_options(&hashes, false, false, args.color, verbose);
    if !exports.is_empty() {
        crate::export::write(exports, &report, &how)?;
    }
    say(&report_text(&report, format, &how));
    // The exit codes `analyze` gives (`cli::EXIT_CODES`): 1 when no WebSocket connection
    // was seen, so that a script can tell a capture that missed the traffic; 4 when the
    // capture failed, 6 when the file it saved to could not be written (each said above).
    Ok(if let Some(e) = &failure {
        e.exit_code()
    } else if found == 0 {
        eprintln!(
            "wsclose: no WebSocket connection was seen on {interface} (filter '{}'): check that the traffic crosses this interface (`wsclose interfaces`; loopback traffic is on lo), that the filter lets it through, and that WebSocket traffic (a handshake or frames) passed while it ran",
            args.filter
        );
        1
    } else {
        crate::analyze_command::fail_on(&args.fail_on, &report)?
    })
}

/// `-w -`: standard output must be no terminal, and not a key log being followed
/// (`-w - >> keys.log`).
#[cfg(feature = "live")]
fn check_stdout(args: &LiveArgs) -> Result<(), wsclose::error::Error> {
    let Some(w) = args.write.as_deref() else {
        return Ok(());
    };
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
    Ok(())
}

/// On standard error: the packets captured and lost, the input's notes and the report's
/// warnings.
#[cfg(feature = "live")]
fn say_captured(report: &wsclose::report::Report, packets: u64) {
    // Not libpcap's count of packets received: on a loopback interface the kernel counts
    // each packet twice (going out and coming in), which reads like half of them were lost.
    let drops = report.seen.live_drops.unwrap_or_default();
    if drops.any() {
        note!(
            "wsclose: {} captured; lost: {}",
            plural(packets, "packet"),
            drops_line(&drops)
        )
    } else {
        note!(
            "wsclose: {} captured, none dropped",
            plural(packets, "packet")
        )
    }
    for w in &report.inputs[0].warnings {
        note!("wsclose: {}", terminal(w));
    }
    for w in &report.warnings {
        note!("wsclose: warning: {}", terminal(w));
    }
}

/// The report, to print when the capture stops: the table, one line of JSON, or the
/// report in the format asked for (`analyze`'s).
#[cfg(feature = "live")]
fn report_text(
    report: &wsclose::report::Report,
    format: Format,
    how: &wsclose::render::Options<'_>,
) -> String {
    let written = || {
        let mut out = Vec::new();
        let _ = format.write(report, &mut out, how);
        String::from_utf8_lossy(&out).into_owned()
    };
    match format {
        Format::Json => wsclose::render::json::line(report) + "\n",
        // The table after the events, set apart from them by a blank line.
        Format::Table => format!("\n{}", written()),
        Format::Jsonl | Format::Ecs | Format::Markdown | Format::Csv | Format::Html => written(),
    }
}
