//! The `keylog` target: arbitrary bytes as an NSS key log, read whole
//! ([`KeyLog::add_text`]) and as a growing file read in two pieces ([`KeyLog::append`] at
//! an arbitrary point, then [`KeyLog::finish`]).
//!
//! Input: bytes 0-1 the split point (big-endian, modulo the text's length + 1), then the
//! text. Inputs of at most 256 bytes are also appended one byte at a time.
//!
//! Checked: no panic; the pieces give exactly the warnings (kind and line) and the secrets
//! of the whole read, for every client random the text names; no warning (`Display` or
//! `Debug`), nor the `Debug` of the key log or of a connection's secrets, contains any run
//! of 16 or more hex digits of the input (a secret, or part of one: warnings may name a
//! client random only by its first 4 bytes); the lines [`KeyLog::nss_lines`] writes read
//! back without a warning to the same lines; and memory stays within
//! [`BYTES_PER_INPUT_BYTE`] × the input + 64 KiB (the warnings and secrets a text holds
//! grow with it; nothing else may).

use crate::mem;
use wsclose::__internals::stack::tls::keylog::{ClientRandom, KeyLog, KeyLogWarning};

const SOURCE: &str = "fuzz";

/// The most memory per input byte the reads may take (two key logs and their warnings: a
/// 2-byte line such as `x\n` makes one warning of about 70 bytes in each, in a `Vec` that
/// may have doubled).
pub const BYTES_PER_INPUT_BYTE: usize = 160;

/// The input's runs of 16 or more hex digits, lower-cased.
fn hex_runs(text: &[u8]) -> Vec<String> {
    text.split(|b| !b.is_ascii_hexdigit())
        .filter(|r| r.len() >= 16)
        .map(|r| String::from_utf8_lossy(r).to_ascii_lowercase())
        .collect()
}

/// The client randoms the text names (second fields of 64 hex digits).
fn client_randoms(text: &[u8]) -> Vec<ClientRandom> {
    let mut out = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        let Ok(line) = std::str::from_utf8(line) else {
            continue;
        };
        let Some(field) = line.split_ascii_whitespace().nth(1) else {
            continue;
        };
        if field.len() != 64 {
            continue;
        }
        let bytes: Option<Vec<u8>> = (0..32)
            .map(|i| u8::from_str_radix(field.get(2 * i..2 * i + 2)?, 16).ok())
            .collect();
        if let Some(cr) = bytes.and_then(|b| ClientRandom::try_from(b.as_slice()).ok()) {
            if !out.contains(&cr) {
                out.push(cr);
            }
        }
    }
    out
}

fn pieces(text: &[u8], cuts: &[usize]) -> (KeyLog, Vec<KeyLogWarning>) {
    let mut log = KeyLog::new();
    let mut warnings = Vec::new();
    let mut at = 0;
    for &c in cuts.iter().chain(std::iter::once(&text.len())) {
        warnings.extend(log.append(SOURCE, &text[at..c]));
        at = c;
    }
    warnings.extend(log.finish(SOURCE));
    (log, warnings)
}

/// Runs one input (see the module header for what it means and what is checked).
pub fn keylog(data: &[u8]) {
    let (split, text) = match data {
        [a, b, rest @ ..] => (
            usize::from(u16::from_be_bytes([*a, *b])) % (rest.len() + 1),
            rest,
        ),
        _ => return,
    };
    let ((whole, w_whole, two, w_two), peak) = mem::peak_during(|| {
        let mut whole = KeyLog::new();
        let w_whole = whole.add_text(SOURCE, text);
        let (two, w_two) = pieces(text, &[split]);
        (whole, w_whole, two, w_two)
    });
    let bound = BYTES_PER_INPUT_BYTE * text.len() + (64 << 10);
    assert!(
        peak <= bound,
        "reading {} bytes of key log took {peak} bytes of memory",
        text.len()
    );
    assert_eq!(
        w_whole, w_two,
        "the warnings depend on where the text was cut ({split})"
    );
    assert_eq!(whole.len(), two.len(), "the connections depend on the cut");
    let mut logs = vec![whole, two];
    if text.len() <= 256 {
        let cuts: Vec<usize> = (1..text.len()).collect();
        let (bytewise, w_bytewise) = pieces(text, &cuts);
        assert_eq!(
            w_whole, w_bytewise,
            "the warnings differ when read byte by byte"
        );
        logs.push(bytewise);
    }
    // No secret in what may be printed.
    let runs = hex_runs(text);
    let shown: Vec<String> = w_whole
        .iter()
        .flat_map(|w| [w.to_string(), format!("{w:?}")])
        .chain(logs.iter().map(|l| format!("{l:?}")))
        .chain(
            client_randoms(text)
                .iter()
                .map(|cr| format!("{:?}", logs[0].get(cr))),
        )
        .map(|s| s.to_ascii_lowercase())
        .collect();
    for s in &shown {
        for r in &runs {
            assert!(
                !s.contains(r.as_str()),
                "printable output shows a hex run of the input: {s}"
            );
        }
    }
    // The same secrets, whatever the reading; and their lines read back as themselves.
    for cr in client_randoms(text) {
        let lines = logs[0].nss_lines(&cr);
        for l in &logs[1..] {
            assert_eq!(l.nss_lines(&cr), lines, "the secrets depend on the cut");
        }
        if let Some(lines) = lines {
            let mut back = KeyLog::new();
            let w = back.add_text("again", lines.as_bytes());
            assert!(w.is_empty(), "nss_lines does not read back: {w:?}");
            assert_eq!(back.nss_lines(&cr).as_deref(), Some(lines.as_str()));
            assert_eq!(back.len(), 1);
        }
    }
}
