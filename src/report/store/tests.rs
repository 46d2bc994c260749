use super::*;

/// One entry per connection of the capture stays in memory: keep it small.
#[test]
fn an_entry_is_32_bytes() {
    assert_eq!(std::mem::size_of::<Entry>(), 32);
    // Every place a store makes survives the packing, at both ends of each field.
    let e = Entry {
        order: 1,
        last_packet: 2,
        at: 0,
        len: 0,
        status: StatusKey::Open,
    };
    for place in [
        Place::Memory(0),
        Place::Memory(u32::MAX),
        Place::File {
            file: 0,
            len: 0,
            at: 0,
        },
        Place::File {
            file: (IN_MEMORY - 1) as u16,
            len: u32::MAX,
            at: (1 << 48) - 1,
        },
    ] {
        let packed = e.with_place(place);
        assert_eq!(packed.place(), place);
        assert_eq!((packed.order, packed.last_packet), (1, 2));
    }
    assert!(order(0, 5) < order(0, 6));
    assert!(order(0, (1 << 48) - 1) < order(1, 1));
}
use crate::analyzer::Options;

fn fixtures() -> Vec<std::path::PathBuf> {
    crate::fixture_paths()
}

/// Every field survives the file, including those JSON leaves out, and the statics
/// come back as the very same statics.
#[test]
fn reports_read_back_from_the_file_are_the_same() {
    let opts = Options {
        frame_log: 100,
        previews: true,
        ..Options::default()
    };
    let report = crate::analyze_files(&fixtures(), opts).unwrap();
    let all = report.connections;
    assert!(all.len() > 30);
    assert!(all.iter().any(|c| !c.recent_frames.is_empty()));
    assert!(all.iter().any(|c| c.timeline.is_some()));
    let mut store = Store::new(3);
    let mut index = Vec::new();
    for c in &all {
        index.push(store.push(c.clone(), 0));
    }
    assert_eq!(store.on_disk(), all.len() - 3);
    // A late packet after the report was written.
    let last = *index.last().unwrap();
    store.set_last_packet(last, 999_999);
    // Some written to the file, some still pending.
    store.files[0].scratch.flush().unwrap();
    for c in all.iter().take(5) {
        store.push(c.clone(), 0);
    }
    let back = store.into_vec().unwrap();
    assert_eq!(back.len(), all.len() + 5);
    for (i, (a, b)) in all.iter().zip(&back).enumerate() {
        let mut a = a.clone();
        if i == last {
            a.last_packet = 999_999;
        }
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_eq!(a.tcp_ends, b.tcp_ends);
        assert_eq!(a.status.general, b.status.general);
        assert_eq!(
            matches!(a.status.name, std::borrow::Cow::Borrowed(_)),
            matches!(b.status.name, std::borrow::Cow::Borrowed(_))
        );
        for (x, y) in a.recent_frames.iter().zip(&b.recent_frames) {
            assert_eq!(x.opcode, y.opcode);
        }
    }
}

/// A report built after its connection finished goes where its entry was reserved,
/// keeps a late packet counted in between, and one never built reads back as damage,
/// not as a report.
#[test]
fn a_reserved_entry_is_filled_in_place() {
    let all = crate::analyze_files(&fixtures(), Options::default())
        .unwrap()
        .connections;
    for budget in [1, usize::MAX] {
        let mut store = Store::new(budget);
        let (a, b, c) = (&all[0], &all[1], &all[2]);
        let ia = store.reserve(a.input, a.first_packet, a.last_packet);
        let ib = store.push(b.clone(), 0);
        let ic = store.reserve(c.input, c.first_packet, c.last_packet);
        store.set_last_packet(ia, 999_999);
        store.fill(ia, a.clone(), 0);
        let mut buf = Vec::new();
        let got = store.get(ia, &mut buf).unwrap();
        assert_eq!(got.last_packet, 999_999);
        assert_eq!(got.status, a.status);
        assert_eq!(got.first_packet, a.first_packet);
        assert_eq!(
            store.get(ib, &mut buf).unwrap().first_packet,
            b.first_packet
        );
        let unfilled = store.get(ic, &mut buf).unwrap_err();
        assert_eq!(unfilled.kind(), io::ErrorKind::InvalidData, "{unfilled}");
        assert_eq!(
            store.statuses().collect::<Vec<_>>(),
            vec![a.status_kind(), b.status_kind(), StatusKey::Open]
        );
        store.fill(ic, c.clone(), 0);
        let back = store.into_vec().unwrap();
        assert_eq!(back.len(), 3);
        assert_eq!(format!("{:?}", back[2]), format!("{c:?}"));
    }
}

