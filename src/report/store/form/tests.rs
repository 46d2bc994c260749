use super::*;

/// Every field survives, including those JSON leaves out, and the statics come back
/// as the very same statics; damaged bytes (cut short, or a byte changed) read back as
/// `None` or some report, never as a panic.
#[test]
fn reports_round_trip_and_damage_never_panics() {
    let opts = crate::analyzer::Options {
        frame_log: 100,
        previews: true,
        ..Default::default()
    };
    let mut paths = crate::fixture_paths();
    paths.push(paths[0].with_file_name("connect/squid-connect-ws-py.pcap"));
    let report = crate::analyze_files(&paths, opts).unwrap();
    let mut all = report.connections;
    assert!(all.iter().any(|c| c.timeline.is_some()));
    // A leg linked by its CONNECT keeps it, which JSON leaves out.
    assert!(all
        .iter()
        .any(|c| c.leg.as_ref().is_some_and(|l| l.connect.is_some())));
    // A redacted one: its hosts are pseudonyms.
    let mut named = all[0].clone();
    named.client = Host::Named("host-1:41008".into());
    all.push(named);
    for (k, c) in all.iter().enumerate() {
        let mut bytes = vec![9];
        append(c, &mut bytes).unwrap();
        assert_eq!(bytes[0], 9, "appended after what was there");
        let back = read(&bytes[1..], true).unwrap();
        assert_eq!(format!("{c:?}"), format!("{back:?}"));
        assert_eq!(c.tcp_ends, back.tcp_ends);
        assert_eq!(c.transport, back.transport);
        for (x, y) in c.close_frames.iter().zip(&back.close_frames) {
            assert_eq!(x.name, y.name);
        }
        for (x, y) in c.recent_frames.iter().zip(&back.recent_frames) {
            assert_eq!(x.opcode, y.opcode);
        }
        // Trailing bytes: not exactly one report.
        bytes.push(0);
        assert!(read(&bytes[1..], true).is_none());
        if k % 7 != 0 {
            continue;
        }
        let bytes = &bytes[1..bytes.len() - 1];
        for n in 0..bytes.len() {
            assert!(read(&bytes[..n], true).is_none());
        }
        for (i, x) in [0x00u8, 0x7f, 0x80, 0xff].into_iter().enumerate() {
            for at in (i..bytes.len()).step_by(3) {
                let mut b = bytes.to_vec();
                b[at] = x;
                let _ = read(&b, true);
            }
        }
    }
}

/// Varints of every length read back, and one longer than a u64 is refused.
#[test]
fn varints_round_trip() {
    for v in [
        0u64,
        1,
        127,
        128,
        300,
        u64::from(u32::MAX),
        1 << 63,
        u64::MAX,
    ] {
        let mut out = Vec::new();
        Writer(&mut out).u64(v);
        let mut r = Reader(&out);
        assert_eq!(r.u64(), Some(v));
        assert!(r.0.is_empty());
        // Cut short: refused.
        assert_eq!(Reader(&out[..out.len() - 1]).u64(), None);
    }
    assert_eq!(Reader(&[0xff; 11]).u64(), None);
    let mut tenth = [0xff; 10];
    tenth[9] = 2;
    assert_eq!(Reader(&tenth).u64(), None);
}

