//! Seed inputs for every target, made from the recorded fixtures (`../fixtures`).
//!
//! The captures are read with wsclose's own reader and packet decoder (no tshark needed):
//! each direction's TCP payloads are joined in sequence order, the HTTP headers are cut off
//! where the blank line ends them, and what follows is the WebSocket stream.

use crate::{pipeline_record, StreamCase, LINKS};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use wsclose::vocab::{LinkType, Endpoint};

pub use crate::seed::Seed;

/// Where the IP header starts in a packet of this link type (the fixtures' link types).
fn ip_offset(link: LinkType, data: &[u8]) -> usize {
    match link {
        LinkType::ETHERNET => {
            let mut off = 14;
            while data.get(off - 2..off) == Some(&[0x81, 0x00][..])
                || data.get(off - 2..off) == Some(&[0x88, 0xa8][..])
            {
                off += 4;
            }
            off
        }
        LinkType::LINUX_SLL => 16,
        LinkType::LINUX_SLL2 => 20,
        LinkType::NULL | LinkType::LOOP => 4,
        _ => 0,
    }
    .min(data.len())
}

/// One direction of one connection: (sequence number, payload) in capture order.
type Dir = Vec<(u32, Vec<u8>)>;

/// The direction's bytes in order, and where each segment started.
fn join(dir: &Dir) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::new();
    let mut starts = Vec::new();
    let Some(&(base, _)) = dir.first() else {
        return (out, starts);
    };
    let mut segs: Vec<(u32, &[u8])> = dir
        .iter()
        .map(|(s, p)| (s.wrapping_sub(base), &p[..]))
        .collect();
    segs.sort_by_key(|(o, _)| *o);
    for (off, p) in segs {
        let off = off as usize;
        if off + p.len() <= out.len() {
            continue; // retransmission
        }
        if off > out.len() {
            break; // a hole: stop here
        }
        starts.push(off);
        out.extend_from_slice(&p[out.len() - off..]);
    }
    (out, starts)
}

