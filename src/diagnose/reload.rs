//! A proxy reloaded or stopped, as the two legs of one session show it.
//!
//! In: the two legs of a proxied session (front: client → proxy, back: proxy → backend).
//! Out: the close frames the proxy sent on its own ([`own_closes`]: on each leg, the first
//! close frame, when the proxy sent it before the other application sent any it could be
//! relaying, past those it passed on byte for byte: [`same_bytes`], the client's masking
//! key and payload, RFC 6455 §5.3), and [`Cause::ProxyReloadOrStop`] ([`closes`], [`ends`]) when the proxy ended
//! both legs at one instant with no quiet spell before: close frames of its own to both
//! applications (an intermediary that closes is the endpoint of each leg, RFC 6455 §7.1.2),
//! or FINs or RSTs on both legs while the session was busy. That is how proxies end their
//! sessions when they are reloaded or stopped: Caddy on `caddy reload` or `caddy stop`
//! (close frames 1001 to both sides), nginx when `worker_shutdown_timeout` runs out after a
//! reload, HAProxy at `hard-stop-after`, Envoy at the end of its drain. An idle timeout
//! ends a leg only after a quiet spell of its length, and a relayed end starts with an
//! application's; neither is this.

use crate::report::cause::{BothLegs, Cause, LegEnding};
use crate::report::words::proxy::whole_seconds;
use crate::report::ConnectionReport;
use crate::vocab::CloseFrame;
use crate::vocab::{Role, Timestamp};

/// Longest time between the proxy's endings of the two legs that counts as one instant,
/// in milliseconds: a proxy ends both in one pass of its event loop (well under a
/// millisecond on the recordings), a loaded machine may stretch that.
pub const INSTANT_MS: f64 = 100.0;

/// Longest quiet spell before FINs or RSTs on both legs that is still "no quiet spell", in
/// milliseconds: no proxy's idle timeout for WebSockets is set below a second, so an end
/// that soon after the last frame is not one.
pub const QUIET_MAX_MS: f64 = 1000.0;

/// Whether `copy` is `of` byte for byte: sent with the same masking key and carrying the
/// same payload (the same code and reason, read whole: no problem with either frame, so
/// that the payload was at most 125 bytes, all captured, and its reason is its bytes).
/// A client masks each frame with a fresh key of its own (RFC 6455 §5.3), so a proxy's
/// close frame with the client's key and payload is the client's frame passed on. A
/// different key proves nothing: a proxy that relays a close frame may mask it anew, as
/// it must mask its own (or, as Caddy 2.6, not mask it at all).
pub fn same_bytes(copy: &CloseFrame, of: &CloseFrame) -> bool {
    copy.mask_key.is_some()
        && copy.mask_key == of.mask_key
        && copy.problems.is_empty()
        && of.problems.is_empty()
        && copy.code == of.code
        && copy.reason == of.reason
}

/// Whether `g`, on one leg, came after `f`, on the other: by packet within one capture, by
/// time when the legs are in two (`across`: captured at two points, whose packet numbers
/// do not compare).
pub fn later(g: &CloseFrame, f: &CloseFrame, across: bool) -> bool {
    if across {
        g.time > f.time
    } else {
        g.packet > f.packet
    }
}

/// The close frame of `from` on `leg` after it that is a byte-for-byte copy of `f`
/// ([`same_bytes`]): `f` passed on by the proxy.
fn copied_to<'a>(
    f: &CloseFrame,
    leg: &'a ConnectionReport,
    across: bool,
) -> Option<&'a CloseFrame> {
    leg.close_frames
        .iter()
        .find(|g| g.from == f.from && later(g, f, across) && same_bytes(g, f))
}

