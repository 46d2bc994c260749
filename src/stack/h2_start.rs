//! Where a connection's HTTP/2 starts: with prior knowledge, told by its first bytes
//! ([`h2_client`]: the client's preface, or a server's SETTINGS sent first, RFC 9113 §3.4),
//! or at the `101` that accepts an `Upgrade: h2c` request ([`Stack::h2c_upgrade`], RFC 7540
//! §3.2), where the stack's top switches from HTTP/1.1 to HTTP/2.

use super::*;

impl Stack {
    /// The server accepted an `Upgrade: h2c` request (RFC 7540 §3.2): from the end of its
    /// `101`, HTTP/2. The request's `HTTP2-Settings` are the client's first SETTINGS
    /// (§3.2.1); the server's bytes after the `101` go on first (its SETTINGS, then the
    /// answer to the request, stream 1), then what the client sent after its request (its
    /// preface, then frames), each with the packet that carried it.
    pub(super) fn h2c_upgrade(&mut self, up: http1::H2cSwitch) {
        use crate::vocab::{Found, H2cSettings, Invalid, Role};
        let problem = match (up.request_packet, up.settings.as_deref()) {
            // The request was not captured whole: what its settings allowed is unknown, so
            // nothing the server sends is held against them (the largest frame, table).
            (None, _) => {
                let mut lenient = Vec::new();
                for (id, v) in [(1u16, u32::MAX), (5, (1 << 24) - 1)] {
                    lenient.extend(id.to_be_bytes());
                    lenient.extend(v.to_be_bytes());
                }
                let conn = h2::H2Conn::upgraded(&lenient).unwrap_or_default();
                self.layer_changed = true;
                self.top = Top::H2(Box::new(H2Layer::upgraded(conn, up.client)));
                None
            }
            (Some(_), None) => Some(H2cSettings::Missing),
            (Some(_), Some(v)) => match http1::parse::http2_settings_payload(v) {
                None => Some(H2cSettings::NotBase64(v.to_string())),
                Some(payload) => match h2::H2Conn::upgraded(&payload) {
                    Ok(conn) => {
                        self.layer_changed = true;
                        self.top = Top::H2(Box::new(H2Layer::upgraded(conn, up.client)));
                        None
                    }
                    Err(e) => Some(H2cSettings::NotSettings(e.broke())),
                },
            },
        };
        if let Some(problem) = problem {
            let switched_at = up.response_packet;
            let found = Found::HandshakeInvalid(Invalid::H2cSettings {
                switched_at,
                problem,
            });
            self.ctx
                .findings
                .found(Some(Role::Client), up.request_packet, found);
            self.layer_changed = true;
            self.top = Top::H2(Box::new(H2Layer::upgraded(h2::H2Conn::new(), up.client)));
        }
        let server = up.client.other();
        for (side, held) in std::iter::once((server, up.server))
            .chain(up.client_held.into_iter().map(|h| (up.client, h)))
        {
            let Top::H2(h) = &mut self.top else {
                return;
            };
            let ev = match &held {
                http1::Held::Data { bytes, packet, ts } => Event::Data {
                    offset: 0,
                    bytes,
                    packet: *packet,
                    ts: *ts,
                },
                http1::Held::Gap { packet, cut } => Event::Gap {
                    offset: 0,
                    len: 0,
                    packet: *packet,
                    cut: *cut,
                },
                http1::Held::NotKept { packet } => {
                    let cap = http1::MAX_H2C_HELD;
                    let why = h2::LostReason::NotKeptBeforeUpgrade { cap };
                    h.lose(&mut self.ctx, side, why, Some(*packet));
                    continue;
                }
            };
            h.on_event(&mut self.ctx, side, ev);
        }
    }
}

/// The client of an HTTP/2 connection with prior knowledge whose first bytes, from side
/// `s`, are `bytes`: `s` if they start with the client's connection preface, the other
/// side if they are a SETTINGS frame on stream 0 (a server may send its preface before it
/// reads the client's, RFC 9113 §3.4). Not for a connection whose start was not captured,
/// nor against roles already known.
pub(crate) fn h2_client(ctx: &Ctx, s: Side, bytes: &[u8]) -> Option<Side> {
    if ctx.partial[s] {
        return None;
    }
    let client = if bytes.len() >= 4 && h2::looks_like_preface(bytes) {
        s
    } else if h2::frame::looks_like_settings(bytes) {
        s.other()
    } else {
        return None;
    };
    ctx.client.is_none_or(|c| c == client).then_some(client)
}