fn end_of_headers(b: &[u8]) -> Option<usize> {
    b.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// All seeds from the fixture files in `dir`.
pub fn all(dir: &Path) -> std::io::Result<Vec<Seed>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p.to_string_lossy();
            n.ends_with(".pcap") || n.ends_with(".pcapng") || n.ends_with(".gz")
        })
        .collect();
    files.sort();
    let mut seeds = Vec::new();
    for path in files {
        let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
        let stem = file_name.split('.').next().unwrap_or("x").to_string();
        let raw = std::fs::read(&path)?;
        seeds.push(Seed {
            target: "capture_file",
            name: file_name.clone(),
            data: raw.clone(),
        });
        if raw.starts_with(&[0x1f, 0x8b]) {
            let mut plain = Vec::new();
            flate2::read::MultiGzDecoder::new(&raw[..]).read_to_end(&mut plain)?;
            seeds.push(Seed {
                target: "capture_file",
                name: format!("{stem}-unzipped.pcap"),
                data: plain,
            });
        }
        let mut raw_ip = vec![0u8];
        let mut linked: Option<Vec<u8>> = None;
        let mut dirs: BTreeMap<(Endpoint, Endpoint), Dir> = BTreeMap::new();
        let res = wsclose::__internals::capture::file::read(&path, &mut |p| {
            let off = ip_offset(p.link, p.data);
            raw_ip.extend(pipeline_record(&p.data[off..]));
            let l = linked.get_or_insert_with(|| {
                let sel = LINKS.iter().position(|&l| l == p.link).unwrap_or(0);
                vec![sel as u8]
            });
            l.extend(pipeline_record(p.data));
            if let Ok(seg) = wsclose::__internals::decode::decode(p) {
                if !seg.payload.is_empty() {
                    let seq = if seg.syn {
                        seg.seq.wrapping_add(1)
                    } else {
                        seg.seq
                    };
                    dirs.entry((seg.src, seg.dst))
                        .or_default()
                        .push((seq, seg.payload.to_vec()));
                }
            }
        });
        if res.is_err() {
            continue;
        }
        seeds.push(Seed {
            target: "pipeline",
            name: format!("{stem}-raw-ip"),
            data: raw_ip,
        });
        if let Some(l) = linked {
            seeds.push(Seed {
                target: "pipeline",
                name: format!("{stem}-link"),
                data: l,
            });
        }
        for ((src, dst), dir) in &dirs {
            let (bytes, starts) = join(dir);
            let Some(h) = end_of_headers(&bytes) else {
                continue;
            };
            let server_sends = bytes.starts_with(b"HTTP/");
            let role = if server_sends { "server" } else { "client" };
            let port = if server_sends { dst.port } else { src.port };
            let name = format!("{stem}-{role}-{port}");
            seeds.push(Seed {
                target: "http_handshake",
                name: name.clone(),
                data: bytes[..h].to_vec(),
            });
            // The 101 response of this connection says whether deflate was negotiated.
            let deflate = dirs
                .get(&(*dst, *src))
                .into_iter()
                .chain(dirs.get(&(*src, *dst)))
                .any(|d| {
                    d.iter().any(|(_, p)| {
                        p.starts_with(b"HTTP/1.1 101")
                            && String::from_utf8_lossy(p).contains("permessage-deflate")
                    })
                });
            let ws = &bytes[h..];
            let cuts: Vec<usize> = starts
                .iter()
                .filter(|&&s| s > h && s < bytes.len())
                .map(|&s| s - h)
                .collect();
            seeds.push(Seed {
                target: "tcp_stream",
                name: name.clone(),
                data: StreamCase::encode(server_sends, deflate, 3, &cuts, ws),
            });
            let frame_starts = std::iter::once(h).chain(starts.iter().copied().filter(|&s| s > h));
            for (i, s) in frame_starts.filter(|&s| s < bytes.len()).enumerate() {
                let end = (s + 2 * wsclose::__internals::websocket::frame::MAX_HEADER_LEN)
                    .min(bytes.len());
                seeds.push(Seed {
                    target: "frame_header",
                    name: format!("{name}-{i}"),
                    data: bytes[s..end].to_vec(),
                });
            }
        }
    }
    seeds.extend(tls_seeds(&dir.join("tls"))?);
    seeds.extend(keylog_seeds(&dir.join("tls"))?);
    seeds.extend(h2_seeds(&dir.join("node-h2-websockets.pcap"))?);
    seeds.extend(app_mqtt_seeds(&dir.join("app"))?);
    seeds.extend(app_json_seeds(&dir.join("app"))?);
    seeds.extend(app_wamp_seeds(&dir.join("app"))?);
    seeds.extend(h2_streams_seeds());
    seeds.extend(crate::connect::seeds());
    seeds.extend(pcapng_writer_seeds(&dir.join("node-many.pcap.gz"))?);
    seeds.extend(crate::lastwords::seeds());
    seeds.extend(crate::shapes::seeds().into_iter().map(|(name, data)| Seed {
        target: "shapes",
        name,
        data,
    }));
    Ok(seeds)
}

