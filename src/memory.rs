//! The arithmetic of the memory budget (`--max-memory`): its least and default sizes, the
//! part set aside for the program and the reports, what the read buffers, the reports kept
//! without a disk and the key logs read whole may take. In: a `max_memory`. Out: bytes.
//! A leaf: the analyzer's per-group accounting (`analyzer::budget`), the key logs (`keys`),
//! the layers that charge what they hold (`stack::tls`, `stack::h2`) and the readers all
//! size themselves from here, and it imports nothing of theirs.

/// A connection's TLS secrets from a key log: its slot in the table of client randoms and
/// its boxed secrets (90 000 TLS 1.2 `CLIENT_RANDOM` lines, one connection each, took
/// 37.5 MiB of peak RSS more than none: 437 bytes each).
pub const KEY_BYTES: usize = 448;

/// The shortest key-log line that is a connection of its own: a TLS 1.2 `CLIENT_RANDOM`
/// line (label, 64 hex digits of client random, 96 of master secret, spaces and newline),
/// whose secrets take [`KEY_BYTES`]: 2.55 bytes of memory per byte of log at most (TLS 1.3
/// logs five lines a connection: about 0.6 a byte).
pub const KEY_LINE: usize = 176;

/// Key-log files up to this size together are read whole under `max_memory`: their secrets
/// take at most a sixteenth of it (a connection per 176-byte line): 25 MiB of key log
/// at the default 1 GiB, 800 KiB at the least budget. Larger ones keep only the secrets of
/// the connections whose ClientHello the captures hold (`keys::load`).
pub fn key_log_whole(max_memory: usize) -> u64 {
    (max_memory.max(MIN_MAX_MEMORY) / 16 / KEY_BYTES * KEY_LINE) as u64
}

/// An HTTP/2 layer: its streams' table and two HPACK tables of 4 KiB.
pub const H2_BYTES: usize = 16 << 10;

/// An HTTP/2 WebSocket stream of a connection, beside what its decoders keep: its session
/// (handshake, frame decoders' state, logs, the application tracker), its slot in the
/// stream table and its entry in the table of stream ids. What its decoders may keep past
/// that (last words and, where permessage-deflate was agreed, each direction's inflater at
/// its window: `Session::last_words_bytes`) is charged on top, as for an HTTP/1.1
/// WebSocket (`H2Layer::stream_bytes`).
pub const STREAM_BYTES: usize = 4 << 10;

/// The least `--max-memory` taken: below it the part set aside (`memory::reserved`) leaves the
/// flows next to nothing.
pub const MIN_MAX_MEMORY: usize = 32 << 20;

/// The default budget: 1 GiB.
pub const DEFAULT_MAX_MEMORY: usize = 1 << 30;

/// The part of `max_memory` not spent on flows: 16 MiB for the program, its read buffers
/// and threads, and an eighth for the reports kept in memory and the allocator's slack.
pub fn reserved(max_memory: usize) -> usize {
    (16 << 20) + max_memory / 8
}

/// What the chunks a large file is read in may take together, when several threads share
/// it (`capture::shared`): the other sixteenth of `max_memory` (the eighth [`reserved`]
/// less the reports' [`reports_without_disk`]); the chunks are smaller where it is short.
pub fn read_room(max_memory: usize) -> usize {
    max_memory / 16
}

/// A TLS connection listed in `seen.encrypted` (`report::tls::EncryptedReport`: its
/// endpoints, TLS facts, reason and advice; 720 bytes of heap each, measured on 10 000),
/// rounded up, beside the JSON it renders to (1.6 KB each, written whole with `seen`).
pub const ENCRYPTED_BYTES: usize = 1 << 10;

/// The part of `max_memory` the list of encrypted connections may take (a sixty-fourth,
/// taken from the flows' part): 512 KiB at the least budget.
pub fn encrypted_room(max_memory: usize) -> usize {
    max_memory.max(MIN_MAX_MEMORY) / 64
}

/// Encrypted connections listed one by one under `max_memory` (the rest only counted): as
/// many as [`encrypted_room`] holds, at most 10 000 (the default budget lists 10 000; 1 024 at
/// `--max-memory 64M`).
pub fn encrypted_listed(max_memory: usize) -> usize {
    (encrypted_room(max_memory) / ENCRYPTED_BYTES).min(10_000)
}

