//! What TLS shows of how a session ended, for a 1006.
//!
//! In: the session's TLS report (its alerts, each side's close_notify), the first TCP ending
//! and a close_notify that came before any TCP ending. Out: at most one cause: a fatal alert
//! (RFC 8446 §6.2), a close_notify that came first (its sender closed on purpose, §6.1),
//! or whether the side that ended TCP first had closed TLS cleanly before.

use crate::report::cause::{Cause, TcpEnding};
use crate::report::tls::TlsReport;
use crate::vocab::{EndKind, Role};

/// The cause TLS adds to a 1006. `tcp_first` is the side that ended TCP first, how and at
/// which packet; `notify_first` the side and packet of a close_notify that came before any
/// TCP ending, when that is where the session ended (no close frame).
pub fn cause(
    tls: &TlsReport,
    tcp_first: Option<(Role, EndKind, u64)>,
    notify_first: Option<(Role, u64)>,
) -> Option<Cause> {
    if let Some(a) = tls.alerts.iter().find(|a| a.level == "fatal") {
        return Some(Cause::TlsFatalAlert {
            from: a.from,
            alert: a.description.clone(),
            packet: a.packet,
        });
    }
    if let Some((by, packet)) = notify_first {
        return Some(Cause::TlsCloseNotifyFirst {
            by,
            packet,
            answered: tcp_first
                .filter(|&(t, _, _)| t != by)
                .map(|(by, kind, packet)| TcpEnding { by, kind, packet }),
        });
    }
    let (by, _, packet) = tcp_first?;
    Some(match tls.close_notify.of(by) {
        &Some(p) if p <= packet => Cause::TlsClosedCleanly { by, packet: p },
        _ => Cause::TlsNotClosed { by },
    })
}
