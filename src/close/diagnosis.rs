//! The status each application saw, and why.
//!
//! In: a connection's close frames (both directions, in delivery order), how each side's
//! TCP ended, and the handshake outcome. Out: a [`Status`]: the code of the first close frame
//! on the wire (RFC 6455 §7.1.5), 1005 when that frame had no code, 1006 when TCP ended
//! before any close frame (§7.1.5, §7.4.1), or none while the connection was still open at
//! the end of the capture; with the documented cause and fix from the catalog, and the
//! evidence (packet numbers) from this capture. Nothing is guessed: a close frame whose
//! code bytes are missing from the capture gives "unknown", not 1005.

use super::catalog;
use super::CloseFrame;
use crate::connection::EndKind;
use crate::flow::Role;
use serde::Serialize;

/// How one side ended its half of the TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpEnd {
    pub by: Role,
    pub kind: EndKind,
    pub packet: u64,
    pub order: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// The status code, or `None` (JSON null) when there is none to report.
    pub code: Option<u16>,
    pub name: String,
    /// True for 1005 and 1006, which are never on the wire.
    pub inferred: bool,
    pub cause: String,
    pub fix: String,
}

fn quoted_reason(reason: &str) -> String {
    if reason.is_empty() {
        String::new()
    } else {
        format!(" \"{reason}\"")
    }
}

fn end_phrase(e: &TcpEnd) -> String {
    match e.kind {
        EndKind::Fin => format!("the {} closed TCP with a FIN (packet {})", e.by, e.packet),
        EndKind::Rst => format!("the {} reset TCP with an RST (packet {})", e.by, e.packet),
    }
}

/// `closes` and `ends` in any order; they are ordered here by delivery order.
pub fn status(
    closes: &[&CloseFrame],
    ends: &[TcpEnd],
    http_status: Option<u16>,
    upgraded: bool,
) -> Status {
    if let Some(code) = http_status.filter(|&c| c != 101) {
        return Status {
            code: None,
            name: "Upgrade refused".into(),
            inferred: false,
            cause: format!(
                "The server answered the WebSocket upgrade with HTTP {code}, so no WebSocket connection was opened and no close code applies."
            ),
            fix: "Read the HTTP response: 400 usually means a missing or bad Sec-WebSocket-Key or Version header, 401/403 missing credentials or a rejected Origin, 404 a wrong path, 426 an unsupported WebSocket version.".into(),
        };
    }
    let first_close = closes.iter().min_by_key(|c| c.order);
    let first_end = ends.iter().min_by_key(|e| e.order);
    match (first_close, first_end) {
        (Some(c), e) if e.is_none_or(|e| c.order < e.order) => close_status(c, closes),
        (_, Some(e)) => {
            let entry = catalog::lookup(1006);
            let late = first_close
                .map(|c| {
                    format!(
                        " A close frame from the {} came only later (packet {}).",
                        c.from, c.packet
                    )
                })
                .unwrap_or_default();
            Status {
                code: Some(1006),
                name: entry.name.into(),
                inferred: true,
                cause: format!(
                    "No close frame was sent before {}; both applications see 1006.{late} {}",
                    end_phrase(e),
                    entry.causes
                ),
                fix: entry.fix.into(),
            }
        }
        (_, None) => {
            let (name, cause) = if upgraded {
                (
                    "Open",
                    "The connection was still open when the capture ended: no close frame, FIN or RST was captured.",
                )
            } else {
                (
                    "Open (handshake pending)",
                    "The upgrade request was captured but no reply, close frame, FIN or RST followed before the capture ended.",
                )
            };
            Status {
                code: None,
                name: name.into(),
                inferred: false,
                cause: cause.into(),
                fix:
                    "Capture until the connection closes (or reproduce the close while capturing)."
                        .into(),
            }
        }
    }
}

fn close_status(c: &CloseFrame, closes: &[&CloseFrame]) -> Status {
    let reply = closes
        .iter()
        .filter(|r| r.from != c.from)
        .min_by_key(|r| r.order)
        .map(|r| match r.code {
            Some(code) => format!(
                " The {} replied {code}{} (packet {}).",
                r.from,
                quoted_reason(&r.reason),
                r.packet
            ),
            None => format!(
                " The {} replied with an empty close frame (packet {}).",
                r.from, r.packet
            ),
        })
        .unwrap_or_else(|| format!(" The {} sent no close frame in reply.", c.from.peer()));
    match c.received_status() {
        Some(1005) if c.code.is_none() => {
            let entry = catalog::lookup(1005);
            Status {
                code: Some(1005),
                name: entry.name.into(),
                inferred: true,
                cause: format!(
                    "The {} sent a close frame with no status code (packet {}), so the {}'s application sees 1005.{reply} {}",
                    c.from,
                    c.packet,
                    c.from.peer(),
                    entry.causes
                ),
                fix: entry.fix.into(),
            }
        }
        Some(code) => {
            let entry = catalog::lookup(code);
            Status {
                code: Some(code),
                name: entry.name.into(),
                inferred: false,
                cause: format!(
                    "The {} closed with {code} ({}){} at packet {}.{reply} {}",
                    c.from,
                    entry.name,
                    quoted_reason(&c.reason),
                    c.packet,
                    entry.causes
                ),
                fix: entry.fix.into(),
            }
        }
        None => Status {
            code: None,
            name: "Unknown (close frame truncated)".into(),
            inferred: false,
            cause: format!(
                "The {} sent a close frame (packet {}) but its status code is not in the capture (bytes missing); no code is guessed.",
                c.from, c.packet
            ),
            fix: "Capture with a full snaplen (tcpdump -s 0) and without drops to see the code.".into(),
        },
    }
}

