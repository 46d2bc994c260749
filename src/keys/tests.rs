use super::*;
use crate::memory::{key_log_whole, DEFAULT_MAX_MEMORY, MIN_MAX_MEMORY};
use std::io::Write;

fn line(random: u8, secret: u8) -> String {
    format!(
        "CLIENT_RANDOM {} {}\n",
        format!("{random:02x}").repeat(32),
        format!("{secret:02x}").repeat(48)
    )
}

fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .expect("opened");
    file.write_all(text.as_bytes()).expect("appended");
}

#[test]
fn a_follower_reads_what_was_appended_and_starts_over_on_a_new_file() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("keys.log");
    let mut f = Follower::all(&KeySources {
        files: vec![path.clone()],
        env: None,
    });
    let f = &mut f[0];
    let mut keys = KeyLog::new();
    assert!(f.poll(&mut keys).is_empty(), "no file yet");
    std::fs::write(&path, b"# first\n").expect("written");
    assert!(f.poll(&mut keys).is_empty());
    let l = line(1, 2);
    let (head, tail) = l.split_at(30);
    append(&path, head);
    assert!(f.poll(&mut keys).is_empty());
    assert!(keys.is_empty(), "half a line waits for its end");
    append(&path, tail);
    assert!(f.poll(&mut keys).is_empty());
    assert!(keys.get(&[1; 32]).is_some());
    assert_eq!(f.connections(), 1);
    std::fs::write(&path, b"new\n").expect("replaced");
    assert_eq!(f.poll(&mut keys).len(), 1, "the new file's line is read");
}

/// What a key log held when a live capture began is read up to the backlog's size; a
/// longer one is passed over (its lines counted) and only what is appended is read.
#[test]
fn a_follower_passes_over_a_long_backlog() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("keys.log");
    let before = format!("{}{}", line(1, 1), line(2, 2));
    std::fs::write(&path, &before).expect("written");
    let follower = |backlog| Follower {
        path: path.clone(),
        name: KeyLogName::File("keys.log".into()),
        read: 0,
        started: false,
        backlog,
        connections: 0,
    };
    // Short enough: read.
    let mut keys = KeyLog::new();
    assert!(follower(before.len() as u64).poll(&mut keys).is_empty());
    assert_eq!(keys.len(), 2);
    // Too long: passed over, up to its last complete line.
    let partial = &line(3, 3)[..20];
    append(&path, partial);
    let mut keys = KeyLog::new();
    let mut f = follower(100);
    let said = f.poll(&mut keys);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("were not read"), "{}", said[0]);
    assert!(keys.is_empty());
    append(&path, &format!("{}bad\n", &line(3, 3)[20..]));
    let said = f.poll(&mut keys);
    assert_eq!(
        keys.len(),
        1,
        "the line begun before and ended after is read"
    );
    assert!(keys.get(&[3; 32]).is_some());
    assert_eq!(
        said,
        vec!["key log keys.log line 4: not a key-log line (expected LABEL CLIENT_RANDOM SECRET)"]
    );
}

#[test]
fn loading_counts_connections_and_names_bad_lines_without_their_bytes() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("keys.log");
    let random = "11".repeat(32);
    let secret = "ab".repeat(48);
    std::fs::write(
        &path,
        format!("# comment\r\n\nCLIENT_RANDOM {random} {secret}\r\nCLIENT_RANDOM zz {secret}\n"),
    )
    .expect("written");
    let missing = dir.path().join("missing.log");
    let loaded = load(
        &KeySources {
            files: vec![path.clone(), missing],
            env: None,
        },
        &[],
        1,
        DEFAULT_MAX_MEMORY,
    );
    assert_eq!(loaded.keys.len(), 1);
    assert_eq!(loaded.sources[0].connections, 1);
    assert!(loaded.sources[1].error.is_some());
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    assert!(
        loaded.warnings[0].contains("line 4"),
        "{}",
        loaded.warnings[0]
    );
    assert!(!loaded.warnings[0].contains(&secret));
}

