//! What a connection plans to do: its opening (TCP, TLS, HTTP/2), its messages and
//! fragments, and its ending from the mix, and the truth it writes of itself.

use super::*;

impl Conn {
    pub(super) fn plan(&mut self, rng: &mut Rng) {
        match self.phase {
            Phase::Handshake => {
                self.ops.extend([Op::Syn, Op::SynAck, Op::Ack(C)]);
                self.phase = Phase::Data;
                match self.kind {
                    Kind::Ws if self.h2.is_some() => self.plan_h2_opening(rng),
                    Kind::Ws => {
                        let key = ws_key(rng);
                        let proto = rng.chance(0.2).then_some("chat");
                        let deflate = self.deflate.is_some();
                        let host = rng.pick(HOSTS);
                        let req = upgrade_request(rng, self.path, host, &key, proto, deflate);
                        let ext = self.deflate.as_ref().map(|z| z.response());
                        let mut resp = upgrade_response(&key, proto, ext.as_deref());
                        if let Some(open) = self.sio.as_ref().map(|s| s.open()) {
                            // socket.io: the OPEN goes with the 101.
                            frame(&mut resp, true, OP_TEXT, None, &open);
                        } else if rng.chance(0.1) {
                            // The server's first frame in the segment of the 101 response.
                            let t = {
                                let n = rng.range(20, 200) as usize;
                                text(rng, n)
                            };
                            frame(&mut resp, true, OP_TEXT, None, &t);
                        }
                        if self.wss {
                            self.plan_tls_handshake(rng, host, vec![(C, req), (S, resp)]);
                        } else {
                            self.ops.extend([
                                Op::Write(C, req, None),
                                Op::Flush,
                                Op::Write(S, resp, None),
                                Op::Flush,
                            ]);
                        }
                        self.plan_sio_opening(rng);
                    }
                    Kind::Http | Kind::Tls => {}
                }
            }
            Phase::Data => match self.kind {
                Kind::Ws if self.sio.is_some() => self.plan_sio(rng),
                Kind::Ws => self.plan_ws(rng),
                Kind::Http => self.plan_http(rng),
                Kind::Tls => self.plan_tls(rng),
            },
            Phase::Ending => unreachable!("an ending always finishes with Done or Linger"),
        }
    }

    /// A wss:// opening: the TLS handshake for server name `host`, then `writes` (the
    /// client's first, then the server's, and so on: the upgrade request and response, or
    /// HTTP/2's opening) as application data. In TLS 1.3 the client's Finished and its
    /// first write share a segment, and a NewSessionTicket may come before the server's;
    /// in TLS 1.2 the client speaks after the server's Finished.
    pub(super) fn plan_tls_handshake(
        &mut self,
        rng: &mut Rng,
        host: &str,
        writes: Vec<(usize, Vec<u8>)>,
    ) {
        let (t, hs) = tls::Tls::new(rng, host, self.h2.is_some(), self.suite);
        let tls13 = t.flavor.tls13();
        self.tls = Some(Box::new(t));
        self.ops.extend([
            Op::Raw(C, hs.client_hello),
            Op::Flush,
            Op::Raw(S, hs.server_flight),
            Op::Flush,
            Op::Raw(C, hs.client_finish),
        ]);
        let mut server_finish = Some(hs.server_finish);
        if !tls13 {
            let f = server_finish.take().unwrap_or_default();
            self.ops.extend([Op::Flush, Op::Raw(S, f), Op::Flush]);
        }
        for (i, (d, w)) in writes.into_iter().enumerate() {
            if i == 1 {
                if let Some(f) = server_finish.take() {
                    self.ops.push_back(Op::Raw(S, f));
                }
            }
            self.ops.extend([Op::App(d, w, Vec::new()), Op::Flush]);
        }
    }

    /// An HTTP/2 opening ([`h2::H2::opening`]), inside TLS for a wss:// connection.
    pub(super) fn plan_h2_opening(&mut self, rng: &mut Rng) {
        let proto = rng.chance(0.2).then_some("chat");
        let host = rng.pick(HOSTS);
        let agent = rng.pick(AGENTS);
        let offer_deflate = self.deflate.is_some() || rng.chance(0.3);
        let ext = self.deflate.as_ref().map(|z| z.response());
        let server_first = rng.chance(0.1).then(|| {
            let n = rng.range(20, 200) as usize;
            let t = text(rng, n);
            let mut f = Vec::new();
            frame(&mut f, true, OP_TEXT, None, &t);
            f
        });
        let connect = h2::Connect {
            tls: self.wss,
            path: self.path,
            host,
            agent,
            proto,
            offer_deflate,
            agreed_extension: ext.as_deref(),
        };
        let writes = self.h2.as_mut().expect("an HTTP/2 connection").opening(
            rng,
            &connect,
            server_first.as_deref(),
        );
        if self.wss {
            self.plan_tls_handshake(rng, host, writes);
        } else {
            for (d, w) in writes {
                self.ops.extend([Op::App(d, w, Vec::new()), Op::Flush]);
            }
        }
    }

