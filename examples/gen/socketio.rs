//! socket.io sessions for the generator (`Config::socketio`, `gen_capture --app socketio`):
//! every WebSocket connection is an engine.io protocol 4 session over the WebSocket
//! transport, as the engine.io and socket.io protocol documents define it.
//!
//! The request target is `/socket.io/?EIO=4&transport=websocket`; the server's first
//! message is the engine.io OPEN (`0{"sid":…,"pingInterval":…,"pingTimeout":…,
//! "maxPayload":…}`, in the segment of the `101`); the client connects the main namespace
//! (`40`) and the server answers (`40{"sid":…}`). Then events (`42["name",…]`, small, medium
//! and a few large ones below maxPayload; bursts of several per segment; binary events as a
//! `451-` placeholder packet and its binary attachment), and the server's ping (`2`)
//! answered by the client's pong (`3`) whenever pingInterval of capture time passed since
//! the last one. Before the ending the generator draws as for any WebSocket connection,
//! one side may send a socket.io DISCONNECT (`41`) or an engine.io CLOSE (`1`).
//!
//! The truth's `app` object says what wsclose must name: `io client disconnect` / `io
//! server disconnect` after a DISCONNECT, `forced close` after a CLOSE, otherwise
//! `transport close` (a close frame or FIN came first) or `transport error` (an RST came
//! first), by the side that ended it; no cause for a session still open.

use super::{text, Conn, Ev, Op, Rng, C, OP_BINARY, OP_TEXT, S};

/// The request target of every socket.io session.
pub const PATH: &str = "/socket.io/?EIO=4&transport=websocket";

/// The heartbeat the OPEN announces (ms). The capture's time runs at the link rate, so the
/// interval is a thousandth of socket.io's default (25 s): a session sees a few pings. The
/// timeout is long enough that no session's quiet spell before its ending (the interval
/// and a few rounds of the other connections' packets) reaches pingInterval + pingTimeout.
pub const PING_INTERVAL_MS: u64 = 25;
pub const PING_TIMEOUT_MS: u64 = 200;
/// maxPayload as the OPEN announces it (socket.io's default maxHttpBufferSize).
pub const MAX_PAYLOAD: u64 = 1_000_000;

/// What the application did before the WebSocket ending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Before {
    Nothing,
    /// A socket.io DISCONNECT (`41`) from this side.
    Disconnect(usize),
    /// An engine.io CLOSE (`1`) from this side.
    Close(usize),
}

/// One socket.io session's state.
#[derive(Debug)]
pub struct Sio {
    sid: String,
    /// Capture time now (ns), set by the connection's step.
    pub now: i64,
    /// When the server last pinged (or the session opened), ns.
    last_ping: Option<i64>,
    pub before: Before,
}

impl Sio {
    pub fn new(rng: &mut Rng) -> Sio {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let sid = (0..20)
            .map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize] as char)
            .collect();
        Sio {
            sid,
            now: 0,
            last_ping: None,
            before: Before::Nothing,
        }
    }

    /// The OPEN packet.
    pub fn open(&self) -> Vec<u8> {
        format!(
            "0{{\"sid\":\"{}\",\"upgrades\":[],\"pingInterval\":{PING_INTERVAL_MS},\"pingTimeout\":{PING_TIMEOUT_MS},\"maxPayload\":{MAX_PAYLOAD}}}",
            self.sid
        )
        .into_bytes()
    }

    /// Whether the server's next ping is due.
    fn ping_due(&self) -> bool {
        self.last_ping
            .is_some_and(|t| self.now - t >= (PING_INTERVAL_MS * 1_000_000) as i64)
    }
}

/// An EVENT packet of about `len` bytes.
pub fn event(rng: &mut Rng, len: usize) -> Vec<u8> {
    let body = text(rng, len.saturating_sub(14));
    let mut v = b"42[\"message\",".to_vec();
    v.extend_from_slice(&body);
    v.push(b']');
    v
}

impl Conn {
    /// The socket.io opening after the upgrade: the client connects the main namespace and
    /// the server answers (the OPEN went with the `101`).
    pub(super) fn plan_sio_opening(&mut self, rng: &mut Rng) {
        let Some(sio) = self.sio.as_mut() else {
            return;
        };
        sio.last_ping = Some(sio.now);
        let answer = format!("40{{\"sid\":\"{}\"}}", sio.sid);
        let connect = self.data_frame(rng, C, OP_TEXT, b"40");
        let answer = self.data_frame(rng, S, OP_TEXT, answer.as_bytes());
        self.ops.extend([
            Op::Write(C, connect, None),
            Op::Flush,
            Op::Write(S, answer, None),
            Op::Flush,
        ]);
    }

