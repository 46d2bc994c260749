//! The assembler against a bitmap model: random segmentation, reordering and
//! retransmission, the same bytes or conflicting ones (first bytes win); the delivered
//! stream, gaps and counters must match the model's.

use super::*;

/// Bytes of the model stream.
const WINDOW: usize = 256;

/// What one random run found besides the stream.
struct ModelRun {
    /// Some segment brought bytes different from bytes seen before at the same offset.
    conflict: bool,
    /// The same, where the earlier bytes were still waiting (not yet delivered).
    held_conflict: bool,
    inconsistencies: u64,
}

/// Random segments within [0, WINDOW): fresh ones, exact duplicates, overlapping
/// retransmissions reaching further; in random order, into a `HalfStream` at one of the
/// ISNs. With `conflicting`, about half of the segments carry their own bytes instead of
/// the stream's. The model is a `Vec<Option<u8>>` where the first bytes seen win; after
/// every segment the delivered stream must be the model's known prefix (in-order bytes
/// are delivered at once), and after the flush the whole model with gaps as `None`.
fn model_run(seed: u64, conflicting: bool) -> ModelRun {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let isn = ISNS[(seed % 4) as usize];
    let truth: Vec<u8> = (0..WINDOW).map(|_| rng.next() as u8).collect();
    let mut segs: Vec<(usize, usize)> = Vec::new();
    for _ in 0..5 + rng.below(60) {
        let pick = rng.below(4);
        let (a, b) = match segs.len() {
            0 => (0, 0),
            n => segs[rng.below(n)],
        };
        let seg = match pick {
            0 if b > 0 => (a, b),
            1 if b > 0 => {
                let a2 = a.saturating_sub(rng.below(8));
                (a2, (b + rng.below(24)).min(WINDOW))
            }
            _ => {
                let a = rng.below(WINDOW);
                (a, (a + 1 + rng.below(40)).min(WINDOW))
            }
        };
        segs.push(seg);
    }
    rng.shuffle(&mut segs);

    let mut h = Half::syn(isn);
    let mut model: Vec<Option<u8>> = vec![None; WINDOW];
    let mut run = ModelRun {
        conflict: false,
        held_conflict: false,
        inconsistencies: 0,
    };
    for &(a, b) in &segs {
        let data: Vec<u8> = if conflicting && rng.below(2) == 0 {
            (a..b).map(|_| rng.next() as u8).collect()
        } else {
            truth[a..b].to_vec()
        };
        let known = model.iter().position(Option::is_none).unwrap_or(WINDOW);
        for (p, &byte) in (a..b).zip(&data) {
            match model[p] {
                None => model[p] = Some(byte),
                Some(old) if old != byte => {
                    run.conflict = true;
                    run.held_conflict |= p >= known;
                }
                Some(_) => {}
            }
        }
        h.seg(a as u64, &data);
        let known = model.iter().position(Option::is_none).unwrap_or(WINDOW);
        assert_eq!(
            h.out.bytes,
            model[..known],
            "seed {seed}: after segment {a}..{b} of {segs:?}"
        );
    }
    h.flush();
    let end = segs.iter().map(|s| s.1).max().unwrap_or(0);
    assert_eq!(h.out.bytes, model[..end], "seed {seed}: {segs:?}");
    let mut runs = Vec::new();
    for (p, b) in model[..end].iter().enumerate() {
        match (b, runs.last_mut()) {
            (None, Some((o, n))) if *o + *n == p as u64 => *n += 1,
            (None, _) => runs.push((p as u64, 1)),
            _ => {}
        }
    }
    assert_eq!(h.out.gaps, runs, "seed {seed}: {segs:?}");
    let c = h.h.counters;
    let missing: u64 = runs.iter().map(|r| r.1).sum();
    assert_eq!((c.bytes, c.missing_bytes), (end as u64 - missing, missing));
    run.inconsistencies = c.inconsistencies;
    run
}

#[test]
fn assembler_matches_a_bitmap_model_with_retransmissions_of_the_same_bytes() {
    for seed in 0..3000 {
        let run = model_run(seed, false);
        assert!(!run.conflict);
        assert_eq!(run.inconsistencies, 0, "seed {seed}");
    }
}

#[test]
fn assembler_matches_a_bitmap_model_where_first_bytes_win() {
    let mut conflicts = 0;
    for seed in 0..3000 {
        let run = model_run(seed, true);
        if run.conflict {
            conflicts += 1;
            assert!(run.inconsistencies > 0, "seed {seed}: conflict not counted");
        }
    }
    assert!(conflicts > 1000, "{conflicts} runs with conflicting bytes");
}
