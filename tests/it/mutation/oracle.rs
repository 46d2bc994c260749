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
/// all soundness needs: the same parser (pcap-parser) over the same bytes, skipping the same
/// damaged pcapng blocks (whole and framed, but refused by the parser), but with a
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
                options: Default::default(),
                number: 0,
                ts: Timestamp(0),
                link,
                data,
                orig_len: data.len() as u32,
                iface: None,
            };
            let Ok(seg) = wsclose::__internals::decode::decode(&pkt) else {
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
    // The byte order of the current pcapng section, to find a damaged block's end.
    let ng = plain.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]);
    let mut big_endian = false;
    for _ in 0..1_000_000 {
        let stop = match reader.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::NG(Block::SectionHeader(shb)) => big_endian = shb.big_endian(),
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
                continue;
            }
            Err(PcapError::Incomplete(_)) => false,
            Err(_) => true,
        };
        // A whole pcapng block whose two total lengths agree but that does not parse is
        // skipped, as wsclose's reader skips it (a classic pcap's records have no trailer).
        if let Some(len) = framed_pcapng_block(reader.data(), big_endian).filter(|_| ng) {
            reader.consume(len);
            continue;
        }
        if stop || reader.refill().is_err() {
            break;
        }
    }
    map
}

/// The total length of the pcapng block at the start of `data` if all of it is there and
/// its framing holds in that byte order: at least 12, a multiple of 4, repeated at its end.
fn framed_pcapng_block(data: &[u8], big_endian: bool) -> Option<usize> {
    let word = |at: usize| -> Option<usize> {
        let b: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
        let v = if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        };
        usize::try_from(v).ok()
    };
    let len = word(4)?;
    (len >= 12 && len.is_multiple_of(4) && len <= data.len() && word(len - 4)? == len)
        .then_some(len)
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