/// The part of `max_memory` the index that links the legs of proxied sessions may take
/// (`report::legs::Index`: a few hundred bytes per WebSocket connection with a key or a
/// path, kept to the end of the input): a thirty-second, taken from the flows' part.
pub fn legs_room(max_memory: usize) -> usize {
    max_memory.max(MIN_MAX_MEMORY) / 32
}

/// A finished report kept in memory (most are 1 to 3 KiB; frame logs make them larger).
pub const REPORT_BYTES: usize = 2 << 10;

/// Finished reports that may stay in memory when no temporary file can hold them: as many
/// as a sixteenth of `max_memory` holds (half of the eighth [`reserved`] beside the
/// program), so that an unusable TMPDIR does not take memory past the budget.
pub fn reports_without_disk(max_memory: usize) -> usize {
    max_memory / 16 / REPORT_BYTES
}

/// The part of `max_memory` the counters of connection attempts refused in TCP may take
/// (`incident::RefusedCounts`: one per server, tenth of a second and refusing RST's TTL with a
/// refusal, and one per server for the TTLs of its own packets, kept to the end of the input):
/// a two-hundred-fifty-sixth, taken from the flows' part (128 KiB, some 1 300 counters at 98
/// bytes each, at the least budget).
pub fn refused_room(max_memory: usize) -> usize {
    max_memory.max(MIN_MAX_MEMORY) / 256
}

/// The part of `max_memory` the CONNECT tunnels kept to the end of the input may take
/// (`analyzer::tunnels`: the keys of tunnels that carried a WebSocket, a few hundred bytes
/// each, and refused CONNECTs that showed none, with their reports at [`REPORT_BYTES`]):
/// a thousand-and-twenty-fourth, taken from the flows' part (some 400 refused CONNECTs
/// at the default budget).
pub fn tunnels_room(max_memory: usize) -> usize {
    max_memory.max(MIN_MAX_MEMORY) / 1024
}

/// The part of `max_memory` the counters of TLS handshakes their clients refused may take
/// (`incident::RefusedCounts` as [`refused_room`]'s, for the incidents' `refused_tls`): a
/// thousand-and-twenty-fourth, taken from the flows' part.
pub fn tls_refused_room(max_memory: usize) -> usize {
    max_memory.max(MIN_MAX_MEMORY) / 1024
}

/// The part of `max_memory` the incident stage's endings may take (`incident::Index`: one
/// summary of 160 bytes per WebSocket connection, twice that with the sweeps' work
/// vectors, 32 bytes more for their list of accepted sessions, kept to the end of the input,
/// what their sides said, each distinct value once, and the incidents they can make, one per
/// three endings, at most 1 000, at `incident::INCIDENT_BYTES`, 5 504 bytes, each:
/// `incident::endings_in`): a thirty-second, taken from the flows' part (32 MiB at the
/// default budget: 79 688 connections; 1 MiB, 479, at the least).
pub fn incidents_room(max_memory: usize) -> usize {
    max_memory.max(MIN_MAX_MEMORY) / 32
}

/// The part of `max_memory` the metrics' label sets may take (`--metrics`: one per server,
/// status, closing side and cause seen, a few hundred bytes each): a two-hundred-and-fifty-
/// sixth, taken from the flows' part when the capture is tapped with it (`Taps::beside`):
/// 128 KiB, some 500 label sets, at the least budget; 4 MiB at the default.
pub fn metrics_room(max_memory: usize) -> usize {
    max_memory.max(MIN_MAX_MEMORY) / 256
}

/// The part of `max_memory` the refused connection attempts may take (`incident::Refusals`:
/// one record of 72 bytes per SYN answered by a RST, twice that while it is cut back, kept
/// to the end of the input): a two-hundred-and-fifty-sixth, taken from the flows' part (4
/// MiB at the default budget: some 29 000 attempts; the earliest are kept).
pub fn refusals_room(max_memory: usize) -> usize {
    max_memory.max(MIN_MAX_MEMORY) / 256
}
