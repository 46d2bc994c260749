//! A flow's endpoint: an IP address and port, held as aligned integers, and its text as
//! the reports write it ("a.b.c.d:port", "[v6]:port").

use std::net::IpAddr;

/// An IP address and port, held as aligned integers: an endpoint is built, compared,
/// hashed and copied on every packet, and `IpAddr`'s byte layout (a tag, then the address
/// at an odd offset) made each copy a stall. The derived order is `IpAddr`'s: every IPv4
/// address before every IPv6 one, then the address, then the port. Its stored form
/// (`serial`) is the address and the port.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(into = "(IpAddr, u16)", from = "(IpAddr, u16)")]
pub struct Endpoint {
    pub(super) v6: bool,
    /// The address's high and low 64 bits (an IPv4 address in the low 32 bits of `lo`).
    pub(super) hi: u64,
    pub(super) lo: u64,
    /// The TCP port.
    pub port: u16,
}

impl From<Endpoint> for (IpAddr, u16) {
    fn from(ep: Endpoint) -> (IpAddr, u16) {
        (ep.ip(), ep.port)
    }
}

impl From<(IpAddr, u16)> for Endpoint {
    fn from((ip, port): (IpAddr, u16)) -> Endpoint {
        Endpoint::new(ip, port)
    }
}

impl Endpoint {
    /// An address and port.
    pub fn new(ip: IpAddr, port: u16) -> Endpoint {
        match ip {
            IpAddr::V4(a) => Endpoint::v4(u32::from(a), port),
            IpAddr::V6(a) => Endpoint::v6(u128::from(a), port),
        }
    }

    /// An IPv4 endpoint from the address as a number (big-endian bytes read as one).
    pub fn v4(addr: u32, port: u16) -> Endpoint {
        Endpoint {
            v6: false,
            hi: 0,
            lo: u64::from(addr),
            port,
        }
    }

    /// An IPv6 endpoint from the address as a number.
    pub fn v6(addr: u128, port: u16) -> Endpoint {
        Endpoint {
            v6: true,
            hi: (addr >> 64) as u64,
            lo: addr as u64,
            port,
        }
    }

    /// The address's low and high 64 bits (the high ones 0 for IPv4) and the port and
    /// family folded into one word (port in the low 16 bits, bit 16 set for IPv6): the
    /// whole endpoint as three words, for hashing and comparing flow keys.
    #[inline(always)]
    pub fn words(&self) -> (u64, u64, u64) {
        (
            self.lo,
            self.hi,
            u64::from(self.port) | u64::from(self.v6) << 16,
        )
    }

    /// A hash of the endpoint whose high bits are well mixed (one multiplication), for
    /// spreading flows over the analyzer threads; not for tables an adversary could fill.
    #[inline]
    pub fn spread(&self) -> u64 {
        let x = self.lo
            ^ self.hi.rotate_left(29)
            ^ (u64::from(self.port) << 48)
            ^ (u64::from(self.v6) << 47);
        let x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        x ^ (x >> 29)
    }

    /// The group (of `groups`) of the flow between `a` and `b`, the same in either order
    /// (the sum of their hashes): see `Shards`.
    #[inline]
    pub(crate) fn group(a: &Endpoint, b: &Endpoint, groups: u64) -> u64 {
        let h = a.spread().wrapping_add(b.spread());
        // The hash scaled to 0..groups by its top bits: a multiplication, not a division.
        ((u128::from(h) * u128::from(groups)) >> 64) as u64
    }

    /// The IP address.
    pub fn ip(&self) -> IpAddr {
        if self.v6 {
            IpAddr::V6((u128::from(self.hi) << 64 | u128::from(self.lo)).into())
        } else {
            IpAddr::V4((self.lo as u32).into())
        }
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.ip() {
            IpAddr::V4(ip) => f.write_str(v4_text(ip, self.port).as_str()),
            IpAddr::V6(ip) => write!(f, "[{ip}]:{}", self.port),
        }
    }
}

impl Endpoint {
    /// Serializes the endpoint's text: an IPv4 one as one string built in place, an IPv6
    /// one through its `Display`.
    pub fn serialize_text<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.ip() {
            IpAddr::V4(ip) => s.serialize_str(v4_text(ip, self.port).as_str()),
            IpAddr::V6(_) => s.collect_str(self),
        }
    }
}

/// "a.b.c.d:port" in one buffer, the numbers through itoa: every report names both
/// endpoints, and the formatting machinery (`Ipv4Addr`'s own Display pads through a second
/// buffer) took over a thousand instructions per endpoint.
pub(super) fn v4_text(ip: std::net::Ipv4Addr, port: u16) -> Text {
    let mut text = Text::default();
    let mut digits = itoa::Buffer::new();
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            text.push(b".");
        }
        text.push(digits.format(octet).as_bytes());
    }
    text.push(b":");
    text.push(digits.format(port).as_bytes());
    text
}

/// An IPv4 endpoint's text, built in place ("255.255.255.255:65535" is the longest).
#[derive(Default)]
pub(super) struct Text {
    buf: [u8; 21],
    len: usize,
}

impl Text {
    pub(super) fn push(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        if let Some(to) = self.buf.get_mut(self.len..end) {
            to.copy_from_slice(bytes);
            self.len = end;
        }
    }

    pub(super) fn as_str(&self) -> &str {
        std::str::from_utf8(self.buf.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }
}
