#![allow(dead_code)]

//! pcapng built and read in the tests of `wsclose annotate`: blocks and options in either
//! byte order, each block, each packet's comments and options read back, and a display
//! filter on `frame.comment` applied as Wireshark applies it.

/// A pcapng block in either byte order: type, total length, `body` padded, total length.
pub fn ng_block(be: bool, kind: u32, body: &[u8]) -> Vec<u8> {
    let w = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let padded = body.len().div_ceil(4) * 4;
    let total = (padded + 12) as u32;
    let mut b = w(kind).to_vec();
    b.extend(w(total));
    b.extend(body);
    b.resize(8 + padded, 0);
    b.extend(w(total));
    b
}

/// A pcapng option in either byte order.
pub fn ng_option(be: bool, code: u16, value: &[u8]) -> Vec<u8> {
    let h = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let mut o = h(code).to_vec();
    o.extend(h(value.len() as u16));
    o.extend(value);
    o.resize(4 + value.len().div_ceil(4) * 4, 0);
    o
}

/// The options of each Enhanced Packet Block, in order: (code, value) as little-endian.
pub fn packet_options(bytes: &[u8]) -> Vec<Vec<(u16, Vec<u8>)>> {
    let mut out = Vec::new();
    for (kind, body) in blocks(bytes) {
        if kind != 6 {
            continue;
        }
        let caplen = u32::from_le_bytes(body[12..16].try_into().unwrap()) as usize;
        let mut o = &body[20 + caplen.div_ceil(4) * 4..];
        let mut list = Vec::new();
        while o.len() >= 4 {
            let code = u16::from_le_bytes([o[0], o[1]]);
            let len = u16::from_le_bytes([o[2], o[3]]) as usize;
            if code == 0 {
                break;
            }
            list.push((code, o[4..4 + len].to_vec()));
            o = &o[4 + len.div_ceil(4) * 4..];
        }
        out.push(list);
    }
    out
}

/// The packets a display filter on `frame.comment` selects, as Wireshark applies the two
/// forms a filter of wsclose's may take: `contains "TEXT"` (a comment holds TEXT) and
/// `matches "^TEXT"` (a comment starts with TEXT; `matches` ignores case).
pub fn filtered(filter: &str, packets: &[Vec<String>]) -> Vec<u64> {
    let (op, quoted) = filter
        .strip_prefix("frame.comment ")
        .and_then(|f| f.split_once(' '))
        .unwrap_or_else(|| panic!("not a frame.comment filter: {filter}"));
    let text = quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or_else(|| panic!("not a string: {quoted}"));
    let test: Box<dyn Fn(&str) -> bool> = match op {
        "contains" => {
            let t = text.to_string();
            Box::new(move |c: &str| c.contains(&t))
        }
        "matches" => {
            let t = text
                .strip_prefix('^')
                .expect("an anchored pattern")
                .to_lowercase();
            assert!(
                !t.contains(['\\', '[', '.', '*', '+', '?', '(', '|']),
                "a literal pattern: {t}"
            );
            Box::new(move |c: &str| c.to_lowercase().starts_with(&t))
        }
        _ => panic!("{op}"),
    };
    (1..)
        .zip(packets)
        .filter(|(_, cs)| cs.iter().any(|c| test(c)))
        .map(|(n, _)| n)
        .collect()
}

/// The pcapng blocks of a little-endian file: (type, body).
pub fn blocks(bytes: &[u8]) -> Vec<(u32, &[u8])> {
    let word = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let len = word(at + 4) as usize;
        assert_eq!(word(at + len - 4) as usize, len, "block at {at}");
        out.push((word(at), &bytes[at + 8..at + len - 4]));
        at += len;
    }
    out
}

/// The comment options (code 1) of an options area.
pub fn comments(mut options: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    while options.len() >= 4 {
        let code = u16::from_le_bytes([options[0], options[1]]);
        let len = u16::from_le_bytes([options[2], options[3]]) as usize;
        if code == 0 {
            break;
        }
        if code == 1 {
            out.push(String::from_utf8(options[4..4 + len].to_vec()).expect("UTF-8"));
        }
        options = &options[(4 + len.div_ceil(4) * 4).min(options.len())..];
    }
    out
}

/// Each packet's comments, in order (Enhanced Packet Blocks), and the section header's.
pub fn packet_comments(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut header = Vec::new();
    let mut packets = Vec::new();
    for (kind, body) in blocks(bytes) {
        match kind {
            0x0A0D_0D0A => header = comments(&body[16..]),
            6 => {
                let caplen = u32::from_le_bytes(body[12..16].try_into().unwrap()) as usize;
                packets.push(comments(&body[20 + caplen.div_ceil(4) * 4..]));
            }
            _ => {}
        }
    }
    (header, packets)
}
