//! The last words read with sense: plain-text chat that mentions a fault ("did you see
//! the timeout error yesterday?", "auth failed lol") before a clean close is no account of
//! the end, while the same words as the ending side's last line before a 1011 or a FIN
//! are (sessions built in code, and fixtures/lastwords/words-aiohttp-mention-*, recorded
//! by fixtures/record/lastwords/record_words.sh with Python aiohttp).

use crate::common::run;
use crate::common::{self, text, Session};
use serde_json::Value;
use wsclose::vocab::Role::{self, Client, Server};

fn path(name: &str) -> String {
    format!("{}/fixtures/lastwords/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn out(args: &[&str]) -> String {
    let o = assert_cmd::Command::cargo_bin("wsclose")
        .unwrap()
        .env_remove("SSLKEYLOGFILE")
        .args(args)
        .output()
        .unwrap();
    String::from_utf8(run::stdout_of(o)).unwrap()
}

/// Plain-text chat that mentions a fault is no account of a clean end: a question, a
/// casual line, the other side's line, or a line the other side answered, before a clean
/// 1000, claims no cause and leaves the session clean (the words are kept, not claimed).
#[test]
fn chat_that_mentions_a_fault_before_a_clean_close_is_no_problem() {
    let cases: [(&str, Role, Role, bool); 4] = [
        // The closer's question, answered.
        (
            "did you see the timeout error yesterday?",
            Client,
            Client,
            true,
        ),
        // The closer's casual line, unanswered, right before its own 1000.
        ("auth failed lol", Client, Client, false),
        // The side that did not close.
        ("auth failed lol", Server, Client, false),
        // A status line, but answered by the other side before the close.
        ("ERROR quota exceeded", Client, Client, true),
    ];
    for (i, (line, from, closer, answered)) in cases.into_iter().enumerate() {
        let mut s = Session::new(40050 + i as u16, 8080);
        s.open();
        s.send(Client, &text(Client, "hi there"));
        s.send(from, &text(from, line));
        if answered {
            s.send(from.peer(), &text(from.peer(), "yes, fixed now"));
        }
        s.send(closer, &common::close(closer, 1000, ""));
        s.send(closer.peer(), &common::close(closer.peer(), 1000, ""));
        s.fins(Server);
        let r = s.analyze();
        let c = common::only(&r);
        assert!(
            c.status.causes.iter().all(|k| k.kind() != "last-words"),
            "{line:?} from {from}: {:?}",
            c.status.causes
        );
        assert!(
            wsclose::report::facts::clean_close(c),
            "{line:?} from {from}: {:?}",
            c.status
        );
        // Listed, its words read as an error, but announcing nothing.
        let w = c
            .last_words
            .iter()
            .find(|w| w.from == from && w.text == line)
            .unwrap_or_else(|| panic!("{line:?}: {:?}", c.last_words));
        assert!(w.error_like && w.announces.is_none(), "{w:?}");
    }
}

/// The same words as the ending side's last line right before an ending that is no clean
/// close (a 1011, a FIN) are its account of the end, and the cause; before a clean close a
/// status line that states an error is too.
#[test]
fn the_closers_last_line_that_names_a_fault_is_the_cause_where_the_end_is_no_clean_close() {
    for (i, (line, end)) in [
        ("auth failed lol", "1011"),
        ("did you see the timeout error yesterday?", "fin"),
        ("auth error: token expired", "1000"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut s = Session::new(40060 + i as u16, 8080);
        s.open();
        s.send(Client, &text(Client, "hi there"));
        s.send(Server, &text(Server, line));
        match end {
            "fin" => {}
            code => {
                let code: u16 = code.parse().unwrap();
                s.send(Server, &common::close(Server, code, ""));
                s.send(Client, &common::close(Client, code, ""));
            }
        }
        s.fins(Server);
        let r = s.analyze();
        let c = common::only(&r);
        let said = c
            .status
            .causes
            .iter()
            .find(|k| k.kind() == "last-words")
            .unwrap_or_else(|| panic!("{line:?} before {end}: {:?}", c.status.causes));
        assert!(
            matches!(said, wsclose::report::Cause::LastWords { from: Server, words, .. }
                if words.contains(line)),
            "{said:?}"
        );
        assert!(
            !wsclose::report::facts::clean_close(c),
            "{line:?}: {:?}",
            c.status
        );
    }
    // Recorded (aiohttp): the server's "auth failed lol", then its 1011.
    let p = path("words-aiohttp-mention-1011.pcap");
    let r: Value = serde_json::from_str(&out(&["analyze", &p, "--format", "json"])).unwrap();
    let c = &r["connections"][0];
    assert!(
        c["status"]["causes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kind"] == "last-words" && k["words"] == "auth failed lol"),
        "{}",
        c["status"]
    );
}
