//! Endings grouped by what was said (issue 102 items 1 and 3): closes that share a code and
//! answer one message of the server's are one group, named by that decision; the same code
//! at unrelated times is none; two reasons are two decisions. The headline says the
//! decision from its facts, the reason escaped.

use super::*;
use crate::incident::said::{Said, Saids};

/// A close reason as the table keeps it.
fn reason(r: &str) -> Said {
    Said {
        reason: Some(r.into()),
        ..Said::default()
    }
}

/// `n` sessions of client hosts 1.. to 10.0.0.5:8443, each opened at 0, closed by `by`
/// with `code` and the reason of `said` at 10 s plus `step(k)`; each close `answers` µs
/// after a 16-byte text message of its peer when given. Open sessions of other hosts
/// around them, so that the server's pace is a session every few seconds.
fn closes(
    n: u16,
    by: Role,
    code: u16,
    said: u32,
    step: impl Fn(i64) -> i64,
    answers: Option<u32>,
) -> Vec<Ending> {
    let mut v = Vec::new();
    for k in 0..n {
        let mut e = ending(
            k as u8 + 1,
            10_000 + k,
            0,
            10 * S + step(i64::from(k)),
            How::Close(Some(code)),
            Some(by),
        );
        e.said = said;
        if let Some(us) = answers {
            e.answered_us = us + u32::from(k) * 100;
            e.answered_size = 16;
            e.answered_op = 1;
        }
        v.push(e);
    }
    v
}

fn stage(v: Vec<Ending>, saids: Saids) -> Outcome {
    let mut out = detect_said(numbered(v), saids, &[], &[]);
    gate(&mut out);
    out
}

#[test]
fn client_closes_that_share_a_code_and_answer_one_server_message_are_one_group() {
    let mut saids = Saids::default();
    let id = saids.intern(reason("asked to reconnect"));
    // 40 clients close with 4000 within 12 ms, each 0.5 to 4.4 ms after the server's
    // 16-byte message (one broadcast); the server accepts a new session a second later.
    let mut v = closes(40, Role::Client, 4000, id, |k| k * 300 * 1000, Some(500));
    v.push(ending(90, 20_000, 11 * S, 0, How::Open, None));
    let out = stage(v, saids);
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let i = &out.incidents[0];
    assert_eq!(i.kind, IncidentKind::StatedDecision);
    assert_eq!(i.members, 40);
    let said = i.facts.said.as_ref().expect("said");
    assert_eq!(said.reason.as_deref(), Some("asked to reconnect"));
    let a = said.answered.as_ref().expect("answered");
    assert_eq!((a.from, a.size, a.closes), (Role::Server, 16, 40));
    assert_eq!(a.opcode, "text");
    let h = i.headline();
    assert!(
        h.starts_with(
            "the clients of 10.0.0.5:8443 closed 40 sessions with 4000 'asked to reconnect' within 12 ms at"
        ) && h.contains("each right after the server's 16-byte text message (0.50 ms to 4.4 ms after it;"),
        "{h}"
    );
}

#[test]
fn the_same_code_and_words_at_unrelated_times_are_no_group() {
    let mut saids = Saids::default();
    let id = saids.intern(reason("asked to reconnect"));
    // The same closes, each answering its own message of the server's, a second apart.
    let v = closes(40, Role::Client, 4000, id, |k| k * S, Some(500));
    let out = stage(v, saids);
    assert!(out.incidents.is_empty(), "{:#?}", out.incidents);
    assert!(out.doubts.is_empty(), "{:#?}", out.doubts);
}

