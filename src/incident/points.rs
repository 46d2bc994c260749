//! The points of a path in the incidents (issue 103 item 4): of each incident's members, those
//! seen at two points of their path whose ending reset the point nearer the side it names
//! never saw that side send (made between the points: the points' verdict, `between-points`
//! `made-between`, marked on the ending as [`Ending::between`], or a NAT's two sides in one
//! capture, [`super::twins`]), counted in its facts (`made_between_points`), so that the
//! incident's words cite the points rather than the resets' TTLs.
//!
//! In: the endings' positions made between the points, the stage's [`Outcome`]. Out: each
//! incident's `facts.made_between_points`. Work: linear in those positions and the links.

use super::{Ending, Outcome};

/// The positions of `endings` whose reset was made between two points of its path.
pub fn between(endings: &[Ending]) -> Vec<u32> {
    endings
        .iter()
        .filter(|e| e.between)
        .map(|e| e.pos)
        .collect()
}

/// Counts in each incident of `out` its members of `between` (positions, [`between`]) and
/// those whose twin saw their reset made between the points.
pub fn count(out: &mut Outcome, between: &[u32]) {
    let mut n: rustc_hash::FxHashMap<u32, u64> = rustc_hash::FxHashMap::default();
    let twins = out
        .links
        .map
        .iter()
        .filter(|(_, l)| l.twin.is_some_and(|t| t.reset_made_between.is_some()))
        .map(|(&p, _)| p);
    let mut seen = rustc_hash::FxHashSet::default();
    for p in between.iter().copied().chain(twins) {
        if !seen.insert(p) {
            continue;
        }
        if let Some(id) = out.links.get(p).and_then(|l| l.incident) {
            *n.entry(id).or_default() += 1;
        }
    }
    for i in &mut out.incidents {
        i.facts.made_between_points = n.get(&i.id).copied().unwrap_or(0);
    }
}
