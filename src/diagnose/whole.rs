//! The causes that only the whole report shows: a session's two legs through a proxy
//! judged together, connections sharing an application identity linked (and a session taken
//! over named), the status of a connection still open in an input that stops early or
//! that dropped packets, and the note on a plaintext back leg whose client's leg stayed
//! encrypted.
//!
//! In: every connection's report (in memory, or in a [`Store`]) and the input summaries.
//! Out: the finished [`Report`] ([`Report::new`], [`Report::from_store`]); nothing reads a
//! stored report back to decide anything after this.

use super::{app, proxied};
use crate::report::legs;
use crate::report::{locate, tls, ConnectionReport, Report, Seen, StatusKey, Store};
use crate::vocab::{IncidentKind, InputSummary};

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
        legs::link_vec(&mut connections, proxied::link);
        app::link(&mut connections);
        app::link_polling(&mut connections, &seen.polling);
        for c in &mut connections {
            proxied::mark_behind_encrypted(c, &seen.encrypted);
        }
        let refusals = refusals_of(&mut seen);
        let out = crate::report::incidents::link_vec(&mut connections, refusals);
        let mut r = Report::build(inputs, connections, None, seen);
        r.set_incidents(out);
        r
    }

    /// A report whose connections stay in `store` (sorted and numbered here).
    pub fn from_store(inputs: Vec<InputSummary>, mut store: Store, mut seen: Seen) -> Report {
        store.sort();
        // Failing to read back or write a report leaves the legs unlinked, nothing worse.
        let legs: Vec<(u32, u32)> = crate::report::store::link_store(&mut store, proxied::link)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(f, b)| Some((u32::try_from(f).ok()?, u32::try_from(b).ok()?)))
            .collect();
        let _ = app::link_store(&mut store);
        let _ = app::link_polling_store(&mut store, &seen.polling);
        // Failing to read back or write a report leaves it as it was made, nothing worse.
        let _ = finish_store(&mut store, &inputs, &seen.encrypted);
        // The incidents, from the endings the store kept as its reports were filled: no
        // report is read back for them; each gets its links as it is shown.
        let outages = store.incidents_mut().take_outages();
        let endings = store.take_endings();
        let after = crate::incident::after::link(&endings, refusals_of(&mut seen));
        let mut out = crate::incident::detect_with(endings, &legs, &outages);
        out.links.set_after(after);
        let mut r = Report::build(inputs, Vec::new(), Some(store), seen);
        r.set_incidents(out);
        r
    }
}

/// The refused connection attempts `seen` kept, taken out, with a note in its `temp_notes`
/// (the report's warnings) when some were left out for want of room.
fn refusals_of(seen: &mut Seen) -> crate::incident::Refusals {
    let mut refusals = std::mem::take(&mut seen.refusals);
    let left_out = refusals.left_out();
    if left_out > 0 {
        seen.temp_notes.push(format!(
            "{left_out} refused connection attempts (a SYN answered by a RST) were not kept: \
             they hold a two-hundred-and-fifty-sixth of --max-memory, so the refusals that \
             came last are not cited after the sessions they followed; raise --max-memory \
             to see them"
        ));
    }
    refusals
}

impl Report {
    /// Takes in what the incident stage found, and says when it kept only so many.
    fn set_incidents(&mut self, mut out: crate::incident::Outcome) {
        // A stop's or restart's attempts refused in TCP while the server was down.
        let mut coarse = crate::incident::refused::count(&mut out.incidents, &self.seen.refused);
        coarse.extend(crate::incident::refused::count_tls(
            &mut out.incidents,
            &self.seen.tls_refused,
        ));
        // A stop that became a restart its clients reject: its members in memory, whose
        // causes were written with the stop's kind, name the new one.
        for c in &mut self.connections {
            let Some(i) = c
                .incident
                .and_then(|id| out.incidents.iter().find(|i| i.id == id))
                .filter(|i| i.kind == IncidentKind::TlsRejectedRestart)
            else {
                continue;
            };
            let mut causes = std::mem::take(&mut c.status.causes);
            for k in &mut causes {
                if let crate::report::cause::Cause::IncidentMember { incident_kind, .. } = k {
                    *incident_kind = i.kind;
                }
            }
            c.status = crate::report::Status::of(causes);
        }
        if !coarse.is_empty() {
            let ids: Vec<String> = coarse.iter().map(u32::to_string).collect();
            self.warnings.push(format!(
                "the connection attempts refused in TCP were counted in spans of {} (their \
                 counters filled their part of --max-memory, so each span was doubled): the \
                 `refused` of incident {} may count attempts up to that long before or after \
                 it; raise --max-memory to count them to the tenth of a second",
                crate::incident::seconds(self.seen.refused.span_ns() as f64 / 1e9),
                ids.join(", ")
            ));
        }
        // Said only where a figure rests on the counters: a server stop's or restart's
        // `refused` (a port scan of a capture with no WebSocket loses nothing it reports).
        let counted = out.incidents.iter().any(|i| {
            matches!(
                i.kind,
                IncidentKind::ServerStop | IncidentKind::ServerRestart | IncidentKind::CrashLoop
            )
        });
        if self.seen.refused.not_kept > 0 && counted {
            self.warnings.push(format!(
                "{} connection attempts refused in TCP (SYN answered by RST or not at all) \
                 were not counted: their counters reached the part of --max-memory kept for \
                 them, so an incident's `refused` may be short; raise --max-memory to count \
                 them all",
                self.seen.refused.not_kept
            ));
        }
        if out.left_out > 0 {
            self.warnings.push(format!(
                "{} more incidents were found than the {} kept: their connections are not \
                 marked as members of one",
                out.left_out,
                crate::incident::MAX_INCIDENTS
            ));
        }
        self.incidents = out.incidents;
        self.links = out.links;
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
