//! What TLS adds to a 1006.

use crate::diagnose::tls::cause;
use crate::report::tls::TlsReport;
use crate::vocab::{EndKind, PerSide, Role};

fn report(close_notify: PerSide<Option<u64>>) -> TlsReport {
    TlsReport {
        version: Some("TLS 1.3".into()),
        decrypted: true,
        close_notify,
        ..TlsReport::default()
    }
}

/// Chromium answers a server's close_notify with its own FIN before the server's: the
/// server closed on purpose, and the client's FIN is named as its answer, not as the
/// client leaving with TLS unclosed.
#[test]
fn a_close_notify_before_any_tcp_ending_names_its_sender() {
    let t = report(PerSide {
        client: None,
        server: Some(102),
    });
    let said = cause(
        &t,
        Some((Role::Client, EndKind::Fin, 104)),
        Some((Role::Server, 102)),
    )
    .unwrap();
    assert_eq!(said.kind(), "tls-close-notify-first");
    assert_eq!(
        said.to_string(),
        "Over TLS, the server closed TLS cleanly (close_notify at packet 102) before ending TCP; the client answered by ending TCP (FIN, packet 104), before the server did: the server's side shut the connection on purpose, only without a WebSocket close frame."
    );
    // Without that close_notify first, the client's FIN is a TCP ending with TLS open.
    let said = cause(&t, Some((Role::Client, EndKind::Fin, 104)), None).unwrap();
    assert!(
        said.to_string()
            .contains("the client ended TCP with no close_notify"),
        "{said}"
    );
}
