//! Issue 92's leftover (stop 96): a close tied to the peer's message
//! (`close-answers-message`, src/diagnose/trigger.rs) rests on "nothing between"; a hole in
//! the capture between the message and the close may hold something (another message of
//! the peer's that the close answered, a message of the closer's own), so the tie is
//! withheld there. Sessions built in code; the first is the positive control.

use crate::common::{self, close, text, Session};
use wsclose::vocab::Role::{Client, Server};

fn tied(s: &Session) -> bool {
    let r = s.analyze();
    let c = common::only(&r);
    c.status
        .causes
        .iter()
        .any(|k| k.kind() == "close-answers-message")
}

/// The client's message, the server's close 1 ms later, nothing between: tied.
#[test]
fn a_close_right_after_the_message_is_tied() {
    let mut s = Session::new(40192, 8080);
    s.open();
    s.send(Client, &text(Client, "boom"));
    s.send(Server, &close(Server, 1000, ""));
    s.send(Client, &close(Client, 1000, ""));
    s.fins(Server);
    assert!(tied(&s));
}

/// A segment of the client's lost by the capture after its message (the server's ACK
/// passes it: the server had it), then the server's close: what the close answered may be
/// in the hole; not tied.
#[test]
fn a_hole_in_the_peers_bytes_before_the_close_withholds_the_tie() {
    let mut s = Session::new(40193, 8080);
    s.open();
    s.send(Client, &text(Client, "boom"));
    s.lose(Client, &text(Client, "and this"));
    s.send(Server, &close(Server, 1000, ""));
    s.send(Client, &close(Client, 1000, ""));
    s.fins(Server);
    assert!(!tied(&s), "{:?}", s.analyze().connections[0].status.causes);
}

/// A segment of the server's own lost by the capture between the client's message and
/// the server's close (a message the server sent first): something came between; not
/// tied.
#[test]
fn a_hole_in_the_closers_bytes_before_the_close_withholds_the_tie() {
    let mut s = Session::new(40194, 8080);
    s.open();
    s.send(Client, &text(Client, "boom"));
    s.lose(Server, &text(Server, "an answer"));
    s.send(Server, &close(Server, 1000, ""));
    s.send(Client, &close(Client, 1000, ""));
    s.fins(Server);
    assert!(!tied(&s), "{:?}", s.analyze().connections[0].status.causes);
}
