//! The metrics' label values that come from the wire, bounded, and the label sets they make
//! charged to `--max-memory` (issue 104, item 4: 2 000 close codes made 2 000 series).
//!
//! In: a server's endpoint, a session's status or a close code, the size of each new label
//! set. Out: the value to serve: a server as its address (or `--redact`'s pseudonym), `other`
//! past `--metrics-servers`; a registered close code (one the catalog names on its own row,
//! 1000-1015, 3000, 3003, 3008) as itself, an unregistered one as itself for the first
//! [`CODES_KEPT`] seen, then as its block (`0-999`, `1000-2999`, `3000-3999`, `4000-4999`,
//! `5000-65535`); whether a new label set fits in the metrics' room
//! ([`wsclose::metrics_room`]: past it, its server, status and cause are all `other`); and
//! the bytes the label sets take, served as `wsclose_memory_metrics_bytes` and within
//! `wsclose_memory_charged_bytes`. What was folded is counted by the caller
//! (`wsclose_labels_folded_total`). The cause and the closing side are wsclose's own words,
//! a fixed vocabulary: they need no bound.

use std::collections::{HashMap, HashSet};
use wsclose::report::redact::KeySlot;
use wsclose::Endpoint;

/// The label value of what was folded: servers past `--metrics-servers`, codes past
/// [`CODES_KEPT`], label sets past the room.
pub(crate) const OTHER: &str = "other";

/// Unregistered close codes served as themselves (the first seen): an application's own
/// codes are a handful (4001, 4401, 4403, …); past them, each is its block.
pub(crate) const CODES_KEPT: usize = 16;

/// A label set's bytes beside its strings' (an estimate, rounded up): its entry in the
/// family's table (two `String`s and two `&str`, the counter's `Arc`, the table's slack)
/// and the strings' allocations.
pub(crate) const SET_BYTES: usize = 256;

/// The server label of each server, at most `max` of them; the pseudonyms of their
/// addresses with `--redact`.
#[derive(Debug)]
pub(crate) struct Servers {
    pub max: usize,
    /// With `--redact`: the key of the report's pseudonyms, once the capture's first
    /// packets make it.
    pub redact: Option<KeySlot>,
    pub named: HashMap<Endpoint, String>,
}

impl Servers {
    /// The server's label, and whether it was folded into `other`.
    pub fn label(&mut self, server: Endpoint) -> (String, bool) {
        if let Some(l) = self.named.get(&server) {
            return (l.clone(), false);
        }
        if self.named.len() >= self.max {
            return (OTHER.into(), true);
        }
        let label = if let Some(key) = &self.redact {
            // As `--redact` names hosts in the report and the lines: its keyed pseudonym,
            // the port kept (the key is made at the capture's first packets, before any
            // session ends).
            wsclose::report::redact::endpoint_pseudonym(key.get().copied(), &server.to_string())
        } else {
            server.to_string()
        };
        self.named.insert(server, label.clone());
        (label, false)
    }
}

/// The block an unregistered close code is served as, once [`CODES_KEPT`] are.
pub(crate) fn block(code: u16) -> &'static str {
    match code {
        0..=999 => "0-999",
        1000..=2999 => "1000-2999",
        3000..=3999 => "3000-3999",
        4000..=4999 => "4000-4999",
        _ => "5000-65535",
    }
}

/// A code the catalog names on a row of its own (the RFC's and IANA's registrations).
fn registered(code: u16) -> bool {
    let e = wsclose::close::catalog::lookup(code);
    e.first == e.last
}

/// The label values of a run: its servers, its unregistered codes kept, and the bytes its
/// label sets take against their room.
#[derive(Debug)]
pub(crate) struct Labels {
    pub servers: Servers,
    codes: HashSet<u16>,
    room: usize,
    held: usize,
}

impl Labels {
    /// Labels naming at most `max_servers` servers, pseudonymised with `redact`, whose
    /// label sets may take `room` bytes.
    pub fn new(max_servers: usize, redact: Option<KeySlot>, room: usize) -> Labels {
        Labels {
            servers: Servers {
                max: max_servers,
                redact,
                named: HashMap::new(),
            },
            codes: HashSet::new(),
            room,
            held: 0,
        }
    }

    /// A close code's label value, and whether it was folded into its block.
    pub fn code(&mut self, code: u16) -> (String, bool) {
        if registered(code) || self.codes.contains(&code) {
            return (code.to_string(), false);
        }
        if self.codes.len() < CODES_KEPT {
            self.codes.insert(code);
            return (code.to_string(), false);
        }
        (block(code).to_string(), true)
    }

    /// A session's status label value (its code folded as [`Labels::code`]), and whether it
    /// was folded.
    pub fn status(&mut self, status: wsclose::report::StatusKey) -> (String, bool) {
        match status {
            wsclose::report::StatusKey::Code(c) => self.code(c),
            other => (other.to_string(), false),
        }
    }