#[test]
fn two_reasons_at_once_are_two_decisions() {
    let mut saids = Saids::default();
    let plan = saids.intern(reason("plan changed"));
    let quota = saids.intern(reason("quota reached"));
    // The server closes 15 sessions with 4002 'plan changed' and 15 with 4002 'quota
    // reached', interleaved within 30 ms, and goes on accepting.
    let mut v = Vec::new();
    for k in 0..30u16 {
        let mut e = ending(
            k as u8 + 1,
            10_000 + k,
            0,
            10 * S + i64::from(k) * MS,
            How::Close(Some(4002)),
            Some(Role::Server),
        );
        e.said = if k % 2 == 0 { plan } else { quota };
        v.push(e);
    }
    v.push(ending(90, 20_000, 11 * S, 0, How::Open, None));
    let out = stage(v, saids);
    assert_eq!(out.incidents.len(), 2, "{:#?}", out.incidents);
    let mut reasons: Vec<String> = out
        .incidents
        .iter()
        .map(|i| {
            assert_eq!(i.kind, IncidentKind::StatedDecision);
            assert_eq!(i.members, 15);
            let h = i.headline();
            assert!(
                h.starts_with("server 10.0.0.5:8443 closed 15 sessions with 4002 '")
                    && h.contains("and went on accepting"),
                "{h}"
            );
            i.facts
                .said
                .as_ref()
                .and_then(|s| s.reason.clone())
                .unwrap_or_default()
        })
        .collect();
    reasons.sort();
    assert_eq!(reasons, ["plan changed", "quota reached"]);
}

#[test]
fn a_reason_that_would_act_on_a_terminal_is_quoted_visible() {
    let mut saids = Saids::default();
    let id = saids.intern(reason("bye\x1b[2J\u{202e}olleh"));
    let mut v = closes(10, Role::Server, 4002, id, |k| k * MS, None);
    v.push(ending(90, 20_000, 11 * S, 0, How::Open, None));
    let out = stage(v, saids);
    let h = out.incidents[0].headline();
    assert!(h.contains("'bye\\x1b[2J\\u{202e}olleh'"), "{h}");
    assert!(!h.contains('\x1b') && !h.contains('\u{202e}'), "{h}");
}

/// What the endings said takes the room of endings: a value kept once however many say it,
/// a new value that would leave no room for one ending not kept (the ending keeps its code).
#[test]
fn what_was_said_is_charged_to_the_room_of_the_endings() {
    let mut index = Index::default();
    index.set_room(room_for(3));
    let a = index.intern(reason("plan changed"));
    assert_ne!(a, crate::incident::said::NONE);
    assert_eq!(index.intern(reason("plan changed")), a);
    let held = index.held_bytes();
    assert!(held >= reason("plan changed").bytes(), "{held}");
    // Two endings' room left: a long reason that needs one more is kept, then none.
    let long = "x".repeat(120);
    let b = index.intern(reason(&long));
    assert_ne!(b, crate::incident::said::NONE);
    let c = index.intern(reason(&format!("{long}y")));
    let d = index.intern(reason(&format!("{long}z")));
    assert!(
        [b, c, d].contains(&crate::incident::said::NONE),
        "{b} {c} {d}"
    );
    assert!(index.said_left_out() >= 1);
    for k in 0..3u16 {
        index.push(ending(k as u8 + 1, k, 0, S, How::Fin, Some(Role::Server)));
    }
    // One ending's room is all the saids left.
    assert!(index.left_out() >= 2, "{}", index.left_out());
}

/// The reason an incident's headline and cause quote is escaped in every format that shows
/// them: no markup of it reaches HTML or Markdown, no control character a terminal.
#[test]
fn a_reason_in_an_incident_is_escaped_in_every_format() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut r = crate::analyze_files(
        &[dir.join("incident2/starlette-plan-4002.pcap.gz")],
        crate::analyzer::Options::default(),
    )
    .unwrap();
    let i = &mut r.incidents[0];
    i.facts.said.as_mut().expect("said").reason =
        Some("<img src=x onerror=alert(1)> | *x* \x1b[2J".into());
    (i.cause, i.fix) = crate::report::words::incident::cause_and_fix(i);
    let html = crate::render::html::render(&r, &[]);
    assert!(!html.contains("<img src=x"), "html");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"), "html");
    let md = crate::render::markdown::render(&r, &[]);
    assert!(!md.contains("<img") && md.contains("\\| \\*x\\*"), "{md}");
    let table = crate::render::table::render(&r, Some(200), false);
    assert!(
        !table.contains('\x1b') && table.contains("\\x1b[2J"),
        "{table}"
    );
}

