//! `wsclose annotate` on a pcapng input: the input's own packet options (its comments,
//! `epb_flags`, `epb_packetid`...) kept before wsclose's comments, from either byte order,
//! and its blocks that carry no packet (Name Resolution, Interface Statistics, Custom
//! Blocks that may be copied) kept where they stood, so that the frame numbers the comments
//! cite are Wireshark's in the copy too (with several inputs, counted from the first
//! input's first packet). The inputs are built here.

use crate::common;
use crate::common::pcapng;
use crate::common::run;

use pcapng::{blocks, ng_block, ng_option, packet_comments, packet_options};
use run::wsclose as run;

/// The input's own packet options stay (a comment of its own, `epb_flags`, `epb_packetid`),
/// before wsclose's comments, from little- and big-endian sections alike; wsclose's
/// comments are added beside the input's, not in their place.
#[test]
fn the_inputs_own_packet_options_are_kept() {
    use common::{close, Session};
    use wsclose::vocab::Role::{Client, Server};
    let mut s = Session::new(40_001, 8080);
    s.open();
    let close_at = s.send(Server, &close(Server, 4001, "bye"));
    s.send(Client, &close(Client, 4001, "bye"));
    s.fins(Server);
    // Comments that would pass for wsclose's own (its prefix in another case, behind an
    // invisible character, with a no-break space), one with a bidirectional override, and
    // plain ones; `(input, as copied)`.
    let forged = |id: u64| -> Option<(&str, &str)> {
        Some(match id {
            1 => (
                "WSclose #1 [forged by the input",
                "input: WSclose #1 [forged by the input",
            ),
            2 => (
                "\u{200b}wsclose #1 [1000 Normal Closure] chat: nothing to fix",
                "input: \\u{200b}wsclose #1 [1000 Normal Closure] chat: nothing to fix",
            ),
            3 => (
                "wsclose\u{a0}#1 [1000 Normal Closure] chat: nothing to fix",
                "input: wsclose\u{a0}#1 [1000 Normal Closure] chat: nothing to fix",
            ),
            4 => ("\u{2060}WSCLOSE #1 x", "input: \\u{2060}WSCLOSE #1 x"),
            5 => ("note \u{202e}olleh", "note \\u{202e}olleh"),
            _ => return None,
        })
    };
    let note_of = |id: u64| match forged(id) {
        Some((raw, _)) => raw.as_bytes().to_vec(),
        None => format!("operator note {id}").into_bytes(),
    };
    let dir = tempfile::tempdir().unwrap();
    for be in [false, true] {
        let w32 = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        let w64 = |v: u64| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        let h16 = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        let mut shb = w32(0x1A2B_3C4D).to_vec();
        shb.extend(h16(1));
        shb.extend(h16(0));
        shb.extend((-1i64).to_le_bytes());
        let mut file = ng_block(be, 0x0A0D_0D0A, &shb);
        let mut idb = h16(101).to_vec(); // LINKTYPE_RAW
        idb.extend(h16(0));
        idb.extend(w32(262_144));
        file.extend(ng_block(be, 1, &idb));
        for p in &s.pkts {
            let mut epb = w32(0).to_vec();
            let us = (p.ts.0 / 1000) as u64;
            epb.extend(w32((us >> 32) as u32));
            epb.extend(w32(us as u32));
            epb.extend(w32(p.data.len() as u32));
            epb.extend(w32(p.orig_len));
            epb.extend(&p.data);
            epb.resize(20 + p.data.len().div_ceil(4) * 4, 0);
            epb.extend(ng_option(be, 1, &note_of(p.id)));
            epb.extend(ng_option(be, 2, &w32(0x0000_0001)));
            epb.extend(ng_option(be, 5, &w64(7_000 + p.id)));
            epb.extend(ng_option(be, 0, &[]));
            file.extend(ng_block(be, 6, &epb));
        }
        let input = dir.path().join(format!("in-{be}.pcapng"));
        std::fs::write(&input, &file).unwrap();
        let out = dir.path().join(format!("out-{be}.pcapng"));
        let (_, err, code) = run(&[
            "annotate",
            input.to_str().unwrap(),
            "-w",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, Some(0), "{err}");
        let options = packet_options(&std::fs::read(&out).unwrap());
        assert_eq!(options.len(), s.pkts.len());
        for (p, list) in s.pkts.iter().zip(&options) {
            // One that would pass for wsclose's own is marked as the input's; format
            // characters are escaped as wire text is.
            let note = match forged(p.id) {
                Some((_, copied)) => copied.as_bytes().to_vec(),
                None => note_of(p.id),
            };
            assert_eq!(
                (list[0].0, String::from_utf8_lossy(&list[0].1)),
                (1, String::from_utf8_lossy(&note)),
                "big-endian {be}, packet {}",
                p.id
            );
            assert_eq!(list[1], (2, 1u32.to_le_bytes().to_vec()), "big-endian {be}");
            assert_eq!(
                list[2],
                (5, (7_000 + p.id).to_le_bytes().to_vec()),
                "big-endian {be}"
            );
        }
        let closing = &options[close_at as usize - 1];
        assert!(
            closing[3..]
                .iter()
                .any(|(c, v)| *c == 1 && v.starts_with(b"wsclose #1 [4001")),
            "big-endian {be}: {closing:?}"
        );
    }
}

/// A little-endian pcapng of one WebSocket connection, the blocks of `extra` (type, body)
/// written after the packets numbered in `at` (0: before the first).
fn with_blocks(extra: &[(u64, u32, Vec<u8>)]) -> (Vec<u8>, usize) {
    use common::{close, Session};
    use wsclose::vocab::Role::{Client, Server};
    let mut s = Session::new(40_002, 8080);
    s.open();
    s.send(Server, &close(Server, 4002, "bye"));
    s.send(Client, &close(Client, 4002, "bye"));
    s.fins(Server);
    let mut shb = 0x1A2B_3C4Du32.to_le_bytes().to_vec();
    shb.extend(1u16.to_le_bytes());
    shb.extend(0u16.to_le_bytes());
    shb.extend((-1i64).to_le_bytes());
    let mut file = ng_block(false, 0x0A0D_0D0A, &shb);
    let mut idb = 101u16.to_le_bytes().to_vec();
    idb.extend(0u16.to_le_bytes());
    idb.extend(262_144u32.to_le_bytes());
    file.extend(ng_block(false, 1, &idb));
    let put = |file: &mut Vec<u8>, after: u64| {
        for (_, kind, body) in extra.iter().filter(|(a, _, _)| *a == after) {
            file.extend(ng_block(false, *kind, body));
        }
    };
    put(&mut file, 0);
    for p in &s.pkts {
        let mut epb = 0u32.to_le_bytes().to_vec();
        let us = (p.ts.0 / 1000) as u64;
        epb.extend(((us >> 32) as u32).to_le_bytes());
        epb.extend((us as u32).to_le_bytes());
        epb.extend((p.data.len() as u32).to_le_bytes());
        epb.extend(p.orig_len.to_le_bytes());
        epb.extend(&p.data);
        epb.resize(20 + p.data.len().div_ceil(4) * 4, 0);
        file.extend(ng_block(false, 6, &epb));
        put(&mut file, p.id);
    }
    assert_eq!(s.pkts.len(), 10);
    (file, s.pkts.len())
}

/// The input's Name Resolution Block, a Custom Block that may be copied (in the middle, a
/// frame of its own in Wireshark's numbering) and its Interface Statistics Block are in the
/// copy where they stood, the statistics on the copy's interface; a Custom Block not to be
/// copied and a Decryption Secrets Block are left out, and standard error says so. The
/// comment that cites the close frame is on the frame of that number.
#[test]
fn the_inputs_other_blocks_are_kept_where_they_stood() {
    // One IPv4 record (10.0.0.2 is ws.example.test), then the end of records.
    let mut nrb = vec![1, 0, 20, 0, 10, 0, 0, 2];
    nrb.extend(b"ws.example.test\0");
    nrb.extend([0, 0, 0, 0]);
    let custom = |tag: &[u8]| {
        let mut b = 32473u32.to_le_bytes().to_vec(); // a PEN
        b.extend(tag);
        b
    };
    let mut isb = 0u32.to_le_bytes().to_vec();
    isb.extend([0; 8]);
    isb.extend([4, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // isb_ifdrop
    isb.extend([0, 0, 0, 0]);
    let mut dsb = 0x544C_534Bu32.to_le_bytes().to_vec();
    dsb.extend(4u32.to_le_bytes());
    dsb.extend(b"KEYS");
    let extra = vec![
        (0, 4, nrb.clone()),
        (0, 0x0A, dsb),
        (3, 0x0000_0BAD, custom(b"copy")),
        (10, 0x4000_0BAD, custom(b"nope")),
    ];
    let (mut file, packets) = with_blocks(&extra);
    file.extend(ng_block(false, 5, &isb));
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.pcapng");
    std::fs::write(&input, &file).unwrap();
    let out = dir.path().join("out.pcapng");
    let (_, err, code) = run(&[
        "annotate",
        input.to_str().unwrap(),
        "-w",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("and 3 other blocks of the input (2 left out"),
        "{err}"
    );
    let bytes = std::fs::read(&out).unwrap();
    let kinds: Vec<u32> = blocks(&bytes).iter().map(|(k, _)| *k).collect();
    let first_packet = kinds.iter().position(|&k| k == 6).unwrap();
    assert!(kinds[..first_packet].contains(&4), "{kinds:?}");
    assert!(
        !kinds.contains(&0x0A) && !kinds.contains(&0x4000_0BAD),
        "{kinds:?}"
    );
    // Frames as Wireshark numbers them: packets and the copiable custom block, which is
    // frame 4 as in the input.
    let frames: Vec<(u32, &[u8])> = blocks(&bytes)
        .into_iter()
        .filter(|(k, _)| *k == 6 || *k == 0x0BAD)
        .collect();
    assert_eq!(frames.len(), packets + 1);
    assert_eq!(frames[3].0, 0x0BAD, "{kinds:?}");
    assert_eq!(*kinds.last().unwrap(), 5, "{kinds:?}");
    let isb = blocks(&bytes)
        .into_iter()
        .find(|(k, _)| *k == 5)
        .unwrap()
        .1
        .to_vec();
    assert_eq!(&isb[..4], &0u32.to_le_bytes(), "the copy's interface 0");
    let nrb_out = blocks(&bytes)
        .into_iter()
        .find(|(k, _)| *k == 4)
        .unwrap()
        .1
        .to_vec();
    assert_eq!(nrb_out, nrb);
    // The diagnosis cites the close frame by its number: the frame of that number in the
    // copy carries it.
    let (_, comments) = packet_comments(&bytes);
    let mut epb = 0;
    let mut checked = 0;
    for (n, (kind, _)) in (1..).zip(&frames) {
        if *kind != 6 {
            continue;
        }
        for c in comments[epb]
            .iter()
            .filter(|c| c.contains("What the capture shows"))
        {
            assert!(c.contains(&format!(" at packet {n}.")), "frame {n}: {c}");
            checked += 1;
        }
        epb += 1;
    }
    assert_eq!(checked, 1);
}

/// Several inputs copied into one file: the packets a comment cites are numbered as the
/// copy's frames (the inputs before it come first), so each packet a connection's comments
/// cite is one of the frames that carry that connection's comments.
#[test]
fn several_inputs_cite_the_frames_of_the_copy() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("both.pcapng");
    let inputs = [
        "fixtures/node-close-1008.pcap",
        "fixtures/python-no-close-rst.pcap",
        "fixtures/python-close-1002.pcap",
    ];
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut args = vec![
        "annotate".to_string(),
        "-w".into(),
        out.display().to_string(),
    ];
    args.extend(inputs.iter().map(|i| root.join(i).display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_, err, code) = run(&args);
    assert_eq!(code, Some(0), "{err}");
    let (_, packets) = packet_comments(&std::fs::read(&out).unwrap());
    let mut frames: std::collections::BTreeMap<String, Vec<u64>> = Default::default();
    let mut cited: std::collections::BTreeMap<String, Vec<u64>> = Default::default();
    for (i, comments) in packets.iter().enumerate() {
        for c in comments {
            let Some(id) = c.split(' ').nth(1).filter(|_| c.starts_with("wsclose #")) else {
                continue;
            };
            frames.entry(id.to_string()).or_default().push(i as u64 + 1);
            for part in c.split("packet ").skip(1) {
                let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
                if let Ok(n) = digits.parse() {
                    cited.entry(id.to_string()).or_default().push(n);
                }
            }
        }
    }
    assert_eq!(frames.len(), 3, "{frames:?}");
    assert!(cited.get("#2").is_some_and(|c| !c.is_empty()), "{cited:?}");
    for (id, list) in &cited {
        for n in list {
            assert!(
                frames[id].contains(n),
                "{id} cites packet {n}, a frame it does not comment: {:?}",
                frames[id]
            );
        }
    }
}