    /// An incident's `how` ("close 4001", "an empty close", "FIN or RST"), its code folded
    /// as [`Labels::code`]; whether it was folded.
    pub fn how(&mut self, how: &str) -> (String, bool) {
        match how
            .strip_prefix("close ")
            .and_then(|c| c.parse::<u16>().ok())
        {
            Some(c) => {
                let (code, folded) = self.code(c);
                (format!("close {code}"), folded)
            }
            None => (how.to_string(), false),
        }
    }

    /// Whether a new label set whose strings take `strings` bytes fits in the room; it is
    /// charged when it does.
    pub fn admit(&mut self, strings: usize) -> bool {
        let cost = SET_BYTES + strings;
        if self.held.saturating_add(cost) > self.room {
            return false;
        }
        self.held += cost;
        true
    }

    /// Charges a label set made past the room: one of the few whose wire labels are all
    /// `other` (a closing side's, an incident's).
    pub fn charge(&mut self, strings: usize) {
        self.held = self.held.saturating_add(SET_BYTES + strings);
    }

    /// What the label sets made take, by [`SET_BYTES`] and their strings.
    pub fn held(&self) -> usize {
        self.held
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn ep(s: &str) -> Endpoint {
        let sa: std::net::SocketAddr = s.parse().unwrap();
        Endpoint::new(sa.ip(), sa.port())
    }

    #[test]
    fn servers_past_the_cap_are_other_and_redacted_ones_pseudonymous() {
        let mut s = Servers {
            max: 2,
            redact: None,
            named: HashMap::new(),
        };
        assert_eq!(s.label(ep("10.0.0.1:80")).0, "10.0.0.1:80");
        assert_eq!(s.label(ep("10.0.0.2:80")).0, "10.0.0.2:80");
        assert_eq!(s.label(ep("10.0.0.3:80")), ("other".to_string(), true));
        assert_eq!(
            s.label(ep("10.0.0.1:80")),
            ("10.0.0.1:80".to_string(), false)
        );
        assert_eq!(s.named.len(), 2);
        let key = KeySlot::default();
        key.set([7; 32]).unwrap();
        let mut r = Servers {
            max: 3,
            redact: Some(Arc::clone(&key)),
            named: HashMap::new(),
        };
        // The report's own pseudonym of each address, the port kept.
        let one = wsclose::report::redact::endpoint_pseudonym(Some([7; 32]), "10.0.0.1:80");
        assert!(one.starts_with("host-") && one.ends_with(":80"), "{one}");
        assert_eq!(r.label(ep("10.0.0.1:80")).0, one);
        let other_port = r.label(ep("10.0.0.1:443")).0;
        assert_eq!(
            other_port.rsplit_once(':').unwrap().0,
            one.rsplit_once(':').unwrap().0
        );
        let six = r.label(ep("[::1]:9000")).0;
        assert!(six.ends_with(":9000") && !six.contains("::1"), "{six}");
    }

    /// Registered codes are themselves always; the first 16 unregistered ones too; the
    /// later ones their block; an incident's code likewise.
    #[test]
    fn codes_past_the_first_unregistered_ones_are_their_block() {
        let mut l = Labels::new(20, None, 1 << 20);
        for c in 4000..4016 {
            assert_eq!(l.code(c), (c.to_string(), false));
        }
        assert_eq!(l.code(4016), ("4000-4999".to_string(), true));
        assert_eq!(l.code(3333), ("3000-3999".to_string(), true));
        assert_eq!(l.code(999), ("0-999".to_string(), true));
        assert_eq!(l.code(2000), ("1000-2999".to_string(), true));
        assert_eq!(l.code(59395), ("5000-65535".to_string(), true));
        assert_eq!(l.code(4003), ("4003".to_string(), false));
        for c in [1000, 1006, 1015, 3000, 3003, 3008] {
            assert_eq!(l.code(c), (c.to_string(), false));
        }
        assert_eq!(l.how("close 4999"), ("close 4000-4999".to_string(), true));
        assert_eq!(l.how("close 4001"), ("close 4001".to_string(), false));
        assert_eq!(l.how("FIN or RST"), ("FIN or RST".to_string(), false));
        assert_eq!(
            l.status(wsclose::report::StatusKey::Evicted),
            ("evicted".to_string(), false)
        );
    }

    /// Label sets are admitted while their bytes fit the room, each charged.
    #[test]
    fn label_sets_fit_the_room() {
        let mut l = Labels::new(20, None, 3 * SET_BYTES + 30);
        assert!(l.admit(10) && l.admit(10) && l.admit(10));
        assert!(!l.admit(10));
        assert_eq!(l.held(), 3 * SET_BYTES + 30);
        l.charge(5);
        assert_eq!(l.held(), 4 * SET_BYTES + 35);
    }
}
