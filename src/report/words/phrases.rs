//! The phrases the causes, the evidence and the live lines share: how a session ended
//! ("the server closed TCP with a FIN (packet 9)"), what a side sent, the frames that ended
//! an HTTP/2 stream, a quoted reason, a message no one answered.

use crate::report::cause::{End, EndHow, Ending, PeerSent, PeerSentWhat};
use crate::vocab::{EndKind, Role, StreamEndKind, Unanswered};
use std::fmt::{self, Display, Formatter};

/// What the peer sent between a FIN and the RST after it: "the server's close frame
/// (packet 13)".
pub(super) struct Sent<'a>(pub(super) Role, pub(super) &'a PeerSent);

impl Display for Sent<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (peer, p) = (self.0, self.1.packet);
        match self.1.what {
            PeerSentWhat::CloseFrame => write!(f, "the {peer}'s close frame (packet {p})"),
            PeerSentWhat::Message { opcode, size } => write!(
                f,
                "the {peer}'s {size}-byte {} message (packet {p})",
                opcode.0.name()
            ),
            PeerSentWhat::Frame => write!(f, "a frame from the {peer} (packet {p})"),
            PeerSentWhat::CloseNotify => write!(f, "the {peer}'s TLS close_notify (packet {p})"),
            PeerSentWhat::StreamEnd { frame } => write!(f, "the {peer}'s {} (packet {p})", frame.0),
        }
    }
}

/// "HTTP/2 stream 5, also client END_STREAM (packet 26), client RST_STREAM CANCEL (packet
/// 27)": every frame that ended (or announced the end of) an HTTP/2 stream but the one a
/// status already names.
pub struct StreamFrames<'a>(pub u32, pub &'a [Ending]);

impl Display for StreamFrames<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP/2 stream {}, also ", self.0)?;
        for (i, e) in self.1.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            let kind = match e.how {
                EndHow::Stream { kind, .. } => kind.to_string(),
                other => Ended(&other).to_string(),
            };
            write!(f, "{} {kind} (packet {})", e.by, e.packet)?;
        }
        Ok(())
    }
}

/// The ping and pong clause of a quiet spell, with its full stop.
pub(super) struct PingPong(pub(super) Option<u64>, pub(super) Option<u64>);

impl Display for PingPong {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match (self.0, self.1) {
            (None, None) => f.write_str("; no ping or pong was sent at all."),
            (ping, pong) => {
                let p = |p: Option<u64>| p.map_or("none".to_string(), |p| format!("packet {p}"));
                write!(f, "; last ping: {}, last pong: {}.", p(ping), p(pong))
            }
        }
    }
}

/// A close reason in quotes after a space, or nothing for none.
pub(super) struct Quoted<'a>(pub(super) &'a str);

impl Display for Quoted<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            words(f, &[" \"", self.0, "\""])
        }
    }
}

/// Writes `pieces` one after the other: a sentence of plain pieces without the formatting
/// machinery's work per argument.
pub(super) fn words(f: &mut Formatter<'_>, pieces: &[&str]) -> fmt::Result {
    pieces.iter().try_for_each(|p| f.write_str(p))
}

/// What the ending side did: "ended TCP", "ended HTTP/2 stream 5", "reset HTTP/2 stream
/// 5", "sent GOAWAY ending HTTP/2 stream 5".
pub(super) struct Did<'a>(pub(super) &'a EndHow);

impl Display for Did<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match *self.0 {
            EndHow::Tcp(_) => f.write_str("ended TCP"),
            EndHow::CloseNotify => f.write_str("closed TLS"),
            EndHow::Stream { stream, kind } => match kind {
                StreamEndKind::EndStream => write!(f, "ended HTTP/2 stream {stream}"),
                StreamEndKind::Reset(_) => write!(f, "reset HTTP/2 stream {stream}"),
                StreamEndKind::GoAway { .. } => {
                    write!(f, "sent GOAWAY ending HTTP/2 stream {stream}")
                }
            },
        }
    }
}

/// What ended, as a clause: "TCP ended", "HTTP/2 stream 5 ended".
pub(super) struct Ended<'a>(pub(super) &'a EndHow);

impl Display for Ended<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match *self.0 {
            EndHow::Tcp(_) => f.write_str("TCP ended"),
            EndHow::CloseNotify => f.write_str("TLS was closed (close_notify)"),
            EndHow::Stream { stream, .. } => write!(f, "HTTP/2 stream {stream} ended"),
        }
    }
}

/// "the server closed TCP with a FIN (packet 9)": who ended what carried a session, how.
pub struct EndPhrase<'a>(pub &'a Ending);

impl Display for EndPhrase<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (by, p) = (self.0.by, self.0.packet);
        match self.0.how {
            EndHow::Tcp(EndKind::Fin) => write!(f, "the {by} closed TCP with a FIN (packet {p})"),
            EndHow::Tcp(EndKind::Rst) => write!(f, "the {by} reset TCP with an RST (packet {p})"),
            EndHow::CloseNotify => write!(f, "the {by} closed TLS with close_notify (packet {p})"),
            EndHow::Stream { stream, kind } => match kind {
                StreamEndKind::EndStream => {
                    write!(
                        f,
                        "the {by} ended HTTP/2 stream {stream} ({kind}, packet {p})"
                    )
                }
                StreamEndKind::Reset(_) => {
                    write!(
                        f,
                        "the {by} reset HTTP/2 stream {stream} with {kind} (packet {p})"
                    )
                }
                StreamEndKind::GoAway { .. } => {
                    write!(
                        f,
                        "the {by} sent {kind}, ending HTTP/2 stream {stream} (packet {p})"
                    )
                }
            },
        }
    }
}

/// [`EndPhrase`] of an [`End`].
pub fn end_phrase(e: &End) -> String {
    EndPhrase(&e.ending()).to_string()
}

impl Unanswered {
    /// "the client's 100-byte text message (packet 8)"
    pub fn phrase(&self) -> String {
        format!(
            "the {}'s {}-byte {} message (packet {})",
            self.from,
            self.size,
            self.opcode.name(),
            self.packet
        )
    }
}