/// A file longer than one read: lines cut by the chunk boundaries are read whole, line
/// numbers run on across chunks, and an unterminated last line is read too.
#[test]
fn a_key_log_longer_than_one_read_is_read_line_by_line_across_reads() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("keys.log");
    let secret = "cd".repeat(48);
    let mut text = String::new();
    let mut n = 0u32;
    while text.len() < 3 * READ_CHUNK {
        text.push_str(&format!("CLIENT_RANDOM {:064x} {secret}\n", n));
        n += 1;
    }
    text.push_str("CLIENT_RANDOM 12 34\n"); // line n + 1: a bad random
    text.push_str(&format!("CLIENT_RANDOM {:064x} {secret}", n)); // no newline
    std::fs::write(&path, &text).expect("written");
    let loaded = load(
        &KeySources {
            files: vec![path],
            env: None,
        },
        &[],
        1,
        DEFAULT_MAX_MEMORY,
    );
    assert_eq!(loaded.keys.len(), usize::try_from(n).expect("small") + 1);
    assert_eq!(loaded.sources[0].connections, loaded.keys.len());
    assert!(loaded.sources[0].error.is_none());
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    assert!(
        loaded.warnings[0].contains(&format!("line {}", n + 1)),
        "{}",
        loaded.warnings[0]
    );
    for i in [0, n / 2, n] {
        let mut random = [0u8; 32];
        random[28..].copy_from_slice(&i.to_be_bytes());
        let got = loaded.keys.get(&random).and_then(|s| s.master_secret());
        assert_eq!(got, Some(&[0xcd; 48][..]), "connection {i}");
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A key log of 100 000 connections not in the capture (and, on the TLS capture, the
/// capture's own lines among them): only the capture's connections are kept, the other
/// lines counted.
#[test]
fn only_the_secrets_of_the_captures_connections_are_kept() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("big.keylog");
    let real = std::fs::read_to_string(fixture("tls/python-tls13-aes128gcm-close-1000.keylog"))
        .expect("the fixture's key log");
    let mut text = String::with_capacity(100_000 * 176 + real.len());
    for i in 0..100_000u32 {
        text.push_str(&format!("CLIENT_RANDOM {:064x} {}\n", i, "ab".repeat(48)));
        if i == 50_000 {
            text.push_str(&real);
        }
    }
    std::fs::write(&path, &text).expect("written");
    // Too large to keep whole under the least budget (not under the default).
    let budget = MIN_MAX_MEMORY;
    assert!(text.len() as u64 > key_log_whole(budget));
    assert!((text.len() as u64) < key_log_whole(DEFAULT_MAX_MEMORY));
    let sources = KeySources {
        files: vec![path],
        env: None,
    };
    let real_lines = real
        .lines()
        .filter(|l| l.starts_with(char::is_alphabetic))
        .count() as u64;
    for (capture, kept, unmatched) in [
        ("python-close-1000-client.pcap", 0, 100_000 + real_lines),
        ("tls/python-tls13-aes128gcm-close-1000.pcap", 1, 100_000),
    ] {
        // Read by one thread, and shared by two.
        for threads in [1, 2] {
            let loaded = load(&sources, &[fixture(capture)], threads, budget);
            assert_eq!(loaded.keys.len(), kept, "{capture}");
            assert_eq!(loaded.keys.skipped_lines(), unmatched, "{capture}");
            assert_eq!(loaded.sources[0].connections, kept, "{capture}");
            assert_eq!(loaded.sources[0].unmatched_lines, unmatched, "{capture}");
            assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        }
    }
    // A capture that cannot be read twice: every connection is kept.
    let loaded = load(&sources, &[PathBuf::from("-")], 2, budget);
    assert_eq!(loaded.keys.len(), 100_001);
    // Under the default budget the same key log is kept whole, its captures not read.
    let loaded = load(
        &sources,
        &[fixture("python-close-1000-client.pcap")],
        1,
        DEFAULT_MAX_MEMORY,
    );
    assert_eq!(
        (loaded.keys.len(), loaded.sources[0].unmatched_lines),
        (100_001, 0)
    );
    // A small key log is kept whole.
    let small = dir.path().join("small.keylog");
    std::fs::write(&small, text.get(..176 * 10).expect("ten lines")).expect("written");
    let loaded = load(
        &KeySources {
            files: vec![small],
            env: None,
        },
        &[fixture("python-close-1000-client.pcap")],
        1,
        budget,
    );
    assert_eq!(
        (loaded.keys.len(), loaded.sources[0].unmatched_lines),
        (10, 0)
    );
    // One connection's: that one only.
    let loaded = load_for(&sources, &[], &[[0; 32]]);
    assert_eq!(loaded.keys.len(), 1);
    assert_eq!(loaded.sources[0].unmatched_lines, 99_999 + real_lines);
}

/// 100 000 bad lines: the first five are listed with their line numbers, one warning
/// counts the rest.
#[test]
fn bad_lines_beyond_the_first_five_are_counted_in_one_warning() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("bad.keylog");
    let secret = "cd".repeat(48);
    let bad = format!("CLIENT_RANDOM 1234 {secret}\n");
    std::fs::write(&path, bad.repeat(100_000)).expect("written");
    let loaded = load(
        &KeySources {
            files: vec![path.clone()],
            env: None,
        },
        &[],
        1,
        DEFAULT_MAX_MEMORY,
    );
    let name = path.display().to_string();
    let mut want: Vec<String> = (1..=5)
        .map(|n| format!("key log {name} line {n}: client random is not 64 hex digits"))
        .collect();
    want.push(format!(
        "key log {name}: … and 99995 more lines that could not be used (the last: line 100000)"
    ));
    assert_eq!(loaded.warnings, want);
    assert!(loaded.warnings.iter().all(|w| !w.contains(&secret)));
}

