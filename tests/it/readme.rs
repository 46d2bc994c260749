//! README.md's sample output is what the binary prints: trycmd runs each `console` block
//! of README.md (a `$ wsclose …` line, then the output) with the built `wsclose`, from the
//! repository root, at 100 columns and without colour, and compares. Blocks of other
//! languages (`sh`, `text`, …) are not run. After a deliberate change to the output,
//! `TRYCMD=overwrite cargo test --test it readme::` rewrites the block in README.md.

#[test]
fn the_readme_sample_is_what_wsclose_prints() {
    // trycmd passes a file with no block to run: the sample must be there to be checked.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(
        readme.contains("```console\n$ wsclose "),
        "README.md has no sample: a ```console block whose first line is `$ wsclose …`"
    );
    trycmd::TestCases::new()
        .register_bin(
            "wsclose",
            std::path::PathBuf::from(env!("CARGO_BIN_EXE_wsclose")),
        )
        .env("COLUMNS", "100")
        .env("NO_COLOR", "1")
        .case(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
}

/// README's install lines that write into the home directory (completions, man page,
/// Wireshark plugin), run by bash as written on a fresh, empty `$HOME` with the built
/// `wsclose` on the PATH: each succeeds and leaves its file (each folder is made first).
#[test]
fn the_readme_install_lines_work_on_a_fresh_home() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let lines: Vec<&str> = readme
        .lines()
        .filter(|l| {
            l.contains("~/")
                && (l.starts_with("mkdir -p ")
                    || l.starts_with("wsclose completions ")
                    || l.starts_with("wsclose man ")
                    || l.starts_with("wsclose wireshark-plugin "))
        })
        .collect();
    assert!(lines.len() >= 4, "{lines:?}");
    let home = tempfile::tempdir().unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_wsclose"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = format!("set -e\n{}\n", lines.join("\n"));
    let out = std::process::Command::new("bash")
        .args(["-c", &script])
        .env("HOME", home.path())
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in [
        ".local/share/bash-completion/completions/wsclose",
        ".local/share/man/man1/wsclose.1",
        ".local/lib/wireshark/plugins/wsclose.lua",
    ] {
        let len = std::fs::metadata(home.path().join(file)).map_or(0, |m| m.len());
        assert!(len > 100, "{file}: {len} bytes");
    }
}

/// README.md is the front page: at most 150 lines (issue 105, item 7), the build-time tables
/// and figures in CONTRIBUTING.md ("Build times", where README links), where a contributor
/// looks; README keeps the fresh clone's two commands and the sample.
#[test]
fn the_readme_is_at_most_150_lines_and_the_build_times_are_in_contributing() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(lines <= 150, "README.md has {lines} lines");
    for kept in [
        "cargo run --release -- analyze fixtures/node-many.pcap.gz",
        "\ncargo test ",
        "```console\n$ wsclose analyze fixtures/node-many.pcap.gz",
        "CONTRIBUTING.md#build-times",
    ] {
        assert!(readme.contains(kept), "README.md lacks {kept:?}");
    }
    let contributing = std::fs::read_to_string(format!("{root}/CONTRIBUTING.md")).unwrap();
    for moved in [
        "### Build times",
        "/usr/bin/time -f \"%U user %S system %e wall\" cargo build --release",
        "| `cargo test --no-run` after a one-line change",
        "--features live",
    ] {
        assert!(
            contributing.contains(moved),
            "CONTRIBUTING.md lacks {moved:?}"
        );
    }
}