/// `pcapng_writer`: the packets of a fixture, each with a comment or two (one that starts
/// as wsclose's own), some with options of their own (a comment, `epb_flags`, one cut
/// short), in both byte orders, with and without secrets.
fn pcapng_writer_seeds(capture: &Path) -> std::io::Result<Vec<Seed>> {
    let mut packets = Vec::new();
    wsclose::__internals::capture::file::read(capture, &mut |p| {
        packets.push((p.link.0, p.data.to_vec()));
    })
    .map_err(std::io::Error::other)?;
    let mut seeds = Vec::new();
    for flags in 0..4u8 {
        let mut data = vec![flags];
        for (i, (link, bytes)) in packets.iter().enumerate().take(24) {
            let n = (i % 3) as u8;
            let mut own = Vec::new();
            if i % 2 == 0 {
                let be = flags & 2 == 2;
                let h = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
                own.extend(h(1));
                own.extend(h(5));
                own.extend(b"note\0\0\0\0");
                own.extend(h(2));
                own.extend(h(4));
                own.extend(if be { [0, 0, 0, 1] } else { [1, 0, 0, 0] });
                if i % 4 == 0 {
                    own.extend(h(1));
                    own.extend(h(200));
                }
            }
            data.push(*link as u8);
            data.push(n);
            data.extend((bytes.len() as u16).to_le_bytes());
            data.push(own.len() as u8);
            data.extend(bytes);
            data.extend(&own);
            for k in 0..n {
                let c = if k == 0 {
                    format!("wsclose #{i} [1000 Normal Closure]: close ✓")
                } else {
                    format!("input note {k}")
                };
                data.push(c.len() as u8);
                data.extend(c.as_bytes());
            }
        }
        seeds.push(Seed {
            target: "pcapng_writer",
            name: format!("node-many-flags-{flags}"),
            data,
        });
    }
    Ok(seeds)
}

/// One TCP connection's payload chunks in capture order: (from the client, bytes), with
/// retransmitted bytes left out (the fixtures have no holes; a segment past one is skipped).
#[derive(Debug, Clone, Default)]
pub struct Conversation {
    pub chunks: Vec<(bool, Vec<u8>)>,
}

impl Conversation {
    /// The first chunk the client sent.
    pub fn client_first(&self) -> Option<&[u8]> {
        self.chunks
            .iter()
            .find(|(c, _)| *c)
            .map(|(_, b)| b.as_slice())
    }
    /// The first chunk the server sent.
    pub fn server_first(&self) -> Option<&[u8]> {
        self.chunks
            .iter()
            .find(|(c, _)| !*c)
            .map(|(_, b)| b.as_slice())
    }
}

/// The TCP connections of a capture, read with wsclose's reader and decoder; the client is
/// the side that sent a SYN without ACK, else the first to send.
pub fn conversations(path: &Path) -> std::io::Result<Vec<Conversation>> {
    type Key = (Endpoint, Endpoint);
    struct State {
        client: Endpoint,
        next: BTreeMap<Endpoint, u32>,
        conv: Conversation,
    }
    let mut by_key: BTreeMap<Key, usize> = BTreeMap::new();
    let mut all: Vec<State> = Vec::new();
    wsclose::__internals::capture::file::read(path, &mut |p| {
        let Ok(seg) = wsclose::__internals::decode::decode(p) else {
            return;
        };
        let key = if seg.src < seg.dst {
            (seg.src, seg.dst)
        } else {
            (seg.dst, seg.src)
        };
        let i = *by_key.entry(key).or_insert_with(|| {
            let client = if seg.syn && seg.ack_flag {
                seg.dst
            } else {
                seg.src
            };
            all.push(State {
                client,
                next: BTreeMap::new(),
                conv: Conversation::default(),
            });
            all.len() - 1
        });
        let st = &mut all[i];
        let start = if seg.syn {
            seg.seq.wrapping_add(1)
        } else {
            seg.seq
        };
        let next = *st.next.entry(seg.src).or_insert(start);
        if seg.payload.is_empty() {
            return;
        }
        let off = start.wrapping_sub(next) as i32;
        if off > 0 {
            return; // past a hole
        }
        let skip = off.unsigned_abs() as usize;
        if skip >= seg.payload.len() {
            return; // retransmitted
        }
        let bytes = &seg.payload[skip..];
        st.next
            .insert(seg.src, next.wrapping_add(bytes.len() as u32));
        st.conv.chunks.push((seg.src == st.client, bytes.to_vec()));
    })
    .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(all.into_iter().map(|s| s.conv).collect())
}

/// The first TLS record of `bytes` (header included), if it is whole.
fn first_record(bytes: &[u8]) -> Option<&[u8]> {
    let len = usize::from(u16::from_be_bytes([*bytes.get(3)?, *bytes.get(4)?]));
    bytes.get(..5 + len)
}

