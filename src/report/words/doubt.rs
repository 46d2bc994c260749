//! The words of a doubtful cluster ([`Doubt`], issue 91 item 7): why no incident kind is
//! named, from its reason and figures, and the one line every format shows of it.
//!
//! In: a [`Doubt`] as the incident stage found it. Out: its `why`; its line.

use super::incident::seconds;
use crate::units::clock;
use crate::vocab::{Doubt, DoubtReason};

/// Why no kind is named, with the cluster's figures.
pub fn why(d: &Doubt) -> String {
    let m = d.members;
    match d.reason {
        DoubtReason::BothSides => format!(
            "ended by both sides ({} by the server, {} by their clients): no one party ended \
             them all, so neither a stop of the server nor a client host's drop",
            d.by_server, d.by_client
        ),
        DoubtReason::MixedWays => format!(
            "ended in {} different ways: a stop ends its sessions one way, and no shared code \
             or reset names a cause",
            d.ways
        ),
        DoubtReason::FewOfOpen => format!(
            "the server ended {m} of the {} sessions open to it then: a stop ends nearly all \
             (three quarters at least), and the others ran on",
            d.open
        ),
        DoubtReason::ClientsOfHosts => format!(
            "ended by their clients from {} hosts: no one host dropped them, and nothing of \
             the server's shows",
            d.hosts
        ),
        DoubtReason::FewOfHost => format!(
            "ended by their client host, {m} of the {} sessions it had open to the server \
             then: a host's drop ends them all, and the others ran on: one of its clients (a \
             process that exited or closed its sockets), not the host",
            d.host_open.unwrap_or(m)
        ),
        DoubtReason::Weak => "the evidence fits no kind: too weak for one".to_owned(),
        DoubtReason::NotShown => match d.facts.as_ref().and_then(|f| f.not_shown) {
            Some(n) => format!(
                "they have the shape of a {}, but {}: that kind is not named without it",
                n.kind.name(),
                super::incident::fact_missing(n.missing)
            ),
            None => "the evidence fits no kind: too weak for one".to_owned(),
        },
    }
}

/// The cluster in one line, before its `why`: "5 sessions to 10.0.0.2:8443 ended within
/// 80 ms from 22:14:30.000 (fin; 5 by the server, 0 by their clients; 45 open then): no
/// kind is named: ".
pub fn line(d: &Doubt) -> String {
    // What they said beyond the code, and the message their closes answered, from its facts.
    let said = d.facts.as_ref().and_then(|f| f.said.as_ref());
    let mut ended = format!("{}{}", d.ended_by, super::incident::said_words(said));
    if let Some(a) = said.and_then(|s| s.answered.as_ref()) {
        ended.push_str(&format!(
            ", {}",
            super::incident::answered_words(a, d.members)
        ));
    }
    format!(
        "{} sessions to {} ended within {} from {} ({}; {} by the server, {} by their \
         clients; {} open then): no kind is named: ",
        d.members,
        d.server,
        seconds(d.window_s),
        clock(d.start),
        ended,
        d.by_server,
        d.by_client,
        d.open
    )
}