    /// HTTP/2 frames of side `d`: `bytes`, ending with the stream ending `e`.
    pub(super) fn h2_frame(&self, d: usize, bytes: Vec<u8>, e: StreamEndTruth) -> Op {
        let n = bytes.len();
        Op::App(d, bytes, vec![(n, Mark::StreamEnd(e))])
    }

    /// Side `d`'s close frame over HTTP/2, ending its half of the stream when `end`:
    /// END_STREAM on the DATA frame of the close frame, or (one time in seven) on an
    /// empty DATA frame right after it.
    pub(super) fn h2_close(
        &self,
        rng: &mut Rng,
        d: usize,
        code: Option<u16>,
        reason: &str,
        end: bool,
    ) -> Vec<Op> {
        let Op::Write(_, bytes, truth) = self.close_op(rng, d, code, reason) else {
            unreachable!("close_op writes");
        };
        if !end {
            return vec![Op::Write(d, bytes, truth)];
        }
        if rng.chance(0.85) {
            return vec![Op::WriteEnd(d, bytes, truth)];
        }
        let h = self.h2.as_ref().expect("an HTTP/2 connection");
        vec![
            Op::Write(d, bytes, truth),
            self.h2_frame(d, h.end_stream(), StreamEndTruth::end_stream(d)),
        ]
    }

