//! How TCP ended: each side's FIN or RST ([`TcpEnd`]), a connection's endings in order
//! ([`TcpEnds`]), and the name a report gives the first of them ([`TcpEndName`]: "fin",
//! "rst", "open"). RFC 9293 §3.6 (closing a connection), §3.10.7.1 (RST).
//!
//! In: the ending `stack::tcp` saw on each side (`diagnose` builds a [`TcpEnd`] from it).
//! Out: one record of a connection's endings: its report's `tcp_ends`, and `tcp_end`,
//! `tcp_end_by` and `tcp_end_packet`, derived from the first ([`TcpEnds::name`],
//! [`TcpEnds::first_by`], [`TcpEnds::first_packet`]). Stored (`serial`), every field; in JSON
//! (`TcpEndJson`, the schema's `TcpEndReport`), `rst_after_fin` only when there was one.

use super::{EndKind, Role, Timestamp};
use serde::{Deserialize, Serialize};

/// One side's ending of TCP: its first FIN or RST.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[non_exhaustive]
pub struct TcpEnd {
    /// The side that sent the FIN or RST.
    pub by: Role,
    /// FIN or RST.
    pub kind: EndKind,
    /// The packet that carried it.
    pub packet: u64,
    /// When the FIN or RST was captured.
    pub time: Timestamp,
    /// The RST the same side sent after this FIN, if it did.
    pub rst_after_fin: Option<LaterRst>,
}

impl TcpEnd {
    /// Its name: "fin" or "rst".
    pub fn name(&self) -> TcpEndName {
        TcpEndName::of(Some(self.kind))
    }

    /// The ending `by` sent in `packet` at `time`, and the RST it sent after its FIN.
    pub fn new(
        by: Role,
        kind: EndKind,
        packet: u64,
        time: Timestamp,
        rst_after_fin: Option<LaterRst>,
    ) -> TcpEnd {
        TcpEnd {
            by,
            kind,
            packet,
            time,
            rst_after_fin,
        }
    }
}

/// The JSON view of a [`TcpEnd`].
#[derive(Serialize, schemars::JsonSchema)]
#[serde(remote = "TcpEnd", rename = "TcpEndReport")]
#[schemars(rename = "TcpEndReport")]
#[schemars(description = "How one side ended TCP: its first FIN or RST.")]
pub struct TcpEndJson {
    by: Role,
    kind: EndKind,
    packet: u64,
    /// When the FIN or RST was captured.
    time: Timestamp,
    /// After a FIN, the RST the same side sent later (its socket closed for good: the
    /// peer's data that came after the FIN was refused, or an abortive close after a
    /// half-close). Left out when there was none.
    #[serde(skip_serializing_if = "Option::is_none")]
    rst_after_fin: Option<LaterRst>,
}

impl Serialize for TcpEnd {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            TcpEndJson::serialize(self, s)
        } else {
            TcpEnd::serialize(self, s)
        }
    }
}

impl<'de> Deserialize<'de> for TcpEnd {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<TcpEnd, D::Error> {
        TcpEnd::deserialize(d)
    }
}

impl schemars::JsonSchema for TcpEnd {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        TcpEndJson::schema_name()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        TcpEndJson::json_schema(g)
    }
}

/// An RST sent after the same side's FIN (`rst_after_fin` of a TCP ending).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename = "LaterRstReport")]
#[non_exhaustive]
pub struct LaterRst {
    /// The packet that carried it.
    pub packet: u64,
    /// When the RST was captured.
    pub time: Timestamp,
}

impl LaterRst {
    /// The RST in `packet`, captured at `time`.
    pub fn new(packet: u64, time: Timestamp) -> LaterRst {
        LaterRst { packet, time }
    }
}

/// How TCP ended first, as a report names it (`tcp_end`): "fin", "rst", or "open" for
/// neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TcpEndName {
    /// The first ending was a FIN.
    Fin,
    /// The first ending was an RST.
    Rst,
    /// Neither side ended TCP in the capture.
    Open,
}

