//! The status each application saw, as the report holds it: a code, its name, the detail
//! and fix in words, and the typed [`Cause`]s it follows from (`Status::of`, the one place
//! a status is said from its causes: when it is made, [`Status::new`], or once the stages
//! making a report have put its causes together unsaid, [`Status::unsaid`] then
//! [`Status::say`]; and when a later stage changes its causes, [`Status::add`],
//! [`Status::set_causes`]); and the
//! closing handshake ([`CloseHandshake`]). `diagnose::status` decides them. The rules they
//! and every report share, stated once: which close frame is the reply ([`reply_to`]) and
//! which codes are inferred ([`inferred`]).

use super::cause::Cause;
pub use super::cause::{End, EndHow, Eviction};
use super::words;
use crate::close::catalog;
use crate::vocab::{CloseFrame, Role};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The reply to close frame `first`: the first of `closes`, in delivery order, that `first`'s
/// peer sent (RFC 6455 §5.5.1, §7.1.2). The one rule the closing handshake, the causes of a
/// status (`diagnose::status`) and every report's rows (`ConnectionReport::close_reply`)
/// follow.
pub fn reply_to<'a>(
    first: &CloseFrame,
    closes: impl IntoIterator<Item = &'a CloseFrame>,
) -> Option<&'a CloseFrame> {
    closes
        .into_iter()
        .filter(|r| r.from != first.from)
        .min_by_key(|r| r.order)
}

/// Whether a status with `code` is inferred, never on the wire: 1005, the status of a close
/// frame without a code (RFC 6455 §7.1.5), and 1006, that of an ending without a close frame
/// (§7.1.5, §7.4.1). Every `inferred` and "(inferred)" follows it.
pub fn inferred(code: u16) -> bool {
    matches!(code, 1005 | 1006)
}

/// The status of a connection. In JSON: `code`, `name`, `inferred`, `cause`, `fix` and
/// `causes`, where `cause` is this capture's `detail` followed by the catalog's typical
/// causes (`general`): kept apart in memory so thousands of reports do not each copy the
/// catalog text. Every field follows from `causes` (`Status::of`). Stored (`serial`),
/// its texts are written as where they come from (`Source`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Status {
    /// The status code, or `None` (JSON null) when there is none to report.
    pub code: Option<u16>,
    /// The code's name (or the status's, when there is no code: "Open", "Upgrade refused").
    pub name: Cow<'static, str>,
    /// True for 1005 and 1006, which are never on the wire.
    pub inferred: bool,
    /// What this capture shows, with packet numbers: `causes` in words.
    pub detail: String,
    /// The catalog's typical causes of the code (empty when there is no code, when a cause
    /// names what happened: [`words::names_what_happened`], or when the application said).
    pub general: &'static str,
    /// What to check or change.
    pub fix: Cow<'static, str>,
    /// What happened, typed, in the order the detail says it; the first sets the code.
    pub causes: Vec<Cause>,
}

impl Status {
    /// The status `causes` make, when it is first decided (`diagnose`): said from them
    /// here, the one place a status is said (`Status::of`).
    pub fn new(causes: Vec<Cause>) -> Status {
        Status::of(causes)
    }

    /// Puts `causes` in place of the status's and says the status again from them: how a
    /// later stage (or the redaction) that changed the causes has the status follow.
    pub fn set_causes(&mut self, causes: Vec<Cause>) {
        *self = Status::of(causes);
    }

    /// A status whose causes are decided but not yet said (put in order; every other field
    /// empty), for the stages of one report that add causes one after another
    /// ([`Status::push_unsaid`]) before [`Status::say`] says it once: the words (`detail`,
    /// `fix`) are made once a connection, not once a cause. Only the causes may be read
    /// before it is said.
    pub fn unsaid(mut causes: Vec<Cause>) -> Status {
        order(&mut causes);
        Status {
            code: None,
            name: Cow::Borrowed(""),
            inferred: false,
            detail: String::new(),
            general: "",
            fix: Cow::Borrowed(""),
            causes,
        }
    }

    /// Adds `cause` where it is said, leaving the words to [`Status::say`] (a status made by
    /// [`Status::unsaid`]).
    pub fn push_unsaid(&mut self, cause: Cause) {
        self.causes.push(cause);
        order(&mut self.causes);
    }

    /// Puts `causes` in place of the status's, leaving the words to [`Status::say`].
    pub fn set_causes_unsaid(&mut self, causes: Vec<Cause>) {
        self.causes = causes;
        order(&mut self.causes);
    }

    /// Says the status from its causes (the same status [`Status::new`] makes of them:
    /// putting them in order twice is putting them in order once).
    pub fn say(&mut self) {
        *self = Status::of(std::mem::take(&mut self.causes));
    }

