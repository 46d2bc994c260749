//! The mutations: bit flips, truncation, byte- and record-level splices of two captures,
//! duplicated and reordered records, a huge caplen or block length, gzip; each from a seed.
//!
//! In: the fixtures as records and a seed. Out: a [`Mutant`]: its bytes and the key logs it
//! is read with.

use super::*;

/// Caplen (or block length) values that hurt: past the reader's 2 MiB buffer, at its edge,
/// all ones, the top bit, or just a little more than the record holds.
fn huge(rng: &mut Rng, have: usize) -> u32 {
    let have = have as u32;
    match rng.below(8) {
        0 => u32::MAX,
        1 => 0xFFFF_FFF0,
        2 => 0x8000_0000,
        3 => (2 << 20) + 1,
        4 => 2 << 20,
        5 => 0x0001_0000,
        6 => have.saturating_add(1 + rng.below(64) as u32),
        _ => (rng.next() as u32) | 0x0100_0000,
    }
}

/// The key log a mutant is analyzed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Keys {
    None,
    /// The source's own.
    Right(PathBuf),
    /// The wrong one recorded beside it.
    Wrong(PathBuf),
}

/// A mutant: the file's bytes, the same uncompressed, what was done, and its key log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mutant {
    pub(crate) file: Vec<u8>,
    pub(crate) plain: Vec<u8>,
    pub(crate) what: String,
    pub(crate) keys: Keys,
}

/// Which fixtures mutants start from (splices take the other file from all of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sources {
    All,
    Tls,
}

/// Applies 1-3 mutations to a fixture of `sources`, and sometimes gzip.
pub(crate) fn mutate(corpus: &[Capture], sources: Sources, rng: &mut Rng) -> Mutant {
    let pool: Vec<usize> = (0..corpus.len())
        .filter(|&i| sources == Sources::All || corpus[i].tls)
        .collect();
    let mut cap = corpus[pool[rng.below(pool.len())]].clone();
    let mut what = vec![cap.name.clone()];
    let keys = match (&cap.keylog, &cap.wrong_keylog) {
        (Some(_), Some(wrong)) if rng.chance(20) => Keys::Wrong(wrong.clone()),
        (Some(right), _) => Keys::Right(right.clone()),
        (None, _) => Keys::None,
    };
    if let Keys::Wrong(_) = keys {
        what.push("wrong key log".into());
    }
    let n_ops = 1 + rng.below(3);
    let mut bytes: Option<Vec<u8>> = None;
    for _ in 0..n_ops {
        let op = rng.below(100);
        // Record-level operations work on the records until a byte-level one runs.
        if bytes.is_none() && op < 50 && !cap.records.is_empty() {
            let n = cap.records.len();
            match op {
                0..=11 => {
                    let i = rng.below(n);
                    let j = rng.below(n + 1);
                    let r = cap.records[i].clone();
                    cap.records.insert(j, r);
                    what.push(format!("dup {i}->{j}"));
                }
                12..=23 => {
                    if rng.chance(50) {
                        let (i, j) = (rng.below(n), rng.below(n));
                        cap.records.swap(i, j);
                        what.push(format!("swap {i}<->{j}"));
                    } else {
                        // Shuffle a window.
                        let i = rng.below(n);
                        let w = (2 + rng.below(6)).min(n - i);
                        for k in (1..w).rev() {
                            let j = rng.below(k + 1);
                            cap.records.swap(i + k, i + j);
                        }
                        what.push(format!("shuffle {i}..{}", i + w));
                    }
                }
                24..=33 => {
                    let i = rng.below(n);
                    let r = &mut cap.records[i];
                    let have = r.len();
                    let v = huge(rng, have);
                    match cap.format {
                        Format::Pcap(le) => put_u32(r, 8, v, le),
                        Format::Ng(le) => {
                            let is_epb = u32_at(r, 0, le) == Some(6);
                            if is_epb && rng.chance(70) {
                                put_u32(r, 20, v, le);
                            } else {
                                put_u32(r, 4, v, le);
                            }
                        }
                    }
                    what.push(format!("caplen[{i}]={v:#x}"));
                }
                34..=41 => {
                    // Record-level splice: our records up to i, another file's from j.
                    let other = &corpus[rng.below(corpus.len())];
                    let i = rng.below(n + 1);
                    let j = rng.below(other.records.len() + 1);
                    cap.records.truncate(i);
                    cap.records.extend(other.records[j..].iter().cloned());
                    what.push(format!("splice-records {i} + {}[{j}..]", other.name));
                }
                _ => {
                    let i = rng.below(n);
                    cap.records.remove(i);
                    what.push(format!("drop {i}"));
                }
            }
            continue;
        }
        let b = bytes.get_or_insert_with(|| cap.bytes());
        if b.is_empty() {
            break;
        }
        match op % 4 {
            0 | 1 => {
                let flips = 1 + rng.below(8);
                for _ in 0..flips {
                    let at = rng.below(b.len());
                    b[at] ^= 1 << rng.below(8);
                }
                what.push(format!("flip x{flips}"));
            }
            2 => {
                let at = rng.below(b.len());
                b.truncate(at);
                what.push(format!("truncate {at}"));
            }
            _ => {
                let other = corpus[rng.below(corpus.len())].bytes();
                let i = rng.below(b.len() + 1);
                let j = rng.below(other.len() + 1);
                b.truncate(i);
                b.extend_from_slice(&other[j..]);
                what.push(format!("splice {i} + [{j}..]"));
            }
        }
    }
    let plain = bytes.unwrap_or_else(|| cap.bytes());
    let file = if rng.chance(8) {
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(&plain).unwrap();
        what.push("gzip".into());
        z.finish().unwrap()
    } else {
        plain.clone()
    };
    Mutant {
        file,
        plain,
        what: what.join(", "),
        keys,
    }
}
