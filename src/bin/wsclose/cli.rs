//! The command line (clap derive): raw flags in, a validated command out.
//!
//! `wsclose analyze CAPTURE...`, `wsclose explain CODE [CODE]`, `wsclose codes`,
//! `wsclose extract CAPTURE --connection ID -w FILE`, `wsclose live -i IFACE [-f FILTER]`
//! (with the `live` feature), `wsclose interfaces`, `wsclose completions SHELL` and
//! `wsclose man [COMMAND]` (made at run time from these definitions by clap_complete and
//! clap_mangen, as ripgrep's `rg --generate` does, so that what an installed binary prints
//! always matches its own flags).
//!
//! The habits of other tools are taken as they come ([`parse_from`]): `wsclose FILE...`
//! and `wsclose -r FILE` (tshark) are `analyze`, `--json` is `--format json` (ripgrep),
//! `-q`, `-v` and `-V` work before or after any command.

use clap::{ArgAction, Args, CommandFactory, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
/// What the binary says of its inputs before and after reading them: a directory's capture
/// files, and an input's file name for notes.
pub use wsclose::inputs::{expand, file_name, is_stream};
use wsclose::render::Format;
use wsclose::report::filter::{Selection, StatusSpec};

pub const EXIT_CODES: &str = "\
Exit codes:
  0  success: the report lists at least one WebSocket connection
  1  the input held no WebSocket connection (the report says what it did hold),
     or a selection (--status, --host, ...) left none of those it held
  2  usage error (bad flag or argument, no such connection)
  3  an input could not be read: missing, unreadable, not a pcap/pcapng capture,
     or a --keylog file missing, unreadable or not a key log
  4  live capture unavailable: built without the `live` feature, no permission,
     bad interface or filter
  5  --fail-on: a connection ended with one of the listed statuses
  6  an output could not be written: the report (standard output),
     extract -w FILE, or live --write FILE (the capture stops there)";

#[derive(Debug, Parser)]
#[command(
    name = "wsclose",
    version,
    propagate_version = true,
    max_term_width = 100,
    about = "Find out why WebSocket connections closed: reads pcap/pcapng captures, \
             reassembles TCP, decodes RFC 6455 frames and explains every close code.",
    override_usage = "wsclose [OPTIONS] <COMMAND>\n       wsclose [OPTIONS] <CAPTURE>...   (analyze, the command by default)",
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// No notes or warnings on standard error (errors, and why the exit code is not 0, are
    /// still said).
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        display_order = 900
    )]
    pub quiet: bool,
    /// Say more: the table with each connection's close frames in a column of their own,
    /// each status's whole text below it (meaning, typical causes, fix); on standard error,
    /// what each key log gave and each phase's time.
    #[arg(short, long, global = true, action = ArgAction::Count, display_order = 901)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

/// The names of the commands (and clap's `help`): a first argument that is one of them is
/// that command, even when a file of that name exists (`wsclose analyze live` or
/// `wsclose ./live` reads a capture named `live`).
fn command_names() -> Vec<String> {
    let cmd = Cli::command();
    cmd.get_subcommands()
        .flat_map(|c| std::iter::once(c.get_name()).chain(c.get_all_aliases()))
        .chain(std::iter::once("help"))
        .map(str::to_string)
        .collect()
}

/// `analyze` put in front of the arguments when they do not start with a command: after
/// the global flags (`-q`, `-v`), an argument that is a flag (`-r FILE`, `--json`,
/// `--format csv`, or `-` for standard input), names an existing file, or looks like a
/// path (it holds a `/` or a `.`) starts the arguments of `analyze`, as `rg PATTERN` needs
/// no verb. A command's name is always the command; a bare word that is neither a file nor
/// a command is left to clap, which says there is no such command and suggests the
/// nearest (`wsclose anlyze` is a typo, not a missing capture). `-h`, `--help`, `-V` and
/// `--version` stay wsclose's own.
pub fn with_verb(mut args: Vec<OsString>) -> Vec<OsString> {
    let global = |a: &str| {
        matches!(a, "--quiet" | "--verbose")
            || a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| c == 'q' || c == 'v')
    };
    let mut i = 1;
    while args.get(i).and_then(|a| a.to_str()).is_some_and(global) {
        i += 1;
    }
    let Some(first) = args.get(i) else {
        return args;
    };
    let text = first.to_string_lossy();
    if matches!(&*text, "-h" | "--help" | "-V" | "--version")
        || command_names().iter().any(|n| *n == text)
    {
        return args;
    }
    let looks_like_input =
        text.starts_with('-') || text.contains(['/', '.']) || Path::new(first).exists();
    if looks_like_input {
        args.insert(i, OsString::from("analyze"));
    }
    args
}

