//! Why each connection ended: every status, cause, fix and verdict, decided here and
//! nowhere else.
//!
//! In: what the stages below saw of a WebSocket session: its close frames, how each side
//! ended TCP (or the HTTP/2 stream, or TLS with close_notify), what each side sent, the
//! findings and the TLS facts; and, for a session through a proxy, both legs' reports.
//! Out: the finished report fields: the [`Status`] each application saw (RFC 6455 §7.1.5:
//! the first close frame's code, 1005 for none, 1006 when no close frame came first; §7.4
//! for the codes), made of typed [`Cause`]s; the [`Evidence`] with its packets; the status
//! each side saw; the closing handshake; and the live close events.
//!
//! A new cause is a variant of [`Cause`] (`cause.rs`), decided where its facts are
//! (`status.rs` for close frames and endings, `idle.rs` for quiet spells, `tls.rs`,
//! `legs.rs` for proxies, `path.rs` for the path under the session, `session.rs` for the rest of a session), and said in words in
//! one place: `text.rs` ([`text::detail`], the `Display` of [`Cause`], and [`text::fix`]).

pub mod app;
pub mod cause;
pub mod evidence;
pub mod idle;
pub mod legs;
pub mod live;
pub mod path;
pub mod session;
pub mod status;
pub mod text;
pub mod tls;

#[cfg(test)]
mod tests;

pub use cause::Cause;
pub use evidence::Evidence;
pub use session::{diagnose, Diagnosis};
pub use status::{CloseHandshake, Eviction, Status};
pub use text::Secs;

use crate::capture::Timestamp;

/// The later of two (packet, time) marks: each side's last frame, ping or pong.
fn latest(a: Option<(u64, Timestamp)>, b: Option<(u64, Timestamp)>) -> Option<(u64, Timestamp)> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.1 > a.1 { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// The status of a connection still open that a cap (`why`, at `limit`) ended early, after
/// packet `last_packet`: where and why wsclose stopped following it, and which flag to
/// raise. A status that has a code or that is not "still open" is left as it is.
pub fn evicted(status: &mut Status, why: Eviction, last_packet: u64, limit: u64) {
    if let Some(Cause::StillOpen { .. }) = status.causes.first() {
        *status = Status::of(vec![Cause::Evicted {
            why,
            last_packet,
            limit,
        }]);
    }
}

/// The status of a connection still open at the end of an input that stops early
/// (truncated or damaged): whatever ended it may be after the cut.
pub fn cut(status: &mut Status) {
    if let Some(&Cause::StillOpen { upgraded }) = status.causes.first() {
        *status = Status::of(vec![Cause::CaptureCut { upgraded }]);
    }
}
