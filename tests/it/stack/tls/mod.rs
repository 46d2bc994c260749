//! wss:// captures recorded from real TLS stacks (fixtures/tls, see fixtures/README.md):
//! with the key log their library wrote, each gives the close frames, packets and TLS
//! facts tshark shows with the same key log; without it, or with a wrong one, the
//! connection is listed as encrypted and says why, and no close code is made up. One module
//! per subject; this one holds the helpers they share.

use crate::common::skip;

use std::path::PathBuf;
use wsclose::__internals::analyzer::Options;
use wsclose::keys::KeySources;
use wsclose::report::{ConnectionReport, Report};
use wsclose::vocab::Role;

mod app_ending;
mod decrypted;
mod encrypted;
mod firefox;
mod keylogs;
mod rustls_captures;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/tls")
        .join(name)
}

/// The report of `capture` read with the key logs `keylogs` (and nothing from the
/// environment).
fn analyze(capture: &str, keylogs: &[&str]) -> Report {
    let keys = KeySources {
        files: keylogs.iter().map(|k| fixture(k)).collect(),
        env: None,
    };
    let mut r =
        wsclose::analyze_files_with_progress(&[fixture(capture)], Options::default(), &keys, None)
            .expect("the capture is read");
    r.load().expect("reports in memory");
    r
}

fn only(r: &Report) -> &ConnectionReport {
    assert_eq!(r.connections.len(), 1, "one WebSocket session");
    &r.connections[0]
}

/// (from, code, reason, packet) of every close frame, in order.
fn closes(c: &ConnectionReport) -> Vec<(String, Option<u16>, String, u64)> {
    c.close_frames
        .iter()
        .map(|f| (f.from.to_string(), f.code, f.reason.clone(), f.packet))
        .collect()
}

fn close(from: &str, code: u16, reason: &str, packet: u64) -> (String, Option<u16>, String, u64) {
    (from.to_string(), Some(code), reason.to_string(), packet)
}
