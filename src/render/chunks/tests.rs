use super::*;
use crate::report::{redact, repeated_fixture_report};

/// The fixtures' report, its connections repeated to `n`, in memory and read back from
/// a store (all but 3 of them in its temporary file).
fn in_memory_and_stored(n: usize) -> (Report, Report) {
    let r = repeated_fixture_report(n);
    let mut store = Store::new(3);
    for c in &r.connections {
        store.push(c.clone(), 0);
    }
    let mut stored = Report::build(r.inputs.clone(), Vec::new(), Some(store), r.seen.clone());
    let mut memory = Report::build(r.inputs, r.connections, None, r.seen);
    // The capture's key of `--redact`'s pseudonyms, as the analysis gives it.
    (memory.key, stored.key) = (r.key, r.key);
    (memory, stored)
}

fn ids(_: usize, part: &[ConnectionReport]) -> io::Result<Vec<u8>> {
    Ok(part
        .iter()
        .map(|c| format!("{} ", c.id))
        .collect::<String>()
        .into_bytes())
}

/// With more rendering threads than this machine may have, in memory or read back from
/// the store, every part is written once and in order, and the JSON is the same bytes.
#[test]
fn parts_on_many_threads_come_out_in_order() {
    let (mut memory, mut stored) = in_memory_and_stored(9 * RENDER_CHUNK + 5);
    let want: String = (1..=memory.connections.len())
        .map(|i| format!("{i} "))
        .collect();
    let json_of = |r: &Report| crate::render::json::render(r);
    let one = {
        memory.render_threads = 1;
        json_of(&memory)
    };
    for threads in [1, 2, 5, 16] {
        for r in [&mut memory, &mut stored] {
            r.render_threads = threads;
            let mut out = Vec::new();
            let parts = r.render_chunks(ids, &mut out).unwrap();
            assert_eq!(parts, 10);
            assert_eq!(String::from_utf8(out).unwrap(), want, "{threads} threads");
            assert_eq!(json_of(r), one, "{threads} threads");
        }
    }
}

/// A part that cannot be rendered ends the writing with its error, on any number of
/// threads, without waiting for ever: the parts before it are written, none after.
#[test]
fn a_failed_part_stops_the_rendering() {
    let (_, mut stored) = in_memory_and_stored(20 * RENDER_CHUNK);
    for threads in [1, 3, 8] {
        stored.render_threads = threads;
        let mut out = Vec::new();
        let failing = |k: usize, part: &[ConnectionReport]| {
            if k == 4 {
                Err(io::Error::other("part 4"))
            } else {
                ids(k, part)
            }
        };
        let err = stored.render_chunks(failing, &mut out).unwrap_err();
        assert_eq!(err.to_string(), "part 4");
        let want: String = (1..=4 * RENDER_CHUNK).map(|i| format!("{i} ")).collect();
        assert_eq!(String::from_utf8(out).unwrap(), want, "{threads} threads");
    }
}

/// A report without connections renders no part, and returns.
#[test]
fn no_connections_no_parts() {
    let (mut memory, _) = in_memory_and_stored(1);
    memory.connections.clear();
    for threads in [1, 4] {
        memory.render_threads = threads;
        let mut out = Vec::new();
        assert_eq!(memory.render_chunks(ids, &mut out).unwrap(), 0);
        assert!(out.is_empty());
    }
}

/// A part whose rendering panics is an error, not a writer waiting for ever.
#[test]
fn a_panicking_part_is_an_error() {
    let (mut memory, _) = in_memory_and_stored(8 * RENDER_CHUNK);
    for threads in [2, 4] {
        memory.render_threads = threads;
        let panicking = |k: usize, part: &[ConnectionReport]| {
            assert_ne!(k, 5, "part 5 panics");
            ids(k, part)
        };
        let err = memory
            .render_chunks(panicking, &mut Vec::new())
            .unwrap_err();
        assert_eq!(err.to_string(), "a rendering thread failed");
    }
}

/// A redacted report read back from a store names its connections in id order, as the
/// same report in memory does, on any number of rendering threads.
#[test]
fn redacted_stored_connections_are_named_in_order() {
    let (mut memory, mut stored) = in_memory_and_stored(3 * RENDER_CHUNK);
    redact::redact(&mut memory);
    redact::redact(&mut stored);
    let want = crate::render::json::render(&memory);
    for threads in [1, 4] {
        stored.render_threads = threads;
        assert_eq!(
            crate::render::json::render(&stored),
            want,
            "{threads} threads"
        );
    }
}
