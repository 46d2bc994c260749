//! The document's incidents block: each incident's headline, figures, cause, fix and
//! connections, read from the report's `incidents` (the walk puts it first).

use super::{own, said, text, Sink, Span};
use crate::report::Report;

/// The incidents: closes of several connections that belong together, each with its
/// headline, its figures (window, host, members, came back, never, refused), cause, fix,
/// connections and (where the format draws) its picture; the first
/// [`crate::render::INCIDENTS_SHOWN`], the rest counted. Empty when there are none. The brief
/// form leaves out what an incident is and lists ten connections of each.
pub(crate) fn incidents(report: &Report, s: &impl Sink) -> String {
    let mut o = String::new();
    if report.incidents.is_empty() {
        return o;
    }
    s.section(&mut o, "incidents", "Incidents");
    if !s.brief() {
        s.paragraph(
            &mut o,
            &[own(
                "Closes that belong together: each connection's own close may look clean or \
                 ordinary; together they say what happened to a server, a proxy or a client.",
            )],
        );
    }
    for i in report.incidents.iter().take(crate::render::INCIDENTS_SHOWN) {
        s.heading(&mut o, &format!("Incident {}: {}", i.id, i.kind.name()));
        s.paragraph(&mut o, &[text(i.headline()), own(".")]);
        figures(&mut o, i, s);
        s.paragraph(&mut o, &[own("Cause: "), text(said(s, &i.cause))]);
        s.paragraph(&mut o, &[own("Fix: "), text(said(s, &i.fix))]);
        let listed = if s.brief() { 10 } else { i.connections.len() };
        let ids: Vec<String> = i
            .connections
            .iter()
            .take(listed)
            .map(u64::to_string)
            .collect();
        let more = if i.members > ids.len() as u64 {
            format!(", … ({} in all)", i.members)
        } else {
            String::new()
        };
        s.paragraph(
            &mut o,
            &[
                own(format!(
                    "Connections: {}{more}; the first deciding packet: {}. More: ",
                    ids.join(", "),
                    i.first_packet
                )),
                Span::Code(format!("wsclose explain {}", i.kind.name())),
                own("."),
            ],
        );
        s.incident_picture(&mut o, i);
    }
    if report.incidents.len() > crate::render::INCIDENTS_SHOWN {
        s.note(
            &mut o,
            &[
                own(format!(
                    "… and {} more incidents (",
                    report.incidents.len() - crate::render::INCIDENTS_SHOWN
                )),
                Span::Code("--format json".into()),
                own(" lists them all)."),
            ],
        );
    }
    s.section_end(&mut o);
    o
}

/// An incident's figures, from its fields whatever its kind: its window, the server or
/// client host it concerns, its members, and how many came back, never did, and were
/// refused.
fn figures(o: &mut String, i: &crate::vocab::Incident, s: &impl Sink) {
    use crate::units::Rough;
    let mut line = vec![own(format!(
        "Window: {} to {} ({}); ",
        crate::render::text::clock(i.start),
        crate::render::text::clock(i.end),
        Rough(i.window_s)
    ))];
    if let Some(server) = &i.server {
        line.push(own("server "));
        line.push(text(server));
        line.push(own("; "));
    }
    if let Some(client) = &i.client {
        line.push(own("client host "));
        line.push(text(client));
        line.push(own("; "));
    }
    let r = &i.reconnects;
    let tls = if r.refused_tls > 0 {
        format!(
            "; refused at TLS: {}, the clients rejected the new certificate",
            r.refused_tls
        )
    } else {
        String::new()
    };
    // Links by host alone while other clients of that host arrived: bounds, not counts.
    let (most, least) = if r.same_host > 0 && r.others_after > 0 {
        ("at most ", "at least ")
    } else {
        ("", "")
    };
    line.push(own(format!(
        "{} member{}; came back {most}{}, never {least}{}, refused {}{tls}.",
        i.members,
        if i.members == 1 { "" } else { "s" },
        r.came_back,
        r.never,
        r.refused
    )));
    s.paragraph(o, &line);
}