/// The status the application on side `role` saw: the code in the peer's close frame (1005
/// if it had none) when it arrived before the peer's direction ended (a FIN from the peer,
/// or an RST from either side); else 1006 if TCP ended; else none (still open).
pub fn seen_by(role: Role, closes: &[&CloseFrame], ends: &[TcpEnd]) -> Option<u16> {
    let from_peer = closes
        .iter()
        .filter(|c| c.from == role.peer())
        .min_by_key(|c| c.order);
    let cut_off = ends
        .iter()
        .filter(|e| e.by == role.peer() || e.kind == EndKind::Rst)
        .map(|e| e.order)
        .min();
    match from_peer {
        Some(c) if cut_off.is_none_or(|e| c.order < e) => c.received_status(),
        _ if !ends.is_empty() => Some(1006),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Timestamp;

    fn close(from: Role, payload: &[u8], order: u64) -> CloseFrame {
        CloseFrame::parse(
            from,
            payload,
            true,
            payload.len() as u64,
            order,
            Timestamp(0),
            order,
        )
    }

    fn end(by: Role, kind: EndKind, order: u64) -> TcpEnd {
        TcpEnd {
            by,
            kind,
            packet: order,
            order,
        }
    }

    #[test]
    fn initiator_code_wins() {
        let a = close(Role::Server, b"\x03\xf0policy", 5);
        let b = close(Role::Client, b"\x03\xe8", 7);
        let s = status(
            &[&b, &a],
            &[end(Role::Server, EndKind::Fin, 9)],
            Some(101),
            true,
        );
        assert_eq!((s.code, s.inferred), (Some(1008), false));
        assert!(s.cause.contains("server closed with 1008"), "{}", s.cause);
        assert!(s.cause.contains("client replied 1000"), "{}", s.cause);
        assert_eq!(seen_by(Role::Client, &[&a, &b], &[]), Some(1008));
        assert_eq!(seen_by(Role::Server, &[&a, &b], &[]), Some(1000));
    }

    #[test]
    fn empty_close_is_1005_inferred() {
        let a = close(Role::Client, b"", 3);
        let s = status(&[&a], &[], Some(101), true);
        assert_eq!((s.code, s.inferred), (Some(1005), true));
    }

    #[test]
    fn tcp_end_before_close_is_1006() {
        let s = status(&[], &[end(Role::Client, EndKind::Rst, 4)], Some(101), true);
        assert_eq!((s.code, s.inferred), (Some(1006), true));
        assert!(
            s.cause.contains("client reset TCP with an RST (packet 4)"),
            "{}",
            s.cause
        );
        let late = close(Role::Server, b"\x03\xe8", 9);
        let s = status(
            &[&late],
            &[end(Role::Client, EndKind::Fin, 4)],
            Some(101),
            true,
        );
        assert_eq!(s.code, Some(1006));
        assert_eq!(
            seen_by(
                Role::Server,
                &[&late],
                &[end(Role::Client, EndKind::Fin, 4)]
            ),
            Some(1006)
        );
        // The initiator half-closed first; the reply still reaches it.
        let first = close(Role::Server, b"\x03\xea", 2);
        let reply = close(Role::Client, b"\x03\xea", 6);
        let ends = [end(Role::Server, EndKind::Fin, 4)];
        assert_eq!(seen_by(Role::Server, &[&first, &reply], &ends), Some(1002));
        assert_eq!(seen_by(Role::Client, &[&first, &reply], &ends), Some(1002));
    }

    #[test]
    fn open_and_refused() {
        let s = status(&[], &[], Some(101), true);
        assert_eq!(s.code, None);
        assert_eq!(s.name, "Open");
        let s = status(&[], &[], Some(403), false);
        assert_eq!((s.code, s.name.as_str()), (None, "Upgrade refused"));
    }

    #[test]
    fn truncated_close_is_unknown() {
        let c = CloseFrame::parse(Role::Client, b"", false, 2, 8, Timestamp(0), 8);
        let s = status(&[&c], &[], Some(101), true);
        assert_eq!(s.code, None);
        assert!(s.name.starts_with("Unknown"));
    }
}
