//! OCPP-J (OCPP 1.6 and 2.0.1 over WebSocket, JSON arrays): CALL `[2, id, action, payload]`,
//! CALLRESULT `[3, id, payload]`, CALLERROR `[4, id, code, description, details]`; the
//! charging station's Heartbeat and the BootNotification answer's `interval` and `status`.

use super::heartbeat::Beats;
use super::{json, lite, Ending, Machine, Message, Seen, Verdict};
use crate::vocab::said::ocpp::Why;
use crate::vocab::Role;

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Ocpp {
    version: String,
    /// The id of the last Heartbeat CALL and of the last BootNotification CALL.
    heartbeat_id: Option<String>,
    boot_id: Option<String>,
    /// The heartbeat interval the central system gave, in s.
    interval_s: Option<u64>,
    /// A rejected boot: packet.
    boot_rejected: Option<u64>,
    /// The last CALLERROR: who, code, description, packet.
    error: Option<(Role, String, String, u64)>,
}

impl Ocpp {
    pub fn new(version: String) -> Ocpp {
        Ocpp {
            version,
            ..Ocpp::default()
        }
    }
}

impl Machine for Ocpp {
    fn message(&mut self, m: &Message<'_>) -> Seen {
        // The first elements are read of most messages: the whole message is checked as
        // JSON, but not built.
        if !m.whole() {
            return Seen::Bad;
        }
        let Some(a) = lite::array(m.bytes) else {
            return Seen::Bad;
        };
        let [kind, id, third, fourth] = &a;
        let id = id.as_str().map(str::to_string);
        match kind.as_u64() {
            Some(2) => match third.as_str() {
                Some("Heartbeat") => {
                    self.heartbeat_id = id;
                    Seen::Ping
                }
                Some("BootNotification") => {
                    self.boot_id = id;
                    Seen::Data
                }
                Some(_) => Seen::Data,
                None => Seen::Bad,
            },
            Some(3) if id.is_some() && id == self.heartbeat_id => Seen::Pong,
            Some(3) if id.is_some() && id == self.boot_id => {
                // Rare: the BootNotification's answer is read whole.
                let v = json(m).unwrap_or_default();
                let payload = v.get(2);
                self.interval_s = payload
                    .and_then(|p| p.get("interval"))
                    .and_then(|i| i.as_u64());
                if payload
                    .and_then(|p| p.get("status"))
                    .and_then(|s| s.as_str())
                    == Some("Rejected")
                {
                    self.boot_rejected = Some(m.packet);
                }
                Seen::Data
            }
            Some(3) => Seen::Data,
            Some(4) => {
                let text = |x: &lite::Scalar<'_>| x.as_str().unwrap_or("").to_string();
                self.error = Some((m.from, text(third), text(fourth), m.packet));
                Seen::Data
            }
            _ => Seen::Bad,
        }
    }

    fn version(&self) -> Option<String> {
        Some(self.version.clone())
    }

    fn negotiated(&self) -> (Option<u64>, Option<u64>) {
        (self.interval_s.map(|s| s * 1000), None)
    }

    fn verdict(&self, end: &Ending, _beats: &Beats) -> Option<Verdict> {
        let (_, end_packet, _) = end.first()?;
        if let Some(packet) = self.boot_rejected {
            return Some(Verdict::new(
                Some(Role::Server),
                Why::BootRejected { packet },
                vec![packet],
            ));
        }
        let (by, code, description, packet) = self.error.clone()?;
        Some(Verdict::new(
            Some(by),
            Why::CallError {
                by,
                code,
                description,
                packet,
                end_packet,
            },
            vec![packet],
        ))
    }
}
