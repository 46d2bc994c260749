//! The run: mutants analyzed on worker threads under a time limit, their reports checked
//! (no panic, no hang, the same report sharded and frozen, no invented close code, TLS
//! closes only as the unmutated capture reports them), failures saved; and the tests that
//! run them.

use super::mutations::{mutate, Keys, Mutant, Sources};
use super::oracle::{code_possible, endpoint, seq_bytes, SeqBytes};
use super::*;

#[derive(Debug)]
struct Failure {
    case: u64,
    what: String,
    problem: String,
    file: PathBuf,
    bytes: Vec<u8>,
}

/// What the cases amounted to: inputs rejected as not a capture, reports made, WebSocket
/// connections in them, close codes checked against the bytes; WebSocket connections over
/// TLS, how many of them were decrypted, and close codes checked against the fixtures'.
#[derive(Default)]
struct Tally {
    rejected: AtomicU64,
    reports: AtomicU64,
    connections: AtomicU64,
    codes: AtomicU64,
    tls_connections: AtomicU64,
    tls_decrypted: AtomicU64,
    tls_codes: AtomicU64,
}

/// The key sources of a mutant.
fn key_sources(keys: &Keys) -> KeySources {
    match keys {
        Keys::None => KeySources::default(),
        Keys::Right(p) | Keys::Wrong(p) => KeySources {
            files: vec![p.clone()],
            env: None,
        },
    }
}

/// Analyzes `path` with `keys` under `catch_unwind`: the report and its JSON, or the panic
/// message.
fn analyze(path: &Path, opts: Options, keys: &Keys) -> Result<Option<(Report, String)>, String> {
    let sources = key_sources(keys);
    panic::catch_unwind(AssertUnwindSafe(|| {
        wsclose::analyze_files_with_progress(&[path.to_path_buf()], opts, &sources, None)
            .ok()
            .and_then(|mut r| {
                r.load().ok()?;
                let json = wsclose::render::json::render(&r);
                Some((r, json))
            })
    }))
    .map_err(|e| {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("panic: {msg} [{}]", last_panic_location())
    })
}

/// Whether each mutant is also analyzed with its flows sharded over two threads, which must
/// give the same report as one thread. On by default (the bug
/// `sharded_report_equals_one_thread_after_idle_gap` reproduced is fixed);
/// `WSCLOSE_MUTATION_SHARDED=0` turns it off.
fn sharded_check() -> bool {
    std::env::var_os("WSCLOSE_MUTATION_SHARDED").is_none_or(|v| v != "0")
}

/// The same analysis with the flows sharded over two threads (`Options::threads`) and every
/// connection frozen out of memory after each of its packets and thawed for the next
/// (`Freeze::EveryPacket`), which must give the same report as one thread that freezes
/// only quiet connections.
pub(crate) fn sharded() -> Options {
    Options {
        threads: 2,
        shard_min_bytes: 0,
        freeze: wsclose::__internals::analyzer::Freeze::EveryPacket,
        ..Options::default()
    }
}

/// What the unmutated TLS fixtures report (with their own key logs): per client random (in
/// hex), the close frames' codes and reasons.
type TlsTruth = HashMap<String, HashSet<(u16, String)>>;

fn tls_truth(corpus: &[Capture]) -> TlsTruth {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut truth = TlsTruth::new();
    for cap in corpus.iter().filter(|c| c.tls) {
        // `tls/FILE` or `h2/FILE`.
        let path = dir.join(&cap.name);
        let keys = cap.keylog.clone().map_or(Keys::None, Keys::Right);
        let (report, _) = analyze(&path, Options::default(), &keys)
            .unwrap()
            .unwrap_or_else(|| panic!("{} does not read", cap.name));
        for c in &report.connections {
            let Some(cr) = c.tls.as_ref().and_then(|t| t.client_random.clone()) else {
                continue;
            };
            let set = truth.entry(cr.to_ascii_lowercase()).or_default();
            for f in &c.close_frames {
                if let Some(code) = f.code {
                    set.insert((code, f.reason.clone()));
                }
            }
        }
    }
    truth
}

/// The client randoms a key log names (lower-case hex).
fn keylog_randoms(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_ascii_whitespace().nth(1))
        .map(str::to_ascii_lowercase)
        .collect()
}