/// Whether a key log holds 48-byte TLS 1.3 secrets (a SHA-384 suite).
fn has_sha384_secrets(keylog: &[u8]) -> bool {
    String::from_utf8_lossy(keylog).lines().any(|l| {
        let f: Vec<&str> = l.split_ascii_whitespace().collect();
        f.len() == 3 && f[0] != "CLIENT_RANDOM" && f[2].len() == 96
    })
}

/// `tls_session` seeds from `fixtures/tls/`: every recorded connection as captured (chunks
/// as its TCP segments), with its real key log and with random secrets; for each TLS 1.3
/// one, a made-up continuation of its hellos in sealed records (the key mode in which the
/// harness encrypts); and records at the length limits.
pub fn tls_seeds(dir: &Path) -> std::io::Result<Vec<Seed>> {
    use crate::tls::{encode, flag, TlsCase};
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p.to_string_lossy();
            n.ends_with(".pcap") || n.ends_with(".pcapng")
        })
        .collect();
    files.sort();
    let mut seeds = Vec::new();
    for path in files {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let keylog = std::fs::read(path.with_extension("keylog")).unwrap_or_else(|_| {
            wsclose::__internals::capture::secrets::leading_tls_secrets(&path).concat()
        });
        let sha384 = if has_sha384_secrets(&keylog) {
            flag::SHA384
        } else {
            0
        };
        let convs = conversations(&path)?;
        for (i, conv) in convs.iter().enumerate() {
            let Some(first) = conv.client_first() else {
                continue;
            };
            if !wsclose::__internals::stack::tls::looks_like_client_hello(first) {
                continue;
            }
            let stem = if i == 0 {
                stem.clone()
            } else {
                format!("{stem}-{i}")
            };
            let mut ops = Vec::new();
            for (from_client, bytes) in &conv.chunks {
                encode::raw(&mut ops, *from_client, bytes);
            }
            let text = flag::COMPLETE | flag::SPLIT;
            seeds.push(Seed {
                target: "tls_session",
                name: format!("{stem}-keylog"),
                data: TlsCase::encode(text, &keylog, &ops),
            });
            seeds.push(Seed {
                target: "tls_session",
                name: format!("{stem}-random"),
                data: TlsCase::encode(1 | flag::COMPLETE | sha384, b"", &ops),
            });
            let tls13 = !has_tls12_only(&keylog);
            if let (true, Some(ch), Some(sh)) = (
                tls13,
                first_record(first),
                conv.server_first().and_then(first_record),
            ) {
                let ops = sealed_script(ch, sh);
                seeds.push(Seed {
                    target: "tls_session",
                    name: format!("{stem}-sealed"),
                    data: TlsCase::encode(3 | flag::COMPLETE | flag::SPLIT | sha384, b"", &ops),
                });
            }
        }
    }
    Ok(seeds)
}

fn has_tls12_only(keylog: &[u8]) -> bool {
    !String::from_utf8_lossy(keylog).contains("TRAFFIC_SECRET_0")
}