impl TcpEndName {
    /// Every name, in the order the schema lists them.
    pub const ALL: [TcpEndName; 3] = [TcpEndName::Fin, TcpEndName::Rst, TcpEndName::Open];

    /// The name of a first ending of `kind`, `Open` for none.
    pub fn of(kind: Option<EndKind>) -> TcpEndName {
        match kind {
            Some(EndKind::Fin) => TcpEndName::Fin,
            Some(EndKind::Rst) => TcpEndName::Rst,
            None => TcpEndName::Open,
        }
    }

    /// Its text in JSON and CSV: "fin", "rst", "open".
    pub fn as_str(self) -> &'static str {
        match self {
            TcpEndName::Fin => "fin",
            TcpEndName::Rst => "rst",
            TcpEndName::Open => "open",
        }
    }
}

impl std::fmt::Display for TcpEndName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A connection's TCP endings, each side's first FIN or RST, in the order they came (at
/// most one a side). Read as a slice; the first is the one a report names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TcpEnds(Vec<TcpEnd>);

/// The schema of a list of [`TcpEnd`]s, written in place (as a `Vec`'s is).
impl schemars::JsonSchema for TcpEnds {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        <Vec<TcpEnd>>::schema_name()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <Vec<TcpEnd>>::json_schema(g)
    }
}

impl TcpEnds {
    /// The endings `ends`, in the order they came.
    pub fn new(ends: Vec<TcpEnd>) -> TcpEnds {
        TcpEnds(ends)
    }

    /// How TCP ended first: "fin", "rst", or "open" when neither side ended it.
    pub fn name(&self) -> TcpEndName {
        TcpEndName::of(self.0.first().map(|e| e.kind))
    }

    /// Who ended TCP first; `None` while open.
    pub fn first_by(&self) -> Option<Role> {
        self.0.first().map(|e| e.by)
    }

    /// The packet of the first FIN or RST; `None` while open.
    pub fn first_packet(&self) -> Option<u64> {
        self.0.first().map(|e| e.packet)
    }

    /// `side`'s ending, if it ended TCP.
    pub fn by(&self, side: Role) -> Option<&TcpEnd> {
        self.0.iter().find(|e| e.by == side)
    }
}

impl std::ops::Deref for TcpEnds {
    type Target = [TcpEnd];

    fn deref(&self) -> &[TcpEnd] {
        &self.0
    }
}

impl<'a> IntoIterator for &'a TcpEnds {
    type Item = &'a TcpEnd;
    type IntoIter = std::slice::Iter<'a, TcpEnd>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(by: Role, kind: EndKind, packet: u64) -> TcpEnd {
        TcpEnd::new(by, kind, packet, Timestamp(packet as i64), None)
    }

    #[test]
    fn the_first_ending_names_the_connection_s() {
        let open = TcpEnds::default();
        assert_eq!(
            (open.name(), open.first_by(), open.first_packet()),
            (TcpEndName::Open, None, None)
        );
        let ends = TcpEnds::new(vec![
            end(Role::Server, EndKind::Rst, 9),
            end(Role::Client, EndKind::Fin, 11),
        ]);
        assert_eq!(
            (ends.name(), ends.first_by(), ends.first_packet()),
            (TcpEndName::Rst, Some(Role::Server), Some(9))
        );
        assert_eq!(ends.by(Role::Client).map(|e| e.packet), Some(11));
        assert_eq!(ends[1].name(), TcpEndName::Fin);
    }

    #[test]
    fn names_are_the_json_s() {
        for n in TcpEndName::ALL {
            let json = serde_json::to_string(&n).unwrap();
            assert_eq!(json, format!("\"{}\"", n.as_str()));
            assert_eq!(serde_json::from_str::<TcpEndName>(&json).unwrap(), n);
        }
        assert_eq!(TcpEndName::of(Some(EndKind::Fin)).as_str(), "fin");
        assert_eq!(TcpEndName::of(None).as_str(), "open");
        assert_eq!(EndKind::Rst.name(), "RST");
    }
}
