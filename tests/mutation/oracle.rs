//! The oracle for close codes: every byte value captured at every sequence number of each
//! direction (RFC 9293 §3.4), and whether a reported code `hi lo` can be made of two
//! consecutive captured bytes, unmasked or masked with the header's key (RFC 6455 §5.3).

use super::*;

/// Per direction (source, destination), the byte values captured at each sequence number.
pub(crate) type SeqBytes = HashMap<(Endpoint, Endpoint), HashMap<u32, Vec<u8>>>;

/// Every link type wsclose decodes.
const LINKS: [LinkType; 8] = [
    LinkType::ETHERNET,
    LinkType::RAW,
    LinkType::LINUX_SLL,
    LinkType::LINUX_SLL2,
    LinkType::NULL,
    LinkType::LOOP,
    LinkType::IPV4,
    LinkType::IPV6,
];

/// The payload bytes of every TCP segment in the (uncompressed) capture `plain`, by
/// direction and sequence number. A superset of what wsclose's reader delivers, which is
/// all soundness needs: the same parser (pcap-parser) over the same bytes, but with a
/// buffer that holds the whole file (wsclose's holds 2 MiB, and is costly to set up in a
/// debug build), each packet decoded as every link type wsclose knows, and with its
/// whole record as well as its caplen.
pub(crate) fn seq_bytes(plain: &[u8]) -> SeqBytes {
    let mut map: SeqBytes = HashMap::new();
    let cap = (plain.len() + 1).max(1 << 16);
    let Ok(mut reader) = pcap_parser::create_reader(cap, plain) else {
        return map;
    };
    let mut add = |data: &[u8]| {
        for link in LINKS {
            let pkt = Packet {
                number: 0,
                ts: Timestamp(0),
                link,
                data,
                orig_len: data.len() as u32,
            };
            let Ok(seg) = wsclose::decode::decode(&pkt) else {
                continue;
            };
            let seq = if seg.syn {
                seg.seq.wrapping_add(1)
            } else {
                seg.seq
            };
            let dir = map.entry((seg.src, seg.dst)).or_default();
            for (i, &b) in seg.payload.iter().enumerate() {
                let v = dir.entry(seq.wrapping_add(i as u32)).or_default();
                if !v.contains(&b) {
                    v.push(b);
                }
            }
        }
    };
    for _ in 0..1_000_000 {
        match reader.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::Legacy(b) => {
                        add(b.data);
                        add(&b.data[..(b.caplen as usize).min(b.data.len())]);
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(b)) => {
                        add(b.data);
                        add(&b.data[..(b.caplen as usize).min(b.data.len())]);
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(b)) => add(b.data),
                    _ => {}
                }
                reader.consume(offset);
            }
            Err(PcapError::Incomplete(_)) => {
                if reader.refill().is_err() {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    map
}

/// Is `code` at two consecutive sequence numbers of `dir`, plain or masked (see the top).
pub(crate) fn code_possible(code: u16, dir: &HashMap<u32, Vec<u8>>) -> bool {
    let [hi, lo] = code.to_be_bytes();
    let at = |s: u32| dir.get(&s).map_or(&[][..], |v| &v[..]);
    dir.iter().any(|(&s, xs)| {
        let ys = at(s.wrapping_add(1));
        if ys.is_empty() {
            return false;
        }
        if xs.contains(&hi) && ys.contains(&lo) {
            return true;
        }
        let (ks0, ks1) = (at(s.wrapping_sub(4)), at(s.wrapping_sub(3)));
        xs.iter().any(|x| ks0.contains(&(x ^ hi))) && ys.iter().any(|y| ks1.contains(&(y ^ lo)))
    })
}

pub(crate) fn endpoint(s: &str) -> Option<Endpoint> {
    let a: SocketAddr = s.parse().ok()?;
    Some(Endpoint::new(a.ip(), a.port()))
}
