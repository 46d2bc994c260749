//! Two Sec-WebSocket-Keys whose 32-bit hashes collide: the sixth audit's pairing defect,
//! shared by the library's incident tests (`src/report/incidents.rs`, through `#[path]`)
//! and the two-point tests (`tests/it/analyzer/points_crafted.rs`). In: nothing; out: two
//! different keys (base64 of 16 bytes, RFC 6455 §4.1) that pairing on a hash would join.

/// The 32-bit hash of a key, as the pairing keyed on before the sixth audit.
pub(crate) fn hash32(k: &str) -> u32 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    k.hash(&mut h);
    (h.finish() as u32).max(1)
}

/// Two keys that differ and whose 32-bit hashes are equal, found by a birthday search.
pub(crate) fn colliding_keys() -> (String, String) {
    use base64::Engine as _;
    let mut seen = rustc_hash::FxHashMap::default();
    for i in 0u64.. {
        let mut raw = [0u8; 16];
        raw[..8].copy_from_slice(&i.to_le_bytes());
        raw[8..].copy_from_slice(&i.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_le_bytes());
        let k = base64::engine::general_purpose::STANDARD.encode(raw);
        if let Some(other) = seen.insert(hash32(&k), k.clone()) {
            return (other, k);
        }
    }
    unreachable!()
}
