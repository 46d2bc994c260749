//! The integration tests: one test binary (issue 86), its modules laid out like `src/`
//! (`app/` tests `src/app`, `stack/tls/` tests `src/stack/tls`, ...), with the whole-tool
//! tests (every fixture, the corpus, the mutants, the README's sample, the project's
//! conventions) at the top. What comes in: the crate's public API, its `__internals`, the
//! `wsclose` binary (`CARGO_BIN_EXE_wsclose`), the recorded fixtures and `../shared`; what
//! goes out: only each test's verdict.
//!
//! One binary, not one per file: the crate and the helpers of `common/` are compiled and
//! linked once, so a change to `src/` relinks one test binary instead of 63. The tests
//! that need a process of their own stay their own binaries beside this one, each saying
//! why at its top (tests/memory.rs).
//!
//! Run one topic with a filter on the module path (`cargo test --test it render::`), the
//! long tests, ignored in a plain `cargo test`, with `--ignored` and the filters `.ci/run`
//! gives (tests/it/conventions.rs checks that it names each one's module).

mod common;
// The benchmark corpus generator, shared with `examples/gen_capture.rs`.
#[path = "../../examples/gen/mod.rs"]
mod gen;

mod analyzer;
mod annotate;
mod app;
mod capture;
mod cli;
mod conventions;
mod corpus;
mod decode;
mod diagnose;
mod extract;
mod fixtures;
mod freeze;
mod generated;
mod mutation;
mod readme;
mod render;
mod report;
mod stack;
mod websocket;
