//! A link-layer header type as the tcpdump.org LINKTYPE registry numbers it: what a capture
//! file or interface says its packets start with (JSON `inputs[].link_types`). In the
//! vocabulary so that the fatal errors (`error`, whose live variants carry what a live
//! capture took) can name it without importing the capture stage that returns them.

use serde::Serialize;

/// A link-layer header type as numbered by the tcpdump.org LINKTYPE registry.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, schemars::JsonSchema,
)]
#[serde(transparent)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback (a 4-byte address family in host order).
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet.
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP (101).
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback (address family in network order).
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture (SLL), `tcpdump -i any`.
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux NFLOG.
    pub const NFLOG: LinkType = LinkType(239);
    /// Apple's PKTAP.
    pub const PKTAP: LinkType = LinkType(258);
    /// Linux cooked capture v2 (SLL2).
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// Its name in the LINKTYPE registry ("ETHERNET", "LINUX_SLL", ...), for warnings.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "NULL (BSD loopback)",
            1 => "ETHERNET",
            12 | 14 | 101 => "RAW",
            9 => "PPP",
            104 => "C_HDLC",
            105 => "IEEE802_11",
            108 => "LOOP (OpenBSD loopback)",
            113 => "LINUX_SLL",
            127 => "IEEE802_11_RADIOTAP",
            147..=162 => "USER (147-162, private use)",
            192 => "PPI",
            195 => "IEEE802_15_4",
            201 => "BLUETOOTH_HCI_H4_WITH_PHDR",
            220 => "USB_LINUX_MMAPPED",
            253 => "NETLINK",
            228 => "IPV4",
            229 => "IPV6",
            239 => "NFLOG",
            258 => "PKTAP",
            276 => "LINUX_SLL2",
            _ => "unknown",
        }
    }
}

impl std::fmt::Display for LinkType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}
