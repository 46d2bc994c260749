//! How the sessions of an incident or a doubt ended ([`EndedBy`], JSON `ended_by`) and who
//! ended them ([`Enders`], JSON `side`): strings made from their names.
//!
//! In: nothing of the project. Out: the two values `incident::detect` fills in each
//! `Incident` and `Doubt` (split from `incident.rs` at its 1 000-line limit).

use serde::Serialize;

/// How the sessions of an incident or a doubt ended, all alike or not (JSON `ended_by`, a
/// string: "fin", "rst", "fin/rst", "close 1000", "close", "refused 503", "silence",
/// "mixed").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedBy {
    /// Each by its TCP FIN, no close frame.
    Fin,
    /// Each by a TCP RST, no close frame.
    Rst,
    /// Each by a FIN or a RST, some of each.
    FinRst,
    /// Each by a close frame with this code (none: an empty close frame).
    Close(Option<u16>),
    /// Each upgrade refused with this HTTP status.
    Refused(u16),
    /// Each HTTP/2 stream ended by an RST_STREAM (or a GOAWAY) with this error code.
    Stream {
        /// A GOAWAY, not an RST_STREAM.
        goaway: bool,
        /// Its error code (RFC 9113 §7).
        code: u32,
    },
    /// No close frame, FIN or RST: data unacknowledged to the end.
    Silence,
    /// Not all alike.
    Mixed,
}

impl EndedBy {
    /// Whether each ended by its TCP FIN or RST (no close frame).
    pub fn by_tcp(self) -> bool {
        matches!(self, EndedBy::Fin | EndedBy::Rst | EndedBy::FinRst)
    }
}

impl std::fmt::Display for EndedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndedBy::Fin => f.write_str("fin"),
            EndedBy::Rst => f.write_str("rst"),
            EndedBy::FinRst => f.write_str("fin/rst"),
            EndedBy::Close(Some(c)) => write!(f, "close {c}"),
            EndedBy::Close(None) => f.write_str("close"),
            EndedBy::Refused(s) => write!(f, "refused {s}"),
            EndedBy::Silence => f.write_str("silence"),
            EndedBy::Mixed => f.write_str("mixed"),
            EndedBy::Stream { goaway, code } => {
                let frame = if *goaway { "goaway" } else { "rst_stream" };
                match super::h2_error_name(*code) {
                    Some(name) => write!(f, "{frame} {name}"),
                    None => write!(f, "{frame} 0x{code:x}"),
                }
            }
        }
    }
}

/// Compared with its JSON string (tests read it so).
impl PartialEq<&str> for EndedBy {
    fn eq(&self, other: &&str) -> bool {
        let text: &str = &self.to_string();
        text == *other
    }
}

impl Serialize for EndedBy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Who ended the sessions of an incident (JSON `side`, a string: "server", "client",
/// "both").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enders {
    /// The server ended each.
    Server,
    /// Each client ended its own.
    Client,
    /// Some each way (or a side not known).
    Both,
}

impl Enders {
    /// Its JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Enders::Server => "server",
            Enders::Client => "client",
            Enders::Both => "both",
        }
    }
}

impl std::fmt::Display for Enders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Compared with its JSON string (tests read it so).
impl PartialEq<&str> for Enders {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

impl Serialize for Enders {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}
