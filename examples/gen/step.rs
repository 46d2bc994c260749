//! A connection's next step: what it sends and when (frames, TLS records, HTTP/2 DATA),
//! its segments and their packets, the truth of its close frames and stream endings as
//! they are written.

use super::*;

impl Conn {
    pub(super) fn remaining(&self) -> u64 {
        self.budget.saturating_sub(self.used)
    }

    pub(super) fn options(&self, d: usize, ms: u32) -> [u8; 12] {
        let mut o = [1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0];
        o[4..8].copy_from_slice(&self.ts_base[d].wrapping_add(ms).to_be_bytes());
        o[8..12].copy_from_slice(
            &self.ts_base[1 - d]
                .wrapping_add(ms.saturating_sub(1))
                .to_be_bytes(),
        );
        o
    }

    pub(super) fn send<K: Sink>(
        &mut self,
        out: &mut Out<'_, K>,
        d: usize,
        flags: u8,
        seq: u32,
        payload: &[u8],
    ) -> io::Result<u64> {
        let opts = self.options(d, out.ms());
        let before = out.bytes;
        let n = out.tcp(
            self.ep[d],
            self.ep[1 - d],
            seq,
            self.seq[1 - d],
            flags,
            self.window[d],
            &opts,
            payload,
        )?;
        self.used += out.bytes - before;
        Ok(n)
    }

    pub(super) fn mask(&self, d: usize, rng: &mut Rng) -> Option<[u8; 4]> {
        (d == C).then(|| (rng.next_u64() as u32).to_ne_bytes())
    }

    pub(super) fn ws_frame(
        &self,
        rng: &mut Rng,
        d: usize,
        fin: bool,
        op: u8,
        payload: &[u8],
    ) -> Vec<u8> {
        let mut v = Vec::with_capacity(payload.len() + 14);
        frame(&mut v, fin, op, self.mask(d, rng), payload);
        v
    }

    /// A whole data message of side `d` in one frame: compressed (RSV1 set) on a connection
    /// that negotiated permessage-deflate, except about one in ten (a sender may leave a
    /// message uncompressed).
    pub(super) fn data_frame(
        &mut self,
        rng: &mut Rng,
        d: usize,
        op: u8,
        payload: &[u8],
    ) -> Vec<u8> {
        match self.deflate.as_mut() {
            Some(z) if rng.chance(0.9) => {
                let body = z.compress(d, payload);
                let mut v = Vec::with_capacity(body.len() + 14);
                frame_rsv1(&mut v, true, true, op, self.mask(d, rng), &body);
                v
            }
            _ => self.ws_frame(rng, d, true, op, payload),
        }
    }

    /// A close frame of side `d` (code `None`: empty payload), with its truth.
    pub(super) fn close_op(&self, rng: &mut Rng, d: usize, code: Option<u16>, reason: &str) -> Op {
        let mut payload = Vec::new();
        if let Some(c) = code {
            payload.extend_from_slice(&c.to_be_bytes());
            payload.extend_from_slice(reason.as_bytes());
        }
        let bytes = self.ws_frame(rng, d, true, OP_CLOSE, &payload);
        Op::Write(
            d,
            bytes,
            Some(CloseTruth {
                from: d,
                code,
                reason: if code.is_some() {
                    reason.to_string()
                } else {
                    String::new()
                },
                packet: 0,
            }),
        )
    }

    pub(super) fn note_end(&mut self, kind: &'static str, d: usize) {
        self.events.push(Ev::End {
            by: d,
            both: kind == "rst",
        });
        if self.tcp_end.is_none() {
            self.tcp_end = Some((kind, d));
        }
    }

    /// Emits packets until one is written (or the connection ends).
    pub(super) fn step<K: Sink>(
        &mut self,
        out: &mut Out<'_, K>,
        rng: &mut Rng,
    ) -> io::Result<StepResult> {
        if let Some(s) = self.sio.as_mut() {
            s.now = out.now;
        }
        loop {
            let Some(op) = self.ops.pop_front() else {
                self.plan(rng);
                continue;
            };
            match op {
                Op::Syn => {
                    let n = self.syn(out, C)?;
                    self.first_packet = n;
                    return Ok(StepResult::Packet);
                }
                Op::SynAck => {
                    self.syn(out, S)?;
                    return Ok(StepResult::Packet);
                }
                Op::Ack(d) => {
                    self.send(out, d, F_ACK, self.seq[d], &[])?;
                    self.unacked[1 - d] = 0;
                    return Ok(StepResult::Packet);
                }
                Op::Write(d, bytes, mark) => self.write_ws(rng, d, bytes, mark, false),
                Op::WriteEnd(d, bytes, mark) => self.write_ws(rng, d, bytes, mark, true),
                Op::App(d, bytes, marks) => self.write_app(rng, d, bytes, marks),
                Op::Raw(d, bytes) => self.hand_to_tcp(d, bytes),
                Op::Flush => {
                    let waiting: Vec<usize> = (0..2)
                        .filter(|&d| self.pos[d] < self.outbox[d].len())
                        .collect();
                    if waiting.is_empty() {
                        continue;
                    }
                    let d = rng.pick(&waiting);
                    self.segment(out, rng, d)?;
                    return Ok(StepResult::Packet);
                }
                Op::Again(d, seq, bytes) => {
                    self.send(out, d, F_ACK | F_PSH, seq, &bytes)?;
                    return Ok(StepResult::Packet);
                }
                Op::Fin(d) => {
                    if self.close_notify_first(rng, d) {
                        continue;
                    }
                    let seq = self.seq[d];
                    self.seq[d] = seq.wrapping_add(1);
                    // The FIN's own ACK number is the peer's current one.
                    self.send(out, d, F_FIN | F_ACK, seq, &[])?;
                    self.note_end("fin", d);
                    return Ok(StepResult::Packet);
                }
                Op::Rst(d) => {
                    self.send(out, d, F_RST | F_ACK, self.seq[d], &[])?;
                    self.note_end("rst", d);
                    return Ok(StepResult::Packet);
                }
                Op::Done => return Ok(StepResult::Done),
                Op::Linger => return Ok(StepResult::Linger),
            }
        }
    }