/// A server whose reason names each session ("going away: session 7") still stopped once:
/// what a first pass by what was said left is read by its way alone.
#[test]
fn reasons_that_name_each_session_are_one_stop() {
    let mut saids = Saids::default();
    let mut v = Vec::new();
    for k in 0..30u16 {
        let mut e = ending(
            k as u8 + 1,
            10_000 + k,
            0,
            10 * S + i64::from(k) * MS,
            How::Close(Some(1001)),
            Some(Role::Server),
        );
        e.said = saids.intern(reason(&format!("going away: session {k}")));
        v.push(e);
    }
    v.push(ending(90, 20_000, 11 * S, 0, How::Open, None));
    let out = stage(v, saids);
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let i = &out.incidents[0];
    assert_eq!(i.kind, IncidentKind::ServerRestart);
    assert_eq!(i.members, 30);
    // Their reasons differ: none is said for all.
    assert_eq!(i.facts.said, None);
}

/// The server's sessions ending at its pace: 30 of other hosts, one every 200 ms from 4 s,
/// each closed by its client with 1000 'done' (a gap of about 200 ms between endings); and
/// 20 it keeps open throughout (the version-2 clients).
fn at_pace() -> Vec<Ending> {
    let mut v: Vec<Ending> = (0..30u16)
        .map(|k| {
            ending(
                200 + k as u8 % 50,
                30_000 + k,
                0,
                4 * S + i64::from(k) * 200 * MS,
                How::Close(Some(1000)),
                Some(Role::Client),
            )
        })
        .collect();
    for k in 0..20u16 {
        v.push(ending(100 + k as u8, 40_000 + k, 0, 0, How::Open, None));
    }
    v
}

/// Issue 102 (`njsws-version-4406`'s second shape): one decision's closes are not split by
/// a gap its server's pace would put no ending in. The server closes 20 sessions with 4406
/// within 46 ms, its 2nd and 3rd 25 ms apart, while its endings come every ~200 ms (a tenth
/// of that: 20 ms): one decision of 20, not a pair and 18.
#[test]
fn a_gap_within_one_decision_smaller_than_the_pace_does_not_split_it() {
    let out = split_4406(20, 26 * MS);
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let i = &out.incidents[0];
    assert_eq!(i.kind, IncidentKind::StatedDecision);
    assert_eq!(i.members, 20);
}

/// Its control: two pairs of those closes 150 ms apart, a gap under the server's usual one
/// but the four in it no more than its pace would put there: no decision (two closes are
/// fewer than one needs).
#[test]
fn closes_of_one_code_that_stand_out_from_nothing_are_no_decision() {
    let out = split_4406(4, 150 * MS);
    assert!(out.incidents.is_empty(), "{:#?}", out.incidents);
}

/// Issue 102 (`incident/ws-plan-4001-serial`, the join's second recording): a server that
/// closes its sessions one after another, each after its own work for it (an awaited lookup),
/// puts every close a little more than a tenth of its usual gap after the one before: no
/// two of them make a run, and no first few of them stand out from its pace, yet all 20
/// within 0.5 s, each gap under the usual one (~200 ms), are one decision. A close is a
/// write on its own session (RFC 6455 §5.5.1): nothing in the protocol makes one decision's
/// closes leave at once.
#[test]
fn closes_sent_one_after_another_within_the_pace_are_one_decision() {
    let mut saids = Saids::default();
    let id = saids.intern(reason("plan expired: renew"));
    let mut v = closes(20, Role::Server, 4001, id, |k| k * 25 * MS, None);
    v.extend(at_pace());
    v.push(ending(90, 20_000, 11 * S, 0, How::Open, None));
    let out = stage(v, saids);
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents);
    let i = &out.incidents[0];
    assert_eq!(i.kind, IncidentKind::StatedDecision);
    assert_eq!(i.members, 20);
}

/// `n` server closes with 4406, the first two 1 ms apart and the rest from `gap` on, 1 ms
/// apart, among endings at the server's pace ([`at_pace`]), through the stage.
fn split_4406(n: u16, gap: i64) -> Outcome {
    let mut saids = Saids::default();
    let id = saids.intern(reason("client version 1 no longer supported: update"));
    let step = |k: i64| if k < 2 { k * MS } else { gap + (k - 2) * MS };
    let mut v = closes(n, Role::Server, 4406, id, step, None);
    v.extend(at_pace());
    v.push(ending(90, 20_000, 11 * S, 0, How::Open, None));
    stage(v, saids)
}
