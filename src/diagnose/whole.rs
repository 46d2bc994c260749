//! The causes that only the whole report shows: a session's two legs through a proxy
//! judged together, connections sharing an application identity linked (and a session taken
//! over named), the status of a connection still open in an input that stops early or
//! that dropped packets, and the note on a plaintext back leg whose client's leg stayed
//! encrypted; a session seen at two points of its path read as one (`points`).
//!
//! In: every connection's report (in memory, or in a [`Store`]) and the input summaries.
//! Out: the finished [`Report`] ([`Report::new`], [`Report::from_store`]); nothing reads a
//! stored report back to decide anything after this.

use super::{app, incidents, legs, points, proxied};
use crate::report::{locate, tls, ConnectionReport, Report, Seen, StatusKey, Store};
use crate::vocab::InputSummary;

/// A connection "still open" in a file that stops early may well have closed after it,
/// and in one that says packets were dropped (`InputSummary::dropped`) its end may be in
/// them: its status says so instead.
pub fn mark_cut(inputs: &[InputSummary], c: &mut ConnectionReport) {
    match inputs.get(c.last_input) {
        Some(i) if i.truncated => super::status::cut(&mut c.status),
        Some(i) if i.dropped > 0 => super::status::dropped(&mut c.status, i.dropped),
        _ => {}
    }
}

impl Report {
    /// The report of `connections` read from `inputs`: sorted, numbered and finished.
    pub fn new(
        inputs: Vec<InputSummary>,
        mut connections: Vec<ConnectionReport>,
        mut seen: Seen,
    ) -> Report {
        // Keys are unique (one packet starts one TCP connection, and its HTTP/2 WebSockets
        // differ by stream), so an in-place unstable sort is deterministic and needs no
        // scratch copy of the reports.
        connections.sort_unstable_by_key(|c| (c.input, c.first_packet, c.h2_stream));
        for (i, c) in connections.iter_mut().enumerate() {
            c.id = i as u64 + 1;
        }
        // A session seen at two points is one session (numbered again without the other).
        points::join_vec(&mut connections, &inputs);
        legs::link_vec(&mut connections, &inputs, proxied::link);
        // The trails (kept for the points and the legs at two points) go.
        for c in &mut connections {
            c.trail = None;
        }
        app::link(&mut connections);
        app::link_polling(&mut connections, &seen.polling);
        for c in &mut connections {
            proxied::mark_behind_encrypted(c, &seen.encrypted);
        }
        let refusals = incidents::refusals_of(&mut seen);
        let out = incidents::link_vec(&mut connections, refusals, &seen);
        let mut r = Report::build(inputs, connections, None, seen);
        r.decodes_subprotocol = crate::app::decodes_subprotocol;
        r.set_incidents(out);
        r
    }

    /// A report whose connections stay in `store` (sorted and numbered here).
    pub fn from_store(inputs: Vec<InputSummary>, mut store: Store, mut seen: Seen) -> Report {
        store.sort();
        // A session seen at two points is one session: its other view removed, the store
        // sorted again (failing to read back or write a report leaves both, nothing worse).
        if let Ok(Some(note)) = points::join_store(&mut store, &inputs) {
            seen.temp_notes.push(note);
        }
        // Failing to read back or write a report leaves the legs unlinked, nothing worse.
        // The legs at two points read their handshakes' times from the pairs' trails.
        let legs: Vec<(u32, u32)> = legs::link_store(&mut store, &inputs, proxied::link)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(f, b)| Some((u32::try_from(f).ok()?, u32::try_from(b).ok()?)))
            .collect();
        // Nothing reads a trail after (and each report read back would copy its own).
        store.drop_trails();
        let _ = app::link_store(&mut store);
        let _ = app::link_polling_store(&mut store, &seen.polling);
        // Failing to read back or write a report leaves it as it was made, nothing worse.
        let _ = finish_store(&mut store, &inputs, &seen.encrypted);
        // The incidents, from the endings the store kept as its reports were filled: no
        // report is read back for them; each gets its links as it is shown.
        let outages = store.incidents_mut().take_outages();
        let saids = store.incidents_mut().take_saids();
        let endings = store.take_endings();
        let refusals = incidents::refusals_of(&mut seen);
        let out = incidents::find(endings, saids, &legs, &outages, refusals, &seen);
        let mut r = Report::build(inputs, Vec::new(), Some(store), seen);
        r.decodes_subprotocol = crate::app::decodes_subprotocol;
        r.set_incidents(out);
        r
    }
}

/// Says in the stored reports what needs every input read: the status of a connection still
/// open in an input that stops early ([`mark_cut`]), and the note on a back leg whose
/// client's leg stayed encrypted ([`proxied::mark_behind_encrypted`]). Only the reports
/// that may change are read back, and only those that do are written again: none when no
/// input was cut and no TLS connection stayed encrypted.
fn finish_store(
    store: &mut Store,
    inputs: &[InputSummary],
    encrypted: &[tls::EncryptedReport],
) -> std::io::Result<()> {
    let cut = inputs.iter().any(|i| i.truncated || i.dropped > 0);
    if !cut && encrypted.is_empty() {
        return Ok(());
    }
    let open: Vec<bool> = store.statuses().map(|k| k == StatusKey::Open).collect();
    let mut buf = Vec::new();
    for (i, open) in open.into_iter().enumerate() {
        if encrypted.is_empty() && !open {
            continue;
        }
        let mut c = store.get(i, &mut buf)?;
        let made = c.status.clone();
        c.last_input = locate(inputs, c.input, c.last_packet).0;
        mark_cut(inputs, &mut c);
        proxied::mark_behind_encrypted(&mut c, encrypted);
        if c.status != made {
            store.replace(i, c)?;
        }
    }
    Ok(())
}