/// After a real ClientHello and ServerHello (TLS 1.3): EncryptedExtensions and Finished
/// under the handshake keys, the client's Finished, application data both ways (a
/// WebSocket close frame), a KeyUpdate and data under the next key, a close_notify inside
/// a record, a plaintext alert, and records at and past the length limits.
pub fn sealed_script(client_hello: &[u8], server_hello: &[u8]) -> Vec<u8> {
    use crate::tls::encode;
    let mut ops = Vec::new();
    encode::raw(&mut ops, true, client_hello);
    encode::raw(&mut ops, false, server_hello);
    encode::raw(&mut ops, false, &[20, 3, 3, 0, 1, 1]);
    let finished = |out: &mut Vec<u8>| {
        out.extend_from_slice(&[20, 0, 0, 32]);
        out.extend_from_slice(&[0x5A; 32]);
    };
    let mut hs = vec![8, 0, 0, 2, 0, 0];
    finished(&mut hs);
    // EncryptedExtensions and Finished in one record, then the client's Finished.
    encode::sealed(&mut ops, false, false, 1, 22, 0, &hs);
    let mut fin = Vec::new();
    finished(&mut fin);
    encode::sealed(&mut ops, true, false, 1, 22, 0, &fin);
    // Application data: a WebSocket close frame each way (the client's masked).
    encode::sealed(&mut ops, false, false, 2, 23, 3, b"\x88\x02\x03\xe8");
    encode::sealed(
        &mut ops,
        true,
        false,
        2,
        23,
        0,
        b"\x88\x82\x01\x02\x03\x04\x02\xea",
    );
    // A KeyUpdate from the server, then data under the next key, held and fed with a
    // second record in one chunk.
    encode::sealed(&mut ops, false, false, 2, 22, 0, &[24, 0, 0, 1, 0]);
    encode::sealed(&mut ops, false, true, 3, 23, 0, b"after the update");
    encode::sealed(&mut ops, false, false, 3, 23, 0, &[0x42; 1 << 14]);
    // Alerts: close_notify inside a record, then a fatal one in the clear.
    encode::sealed(&mut ops, true, false, 2, 21, 0, &[1, 0]);
    encode::record(&mut ops, false, 21, 2, &[2, 40]);
    // Records at and past the limits: 2^14 + 256, 2^14 + 2048 (the most accepted), one more.
    encode::sealed(&mut ops, false, false, 3, 23, 0, &[0x43; (1 << 14) + 1]);
    encode::record(&mut ops, true, 23, (1 << 14) + 256, &[]);
    encode::record(&mut ops, true, 23, (1 << 14) + 2048, &[]);
    encode::record(&mut ops, false, 23, (1 << 14) + 2049, &[]);
    ops
}

/// `keylog` seeds: every key log of `fixtures/tls/`, cut in the middle.
pub fn keylog_seeds(dir: &Path) -> std::io::Result<Vec<Seed>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".keylog"))
        .collect();
    files.sort();
    let mut seeds = Vec::new();
    for path in files {
        let text = std::fs::read(&path)?;
        let mut data = ((text.len() / 2) as u16).to_be_bytes().to_vec();
        data.extend_from_slice(&text);
        seeds.push(Seed {
            target: "keylog",
            name: path.file_stem().unwrap().to_string_lossy().into_owned(),
            data,
        });
    }
    Ok(seeds)
}

/// `h2` seeds: the HTTP/2 connection of `node-h2-websockets.pcap` as captured, cut again,
/// and with frames that stress the caps (a SETTINGS with a huge header table, a header
/// block over CONTINUATION frames, padding longer than its frame, stream ids going
/// backwards, many streams).
pub fn h2_seeds(path: &Path) -> std::io::Result<Vec<Seed>> {
    use crate::h2::{encode, flag};
    let mut seeds = Vec::new();
    for conv in conversations(path)? {
        let Some(first) = conv.client_first() else {
            continue;
        };
        if !wsclose::__internals::stack::h2::looks_like_preface(first) {
            continue;
        }
        let mut ops = Vec::new();
        for (from_client, bytes) in &conv.chunks {
            encode::raw(&mut ops, *from_client, bytes);
        }
        let mut data = vec![0];
        data.extend_from_slice(&ops);
        seeds.push(Seed {
            target: "h2",
            name: "node-h2-websockets".into(),
            data: data.clone(),
        });
        data[0] = flag::SPLIT;
        seeds.push(Seed {
            target: "h2",
            name: "node-h2-websockets-split".into(),
            data,
        });
    }
    seeds.push(Seed {
        target: "h2",
        name: "hostile-frames".into(),
        data: h2_hostile_script(),
    });
    Ok(seeds)
}

