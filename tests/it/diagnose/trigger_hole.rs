//! Issue 92's leftover (stop 96): a close tied to the peer's message
//! (`close-answers-message`, src/diagnose/trigger.rs) rests on "nothing between"; a hole in
//! the capture between the message and the close may hold something (another message of
//! the peer's that the close answered, a message of the closer's own), so the tie is
//! withheld there. Sessions built in code; the first is the positive control.

use crate::common::{self, close, text, Session};
use wsclose::vocab::Role::{self, Client, Server};

/// Whether the close is tied to the message, and the close frames decoded (side, code).
fn tied(s: &Session) -> (bool, Vec<(Role, Option<u16>)>) {
    let r = s.analyze();
    let c = common::only(&r);
    let closes = common::closes(c).into_iter().map(|f| (f.0, f.1)).collect();
    let tied = c
        .status
        .causes
        .iter()
        .any(|k| k.kind() == "close-answers-message");
    (tied, closes)
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
    assert_eq!(
        tied(&s),
        (true, vec![(Server, Some(1000)), (Client, Some(1000))])
    );
}

/// A segment of the client's lost by the capture after its message (the server's ACK
/// passes it: the server had it), then the server's close: what the close answered may be
/// in the hole (a later message of the client's); not tied. The server's close frame is
/// decoded (the client's direction lost its frame boundaries at the hole, so its reply
/// is not). Tied before the rule (stop 96's leftover).
#[test]
fn a_hole_in_the_peers_bytes_before_the_close_withholds_the_tie() {
    let mut s = Session::new(40193, 8080);
    s.open();
    s.send(Client, &text(Client, "boom"));
    s.lose(Client, &text(Client, "and this"));
    s.send(Server, &close(Server, 1000, ""));
    s.send(Client, &close(Client, 1000, ""));
    s.fins(Server);
    assert_eq!(tied(&s), (false, vec![(Server, Some(1000))]));
}

/// A segment of the server's own lost by the capture between the client's message and
/// the server's close (a whole message the server sent first): its direction loses its
/// frame boundaries there, so its close frame is not decoded and nothing is tied to it; a
/// hole inside the server's message instead leaves the message's frame between, which
/// withholds the tie by itself.
#[test]
fn a_hole_in_the_closers_bytes_before_the_close_withholds_the_tie() {
    let mut s = Session::new(40194, 8080);
    s.open();
    s.send(Client, &text(Client, "boom"));
    s.lose(Server, &text(Server, "an answer"));
    s.send(Server, &close(Server, 1000, ""));
    s.send(Client, &close(Client, 1000, ""));
    s.fins(Server);
    assert_eq!(tied(&s), (false, vec![(Client, Some(1000))]));
    // The hole inside the server's message.
    let mut s = Session::new(40195, 8080);
    s.open();
    s.send(Client, &text(Client, "boom"));
    let answer = text(Server, "an answer of some length");
    s.send(Server, &answer[..6]);
    s.lose(Server, &answer[6..12]);
    s.send(Server, &answer[12..]);
    s.send(Server, &close(Server, 1000, ""));
    s.send(Client, &close(Client, 1000, ""));
    s.fins(Server);
    assert_eq!(
        tied(&s),
        (false, vec![(Server, Some(1000)), (Client, Some(1000))])
    );
}
