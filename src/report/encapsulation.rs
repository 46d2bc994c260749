//! The tunnels a connection came through, as a report names them.
//!
//! In: what `diagnose` reads from the `Encapsulation` the decoding found on a connection's
//! first packet. Out:
//! [`EncapsulationReport`]: in JSON `{"kind": "vxlan", "vni": 4242, "outer": ["10.0.0.5",
//! "10.0.0.9"]}`, the identifier under its kind's name (`vni`, `key`, `session`, `label`),
//! `outer` left out when no IP header carried the tunnel, `nested` (the kinds of the
//! tunnels inside it) when there are any; in text one line, "VXLAN VNI 4242 between
//! 10.0.0.5 and 10.0.0.9". `--redact` names the outer addresses as it names endpoints.
//! Also the input warnings on packets whose tunnels were not peeled.

use super::Seen;
use crate::vocab::Tunnel;
use serde::{Deserialize, Serialize};

/// The outermost tunnel of a connection's first packet. Stored (`serial`), every field; in
/// JSON, [`EncapsulationReportJson`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[non_exhaustive]
pub struct EncapsulationReport {
    /// The tunnel: VXLAN, GENEVE, GRE, ERSPAN, IP in IP, MPLS, PPPoE.
    pub kind: Tunnel,
    /// Its VNI, GRE key, ERSPAN or PPPoE session, or outermost MPLS label.
    pub id: Option<u32>,
    /// The outer IP header's source and destination (pseudonyms when redacted).
    pub outer: Option<[String; 2]>,
    /// The tunnels inside it, outermost first.
    pub nested: Vec<Tunnel>,
}

/// The JSON view of an [`EncapsulationReport`].
#[derive(Serialize, schemars::JsonSchema)]
#[serde(remote = "EncapsulationReport", rename = "EncapsulationReport")]
#[schemars(
    description = "The tunnel the connection's first packet came through (the outermost, when nested)."
)]
pub struct EncapsulationReportJson {
    kind: Tunnel,
    /// VXLAN's or GENEVE's network identifier.
    #[serde(
        getter = "EncapsulationReport::vni",
        skip_serializing_if = "Option::is_none"
    )]
    vni: Option<u32>,
    /// GRE's key, when the GRE header has one.
    #[serde(
        getter = "EncapsulationReport::key",
        skip_serializing_if = "Option::is_none"
    )]
    key: Option<u32>,
    /// An ERSPAN session (type II, III) or a PPPoE session.
    #[serde(
        getter = "EncapsulationReport::session",
        skip_serializing_if = "Option::is_none"
    )]
    session: Option<u32>,
    /// MPLS's outermost label.
    #[serde(
        getter = "EncapsulationReport::label",
        skip_serializing_if = "Option::is_none"
    )]
    label: Option<u32>,
    /// The outer IP header's source and destination on the connection's first packet
    /// (pseudonyms when redacted); left out for MPLS or PPPoE straight over Ethernet.
    #[serde(skip_serializing_if = "Option::is_none")]
    outer: Option<[String; 2]>,
    /// The tunnels inside it, outermost first; left out when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    nested: Vec<Tunnel>,
}

impl Serialize for EncapsulationReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            EncapsulationReportJson::serialize(self, s)
        } else {
            EncapsulationReport::serialize(self, s)
        }
    }
}

impl<'de> Deserialize<'de> for EncapsulationReport {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<EncapsulationReport, D::Error> {
        EncapsulationReport::deserialize(d)
    }
}

impl EncapsulationReport {
    /// The identifier, when the kind's is named `name`.
    fn id_as(&self, name: &str) -> Option<u32> {
        self.id.filter(|_| self.kind.id_name() == name)
    }

    fn vni(&self) -> Option<u32> {
        self.id_as("VNI")
    }

    fn key(&self) -> Option<u32> {
        self.id_as("key")
    }

    fn session(&self) -> Option<u32> {
        self.id_as("session")
    }

    fn label(&self) -> Option<u32> {
        self.id_as("label")
    }
}

/// "VXLAN VNI 4242 between 10.0.0.5 and 10.0.0.9", "GRE key 7 between … (inside it: MPLS)".
impl std::fmt::Display for EncapsulationReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kind.name())?;
        if let Some(id) = self.id {
            write!(f, " {} {id}", self.kind.id_name())?;
        }
        if let Some([a, b]) = &self.outer {
            write!(f, " between {a} and {b}")?;
        }
        if !self.nested.is_empty() {
            let names: Vec<&str> = self.nested.iter().map(|t| t.name()).collect();
            write!(f, " (inside it: {})", names.join(", "))?;
        }
        Ok(())
    }
}

impl Seen {
    /// The warnings of an input on its packets whose tunnels were not peeled: the counts
    /// since `before` (`tunnel_fragments`, `too_deep_packets` when the input began), the
    /// first packets numbered less `base` (the packets of the inputs it continues). Forgets
    /// those first packets, for the next input. `deepest` is the decoding's limits, the
    /// tunnels and the headers it peels at most (`decode::tunnel`).
    pub fn unpeeled_warnings(
        &mut self,
        before: (u64, u64),
        base: u64,
        deepest: (usize, usize),
    ) -> Vec<String> {
        let firsts = std::mem::take(&mut self.first_unpeeled);
        let first = |i: usize| {
            firsts.get(i).copied().flatten().map_or(String::new(), |n| {
                format!(" (the first: packet {})", n - base)
            })
        };
        let mut out = Vec::new();
        let fragments = self.tunnel_fragments - before.0;
        if fragments > 0 {
            out.push(format!(
                "{fragments} tunnel packets (VXLAN, GENEVE, GRE, IP in IP) came in IP fragments{}, which wsclose does not reassemble: the TCP segments inside them are missing from the connections; capture where the tunnel's MTU keeps its packets whole, or inside the tunnel",
                first(0)
            ));
        }
        let deep = self.too_deep_packets - before.1;
        if deep > 0 {
            out.push(format!(
                "{deep} packets had tunnels nested more than {} deep (or more than {} headers) and were not decoded{}",
                deepest.0,
                deepest.1,
                first(1)
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_names_the_identifier_by_kind_and_text_reads_as_one_line() {
        let mut e = EncapsulationReport {
            kind: Tunnel::Vxlan,
            id: Some(4242),
            outer: Some(["10.0.0.5".into(), "10.0.0.9".into()]),
            nested: vec![],
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"kind":"vxlan","vni":4242,"outer":["10.0.0.5","10.0.0.9"]}"#
        );
        assert_eq!(
            e.to_string(),
            "VXLAN VNI 4242 between 10.0.0.5 and 10.0.0.9"
        );
        e.kind = Tunnel::Gre;
        e.nested = vec![Tunnel::Mpls];
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"kind":"gre","key":4242,"outer":["10.0.0.5","10.0.0.9"],"nested":["mpls"]}"#
        );
        assert_eq!(
            e.to_string(),
            "GRE key 4242 between 10.0.0.5 and 10.0.0.9 (inside it: MPLS)"
        );
        let pppoe = EncapsulationReport {
            kind: Tunnel::Pppoe,
            id: Some(17),
            outer: None,
            nested: vec![],
        };
        assert_eq!(
            serde_json::to_string(&pppoe).unwrap(),
            r#"{"kind":"pppoe","session":17}"#
        );
        assert_eq!(pppoe.to_string(), "PPPoE session 17");
        // The stored form keeps every field.
        let back: EncapsulationReport =
            crate::serial::read(&crate::serial::to_vec(&e).unwrap()).unwrap();
        assert_eq!(back, e);
    }
}