    /// Side `d`'s WebSocket layer writes `bytes` (a close frame at their end when `close`
    /// is given): as they are, or over HTTP/2 in DATA frames of the stream, ending the
    /// side's half with `end_stream`.
    pub(super) fn write_ws(
        &mut self,
        rng: &mut Rng,
        d: usize,
        bytes: Vec<u8>,
        close: Option<CloseTruth>,
        end_stream: bool,
    ) {
        let Some(h) = self.h2.as_ref() else {
            let marks = close.map(|c| (bytes.len(), Mark::Close(c)));
            return self.write_app(rng, d, bytes, marks.into_iter().collect());
        };
        let (frames, at) = h.data(rng, &bytes, end_stream);
        let mut marks = Vec::new();
        if let Some(c) = close {
            marks.push((at, Mark::Close(c)));
        }
        // wsclose passes the stream's end on with the frame's last data byte.
        if end_stream {
            marks.push((at, Mark::StreamEnd(StreamEndTruth::end_stream(d))));
        }
        self.write_app(rng, d, frames, marks);
    }

    /// Side `d` hands `bytes` to TLS (sealed in records) or TCP; each mark's offset in
    /// `bytes` becomes an offset of the TCP stream: over TLS, the end of the record that
    /// holds the byte before it.
    pub(super) fn write_app(
        &mut self,
        rng: &mut Rng,
        d: usize,
        bytes: Vec<u8>,
        marks: Vec<(usize, Mark)>,
    ) {
        let base = self.written_stream[d];
        let (wire, at): (Vec<u8>, Vec<usize>) = match self.tls.as_mut() {
            Some(t) => {
                let (wire, records) = t.seal_app(rng, d, &bytes);
                let at = marks
                    .iter()
                    .map(|(p, _)| {
                        records
                            .iter()
                            .find(|(plain_end, _)| plain_end >= p)
                            .map_or(wire.len(), |&(_, end)| end)
                    })
                    .collect();
                (wire, at)
            }
            None => (bytes, marks.iter().map(|(p, _)| *p).collect()),
        };
        self.hand_to_tcp(d, wire);
        for ((_, m), a) in marks.into_iter().zip(at) {
            self.marks[d].push_back((base + a as u64, m));
        }
    }

    /// A stream ending reached the wire in `packet`. A GOAWAY concerns the stream only
    /// while it is open.
    pub(super) fn stream_end(&mut self, mut e: StreamEndTruth, packet: u64) {
        if e.kind == "goaway" && self.h2_done.iter().all(|&x| x) {
            return;
        }
        e.packet = packet;
        if e.kind == "end_stream" {
            self.h2_done[e.by] = true;
        } else if e.ends {
            self.h2_done = [true; 2];
        }
        if e.ends {
            self.events.push(Ev::End {
                by: e.by,
                both: e.kind != "end_stream",
            });
        }
        self.stream_ends.push(e);
    }

    /// The expected status: the first close frame's code (1005 without one) when it came
    /// before any ending, 1006 after one, `None` while open.
    pub(super) fn status(&self) -> Option<u16> {
        match self.events.first()? {
            Ev::Close { code, .. } => Some(code.unwrap_or(1005)),
            Ev::End { .. } => Some(1006),
        }
    }

    /// The status side `d`'s application saw: the peer's close code (1005 without one)
    /// when it arrived before the peer's half ended (its FIN or END_STREAM, or anyone's
    /// RST, RST_STREAM or ending GOAWAY); else 1006 once anything ended; else none.
    pub(super) fn seen_by(&self, d: usize) -> Option<u16> {
        let close = self
            .events
            .iter()
            .position(|e| matches!(e, Ev::Close { from, .. } if *from == 1 - d));
        let cut = self
            .events
            .iter()
            .position(|e| matches!(e, Ev::End { by, both } if *by == 1 - d || *both));
        match close {
            Some(i) if cut.is_none_or(|c| i < c) => match self.events[i] {
                Ev::Close { code, .. } => Some(code.unwrap_or(1005)),
                Ev::End { .. } => unreachable!("a close"),
            },
            _ if self.events.iter().any(|e| matches!(e, Ev::End { .. })) => Some(1006),
            _ => None,
        }
    }