    /// How a WebSocket over HTTP/2 ends: the scenarios of [`Conn::plan_ending`] with
    /// END_STREAM on the close frames, and the stream's own endings: RST_STREAM, a
    /// GOAWAY with an error, a GOAWAY that lets the stream run, and a browser's
    /// RST_STREAM CANCEL after the close frames.
    pub(super) fn plan_ending_h2(&mut self, rng: &mut Rng) {
        self.phase = Phase::Ending;
        let stream = self.h2.as_ref().expect("an HTTP/2 connection").stream;
        let init = if rng.chance(0.5) { C } else { S };
        let peer = 1 - init;
        if rng.chance(0.2) {
            let m = self.small_message(rng, init);
            self.ops.push_back(Op::Write(init, m, None));
        }
        let scenario = rng.weighted(&[52, 3, 3, 6, 6, 5, 1, 2, 8, 6, 5, 3]);
        let (code, reason) = pick_close(rng);
        if matches!(scenario, 3..=6 | 8 | 9) {
            self.ops.push_back(Op::Flush);
        }
        // After the stream: TCP ends, or the HTTP/2 connection stays up.
        let fins = |first: usize| [Op::Fin(first), Op::Fin(1 - first), Op::Ack(first), Op::Done];
        let tail = |rng: &mut Rng, who: usize| -> Vec<Op> {
            if rng.chance(0.4) {
                vec![Op::Linger]
            } else {
                fins(who).into()
            }
        };
        match scenario {
            0 => {
                self.scenario = "close-handshake";
                let ops = self.h2_close(rng, init, code, reason, true);
                self.ops.extend(ops);
                self.ops.push_back(Op::Flush);
                let (rc, rr) = match code {
                    None => (None, ""),
                    Some(c) => match rng.weighted(&[60, 25, 15]) {
                        0 => (Some(c), ""),
                        1 => (Some(1000), ""),
                        _ => (Some(c), reason),
                    },
                };
                let ops = self.h2_close(rng, peer, rc, rr, true);
                self.ops.extend(ops);
                self.ops.push_back(Op::Flush);
                let first = if rng.chance(0.8) { S } else { C };
                match rng.weighted(&[70, 20, 10]) {
                    0 => self.ops.extend(fins(first)),
                    1 => self.ops.push_back(Op::Linger),
                    _ => {
                        // A graceful GOAWAY after the stream is over: it concerns no stream.
                        let g = h2::goaway(stream, h2::NO_ERROR);
                        let e = StreamEndTruth::goaway(S, stream, stream, h2::NO_ERROR);
                        self.ops.extend([self.h2_frame(S, g, e), Op::Flush]);
                        self.ops.extend(fins(S));
                    }
                }
            }
            1 => {
                self.scenario = "close-then-rst";
                let end = rng.chance(0.5);
                let ops = self.h2_close(rng, init, code, reason, end);
                self.ops.extend(ops);
                let who = if rng.chance(0.5) { init } else { peer };
                self.ops.extend([Op::Flush, Op::Rst(who), Op::Done]);
            }
            2 => {
                self.scenario = "close-then-fin";
                let end = rng.chance(0.8);
                let ops = self.h2_close(rng, init, code, reason, end);
                self.ops.extend(ops);
                self.ops.push_back(Op::Flush);
                self.ops.extend(fins(init));
            }
            3 => {
                self.scenario = "fin-no-close";
                if rng.chance(0.8) {
                    self.ops.extend(fins(init));
                } else {
                    self.ops.extend([Op::Fin(init), Op::Rst(peer), Op::Done]);
                }
            }
            4 => {
                self.scenario = "rst-no-close";
                self.ops.extend([Op::Rst(init), Op::Done]);
            }
            5 => {
                self.scenario = "open";
                if rng.chance(0.3) {
                    // The server announces its shutdown but lets the stream run (RFC 9113
                    // §6.8): listed, not an ending.
                    let g = h2::goaway(stream, h2::NO_ERROR);
                    let e = StreamEndTruth::goaway(S, stream, stream, h2::NO_ERROR);
                    self.ops.extend([self.h2_frame(S, g, e), Op::Flush]);
                }
                self.ops.push_back(Op::Linger);
            }
            6 => {
                self.scenario = "fin-then-close";
                self.ops.push_back(Op::Fin(C));
                let ops = self.h2_close(rng, S, Some(1000), "", true);
                self.ops.extend(ops);
                self.ops
                    .extend([Op::Flush, Op::Fin(S), Op::Ack(C), Op::Done]);
            }
            7 => {
                self.scenario = "close-unanswered-open";
                let end = rng.chance(0.5);
                let ops = self.h2_close(rng, init, code, reason, end);
                self.ops.extend(ops);
                self.ops.extend([Op::Flush, Op::Linger]);
            }
            8 => {
                self.scenario = "rst-stream";
                let code = if init == C && rng.chance(0.7) {
                    h2::CANCEL
                } else {
                    rng.pick(&[
                        h2::CANCEL,
                        h2::INTERNAL_ERROR,
                        h2::CONNECT_ERROR,
                        h2::ENHANCE_YOUR_CALM,
                        h2::PROTOCOL_ERROR,
                    ])
                };
                let r = h2::rst_stream(stream, code);
                let e = StreamEndTruth::rst_stream(init, code);
                self.ops.extend([self.h2_frame(init, r, e), Op::Flush]);
                let t = tail(rng, init);
                self.ops.extend(t);
            }
            9 => {
                self.scenario = "goaway";
                let who = if rng.chance(0.7) { S } else { C };
                let code = rng.pick(&[
                    h2::INTERNAL_ERROR,
                    h2::PROTOCOL_ERROR,
                    h2::ENHANCE_YOUR_CALM,
                ]);
                // The stream was processed: the last stream is it (the client's GOAWAY
                // names the server's streams: none).
                let last = if who == S { stream } else { 0 };
                let g = h2::goaway(last, code);
                let e = StreamEndTruth::goaway(who, stream, last, code);
                self.ops.extend([self.h2_frame(who, g, e), Op::Flush]);
                self.ops.extend(fins(who));
            }
            10 => {
                // A browser: its close frame with END_STREAM, the server's close frame
                // without, then RST_STREAM CANCEL; a clean close for both.
                self.scenario = "close-then-rst-stream";
                let ops = self.h2_close(rng, C, code, reason, true);
                self.ops.extend(ops);
                self.ops.push_back(Op::Flush);
                let ops = self.h2_close(rng, S, code, "", false);
                self.ops.extend(ops);
                self.ops.push_back(Op::Flush);
                let r = h2::rst_stream(stream, h2::CANCEL);
                let e = StreamEndTruth::rst_stream(C, h2::CANCEL);
                self.ops.extend([self.h2_frame(C, r, e), Op::Flush]);
                let t = tail(rng, C);
                self.ops.extend(t);
            }
            _ => {
                // The server closes first with END_STREAM; the browser answers with
                // RST_STREAM and no close frame: its page still got the server's code.
                self.scenario = "server-close-then-rst-stream";
                let ops = self.h2_close(rng, S, code, reason, true);
                self.ops.extend(ops);
                self.ops.push_back(Op::Flush);
                let r = h2::rst_stream(stream, h2::CANCEL);
                let e = StreamEndTruth::rst_stream(C, h2::CANCEL);
                self.ops.extend([self.h2_frame(C, r, e), Op::Flush]);
                let t = tail(rng, S);
                self.ops.extend(t);
            }
        }
    }

