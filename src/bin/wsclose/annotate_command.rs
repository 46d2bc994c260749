//! `wsclose annotate` and `analyze --annotate`: the checks made before anything is read,
//! and the annotated capture written beside its target and renamed into place
//! (`wsclose::annotate` makes its content).

use crate::cli;
use crate::notes::key_log_notes;
use crate::output::{self, OutputFile};
use crate::{command_line, plural};
use wsclose::sanitize::terminal;

/// `annotate`: the captures copied, with the diagnosis as comments, into one pcapng.
pub fn annotate(mut args: cli::AnnotateArgs, verbose: bool) -> Result<u8, wsclose::error::Error> {
    let (files, notes) = cli::expand(&args.files)?;
    for n in notes {
        note!("wsclose: {}", terminal(&n));
    }
    args.files = files;
    check(
        &args.files,
        &args.write,
        &args.keys,
        args.redact,
        args.notes,
    )?;
    let out = prepare("-w", &args.write, false, args.notes)?;
    let mut opts = args.read.options(&args.limits);
    opts.join_files = true;
    let mut report =
        wsclose::analyze_files_with_progress(&args.files, opts, &args.keys.sources(), None)?;
    report.command = Some(command_line());
    key_log_notes(&report.key_logs, &report.key_log_warnings, verbose);
    for input in &report.inputs {
        for w in &input.warnings {
            note!("wsclose: warning: {}: {}", terminal(&input.path), w);
        }
        if let Some(e) = &input.error {
            eprintln!("wsclose: {} (the other inputs were copied)", terminal(e));
        }
    }
    args.select.apply(&mut report)?;
    let paths = inputs(&report);
    if args.redact {
        wsclose::report::redact::redact(&mut report);
    }
    let budget = args.limits.max_memory;
    write(
        &report,
        out,
        &paths,
        &args.write,
        &args.files,
        &args.keys,
        args.notes,
        budget,
    )?;
    // The exit codes of `analyze`: 3 when an input could not be read (the others were
    // copied), else 1 when no connection is commented.
    Ok(if report.inputs.iter().any(|i| i.error.is_some()) {
        3
    } else if report.summary.connections == 0 {
        1
    } else {
        0
    })
}

/// What `annotate` and `analyze --annotate` refuse before reading anything: standard
/// input or a pipe (the captures are read twice), `--redact` with `--with-secrets` (the
/// secrets would decrypt what redaction hides), and an output that is one of the inputs or
/// key logs.
pub fn check(
    files: &[std::path::PathBuf],
    out: &std::path::Path,
    keys: &cli::KeyArgs,
    redact: bool,
    notes: cli::NoteArgs,
) -> Result<(), wsclose::error::Error> {
    let usage = |m: String| Err(wsclose::error::Error::Usage(m));
    if redact && notes.with_secrets {
        return usage(
            "--redact cannot go with --with-secrets: the secrets would decrypt the URLs, \
             headers and messages redaction leaves out. Give one or the other"
                .into(),
        );
    }
    if let Some(f) = files
        .iter()
        .find(|f| f.as_os_str() == "-" || cli::is_stream(f))
    {
        return usage(format!(
            "an annotated capture reads the captures twice, so they must be regular files, not {}: save it to a file first",
            terminal(&f.display().to_string())
        ));
    }
    if let Some(f) = output::an_input(out, files, keys) {
        return usage(format!(
            "{} is an input ({}): write the annotated capture to another file",
            terminal(&out.display().to_string()),
            terminal(&f.display().to_string())
        ));
    }
    Ok(())
}

/// Opens where the annotated capture goes (`flag` names the option as typed), before
/// anything is read: standard output (`-`, `/dev/stdout`) unless `report_on_stdout` or it
/// is a terminal, a device or FIFO in place, or a temporary file beside a regular file.
pub fn prepare(
    flag: &str,
    path: &std::path::Path,
    report_on_stdout: bool,
    notes: cli::NoteArgs,
) -> Result<OutputFile, wsclose::error::Error> {
    if output::is_stdout(path) {
        output::check_stdout(flag, path, "the annotated capture", report_on_stdout)?;
    }
    OutputFile::open(path, notes.with_secrets)
}

/// The paths of `report`'s inputs, taken before `--redact` cuts them to file names.
pub fn inputs(report: &wsclose::report::Report) -> Vec<String> {
    report.inputs.iter().map(|i| i.path.clone()).collect()
}

/// Writes the annotated copy of `report`'s captures (read from `paths`, [`inputs`]) to
/// `file`, opened by [`prepare`] from `out`: a temporary file renamed over its target once
/// complete, or in place.
// What the two commands share of their arguments, as they hold them.
#[allow(clippy::too_many_arguments)]
pub fn write(
    report: &wsclose::report::Report,
    file: OutputFile,
    paths: &[String],
    out: &std::path::Path,
    files: &[std::path::PathBuf],
    keys: &cli::KeyArgs,
    notes: cli::NoteArgs,
    max_memory: usize,
) -> Result<(), wsclose::error::Error> {
    let fail = |e: std::io::Error| wsclose::error::Error::Write {
        path: out.to_path_buf(),
        source: e,
    };
    let secrets = if notes.with_secrets {
        let mut wanted = Vec::new();
        report
            .for_each_connection(|c| {
                wanted.extend(wsclose::extract::client_random(c));
                Ok(())
            })
            .map_err(wsclose::error::Error::Spill)?;
        let loaded = wsclose::keys::load_for(&keys.sources(), files, &wanted);
        Some(
            wsclose::extract::report_secrets(report, &loaded.keys)
                .map_err(wsclose::error::Error::Spill)?,
        )
    } else {
        None
    };
    let command = report.command.clone();
    let opts = wsclose::annotate::AnnotateOptions {
        only_selected: notes.only_selected,
        secrets: secrets.as_deref().filter(|s| !s.is_empty()),
        command: command.as_deref(),
        paths: Some(paths),
        max_memory,
    };
    let done = wsclose::annotate::annotate(report, file.writer().map_err(fail)?, out, &opts)?;
    file.finish(opts.secrets.is_some()).map_err(fail)?;
    let with = match (&secrets, notes.with_secrets) {
        (Some(s), true) if !s.is_empty() => format!(
            ", with the TLS secrets of {} in it (share it as you would the key log)",
            plural(s.lines().count() as u64, "key-log line")
        ),
        (_, true) => ", without TLS secrets (no key log given has those of its connections)".into(),
        _ => String::new(),
    };
    let blocks = match (done.blocks, done.blocks_left_out) {
        (0, 0) => String::new(),
        (kept, 0) => format!(", and {} of the input", plural(kept, "other block")),
        (kept, left) => format!(
            ", and {} of the input ({left} left out: secrets, big-endian, not to be copied, \
             past the memory allowed, or with --only-selected or --redact)",
            plural(kept, "other block")
        ),
    };
    let blanked = if done.payloads_blanked > 0 {
        format!(
            ", the TCP payloads of {} blanked (--redact; the addresses and ports in the \
             packet headers are as captured)",
            plural(done.payloads_blanked, "packet")
        )
    } else {
        String::new()
    };
    note!(
        "wsclose: wrote {} ({} commented, on {}){blocks}{blanked} to {}{with}; in Wireshark: {} \
         (Expert Info: `wsclose wireshark-plugin`)",
        plural(done.packets, "packet"),
        done.commented,
        plural(done.connections, "connection"),
        if out.as_os_str() == "-" {
            "standard output".to_string()
        } else {
            terminal(&out.display().to_string()).into_owned()
        },
        wsclose::annotate::FILTER
    );
    Ok(())
}
