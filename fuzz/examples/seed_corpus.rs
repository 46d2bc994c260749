//! Fills `fuzz/corpus/<target>/` with seeds made from `fixtures/` (see `wsclose_fuzz::seeds`).
//! Usage: `cargo run --manifest-path fuzz/Cargo.toml --example seed_corpus [FIXTURES] [CORPUS]`.

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut args = std::env::args_os().skip(1);
    let fixtures = args.next().map_or(root.join("../fixtures"), PathBuf::from);
    let corpus = args.next().map_or(root.join("corpus"), PathBuf::from);
    let seeds = wsclose_fuzz::seeds::all(&fixtures)?;
    for t in wsclose_fuzz::TARGETS {
        let dir = corpus.join(t);
        std::fs::create_dir_all(&dir)?;
        let mine: Vec<_> = seeds.iter().filter(|s| s.target == t).collect();
        for s in &mine {
            std::fs::write(dir.join(format!("seed-{}", s.name)), &s.data)?;
        }
        println!("{t}: {} seeds in {}", mine.len(), dir.display());
    }
    Ok(())
}
