//! `--format csv`: one row per connection with a header row, quoted by the csv crate.
//!
//! In: a [`Report`] (connections in memory or in a store). Out: CSV for spreadsheets and
//! scripts, written a few hundred rows at a time. Columns: id, input, client,
//! server, host, path, status code, status name, inferred, initiator, client/server close
//! code and reason, tcp end and by whom, evidence, violations, first and last packet, evicted (why
//! wsclose stopped following it early, if it did), transport, HTTP/2 stream, other leg, and the
//! packet of an RST the side that ended TCP first sent after its FIN, the TCP connection's
//! Community ID (empty when redacted), its start and end (RFC 3339) and duration in seconds,
//! and the endpoints split as the records split them (`client_ip`, `client_port`,
//! `server_ip`, `server_port`; IPv6 as RFC 5952 writes it, a pseudonym when redacted), what
//! the capture shows (`detail`: the status's causes in the words Markdown's and HTML's
//! sections give them, `report::facts`), the causes' kinds (`causes`) and the capture notes'
//! (`notes`), so that a new cause or finding reaches the CSV with no edit here. With `--timeline` ([`write_timeline`]), one
//! row per frame instead; the frames that fell out of the frame log are said apart from the
//! CSV ([`left_out_note`], on standard error).

use crate::report::{ConnectionReport, Report};
use crate::vocab::Role;
use std::io::{self, Write};

const HEADER: [&str; 37] = [
    "id",
    "input",
    "client",
    "server",
    "host",
    "path",
    "status_code",
    "status_name",
    "inferred",
    "initiator",
    "client_close_code",
    "client_close_reason",
    "server_close_code",
    "server_close_reason",
    "tcp_end",
    "tcp_end_by",
    "evidence",
    "violations",
    "findings",
    "first_packet",
    "last_packet",
    "evicted",
    "transport",
    "h2_stream",
    "other_leg",
    "tcp_rst_after_fin",
    "community_id",
    "start",
    "end",
    "duration_s",
    "client_ip",
    "client_port",
    "server_ip",
    "server_port",
    "detail",
    "causes",
    "notes",
];

/// Rows written per round (each round is sanitized and written out as one piece).
const CHUNK: usize = 512;

/// Writes the header and one row per connection shown.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    write_rows(std::iter::once(HEADER.map(String::from)), out)?;
    report.for_each_chunk(CHUNK, |chunk| {
        write_rows(chunk.iter().map(|c| row(report, c)), out)
    })
}

/// The header of `--timeline`'s CSV: one row per frame.
const TIMELINE_HEADER: [&str; 11] = [
    "connection",
    "packet",
    "time",
    "seconds_since_start",
    "from",
    "opcode",
    "fin",
    "rsv",
    "masked",
    "length",
    "preview",
];

/// `--timeline`: one row per frame of every connection shown (its id, packet, time, time
/// since the connection's first packet, side, opcode, flags, length, preview), which joins
/// the per-connection CSV on `connection` = `id`. Returns the connections whose earlier
/// frames fell out of the frame log, with how many (id, frames): the CSV cannot say it
/// itself (see [`left_out_note`]).
pub fn write_timeline(report: &Report, out: &mut dyn Write) -> io::Result<Vec<(u64, u64)>> {
    write_rows(std::iter::once(TIMELINE_HEADER.map(String::from)), out)?;
    let mut left_out = Vec::new();
    report.for_each_chunk(CHUNK, |chunk| {
        left_out.extend(chunk.iter().filter_map(|c| {
            c.timeline_frames_left_out()
                .filter(|n| *n > 0)
                .map(|n| (c.id, n))
        }));
        let rows = chunk.iter().flat_map(|c| {
            c.timeline.iter().flatten().map(move |f| {
                [
                    c.id.to_string(),
                    f.packet.to_string(),
                    f.ts.rfc3339(),
                    format!("{:.6}", f.ts.since(c.start).max(0.0)),
                    f.from.to_string(),
                    f.opcode.name().to_string(),
                    f.fin.to_string(),
                    format!("{:03b}", f.rsv),
                    f.masked.to_string(),
                    f.len.to_string(),
                    f.detail.clone().unwrap_or_default(),
                ]
            })
        });
        write_rows(rows, out)
    })?;
    Ok(left_out)
}

/// Connections named at most by [`left_out_note`]; the rest are counted.
const NAMED: usize = 5;

/// What `--timeline`'s CSV leaves out, for standard error: `None` when every frame is in
/// it. Every row of that CSV is a frame with the same columns (RFC 4180), which is what its
/// readers count on (a reader such as the csv crate's refuses a row of another length, and
/// a typed one a row of other values), so the note is not a row, nor a comment, which CSV
/// has not.
pub fn left_out_note(left_out: &[(u64, u64)]) -> Option<String> {
    let (first, rest) = left_out.split_at(left_out.len().min(NAMED));
    if first.is_empty() {
        return None;
    }
    let named: Vec<String> = first
        .iter()
        .map(|(id, n)| format!("{n} earlier frames of connection {id}"))
        .collect();
    let more = match rest.len() {
        0 => String::new(),
        1 => " and earlier frames of 1 more connection".to_string(),
        n => format!(" and earlier frames of {n} more connections"),
    };
    Some(format!(
        "--timeline: {}{more} fell out of the frame log (it keeps the last 100 000 each way) and are not in the CSV",
        named.join(", ")
    ))
}

