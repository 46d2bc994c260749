//! What the unit tests share: the recorded captures in `fixtures/`, and a deterministic
//! random generator for their random inputs.

/// The recorded captures in `fixtures/`, sorted, for the unit tests that run on all of them.
pub(crate) fn fixture_paths() -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".pcap"))
        .collect();
    paths.sort();
    assert!(paths.len() > 10, "fixtures missing from {}", dir.display());
    paths
}

/// A deterministic xorshift generator for the unit tests' random inputs (the same every
/// run; the seed must not be 0).
pub(crate) struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
