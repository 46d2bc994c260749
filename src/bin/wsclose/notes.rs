//! The notes `analyze`, `annotate` and `extract` say on standard error from the analysis'
//! counters: what the key logs gave, the connections a cap ended early (with the flag to
//! raise), and how the inputs were taken (rotated files joined, or read on their own).

use crate::{cli, plural};
use wsclose::sanitize::terminal;

/// On standard error: the lines of the key logs that could not be used (the first few of
/// each, and a count of the rest), a `SSLKEYLOGFILE` that could not be read, and with
/// `-v` what each key log gave.
pub(crate) fn key_log_notes(
    logs: &[wsclose::vocab::KeySource],
    warnings: &[String],
    verbose: bool,
) {
    for w in warnings {
        note!("wsclose: warning: {}", terminal(w));
    }
    for k in logs {
        if let Some(e) = &k.error {
            note!(
                "wsclose: warning: key log {}: {}",
                terminal(&k.source.to_string()),
                terminal(e)
            );
        } else if verbose {
            let unmatched = match k.unmatched_lines {
                0 => String::new(),
                n => format!(
                    " ({} for connections not in the capture)",
                    plural(n, "line")
                ),
            };
            note!(
                "wsclose: key log {}: the secrets of {}{unmatched}",
                terminal(&k.source.to_string()),
                plural(k.connections as u64, "TLS connection")
            );
        }
    }
}

/// On standard error, once per cap, how many connections a cap ended before they did and
/// which flag to raise (the report marks each of them evicted).
pub(crate) fn evictions_note(seen: &wsclose::report::Seen, limits: &cli::LimitArgs) {
    if seen.evicted_max_flows > 0 {
        note!(
            "wsclose: warning: {} were evicted while still open because more than --max-flows ({}) were open at once; the report marks them evicted (how they ended is not in it): raise --max-flows to follow them to their end",
            plural(seen.evicted_max_flows, "TCP connection"),
            limits.max_flows
        );
    }
    if seen.shed_buffers > 0 || seen.evicted_max_memory > 0 {
        let mut what = Vec::new();
        if seen.shed_buffers > 0 {
            what.push(format!(
                "{} gave up the out-of-order bytes they held (the holes before them are gaps)",
                plural(seen.shed_buffers, "TCP connection")
            ));
        }
        if seen.evicted_max_memory > 0 {
            what.push(format!(
                "{} were evicted while still open (the report marks them evicted; how they ended is not in it)",
                plural(seen.evicted_max_memory, "TCP connection")
            ));
        }
        note!(
            "wsclose: warning: the connections in flight reached --max-memory ({} MiB): {}; raise --max-memory to keep them",
            limits.max_memory >> 20,
            what.join("; ")
        );
    }
    if seen.evicted_idle > 0 {
        note!(
            "wsclose: note: {} went without a packet for more than --idle-timeout ({} s) and were finished there; the report marks them evicted: raise --idle-timeout if they were only quiet",
            plural(seen.evicted_idle, "TCP connection"),
            limits.idle_timeout
        );
    }
}

/// On standard error, how inputs were taken: each run of rotated files read as one capture
/// (one line for the run), the first input after the first read on its own with why, and
/// the others read on their own in one line (many separate recordings given together are
/// the usual case, not news: the JSON's `continuity` gives each one's reason).
pub(crate) fn joins_note(inputs: &[wsclose::InputSummary]) {
    use cli::file_name;
    let name = |i: usize| terminal(&file_name(&inputs[i].path)).into_owned();
    // The inputs read on their own after the first one explained: (count, first, last).
    let mut alone: Option<(usize, usize, usize)> = None;
    let mut i = 0;
    while i < inputs.len() {
        // The inputs that continue input `i`.
        let mut last = i;
        for (j, next) in inputs.iter().enumerate().skip(i + 1) {
            if next.continues_previous {
                last = j;
            } else if next.packets > 0 || next.error.is_none() && next.continuity.is_none() {
                break;
            }
        }
        if last > i {
            let files = inputs[i..=last].iter().filter(|x| x.packets > 0).count();
            let second = inputs[i + 1..=last]
                .iter()
                .position(|x| x.continues_previous)
                .map_or(last, |k| i + 1 + k);
            note!(
                "wsclose: {} to {} ({files} files) read as one capture, each continuing the one before (rotated files); packets are numbered on across them ({}'s packet 1 is packet {})",
                name(i),
                name(last),
                name(second),
                inputs[second].packet_offset + 1
            );
        } else if i > 0
            && inputs[i].packets > 0
            && inputs[i].continuity.is_some()
            && !inputs[i].unrelated
        {
            match &mut alone {
                None => {
                    note!(
                        "wsclose: {} read as a capture of its own: {}",
                        name(i),
                        terminal(inputs[i].continuity.as_deref().unwrap_or_default())
                    );
                    alone = Some((0, i, i));
                }
                Some((n, first, end)) => {
                    if *n == 0 {
                        *first = i;
                    }
                    *n += 1;
                    *end = i;
                }
            }
        }
        i = last + 1;
    }
    if let Some((n, first, end)) = alone.filter(|(n, ..)| *n > 0) {
        let which = if n == 1 {
            name(first)
        } else {
            format!("{} to {} ({n} files)", name(first), name(end))
        };
        note!(
            "wsclose: {which} read as captures of their own too, each for its reason (`continuity` in --format json)"
        );
    }
}

/// Why no WebSocket connection was found, from what the analysis saw: the packets and TCP
/// connections, what the snap length cut, what could not be decoded, refused tunnels.
pub(crate) fn nothing_found(s: &wsclose::report::Seen) -> String {
    format!(
        "no WebSocket connection found: {}, {} in {} (none asked for a WebSocket upgrade or carried WebSocket frames{}), {} other, {} with cut or damaged headers{}{}",
        plural(s.packets, "packet"),
        plural(s.tcp_packets, "TCP packet"),
        plural(s.tcp_connections, "TCP connection"),
        // What the snap length cut off is unknown: an upgrade may be in it.
        if s.snaplen_cut_packets > 0 {
            let n = s.snaplen_cut_packets;
            let were = if n == 1 { "packet was" } else { "packets were" };
            format!(
                " in the bytes captured; {n} {were} cut by the snap length, so one may be in what is missing"
            )
        } else {
            String::new()
        },
        s.other_packets,
        s.malformed_packets,
        if s.unsupported_link_types.is_empty() {
            String::new()
        } else {
            format!(
                ", undecoded link types: {}",
                s.unsupported_link_types.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        },
        if s.refused_tunnels > 0 {
            let n = s.refused_tunnels;
            format!(
                "; {n} CONNECT tunnel{} refused by a forward proxy, none shown to be for a WebSocket",
                if n == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        }
    )
}