/// The close frames the proxy sent on its own: on the front leg, the first close frame when
/// it is the proxy's (the server's) and the backend sent none before it; on the back leg,
/// the first when it is the proxy's (the client's) and the client sent none before it. A
/// close frame the proxy passed on byte for byte from the other leg ([`same_bytes`]: the
/// client's masking key and payload) is a relay, and the other application's answer to it
/// no close of either's: the proxy's own is its first close frame after them. A close
/// frame that answered the proxy's own on the other leg is no close for the proxy to
/// relay: a proxy that sent its own 1001 to the client, read the client's echo and only
/// then closed the backend (a reload or stop) closed the back leg itself too (issue 69
/// item 5), and the same the other way round. Where the other leg's frames of that role
/// were not all decoded (bytes missing where a frame header was expected), one of them may
/// have been relayed there: none is said to be the proxy's own.
pub fn own_closes<'a>(
    front: &'a ConnectionReport,
    back: &'a ConnectionReport,
) -> (Option<&'a CloseFrame>, Option<&'a CloseFrame>) {
    let across = front.input != back.input;
    // `answered`: the proxy's own close on `other`, which the frames after it there answer.
    let own = |leg: &'a ConnectionReport,
               proxy: Role,
               other: &'a ConnectionReport,
               answered: Option<&CloseFrame>| {
        let relayed = |f: &CloseFrame| {
            f.from == proxy
                && other
                    .close_frames
                    .iter()
                    .any(|h| h.from == proxy && later(f, h, across) && same_bytes(f, h))
        };
        // Past the relays and what answered them.
        let mut after_relay = false;
        let first = leg
            .close_frames
            .iter()
            .find(|f| {
                if relayed(f) {
                    after_relay = true;
                    return false;
                }
                f.from == proxy || !after_relay
            })
            .filter(|f| f.from == proxy)?;
        if !*other.decoded_to_end.of(proxy) {
            return None;
        }
        let relaying = other.close_frames.iter().any(|g| {
            g.from == proxy
                && later(first, g, across)
                && answered.is_none_or(|a| a.packet >= g.packet)
                && copied_to(g, leg, across).is_none()
        });
        (!relaying).then_some(first)
    };
    let front_own = own(front, Role::Server, back, None);
    let back_own = own(back, Role::Client, front, None);
    match (front_own, back_own) {
        (Some(f), None) => (Some(f), own(back, Role::Client, front, Some(f))),
        (None, Some(b)) => (own(front, Role::Server, back, Some(b)), Some(b)),
        both => both,
    }
}

/// Milliseconds from `a` to `b` (0 when `b` is earlier).
fn ms(a: Timestamp, b: Timestamp) -> f64 {
    (b.since(a) * 1000.0).max(0.0)
}

/// The last frame on either leg before the proxy's first close frame (packet `before`, at
/// `at`), other than close frames: what each side sent last. A frame after it (sent
/// before its sender read the close) counts as at the close: no quiet spell.
fn last_frame_before(
    legs: [&ConnectionReport; 2],
    before: u64,
    at: Timestamp,
) -> Option<(u64, Timestamp)> {
    legs.iter()
        .flat_map(|r| {
            [
                r.frames.client.last_non_close,
                r.frames.server.last_non_close,
            ]
        })
        .flatten()
        .map(|(p, t)| (p, if p < before { t } else { at }))
        .max_by_key(|&(p, t)| (t, p))
}

/// The proxy's own close frames to both legs, at one instant, named as a reload or stop;
/// none after a quiet spell of whole seconds (which may be an idle timeout that closes
/// with close frames).
pub fn closes(front: &ConnectionReport, back: &ConnectionReport) -> Option<Cause> {
    let (Some(f), Some(b)) = own_closes(front, back) else {
        return None;
    };
    let apart_ms = (b.time.since(f.time) * 1000.0).abs();
    if apart_ms > INSTANT_MS {
        return None;
    }
    let first = if f.time <= b.time { f } else { b };
    let last = last_frame_before([front, back], f.packet.min(b.packet), first.time);
    let since = last.map_or(front.start.max(back.start), |(_, t)| t);
    let quiet_ms = ms(since, first.time);
    if last.is_some() && whole_seconds(quiet_ms / 1000.0).is_some() {
        return None;
    }
    let name = |c: &CloseFrame| match c.code {
        Some(code) => format!("close frame {code}"),
        None => "close frame with no code".to_string(),
    };
    Some(Cause::ProxyReloadOrStop {
        legs: BothLegs {
            front: front.id,
            front_end: LegEnding {
                by: Role::Server,
                name: name(f),
                packet: f.packet,
                h2_stream: None,
            },
            back: back.id,
            back_end: LegEnding {
                by: Role::Client,
                name: name(b),
                packet: b.packet,
                h2_stream: None,
            },
            quiet_ms,
            last_frame_packet: last.map(|(p, _)| p),
        },
        close_frames: true,
        apart_ms,
    })
}

/// The proxy's FINs or RSTs on both legs (`legs`, ended at `front_at` and `back_at`) named
/// as a reload or stop, when they came at one instant and less than [`QUIET_MAX_MS`] after
/// the last frame; with how far apart they came, in milliseconds.
pub fn ends(legs: &BothLegs, front_at: Timestamp, back_at: Timestamp) -> Option<(Cause, f64)> {
    let apart_ms = (back_at.since(front_at) * 1000.0).abs();
    (apart_ms <= INSTANT_MS && legs.last_frame_packet.is_some() && legs.quiet_ms < QUIET_MAX_MS)
        .then(|| {
            let cause = Cause::ProxyReloadOrStop {
                legs: legs.clone(),
                close_frames: false,
                apart_ms,
            };
            (cause, apart_ms)
        })
}