/// A key log that does not end is read up to the limit, with a warning.
#[test]
fn an_endless_key_log_is_read_up_to_the_limit() {
    let mut loaded = Loaded::default();
    let started = std::time::Instant::now();
    loaded.read_file(
        Path::new("/dev/zero"),
        KeyLogName::File("zero".into()),
        true,
        (1 << 20, STREAM_QUIET),
        2,
    );
    assert!(started.elapsed() < STREAM_QUIET, "{:?}", started.elapsed());
    assert_eq!(
        loaded.warnings,
        vec![
            "key log zero line 1: line too long, skipped",
            "key log zero: not a regular file, and still going after 1 MiB: read no further",
        ]
    );
    assert!(loaded.sources[0].error.is_none());
}

/// A FIFO: with no writer, read as empty at once; with a writer that stays silent, read
/// until it has been silent for the quiet time.
#[test]
fn a_fifo_is_read_without_waiting_for_a_writer() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("keys.fifo");
    let made = std::process::Command::new("mkfifo").arg(&path).status();
    if !made.is_ok_and(|s| s.success()) {
        // Straight to stderr: libtest keeps a passing test's `eprintln!` to itself.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped in keys::tests: mkfifo did not make a FIFO here"
        );
        return;
    }
    let quiet = Duration::from_millis(200);
    let mut loaded = Loaded::default();
    let started = std::time::Instant::now();
    loaded.read_file(
        &path,
        KeyLogName::File("fifo".into()),
        true,
        (STREAM_LIMIT, quiet),
        2,
    );
    assert!(started.elapsed() < quiet, "{:?}", started.elapsed());
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert!(loaded.sources[0].error.is_none());
    // Opened for reading and writing: a writer (Linux opens a FIFO so without waiting).
    let mut writer = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .expect("the FIFO opened");
    writer.write_all(line(7, 7).as_bytes()).expect("written");
    let mut loaded = Loaded::default();
    let started = std::time::Instant::now();
    loaded.read_file(
        &path,
        KeyLogName::File("fifo".into()),
        true,
        (STREAM_LIMIT, quiet),
        2,
    );
    assert!(started.elapsed() >= quiet, "{:?}", started.elapsed());
    assert!(loaded.keys.get(&[7; 32]).is_some(), "what came was read");
    assert_eq!(
        loaded.warnings,
        vec!["key log fifo: not a regular file, and nothing came for 0.2 s: read no further"]
    );
}