/// An application's typed verdict and what its long-polling connections show, which JSON
/// leaves out, survive the stored form, and its words made again from what is read back
/// are the words the report states (a reader of the store can word it, as `--redact`
/// will field by field).
#[test]
fn an_applications_typed_verdict_is_stored_and_worded_again() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/app");
    let paths = [
        dir.join("mqtt-taken-over-v5.pcap"),
        dir.join("socketio-polling-ping-timeout.pcap"),
    ];
    let mut apps = Vec::new();
    for p in &paths {
        let report = crate::analyze_files(std::slice::from_ref(p), Default::default()).unwrap();
        apps.extend(report.connections);
    }
    let said = |c: &ConnectionReport| c.application.as_ref().and_then(|a| a.said.clone());
    assert!(
        apps.iter().any(|c| matches!(
            said(c).as_deref(),
            Some(crate::vocab::AppSaid::Mqtt(
                crate::vocab::said::mqtt::Why::TakenOver { .. }
            ))
        )),
        "a takeover"
    );
    assert!(apps.iter().any(|c| c
        .application
        .as_ref()
        .is_some_and(|a| a.long_polling.is_some() && a.said.is_some())));
    for c in &apps {
        let Some(a) = c.application.as_ref() else {
            continue;
        };
        let mut bytes = Vec::new();
        append(c, &mut bytes).unwrap();
        let back = read(&bytes, true).unwrap().application.unwrap();
        assert_eq!(&back, a);
        let json = serde_json::to_value(a).unwrap();
        assert!(json.get("said").is_none() && json.get("long_polling").is_none());
        let mut again = back.clone();
        (again.cause, again.summary, again.fix) = (None, None, None);
        let reason = c
            .close_frames
            .first()
            .filter(|f| f.from == crate::vocab::Role::Server)
            .map(|f| f.reason.as_str());
        crate::report::words::app::fill(&mut again, reason);
        assert_eq!(again, back);
    }
}

/// A connection's trail (`vocab::trail`), which JSON leaves out, survives the stored form
/// whole (its ring of the last marks, the span not kept, the interfaces and their names),
/// each mark in a fixed 31 bytes whatever its values (its fields written as they are, not
/// through serde's visitors: the trail is most of a report's stored bytes), and damaged
/// bytes read back as `None`, never as a panic.
#[test]
fn a_trail_round_trips_in_fixed_width_marks() {
    use crate::vocab::trail::{Mark, Trail, FIN, FROM_B, SYN};
    let report = crate::analyze_files(&crate::fixture_paths()[..1], Default::default()).unwrap();
    let mut c = report.connections[0].clone();
    let mark = |k: u64| Mark {
        ts: 1_700_000_000_000_000_000 + k as i64 * 1_000,
        packet: k * 1_000_003,
        seq: u32::MAX - k as u32,
        hash: (k as u32).wrapping_mul(0x9e37_79b9).max(1),
        len: if k.is_multiple_of(3) { 0 } else { 1448 },
        ip_id: k as u16,
        ttl: 64 - (k % 2) as u8,
        flags: if k == 0 {
            SYN
        } else {
            (FROM_B * (k % 2) as u8) | (FIN * u8::from(k == 9))
        },
        point: (k % 2) as u8,
    };
    let trail = |n: u64| Trail {
        marks: (0..n).map(mark).collect(),
        ifaces: vec![3, u32::MAX],
        names: vec![Some("eth0".into()), None],
        client_is_a: true,
        gap: Some((-5, i64::MAX)),
        not_kept: 1 << 40,
        ring: 7,
    };
    let mut size = |t: Trail| {
        c.trail = Some(Box::new(t));
        let mut bytes = Vec::new();
        append(&c, &mut bytes).unwrap();
        let back = read(&bytes, true).unwrap();
        assert_eq!(back.trail, c.trail);
        bytes.len()
    };
    let counts = [0usize, 1, 2, 10, 11, 127, 512];
    let sizes: Vec<usize> = counts.iter().map(|&n| size(trail(n as u64))).collect();
    for (&n, s) in counts.iter().zip(&sizes) {
        // The count of marks is a varint: two bytes from 128 on.
        let count = usize::from(n >= 128);
        assert_eq!(*s, sizes[0] + count + 31 * n, "{n} marks");
    }
    c.trail = Some(Box::new(trail(12)));
    let mut bytes = Vec::new();
    append(&c, &mut bytes).unwrap();
    for n in (0..bytes.len()).rev().take(31 * 12 + 40) {
        assert!(read(&bytes[..n], true).is_none(), "cut at {n}");
        assert!(
            read(&bytes[..n], false).is_none(),
            "passed over, cut at {n}"
        );
    }
    // Passed over (the points joined, `Store::drop_trails`): the rest of the report read
    // back as it was, no trail.
    let mut whole = read(&bytes, true).unwrap();
    assert!(whole.trail.take().is_some());
    let back = read(&bytes, false).unwrap();
    assert!(back.trail.is_none());
    assert_eq!(format!("{back:?}"), format!("{whole:?}"));
}
