//! The JSON Schemas `wsclose schema` prints, for the binary to embed small.
//!
//! In: schema/report.schema.json and schema/records.schema.json, the committed files that
//! tests/it/report/schema.rs keeps equal to what the report model generates. Out, with the
//! feature `cli` (the binary) only: `$OUT_DIR/schemas.deflate`, the two texts one after the
//! other, deflated (miniz_oxide, level 9; the binary inflates them with flate2, as it reads
//! gzip captures), and `WSCLOSE_REPORT_SCHEMA_LEN`, where the first ends. 558 KiB of text
//! embed as 87 KiB; the binary links no schema
//! generator either (`src/bin/wsclose/main.rs`, `schema_text`).
//!
//! Also, for the binary of a release build on x86_64 Linux with rustc's own linker (rust-lld,
//! rustc's default there since 1.90) and no linker or link flags of the user's: identical
//! code folding (`--icf=all`), which keeps one copy of functions whose machine code is the
//! same (the copies of a generic or an inline function that each codegen unit made). It
//! folds code only, never data; Rust promises no function a unique address. The same
//! instructions run, from fewer places.

use std::path::PathBuf;

const FILES: [&str; 2] = ["schema/report.schema.json", "schema/records.schema.json"];

fn main() {
    for f in FILES {
        println!("cargo::rerun-if-changed={f}");
    }
    if std::env::var_os("CARGO_FEATURE_CLI").is_none() {
        return;
    }
    if folds_code() {
        println!("cargo::rustc-link-arg-bins=-Wl,--icf=all");
    }
    let dir = |var: &str| PathBuf::from(std::env::var_os(var).unwrap_or_default());
    let (root, out) = (dir("CARGO_MANIFEST_DIR"), dir("OUT_DIR"));
    let mut texts = Vec::new();
    let mut report_len = 0;
    for (i, f) in FILES.iter().enumerate() {
        let text = std::fs::read(root.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        if i == 0 {
            report_len = text.len();
        }
        texts.extend_from_slice(&text);
    }
    let packed = miniz_oxide::deflate::compress_to_vec(&texts, 9);
    std::fs::write(out.join("schemas.deflate"), packed).unwrap_or_else(|e| panic!("OUT_DIR: {e}"));
    println!("cargo::rustc-env=WSCLOSE_REPORT_SCHEMA_LEN={report_len}");
}

/// Whether the binary is linked by rust-lld with nothing of the user's that could change
/// the linker: a release build for x86_64-unknown-linux-gnu by rustc 1.90 or later, no
/// linker configured (`RUSTC_LINKER`) and no flag naming one.
fn folds_code() -> bool {
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let rustc = std::process::Command::new(std::env::var_os("RUSTC").unwrap_or("rustc".into()))
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    // "rustc 1.95.0 (...)": the minor version.
    let minor = rustc
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.split('.').nth(1))
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0);
    var("PROFILE") == "release"
        && var("TARGET") == "x86_64-unknown-linux-gnu"
        && minor >= 90
        && std::env::var_os("RUSTC_LINKER").is_none()
        && !var("CARGO_ENCODED_RUSTFLAGS").contains("link")
}