    /// The status `causes` make (put in the order they are said): the one place a status
    /// is decided from its causes; every other place reads the status it stored.
    fn of(mut causes: Vec<Cause>) -> Status {
        order(&mut causes);
        let mut head = words::head_of(&causes);
        super::words::app::own_reading(&mut head, &causes);
        // An abrupt ending read from its evidence has its own fix, not the code's.
        if let Some(fix) = causes.iter().find_map(words::ending::fix) {
            head.fix = std::borrow::Cow::Owned(fix);
        }
        // A proxy reload's member: the incident decided the proxy's ending, and its fix.
        if causes.iter().any(|c| {
            matches!(
                c,
                Cause::IncidentMember {
                    incident_kind: crate::vocab::IncidentKind::ProxyReload,
                    ..
                }
            )
        }) {
            head.fix = std::borrow::Cow::Borrowed(words::proxy::RELOAD_FIX);
        }
        if causes
            .iter()
            .any(|c| words::names_what_happened(c) || words::states_own_cause(c))
        {
            head.general = "";
        }
        // A cause stated once (issue 92 item 5): where a cause states the connection's own
        // and gives its advice, the code's catalog fix ("The protocol is fine. If the close
        // was unwanted …") is not said after that advice.
        if let Some(code) = head.code {
            if std::ptr::eq(&*head.fix, catalog::lookup(code).fix)
                && causes
                    .iter()
                    .any(|c| words::stated::stated(c) && c.hint(true).is_some())
            {
                head.fix = Cow::Borrowed("");
            }
        }
        Status {
            code: head.code,
            name: head.name,
            inferred: head.inferred,
            detail: words::detail(&causes),
            general: head.general,
            fix: words::fix(head.fix, &causes),
            causes,
        }
    }

    /// Adds `cause` where it is said, and says the status again.
    pub fn add(&mut self, cause: Cause) {
        let mut causes = std::mem::take(&mut self.causes);
        causes.push(cause);
        *self = Status::of(causes);
    }

    /// The whole cause: this capture's detail, then the typical causes.
    pub fn cause(&self) -> String {
        if self.general.is_empty() {
            self.detail.clone()
        } else {
            format!("{} {}", self.detail, self.general)
        }
    }
}

/// Puts `causes` in the order they are said, without the abrupt ending's reading where the
/// application, its heartbeat or a side's last message says why the session ended (one
/// cause stated once). Done twice, the same as once: it only drops an `AbruptEnding`, never
/// what made it drop one, and the sort is stable.
fn order(causes: &mut Vec<Cause>) {
    if causes.iter().any(|c| {
        matches!(
            c,
            Cause::Application { .. } | Cause::LastWords { .. } | Cause::HeartbeatTimeout { .. }
        )
    }) {
        causes.retain(|c| !matches!(c, Cause::AbruptEnding { .. }));
    }
    causes.sort_by_key(words::rank);
}

impl Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        if !s.is_human_readable() {
            return Stored::of(self)
                .ok_or_else(|| serde::ser::Error::custom("a status text of unknown origin"))?
                .serialize(s);
        }
        let mut st = s.serialize_struct("Status", 6)?;
        st.serialize_field("code", &self.code)?;
        st.serialize_field("name", &self.name)?;
        st.serialize_field("inferred", &self.inferred)?;
        st.serialize_field("cause", &Joined(self))?;
        st.serialize_field("fix", &self.fix)?;
        st.serialize_field("causes", &self.causes)?;
        st.end()
    }
}

/// The stored form of a [`Status`] (`serial`).
#[derive(Serialize, Deserialize)]
struct Stored<'a> {
    code: Option<u16>,
    #[serde(borrow)]
    name: Source<'a>,
    inferred: bool,
    #[serde(borrow)]
    detail: Cow<'a, str>,
    #[serde(borrow)]
    general: Source<'a>,
    #[serde(borrow)]
    fix: Source<'a>,
    causes: Cow<'a, [Cause]>,
}

/// Where a status text comes from, as a stored status names it.
#[derive(Serialize, Deserialize)]
enum Source<'a> {
    /// This text of the catalog row of the status's code.
    Catalog,
    /// The fix [`words::refusal`] gives for this HTTP status.
    Refusal(u16),
    /// One of [`words::FIXED`].
    Fixed(u8),
    /// Made for this connection: the text itself.
    Own(#[serde(borrow)] Cow<'a, str>),
}

/// A catalog row's text: its name, its typical causes or its fix.
type Field = fn(&catalog::Entry) -> &'static str;

const NAME: Field = |e| e.name;
const CAUSES: Field = |e| e.causes;
const FIX: Field = |e| e.fix;