    pub(super) fn plan_http(&mut self, rng: &mut Rng) {
        if self.requests > 0 && (self.remaining() == 0 || rng.chance(0.5)) {
            self.phase = Phase::Ending;
            let first = if rng.chance(0.5) { C } else { S };
            self.ops
                .extend([Op::Fin(first), Op::Fin(1 - first), Op::Ack(first), Op::Done]);
            return;
        }
        self.requests += 1;
        let body = if rng.chance(0.7) {
            rng.range(100, 6_000)
        } else {
            rng.range(6_000, self.remaining().clamp(6_000, 2 << 20))
        };
        let req = http_request(rng);
        let resp = http_response(rng, body as usize);
        self.ops.extend([
            Op::Write(C, req, None),
            Op::Flush,
            Op::Write(S, resp, None),
            Op::Flush,
        ]);
    }

    pub(super) fn plan_tls(&mut self, rng: &mut Rng) {
        if self.requests > 0 && (self.remaining() == 0 || rng.chance(0.3)) {
            self.phase = Phase::Ending;
            self.ops
                .extend([Op::Fin(C), Op::Fin(S), Op::Ack(C), Op::Done]);
            return;
        }
        self.requests += 1;
        let up = {
            let n = rng.range(60, 900) as usize;
            tls_record(rng, n)
        };
        let mut down = Vec::new();
        let mut left = rng.range(200, self.remaining().clamp(200, 200_000)) as usize;
        while left > 0 {
            let n = left.min(16_384);
            down.extend_from_slice(&tls_record(rng, n));
            left -= n;
        }
        self.ops.extend([
            Op::Write(C, up, None),
            Op::Flush,
            Op::Write(S, down, None),
            Op::Flush,
        ]);
    }

    pub(super) fn small_message(&mut self, rng: &mut Rng, d: usize) -> Vec<u8> {
        if self.sio.is_some() {
            let n = rng.range(20, 400) as usize;
            let e = socketio::event(rng, n);
            return self.data_frame(rng, d, OP_TEXT, &e);
        }
        if rng.chance(0.85) {
            let t = {
                let n = rng.range(20, 400) as usize;
                text(rng, n)
            };
            self.data_frame(rng, d, OP_TEXT, &t)
        } else {
            let b = {
                let n = rng.range(1, 400) as usize;
                rng.bytes(n)
            };
            self.data_frame(rng, d, OP_BINARY, &b)
        }
    }