/// The command line `args` (the program's name first) read: [`with_verb`], clap, then the
/// short forms folded into the long ones (`-r FILE` into the captures, `--json` into
/// `--format json`), so that the rest of the program sees one form.
pub fn parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let args = with_verb(args.into_iter().map(Into::into).collect());
    let mut cli = Cli::try_parse_from(args)?;
    match &mut cli.command {
        Command::Analyze(a) => {
            let mut files = std::mem::take(&mut a.read_file);
            files.append(&mut a.files);
            a.files = files;
            if a.json {
                a.format = Format::Json;
            }
        }
        Command::Explain {
            json: true, format, ..
        }
        | Command::Codes {
            json: true, format, ..
        } => *format = TextFormat::Json,
        Command::Live(LiveArgs {
            json: true, format, ..
        }) => *format = Format::Json,
        _ => {}
    }
    Ok(cli)
}

/// What `--help` says of each format (clap's way: no full stop at the end).
fn format_help(format: Format) -> &'static str {
    match format {
        Format::Table => "A table for the terminal",
        Format::Json => {
            "The stable JSON contract (docs/json.md; `wsclose schema` prints its JSON Schema)"
        }
        Format::Jsonl => {
            "The JSON contract as JSON Lines, for log shippers (docs/json.md): a record per \
             connection, then the summary's; --follow and live first stream one per close \
             event (each close frame, FIN, RST or HTTP/2 stream ending) as it is read"
        }
        Format::Ecs => {
            "The records as Elastic Common Schema documents, one per line, for log stores \
             (Elasticsearch, OpenSearch; Filebeat, Vector, Fluent Bit) with no transform \
             (docs/pipelines.md)"
        }
        Format::Markdown => "A report to paste into a bug ticket (GitHub/GitLab/Jira)",
        Format::Csv => "One row per connection",
        Format::Html => {
            "One self-contained HTML file with pictures, to attach to any ticket or mail"
        }
    }
}

/// `--format`'s values: every format by its name, each with its help.
fn format_value() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(
        Format::ALL.map(|f| PossibleValue::new(f.name()).help(format_help(f))),
    )
    .map(|name| Format::named(&name).expect("a name of Format::ALL"))
}

/// Output of `explain`, `codes` and `live`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextFormat {
    /// Text for the terminal.
    Table,
    /// JSON (for `live`: one object per line).
    Json,
}

/// When to colour the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set, CLICOLOR is 0 or TERM is dumb; piped too when
    /// CLICOLOR_FORCE is set (not 0).
    Auto,
    Always,
    Never,
}

/// Where `wireshark-plugin`'s output goes, and what it does.
const WIRESHARK_PLUGIN: &str = "\
Install it in your personal Lua plugins folder (Help > About Wireshark > Folders names it),
then restart Wireshark or reload the Lua plugins (Ctrl+Shift+L):
  Linux, macOS: wsclose wireshark-plugin > ~/.local/lib/wireshark/plugins/wsclose.lua
  Windows:      wsclose wireshark-plugin > %APPDATA%\\Wireshark\\plugins\\wsclose.lua
Or give it to one run: tshark -X lua_script:wsclose.lua -r annotated.pcapng -z expert,warn -q

