//! The bridge to Wireshark: a display filter that selects one connection's packets.
//!
//! In: a [`ConnectionReport`]'s two endpoints. Out: `ip.addr==A && ip.addr==B &&
//! tcp.port==P && tcp.port==Q` (`ipv6.addr` for IPv6; an address or port both ends share
//! written once), which selects the TCP connection's packets both ways without depending
//! on Wireshark's `tcp.stream` numbering. None for a redacted report: the filter would give
//! the addresses away. Packet numbers in every report are Wireshark's frame numbers
//! (`capture::file::pcapng::takes_frame_number`), so `frame.number==N` finds any packet a
//! report names.

use crate::report::{ConnectionReport, Host};
use std::fmt::Write;
use std::net::IpAddr;

/// The display filter of connection `c`, or None when its addresses were redacted.
/// Written by hand (itoa for the numbers) rather than through `write!`: every JSON
/// report carries it, and the formatting machinery took about 3 000 instructions a filter.
pub fn filter(c: &ConnectionReport) -> Option<String> {
    if matches!(c.client, Host::Named(_)) || matches!(c.server, Host::Named(_)) {
        return None;
    }
    let (a, b) = c.endpoints;
    let mut f = String::with_capacity(96);
    push_addr(&mut f, a.ip());
    if b.ip() != a.ip() {
        f.push_str(" && ");
        push_addr(&mut f, b.ip());
    }
    let mut digits = itoa::Buffer::new();
    f.push_str(" && tcp.port==");
    f.push_str(digits.format(a.port));
    if b.port != a.port {
        f.push_str(" && tcp.port==");
        f.push_str(digits.format(b.port));
    }
    Some(f)
}

/// `ip.addr==a.b.c.d` or `ipv6.addr==…` (IPv6 in its RFC 5952 text, through `Display`).
fn push_addr(f: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            f.push_str("ip.addr==");
            let mut digits = itoa::Buffer::new();
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    f.push('.');
                }
                f.push_str(digits.format(octet));
            }
        }
        IpAddr::V6(v6) => {
            let _ = write!(f, "ipv6.addr=={v6}");
        }
    }
}

/// For a WebSocket on an HTTP/2 stream (RFC 8441): the connection's filter narrowed to
/// that stream's frames (`http2.streamid`), or None. The connection's own filter stays the
/// one to read its TCP ending and the other streams by.
pub fn stream_filter(c: &ConnectionReport) -> Option<String> {
    let stream = c.h2_stream?;
    filter(c).map(|f| format!("{f} && http2.streamid=={stream}"))
}

/// For a wss:// connection whose server port is not 443: how to make Wireshark decode it
/// as TLS (it does so by itself only on its TLS ports; elsewhere it shows bare TCP, even
/// with the key log), or None.
pub fn decode_as_tls(c: &ConnectionReport) -> Option<String> {
    let port = match c.server {
        Host::Addr(e) => e.port,
        Host::Named(_) => return None,
    };
    (c.tls.is_some() && port != 443).then(|| {
        format!(
            "Decode As… TCP port {port} → TLS, with the key log in Preferences › Protocols › TLS (tshark: -d tcp.port=={port},tls -d tls.port=={port},http -o tls.keylog_file:KEYLOG)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::Endpoint;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn with(a: (IpAddr, u16), b: (IpAddr, u16)) -> ConnectionReport {
        let mut c = crate::report::repeated_fixture_report(1).connections[0].clone();
        c.endpoints = (Endpoint::new(a.0, a.1), Endpoint::new(b.0, b.1));
        c.client = Host::Addr(c.endpoints.0);
        c.server = Host::Addr(c.endpoints.1);
        c
    }

    #[test]
    fn filters_for_v4_v6_and_shared_addresses() {
        let v4 = |x: u8| IpAddr::V4(Ipv4Addr::new(10, 0, 0, x));
        let c = with((v4(1), 41008), (v4(2), 8080));
        assert_eq!(
            filter(&c).unwrap(),
            "ip.addr==10.0.0.1 && ip.addr==10.0.0.2 && tcp.port==41008 && tcp.port==8080"
        );
        let lo = with((v4(1), 41008), (v4(1), 8080));
        assert_eq!(
            filter(&lo).unwrap(),
            "ip.addr==10.0.0.1 && tcp.port==41008 && tcp.port==8080"
        );
        let v6 = with(
            (IpAddr::V6(Ipv6Addr::LOCALHOST), 5000),
            (IpAddr::V6("2001:db8::1".parse().unwrap()), 5000),
        );
        assert_eq!(
            filter(&v6).unwrap(),
            "ipv6.addr==::1 && ipv6.addr==2001:db8::1 && tcp.port==5000"
        );
        let mut redacted = c.clone();
        redacted.client = Host::Named("host-1:41008".into());
        assert_eq!(filter(&redacted), None);
    }

    #[test]
    fn an_h2_stream_gets_a_filter_of_its_own() {
        let a = (IpAddr::V4(Ipv4Addr::LOCALHOST), 41000);
        let b = (IpAddr::V4(Ipv4Addr::LOCALHOST), 8443);
        let mut c = with(a, b);
        assert_eq!(stream_filter(&c), None, "not on an HTTP/2 stream");
        c.h2_stream = Some(5);
        assert_eq!(
            stream_filter(&c).as_deref(),
            Some("ip.addr==127.0.0.1 && tcp.port==41000 && tcp.port==8443 && http2.streamid==5")
        );
    }
}
