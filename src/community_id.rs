//! Community ID v1 of a TCP flow: the flow hash Zeek's and Suricata's logs carry
//! (`community_id`), so that a connection of this report joins their records.
//!
//! In: the two endpoints (address, port) of one TCP connection, either order. Out:
//! `"1:" + base64(SHA-1(seed ‖ lower address ‖ higher address ‖ proto ‖ 0 ‖ lower port ‖
//! higher port))`, seed 0 (two bytes, big endian), proto 6, every field in network byte order
//! and the endpoints ordered by address, then port (the Community ID specification, v1, as its
//! reference implementation `communityid` computes it). IPv4 and IPv6 addresses take their
//! own lengths (4 and 16 bytes).

use base64::Engine as _;
use sha1::{Digest, Sha1};
use std::net::IpAddr;

/// The protocol number of TCP.
const TCP: u8 = 6;

/// The Community ID (v1, seed 0) of the TCP flow between `a` and `b`, in either order.
/// `None` when one address is IPv4 and the other IPv6, which no flow is.
pub fn tcp(a: (IpAddr, u16), b: (IpAddr, u16)) -> Option<String> {
    // Each address its own length: 4 bytes for IPv4, 16 for IPv6.
    let (a4, b4, a6, b6);
    let (ab, bb): (&[u8], &[u8]) = match (a.0, b.0) {
        (IpAddr::V4(x), IpAddr::V4(y)) => {
            (a4, b4) = (x.octets(), y.octets());
            (&a4, &b4)
        }
        (IpAddr::V6(x), IpAddr::V6(y)) => {
            (a6, b6) = (x.octets(), y.octets());
            (&a6, &b6)
        }
        _ => return None,
    };
    let (ka, kb) = ((ab, a.1), (bb, b.1));
    let (lo, hi) = if ka <= kb { (ka, kb) } else { (kb, ka) };
    let mut sha = Sha1::new();
    sha.update(0u16.to_be_bytes());
    sha.update(lo.0);
    sha.update(hi.0);
    sha.update([TCP, 0]);
    sha.update(lo.1.to_be_bytes());
    sha.update(hi.1.to_be_bytes());
    let digest = sha.finalize();
    let mut out = String::with_capacity(30);
    out.push_str("1:");
    base64::engine::general_purpose::STANDARD.encode_string(digest, &mut out);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::tcp;
    use std::net::IpAddr;

    fn id(a: &str, ap: u16, b: &str, bp: u16) -> Option<String> {
        let (a, b): (IpAddr, IpAddr) = (a.parse().unwrap(), b.parse().unwrap());
        tcp((a, ap), (b, bp))
    }

    /// Values computed by the reference implementation (the `communityid` Python package,
    /// 1.5.0: `CommunityID(0).calc(FlowTuple.make_tcp(...))`).
    #[test]
    fn matches_the_reference_implementation() {
        let cases = [
            (
                "127.0.0.1",
                54321,
                "127.0.0.1",
                8080,
                "1:SymodDhxDhgOvFBIsM4bc64GInk=",
            ),
            (
                "10.0.0.1",
                443,
                "192.168.1.2",
                51000,
                "1:nQrgTCo1zJCFy5uFGj4tFmRvjyc=",
            ),
            ("::1", 40000, "::1", 443, "1:tYQIaE6aISTYb9ZCu9tlAAvKvdY="),
            (
                "2001:db8::1",
                1234,
                "2001:db8::2",
                80,
                "1:r0kqPLw6hSIAasyo9ANthUgbhVA=",
            ),
        ];
        for (a, ap, b, bp, want) in cases {
            assert_eq!(id(a, ap, b, bp).as_deref(), Some(want), "{a}:{ap} {b}:{bp}");
            assert_eq!(
                id(b, bp, a, ap).as_deref(),
                Some(want),
                "reversed {a}:{ap} {b}:{bp}"
            );
        }
    }

    #[test]
    fn mixed_families_have_no_flow() {
        assert_eq!(id("127.0.0.1", 1, "::1", 2), None);
    }
}