On a capture written by `wsclose annotate` each wsclose comment becomes Expert Info at the
level wsclose gave it: the diagnosis on the deciding packet of a connection that failed
(1006, 1011, 1014, 1015, an upgrade refused) an error, of another problem a warning, of a
clean close a note; the handshake, close frames and endings chat. Fields: wsclose.id,
wsclose.status, wsclose.code, wsclose.level, wsclose.text (e.g. wsclose.level == \"error\").";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Report every WebSocket connection in capture files and how each one closed.
    #[command(after_help = EXIT_CODES)]
    Analyze(AnalyzeArgs),
    /// Explain one close code, or compare two.
    Explain {
        /// One or two close codes, e.g. `1006` or `1007 1008`; or an incident's kind, e.g.
        /// `server-restart` (closes of several connections that belong together); or a
        /// cause's kind, as a report's `status.causes[].kind` names it, e.g. `abrupt-ending`.
        #[arg(required = true, num_args = 1..=2, value_name = "CODE", value_parser = topic, allow_negative_numbers = true)]
        codes: Vec<Topic>,
        #[arg(long, value_enum, default_value_t = TextFormat::Table)]
        format: TextFormat,
        /// The same as --format json.
        #[arg(long, conflicts_with = "format")]
        json: bool,
    },
    /// List every close code in the catalog.
    Codes {
        #[arg(long, value_enum, default_value_t = TextFormat::Table)]
        format: TextFormat,
        /// The same as --format json.
        #[arg(long, conflicts_with = "format")]
        json: bool,
    },
    /// Write one connection's packets to a pcapng of their own (ids as `analyze` shows them).
    #[command(after_help = EXIT_CODES)]
    Extract(ExtractArgs),
    /// Copy captures into one pcapng with the diagnosis as packet comments, for Wireshark
    /// (`frame.comment matches "^wsclose #3 "` shows connection 3's; `wsclose
    /// wireshark-plugin` raises them as Expert Info).
    #[command(after_help = EXIT_CODES)]
    Annotate(AnnotateArgs),
    /// Print wsclose's Wireshark plugin (Lua): Expert Info and a `wsclose` tree, with fields
    /// to filter and colour on, from the comments of `wsclose annotate`.
    #[command(after_help = WIRESHARK_PLUGIN)]
    WiresharkPlugin,
    /// Capture on a network interface and report closes as they happen (feature `live`).
    #[command(after_help = EXIT_CODES)]
    Live(LiveArgs),
    /// List the interfaces live capture can use, with their addresses (feature `live`).
    Interfaces,
    /// Print the JSON Schema (draft 2020-12) of `analyze --format json`'s report, as
    /// schema/report.schema.json in the source holds it (with --records, that of the JSON
    /// Lines records, schema/records.schema.json).
    Schema {
        /// The schema of the records (`--format jsonl`, the event lines of `--follow` and
        /// `live`) instead of the report's.
        #[arg(long)]
        records: bool,
    },
    /// Print a shell's completion script, made from these definitions (e.g.
    /// `wsclose completions bash > /usr/share/bash-completion/completions/wsclose`).
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) of wsclose, or of one of its commands (`wsclose man analyze`
    /// is wsclose-analyze(1)), e.g. `wsclose man | man -l -`.
    Man {
        /// A command: analyze, explain, codes, extract, annotate, wireshark-plugin, live,
        /// interfaces, schema.
        #[arg(value_name = "COMMAND")]
        command: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Capture files: .pcap, .pcapng, either compressed with gzip, zstd or lz4, a directory
    /// of them, or - for standard input.
    #[arg(required_unless_present = "read_file", value_name = "CAPTURE")]
    pub files: Vec<PathBuf>,
    /// A capture file, as tshark takes it (the same as naming it without -r); repeatable,
    /// read before the captures named without it.
    #[arg(short = 'r', long, value_name = "CAPTURE", help_heading = "Input")]
    pub read_file: Vec<PathBuf>,
    /// Read each capture file on its own, even one that continues the file before it
    /// (rotated files, `tcpdump -C`/`-G`, `dumpcap -b`, are otherwise read as one capture).
    #[arg(long, help_heading = "Input")]
    pub separate_files: bool,
    /// Read each capture file as the continuation of the one before whatever their names
    /// (renamed rotated files), as long as the link type is the same and it starts when the
    /// one before ends (from 1 s before to --idle-timeout after).
    #[arg(long, conflicts_with = "separate_files", help_heading = "Input")]
    pub join_files: bool,
    /// Read one capture as it is written, as `tail -f` does (stdin, a FIFO, a growing
    /// file, or a directory a capture ring rotates files in), printing each close as its
    /// packets arrive, then the report when the input ends or on Ctrl-C or SIGTERM.
    #[arg(long, help_heading = "Input")]
    pub follow: bool,
    #[command(flatten)]
    pub metrics: MetricsArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    #[arg(long, value_parser = format_value(), default_value_t = Format::Table, help_heading = "Output")]
    pub format: Format,
    /// The same as --format json.
    #[arg(long, conflicts_with = "format", help_heading = "Output")]
    pub json: bool,
    /// Show every frame of the selected connections (time, side, opcode, flags, length,
    /// preview): a table per connection, or with --format csv one row per frame.
    #[arg(long, help_heading = "Output")]
    pub timeline: bool,
    /// Replace addresses, host names and token-like subprotocols with pseudonyms (inside
    /// close reasons too; the same in any run over the capture) and leave out query strings
    /// and payloads.
    #[arg(long, help_heading = "Output")]
    pub redact: bool,
    /// Markdown and HTML: every connection's details, however long (by default a Markdown
    /// report fits a GitHub issue, 65 536 characters, an HTML one 2 MB, and says what it
    /// left out).
    #[arg(long, help_heading = "Output")]
    pub full: bool,
    /// Exit with code 5 if a shown connection has one of these statuses: a comma-separated
    /// list, repeatable (e.g. --fail-on 1006,4000-4999,open).
    #[arg(
        long,
        value_name = "STATUS,...",
        value_delimiter = ',',
        help_heading = "Output"
    )]
    pub fail_on: Vec<StatusSpec>,
    /// Colour the table.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, help_heading = "Output")]
    pub color: ColorChoice,
    /// Also write the captures, every packet, into this pcapng with the diagnosis as packet
    /// comments (as `wsclose annotate`; the selection chooses the connections commented);
    /// not standard output, where the report goes.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub annotate: Option<PathBuf>,
    #[command(flatten)]
    pub export: ExportArgs,
    #[command(flatten)]
    pub notes: NoteArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub keys: KeyArgs,
}

