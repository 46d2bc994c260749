//! pcapng (draft-ietf-opsawg-pcapng): what a reader keeps from block to block, and the
//! packets it makes of blocks.
//!
//! In: blocks, each parsed by pcap-parser in its section's byte order ([`Ng::parse`]), or an
//! Enhanced Packet Block read in place ([`Ng::quick_epb`]). Out: each packet to a callback,
//! numbered in file order, its time in nanoseconds from its interface's resolution and
//! offset, and its interface (its number in the file, its ID and name; [`Ng::interface`]);
//! each interface's link type into the input's summary, and one warning for packets of an
//! interface the file does not describe (they are skipped); and a block whose framing
//! holds but that does not parse, skipped with a warning ([`Ng::skip_damaged`]).
//!
//! Spec: §3.1 (every block: type, total length, body padded to 32 bits, total length
//! again); §4.1 (a Section Header Block sets the byte order and starts a new list of
//! interfaces); §4.2 (an Interface Description Block: link type, snaplen, the options
//! `if_name`, `if_description`, `if_tsresol` and `if_tsoffset`); §4.3 (Enhanced Packet
//! Block: interface, 64-bit timestamp, captured and original length); §4.4 (Simple Packet
//! Block: the first interface, no time); §4.6 (Interface Statistics Block: the drops it
//! counts, `isb_ifdrop` and `isb_osdrop`, into the summary's `dropped`); Appendix A (the obsolete Packet Block, read as an
//! enhanced one). Custom (§4.8) and Systemd Journal Export (§4.7) blocks carry no packet
//! but take a number, as Wireshark shows them as frames ([`takes_frame_number`]). Other
//! blocks are skipped.
//!
//! Also [`NgIndexer`], the same state for the thread that indexes a shared file's chunks
//! (`capture::shared`), and [`reopen`], a file read again from its start for a reader of a
//! shared file that goes on alone (`chunks`).

use super::{word, Found};
use crate::capture::Packet;
use crate::vocab::{InputSummary, LinkType, Timestamp};
use pcap_parser::pcapng::{Block, InterfaceDescriptionBlock, OptionCode};
use pcap_parser::PcapError;

/// Per-interface facts from a pcapng Interface Description Block.
#[derive(Clone, Copy)]
pub(super) struct Interface {
    link: LinkType,
    /// Timestamp units per second.
    resolution: u64,
    offset: i64,
    snaplen: u32,
    /// Its description block was damaged and skipped: its packets are skipped.
    lost: bool,
}

/// What reading pcapng keeps from block to block: the current section's byte order and
/// interfaces (RFC-draft pcapng §4.1-4.3).
#[derive(Default)]
pub(super) struct Ng {
    pub(super) big_endian: bool,
    pub(super) interfaces: Vec<Interface>,
    /// The same interfaces as packets name them (by ID, as `interfaces`): made once per
    /// description block, so that a packet carries a reference, not a copy of the name.
    pub(super) named: Vec<crate::capture::Interface>,
    /// Interface Description Blocks so far in the file, across its sections.
    pub(super) described: u32,
    pub(super) warned_bad_if: bool,
    /// Damaged blocks skipped so far ([`Ng::skip_damaged`]).
    pub(super) damaged: u64,
    /// Per interface of the current section, the packets its Interface Statistics Blocks
    /// say were dropped (`isb_ifdrop` + `isb_osdrop`, totals: the highest block's count).
    pub(super) drops: Vec<u64>,
    /// The drops of the sections before it.
    pub(super) drops_before: u64,
}