/// A made-up HTTP/2 connection with frames at the edges (see [`h2_seeds`]).
pub fn h2_hostile_script() -> Vec<u8> {
    use crate::h2::{encode, flag};
    let mut ops = vec![flag::PREFACE | flag::SPLIT];
    // SETTINGS: HEADER_TABLE_SIZE 2^32 - 1, MAX_FRAME_SIZE 2^24 - 1, ENABLE_CONNECT_PROTOCOL.
    let settings = [
        0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0, 5, 0x00, 0xFF, 0xFF, 0xFF, 0, 8, 0, 0, 0, 1,
    ];
    encode::frame(&mut ops, true, false, 4, 0, 0, &settings);
    encode::frame(&mut ops, false, false, 4, 0, 0, &settings);
    // A dynamic table size update to 1 MiB, then an extended CONNECT (literal with
    // indexing), split over HEADERS + two CONTINUATION frames.
    let mut block = vec![0x3F, 0xE1, 0xFF, 0x3F]; // size update 2^20 (5-bit prefix)
    for (n, v) in [
        (&b":method"[..], &b"CONNECT"[..]),
        (b":protocol", b"websocket"),
        (b":scheme", b"https"),
        (b":path", b"/chat"),
        (b":authority", b"fuzz.test"),
        (b"sec-websocket-version", b"13"),
    ] {
        block.push(0x40);
        block.push(n.len() as u8);
        block.extend_from_slice(n);
        block.push(v.len() as u8);
        block.extend_from_slice(v);
    }
    let (a, rest) = block.split_at(7);
    let (b, c) = rest.split_at(rest.len() / 2);
    encode::frame(&mut ops, true, true, 1, 0, 1, a);
    encode::frame(&mut ops, true, false, 9, 0, 1, b);
    encode::frame(&mut ops, true, false, 9, 4, 1, c);
    // The response (indexed :status 200), DATA with padding.
    encode::frame(&mut ops, false, false, 1, 4, 1, &[0x88]);
    encode::frame(&mut ops, true, false, 0, 8, 1, &[3, b'h', b'i', 0, 0, 0]);
    // Stream ids going backwards, and many heads (the same HEADERS again and again).
    encode::frame(
        &mut ops,
        true,
        false,
        1,
        5,
        0x7FFF_FFFF,
        &[0x82, 0x87, 0x84],
    );
    encode::frame(&mut ops, true, false, 1, 5, 3, &[0x82, 0x87, 0x84]);
    encode::repeat(&mut ops, true, 2000);
    // DATA claiming 1 MiB (the harness adds the zeros), RST_STREAM, GOAWAY.
    encode::frame_claiming(&mut ops, true, 0, 0, 1, 1 << 20, b"data");
    encode::frame(&mut ops, true, false, 3, 0, 1, &[0, 0, 0, 8]);
    let goaway = [0, 0, 0, 1, 0, 0, 0, 0, b'b', b'y', b'e'];
    encode::frame(&mut ops, true, false, 7, 0, 0, &goaway);
    // The server's DATA whose padding is longer than the frame: its framing is lost.
    encode::frame(&mut ops, false, false, 0, 8, 1, &[200, b'x']);
    // The client's bytes end in a gap.
    encode::gap(&mut ops, true);
    ops
}

/// The data messages of one conversation, in the order they completed: (from the client,
/// unmasked payload). Both directions' WebSocket frames after their HTTP headers; control
/// frames and anything after a frame that does not parse are left out.
pub fn ws_messages(conv: &Conversation) -> Vec<(bool, Vec<u8>)> {
    use wsclose::__internals::websocket::frame::{parse_header, unmask};
    let mut bufs: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let mut upgraded = [false; 2];
    let mut partial: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let mut out = Vec::new();
    for (client, chunk) in &conv.chunks {
        let d = usize::from(*client);
        bufs[d].extend_from_slice(chunk);
        if !upgraded[d] {
            let Some(h) = end_of_headers(&bufs[d]) else {
                continue;
            };
            bufs[d].drain(..h);
            upgraded[d] = true;
        }
        loop {
            let Ok((_, h)) = parse_header(&bufs[d]) else {
                break;
            };
            let end = h.header_len + h.payload_len as usize;
            if bufs[d].len() < end {
                break;
            }
            let mut payload = bufs[d][h.header_len..end].to_vec();
            if let Some(key) = h.mask {
                unmask(&mut payload, key, 0);
            }
            bufs[d].drain(..end);
            if h.opcode.is_control() {
                continue;
            }
            partial[d].extend(payload);
            if h.fin {
                out.push((*client, std::mem::take(&mut partial[d])));
            }
        }
    }
    out
}