/// One case: Ok, or what went wrong.
fn check_case(path: &Path, m: &Mutant, truth: &TlsTruth, tally: &Tally) -> Result<(), String> {
    let (bytes, plain) = (&m.file[..], &m.plain[..]);
    std::fs::write(path, bytes).unwrap();
    let t0 = Instant::now();
    let one = analyze(path, Options::default(), &m.keys)?;
    let took = t0.elapsed();
    if took > MAX_CASE {
        return Err(format!("took {took:.2?}"));
    }
    let two = if sharded_check() {
        let t0 = Instant::now();
        let two = analyze(path, sharded(), &m.keys).map_err(|e| format!("sharded: {e}"))?;
        let took = t0.elapsed();
        if took > MAX_CASE {
            return Err(format!("sharded: took {took:.2?}"));
        }
        two
    } else {
        one.clone()
    };
    let report = match (one, two) {
        (None, None) => {
            tally.rejected.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        (Some((r, a)), Some((_, b))) => {
            if a != b {
                let (x, y) = a
                    .lines()
                    .zip(b.lines())
                    .find(|(x, y)| x != y)
                    .unwrap_or(("(length)", "(length)"));
                return Err(format!(
                    "the sharded report differs: one thread `{}`, two `{}`",
                    x.trim(),
                    y.trim()
                ));
            }
            r
        }
        (a, b) => {
            return Err(format!(
                "one thread {}, two threads {}",
                if a.is_some() { "read it" } else { "refused it" },
                if b.is_some() { "read it" } else { "refused it" }
            ))
        }
    };
    tally.reports.fetch_add(1, Ordering::Relaxed);
    tally
        .connections
        .fetch_add(report.connections.len() as u64, Ordering::Relaxed);
    if took > MAX_CASE {
        return Err(format!("took {took:.2?}"));
    }
    // A pcapng mutant may carry secrets of its own (a Decryption Secrets Block).
    let wrong = match &m.keys {
        Keys::Wrong(p) if !plain.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) => keylog_randoms(p),
        _ => Vec::new(),
    };
    let mut seq: Option<SeqBytes> = None;
    for c in &report.connections {
        if let Some(t) = &c.tls {
            tally.tls_connections.fetch_add(1, Ordering::Relaxed);
            if t.decrypted {
                tally.tls_decrypted.fetch_add(1, Ordering::Relaxed);
            }
            let cr = t
                .client_random
                .as_deref()
                .unwrap_or("")
                .to_ascii_lowercase();
            if t.decrypted && wrong.contains(&cr) {
                return Err(format!(
                    "TLS connection {} -> {} decrypted with the wrong key log",
                    c.client, c.server
                ));
            }
            for f in &c.close_frames {
                let Some(code) = f.code else {
                    continue;
                };
                tally.tls_codes.fetch_add(1, Ordering::Relaxed);
                if !t.decrypted {
                    return Err(format!(
                        "close code {code} on a TLS connection with nothing decrypted ({} -> {})",
                        c.client, c.server
                    ));
                }
                if !truth
                    .get(&cr)
                    .is_some_and(|set| set.contains(&(code, f.reason.clone())))
                {
                    return Err(format!(
                        "close code {code} {:?} from the {} (packet {}, {} -> {}, client random \
                         {cr}) is not one the recorded TLS connection sent",
                        f.reason, f.from, f.packet, c.client, c.server
                    ));
                }
            }
            continue;
        }
        for f in &c.close_frames {
            let Some(code) = f.code else {
                continue;
            };
            tally.codes.fetch_add(1, Ordering::Relaxed);
            let seq = seq.get_or_insert_with(|| seq_bytes(plain));
            let ends = (
                endpoint(&c.client.to_string()),
                endpoint(&c.server.to_string()),
            );
            let ok = match ends {
                (Some(cl), Some(sv)) => [(cl, sv), (sv, cl)]
                    .iter()
                    .any(|k| seq.get(k).is_some_and(|d| code_possible(code, d))),
                _ => seq.values().any(|d| code_possible(code, d)),
            };
            if !ok {
                return Err(format!(
                    "close code {code} from the {} (packet {}, {} -> {}) is not in the capture's bytes",
                    f.from, f.packet, c.client, c.server
                ));
            }
        }
    }
    Ok(())
}

thread_local! {
    static PANIC_AT: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

fn last_panic_location() -> String {
    PANIC_AT.with(|p| p.borrow().clone())
}

/// Panics in worker threads are expected findings: keep their location, print nothing.
fn quiet_workers() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let worker = std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with("mutation-worker"));
            if worker {
                let at = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                PANIC_AT.with(|p| *p.borrow_mut() = at);
            } else {
                default(info);
            }
        }));
    });
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// What a worker is doing: case, since when, the mutation, the mutant.
type Running = Option<(u64, Instant, String, Vec<u8>)>;

