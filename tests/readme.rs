//! README.md's sample output is what the binary prints: trycmd runs each `console` block
//! of README.md (a `$ wsclose …` line, then the output) with the built `wsclose`, from the
//! repository root, at 100 columns and without colour, and compares. Blocks of other
//! languages (`sh`, `text`, …) are not run. After a deliberate change to the output,
//! `TRYCMD=overwrite cargo test --test readme` rewrites the block in README.md.

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
