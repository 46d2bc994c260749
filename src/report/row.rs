//! Where a connection's row says each cause: the one rule the default table's brief cell
//! reads, so that its row is made from the facts every format shares.
//!
//! In: a [`Cause`](super::Cause), or a connection's report. Out: the part of the row that
//! says a cause ([`RowPart`], [`row_part`]): its status, close frames, ending, lead line,
//! evidence or incident line, or `-v` alone; and the causes no part says, with their words
//! ([`row_causes`]: those of Markdown's and HTML's "What the capture shows",
//! `report::facts`). A kind added to the cause list has no part, so it is said in its own
//! words in the brief cell, as in the CSV's `detail`, with no renderer edit. And the
//! overview row Markdown and HTML write of a connection ([`overview`]: its status, who
//! closed, the codes, the first reason, the quiet spell, the packets), made from the same
//! facts (`report::facts`, `report::statuses`); each format picks its cells and escapes
//! them.

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

/// Characters of a close reason in an overview row.
pub const REASON_SHOWN: usize = 60;

/// A connection's overview row, as Markdown and HTML write it (each picks its cells and
/// escapes what it writes): what every format's row says of a connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview<'a> {
    /// The connection's id.
    pub id: u64,
    /// The HTTP/2 stream: the streams of one HTTP/2 connection share its endpoints and
    /// packets.
    pub h2_stream: Option<u32>,
    /// The input's file name, when there are several.
    pub file: Option<&'a str>,
    /// The application's verdict, else a refused upgrade's reason: it leads the status.
    pub verdict: Option<String>,
    /// The status's label (`report::statuses::label`).
    pub status: String,
    /// Who closed (`report::facts::closed_by`).
    pub closed_by: String,
    /// The codes each way (`report::facts::codes`).
    pub codes: String,
    /// The first close reason given, cut at [`REASON_SHOWN`] characters, and whether it
    /// was cut.
    pub reason: Option<(String, bool)>,
    /// The quiet spell before the end.
    pub quiet: Option<String>,
    /// The connection's first packet.
    pub first_packet: u64,
    /// Its last packet.
    pub last_packet: u64,
}

/// `c`'s overview row; `file`: its input's name, when there are several.
pub fn overview<'a>(c: &super::ConnectionReport, file: Option<&'a str>) -> Overview<'a> {
    use super::facts;
    Overview {
        id: c.id,
        h2_stream: c.h2_stream,
        file,
        verdict: c
            .application
            .as_ref()
            .and_then(facts::app_line)
            .or_else(|| facts::refusal_line(c)),
        status: super::statuses::label(c),
        closed_by: facts::closed_by(c).to_string(),
        codes: facts::codes(c),
        reason: c
            .close_frames
            .iter()
            .find(|f| !f.reason.is_empty())
            .map(|f| {
                let shown: String = f.reason.chars().take(REASON_SHOWN).collect();
                let cut = shown.len() < f.reason.len();
                (shown, cut)
            }),
        quiet: c
            .idle_before_end_s
            .map(|s| crate::units::Secs(s).to_string()),
        first_packet: c.first_packet,
        last_packet: c.last_packet,
    }
}