/// Runs `cases` mutants of `sources` from `seed` on all cores; returns the failures.
fn run(cases: u64, seed: u64, sources: Sources) -> (Vec<Failure>, Duration, Arc<Tally>) {
    quiet_workers();
    let corpus = Arc::new(fixtures());
    let truth = Arc::new(tls_truth(&corpus));
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8);
    let tmp = tempfile::tempdir().unwrap();
    let failures: Arc<Mutex<Vec<Failure>>> = Arc::default();
    let next = Arc::new(AtomicU64::new(0));
    let tally: Arc<Tally> = Arc::default();
    // (case, start) per worker, for the hang watchdog.
    let running: Arc<Mutex<Vec<Running>>> = Arc::new(Mutex::new(vec![None; workers]));
    let started = Instant::now();
    let mut handles = Vec::new();
    for w in 0..workers {
        let (corpus, truth, failures, next, running, tally) = (
            corpus.clone(),
            truth.clone(),
            failures.clone(),
            next.clone(),
            running.clone(),
            tally.clone(),
        );
        let path = tmp.path().join(format!("mutant-{w}.pcap"));
        handles.push(
            std::thread::Builder::new()
                .name(format!("mutation-worker-{w}"))
                .spawn(move || loop {
                    let case = next.fetch_add(1, Ordering::Relaxed);
                    if case >= cases {
                        break;
                    }
                    let mut rng = Rng::new(seed, case);
                    let m = mutate(&corpus, sources, &mut rng);
                    running.lock().unwrap()[w] =
                        Some((case, Instant::now(), m.what.clone(), m.file.clone()));
                    let res = check_case(&path, &m, &truth, &tally);
                    running.lock().unwrap()[w] = None;
                    if let Err(problem) = res {
                        failures.lock().unwrap().push(Failure {
                            case,
                            what: m.what,
                            problem,
                            file: PathBuf::new(),
                            bytes: m.file,
                        });
                    }
                })
                .unwrap(),
        );
    }
    // Watchdog: a case running past HANG is a hang; save it and stop.
    while handles.iter().any(|h| !h.is_finished()) {
        std::thread::sleep(Duration::from_millis(100));
        let hung = running
            .lock()
            .unwrap()
            .iter()
            .flatten()
            .find(|(_, t, _, _)| t.elapsed() > HANG)
            .cloned();
        if let Some((case, _, what, bytes)) = hung {
            let f = save(case, &bytes);
            eprintln!(
                "HANG: case {case} (seed {seed:#x}; {what}) ran over {HANG:?}; mutant saved to {}",
                f.display()
            );
            std::process::exit(101);
        }
    }
    for h in handles {
        h.join().unwrap();
    }
    let mut failures = std::mem::take(&mut *failures.lock().unwrap());
    failures.sort_by_key(|f| f.case);
    for f in &mut failures {
        f.file = save(f.case, &f.bytes);
    }
    (failures, started.elapsed(), tally)
}

fn save(case: u64, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mutation-failures");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("case-{case}.pcap"));
    std::fs::write(&p, bytes).unwrap();
    p
}

fn run_and_check(default_cases: u64, sources: Sources) -> Arc<Tally> {
    let cases = env_u64("WSCLOSE_MUTATION_CASES").unwrap_or(default_cases);
    let seed = env_u64("WSCLOSE_MUTATION_SEED").unwrap_or(0x5EED_C105E);
    let (failures, took, t) = run(cases, seed, sources);
    let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
    eprintln!(
        "mutation: {cases} cases (seed {seed:#x}, {sources:?}) in {took:.1?}: {} not a \
         capture, {} reports with {} WebSocket connections, {} close codes checked against \
         the bytes; {} over TLS, {} decrypted, {} close codes checked against the recorded \
         ones; {} failed",
        n(&t.rejected),
        n(&t.reports),
        n(&t.connections),
        n(&t.codes),
        n(&t.tls_connections),
        n(&t.tls_decrypted),
        n(&t.tls_codes),
        failures.len()
    );
    let show = env_u64("WSCLOSE_MUTATION_SHOW").unwrap_or(10) as usize;
    for f in failures.iter().take(show) {
        eprintln!(
            "  case {}: {}\n    mutant: {}\n    file: {} ({} bytes)",
            f.case,
            f.problem,
            f.what,
            f.file.display(),
            f.bytes.len()
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} mutants failed (first: case {}: {})",
        failures.len(),
        failures[0].case,
        failures[0].problem
    );
    t
}

#[test]
#[ignore = "long: run by .ci/run"]
fn mutants_fast() {
    run_and_check(2_000, Sources::All);
}