impl Ng {
    /// Parses the block at the start of `data` in the current section's byte order.
    pub(super) fn parse<'a>(
        &self,
        data: &'a [u8],
    ) -> nom::IResult<&'a [u8], Block<'a>, PcapError<&'a [u8]>> {
        if self.big_endian {
            pcap_parser::pcapng::parse_block_be(data)
        } else {
            pcap_parser::pcapng::parse_block_le(data)
        }
    }

    /// One block: a section or interface into the state (and its link type into
    /// `summary`), a packet to `sink`, numbered after `number`; other blocks are skipped.
    pub(super) fn block(
        &mut self,
        block: &Block<'_>,
        number: &mut u64,
        summary: &mut InputSummary,
        sink: &mut dyn FnMut(&Packet<'_>),
    ) {
        summary.format = "pcapng";
        if let Some(link) = self.learn(block) {
            summary.note_link(link);
        }
        match block {
            Block::EnhancedPacket(epb) => self.enhanced(
                &Epb {
                    if_id: epb.if_id,
                    ts_high: epb.ts_high,
                    ts_low: epb.ts_low,
                    caplen: epb.caplen,
                    origlen: epb.origlen,
                    data: epb.data,
                    options: &[],
                },
                number,
                summary,
                sink,
            ),
            Block::SimplePacket(spb) => {
                *number += 1;
                if let Some(iface) = self.interfaces.first().copied().filter(|i| !i.lost) {
                    let mut caplen = spb.data.len().min(spb.origlen as usize);
                    if iface.snaplen > 0 {
                        caplen = caplen.min(iface.snaplen as usize);
                    }
                    sink(&Packet {
                        options: Default::default(),
                        number: *number,
                        ts: Timestamp(0),
                        link: iface.link,
                        data: spb.data.get(..caplen).unwrap_or(spb.data),
                        orig_len: spb.origlen.max(caplen as u32),
                        iface: self.interface(0),
                    });
                }
            }
            Block::InterfaceStatistics(isb) => self.statistics(isb, summary),
            // Blocks Wireshark shows as frames of their own: each takes a frame number.
            Block::Custom(_) | Block::SystemdJournalExport(_) => *number += 1,
            Block::Unknown(b) if b.block_type == OPB => {
                self.obsolete(b.data, number, summary, sink)
            }
            _ => {}
        }
    }

    /// An Interface Statistics Block (§4.6): the packets its interface dropped before they
    /// were captured (`isb_ifdrop`, option 5) and that the operating system dropped
    /// (`isb_osdrop`, option 7), totals since the capture began, so the highest of an
    /// interface's blocks is its count; the input's `dropped` is the sum over its
    /// interfaces.
    /// A count that is not 8 bytes long is left out.
    fn statistics(
        &mut self,
        isb: &pcap_parser::pcapng::InterfaceStatisticsBlock<'_>,
        summary: &mut InputSummary,
    ) {
        let be = self.big_endian;
        let count = |code: u16| {
            isb.options
                .iter()
                .filter(|o| o.code.0 == code)
                .rev()
                .filter_map(|o| <[u8; 8]>::try_from(o.value()).ok())
                .map(|b| {
                    if be {
                        u64::from_be_bytes(b)
                    } else {
                        u64::from_le_bytes(b)
                    }
                })
                .next()
        };
        let (Some(slot), Some(n)) = (
            usize::try_from(isb.if_id).ok(),
            [count(5), count(7)]
                .into_iter()
                .flatten()
                .reduce(u64::saturating_add),
        ) else {
            return;
        };
        // At most one count per described interface (a damaged ID adds no slot).
        if slot >= self.interfaces.len().max(1) {
            return;
        }
        if self.drops.len() <= slot {
            self.drops.resize(slot + 1, 0);
        }
        // Totals never go down: a later, smaller count (a counter reset) hides no loss.
        if let Some(d) = self.drops.get_mut(slot) {
            *d = (*d).max(n);
        }
        summary.dropped = self
            .drops
            .iter()
            .fold(self.drops_before, |a, &b| a.saturating_add(b));
    }

    /// An obsolete Packet Block's body (pcapng draft, Appendix A: a 16-bit interface, a
    /// 16-bit drops count, then the fields of an Enhanced Packet Block) as its packet,
    /// numbered after `number`. One too short to hold its fields still takes its number.
    fn obsolete(
        &mut self,
        body: &[u8],
        number: &mut u64,
        summary: &mut InputSummary,
        sink: &mut dyn FnMut(&Packet<'_>),
    ) {
        let be = self.big_endian;
        let at = |k: usize| word(body, k, be);
        let if_id = body
            .get(..2)
            .and_then(|b| <[u8; 2]>::try_from(b).ok())
            .map(|b| {
                if be {
                    u16::from_be_bytes(b)
                } else {
                    u16::from_le_bytes(b)
                }
            });
        let fields = (if_id, at(4), at(8), at(12), at(16));
        let (Some(if_id), Some(ts_high), Some(ts_low), Some(caplen), Some(origlen)) = fields else {
            *number += 1;
            return;
        };
        let data = body.get(20..).unwrap_or_default();
        let caplen = caplen.min(data.len() as u32);
        let epb = Epb {
            options: &[],
            if_id: u32::from(if_id),
            ts_high,
            ts_low,
            caplen,
            origlen,
            data: data.get(..caplen as usize).unwrap_or_default(),
        };
        self.enhanced(&epb, number, summary, sink);
    }

    /// A section's byte order (and the end of its interfaces), or an interface, into the
    /// state; the new interface's link type.
    fn learn(&mut self, block: &Block<'_>) -> Option<LinkType> {
        match block {
            Block::SectionHeader(shb) => {
                self.big_endian = shb.big_endian();
                self.drops_before = self
                    .drops
                    .drain(..)
                    .fold(self.drops_before, u64::saturating_add);
                self.interfaces.clear();
                self.named.clear();
                None
            }
            Block::InterfaceDescription(idb) => {
                let link = LinkType(idb.linktype.0 as u32);
                self.interfaces.push(Interface {
                    link,
                    resolution: resolution(idb.if_tsresol).unwrap_or(1_000_000),
                    offset: idb.ts_offset(),
                    snaplen: idb.snaplen,
                    lost: false,
                });
                self.name(name_of(idb));
                Some(link)
            }
            _ => None,
        }
    }

    /// The block at the start of `data`, well framed (`framed_block`, of type `kind`) but
    /// refused by pcap-parser (a length inside it runs past its end, a byte-order magic its
    /// lengths contradict), skipped: a warning that names it, where it is (`at`) and what is
    /// wrong with it (the first [`DAMAGED_WARNINGS`]; [`Ng::damaged_note`] counts the
    /// others). A packet block takes its number all the same, as Wireshark numbers every
    /// packet block, so the packets after it keep theirs; a Section Header Block still
    /// starts a new section (no interfaces yet), in the byte order its lengths are in; an
    /// Interface Description Block still takes its interface's place, whose packets are
    /// skipped.
    pub(super) fn skip_damaged(
        &mut self,
        data: &[u8],
        kind: u32,
        number: &mut u64,
        at: usize,
        summary: &mut InputSummary,
    ) {
        use super::damage::{block_name, inside_problem};
        let what = inside_problem(kind, data, self.big_endian);
        let name = block_name(kind);
        let whose = if takes_frame_number(kind) {
            *number += 1;
            format!("packet {number} ({name} at byte {at})")
        } else {
            let name = name.split_once(' ').map_or(name.as_str(), |(_, n)| n);
            if *number == 0 {
                format!("the {name} before the first packet (at byte {at})")
            } else {
                format!("the {name} after packet {number} (at byte {at})")
            }
        };
        let effect = match kind {
            SHB => {
                self.interfaces.clear();
                self.named.clear();
                format!(
                    "the block was skipped, the section it starts read as {}",
                    if self.big_endian {
                        "big-endian"
                    } else {
                        "little-endian"
                    }
                )
            }
            IDB => {
                self.interfaces.push(Interface {
                    link: LinkType(0),
                    resolution: 1_000_000,
                    offset: 0,
                    snaplen: 0,
                    lost: true,
                });
                self.name(None);
                format!(
                    "the block was skipped, and so are the packets of its interface {}",
                    self.interfaces.len() - 1
                )
            }
            k if takes_frame_number(k) => "the packet was skipped".into(),
            _ => "the block was skipped".into(),
        };
        self.damaged += 1;
        if self.damaged <= DAMAGED_WARNINGS {
            summary.warnings.push(format!(
                "{whose} is damaged: {what}; {effect}, and reading went on after it"
            ));
        }
    }

    /// The warning that counts the damaged blocks skipped beyond the first
    /// [`DAMAGED_WARNINGS`], if there were more.
    pub(super) fn damaged_note(&self) -> Option<String> {
        (self.damaged > DAMAGED_WARNINGS).then(|| {
            format!(
                "{} more damaged pcapng blocks were skipped as the ones above ({} in all)",
                self.damaged - DAMAGED_WARNINGS,
                self.damaged
            )
        })
    }

    /// The Enhanced Packet Block at the start of `data`, with the bytes after it, read in
    /// place: its fixed fields at their offsets (pcapng draft §4.3: type, total length,
    /// interface, timestamp high and low, captured and original length, then the data
    /// padded to 32 bits, options, the total length again), its options skipped (none is
    /// used). `None` for any other block, and for one whose lengths do not all agree, which
    /// pcap-parser then reads, or refuses, as any block. pcap-parser's general block
    /// parser cost about 300 instructions a packet here, most of the reading of a pcapng
    /// capture, read by every analyzer thread.
    pub(super) fn quick_epb<'a>(&self, data: &'a [u8]) -> Option<(Epb<'a>, &'a [u8])> {
        let be = self.big_endian;
        // The seven 32-bit fields before the data, in the section's byte order.
        let mut fixed = [0u32; 7];
        for (field, b) in fixed.iter_mut().zip(data.get(..EPB_DATA)?.chunks_exact(4)) {
            let b: [u8; 4] = b.try_into().unwrap_or_default();
            *field = if be {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            };
        }
        let [kind, len, if_id, ts_high, ts_low, caplen, origlen] = fixed;
        // The data, padded to 32 bits, must fit between the fixed fields and the trailer.
        if kind != EPB || len < 32 || u64::from(caplen).next_multiple_of(4) > u64::from(len - 32) {
            return None;
        }
        let end = usize::try_from(len).ok()?;
        if word(data, end - 4, be)? != len {
            return None;
        }
        let epb = Epb {
            if_id,
            ts_high,
            ts_low,
            caplen,
            origlen,
            data: data.get(EPB_DATA..EPB_DATA + caplen as usize)?,
            options: data
                .get(EPB_DATA + (caplen as usize).next_multiple_of(4)..end - 4)
                .unwrap_or_default(),
        };
        Some((epb, data.get(end..)?))
    }

    /// One Enhanced Packet Block's packet to `sink`, numbered after `number`.
    pub(super) fn enhanced(
        &mut self,
        epb: &Epb<'_>,
        number: &mut u64,
        summary: &mut InputSummary,
        sink: &mut dyn FnMut(&Packet<'_>),
    ) {
        *number += 1;
        let Some(iface) = self.interfaces.get(epb.if_id as usize).copied() else {
            if !self.warned_bad_if {
                self.warned_bad_if = true;
                summary.warnings.push(format!(
                    "packet {number} names interface {} but the file describes only {}; such packets were skipped",
                    epb.if_id,
                    self.interfaces.len()
                ));
            }
            return;
        };
        // Its interface's description was damaged (its warning says its packets are skipped).
        if iface.lost {
            return;
        }
        let (ts, caplen, orig_len) = epb.on(iface);
        sink(&Packet {
            number: *number,
            ts,
            link: iface.link,
            data: epb.data.get(..caplen).unwrap_or(epb.data),
            orig_len,
            iface: self.interface(epb.if_id),
            options: crate::capture::PacketOptions {
                bytes: epb.options,
                big_endian: self.big_endian,
            },
        });
    }

    /// The interface just added to `interfaces`, as its packets name it.
    fn name(&mut self, name: Option<Box<str>>) {
        let id = self.interfaces.len().saturating_sub(1) as u32;
        self.named.push(crate::capture::Interface {
            number: self.described,
            id,
            name,
        });
        self.described = self.described.saturating_add(1);
    }

    /// The interface of ID `id` in the current section, as its packets name it, where it
    /// tells where a packet was captured: not in a section of one interface so far (every
    /// packet is on it), nor a Linux cooked (v1) one, libpcap's `any`, which takes each
    /// packet on every interface it crosses.
    pub(super) fn interface(&self, id: u32) -> Option<&crate::capture::Interface> {
        if self.named.len() < 2 {
            return None;
        }
        let link = self.interfaces.get(id as usize)?.link;
        self.named
            .get(id as usize)
            .filter(|_| link != LinkType::LINUX_SLL)
    }
}

/// An interface's name as reports show it: its `if_name` option (draft-ietf-opsawg-pcapng
/// §4.2, code 2; `dumpcap -i eth0` writes `eth0`), or else its `if_description` (code 3),
/// made safe and bounded ([`Interface::label_of`](crate::capture::Interface::label_of)).
fn name_of(idb: &InterfaceDescriptionBlock<'_>) -> Option<Box<str>> {
    let option = |code: OptionCode| {
        idb.options
            .iter()
            .filter(|o| o.code == code)
            .find_map(|o| crate::capture::Interface::label_of(o.as_bytes().ok()?))
    };
    option(OptionCode::IfName).or_else(|| option(OptionCode::IfDescription))
}

/// What the thread that reads the chunks of a shared pcapng file keeps from block to block
/// to index them (`shared::Chunk::index`): the sections' byte order and interfaces, as
/// each reader's own [`Ng`] learns them from the same blocks.
#[derive(Default)]
pub(in crate::capture) struct NgIndexer(Ng);

impl NgIndexer {
    /// The block at the start of `data`: its length, and the packet of an Enhanced Packet
    /// Block that [`Ng::quick_epb`] reads, on a described interface (any other block, a
    /// reader reads itself). `None` when the block does not parse (the readers go on alone
    /// from there).
    pub(in crate::capture) fn next(&mut self, data: &[u8]) -> Option<(usize, Option<Found>)> {
        let ng = &mut self.0;
        if let Some((epb, rest)) = ng.quick_epb(data) {
            let len = data.len() - rest.len();
            let packet = ng
                .interfaces
                .get(epb.if_id as usize)
                .filter(|i| !i.lost)
                .map(|&iface| {
                    let (ts, len, orig_len) = epb.on(iface);
                    Found {
                        ts,
                        at: EPB_DATA,
                        len,
                        orig_len,
                        link: iface.link,
                        iface: epb.if_id,
                    }
                });
            return Some((len, packet));
        }
        let (rest, block) = ng.parse(data).ok()?;
        ng.learn(&block);
        Some((data.len() - rest.len(), None))
    }
}

/// Where an Enhanced Packet Block's data starts (after seven 32-bit fields).
const EPB_DATA: usize = 28;

/// The block type of an Enhanced Packet Block (pcapng draft §4.3).
const EPB: u32 = 6;

/// The block type of the obsolete Packet Block (pcapng draft, Appendix A).
const OPB: u32 = 2;

/// The block types of a Section Header Block (§4.1) and an Interface Description Block
/// (§4.2).
const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;

/// Damaged blocks each named in a warning of their own; the others are counted in one.
const DAMAGED_WARNINGS: u64 = 10;

/// Whether Wireshark gives a block of this type a frame number, so that packet numbers are
/// its frame numbers: the packet blocks (Enhanced, Simple, the obsolete Packet Block) and
/// the blocks it shows as frames of their own (Systemd Journal Export §4.7, Custom §4.8,
/// copiable or not). Name Resolution, Interface Statistics, Decryption Secrets and unknown
/// blocks take none. (Checked against tshark's `frame.number`; the test
/// `websocket::tshark::frame_numbers_count_custom_blocks`.)
pub(crate) fn takes_frame_number(kind: u32) -> bool {
    matches!(kind, OPB | 3 | EPB | 9 | 0x0000_0BAD | 0x4000_0BAD)
}

/// The fields of an Enhanced Packet Block that make a packet.
pub(super) struct Epb<'a> {
    if_id: u32,
    ts_high: u32,
    ts_low: u32,
    caplen: u32,
    origlen: u32,
    /// The packet data (at least `caplen` bytes).
    data: &'a [u8],
    /// The options after the padded data, in the section's byte order (empty when the
    /// block was read by pcap-parser, which parses them apart).
    options: &'a [u8],
}