    pub(super) fn plan_ws(&mut self, rng: &mut Rng) {
        if self.remaining() == 0 {
            if self.h2.is_some() {
                self.plan_ending_h2(rng);
            } else {
                self.plan_ending(rng);
            }
            return;
        }
        if self.h2.is_some() && rng.chance(0.03) {
            // An HTTP/2 PING and its ACK on stream 0, between WebSocket messages.
            let (ping, ack) = h2::ping_pair(rng);
            let d = if rng.chance(0.5) { S } else { C };
            self.ops.extend([
                Op::App(d, ping, Vec::new()),
                Op::Flush,
                Op::App(1 - d, ack, Vec::new()),
                Op::Flush,
            ]);
            return;
        }
        let d = if rng.chance(0.6) { S } else { C };
        match rng.weighted(&[55, 16, 6, 5, 7, 11]) {
            0 => {
                let m = self.small_message(rng, d);
                self.ops.extend([Op::Write(d, m, None), Op::Flush]);
            }
            1 => {
                let b = {
                    let n = rng.range(400, 8_000) as usize;
                    rng.bytes(n)
                };
                let m = self.data_frame(rng, d, OP_BINARY, &b);
                self.ops.extend([Op::Write(d, m, None), Op::Flush]);
            }
            2 if self.remaining() > 16_384 => {
                // 16 KiB .. 1 MiB, log-uniform, within what is left of the budget.
                let size = (16_384.0 * 64f64.powf(rng.unit())) as u64;
                let size = size.min(self.remaining()) as usize;
                let m = if rng.chance(0.3) {
                    let t = text(rng, size);
                    self.data_frame(rng, d, OP_TEXT, &t)
                } else {
                    let b = rng.bytes(size);
                    self.data_frame(rng, d, OP_BINARY, &b)
                };
                self.ops.extend([Op::Write(d, m, None), Op::Flush]);
            }
            3 => self.plan_fragmented(rng, d),
            4 => {
                let p = {
                    let n = rng.range(0, 16) as usize;
                    rng.bytes(n)
                };
                let ping = self.ws_frame(rng, d, true, OP_PING, &p);
                let pong = self.ws_frame(rng, 1 - d, true, OP_PONG, &p);
                self.ops.extend([
                    Op::Write(d, ping, None),
                    Op::Flush,
                    Op::Write(1 - d, pong, None),
                    Op::Flush,
                ]);
            }
            _ => {
                // A burst: several frames per segment, sometimes both ways at once.
                let mut m = Vec::new();
                for _ in 0..rng.range(2, 6) {
                    m.extend_from_slice(&self.small_message(rng, d));
                }
                self.ops.push_back(Op::Write(d, m, None));
                if rng.chance(0.3) {
                    let other = self.small_message(rng, 1 - d);
                    self.ops.push_back(Op::Write(1 - d, other, None));
                }
                self.ops.push_back(Op::Flush);
            }
        }
    }

    /// A message in 2..=6 fragments split at arbitrary bytes (inside UTF-8 characters too),
    /// each in its own segment; sometimes a ping between fragments, answered afterwards.
    pub(super) fn plan_fragmented(&mut self, rng: &mut Rng, d: usize) {
        let is_text = rng.chance(0.6);
        let len = rng.range(10, 6_000) as usize;
        let body = if is_text {
            text(rng, len)
        } else {
            rng.bytes(len)
        };
        // Compressed as one message, whose compressed bytes are then split (RFC 7692 §6.1).
        let (body, compressed) = match self.deflate.as_mut() {
            Some(z) if rng.chance(0.9) => (z.compress(d, &body), true),
            _ => (body, false),
        };
        let n = rng.range(2, 6) as usize;
        let mut cuts: Vec<usize> = (0..n - 1)
            .map(|_| rng.below(body.len() as u64 + 1) as usize)
            .collect();
        cuts.sort_unstable();
        cuts.insert(0, 0);
        cuts.push(body.len());
        let mut ping: Option<Vec<u8>> = None;
        for i in 0..n {
            let op = match (i, is_text) {
                (0, true) => OP_TEXT,
                (0, false) => OP_BINARY,
                _ => OP_CONT,
            };
            let mut f = Vec::with_capacity(cuts[i + 1] - cuts[i] + 14);
            let rsv1 = compressed && i == 0;
            let mask = self.mask(d, rng);
            frame_rsv1(
                &mut f,
                i == n - 1,
                rsv1,
                op,
                mask,
                &body[cuts[i]..cuts[i + 1]],
            );
            self.ops.extend([Op::Write(d, f, None), Op::Flush]);
            if i < n - 1 && ping.is_none() && rng.chance(0.3) {
                let p = rng.bytes(4);
                let f = self.ws_frame(rng, d, true, OP_PING, &p);
                self.ops.extend([Op::Write(d, f, None), Op::Flush]);
                ping = Some(p);
            }
        }
        if let Some(p) = ping {
            let f = self.ws_frame(rng, 1 - d, true, OP_PONG, &p);
            self.ops.extend([Op::Write(1 - d, f, None), Op::Flush]);
        }
    }

