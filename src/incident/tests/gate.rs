//! The gate (issue 102): a group is named a kind only where its row holds of its facts. A
//! server's burst of closes with no attempt refused and no going-away stated is no restart:
//! its stated decision where it said one, else a doubt that says why; with attempts
//! refused while it was away, a restart. Every kind's row holds of what the gate lets by.

use super::*;

/// 30 sessions the server closed with `how` within 30 ms, a new session accepted 600 ms
/// later.
fn endings(how: How) -> Vec<Ending> {
    let mut v = Vec::new();
    for k in 0..30u16 {
        let end = 10 * S + i64::from(k) * MS;
        v.push(ending(
            k as u8 + 1,
            10_000 + k,
            0,
            end,
            how,
            Some(Role::Server),
        ));
    }
    v.push(ending(90, 20_000, 10_630 * MS, 0, How::Open, None));
    numbered(v)
}

/// [`endings`] through the stage and the gate, `refused` attempts refused in TCP in
/// between.
fn burst(how: How, refused: usize) -> Outcome {
    let mut out = detect_(endings(how));
    let mut r = RefusedCounts::default();
    for k in 0..refused {
        r.add(ep(5, 8443), T0 + 10_100 * MS + k as i64 * MS);
    }
    out.coarse = refused::count(&mut out.incidents, &r);
    gate(&mut out);
    out
}

#[test]
fn a_burst_with_the_server_not_shown_gone_is_its_stated_decision() {
    // Sessions that lived 10 s and were closed with one private code at once: no rejection
    // (they lived 10 s: the stage reads that before it makes one, issue 102 item 6), the
    // shape of a restart (the stage's first reading)...
    let before = detect_(endings(How::Close(Some(4002))));
    assert_eq!(before.incidents[0].kind, IncidentKind::ServerRestart);
    // ... named by what shows: the server's close 4002, and it went on accepting.
    let out = burst(How::Close(Some(4002)), 0);
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let i = &out.incidents[0];
    assert_eq!(i.kind, IncidentKind::StatedDecision);
    assert_eq!(i.id, 1);
    assert_eq!(
        i.facts.not_shown,
        Some(NotShownOf(IncidentKind::ServerRestart, Fact::ServerGone).into())
    );
    assert_eq!(i.down_s, None);
    let h = i.headline();
    assert!(
        h.starts_with(
            "server 10.0.0.5:8443 closed 30 sessions with 4002 (Private Use) within 29 ms at"
        ) && h.contains("and went on accepting (the next session 601 ms later)"),
        "{h}"
    );
    assert!(!h.contains("down") && !h.contains("restart"), "{h}");
    // Its members still name it.
    let named = (0..31)
        .filter_map(|p| out.links.get(p))
        .filter(|l| l.incident == Some(1));
    assert_eq!(named.count(), 30);
}

#[test]
fn attempts_refused_show_the_server_gone_a_going_away_says_it() {
    // Refused while it was away: a restart, down.
    let out = burst(How::Close(Some(1000)), 4);
    assert_eq!(out.incidents[0].kind, IncidentKind::ServerRestart);
    assert_eq!(out.incidents[0].facts.refused_after, 4);
    assert_eq!(out.incidents[0].facts.not_shown, None);
    let h = out.incidents[0].headline();
    assert!(h.contains("(down 601 ms)"), "{h}");
    // 1012 stated: a restart, said so; "down" not said with nothing refused.
    let out = burst(How::Close(Some(1012)), 0);
    assert_eq!(out.incidents[0].kind, IncidentKind::ServerRestart);
    let h = out.incidents[0].headline();
    assert!(
        h.contains("the next session was accepted 601 ms later"),
        "{h}"
    );
    // FINs, nothing refused, nothing said: no kind, a doubt saying why; no link left.
    let out = burst(How::Fin, 0);
    assert!(out.incidents.is_empty(), "{:#?}", out.incidents);
    let d = out
        .doubts
        .iter()
        .find(|d| d.reason == DoubtReason::NotShown)
        .expect("a doubt");
    assert_eq!(d.members, 30);
    let mut d = d.clone();
    d.why = crate::report::words::doubt::why(&d);
    assert!(
        d.why.contains("the shape of a server-restart")
            && d.why.contains("nothing shows the server gone"),
        "{}",
        d.why
    );
    assert!((0..31)
        .filter_map(|p| out.links.get(p))
        .all(|l| l.incident.is_none()));
}

/// Every kind's row: what the gate lets by holds of its facts, on the stage's own tests'
/// shapes and these.
#[test]
fn what_passes_the_gate_holds_its_row() {
    for out in [
        burst(How::Close(Some(4002)), 0),
        burst(How::Close(Some(1000)), 4),
        burst(How::Fin, 3),
        burst(How::Fin, 0),
    ] {
        for i in &out.incidents {
            assert_eq!(i.kind.needs().check(&i.facts), Ok(()), "{:#?}", i);
        }
    }
    // The table: every kind named once, each name as JSON spells it.
    for k in IncidentKind::ALL {
        assert_eq!(IncidentKind::named(k.name()), Some(*k));
        assert_eq!(serde_json::to_value(k).unwrap(), k.name());
        assert!(!k.cause_words().is_empty() && !k.fix_words().is_empty());
    }
}

/// `NotShown` from a kind and a fact (test shorthand).
struct NotShownOf(IncidentKind, Fact);

impl From<NotShownOf> for crate::vocab::NotShown {
    fn from(n: NotShownOf) -> Self {
        crate::vocab::NotShown {
            kind: n.0,
            missing: n.1,
        }
    }
}
