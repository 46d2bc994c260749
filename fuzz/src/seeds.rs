//! Seed inputs for every target, made from the recorded fixtures (`../fixtures`).
//!
//! The captures are read with wsclose's own reader and packet decoder (no tshark needed):
//! each direction's TCP payloads are joined in sequence order, the HTTP headers are cut off
//! where the blank line ends them, and what follows is the WebSocket stream.

use crate::{pipeline_record, StreamCase, LINKS};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use wsclose::capture::LinkType;
use wsclose::decode::Endpoint;

#[derive(Debug, Clone)]
pub struct Seed {
    pub target: &'static str,
    pub name: String,
    pub data: Vec<u8>,
}

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
        let res = wsclose::capture::file::read(&path, &mut |p| {
            let off = ip_offset(p.link, p.data);
            raw_ip.extend(pipeline_record(&p.data[off..]));
            let l = linked.get_or_insert_with(|| {
                let sel = LINKS.iter().position(|&l| l == p.link).unwrap_or(0);
                vec![sel as u8]
            });
            l.extend(pipeline_record(p.data));
            if let Ok(seg) = wsclose::decode::decode(p) {
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
                let end = (s + 2 * wsclose::websocket::frame::MAX_HEADER_LEN).min(bytes.len());
                seeds.push(Seed {
                    target: "frame_header",
                    name: format!("{name}-{i}"),
                    data: bytes[s..end].to_vec(),
                });
            }
        }
    }
    Ok(seeds)
}