    /// Side `d`'s application hands `bytes` to TCP (no packet yet).
    pub(super) fn hand_to_tcp(&mut self, d: usize, bytes: Vec<u8>) {
        self.written_stream[d] += bytes.len() as u64;
        if self.outbox[d].is_empty() {
            self.outbox[d] = bytes;
            self.pos[d] = 0;
        } else {
            self.outbox[d].extend_from_slice(&bytes);
        }
    }

    /// Over TLS, side `d` sends close_notify before its FIN: always when the WebSocket
    /// closes cleanly (a close frame, then FINs), half the time on a FIN without a close
    /// frame, never before an RST. When it does, the alert and then the FIN are queued.
    pub(super) fn close_notify_first(&mut self, rng: &mut Rng, d: usize) -> bool {
        let Some(t) = self.tls.as_mut() else {
            return false;
        };
        if t.notified[d] {
            return false;
        }
        let clean = matches!(
            self.scenario,
            "close-handshake" | "close-then-fin" | "fin-then-close"
        );
        if !clean && !rng.chance(0.5) {
            return false;
        }
        let alert = t.close_notify(d);
        self.hand_to_tcp(d, alert);
        self.notify_at[d] = Some(self.written_stream[d]);
        self.ops.push_front(Op::Fin(d));
        self.ops.push_front(Op::Flush);
        true
    }

    pub(super) fn syn<K: Sink>(&mut self, out: &mut Out<'_, K>, d: usize) -> io::Result<u64> {
        let ms = out.ms();
        let mss: u16 = if self.ep[0].is_ipv6() { 1440 } else { 1460 };
        let mut o = [2, 4, 0, 0, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7];
        o[2..4].copy_from_slice(&mss.to_be_bytes());
        o[8..12].copy_from_slice(&self.ts_base[d].wrapping_add(ms).to_be_bytes());
        if d == S {
            o[12..16].copy_from_slice(&self.ts_base[C].wrapping_add(ms).to_be_bytes());
        }
        let isn = self.seq[d];
        self.seq[d] = isn.wrapping_add(1);
        let flags = if d == C { F_SYN } else { F_SYN | F_ACK };
        let before = out.bytes;
        let n = out.tcp(
            self.ep[d],
            self.ep[1 - d],
            isn,
            self.seq[1 - d],
            flags,
            64_240,
            &o,
            &[],
        )?;
        self.used += out.bytes - before;
        Ok(n)
    }

    /// One data segment from side `d`; queues what follows it (more data, an ACK).
    pub(super) fn segment<K: Sink>(
        &mut self,
        out: &mut Out<'_, K>,
        rng: &mut Rng,
        d: usize,
    ) -> io::Result<()> {
        let start = self.pos[d];
        let n = (self.outbox[d].len() - start).min(self.seg[d]);
        let end = start + n;
        let last = end == self.outbox[d].len();
        let seq = self.seq[d];
        let flags = if last { F_ACK | F_PSH } else { F_ACK };
        let payload = std::mem::take(&mut self.outbox[d]);
        let packet = self.send(out, d, flags, seq, &payload[start..end])?;
        let again = (n <= 1448 && rng.chance(0.002)).then(|| payload[start..end].to_vec());
        self.outbox[d] = payload;
        self.seq[d] = seq.wrapping_add(n as u32);
        self.sent_stream[d] += n as u64;
        self.pos[d] = end;
        if last {
            self.outbox[d].clear();
            self.outbox[d].shrink_to(64 << 10);
            self.pos[d] = 0;
        }
        while let Some((at, _)) = self.marks[d].front() {
            if *at > self.sent_stream[d] {
                break;
            }
            match self.marks[d].pop_front().expect("front exists").1 {
                Mark::Close(mut t) => {
                    t.packet = packet;
                    self.events.push(Ev::Close {
                        from: t.from,
                        code: t.code,
                    });
                    self.closes.push(t);
                }
                Mark::StreamEnd(e) => self.stream_end(e, packet),
            }
        }
        if self.notify_at[d].is_some_and(|at| at <= self.sent_stream[d]) {
            self.notify_at[d] = None;
            self.notify_packet[d] = Some(packet);
        }
        // What comes next, in reverse order of pushing to the front.
        if (0..2).any(|s| self.pos[s] < self.outbox[s].len()) {
            self.ops.push_front(Op::Flush);
        }
        self.unacked[d] += 1;
        if self.unacked[d] >= 2 || (last && rng.chance(0.6)) {
            self.unacked[d] = 0;
            self.ops.push_front(Op::Ack(1 - d));
        }
        if let Some(bytes) = again {
            self.ops.push_front(Op::Again(d, seq, bytes));
        }
        Ok(())
    }
}
