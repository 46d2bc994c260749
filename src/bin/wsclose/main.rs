//! The `wsclose` binary: parse the command line, run, print, and map the outcome to the
//! exit codes documented in README.md and `--help`. Errors go to standard error as
//! `wsclose: <what happened and what to do>`; a closed pipe (`| head`) is not an error.
//! Notes and warnings go there too, unless `-q`.

use cli::{Cli, Command, TextFormat};
use shared::{command_line, command_line_less, plural, render_options};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use wsclose::explain;

/// `-q`: no notes or warnings on standard error (errors, and why the exit code is not 0,
/// are still said).
static QUIET: AtomicBool = AtomicBool::new(false);

/// `wsclose schema`'s texts: the committed files, which tests/it/report/schema.rs keeps
/// byte for byte what the report model generates (`wsclose::report::schema`), embedded as
/// build.rs packed them (deflated, the report's text then the records'). Printed as
/// embedded, not generated here, the binary links none of the schema generator (schemars
/// and every type's `json_schema`).
const SCHEMAS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/schemas.deflate"));

/// The report's schema, or with `records` the records' (see [`SCHEMAS`]).
fn schema_text(records: bool) -> Vec<u8> {
    use std::io::Read;
    let mut all = Vec::new();
    flate2::read::DeflateDecoder::new(SCHEMAS)
        .read_to_end(&mut all)
        .expect("build.rs's deflated schemas read back");
    let cut = env!("WSCLOSE_REPORT_SCHEMA_LEN")
        .parse::<usize>()
        .map_or(0, |n| n.min(all.len()));
    if records {
        all.split_off(cut)
    } else {
        all.truncate(cut);
        all
    }
}

/// A note or warning on standard error, left out with `-q`.
macro_rules! note {
    ($($arg:tt)*) => {
        if !$crate::QUIET.load(::std::sync::atomic::Ordering::Relaxed) {
            eprintln!($($arg)*);
        }
    };
}

// The commands, each in a file of its own beside this one, and what they share.
mod analyze_command;
mod annotate_command;
mod cli;
mod export;
mod extract_command;
mod live_command;
mod man;
mod metrics;
mod notes;
mod output;
mod progress;
mod shared;
mod signals;
mod wireshark_command;

fn main() -> ExitCode {
    // The run's start, for a summary with no packet to date it by.
    wsclose::report::record::run_start();
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
    if let Some(said) = tshark_habit(e) {
        eprintln!("wsclose: {said}");
        return 2;
    }
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

/// A usage error that is a tshark user's habit (`-Y`, `-R` display filters, `-T` output
/// formats), answered with what wsclose takes instead of clap's "use -- -Y".
fn tshark_habit(e: &clap::Error) -> Option<&'static str> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    match arg.as_str() {
        "-Y" | "-R" => Some(
            "-Y and -R are tshark's display filters; wsclose selects connections with \
             --status, --host, --port, --connection and --problems (wsclose analyze --help)",
        ),
        "-T" => Some(
            "-T is tshark's output format; wsclose takes --format (wsclose analyze --help \
             lists them) or --json",
        ),
        _ => None,
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
        // A terminal that reports no size says 0x0 (`script`, `docker run -t`, some CI):
        // a width under 40 is taken as unknown, not as a table 6 characters wide.
        comfy_table::Table::new().width().filter(|&w| w >= 40)
    } else {
        None
    }
}

fn run(cli: Cli) -> Result<u8, wsclose::error::Error> {
    let verbose = cli.verbose > 0;
    // Records carry the run's id: one the caller gives and that cannot be is refused, not
    // silently replaced by one of wsclose's own.
    if matches!(cli.command, Command::Analyze(_) | Command::Live(_)) {
        if let Some(why) = wsclose::report::record::run_id_refused() {
            return Err(wsclose::error::Error::Usage(
                wsclose::sanitize::terminal(&why).into_owned(),
            ));
        }
    }
    match cli.command {
        Command::Analyze(args) => analyze_command::analyze(args, verbose),
        Command::Explain {
            codes: mut topics,
            format,
            ..
        } => {
            topics.dedup();
            let codes: Vec<u16> = topics
                .iter()
                .filter_map(|t| match t {
                    cli::Topic::Code(c) => Some(*c),
                    _ => None,
                })
                .collect();
            let kinds: Vec<_> = topics
                .iter()
                .filter_map(|t| match t {
                    cli::Topic::Incident(k) => Some(*k),
                    _ => None,
                })
                .collect();
            let causes: Vec<&str> = topics
                .iter()
                .filter_map(|t| match t {
                    cli::Topic::Cause(k) => Some(*k),
                    _ => None,
                })
                .collect();
            let mut out = String::new();
            if !kinds.is_empty() {
                out.push_str(&match format {
                    TextFormat::Table => explain::explain_incidents(&kinds, width()),
                    TextFormat::Json => explain::explain_incidents_json(&kinds),
                });
            }
            if !causes.is_empty() {
                out.push_str(&match format {
                    TextFormat::Table => explain::explain_causes(&causes, width()),
                    TextFormat::Json => explain::explain_causes_json(&causes),
                });
            }
            if !codes.is_empty() {
                out.push_str(&match format {
                    TextFormat::Table => explain::explain(&codes, width()),
                    TextFormat::Json => explain::explain_json(&codes),
                });
            }
            emit(&out);
            Ok(0)
        }
        Command::Codes { format, .. } => {
            emit(&match format {
                TextFormat::Table => explain::codes(width()),
                TextFormat::Json => explain::codes_json(),
            });
            Ok(0)
        }
        Command::Extract(args) => extract_command::extract(args, verbose),
        Command::Annotate(args) => annotate_command::annotate(args, verbose),
        Command::WiresharkPlugin => wireshark_command::plugin(),
        Command::Live(args) if args.list => live_command::interfaces(),
        Command::Live(args) => live_command::live(args, verbose),
        Command::Interfaces => live_command::interfaces(),
        Command::Schema { records } => {
            let text = schema_text(records);
            stream(|out| out.write_all(&text));
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
