//! A tunnel's kind as the report names it ([`Tunnel`]: `vxlan`, `gre`, `6in4`, ... in JSON;
//! its name and its identifier's name in words).
//!
//! In: nothing of the project. Out: the kinds `decode` finds in a packet's encapsulation.

/// A tunnel, as the report names its kind: `ipip` is IPv4 in IPv4, `6in4` IPv6 in IPv4,
/// `4in6` and `6in6` IPv4 and IPv6 in IPv6.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
// Each variant is its serde name, said in the doc above; a doc comment on each would turn
// the schema's plain `enum` of names into a `oneOf` of described constants.
#[allow(missing_docs)]
pub enum Tunnel {
    #[serde(rename = "vxlan")]
    Vxlan,
    #[serde(rename = "geneve")]
    Geneve,
    #[serde(rename = "gre")]
    Gre,
    #[serde(rename = "erspan-i")]
    ErspanI,
    #[serde(rename = "erspan-ii")]
    ErspanII,
    #[serde(rename = "erspan-iii")]
    ErspanIII,
    #[serde(rename = "ipip")]
    IpIp,
    #[serde(rename = "6in4")]
    SixInFour,
    #[serde(rename = "4in6")]
    FourInSix,
    #[serde(rename = "6in6")]
    SixInSix,
    #[serde(rename = "mpls")]
    Mpls,
    #[serde(rename = "pppoe")]
    Pppoe,
}

impl Tunnel {
    /// The name a text report gives it.
    pub fn name(self) -> &'static str {
        match self {
            Tunnel::Vxlan => "VXLAN",
            Tunnel::Geneve => "GENEVE",
            Tunnel::Gre => "GRE",
            Tunnel::ErspanI => "ERSPAN type I",
            Tunnel::ErspanII => "ERSPAN type II",
            Tunnel::ErspanIII => "ERSPAN type III",
            Tunnel::IpIp => "IP-in-IP",
            Tunnel::SixInFour => "6in4",
            Tunnel::FourInSix => "4in6",
            Tunnel::SixInSix => "6in6",
            Tunnel::Mpls => "MPLS",
            Tunnel::Pppoe => "PPPoE",
        }
    }

    /// What its identifier is: VXLAN's and GENEVE's network identifier, GRE's key, an
    /// ERSPAN or PPPoE session, MPLS's outermost label.
    pub fn id_name(self) -> &'static str {
        match self {
            Tunnel::Vxlan | Tunnel::Geneve => "VNI",
            Tunnel::Gre => "key",
            Tunnel::ErspanI | Tunnel::ErspanII | Tunnel::ErspanIII | Tunnel::Pppoe => "session",
            Tunnel::Mpls => "label",
            Tunnel::IpIp | Tunnel::SixInFour | Tunnel::FourInSix | Tunnel::SixInSix => "id",
        }
    }
}