/// The `--export-*` options of `analyze` and `live`: the report in other formats, each to
/// its file, from the same analysis.
#[derive(Debug, Args, Clone, Default)]
pub struct ExportArgs {
    /// Also write the JSON report (as --format json) to FILE, from the same analysis; each
    /// --export-* once, any number of them, beside the format on standard output.
    /// --timeline, --full, --redact and the selection apply to every export.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub export_json: Option<PathBuf>,
    /// Also write the JSON Lines report (as --format jsonl) to FILE.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub export_jsonl: Option<PathBuf>,
    /// Also write the ECS documents (as --format ecs) to FILE.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub export_ecs: Option<PathBuf>,
    /// Also write the Markdown report (as --format markdown) to FILE.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub export_markdown: Option<PathBuf>,
    /// Also write the HTML report (as --format html) to FILE.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub export_html: Option<PathBuf>,
    /// Also write the CSV report (as --format csv) to FILE.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub export_csv: Option<PathBuf>,
}

impl ExportArgs {
    /// The `--export-*` asked for: each format and its file, in `--format`'s order.
    pub fn exports(&self) -> Vec<(Format, &Path)> {
        // Each format's option, none for the table (standard output's only).
        let option = |f: Format| match f {
            Format::Json => &self.export_json,
            Format::Jsonl => &self.export_jsonl,
            Format::Ecs => &self.export_ecs,
            Format::Markdown => &self.export_markdown,
            Format::Html => &self.export_html,
            Format::Csv => &self.export_csv,
            Format::Table => &None,
        };
        Format::ALL
            .into_iter()
            .filter_map(|f| option(f).as_deref().map(|p| (f, p)))
            .collect()
    }
}

/// How an annotated copy is written (`annotate`, `analyze --annotate`).
#[derive(Debug, Args, Clone, Copy, Default)]
#[command(next_help_heading = "Annotated capture")]
pub struct NoteArgs {
    /// Copy only the packets of the connections commented, not every packet.
    #[arg(long)]
    pub only_selected: bool,
    /// Write the TLS secrets of the connections commented into the file (a Decryption
    /// Secrets Block: Wireshark then decrypts them); share it as you would the key log.
    #[arg(long)]
    pub with_secrets: bool,
}

#[derive(Debug, Args)]
pub struct AnnotateArgs {
    /// Capture files, as `analyze` takes them (not standard input: they are read twice).
    #[arg(required = true, value_name = "CAPTURE")]
    pub files: Vec<PathBuf>,
    /// The pcapng to write: every packet of the captures, in order, unchanged, with
    /// comments; written to a temporary file renamed into place, never over an input
    /// (- for standard output).
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: PathBuf,
    /// Comments as `analyze --redact` writes reports: addresses and host names as
    /// pseudonyms, no query strings or payloads; and the packets' TCP payloads (the upgrade,
    /// the frames) blanked to zeros in the copy (their headers, addresses and ports are
    /// copied as captured; not with --with-secrets).
    #[arg(long)]
    pub redact: bool,
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub notes: NoteArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub keys: KeyArgs,
}

