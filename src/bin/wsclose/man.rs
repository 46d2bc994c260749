//! `wsclose man [COMMAND]`: the roff man pages clap_mangen makes from the command line's
//! definitions, with the exit codes under EXIT STATUS and, for wsclose and wsclose-analyze,
//! an EXAMPLES section.

use crate::cli::{self, Cli};
use crate::stream;
use wsclose::sanitize::terminal;

/// `wsclose man [COMMAND]`: the man page of wsclose, or wsclose-COMMAND(1).
pub fn man(command: Option<&str>) -> Result<u8, wsclose::error::Error> {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    cmd.build();
    let page = match command {
        None => cmd,
        Some(name) => {
            let visible: Vec<String> = cmd
                .get_subcommands()
                .filter(|c| !c.is_hide_set() && c.get_name() != "help")
                .map(|c| c.get_name().to_string())
                .collect();
            match cmd.find_subcommand(name).filter(|c| !c.is_hide_set()) {
                Some(sub) => {
                    let full = format!("wsclose-{}", sub.get_name());
                    sub.clone()
                        .name(full.clone())
                        .display_name(full)
                        .bin_name(format!("wsclose {name}"))
                        .version(env!("CARGO_PKG_VERSION"))
                }
                None => {
                    return Err(wsclose::error::Error::Usage(format!(
                        "there is no command {} (the commands: {})",
                        terminal(name),
                        visible.join(", ")
                    )))
                }
            }
        }
    };
    let examples = matches!(command, None | Some("analyze"));
    let mut roff = Vec::new();
    // Rendering into memory cannot fail.
    let _ = clap_mangen::Man::new(page).render(&mut roff);
    let page = man_sections(&String::from_utf8_lossy(&roff), examples);
    stream(|out| out.write_all(page.as_bytes()));
    Ok(0)
}

/// The examples of the man pages of wsclose and wsclose-analyze: a command line, and what
/// it does.
const MAN_EXAMPLES: &[(&str, &str)] = &[
    ("wsclose bug.pcap", "Why each WebSocket connection of bug.pcap closed: a table, each problem status explained once (-v: the whole text)."),
    ("wsclose --problems bug.pcap", "Only the connections that did not close cleanly (1000, 1001)."),
    ("wsclose --format markdown --redact bug.pcap > report.md", "A report for a bug ticket, without addresses, host names, query strings or payloads."),
    ("wsclose --keylog keys.log wss.pcap", "wss:// read with the TLS secrets the client wrote (SSLKEYLOGFILE)."),
    ("wsclose -r bug.pcap --json | jq '.connections[].status'", "The stable JSON contract, for scripts."),
    ("wsclose live -i lo -f 'tcp port 8765' -w bug.pcapng", "A line per close as it happens, the report at Ctrl-C, the packets saved."),
];

/// The man page clap_mangen wrote, with its exit codes under EXIT STATUS (where man pages
/// keep them) and, when `examples`, an EXAMPLES section before VERSION.
fn man_sections(roff: &str, examples: bool) -> String {
    let esc = |t: &str| {
        t.replace('\\', "\\e")
            .replace('-', "\\-")
            .replace('\'', "\\(aq")
    };
    // The exit codes as a list: "  N  text" starts one, a deeper indent goes on with it.
    let mut codes = String::from(".SH \"EXIT STATUS\"\n");
    for line in cli::EXIT_CODES.lines().skip(1) {
        let t = line.trim();
        match t.split_once("  ") {
            Some((n, text)) if line.starts_with("  ") && !line.starts_with("   ") => {
                codes.push_str(&format!(".TP\n\\fB{n}\\fR\n{}\n", esc(text.trim())));
            }
            _ if !t.is_empty() => codes.push_str(&format!("{}\n", esc(t))),
            _ => {}
        }
    }
    let mut page = match (roff.find("\n.SH EXTRA\n"), roff.find("\n.SH VERSION")) {
        (Some(a), Some(b)) if a < b => format!("{}{codes}{}", &roff[..=a], &roff[b + 1..]),
        _ => roff.to_string(),
    };
    if examples {
        let mut ex = String::from(".SH EXAMPLES\n");
        for (cmd, what) in MAN_EXAMPLES {
            ex.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", esc(cmd), esc(what)));
        }
        match page.find("\n.SH VERSION") {
            Some(at) => page.insert_str(at + 1, &ex),
            None => page.push_str(&ex),
        }
    }
    page
}
