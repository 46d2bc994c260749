//! The `wsclose` binary: parse the command line, run, print, and map the outcome to the
//! exit codes documented in README.md and `--help`. Errors go to standard error as
//! `wsclose: <what happened and what to do>`; a closed pipe (`| head`) is not an error.

use clap::Parser;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use wsclose::analyzer::Options;
use wsclose::cli::{AnalyzeArgs, Cli, Command, Format, LiveArgs};
use wsclose::report::{explain, json, table};
use wsclose::sanitize::terminal;
use wsclose::tcp::assembler::Limits;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("wsclose: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Writes to standard output; a reader that went away (broken pipe) ends quietly.
fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("wsclose: cannot write the report: {e}");
        }
    }
}

fn width() -> Option<u16> {
    if std::io::stdout().is_terminal() {
        comfy_table::Table::new().width()
    } else {
        None
    }
}

fn run(cli: Cli) -> Result<u8, wsclose::error::Error> {
    match cli.command {
        Command::Analyze(args) => analyze(args),
        Command::Explain { codes, format } => {
            emit(&match format {
                Format::Table => explain::explain(&codes),
                Format::Json => explain::explain_json(&codes),
            });
            Ok(0)
        }
        Command::Codes { format } => {
            emit(&match format {
                Format::Table => explain::codes(width()),
                Format::Json => explain::codes_json(),
            });
            Ok(0)
        }
        Command::Live(args) => live(args),
    }
}

fn analyze(args: AnalyzeArgs) -> Result<u8, wsclose::error::Error> {
    let opts = Options {
        limits: Limits {
            max_pending_bytes: args.limits.max_buffer,
            ..Limits::default()
        },
        idle_timeout_s: args.limits.idle_timeout,
        max_flows: args.limits.max_flows.max(1),
    };
    let report = wsclose::analyze_files(&args.files, opts)?;
    for input in &report.inputs {
        for w in &input.warnings {
            eprintln!("wsclose: warning: {}: {}", terminal(&input.path), w);
        }
    }
    emit(&match args.format {
        Format::Table => table::render(&report, width()),
        Format::Json => json::render(&report),
    });
    if report.connections.is_empty() {
        let s = &report.seen;
        eprintln!(
            "wsclose: no WebSocket connection found: {} packets, {} TCP packets in {} TCP connections (none asked for a WebSocket upgrade), {} other packets{}",
            s.packets,
            s.tcp_packets,
            s.tcp_connections,
            s.other_packets + s.malformed_packets,
            if s.unsupported_link_types.is_empty() {
                String::new()
            } else {
                format!(
                    ", undecoded link types: {}",
                    s.unsupported_link_types.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            }
        );
        return Ok(1);
    }
    Ok(0)
}

#[cfg(not(feature = "live"))]
fn live(_args: LiveArgs) -> Result<u8, wsclose::error::Error> {
    Err(wsclose::error::Error::Live(
        "this wsclose was built without live capture. To get it, install libpcap's development \
         package (Debian/Ubuntu: `sudo apt-get install libpcap-dev`; Fedora: `sudo dnf install libpcap-devel`) \
         and rebuild with the `live` feature: `cargo build --release --features live` \
         (or `cargo install --path . --features live`). Offline analysis needs none of this: \
         capture with `tcpdump -i lo -w bug.pcap` and run `wsclose analyze bug.pcap`."
            .into(),
    ))
}

#[cfg(feature = "live")]
fn live(_args: LiveArgs) -> Result<u8, wsclose::error::Error> {
    Err(wsclose::error::Error::Live(
        "live capture is not implemented yet in this version; capture with \
         `tcpdump -i lo -w bug.pcap` and run `wsclose analyze bug.pcap`"
            .into(),
    ))
}
