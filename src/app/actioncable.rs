//! Rails Action Cable over WebSocket (`actioncable-v1-json`): the server's `welcome`, its
//! `ping` every 3 s, `disconnect` with a `reason` (`unauthorized`, `invalid_request`,
//! `server_restart`, `remote`) and `reconnect`, and subscription confirmations and
//! rejections (which leave the connection open). The JavaScript consumer reconnects when it has heard no ping for 6 s.

use super::heartbeat::Beats;
use super::{between, json, Ending, Machine, Message, Seen, Verdict};
use crate::vocab::said::actioncable::Why;
use crate::vocab::Role;

/// The consumer's stale threshold.
const STALE_MS: u64 = 6_000;

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct ActionCable {
    /// The server's disconnect: reason, reconnect, packet.
    disconnect: Option<(String, Option<bool>, u64)>,
    /// The protocol version and encoding the subprotocol names ("1 (JSON)"), if it names one.
    version: Option<String>,
    /// The first packet from which the server's messages are not all in the capture (a gap,
    /// one that does not inflate): "the client heard nothing" is unknown from there.
    #[serde(default)]
    server_lost: Option<u64>,
    /// The first reject_subscription: the subscription's identifier (cut), packet.
    #[serde(default)]
    rejected: Option<(String, u64)>,
}

impl ActionCable {
    /// The session of subprotocol `name` (lowercase): `actioncable-v1-json` and
    /// `actioncable-v1-msgpack` name version 1 and its encoding; `actioncable-unsupported`
    /// (what a client offers beside them, to learn that the server refused them) none.
    pub(crate) fn new(name: &str) -> ActionCable {
        let version = match name {
            "actioncable-v1-json" => Some("1 (JSON)"),
            "actioncable-v1-msgpack" => Some("1 (MessagePack)"),
            _ => None,
        };
        ActionCable {
            disconnect: None,
            version: version.map(str::to_string),
            server_lost: None,
            rejected: None,
        }
    }
}

impl Machine for ActionCable {
    fn lost(&mut self, from: Role, packet: u64) {
        if from == Role::Server {
            self.server_lost.get_or_insert(packet);
        }
    }

    fn version(&self) -> Option<String> {
        self.version.clone()
    }

    fn message(&mut self, m: &Message<'_>) -> Seen {
        let Some(v) = json(m) else {
            return Seen::Bad;
        };
        if m.from == Role::Client {
            return if v.get("command").is_some() {
                Seen::Data
            } else {
                Seen::Bad
            };
        }
        match v.get("type").and_then(|t| t.as_str()) {
            Some("ping") => Seen::Keepalive,
            Some("disconnect") => {
                let reason = v
                    .get("reason")
                    .and_then(|r| r.as_str())
                    .unwrap_or("")
                    .to_string();
                let again = v.get("reconnect").and_then(|r| r.as_bool());
                self.disconnect.get_or_insert((reason, again, m.packet));
                Seen::Data
            }
            Some("reject_subscription") => {
                if self.rejected.is_none() {
                    let id = v.get("identifier").and_then(|i| i.as_str()).unwrap_or("");
                    self.rejected = Some((crate::sanitize::cut(id, 120).to_string(), m.packet));
                }
                Seen::Data
            }
            Some("welcome" | "confirm_subscription") => Seen::Data,
            // A broadcast: {"identifier": …, "message": …}.
            None if v.get("message").is_some() => Seen::Data,
            _ => Seen::Bad,
        }
    }

    fn negotiated(&self) -> (Option<u64>, Option<u64>) {
        (Some(3_000), Some(STALE_MS))
    }

    fn verdict(&self, end: &Ending, beats: &Beats) -> Option<Verdict> {
        let (by, end_packet, end_ts) = end.first()?;
        if let Some((reason, reconnect, p)) = &self.disconnect {
            return Some(Verdict::new(
                Some(Role::Server),
                Why::Disconnect {
                    reason: reason.clone(),
                    reconnect: *reconnect,
                    packet: *p,
                },
                vec![*p],
            ));
        }
        if by == Role::Client {
            // The server's pings may be among the bytes the capture lost.
            if let Some(lost) = self.server_lost.filter(|&l| l <= end_packet) {
                return Some(Verdict::withheld(
                    Why::ServerLost { from: lost },
                    vec![lost],
                ));
            }
            let (p, t) = beats.side(Role::Server).last_message_before(end_packet)?;
            let quiet = between(t, end_ts);
            if quiet as f64 >= STALE_MS as f64 * 0.95 {
                return Some(Verdict::new(
                    Some(Role::Client),
                    Why::Stale {
                        last: p,
                        quiet_ms: quiet,
                        end_packet,
                    },
                    vec![p, end_packet],
                ));
            }
            // The server's pings were on time: the client's application ended it.
            if let Some((id, rp)) = &self.rejected {
                return Some(Verdict::new(
                    Some(Role::Client),
                    Why::Rejected {
                        id: id.clone(),
                        packet: *rp,
                        end_packet,
                    },
                    vec![*rp, end_packet],
                ));
            }
            // An empty close frame first, from the client: what the consumer's disconnect()
            // sends (it calls WebSocket#close() without a code).
            if let Some((Role::Client, None, _, cp, _)) = &end.close {
                if *cp == end_packet {
                    return Some(Verdict::new(
                        Some(Role::Client),
                        Why::ConsumerDisconnected { close: *cp },
                        vec![*cp],
                    ));
                }
            }
        }
        None
    }
}