    /// How the connection ends.
    pub(super) fn plan_ending(&mut self, rng: &mut Rng) {
        self.phase = Phase::Ending;
        let init = if rng.chance(0.5) { C } else { S };
        let peer = 1 - init;
        // Sometimes the last message goes out with the close frame.
        if rng.chance(0.2) {
            let m = self.small_message(rng, init);
            self.ops.push_back(Op::Write(init, m, None));
        }
        let scenario = rng.weighted(&[70, 3, 2, 8, 8, 5, 1, 1]);
        let (code, reason) = pick_close(rng);
        if matches!(scenario, 3..=6) {
            // No close frame from the initiator to share a segment with: send the message.
            self.ops.push_back(Op::Flush);
        }
        match scenario {
            0 => {
                self.scenario = "close-handshake";
                let op = self.close_op(rng, init, code, reason);
                self.ops.extend([op, Op::Flush]);
                let reply = match code {
                    None => None,
                    Some(c) => match rng.weighted(&[60, 25, 15]) {
                        0 => Some((Some(c), "")),
                        1 => Some((Some(1000), "")),
                        _ => Some((Some(c), reason)),
                    },
                };
                let (rc, rr) = reply.unwrap_or((None, ""));
                let op = self.close_op(rng, peer, rc, rr);
                self.ops.extend([op, Op::Flush]);
                let first = if rng.chance(0.8) { S } else { C };
                self.ops
                    .extend([Op::Fin(first), Op::Fin(1 - first), Op::Ack(first), Op::Done]);
            }
            1 => {
                self.scenario = "close-then-rst";
                let op = self.close_op(rng, init, code, reason);
                let who = if rng.chance(0.5) { init } else { peer };
                self.ops.extend([op, Op::Flush, Op::Rst(who), Op::Done]);
            }
            2 => {
                self.scenario = "close-then-fin";
                let op = self.close_op(rng, init, code, reason);
                self.ops.extend([
                    op,
                    Op::Flush,
                    Op::Fin(init),
                    Op::Fin(peer),
                    Op::Ack(init),
                    Op::Done,
                ]);
            }
            3 => {
                self.scenario = "fin-no-close";
                if rng.chance(0.8) {
                    self.ops
                        .extend([Op::Fin(init), Op::Fin(peer), Op::Ack(init), Op::Done]);
                } else {
                    self.ops.extend([Op::Fin(init), Op::Rst(peer), Op::Done]);
                }
            }
            4 => {
                self.scenario = "rst-no-close";
                self.ops.extend([Op::Rst(init), Op::Done]);
            }
            5 => {
                self.scenario = "open";
                self.ops.push_back(Op::Linger);
            }
            6 => {
                self.scenario = "fin-then-close";
                let op = self.close_op(rng, S, Some(1000), "");
                self.ops
                    .extend([Op::Fin(C), op, Op::Flush, Op::Fin(S), Op::Ack(C), Op::Done]);
            }
            _ => {
                self.scenario = "close-unanswered-open";
                let op = self.close_op(rng, init, code, reason);
                self.ops.extend([op, Op::Flush, Op::Linger]);
            }
        }
    }

    pub(super) fn truth(&self) -> serde_json::Value {
        let role = |d: usize| if d == C { "client" } else { "server" };
        json!({
            "client": self.ep[C].to_string(),
            "server": self.ep[S].to_string(),
            "first_packet": self.first_packet,
            "path": self.path,
            "scenario": self.scenario,
            "close_frames": self.closes.iter().map(|c| json!({
                "from": role(c.from),
                "code": c.code,
                "reason": c.reason,
                "packet": c.packet,
            })).collect::<Vec<_>>(),
            "tcp_end": self.tcp_end.map_or("open", |(k, _)| k),
            "tcp_end_by": self.tcp_end.map(|(_, d)| role(d)),
            "status": self.status(),
            "seen_by": {
                "client": self.seen_by(C),
                "server": self.seen_by(S),
            },
            "transport": if self.h2.is_some() { "h2" } else { "http/1.1" },
            "h2_stream": self.h2.as_ref().map(|h| h.stream),
            "handshake_status": if self.h2.is_some() { 200 } else { 101 },
            "stream_ends": self.stream_ends.iter().map(|e| json!({
                "by": role(e.by),
                "kind": e.kind,
                "error_code": e.error_code,
                "last_stream": e.last_stream,
                "ends_stream": e.ends,
                "packet": e.packet,
            })).collect::<Vec<_>>(),
            "deflate": self.deflate.is_some(),
            "compressed_messages": {
                "client": self.deflate.as_ref().map_or(0, |z| z.compressed[C]),
                "server": self.deflate.as_ref().map_or(0, |z| z.compressed[S]),
            },
            "app": self.sio_truth(),
            "tls": self.tls.as_ref().map(|t| json!({
                "version": t.flavor.version(),
                "cipher_suite": t.flavor.suite_name(),
                "close_notify": {
                    "client": self.notify_packet[C],
                    "server": self.notify_packet[S],
                },
            })),
        })
    }

    pub(super) fn status_key(&self) -> String {
        match self.status() {
            Some(c) => c.to_string(),
            None => "open".into(),
        }
    }
}