/// Mutants of the TLS captures only, analyzed with their key logs: the decrypting path sees
/// damaged records, hellos and key logs that do not fit, and what it decrypts is checked
/// against what the recorded connections sent (point 4 at the top).
#[test]
#[ignore = "long: run by .ci/run"]
fn mutants_tls() {
    let t = run_and_check(300, Sources::Tls);
    if env_u64("WSCLOSE_MUTATION_CASES").is_none() {
        // The check checks something: many mutants still decrypt and close.
        assert!(t.tls_decrypted.load(Ordering::Relaxed) >= 50);
        assert!(t.tls_codes.load(Ordering::Relaxed) >= 50);
    }
}

#[test]
#[ignore = "long: 100 000 mutants (cargo test --release --test it -- --ignored mutants_100k)"]
fn mutants_100k() {
    run_and_check(100_000, Sources::All);
}

/// What the TLS check compares with: each recorded wss:// capture, decrypted with its key
/// log, gives the close code its name says (and with the wrong key log, nothing).
#[test]
fn tls_truth_holds_the_recorded_codes() {
    let corpus = fixtures();
    let truth = tls_truth(&corpus);
    let mut named = 0;
    for cap in corpus.iter().filter(|c| c.tls) {
        let Some(code) = cap
            .name
            .split("close-")
            .nth(1)
            .and_then(|r| r.get(..4))
            .and_then(|c| c.parse::<u16>().ok())
        else {
            continue;
        };
        assert!(
            truth.values().flatten().any(|(c, _)| *c == code),
            "{}: {code} not decrypted",
            cap.name
        );
        named += 1;
        if let Some(wrong) = &cap.wrong_keylog {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures")
                .join(&cap.name);
            let (r, _) = analyze(&path, Options::default(), &Keys::Wrong(wrong.clone()))
                .unwrap()
                .unwrap();
            assert!(
                r.connections
                    .iter()
                    .all(|c| c.close_frames.is_empty()
                        && !c.tls.as_ref().is_some_and(|t| t.decrypted)),
                "{}: decrypted with the wrong key log",
                cap.name
            );
        }
    }
    assert!(named >= 12, "only {named} TLS fixtures name their code");
}

/// The oracle itself: it accepts the fixtures' real codes and rejects made-up ones.
#[test]
fn oracle_accepts_real_codes_and_rejects_invented_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for cap in fixtures().into_iter().filter(|c| !c.tls) {
        let path = dir.path().join(cap.name.replace('/', "-"));
        std::fs::write(&path, cap.bytes()).unwrap();
        let Ok(report) = wsclose::analyze_files(std::slice::from_ref(&path), Options::default())
        else {
            continue;
        };
        let seq = seq_bytes(&cap.bytes());
        let all: HashSet<u16> = report
            .connections
            .iter()
            .flat_map(|c| c.close_frames.iter().filter_map(|f| f.code))
            .collect();
        for code in &all {
            assert!(
                seq.values().any(|d| code_possible(*code, d)),
                "{}: real code {code} rejected",
                cap.name
            );
            checked += 1;
        }
        // Codes no fixture sends, unlikely to be in any by chance.
        let rejected = [1013u16, 3333, 4444, 2999]
            .iter()
            .filter(|c| !all.contains(c) && !seq.values().any(|d| code_possible(**c, d)))
            .count();
        assert!(rejected >= 3, "{}: the oracle accepts too much", cap.name);
    }
    assert!(checked >= 20, "only {checked} codes checked");
}

/// The mutator is deterministic and does what it says.
#[test]
fn mutants_are_deterministic() {
    let corpus = fixtures();
    for sources in [Sources::All, Sources::Tls] {
        for case in 0..50 {
            let a = mutate(&corpus, sources, &mut Rng::new(7, case));
            let b = mutate(&corpus, sources, &mut Rng::new(7, case));
            assert_eq!(a, b);
            if sources == Sources::Tls {
                assert!(
                    a.what.starts_with("tls/") || a.what.starts_with("h2/"),
                    "{}",
                    a.what
                );
                // Every TLS fixture has a key log but the pcapng one, which carries its own.
                assert!(
                    a.keys != Keys::None || a.what.contains(".pcapng"),
                    "{}",
                    a.what
                );
            }
        }
    }
    for c in &corpus {
        let round = Capture::parse(&c.name, &c.bytes()).unwrap();
        assert_eq!(round.records.len(), c.records.len(), "{}", c.name);
        assert!(
            c.trailer.is_empty(),
            "{}: bytes after the last record",
            c.name
        );
    }
}