/// Without a temporary file, reports stay in memory up to `NO_DISK_FACTOR` times the
/// budget; later ones are dropped, counted, left out of the order and the ids (the
/// others keep theirs in order), and the notes say why, once. A store appended keeps its
/// drops and notes, and a report already kept is never dropped by the merge.
#[test]
fn without_a_temporary_file_memory_is_bounded_and_drops_are_counted() {
    let all = crate::analyze_files(&fixtures(), Options::default())
        .unwrap()
        .connections;
    assert!(all.len() > 2 * NO_DISK_FACTOR + 2);
    let unusable = |budget| {
        let mut s = Store::new(budget);
        s.no_disk = true;
        s.set_group_cap(budget * NO_DISK_FACTOR);
        s.note("no disk here".into());
        s.note("no disk here".into());
        s
    };
    let mut a = unusable(1);
    let mut b = unusable(1);
    for (i, c) in all.iter().enumerate() {
        let mut c = c.clone();
        c.id = 0;
        if i < NO_DISK_FACTOR + 2 {
            &mut a
        } else {
            &mut b
        }
        .push(c, 0);
    }
    assert_eq!(a.memory.len(), NO_DISK_FACTOR);
    assert_eq!(a.dropped(), 2);
    assert_eq!(b.dropped() as usize, all.len() - 2 * NO_DISK_FACTOR - 2);
    a.append(b);
    assert_eq!(a.dropped() as usize, all.len() - 2 * NO_DISK_FACTOR);
    assert_eq!(a.memory.len(), 2 * NO_DISK_FACTOR);
    assert_eq!(a.notes(), ["no disk here".to_string()]);
    a.sort();
    assert_eq!(a.len(), 2 * NO_DISK_FACTOR);
    let back = a.into_vec().unwrap();
    let kept: Vec<&ConnectionReport> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            *i < NO_DISK_FACTOR || (NO_DISK_FACTOR + 2..2 * NO_DISK_FACTOR + 2).contains(i)
        })
        .map(|(_, c)| c)
        .collect();
    assert_eq!(back.len(), kept.len());
    for (k, (x, y)) in kept.iter().zip(&back).enumerate() {
        assert_eq!(y.id, k as u64 + 1);
        assert_eq!((x.input, x.first_packet), (y.input, y.first_packet));
    }
}

/// Without a temporary file, the reports of each group kept are the first its cap
/// allows, whether one store takes every group (one thread) or two stores take half
/// each with a smaller budget (two threads), each finding the file missing at another
/// moment (the first group fills its cap before the one store's budget is reached).
#[test]
fn without_a_temporary_file_groups_keep_the_same_reports_with_any_number_of_stores() {
    let all = crate::analyze_files(&fixtures(), Options::default())
        .unwrap()
        .connections;
    assert!(all.len() > 20, "{}", all.len());
    let store = |budget| {
        let mut s = Store::new(budget);
        s.no_file = true;
        s.set_group_cap(2);
        s
    };
    let group = |i: usize| if i < 6 { 0 } else { i * 7 % 8 };
    let (mut one, mut a, mut b) = (store(8), store(1), store(1));
    for (i, c) in all.iter().enumerate() {
        let g = group(i);
        let k = one.reserve(c.input, c.first_packet, c.last_packet);
        one.fill(k, c.clone(), g);
        let half = if g < 4 { &mut a } else { &mut b };
        let k = half.reserve(c.input, c.first_packet, c.last_packet);
        half.fill(k, c.clone(), g);
    }
    assert_eq!(one.memory.len(), 16);
    assert_eq!(one.dropped() as usize, all.len() - 16);
    a.append(b);
    assert_eq!(a.dropped(), one.dropped());
    let kept = |s: Store| -> Vec<(usize, u64)> {
        let mut s = s;
        s.sort();
        s.into_vec()
            .unwrap()
            .iter()
            .map(|r| (r.input, r.first_packet))
            .collect()
    };
    assert_eq!(kept(a), kept(one));
}