/// Quotes `rows` (each record stands alone in CSV, so pieces give the same bytes as the
/// whole) and writes them. Quoting keeps the structure; a cell a spreadsheet would run as a
/// formula gets a `'` in front (`sanitize::spreadsheet`); escape sequences still must not
/// reach a terminal.
fn write_rows<R: IntoIterator<Item = String>>(
    rows: impl Iterator<Item = R>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.write_record(r.into_iter().map(crate::sanitize::spreadsheet))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| io::Error::other(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(io::Error::other)?;
    out.write_all(crate::sanitize::csv(&text).as_bytes())
}

/// The CSV as a string (tests, small reports).
pub fn render(report: &Report) -> String {
    super::text::string_of(|buf| write(report, buf))
}

fn row(report: &Report, c: &ConnectionReport) -> [String; HEADER.len()] {
    let close = |r: Role| c.close_frames.iter().find(|f| f.from == r);
    let (client_ip, client_port) = crate::report::record::split(&c.client);
    let (server_ip, server_port) = crate::report::record::split(&c.server);
    let code = |r: Role| {
        close(r).map_or(String::new(), |f| {
            f.code.map_or("empty".into(), |v| v.to_string())
        })
    };
    let reason = |r: Role| close(r).map_or(String::new(), |f| f.reason.clone());
    let kinds = |violation: bool| -> Vec<&str> {
        c.findings
            .iter()
            .filter(|f| f.kind.is_violation() == violation)
            .map(|f| f.kind.as_str())
            .collect()
    };
    let (violations, notes) = (kinds(true), kinds(false));
    let shows = crate::report::facts::plain(&crate::report::facts::shows(c));
    [
        c.id.to_string(),
        report
            .inputs
            .get(c.input)
            .map_or(String::new(), |i| i.path.clone()),
        c.client.to_string(),
        c.server.to_string(),
        c.handshake.host.clone().unwrap_or_default(),
        c.handshake.path.clone().unwrap_or_default(),
        c.status.code.map_or(String::new(), |v| v.to_string()),
        c.status.name.to_string(),
        c.status.inferred.to_string(),
        // Who started the closing handshake, by the rule "Closed by" follows.
        crate::report::facts::closed_by(c)
            .initiator()
            .map_or(String::new(), |r| r.to_string()),
        code(Role::Client),
        reason(Role::Client),
        code(Role::Server),
        reason(Role::Server),
        c.tcp_end().to_string(),
        c.tcp_end_by().map_or(String::new(), |r| r.to_string()),
        c.evidence
            .as_ref()
            .map_or(String::new(), |e| e.summary.clone()),
        violations.join(" "),
        c.findings.len().to_string(),
        c.first_packet.to_string(),
        c.last_packet.to_string(),
        // "max_flows", "idle_timeout" or "max_memory": a cap ended it before it did.
        c.evicted.map_or(String::new(), |e| e.name().to_string()),
        c.transport.to_string(),
        c.h2_stream.map_or(String::new(), |n| n.to_string()),
        c.other_leg.map_or(String::new(), |n| n.to_string()),
        // The packet of an RST the side that ended TCP first sent after its FIN.
        c.tcp_ends
            .first()
            .and_then(|e| e.rst_after_fin)
            .map_or(String::new(), |r| r.packet.to_string()),
        // Empty when redacted, as the JSON's is null.
        c.community_id().unwrap_or_default(),
        c.start.rfc3339(),
        c.end.rfc3339(),
        format!("{:.6}", c.duration_s),
        client_ip,
        client_port.map_or(String::new(), |p| p.to_string()),
        server_ip,
        server_port.map_or(String::new(), |p| p.to_string()),
        // What the capture shows: every cause in the words Markdown's and HTML's sections
        // give it (`report::facts`, the fact of kind `Shows`), and the causes' kinds.
        shows,
        c.status
            .causes
            .iter()
            .map(|k| k.kind())
            .collect::<Vec<_>>()
            .join(" "),
        // The capture notes (the findings that are no violation), by kind.
        notes.join(" "),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_names_a_few_connections_and_counts_the_rest() {
        assert_eq!(left_out_note(&[]), None);
        assert_eq!(
            left_out_note(&[(3, 12)]).unwrap(),
            "--timeline: 12 earlier frames of connection 3 fell out of the frame log (it keeps the last 100 000 each way) and are not in the CSV"
        );
        let many: Vec<(u64, u64)> = (1..=7).map(|i| (i, i * 10)).collect();
        let note = left_out_note(&many).unwrap();
        assert!(
            note.contains(
                "10 earlier frames of connection 1, 20 earlier frames of connection 2, "
            ) && note.contains(
                "50 earlier frames of connection 5 and earlier frames of 2 more connections fell out"
            ),
            "{note}"
        );
    }

    /// Close reasons, a host and a path that a spreadsheet would run as formulas come out
    /// as text (a `'` in front), everything else as it was.
    #[test]
    fn formulas_from_the_wire_are_neutralized() {
        let mut report = crate::report::repeated_fixture_report(1);
        report.connections.truncate(1);
        let c = &mut report.connections[0];
        let hostile = "=HYPERLINK(\"http://evil.example/\",\"click\")";
        assert!(!c.close_frames.is_empty());
        for f in &mut c.close_frames {
            f.reason = hostile.into();
        }
        c.handshake.host = Some("+cmd|' /C calc'!A0".into());
        c.handshake.path = Some("@SUM(1+1)".into());
        let from = c.close_frames[0].from;
        let out = render(&report);
        let mut r = ::csv::Reader::from_reader(out.as_bytes());
        let headers = r.headers().unwrap().clone();
        let row = r.records().next().unwrap().unwrap();
        let col = |name: &str| &row[headers.iter().position(|h| h == name).unwrap()];
        assert_eq!(col(&format!("{from}_close_reason")), format!("'{hostile}"));
        assert_eq!(col("host"), "'+cmd|' /C calc'!A0");
        assert_eq!(col("path"), "'@SUM(1+1)");
        assert_eq!(col("id"), "1");
        // No cell of any row starts a formula.
        for cell in row.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell}"
            );
        }
    }
}
