//! The report's values made from what the stages kept, so that `report/` need not know
//! the stages' types: a CONNECT tunnel (`stack::connect`), an HTTP/2 stream's end
//! (`websocket::session`), the tunnels around a connection (`decode`), the TLS layer's facts
//! (`stack::tls`), and the packets whose tunnels were not peeled.
//!
//! In: a finished connection's stage values. Out: `report`'s types, filled.

use crate::decode::{Encapsulation, Skip};
use crate::report::encapsulation::EncapsulationReport;
use crate::report::tls::{AlertReport, EncryptedReport, Reason, TlsReport};
use crate::report::tunnel::{EarlierAnswer, TunnelReport, BODY_TEXT};
use crate::report::words::tls::advice;
use crate::report::{Host, Seen};
use crate::report::{StreamEndName, StreamEndReport};
use crate::stack::connect::Tunnel;
use crate::stack::h2::frame::ErrorCode;
use crate::stack::tcp::connection::Connection;
use crate::stack::tls::keylog::hex_lower;
use crate::stack::tls::layer::TlsFacts;
use crate::vocab::NotDecrypted;
use crate::vocab::{LaterRst, PerSide, Role, StreamEndKind, TcpEnd};
use crate::websocket::session::StreamEnd;

impl TunnelReport {
    /// The report of tunnel `t` through the proxy `proxy`.
    pub fn new(t: &Tunnel, proxy: Host) -> TunnelReport {
        TunnelReport {
            proxy,
            target: t.target.clone(),
            status: t.status,
            reason: t.status.map(|_| t.reason.clone()),
            request_packet: t.request_packet,
            request_time: t.request_ts,
            response_packet: t.response_packet,
            body: t.body_text(BODY_TEXT),
            body_cut: t.body_cut,
            earlier: t
                .earlier
                .iter()
                .map(|&(status, packet)| EarlierAnswer { status, packet })
                .collect(),
            proxy_product: t.proxy.clone(),
        }
    }
}

impl StreamEndReport {
    /// The report of stream end `e`, sent by `by`.
    pub(crate) fn new(e: &StreamEnd, by: Role) -> StreamEndReport {
        let (kind, error_code, last_stream) = match e.kind {
            StreamEndKind::EndStream => (StreamEndName::EndStream, None, None),
            StreamEndKind::Reset(code) => (
                StreamEndName::RstStream,
                Some(ErrorCode(code).to_string()),
                None,
            ),
            StreamEndKind::GoAway { last_stream, code } => (
                StreamEndName::Goaway,
                Some(ErrorCode(code).to_string()),
                Some(last_stream),
            ),
        };
        StreamEndReport {
            by,
            kind,
            error_code,
            last_stream,
            ends_stream: e.ends_stream(),
            packet: e.packet,
            time: e.ts,
        }
    }
}

impl From<Encapsulation> for EncapsulationReport {
    fn from(e: Encapsulation) -> EncapsulationReport {
        EncapsulationReport {
            kind: e.kind,
            id: e.id,
            outer: e.outer.map(|(a, b)| [a.to_string(), b.to_string()]),
            nested: e.nested().collect(),
        }
    }
}

impl Seen {
    /// Counts a packet whose tunnels were not peeled (`Skip::TunnelFragment`,
    /// `Skip::TooDeep`; any other is not counted here), number `packet`.
    pub fn unpeeled(&mut self, skip: Skip, packet: u64) {
        let (count, first) = match skip {
            Skip::TunnelFragment => (&mut self.tunnel_fragments, 0),
            Skip::TooDeep => (&mut self.too_deep_packets, 1),
            _ => return,
        };
        *count += 1;
        if let Some(f) = self.first_unpeeled.get_mut(first) {
            f.get_or_insert(packet);
        }
    }
}

