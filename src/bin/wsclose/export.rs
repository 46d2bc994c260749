//! `analyze --export-json FILE` (and `-jsonl`, `-markdown`, `-html`, `-csv`): the report of
//! the one analysis written in other formats to files, beside the format on standard
//! output, each as `--format` would write it alone.
//!
//! Each file is opened before the analysis (a target that cannot be written fails at
//! once) and written as `-w` and `--annotate` write theirs (`output`): to a temporary file
//! beside it, 0666 less the umask (a report holds no secret), renamed into place once
//! complete. Refused before anything is read: standard output (where the report goes), a
//! file that is one of the inputs or key logs, and one file named twice.

use crate::cli::AnalyzeArgs;
use crate::output::{self, OutputFile};
use std::io::{self, Write};
use std::path::Path;
use wsclose::error::Error;
use wsclose::render::{Format, Options};
use wsclose::report::Report;
use wsclose::sanitize::terminal;

/// One export: its format, the file as named, and where it is written.
pub(crate) struct Export<'a> {
    pub(crate) format: Format,
    pub(crate) path: &'a Path,
    file: OutputFile,
}

/// The option that asks for `format`'s export, as typed.
pub(crate) fn flag(format: Format) -> &'static str {
    match format {
        Format::Json => "--export-json",
        Format::Jsonl => "--export-jsonl",
        Format::Ecs => "--export-ecs",
        Format::Markdown => "--export-markdown",
        Format::Html => "--export-html",
        Format::Csv => "--export-csv",
        Format::Table => "--format table",
    }
}

/// Checks every `--export-*` of `args` and opens its file, before the analysis.
pub(crate) fn open(args: &AnalyzeArgs) -> Result<Vec<Export<'_>>, Error> {
    let taken = args
        .annotate
        .as_deref()
        .map(|a| ("--annotate", a))
        .into_iter()
        .collect();
    open_exports(args.exports(), taken, &args.files, &args.keys)
}

/// Checks each export of `wanted` and opens its file: not standard output, not one of
/// `inputs` or the key logs of `keys`, not a file `taken` already (another option's
/// output, by its flag).
pub(crate) fn open_exports<'a>(
    wanted: Vec<(Format, &'a Path)>,
    mut taken: Vec<(&'static str, &'a Path)>,
    inputs: &[std::path::PathBuf],
    keys: &crate::cli::KeyArgs,
) -> Result<Vec<Export<'a>>, Error> {
    let usage = |m: String| Err(Error::Usage(m));
    let said = |p: &Path| terminal(&p.display().to_string()).into_owned();
    let mut exports = Vec::with_capacity(wanted.len());
    for (format, path) in wanted {
        let flag = flag(format);
        if output::is_stdout(path) {
            return usage(format!(
                "{flag} {} is standard output, where the report goes: write the export to a \
                 file, or the report itself with --format {}",
                said(path),
                format.name()
            ));
        }
        if let Some(input) = output::an_input(path, inputs, keys) {
            return usage(format!(
                "{flag} {} is an input ({}): write the export to another file",
                said(path),
                said(&input)
            ));
        }
        if let Some((other, _)) = taken.iter().find(|(_, p)| output::same_file(p, path)) {
            return usage(format!(
                "{flag} {} is the file {other} writes: give each its own file",
                said(path)
            ));
        }
        taken.push((flag, path));
        let file = OutputFile::open(path, false)?;
        exports.push(Export { format, path, file });
    }
    Ok(exports)
}

/// Writes every export of the report, each to its temporary file renamed into place, and
/// says where on standard error; returns the frames a timeline CSV could not list.
pub(crate) fn write(
    exports: Vec<Export<'_>>,
    report: &Report,
    how: &Options<'_>,
) -> Result<Vec<(u64, u64)>, Error> {
    let mut left_out = Vec::new();
    for Export { format, path, file } in exports {
        let fail = |e: io::Error| Error::Write {
            path: path.to_path_buf(),
            source: e,
        };
        let mut out = file.writer().map_err(fail)?;
        let left = format.write(report, &mut out, how).map_err(fail)?;
        if !left.is_empty() {
            left_out = left;
        }
        out.flush().map_err(fail)?;
        drop(out);
        file.finish(false).map_err(fail)?;
        note!(
            "wsclose: wrote the {} report to {}",
            format.title(),
            terminal(&path.display().to_string())
        );
    }
    Ok(left_out)
}
