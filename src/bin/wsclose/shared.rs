//! What the commands share: a count in words, the command line as typed (for a report's
//! header), and how a report is written at this terminal (its width, its colours as
//! `--color` and the usual variables decide).

use crate::cli::ColorChoice;
use crate::width;
use std::io::IsTerminal;

/// "1 packet", "2 packets".
pub(crate) fn plural(n: u64, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The command line as typed, for the report header (arguments with spaces quoted).
pub(crate) fn command_line() -> String {
    command_line_less(&[])
}

/// The command line less the options `skip` names (each with its value: `--opt VALUE` or
/// `--opt=VALUE`; none after `--`).
pub(crate) fn command_line_less(skip: &[&str]) -> String {
    let mut args = Vec::new();
    let (mut options, mut value_next) = (true, false);
    for a in std::env::args().skip(1) {
        if value_next {
            value_next = false;
            continue;
        }
        if options && a == "--" {
            options = false;
        } else if options && skip.contains(&a.split('=').next().unwrap_or_default()) {
            value_next = !a.contains('=');
            continue;
        }
        args.push(a);
    }
    // "wsclose" rather than the binary's path, which says nothing to the ticket's reader.
    std::iter::once("wsclose".to_string())
        .chain(args)
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

/// How the report is written, as `analyze` and `live` both say it: `hashes` of the inputs,
/// the CSV's `timeline`, Markdown's and HTML's `full`, the table at the terminal's width,
/// coloured as `color` chooses, each status said whole when `verbose`.
pub(crate) fn render_options(
    hashes: &[Option<String>],
    timeline: bool,
    full: bool,
    color_choice: ColorChoice,
    verbose: bool,
) -> wsclose::render::Options<'_> {
    wsclose::render::Options {
        hashes,
        timeline,
        full,
        width: width(),
        color: color(color_choice),
        detail: if verbose {
            wsclose::render::table::Detail::Full
        } else {
            wsclose::render::table::Detail::Brief
        },
    }
}

pub(crate) fn color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => auto_color(std::io::stdout().is_terminal(), |name| {
            std::env::var_os(name).filter(|v| !v.is_empty())
        }),
    }
}

/// `--color auto` as the conventions other tools follow decide it, in this order: NO_COLOR
/// set: never (no-color.org); CLICOLOR_FORCE set and not `0`: always, piped too; CLICOLOR
/// `0` or TERM `dumb`: never; else on a terminal. `var` gives a set, non-empty variable.
fn auto_color(terminal: bool, var: impl Fn(&str) -> Option<std::ffi::OsString>) -> bool {
    if var("NO_COLOR").is_some() {
        return false;
    }
    if var("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
        return true;
    }
    if var("CLICOLOR").is_some_and(|v| v == "0") || var("TERM").is_some_and(|v| v == "dumb") {
        return false;
    }
    terminal
}

#[cfg(test)]
mod tests {
    use super::auto_color;
    use std::ffi::OsString;

    fn with<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, v)| *n == name && !v.is_empty())
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn auto_color_follows_no_color_clicolor_and_term() {
        assert!(auto_color(true, with(&[])));
        assert!(!auto_color(false, with(&[])));
        assert!(!auto_color(true, with(&[("NO_COLOR", "1")])));
        assert!(auto_color(true, with(&[("NO_COLOR", "")])));
        assert!(auto_color(false, with(&[("CLICOLOR_FORCE", "1")])));
        assert!(!auto_color(false, with(&[("CLICOLOR_FORCE", "0")])));
        assert!(!auto_color(
            false,
            with(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")])
        ));
        assert!(!auto_color(true, with(&[("TERM", "dumb")])));
        assert!(auto_color(
            false,
            with(&[("TERM", "dumb"), ("CLICOLOR_FORCE", "1")])
        ));
        assert!(!auto_color(true, with(&[("CLICOLOR", "0")])));
        assert!(auto_color(
            true,
            with(&[("CLICOLOR", "1"), ("TERM", "xterm")])
        ));
    }
}