impl TlsReport {
    /// The report of `facts`, whose TLS client is the connection's side `tls_client`. The
    /// summary's server name and ALPN protocols are moved into the report, not copied
    /// (left empty in `facts`: nothing reads them there after).
    pub(crate) fn new(facts: &mut TlsFacts, c: &Connection) -> TlsReport {
        // The TLS client is the side that sent the ClientHello; the report's roles are
        // the connection's, which agree but for captures that defy rule 3.
        let role = |from_client: bool| {
            let client = c.client_side();
            c.role(if from_client { client } else { client.other() })
        };
        let (cn_client, cn_server) = facts.close_notify;
        let s = &mut facts.summary;
        let (sni, alpn_offered, alpn) = (
            s.sni.take(),
            std::mem::take(&mut s.alpn_offered),
            s.alpn_chosen.take(),
        );
        let s = &facts.summary;
        TlsReport {
            client_random: s.client_random.map(|r| hex_lower(&r)),
            version: s.version_name(),
            cipher_suite: s.cipher_suite_name(),
            sni,
            alpn_offered,
            alpn,
            decrypted: s.decrypted,
            not_decrypted: s
                .why_not
                .as_ref()
                .map(crate::report::words::tls::not_decrypted),
            close_notify: PerSide {
                client: cn_client,
                server: cn_server,
            },
            alerts: facts
                .alerts
                .iter()
                .map(|a| AlertReport {
                    from: role(a.from_client),
                    level: if a.fatal { "fatal" } else { "warning" }.to_owned(),
                    description: a.name.to_owned(),
                    packet: a.packet,
                })
                .collect(),
            hello_retry_request: s.hello_retry_request,
            resumed: s.resumed,
            early_data: s.early_data_offered.then(|| {
                match s.early_data_accepted {
                    Some(true) => "accepted",
                    Some(false) => "rejected",
                    None => "offered",
                }
                .to_owned()
            }),
            key_updates: PerSide {
                client: s.client.key_updates,
                server: s.server.key_updates,
            },
        }
    }
}

impl EncryptedReport {
    /// The entry of finished connection `c`, if it was TLS and carried no session.
    pub(crate) fn of(c: &Connection) -> Option<EncryptedReport> {
        let mut facts = c.up.tls()?;
        let tls = TlsReport::new(&mut facts, c);
        let reason = reason_of(facts.summary.why_not.as_ref(), facts.summary.decrypted);
        let client = c.client_side();
        let first_end = c.first_end();
        Some(EncryptedReport {
            input: c.input,
            client: Host::Addr(c.ep[client]),
            server: Host::Addr(c.ep[client.other()]),
            tls,
            first_end: first_end.map(|(by, e)| {
                let later = e.then_rst.map(|r| LaterRst::new(r.packet, r.ts));
                TcpEnd::new(by, e.kind, e.packet, e.ts, later)
            }),
            first_packet: c.first_packet,
            last_packet: c.last_packet,
            reason,
            advice: advice(reason, &[]),
        })
    }
}

/// Why a TLS connection is listed as encrypted, from why the layer did not decrypt it.
fn reason_of(why: Option<&NotDecrypted>, decrypted: bool) -> Reason {
    match why {
        Some(NotDecrypted::NoKey) => Reason::NoKey,
        Some(NotDecrypted::PartialKey) => Reason::PartialKey,
        Some(NotDecrypted::KeyMismatch) => Reason::KeyMismatch,
        Some(NotDecrypted::Gap { .. }) => Reason::Gap,
        Some(NotDecrypted::HandshakeNotCaptured) => Reason::HandshakeNotCaptured,
        Some(
            NotDecrypted::UnsupportedSuite(_)
            | NotDecrypted::UnsupportedVersion(_)
            | NotDecrypted::Renegotiation,
        ) => Reason::Unsupported,
        Some(NotDecrypted::ProtocolViolation(_)) => Reason::ProtocolViolation,
        None if decrypted => Reason::NotWebsocket,
        None => Reason::NoApplicationData,
    }
}
