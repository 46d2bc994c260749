//! The CSV report opened by a real spreadsheet: a capture built in code whose close
//! reasons, request path and Host start with what a spreadsheet runs as a formula (`=`,
//! `+`, `-`, `@`, tab, CR: OWASP's "CSV injection" list), reported as CSV by the
//! `wsclose` binary and converted by LibreOffice (`soffice --headless --convert-to fods`,
//! formulas evaluated on import) into a flat OpenDocument spreadsheet: no cell holds a
//! formula and every hostile text is there as text. A CSV with a real formula, converted
//! the same way, shows one (so the check can fail). LibreOffice (`soffice`; Debian:
//! `libreoffice-calc-nogui`, about 200 MB) is not installed by `.ci/run`, so that test is
//! ignored in a plain `cargo test` (counted as ignored, not passed) and run by `.ci/run`
//! where `soffice` is; asked for without it, it fails saying so.

use crate::common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use wsclose::__internals::capture::write::PcapWriter;
use wsclose::vocab::{
    Role::{Client, Server},
    Timestamp,
};

/// Close reasons a spreadsheet would run; each is a server's close of its own connection.
const REASONS: [&str; 7] = [
    "=HYPERLINK(\"http://evil.example/\",\"click\")",
    "+1+1",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
];
const PATH: &str = "=HYPERLINK(\"http://evil.example/p\",\"path\")";
const HOST: &str = "@SUM(4,5)";

/// The hostile capture, written into `dir`.
fn hostile_capture(dir: &Path) -> PathBuf {
    let mut pkts = Vec::new();
    for (i, reason) in REASONS.iter().enumerate() {
        let mut s = Session::new(40_000 + i as u16, 8080);
        s.handshake();
        let mut request = String::from_utf8(request()).unwrap();
        if i == 0 {
            request = request
                .replacen("GET /chat ", &format!("GET {PATH} "), 1)
                .replacen("Host: example.test", &format!("Host: {HOST}"), 1);
        }
        s.send(Client, request.as_bytes());
        s.send(Server, &response(false));
        s.send(Client, &text(Client, "hello"));
        s.send(Server, &close(Server, 4000 + i as u16, reason));
        s.send(Client, &close(Client, 4000 + i as u16, reason));
        s.fins(Server);
        pkts.extend(s.pkts);
    }
    let mut w = PcapWriter::new(Vec::new(), wsclose::vocab::LinkType::RAW, 262_144).unwrap();
    for (i, p) in pkts.iter().enumerate() {
        w.packet(Timestamp(T0.0 + i as i64 * 1_000_000), &p.data, p.orig_len)
            .unwrap();
    }
    let path = dir.join("hostile-formulas.pcap");
    std::fs::write(&path, w.into_inner()).unwrap();
    path
}

/// The CSV report of `capture`.
fn csv_report(capture: &Path) -> String {
    let out = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .args(["analyze", "--format", "csv"])
        .arg(capture)
        .output()
        .unwrap();
    assert!(out.status.code().is_some_and(|c| c <= 2));
    String::from_utf8(out.stdout).unwrap()
}

/// Every connection came through, with its reason neutralized in the CSV itself.
#[test]
fn the_hostile_capture_reports_each_reason_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let csv = csv_report(&hostile_capture(dir.path()));
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let headers = r.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), REASONS.len());
    for (row, reason) in rows.iter().zip(REASONS) {
        let cell = &row[col("server_close_reason")];
        let shown = wsclose::sanitize::spreadsheet(reason.to_string());
        assert!(cell.starts_with('\''), "{cell:?}");
        // Tab and CR are shown escaped (`\t`, `\r`) after the quote.
        assert!(
            cell == shown || cell.starts_with("'\\"),
            "{cell:?} for {reason:?}"
        );
    }
    assert_eq!(&rows[0][col("path")], format!("'{PATH}"));
    assert_eq!(&rows[0][col("host")], format!("'{HOST}"));
}

/// Asserts that LibreOffice runs (`soffice --version`).
fn soffice() {
    let ok = Command::new("soffice")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "soffice is not installed (Debian: libreoffice-calc-nogui): this test needs it"
    );
}

/// `csv` converted by LibreOffice to a flat ODS, its formulas evaluated on import: the
/// document's XML.
fn libreoffice(dir: &Path, name: &str, csv: &str) -> String {
    let input = dir.join(format!("{name}.csv"));
    std::fs::write(&input, csv).unwrap();
    let profile = dir.join("profile");
    let out = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--headless", "--norestore"])
        // Comma-separated, quoted by ", UTF-8, from line 1, standard cells, English,
        // quoted fields not forced to text, special numbers detected, ..., and token 13
        // "evaluate formulas" on: the import most willing to run a formula.
        .args([
            "--infilter=CSV:44,34,76,1,,1033,false,true,false,false,false,-1,true",
            "--convert-to",
            "fods",
            "--outdir",
        ])
        .arg(dir)
        .arg(&input)
        .output()
        .unwrap();
    let fods = dir.join(format!("{name}.fods"));
    assert!(
        fods.exists(),
        "soffice made no {}: {}{}",
        fods.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(fods).unwrap()
}

/// The texts of the document's cells (`<text:p>` elements), XML entities decoded.
fn cell_texts(xml: &str) -> Vec<String> {
    xml.split("<text:p>")
        .skip(1)
        .filter_map(|s| s.split("</text:p>").next())
        .map(|s| {
            s.replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
        })
        .collect()
}

#[test]
#[ignore = "needs LibreOffice (soffice), which .ci/run does not install"]
fn libreoffice_runs_no_formula_of_the_hostile_csv() {
    soffice();
    let dir = tempfile::tempdir().unwrap();
    // The check can see a formula: a cell `=1+1` of a plain CSV is one, shown as 2.
    let control = libreoffice(dir.path(), "control", "a,b\n=1+1,x\n");
    assert!(control.contains("table:formula="), "{control}");

    let xml = libreoffice(
        dir.path(),
        "report",
        &csv_report(&hostile_capture(dir.path())),
    );
    assert!(
        !xml.contains("table:formula="),
        "LibreOffice took a cell as a formula"
    );
    let texts = cell_texts(&xml);
    for want in REASONS
        .iter()
        .filter(|r| !r.starts_with(['\t', '\r']))
        .chain([&PATH, &HOST])
    {
        assert!(
            // LibreOffice 7.4 shows the `'` (a spreadsheet that hides it would show `want`).
            texts.iter().any(|t| *t == format!("'{want}") || t == want),
            "{want:?} is not a cell's text: {texts:?}"
        );
    }
}