/// Without a file, a group's cap bounds the reports kept, whatever the budget of
/// reports kept in memory (the memory budget's share, `budget::no_disk_group_cap`).
#[test]
fn without_a_temporary_file_the_group_cap_bounds_reports_too() {
    let all = crate::analyze_files(&fixtures(), Options::default())
        .unwrap()
        .connections;
    let mut s = Store::new(4);
    s.no_disk = true;
    s.set_group_cap(5);
    for c in &all {
        s.push(c.clone(), 0);
    }
    assert_eq!(s.memory.len(), 5);
    assert_eq!(s.dropped() as usize, all.len() - 5);
}

#[test]
fn merged_and_sorted_like_the_report() {
    let report = crate::analyze_files(&fixtures(), Options::default()).unwrap();
    let all = report.connections;
    // With files, and all in memory (put in order in place).
    for budget in [2, usize::MAX] {
        let (mut a, mut b) = (Store::new(budget), Store::new(budget));
        // Reversed (a TCP connection's sessions, its HTTP/2 streams, staying in their
        // order, as the analyzer reserves them in a row), split between two stores,
        // each with its own file.
        let mut groups: Vec<Vec<&ConnectionReport>> = Vec::new();
        for c in &all {
            match groups.last_mut() {
                Some(g) if (g[0].input, g[0].first_packet) == (c.input, c.first_packet) => {
                    g.push(c)
                }
                _ => groups.push(vec![c]),
            }
        }
        for (i, g) in groups.iter().rev().enumerate() {
            for &c in g {
                let mut c = c.clone();
                c.id = 0;
                if i % 2 == 0 { &mut a } else { &mut b }.push(c, 0);
            }
        }
        a.append(b);
        assert_eq!(a.files.len(), if budget == 2 { 2 } else { 0 });
        a.sort();
        let back = a.into_vec().unwrap();
        let ids: Vec<u64> = back.iter().map(|c| c.id).collect();
        assert_eq!(ids, (1..=all.len() as u64).collect::<Vec<_>>());
        for (x, y) in all.iter().zip(&back) {
            assert_eq!(format!("{x:?}"), format!("{y:?}"));
        }
    }
}

/// A report's postcard form (`serial`): damaged bytes (cut short, or with a byte changed)
/// read back as `None` or as some value, never as a panic.
#[test]
fn damaged_reports_never_panic() {
    use crate::serial::{read, to_vec};
    assert!(read::<ConnectionReport>(&[1, 2, 3]).is_none());
    let opts = crate::analyzer::Options {
        frame_log: 100,
        previews: true,
        ..Default::default()
    };
    let report = crate::analyze_files(&crate::fixture_paths(), opts).unwrap();
    for r in report.connections.iter().step_by(7) {
        let bytes = to_vec(r).unwrap();
        for n in 0..bytes.len() {
            assert!(read::<ConnectionReport>(&bytes[..n]).is_none());
        }
        for (i, x) in [0x00u8, 0x7f, 0x80, 0xff].into_iter().enumerate() {
            for at in (i..bytes.len()).step_by(3) {
                let mut b = bytes.clone();
                b[at] = x;
                let _ = read::<ConnectionReport>(&b);
            }
        }
    }
}
