//! Where a connection's row says each cause: the one rule the default table's brief cell
//! reads, so that its row is made from the facts every format shares.
//!
//! In: a [`Cause`](super::Cause), or a connection's report. Out: the part of the row that
//! says a cause ([`RowPart`], [`row_part`]): its status, close frames, ending, lead line,
//! evidence or incident line, or `-v` alone; and the causes no part says, with their words
//! ([`row_causes`]: those of Markdown's and HTML's "What the capture shows",
//! `report::facts`). A kind added to the cause list has no part, so it is said in its own
//! words in the brief cell, as in the CSV's `detail`, with no renderer edit.

/// The part of a connection's row (the default table's brief cell: the status, the close
/// frames, how TCP ended, the evidence) that says a cause, when another part than the
/// cause's own words does, or that the brief form leaves it to `-v` and the connection's
/// section. A cause kind none is given for is said in its own words (the words Markdown's
/// and HTML's "What the capture shows" give it: [`row_causes`]); so a kind added to the
/// cause list reaches the brief table, as the CSV's `detail` column, with no edit of theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowPart {
    /// The status's label (its code and name).
    Status,
    /// The close frames each way, the reply and a side that sent none.
    Frames,
    /// How TCP (or an HTTP/2 stream) ended, or why it is still open.
    Ending,
    /// The line the cell leads with ([`lead_line`](super::facts::lead_line)).
    Lead,
    /// The evidence line (the clause of the cause's `evidence` facet).
    Evidence,
    /// The incident's line.
    Incident,
    /// Left to `-v` and the connection's section: the brief cell keeps to the above.
    Verbose,
}

/// Where a connection's row says `cause` ([`RowPart`]); none: in its own words.
pub fn row_part(cause: &crate::report::Cause) -> Option<RowPart> {
    use crate::report::Cause as C;
    Some(match cause {
        C::UpgradeRefused { .. } | C::TunnelRefused { .. } => RowPart::Status,
        C::Closed { .. }
        | C::EmptyClose { .. }
        | C::CodeNotCaptured { .. }
        | C::CloseReply { .. }
        | C::NoCloseReply { .. }
        | C::CloseReplyNotCaptured { .. }
        | C::LateCloseFrame { .. }
        | C::InvalidCloseFrame { .. } => RowPart::Frames,
        C::NoCloseFrame { .. }
        | C::StillOpen { .. }
        | C::CaptureCut { .. }
        | C::Evicted { .. }
        | C::PacketsDropped { .. }
        | C::OneDirection { .. }
        | C::RstAfterFin { .. }
        | C::StreamEndings { .. } => RowPart::Ending,
        C::HttpResponseInStream { .. }
        | C::CloseAnswersMessage { .. }
        | C::Application { .. }
        | C::LastWords { .. }
        | C::HeartbeatTimeout { .. }
        | C::ProxyReloadOrStop { .. } => RowPart::Lead,
        C::IncidentMember { .. } => RowPart::Incident,
        C::Unacknowledged { .. }
        | C::MtuBlackHole { .. }
        | C::MtuBlackHoleReceiver { .. }
        | C::WindowClosed { .. }
        | C::StoppedReading { .. }
        | C::Keepalive { .. }
        | C::ForeignReset { .. }
        | C::SeenBeforeBreak { .. } => RowPart::Evidence,
        C::CloseNotRead { .. }
        | C::CloseNotDelivered { .. }
        | C::GatewayIdleClose { .. }
        | C::GatewayFrames { .. }
        | C::AcceptMismatch { .. }
        | C::HandshakeFault { .. }
        | C::AbruptEnding { .. }
        | C::ClosingCutShort { .. }
        | C::HeartbeatAnswersStopped { .. }
        | C::UnpromptedClose { .. }
        | C::OneDirectionResent { .. }
        | C::SeenAt { .. }
        | C::ReasonWords { .. }
        | C::ProxyIdleTimeout { .. }
        | C::TunnelIdleTimeout { .. }
        | C::ProxyEndedBothLegs { .. }
        | C::RelayedEnd { .. }
        | C::QuietSpell { .. }
        | C::UnansweredMessage { .. }
        | C::IdleTimeout { .. }
        | C::TlsFatalAlert { .. }
        | C::TlsCloseNotifyFirst { .. }
        | C::TlsClosedCleanly { .. }
        | C::TlsNotClosed { .. }
        | C::RelayedClose { .. }
        | C::PingsStopped { .. }
        | C::LastMessage { .. } => RowPart::Verbose,
        _ => return None,
    })
}

/// The causes of `c` that its row says in their own words (no [`row_part`]), each with
/// those words: the same as its share of "What the capture shows" (`status.detail`).
pub fn row_causes(c: &super::ConnectionReport) -> Vec<(&'static str, String)> {
    c.status
        .causes
        .iter()
        .filter(|k| row_part(k).is_none())
        .map(|k| (k.kind(), k.to_string()))
        .collect()
}