/// Which connections to report.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Selection")]
pub struct SelectArgs {
    /// Only this connection (repeatable), by the id the report shows.
    #[arg(long = "connection", value_name = "ID", allow_negative_numbers = true)]
    pub connections: Vec<u64>,
    /// Only these statuses: a comma-separated list, repeatable, of codes (1006), ranges
    /// (4000-4999), open, evicted, refused, unknown (e.g. --status 1006,4000-4999,open).
    #[arg(long = "status", value_name = "STATUS,...", value_delimiter = ',')]
    pub statuses: Vec<StatusSpec>,
    /// Only problems: everything but clean 1000/1001 closes.
    #[arg(long)]
    pub problems: bool,
    /// Only connections whose Host header or address contains HOST.
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// Only connections with this port on either side.
    #[arg(long, value_name = "PORT", allow_negative_numbers = true)]
    pub port: Option<u16>,
}

impl SelectArgs {
    pub fn selection(&self) -> Selection {
        Selection {
            connections: self.connections.clone(),
            statuses: self.statuses.clone(),
            problems: self.problems,
            host: self.host.clone(),
            port: self.port,
        }
    }

    /// Applies the selection to `report` (`analyze`, `annotate`, `live`); a `--connection`
    /// id it does not have is a usage error.
    pub fn apply(&self, report: &mut wsclose::report::Report) -> Result<(), wsclose::error::Error> {
        let found = report.summary.total_connections;
        self.selection()
            .apply(report)
            .map_err(wsclose::error::Error::Spill)?;
        match self.connections.iter().find(|id| **id == 0 || **id > found) {
            Some(id) => Err(wsclose::error::Error::Usage(format!(
                "there is no connection {id}: the report has {found} (ids 1 to {found})"
            ))),
            None => Ok(()),
        }
    }
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The capture the connection is in (a file, not standard input).
    #[arg(value_name = "CAPTURE")]
    pub capture: PathBuf,
    /// The connection's id, as `wsclose analyze CAPTURE` shows it.
    #[arg(long = "connection", value_name = "ID", allow_negative_numbers = true)]
    pub connection: u64,
    /// Where to write the capture (- for standard output): a pcapng, whatever the name,
    /// with nanosecond times, each packet's frame number in CAPTURE as its comment, and for
    /// a wss:// (TLS) connection that connection's TLS secrets (and no other's).
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: PathBuf,
    /// Write no TLS secret into the output (it then opens encrypted). Only the secrets are
    /// left out: the packets, addresses and payloads are copied unchanged.
    #[arg(long)]
    pub redact: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub keys: KeyArgs,
}

#[derive(Debug, Args, Clone, Copy)]
#[command(next_help_heading = "Limits")]
pub struct LimitArgs {
    /// Finish a connection after this many seconds of capture time without a packet.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = wsclose::Options::DEFAULT_IDLE_TIMEOUT_S,
        allow_negative_numbers = true
    )]
    pub idle_timeout: u64,
    /// Track at most this many TCP connections at once: the least recently active are
    /// finished first (the cap is kept per group of flows: docs/limits.md).
    #[arg(long, value_name = "N", default_value_t = wsclose::Options::DEFAULT_MAX_FLOWS, value_parser = max_flows, allow_negative_numbers = true)]
    pub max_flows: usize,
    /// Out-of-order bytes held per direction before the oldest hole is declared a gap.
    #[arg(long, value_name = "BYTES", default_value_t = wsclose::Limits::DEFAULT_MAX_PENDING_BYTES, allow_negative_numbers = true)]
    pub max_buffer: usize,
    /// The memory the analysis may use (e.g. 256M, 2G; at least 32M): past it, held
    /// out-of-order bytes are given up, then the least recently active connections are
    /// evicted (docs/limits.md).
    #[arg(long, value_name = "SIZE", default_value = size_text(wsclose::Options::DEFAULT_MAX_MEMORY), value_parser = max_memory, allow_negative_numbers = true)]
    pub max_memory: usize,
    /// Finished connection reports kept in memory; the rest go to a temporary file (tests).
    #[arg(long, hide = true, value_name = "N", default_value_t = wsclose::report::store::DEFAULT_BUDGET)]
    pub keep_reports: usize,
    /// Leave application protocols undecoded (benchmarks: the cost of decoding them).
    #[arg(long, hide = true)]
    pub no_app: bool,
}

/// TLS secrets (`analyze`, `extract`, `live`).
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "TLS")]
pub struct KeyArgs {
    /// A TLS key log in the NSS format (what SSLKEYLOGFILE makes browsers, curl, Node, Python and Go write), to decrypt wss:// connections; repeatable. SSLKEYLOGFILE itself is read when set, and a pcapng file's own secrets always.
    #[arg(long = "keylog", value_name = "FILE")]
    pub keylog: Vec<PathBuf>,
}