/// `app_mqtt` seeds: the MQTT conversations of `fixtures/app/mqtt*.pcap` as the target's
/// segments (each data message one segment, up to 255 bytes; MQTT 5 by the file name),
/// once whole and once with every segment cut in the middle and at its second byte.
pub fn app_mqtt_seeds(dir: &Path) -> std::io::Result<Vec<Seed>> {
    let mut seeds = Vec::new();
    for path in fixture_files(dir, "mqtt")? {
        let stem = file_stem(&path);
        let v5 = stem.contains("v5");
        for (k, conv) in conversations(&path)?.iter().enumerate() {
            let msgs = ws_messages(conv);
            if msgs.is_empty() {
                continue;
            }
            for cut in [false, true] {
                let mut data = vec![u8::from(v5)];
                for (client, m) in &msgs {
                    for piece in m.chunks(255) {
                        data.push(if *client { 1 } else { 0x81 });
                        data.push(piece.len() as u8);
                        data.extend_from_slice(piece);
                        if cut {
                            data.extend([2, (piece.len() / 2) as u8, 1]);
                        } else {
                            data.push(0);
                        }
                    }
                }
                seeds.push(Seed {
                    target: "app_mqtt",
                    name: format!("{stem}-{k}{}", if cut { "-cut" } else { "" }),
                    data,
                });
            }
        }
    }
    Ok(seeds)
}

/// Which of `app::JSON_SESSIONS` a fixture's file name names.
fn json_session(stem: &str) -> Option<u8> {
    Some(match stem {
        s if s.starts_with("socketio2") => 1,
        s if s.starts_with("socketio") => 0,
        "graphql-legacy-client" => 3,
        s if s.starts_with("graphql-legacy-") => 3,
        s if s.starts_with("graphql") => 2,
        s if s.starts_with("signalr") && !s.contains("msgpack") => 4,
        s if s.starts_with("phoenix") => 5,
        s if s.starts_with("actioncable") => 7,
        s if s.starts_with("ocpp") => 8,
        s if s.starts_with("sockjs") => 10,
        _ => return None,
    })
}

/// `app_wamp` seeds: the messages of `fixtures/app/wamp-*.pcap`, each fixture under its
/// serialization (`WAMP_SESSIONS`' order, from the scenario the file is named after), as
/// they are and made hostile in turn; binary for MessagePack and CBOR (bit 7).
pub fn app_wamp_seeds(dir: &Path) -> std::io::Result<Vec<Seed>> {
    let mut seeds = Vec::new();
    for path in fixture_files(dir, "wamp-")? {
        let stem = file_stem(&path);
        let pick: u8 = match stem.trim_start_matches("wamp-") {
            "crossbar-killed" => 1,
            "crossbar-auth-failed" => 2,
            "crossbar-goodbye" => 3,
            "crossbar-shutdown" => 4,
            "crossbar-error" => 5,
            _ => 0,
        };
        let binary = if pick >= 2 { 0x80 } else { 0 };
        for (k, conv) in conversations(&path)?.iter().enumerate() {
            let msgs = ws_messages(conv);
            let Some(&(first, _)) = msgs.first() else {
                continue;
            };
            for how in [5u8, 0, 1, 2] {
                let mut data = vec![pick, u8::from(!first)];
                let mut client = first;
                for (from_client, m) in &msgs {
                    let flip = if *from_client == client { 0 } else { 0x40 };
                    let m = &m[..m.len().min(255)];
                    data.extend([how | flip | binary | 0x08, m.len() as u8]);
                    data.extend_from_slice(m);
                    client = !*from_client;
                }
                seeds.push(Seed {
                    target: "app_wamp",
                    name: format!("{stem}-{k}-{how}"),
                    data,
                });
            }
        }
    }
    Ok(seeds)
}

