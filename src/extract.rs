//! `wsclose extract`: one connection's packets as a pcap of their own.
//!
//! In: a capture file and a connection from its report (endpoints and packet range).
//! Out: a classic pcap holding exactly the packets of that connection's 4-tuple within its
//! packet range, in capture order with their timestamps and original lengths, which other
//! tools (tshark, Wireshark) and `wsclose analyze` read. Memory stays bounded: the input is
//! streamed again.

use crate::capture::write::PcapWriter;
use crate::capture::{self, LinkType};
use crate::decode;
use crate::error::Error;
use crate::flow::FlowKey;
use crate::report::ConnectionReport;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extracted {
    pub packets: u64,
    /// Packets of the connection skipped because their link type differed from the first.
    pub skipped_other_link: u64,
}

pub fn extract(input: &Path, conn: &ConnectionReport, out: &Path) -> Result<Extracted, Error> {
    let want = FlowKey::of(conn.endpoints.0, conn.endpoints.1).0;
    let (from, to) = (conn.first_packet, conn.last_packet);
    let io_err = |e: std::io::Error| Error::Io {
        path: out.to_path_buf(),
        source: e,
    };
    let mut writer: Option<(PcapWriter<BufWriter<File>>, LinkType)> = None;
    let mut result = Extracted {
        packets: 0,
        skipped_other_link: 0,
    };
    let mut failure: Option<std::io::Error> = None;
    capture::file::read(input, &mut |p| {
        if p.number < from || p.number > to || failure.is_some() {
            return;
        }
        let Ok(seg) = decode::decode(p) else {
            return;
        };
        if FlowKey::of(seg.src, seg.dst).0 != want {
            return;
        }
        if writer.is_none() {
            match File::create(out)
                .and_then(|f| PcapWriter::new(BufWriter::new(f), p.link, 262_144))
            {
                Ok(w) => writer = Some((w, p.link)),
                Err(e) => {
                    failure = Some(e);
                    return;
                }
            }
        }
        if let Some((w, link)) = writer.as_mut() {
            if *link != p.link {
                result.skipped_other_link += 1;
            } else if let Err(e) = w.packet(p.ts, p.data, p.orig_len) {
                failure = Some(e);
            } else {
                result.packets += 1;
            }
        }
    })?;
    if let Some(e) = failure {
        return Err(io_err(e));
    }
    match writer {
        Some((w, _)) => {
            use std::io::Write;
            w.into_inner().flush().map_err(io_err)?;
            Ok(result)
        }
        None => Err(Error::Usage(format!(
            "no packet of connection {} was found in {} (was the capture changed since it was analyzed?)",
            conn.id,
            input.display()
        ))),
    }
}