impl KeyArgs {
    /// The key logs to read: these files, and `SSLKEYLOGFILE` when it is set.
    pub fn sources(&self) -> wsclose::keys::KeySources {
        wsclose::keys::KeySources::with_env(self.keylog.clone())
    }
}

/// How a capture file is read (`analyze`, `extract`; not `live`).
#[derive(Debug, Args, Clone, Copy)]
#[command(next_help_heading = "Limits")]
pub struct ReadArgs {
    /// Threads per capture file (0: one per core; at most 64): analyzers sharing a large uncompressed pcap or pcapng file, each taking whole groups of flows (one thread below --max-flows 2048); above 1, a compressed input is decompressed on a thread of its own.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = threads, allow_negative_numbers = true)]
    pub threads: usize,
}

#[derive(Debug, Args)]
pub struct LiveArgs {
    /// Interface to capture on, e.g. lo or eth0 (`wsclose interfaces` lists them).
    #[arg(short, long, value_name = "IFACE", required_unless_present = "list")]
    pub interface: Option<String>,
    /// BPF capture filter, as tcpdump takes it, e.g. 'tcp port 8765'.
    #[arg(short, long, value_name = "FILTER", default_value = "tcp")]
    pub filter: String,
    /// One line per close as it happens, then the report (table); json, jsonl and ecs
    /// stream one record per close event (each close frame, FIN, RST or HTTP/2 stream
    /// ending), then the report's; markdown, html and csv print the lines, then the report in
    /// that format.
    #[arg(long, value_parser = format_value(), default_value_t = Format::Table)]
    pub format: Format,
    /// The same as --format json.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Stop after this many seconds (default: at Ctrl-C).
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true, value_parser = seconds)]
    pub duration: Option<std::time::Duration>,
    /// Stop after this many packets.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub count: Option<u64>,
    /// Save every captured packet to this pcapng (with --keylog, its TLS secrets too); a
    /// write that fails stops the capture, exit 6. `-w -` writes to standard output, as
    /// tcpdump's does; the lines and the report then go to standard error (docs/live.md).
    #[arg(short, long, value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// The kernel's capture ring (K, M, G), as tcpdump's -B: what holds a burst while the
    /// capture thread catches up. Default 32M: about 20 000 full Ethernet frames.
    #[arg(short = 'B', long, value_name = "SIZE", value_parser = buffer_size)]
    pub buffer_size: Option<usize>,
    /// List the interfaces instead of capturing.
    #[arg(long)]
    pub list: bool,
    /// Colour the final table.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Replace addresses, host names and token-like subprotocols with pseudonyms (inside
    /// close reasons too) and leave out query strings and payloads: the report, its exports,
    /// and the lines and records streamed (no endpoint, uid or Community ID in them).
    #[arg(long)]
    pub redact: bool,
    /// Exit with code 5 if a shown connection has one of these statuses (as `analyze`).
    #[arg(long, value_name = "STATUS,...", value_delimiter = ',')]
    pub fail_on: Vec<StatusSpec>,
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub export: ExportArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub metrics: MetricsArgs,
    // Key logs are reread as they grow (a browser appends each connection's line during
    // its handshake).
    #[command(flatten)]
    pub keys: KeyArgs,
}

/// What `explain` explains: a close code, an incident's kind, or a cause's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    Code(u16),
    Incident(wsclose::vocab::IncidentKind),
    Cause(&'static str),
}

/// `explain TOPIC`: an incident's kind by name, a cause's kind by name (docs/causes.md's),
/// else a close code ([`close_code`]).
fn topic(s: &str) -> Result<Topic, String> {
    if let Some(k) = wsclose::vocab::IncidentKind::named(s.trim()) {
        return Ok(Topic::Incident(k));
    }
    if let Some(k) = wsclose::explain::cause_kind(s.trim()) {
        return Ok(Topic::Cause(k));
    }
    close_code(s).map(Topic::Code).map_err(|e| {
        let kinds: Vec<&str> = wsclose::vocab::IncidentKind::ALL
            .iter()
            .map(|k| k.name())
            .collect();
        format!(
            "{e}; or an incident's kind: {}; or a cause's kind, as `status.causes[].kind` \
             names it (e.g. abrupt-ending, closing-cut-short; docs/causes.md lists them)",
            kinds.join(", ")
        )
    })
}

