use super::*;

/// The report of every fixture with its connections repeated until there are at least
/// `n`, numbered from 1: for the tests of the writers that render in parts.
pub(crate) fn repeated_fixture_report(n: usize) -> Report {
    let paths = crate::fixture_paths();
    let mut report = crate::analyze_files(&paths, crate::analyzer::Options::default())
        .unwrap_or_else(|e| panic!("the fixtures: {e}"));
    let all = report.connections.clone();
    assert!(!all.is_empty());
    while report.connections.len() < n {
        report.connections.extend(all.iter().cloned());
    }
    for (i, c) in report.connections.iter_mut().enumerate() {
        c.id = i as u64 + 1;
    }
    report
}

/// The reports in a store are finished before they are read: a connection open at the
/// cut of a truncated input says so, and a back leg whose client's leg stayed encrypted
/// says that, in the stored copy itself; reading them back twice gives the same.
#[test]
fn stored_reports_are_finished_once() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let data = std::fs::read(dir.join("node-close-1008.pcap")).unwrap();
    // The header and the first 7 records (handshake and a message), then half a record.
    let mut end = 24;
    for _ in 0..7 {
        let caplen = u32::from_le_bytes(data[end + 8..end + 12].try_into().unwrap());
        end += 16 + caplen as usize;
    }
    let tmp = tempfile::tempdir().unwrap();
    let cut = tmp.path().join("cut.pcap");
    std::fs::write(&cut, &data[..end + 20]).unwrap();
    let behind = dir.join("tls/firefox-haproxy-h2-close-1000.pcap");
    for (path, kind) in [(cut, "capture-cut"), (behind, "behind-tls-proxy")] {
        let report = crate::analyze_files_with_progress(
            &[path],
            crate::analyzer::Options::default(),
            &crate::keys::KeySources::default(),
            None,
        )
        .unwrap();
        let store = report.stored.as_ref().unwrap();
        let mut buf = Vec::new();
        let stored: Vec<ConnectionReport> = (0..store.len())
            .map(|i| store.get(i, &mut buf).unwrap())
            .collect();
        assert!(
            stored
                .iter()
                .any(|c| c.status.causes.iter().any(|x| x.kind() == kind)),
            "{kind}"
        );
        let read = |report: &Report| {
            let mut all = Vec::new();
            report
                .for_each_connection(|c| {
                    all.push(format!("{:?}", c.status));
                    Ok(())
                })
                .unwrap();
            all
        };
        let once = read(&report);
        assert_eq!(once, read(&report));
        let stored: Vec<String> = stored.iter().map(|c| format!("{:?}", c.status)).collect();
        assert_eq!(once, stored);
    }
}
use std::sync::atomic::{AtomicBool, Ordering};

/// Set when a rendering thread's thread-locals are destroyed, as the thread exits.
static EXITED: AtomicBool = AtomicBool::new(false);

struct OnExit;
impl Drop for OnExit {
    fn drop(&mut self) {
        // Slow, so that a call that does not wait for the exit returns first.
        std::thread::sleep(std::time::Duration::from_millis(30));
        EXITED.store(true, Ordering::SeqCst);
    }
}

thread_local!(static GUARD: OnExit = const { OnExit });

/// `render_chunks` returns only once its rendering threads have exited, thread-local
/// destructors and all (a scoped thread not joined by hand is waited for only until its
/// closure returns), and writes every part in order.
#[test]
fn render_chunks_waits_for_its_thread_to_exit() {
    let report = repeated_fixture_report(4 * RENDER_CHUNK);
    let me = std::thread::current().id();
    let mut out = Vec::new();
    let parts = report
        .render_chunks(
            |k, part| {
                if std::thread::current().id() != me {
                    GUARD.with(|_| ());
                }
                Ok(format!("{k}:{} ", part.len()).into_bytes())
            },
            &mut out,
        )
        .unwrap();
    assert!(parts >= 4, "{parts} parts");
    let want: String = (0..parts)
        .map(|k| {
            format!(
                "{k}:{} ",
                RENDER_CHUNK.min(report.connections.len() - k * RENDER_CHUNK)
            )
        })
        .collect();
    assert_eq!(String::from_utf8(out).unwrap(), want);
    assert!(
        EXITED.load(Ordering::SeqCst),
        "the rendering thread had not exited"
    );
}

/// What a status is counted under is decided from the cause that names it, and agrees
/// with its name for every kind of cause: "Open…", "Evicted…", "Upgrade refused" or
/// "Tunnel refused" without a code, and a code where there is one.
#[test]
fn a_status_is_counted_by_its_naming_cause() {
    let mut report = repeated_fixture_report(0);
    report.connections.truncate(1);
    let mut seen = std::collections::BTreeSet::new();
    for cause in crate::diagnose::tests::stored::one_of_each() {
        let c = &mut report.connections[0];
        c.status.set_causes(vec![cause.clone()]);
        let name = &*c.status.name;
        let by_name = match c.status.code {
            Some(code) => StatusKey::Code(code),
            None if name.starts_with("Open") => StatusKey::Open,
            None if name.starts_with("Evicted") => StatusKey::Evicted,
            None if name == "Upgrade refused" || name == "Tunnel refused" => StatusKey::Refused,
            None => StatusKey::Unknown,
        };
        assert_eq!(c.status_kind(), by_name, "{}: {name}", cause.kind());
        seen.insert(c.status_key());
    }
    for key in ["open", "evicted", "refused", "unknown"] {
        assert!(seen.contains(key), "no cause counted under {key}: {seen:?}");
    }
}