/// HTTP statuses that pick each of [`words::refusal`]'s texts.
const REFUSALS: [u16; 9] = [400, 401, 404, 426, 429, 200, 300, 500, 0];

impl<'a> Stored<'a> {
    fn of(st: &'a Status) -> Option<Stored<'a>> {
        let code = st.code;
        Some(Stored {
            code,
            name: Source::of(&st.name, code, NAME),
            inferred: st.inferred,
            detail: Cow::Borrowed(&st.detail),
            general: Source::of_static(st.general, code, CAUSES)?,
            fix: Source::of(&st.fix, code, FIX),
            causes: Cow::Borrowed(&st.causes),
        })
    }

    fn status(self) -> Option<Status> {
        let code = self.code;
        let general = match self.general.text(code, CAUSES)? {
            Cow::Borrowed(s) => s,
            Cow::Owned(_) => return None,
        };
        Some(Status {
            code,
            name: self.name.text(code, NAME)?,
            inferred: self.inferred,
            detail: self.detail.into_owned(),
            general,
            fix: self.fix.text(code, FIX)?,
            causes: self.causes.into_owned(),
        })
    }
}

impl<'a> Source<'a> {
    /// Where `text` (a status's `field`) comes from; the text itself if it was made.
    #[allow(clippy::ptr_arg)] // Borrowed or owned is what is asked.
    fn of(text: &'a Cow<'static, str>, code: Option<u16>, field: Field) -> Source<'a> {
        match text {
            Cow::Borrowed(s) => {
                Source::of_static(s, code, field).unwrap_or(Source::Own(Cow::Borrowed(s)))
            }
            Cow::Owned(s) => Source::Own(Cow::Borrowed(s)),
        }
    }

    /// Which table `text` comes from, if any.
    fn of_static(text: &'static str, code: Option<u16>, field: Field) -> Option<Source<'a>> {
        if code.is_some_and(|c| std::ptr::eq(field(catalog::lookup(c)), text)) {
            return Some(Source::Catalog);
        }
        if let Some(i) = words::FIXED.iter().position(|f| *f == text) {
            return u8::try_from(i).ok().map(Source::Fixed);
        }
        REFUSALS
            .into_iter()
            .find(|&c| words::refusal(c).1 == text)
            .map(Source::Refusal)
    }

    /// The text back: the very same static for one from a table.
    fn text(self, code: Option<u16>, field: Field) -> Option<Cow<'static, str>> {
        match self {
            Source::Catalog => code.map(|c| Cow::Borrowed(field(catalog::lookup(c)))),
            Source::Refusal(c) => Some(Cow::Borrowed(words::refusal(c).1)),
            Source::Fixed(i) => words::FIXED.get(usize::from(i)).map(|s| Cow::Borrowed(*s)),
            Source::Own(s) => Some(Cow::Owned(s.into_owned())),
        }
    }
}

/// The stored form only, as [`Serialize`] writes it for `serial`.
impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Status, D::Error> {
        Stored::deserialize(d)?
            .status()
            .ok_or_else(|| serde::de::Error::custom("a status text that is not in its table"))
    }
}

/// [`Status::cause`] written straight into the serializer, without the joined string.
struct Joined<'a>(&'a Status);

impl std::fmt::Display for Joined<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.detail)?;
        if !self.0.general.is_empty() {
            f.write_str(" ")?;
            f.write_str(self.0.general)?;
        }
        Ok(())
    }
}

impl Serialize for Joined<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The closing handshake (RFC 6455 §5.5.1, §7.1.1-§7.1.4): who started it, how the peer
/// answered, and who closed TCP first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct CloseHandshake {
    /// The side that sent the first close frame.
    pub initiator: Role,
    /// The peer's close frame, if it sent one: its code (null for an empty one).
    pub reply: bool,
    /// Its code (null for an empty one).
    pub reply_code: Option<u16>,
    /// No reply was seen, but bytes of the peer's direction are missing: it may have sent
    /// one that is not in the capture.
    pub reply_may_be_missing: bool,
    /// The reply carried the same code as the initiator's frame (the usual, polite answer).
    pub echoed: bool,
    /// Seconds from the initiator's close frame to the reply.
    pub reply_after_s: Option<f64>,
    /// Who ended TCP first after the close frames (RFC 6455 §7.1.1: the server should).
    /// For a WebSocket on an HTTP/2 stream (RFC 8441), who ended the stream first
    /// (END_STREAM, RST_STREAM, or a GOAWAY that covers it), or the TCP connection if
    /// that came first: the field keeps its name for the contract's sake.
    pub tcp_closed_first_by: Option<Role>,
}