/// `explain CODE`: a number from 0 to 65535, or words that say what a close code is.
fn close_code(s: &str) -> Result<u16, String> {
    const WHAT: &str =
        "a close code is the number a WebSocket close frame carries (RFC 6455 §7.4), \
         e.g. 1000 (normal), 1001 (going away), 1006 (closed without a close frame), \
         4000-4999 (the application's own); `wsclose codes` lists them";
    match s.trim().parse::<i128>() {
        Ok(n) => u16::try_from(n).map_err(|_| {
            format!("{n} is not a close code: close codes are 0 to 65535 (two bytes); {WHAT}")
        }),
        Err(_) => Err(format!(
            "close codes are numbers, and this is not one: {WHAT}"
        )),
    }
}

/// `--max-flows N`: at least 1 (no connection could be followed with 0).
fn max_flows(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("0 would follow no TCP connection at all: give at least 1 (the default, 200000, follows that many at once; the least recently active beyond it are evicted and marked so)".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("'{s}' is not a number of connections: {e}")),
    }
}

/// `--buffer-size SIZE`: 1 MiB to 1 GiB, written as `--max-memory` takes it.
fn buffer_size(s: &str) -> Result<usize, String> {
    let bytes = size(s)?;
    if !(1 << 20..=1 << 30).contains(&bytes) {
        return Err(format!(
            "'{s}' is out of range: the capture ring takes 1M to 1G (the default, 32M, holds about 20 000 full Ethernet frames)"
        ));
    }
    Ok(bytes)
}

/// `live --duration SECONDS`: a finite number of seconds, 0 or more (fractions allowed),
/// that a span of time can hold.
fn seconds(s: &str) -> Result<std::time::Duration, String> {
    let what = "--duration takes a number of seconds, 0 or more (e.g. 30 or 0.5)";
    let n: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number: {what}"))?;
    if !n.is_finite() || n < 0.0 {
        return Err(format!("'{s}' is no span of time: {what}"));
    }
    std::time::Duration::try_from_secs_f64(n)
        .map_err(|_| format!("'{s}' is too long a span of time: {what}"))
}

/// `--max-memory SIZE`: bytes, or a number with K, M, G or T (powers of 1024, an optional
/// `iB` or `B` after it), at least [`MIN_MAX_MEMORY`](wsclose::MIN_MAX_MEMORY).
fn max_memory(s: &str) -> Result<usize, String> {
    let bytes = size(s)?;
    let min = wsclose::MIN_MAX_MEMORY;
    if bytes < min {
        return Err(format!(
            "'{s}' is too little: give at least {}M (16 MiB and an eighth are set aside for the program and its reports; the rest holds the connections in flight)",
            min >> 20
        ));
    }
    Ok(bytes)
}

/// A size: bytes, or a number with K, M, G or T (powers of 1024, an optional `iB` or `B`).
fn size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(digits);
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        _ => {
            return Err(format!(
                "'{s}' is not a size: give bytes or a number with K, M, G or T (e.g. 256M)"
            ))
        }
    };
    let n: usize = n.parse().map_err(|_| {
        format!("'{s}' is not a size: give bytes or a number with K, M, G or T (e.g. 256M)")
    })?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("'{s}' is more memory than this machine can address"))
}

/// `bytes` as [`size`] reads it, in the largest of T, G, M and K that divides it whole
/// (1 GiB: "1G"): how `--help` writes a size flag's default.
fn size_text(bytes: usize) -> String {
    [(40, "T"), (30, "G"), (20, "M"), (10, "K")]
        .into_iter()
        .find(|&(shift, _)| bytes > 0 && bytes.trailing_zeros() >= shift)
        .map_or_else(
            || bytes.to_string(),
            |(shift, unit)| format!("{}{unit}", bytes >> shift),
        )
}

/// `--threads N`: at most [`MAX_THREADS`](wsclose::MAX_THREADS). A larger number is
/// refused rather than lowered: the threads of a file take whole groups of flows, of which
/// there are at most 64, and every thread reads every packet, so more would only slow the
/// run; a number like 100000 is a slip worth saying, as a bad number is.
fn threads(s: &str) -> Result<usize, String> {
    let max = wsclose::MAX_THREADS;
    match s.trim().parse::<usize>() {
        Ok(n) if n > max => Err(format!(
            "{n} threads is more than one file can use: give at most {max} (0, the default, takes one per core)"
        )),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("'{s}' is not a number of threads: {e}")),
    }
}