/// `app_json` seeds: the text messages of the JSON protocols' fixtures in `fixtures/app/`
/// (the protocol picked by the file name), each as it is and each made hostile in turn,
/// and WAMP's messages written here (no fixture records it).
pub fn app_json_seeds(dir: &Path) -> std::io::Result<Vec<Seed>> {
    let mut seeds = Vec::new();
    let mut add = |name: String, pick: u8, first_client: bool, msgs: &[(bool, Vec<u8>)]| {
        for how in [5u8, 0, 1, 2, 3, 4] {
            let mut data = vec![pick, u8::from(!first_client)];
            let mut client = first_client;
            for (from_client, m) in msgs {
                // Bit 6 flips the side when the next message is not the other side's.
                let flip = if *from_client == client { 0 } else { 0x40 };
                let m = &m[..m.len().min(255)];
                data.extend([how | flip | 0x08, m.len() as u8]);
                data.extend_from_slice(m);
                client = !*from_client;
            }
            seeds.push(Seed {
                target: "app_json",
                name: format!("{name}-{how}"),
                data,
            });
        }
    };
    for path in fixture_files(dir, "")? {
        let stem = file_stem(&path);
        let Some(pick) = json_session(&stem) else {
            continue;
        };
        for (k, conv) in conversations(&path)?.iter().enumerate() {
            let msgs = ws_messages(conv);
            if let Some(&(first, _)) = msgs.first() {
                add(format!("{stem}-{k}"), pick, first, &msgs);
            }
        }
    }
    let wamp: Vec<(bool, Vec<u8>)> = vec![
        (true, br#"[1,"realm1",{"roles":{"caller":{}}}]"#.to_vec()),
        (false, br#"[2,9129137332,{"roles":{"broker":{}}}]"#.to_vec()),
        (false, br#"[6,{"message":"banned user alice.smith@corp.example"},"wamp.close.system_shutdown"]"#.to_vec()),
        (true, br#"[6,{},"wamp.close.goodbye_and_out"]"#.to_vec()),
    ];
    add("wamp".into(), 9, true, &wamp);
    Ok(seeds)
}

/// `h2_streams` seeds: 16 and 1 024 streams, with PINGs, DATA, RST_STREAM, repeated
/// GOAWAYs from both sides (more than the cap), new streams and their answers.
pub fn h2_streams_seeds() -> Vec<Seed> {
    let mut seeds = Vec::new();
    for n in [0u8, 63] {
        let mut data = vec![n];
        for i in 0..40u8 {
            data.extend([0, i, i]); // PING
            data.extend([0x81, 0, i]); // PING ack from the server
            data.extend([4, 0, 2 * i]); // DATA from the client
            data.extend([0x84, 0, 2 * i]); // DATA from the server
            data.extend([9, 0, 0]); // a new stream
            data.extend([0x8a, 0, 0xff]); // answered
        }
        data.extend([6, 0, 3]); // RST_STREAM
        data.extend([0x82, 0, 1]); // SETTINGS
        data.extend([3, 1, 0]); // WINDOW_UPDATE
        for _ in 0..20 {
            data.extend([0x87, 0x80, 0]); // GOAWAY from the server, every stream
            data.extend([0x07, 0x80, 0]); // and from the client
        }
        data.extend([0x87, 0, 9]); // a lower last stream
        data.extend([0x88, 0x80, 2]); // an error code
        data.extend([5, 0, 4]); // END_STREAM
        seeds.push(Seed {
            target: "h2_streams",
            name: format!("streams-{n}"),
            data,
        });
    }
    seeds
}

/// The capture files of `dir` whose names start with `prefix`, sorted.
fn fixture_files(dir: &Path, prefix: &str) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut v: Vec<_> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            n.starts_with(prefix) && (n.ends_with(".pcap") || n.ends_with(".pcapng"))
        })
        .collect();
    v.sort();
    Ok(v)
}

fn file_stem(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .split('.')
        .next()
        .unwrap_or("x")
        .to_string()
}