impl Epb<'_> {
    /// Its packet's time, captured bytes and length on the wire, on interface `iface`.
    fn on(&self, iface: Interface) -> (Timestamp, usize, u32) {
        let caplen = (self.caplen as usize).min(self.data.len());
        let ts = ng_timestamp(self.ts_high, self.ts_low, iface);
        (ts, caplen, self.origlen.max(caplen as u32))
    }
}

/// An interface's time units per second from its `if_tsresol` (pcapng §4.2, option 9):
/// 10^-n s, or 2^-n s when the top bit is set; none past what 64 bits hold. (pcap-parser's
/// `ts_resolution` compares the byte, top bit included, with 63, so it refused every
/// power-of-two base, and 2^-20 s units were read as microseconds.)
fn resolution(tsresol: u8) -> Option<u64> {
    let n = u32::from(tsresol & 0x7f);
    if tsresol & 0x80 != 0 {
        1u64.checked_shl(n)
    } else {
        10u64.checked_pow(n)
    }
}

fn ng_timestamp(high: u32, low: u32, iface: Interface) -> Timestamp {
    let units = u64::from(high) << 32 | u64::from(low);
    let res = iface.resolution.max(1);
    // The two usual resolutions divide by a constant (a multiplication), the others by a
    // variable, once per packet.
    let (secs, nanos) = match res {
        1_000_000 => (units / 1_000_000, units % 1_000_000 * 1_000),
        1_000_000_000 => (units / 1_000_000_000, units % 1_000_000_000),
        _ => {
            // Below a nanosecond resolution the product fits in 64 bits (a 128-bit
            // division is several times slower); finer ones need 128.
            let frac = units % res;
            let nanos = match frac.checked_mul(1_000_000_000) {
                Some(n) => n / res,
                None => (u128::from(frac) * 1_000_000_000 / u128::from(res)) as u64,
            };
            (units / res, nanos)
        }
    };
    Timestamp::from_parts((secs as i64).saturating_add(iface.offset), nanos as u32)
}

#[cfg(test)]
mod tests;