impl LimitArgs {
    /// The analyzer options these flags describe (threads as by default: see
    /// [`ReadArgs::options`] for a file).
    pub fn options(&self) -> wsclose::Options {
        wsclose::Options {
            limits: wsclose::Limits {
                max_pending_bytes: self.max_buffer,
                ..wsclose::Limits::default()
            },
            idle_timeout_s: self.idle_timeout,
            max_flows: self.max_flows.max(1),
            keep_reports: self.keep_reports,
            max_memory: self.max_memory,
            app: !self.no_app,
            ..wsclose::Options::default()
        }
    }
}

impl AnalyzeArgs {
    /// The analyzer options these flags ask for, all of them decided here: the limits and
    /// threads, how files join, and what the chosen format needs kept: every frame with
    /// `--timeline`, the frames around each close for Markdown, the last frames each way for
    /// HTML's pictures; and for Markdown and HTML (which open with each capture's SHA-256)
    /// a stream's hash computed as it is read.
    ///
    /// One analysis serves standard output's format and every `--export-*`: it keeps what
    /// the most demanding of them needs (HTML's frame log is longer than Markdown's, which
    /// reads only its own last frames each way of it), so each is written as it would be
    /// alone.
    pub fn options(&self) -> wsclose::Options {
        let mut opts = self.read.options(&self.limits);
        opts.join_files = !self.separate_files;
        opts.force_join = self.join_files;
        let formats: Vec<Format> = self.formats().collect();
        if self.timeline {
            opts.frame_log = 100_000;
            opts.previews = true;
        } else {
            opts.frame_log = formats.iter().map(|f| f.frame_log()).max().unwrap_or(0);
        }
        opts.hash_streams = formats.iter().any(|f| f.shows_hashes());
        opts
    }

    /// The `--export-*` asked for: each format and its file, in a fixed order.
    pub fn exports(&self) -> Vec<(Format, &Path)> {
        self.export.exports()
    }

    /// Every format written: standard output's, then the exports'.
    pub fn formats(&self) -> impl Iterator<Item = Format> + '_ {
        std::iter::once(self.format).chain(self.exports().into_iter().map(|(f, _)| f))
    }
}

impl ReadArgs {
    /// The analyzer options of `limits` read with these threads, at most one per core: a
    /// file's threads each walk its packets, so more threads than cores only take turns
    /// (on 2 cores, `--threads 8` took 2.6 to 3 times as long as `--threads 2` on the 1 GB
    /// capture). The report is the same with any number of threads.
    pub fn options(&self, limits: &LimitArgs) -> wsclose::Options {
        wsclose::Options {
            threads: self.threads_used(),
            ..limits.options()
        }
    }

    /// The threads asked for, at most the machine's cores (0, the default, stays 0:
    /// one per core, at most `analyzer::MAX_THREADS`).
    pub fn threads_used(&self) -> usize {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        match self.threads {
            0 => 0,
            n => n.min(cores),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{size, size_text};

    /// The text `--help` gives a size's default reads back as that size.
    #[test]
    fn a_sizes_text_reads_back_as_it() {
        for b in [1 << 30, 32 << 20, 1536 << 20, 5 << 40, 4096, 1000, 0] {
            assert_eq!(size(&size_text(b)), Ok(b), "{b}");
        }
        assert_eq!(size_text(wsclose::Options::DEFAULT_MAX_MEMORY), "1G");
        assert_eq!(size_text(1536 << 20), "1536M");
        assert_eq!(size_text(1000), "1000");
    }
}

/// `--metrics` and `--metrics-servers`, shared by `live` and `analyze`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct MetricsArgs {
    /// Serve Prometheus metrics at http://ADDR:PORT/metrics while the capture is read
    /// (`live`, `analyze --follow`); a PORT alone binds to 127.0.0.1 (docs/monitoring.md).
    #[arg(long, value_name = "ADDR:PORT", value_parser = listen_addr)]
    pub metrics: Option<std::net::SocketAddr>,
    /// The metrics' `server` label names this many servers at most (the first seen); the
    /// others are counted as `other`.
    #[arg(long, value_name = "N", default_value_t = 20, requires = "metrics")]
    pub metrics_servers: usize,
}

/// "9750" (loopback), "127.0.0.1:9750", "[::1]:9750", "0.0.0.0:9750".
pub(crate) fn listen_addr(s: &str) -> Result<std::net::SocketAddr, String> {
    if let Ok(port) = s.parse::<u16>() {
        return Ok((std::net::Ipv4Addr::LOCALHOST, port).into());
    }
    s.parse().map_err(|_| {
        format!("'{s}' is not ADDR:PORT (127.0.0.1:9750, [::1]:9750) or a port (9750)")
    })
}
