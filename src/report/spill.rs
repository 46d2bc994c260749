//! The compact binary form of a [`ConnectionReport`] kept in the report store's temporary
//! file (see `store`): never shown to anyone, read back only by the process that wrote it.
//!
//! In: a report, and the table of `&'static str`s met so far. Out: bytes; and back, the
//! same report, field for field, including the fields JSON leaves out (`recent_frames`,
//! `frames_not_logged`, `endpoints`, the timestamps and orders in `Stats` and
//! `FrameRecord`). The encoding itself (varints, strings, options, statics) is `codec`'s.

use super::{
    CloseFrameReport, ConnectionReport, HandshakeReport, Host, PerSide, SeenBy, TcpEndReport,
};
use crate::close::diagnosis::{CloseHandshake, Evidence, Status};
pub use crate::codec::Statics;
use crate::codec::{self, fields, Code, Reader, Writer};

/// Encodes `r` at the end of `out`.
pub fn encode(r: &ConnectionReport, statics: &mut Statics, out: &mut Vec<u8>) {
    codec::encode(r, statics, out);
}

/// Decodes one report written by [`encode`] with the same `statics`.
pub fn decode(bytes: &[u8], statics: &Statics) -> Option<ConnectionReport> {
    codec::decode(bytes, statics)
}

fields!(HandshakeReport {
    seen,
    host,
    path,
    status,
    subprotocol,
    extensions,
    accept_valid,
    request_packet,
    response_packet,
    deflate,
});
fields!(CloseFrameReport {
    from,
    code,
    name,
    reason,
    packet,
    time,
    problems,
});
fields!(TcpEndReport { by, kind, packet });
fields!(SeenBy { client, server });
fields!(Status {
    code,
    name,
    inferred,
    detail,
    general,
    fix,
});
fields!(Evidence {
    summary,
    packets,
    consistent,
});
fields!(CloseHandshake {
    initiator,
    reply,
    reply_code,
    reply_may_be_missing,
    echoed,
    reply_after_s,
    tcp_closed_first_by,
});
fields!(ConnectionReport {
    id,
    input,
    client,
    server,
    handshake,
    close_frames,
    tcp_end,
    tcp_end_by,
    tcp_end_packet,
    tcp_ends,
    status,
    evidence,
    seen_by,
    close_handshake,
    decoded_to_end,
    findings,
    findings_dropped,
    idle_before_end_s,
    first_packet,
    last_packet,
    start,
    end,
    duration_s,
    frames,
    tcp,
    timeline,
    recent_frames,
    frames_not_logged,
    endpoints,
});

impl Code for Host {
    fn put(&self, w: &mut Writer<'_>) {
        match self {
            Host::Addr(ep) => {
                w.out.push(0);
                ep.put(w);
            }
            Host::Named(name) => {
                w.out.push(1);
                name.put(w);
            }
        }
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        match r.byte()? {
            0 => Code::get(r).map(Host::Addr),
            1 => Code::get(r).map(Host::Named),
            _ => None,
        }
    }
}

impl<T: Code> Code for PerSide<T> {
    fn put(&self, w: &mut Writer<'_>) {
        self.client.put(w);
        self.server.put(w);
    }
    fn get(r: &mut Reader<'_>) -> Option<Self> {
        Some(PerSide {
            client: T::get(r)?,
            server: T::get(r)?,
        })
    }
}