    /// The next messages of a socket.io session, or its ending once its budget is spent.
    pub(super) fn plan_sio(&mut self, rng: &mut Rng) {
        if self.sio.as_ref().is_some_and(|s| s.ping_due()) {
            if let Some(sio) = self.sio.as_mut() {
                sio.last_ping = Some(sio.now);
            }
            let ping = self.data_frame(rng, S, OP_TEXT, b"2");
            let pong = self.data_frame(rng, C, OP_TEXT, b"3");
            self.ops.extend([
                Op::Write(S, ping, None),
                Op::Flush,
                Op::Write(C, pong, None),
                Op::Flush,
            ]);
            return;
        }
        if self.remaining() == 0 {
            let before = match rng.weighted(&[60, 15, 15, 10]) {
                0 => Before::Nothing,
                1 => Before::Disconnect(C),
                2 => Before::Disconnect(S),
                _ => Before::Close(if rng.chance(0.7) { C } else { S }),
            };
            let packet: Option<(usize, &[u8])> = match before {
                Before::Nothing => None,
                Before::Disconnect(d) => Some((d, b"41")),
                Before::Close(d) => Some((d, b"1")),
            };
            if let Some((d, p)) = packet {
                let m = self.data_frame(rng, d, OP_TEXT, p);
                self.ops.extend([Op::Write(d, m, None), Op::Flush]);
            }
            if let Some(sio) = self.sio.as_mut() {
                sio.before = before;
            }
            self.plan_ending(rng);
            return;
        }
        let d = if rng.chance(0.6) { S } else { C };
        match rng.weighted(&[60, 18, 4, 6, 12]) {
            0 => {
                let n = rng.range(20, 400) as usize;
                let e = event(rng, n);
                let m = self.data_frame(rng, d, OP_TEXT, &e);
                self.ops.extend([Op::Write(d, m, None), Op::Flush]);
            }
            1 => {
                let n = rng.range(400, 8_000) as usize;
                let e = event(rng, n);
                let m = self.data_frame(rng, d, OP_TEXT, &e);
                self.ops.extend([Op::Write(d, m, None), Op::Flush]);
            }
            2 if self.remaining() > 16_384 => {
                // 16 KiB .. 900 KB, log-uniform, below maxPayload.
                let size = (16_384.0 * 55f64.powf(rng.unit())) as u64;
                let size = size.min(self.remaining()).min(900_000) as usize;
                let e = event(rng, size);
                let m = self.data_frame(rng, d, OP_TEXT, &e);
                self.ops.extend([Op::Write(d, m, None), Op::Flush]);
            }
            3 => {
                // A binary event: its placeholder packet, then the attachment.
                let head = self.data_frame(
                    rng,
                    d,
                    OP_TEXT,
                    b"451-[\"upload\",{\"_placeholder\":true,\"num\":0}]",
                );
                let b = {
                    let n = rng.range(1, 8_000) as usize;
                    rng.bytes(n)
                };
                let body = self.data_frame(rng, d, OP_BINARY, &b);
                self.ops.extend([
                    Op::Write(d, head, None),
                    Op::Write(d, body, None),
                    Op::Flush,
                ]);
            }
            _ => {
                // A burst: several events in one segment.
                let mut m = Vec::new();
                for _ in 0..rng.range(2, 6) {
                    let n = rng.range(20, 400) as usize;
                    let e = event(rng, n);
                    m.extend_from_slice(&self.data_frame(rng, d, OP_TEXT, &e));
                }
                self.ops.extend([Op::Write(d, m, None), Op::Flush]);
            }
        }
    }

    /// The truth's `app` object of a socket.io session.
    pub(super) fn sio_truth(&self) -> Option<serde_json::Value> {
        let sio = self.sio.as_ref()?;
        let role = |d: usize| if d == C { "client" } else { "server" };
        let (cause, by) = match (sio.before, self.events.first()) {
            (_, None) => (None, None),
            (Before::Disconnect(d), Some(_)) => {
                (Some(format!("io {} disconnect", role(d))), Some(role(d)))
            }
            (Before::Close(d), Some(_)) => (Some("forced close".to_string()), Some(role(d))),
            (Before::Nothing, Some(Ev::End { by, both: true })) => {
                (Some("transport error".to_string()), Some(role(*by)))
            }
            (Before::Nothing, Some(Ev::End { by, .. })) => {
                (Some("transport close".to_string()), Some(role(*by)))
            }
            (Before::Nothing, Some(Ev::Close { from, .. })) => {
                (Some("transport close".to_string()), Some(role(*from)))
            }
        };
        Some(serde_json::json!({
            "protocol": "socket.io",
            "sid": sio.sid,
            "cause": cause,
            "ended_by": by,
        }))
    }
}
