//! `wsclose extract`: one connection's packets written out as a capture of their own
//! (with its TLS secrets when it has them), refusing to overwrite what it reads.

use crate::notes::key_log_notes;
use crate::output::{self, OutputFile};
use crate::{cli, plural};
use cli::ExtractArgs;
use std::io::Write;
use wsclose::extract::TlsSecrets;
use wsclose::sanitize::terminal;

pub(crate) fn extract(args: ExtractArgs, verbose: bool) -> Result<u8, wsclose::error::Error> {
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
    let secrets = secrets(args, &conn);
    let note = secrets_note(&secrets, args.redact, &conn);
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

/// The TLS secrets the extract of `conn` carries: its own (and no other connection's), read
/// again from the same sources; they are written to the file, never printed.
fn secrets(args: &ExtractArgs, conn: &wsclose::report::ConnectionReport) -> TlsSecrets {
    match &conn.tls {
        None => TlsSecrets::NotTls,
        // With --redact they are not even read.
        Some(_) if args.redact => TlsSecrets::Unknown,
        Some(_) => {
            // Only this connection's secrets are kept.
            let wanted: Vec<[u8; 32]> = wsclose::extract::client_random(conn).into_iter().collect();
            let loaded = wsclose::keys::load_for(
                &args.keys.sources(),
                std::slice::from_ref(&args.capture),
                &wanted,
            );
            wsclose::extract::tls_secrets(conn, &loaded.keys)
        }
    }
}

/// What the note on standard error says of the extract's TLS secrets.
fn secrets_note(
    secrets: &TlsSecrets,
    redact: bool,
    conn: &wsclose::report::ConnectionReport,
) -> &'static str {
    let decrypted = conn.tls.as_ref().is_some_and(|t| t.decrypted);
    match (secrets, redact) {
        (TlsSecrets::NotTls, _) => "",
        (_, true) => " (pcapng without TLS secrets, as --redact asks: it opens encrypted)",
        (TlsSecrets::NoClientRandom, _) => " (pcapng without TLS secrets: its ClientHello is not in the capture, so its key-log lines cannot be told apart from other connections'; it opens encrypted)",
        (TlsSecrets::Unknown, _) => " (pcapng without TLS secrets: no key log given has this connection's; it opens encrypted)",
        (TlsSecrets::Lines(_), _) if decrypted => " (pcapng with this connection's TLS secrets: open it in Wireshark to see it decrypted)",
        (TlsSecrets::Lines(_), _) => " (pcapng with the TLS secrets logged for this connection, though they did not decrypt it here)",
    }
}
