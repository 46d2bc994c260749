//! Why each connection ended: every status, cause, fix and verdict, decided here and
//! nowhere else.
//!
//! In: what the stages below saw of a WebSocket session: its close frames, how each side
//! ended TCP (or the HTTP/2 stream, or TLS with close_notify), what each side sent, the
//! findings and the TLS facts; and, for a session through a proxy, both legs' reports.
//! Out: the report model's fields, filled: the [`Status`](crate::report::Status) each application saw (RFC 6455
//! §7.1.5: the first close frame's code, 1005 for none, 1006 when no close frame came
//! first; §7.4 for the codes), made of typed [`Cause`](crate::report::Cause)s; the [`Evidence`](crate::report::Evidence) with its packets;
//! the status each side saw; the closing handshake; and the live close events. The types
//! and their words are the report's (`report::status`, `report::cause`, `report::evidence`,
//! `report::words`): this stage produces them and imports them from there.
//!
//! A new cause is a variant of [`Cause`](crate::report::Cause) (`report/cause/mod.rs`), decided where its facts are
//! (`status.rs` for close frames and endings, `idle.rs` for quiet spells, `tls.rs`,
//! `proxied.rs` and `reload.rs` for proxies, `delivery.rs` for the path under the
//! session, `diagnosis.rs` for the rest of a session), and said in words in one place:
//! `report/words/` (`words::detail`, the `Display` of [`Cause`](crate::report::Cause), and `words::fix`).
//! `build.rs` builds one session's report with its diagnosis; `whole.rs` finishes the
//! whole report with the causes only several connections show (`proxied.rs` for proxies,
//! `app.rs` for shared application identities, `incidents.rs` for the incidents: the one
//! place the incident stage is run and its links written into the reports).

pub mod app;
pub mod beats;
mod build;
pub mod closing;
pub mod culprit;
pub mod delivery;
pub mod diagnosis;
pub mod ending;
pub mod errorwords;
pub mod evidence;
mod fill;
pub mod heartbeat;
pub mod idle;
mod incidents;
pub mod lastwords;
pub mod legs;
pub mod live;
pub mod outage;
pub mod points;
pub mod proxied;
pub mod reason;
pub mod reload;
pub mod shapes;
pub mod status;
pub mod tls;
pub mod trigger;
pub mod unprompted;
pub mod views;
mod whole;

#[cfg(test)]
pub(crate) mod tests;

pub use diagnosis::{diagnose, Diagnosis};
pub use status::{cut, dropped, evicted};
pub use whole::mark_cut;

use crate::vocab::Timestamp;

/// The later of two (packet, time) marks: each side's last frame, ping or pong.
fn latest(a: Option<(u64, Timestamp)>, b: Option<(u64, Timestamp)>) -> Option<(u64, Timestamp)> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.1 > a.1 { b } else { a }),
        (a, b) => a.or(b),
    }
}
