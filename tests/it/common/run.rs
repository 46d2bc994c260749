//! Running the `wsclose` binary in a test: its standard output once it succeeded, its
//! standard error in the failure message otherwise.

/// The standard output of `out`, after asserting that the command succeeded (its standard
/// error said if not).
pub fn stdout_of(out: std::process::Output) -> Vec<u8> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs `wsclose ARGS` (without an inherited `SSLKEYLOGFILE`): its standard output, its
/// standard error as text, and its exit code.
#[allow(dead_code)]
pub fn wsclose(args: &[&str]) -> (Vec<u8>, String, Option<i32>) {
    let out = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .env_remove("SSLKEYLOGFILE")
        .args(args)
        .output()
        .unwrap();
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

/// The classic pcap at `path` without its record `drop` (1-based: a packet the capture
/// lost), written beside the test binaries' temporary files; its path. (A 24-byte file
/// header, then records of a 16-byte header and the bytes it counts.)
#[allow(dead_code)]
pub fn pcap_without(path: &str, drop: usize) -> String {
    let b = std::fs::read(path).unwrap();
    let (mut out, mut at, mut n) = (b[..24].to_vec(), 24, 0);
    while at + 16 <= b.len() {
        let len = u32::from_le_bytes(b[at + 8..at + 12].try_into().unwrap()) as usize;
        n += 1;
        if n != drop {
            out.extend(&b[at..at + 16 + len]);
        }
        at += 16 + len;
    }
    let name = std::path::Path::new(path)
        .file_name()
        .unwrap()
        .to_string_lossy();
    let out_path = format!("{}/{name}-without-{drop}", env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(&out_path, out).unwrap();
    out_path
}

/// The capture at `path` with each `(old, new)` swapped in place, `new` padded with dots to
/// `old`'s length so that frames and segments keep their lengths (checksums are not read),
/// written as `name` beside the test binaries' temporary files; its path.
#[allow(dead_code)]
pub fn pcap_swapped(path: &str, swaps: &[(&[u8], &[u8])], name: &str) -> String {
    let mut b = std::fs::read(path).unwrap();
    for (old, new) in swaps {
        assert!(new.len() <= old.len(), "{new:?} is longer than {old:?}");
        let mut new = new.to_vec();
        new.resize(old.len(), b'.');
        let at = b.windows(old.len()).position(|w| w == *old).unwrap();
        b[at..at + old.len()].copy_from_slice(&new);
    }
    let out_path = format!("{}/{name}", env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(&out_path, b).unwrap();
    out_path
}
