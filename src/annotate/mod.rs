//! `wsclose annotate` and `analyze --annotate`: the diagnosis written into the capture.
//!
//! In: a report (`analyze_files`, its selection applied: the connections it shows are those
//! commented) and the captures it was made from, read again. Out: a pcapng
//! (draft-ietf-opsawg-pcapng) holding every packet of the inputs in order with its bytes,
//! time, original length and link type unchanged (an Interface Description Block, §4.2, per
//! input interface and link type, named after it; an Enhanced Packet Block's own options,
//! its comments included, kept before wsclose's: `capture::write::copy_options`; the
//! input's blocks that carry no packet kept where they stood: `blocks`), a comment
//! (`opt_comment`, §4.3 option 1) on each packet that matters (what each says:
//! `comments`; a session seen at two points, issue 103: each point's packets, its own file's
//! or the other's, commented with what the other point saw), and on the Section Header Block (§4.1) the tool, the command and the
//! summary by status. Wireshark shows the comments in the packet list (`frame.comment`), the
//! details and Expert Info; tshark prints them.
//!
//! Each comment starts `wsclose #ID [STATUS] LEVEL:` so that `frame.comment matches
//! "^wsclose #3 "` ([`FILTER`]) filters one connection, and [`PLUGIN`] raises Expert Info at
//! its [`Level`]. Wire text in a comment is escaped (`sanitize::terminal`: no control or
//! format character reaches it; [`unforgeable`]: no `wsclose #` that a filter could take
//! for the prefix) and a comment is at most [`MAX_COMMENT`] bytes (a longer fact is split
//! into several, at its sentences). TLS secrets go in (a Decryption Secrets Block, §4.7)
//! only when the caller gives them; without them, the comments of a connection read through
//! TLS hold none of the text decryption showed ([`WITHHELD`] stands for it). A redacted
//! report (`--redact`) gives redacted comments, and a copy whose TCP payloads are zeros
//! (the upgrade, the frames, TLS records: what the report leaves out); the packets' headers,
//! addresses and ports, and packets that are not TCP, are copied as they are.

use crate::capture;
use crate::capture::write::NotedWriter;
use crate::decode;
use crate::error::Error;
use crate::flow::FlowKey;
use crate::report::{ConnectionReport, Report};
use crate::vocab::LinkType;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

mod blocks;
mod comments;
mod sorted;

use comments::{connection_notes, connection_notes_at, points_notes};
pub use comments::{header, unforgeable, Level, FILTER, MAX_COMMENT, WITHHELD};

/// wsclose's Wireshark plugin (Lua, `wsclose wireshark-plugin` prints it): a post-dissector
/// that reads the comments written here and raises Expert Info at each one's [`Level`], with
/// a `wsclose` tree and the fields `wsclose.id`, `wsclose.status`, `wsclose.code`,
/// `wsclose.level` and `wsclose.text`. Its header says how to install it.
pub const PLUGIN: &str = include_str!("wireshark.lua");

/// How to annotate.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnnotateOptions<'a> {
    /// Copy only the packets of the connections commented (their TCP connections, from
    /// their first packet to their last), not every packet of the inputs.
    pub only_selected: bool,
    /// An NSS key-log text for a Decryption Secrets Block (`--with-secrets`).
    pub secrets: Option<&'a str>,
    /// The command line, for the section header's comment.
    pub command: Option<&'a str>,
    /// The inputs' paths, by the report's input index, when the report's own are cut to
    /// their file names (`--redact`).
    pub paths: Option<&'a [String]>,
    /// The memory budget (`--max-memory`; 0: the analysis' default): a sixteenth of it holds
    /// the comments as they are made, the rest go to a temporary file, sorted by packet.
    pub max_memory: usize,
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Annotated {
    /// Packets copied.
    pub packets: u64,
    /// Of those, packets with at least one comment.
    pub commented: u64,
    /// Connections commented.
    pub connections: u64,
    /// Blocks of the inputs that carry no packet, copied (`blocks`).
    pub blocks: u64,
    /// Blocks of the inputs that carry no packet, left out: Decryption Secrets, those of a
    /// big-endian section, custom blocks not to be copied, those past the memory allowed,
    /// all of them with `only_selected` or a redacted report.
    pub blocks_left_out: u64,
    /// With a redacted report: packets whose TCP payload was blanked (zeros) in the copy.
    pub payloads_blanked: u64,
}

/// A packet's bytes with its TCP payload (what it carries of the upgrade, the frames, TLS
/// records) set to zeros, its length, headers, addresses and ports kept: the copy of a
/// redacted report's capture. None when the packet carries no TCP payload.
fn blank_payload(p: &capture::Packet<'_>) -> Option<Vec<u8>> {
    let seg = decode::decode(p).ok()?;
    if seg.payload.is_empty() {
        return None;
    }
    let start = (seg.payload.as_ptr() as usize).checked_sub(p.data.as_ptr() as usize)?;
    let end = start.checked_add(seg.payload.len())?;
    let mut data = p.data.to_vec();
    data.get_mut(start..end)?.fill(0);
    Some(data)
}

/// The comments of a report, by (run, packet number): a run is an input and the inputs
/// that continue it (rotated files, numbered on), named by its first input's index.
#[derive(Debug, Default)]
pub struct Notes {
    by_packet: HashMap<(usize, u64), Vec<String>>,
}

impl Notes {
    /// The comments on packet `number` of run `run`.
    pub fn on(&self, run: usize, number: u64) -> &[String] {
        self.by_packet
            .get(&(run, number))
            .map_or(&[], |v| v.as_slice())
    }

    fn add(&mut self, run: usize, packet: u64, text: String) {
        let list = self.by_packet.entry((run, packet)).or_default();
        if !list.contains(&text) {
            list.push(text);
        }
    }
}

/// The connections commented, for `only_selected`: their TCP connection and packet range,
/// per run.
type Flows = HashMap<(usize, FlowKey), Vec<(u64, u64)>>;

/// Each input's run: its own index, or its run's first input when it continues the one
/// before.
fn runs(report: &Report) -> Vec<usize> {
    let mut runs: Vec<usize> = Vec::with_capacity(report.inputs.len());
    for (i, input) in report.inputs.iter().enumerate() {
        let run = match runs.last() {
            Some(&r) if input.continues_previous => r,
            _ => i,
        };
        runs.push(run);
    }
    runs
}

/// The comments of every connection `report` shows (its selection applied). `reveal`: the
/// file carries the TLS secrets (see [`WITHHELD`]).
/// They are all held in memory, by packet: [`annotate`] holds only a part of them
/// (`sorted`).
pub fn notes(report: &Report, reveal: bool) -> std::io::Result<Notes> {
    let runs = runs(report);
    let mut notes = Notes::default();
    report.for_each_connection(|c| {
        let run = runs.get(c.input).copied().unwrap_or(c.input);
        connection_notes(c, &report.incidents, reveal, &mut |p, text| {
            notes.add(run, p, text)
        });
        points_notes(c, &mut |input, p, text| {
            notes.add(runs.get(input).copied().unwrap_or(input), p, text)
        });
        Ok(())
    })?;
    Ok(notes)
}

/// Adds `c`'s TCP connection and packet range to `flows`.
fn flow_of(c: &ConnectionReport, run: usize, flows: &mut Flows) {
    let key = FlowKey::of(c.endpoints.0, c.endpoints.1).0;
    flows
        .entry((run, key))
        .or_default()
        .push((c.first_packet, c.last_packet));
}

/// Adds the TCP connections and packet ranges of the points `c` was seen at beyond its own
/// (issue 103) to `flows`, where their endpoints are addresses (a redacted report's are
/// pseudonyms: those points' packets are not copied with `only_selected`).
fn other_points(c: &ConnectionReport, runs: &[usize], flows: &mut Flows) {
    use crate::report::Host;
    let Some(p) = &c.points else {
        return;
    };
    for pt in p.points.iter().skip(1) {
        if let (Host::Addr(a), Host::Addr(b)) = (&pt.client, &pt.server) {
            let run = runs.get(pt.input).copied().unwrap_or(pt.input);
            flows
                .entry((run, FlowKey::of(*a, *b).0))
                .or_default()
                .push((pt.first_packet, pt.last_packet));
        }
    }
}

/// [`notes`] within `limit` bytes of memory, to be taken packet by packet; the flows only
/// with `only_selected`. Returns the comments, the flows and the connections commented.
fn sorted_notes(
    report: &Report,
    reveal: bool,
    limit: usize,
    only_selected: bool,
) -> std::io::Result<(sorted::Merge, Flows, u64)> {
    let runs = runs(report);
    // Where each input's frames start in the copy: after every packet of the inputs
    // before it (not with `only_selected`, which copies some of them).
    let starts: Vec<u64> = report
        .inputs
        .iter()
        .scan(0u64, |at, i| {
            let start = *at;
            *at += i.packets;
            Some(start)
        })
        .collect();
    let mut comments = sorted::Sorted::new(limit);
    let mut flows = Flows::new();
    let mut connections = 0;
    report.for_each_connection(|c| {
        let run = runs.get(c.input).copied().unwrap_or(c.input);
        let offset = if only_selected {
            0
        } else {
            starts.get(run).copied().unwrap_or(0)
        };
        let mut failed = None;
        connection_notes_at(c, &report.incidents, reveal, offset, &mut |p, text| {
            if failed.is_none() {
                failed = comments.push(run, p, text).err();
            }
        });
        // Seen at two points: the other point's packets commented too (and copied).
        points_notes(c, &mut |input, p, text| {
            if failed.is_none() {
                let run = runs.get(input).copied().unwrap_or(input);
                failed = comments.push(run, p, text).err();
            }
        });
        if only_selected {
            flow_of(c, run, &mut flows);
            other_points(c, &runs, &mut flows);
        }
        connections += 1;
        failed.map_or(Ok(()), Err)
    })?;
    Ok((comments.into_merge()?, flows, connections))
}

/// Writes the blocks of `extras` that stood before frame `before` of their input; an
/// Interface Statistics Block with the copy's ID of its interface, or left out when none
/// of that interface's packets was copied.
fn put_extras<'a, W: Write>(
    w: &mut NotedWriter<W>,
    extras: &mut std::iter::Peekable<std::slice::Iter<'a, blocks::Extra>>,
    before: u64,
    ifaces: &HashMap<(Option<u32>, LinkType), u32>,
    done: &mut Annotated,
) -> std::io::Result<()> {
    while let Some(x) = extras.next_if(|x| x.after < before) {
        // Packets name no interface when their section has one (or it is SLL): then the
        // copy's only interface without a name is it.
        let unnamed: Vec<u32> = ifaces
            .iter()
            .filter(|((k, _), _)| k.is_none())
            .map(|(_, &id)| id)
            .collect();
        let iface = match x.interface {
            Some(n) => match ifaces.iter().find(|((k, _), _)| *k == Some(n)) {
                Some((_, &id)) => Some(id),
                None if unnamed.len() == 1 => unnamed.first().copied(),
                None => {
                    done.blocks_left_out += 1;
                    continue;
                }
            },
            None => None,
        };
        w.raw_block(&x.bytes, iface)?;
        done.blocks += 1;
    }
    Ok(())
}

/// Writes the annotated copy of `report`'s inputs to `out` (`out_name` names it in
/// errors). Inputs that could not be read are left out (their warning is the report's).
pub fn annotate<W: Write>(
    report: &Report,
    out: W,
    out_name: &Path,
    opts: &AnnotateOptions<'_>,
) -> Result<Annotated, Error> {
    let write_err = |e: std::io::Error| Error::Write {
        path: out_name.to_path_buf(),
        source: e,
    };
    let budget = match opts.max_memory {
        0 => crate::Options::default().max_memory,
        m => m,
    };
    let (mut notes, flows, connections) = sorted_notes(
        report,
        opts.secrets.is_some(),
        budget / 16,
        opts.only_selected,
    )
    .map_err(Error::Spill)?;
    let header = header(report, opts.command);
    let refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut w = NotedWriter::new(out, &refs, opts.secrets.map(str::as_bytes)).map_err(write_err)?;
    let runs = runs(report);
    let mut done = Annotated {
        connections,
        ..Annotated::default()
    };
    let mut failure: Option<std::io::Error> = None;
    // A failure to read the comments back from their temporary file.
    let mut spill: Option<std::io::Error> = None;
    let mut comments: Vec<String> = Vec::new();
    // With `only_selected`: the scope of each selected connection's first packet, by (run,
    // first packet).
    let mut scopes: HashMap<(usize, u64), u64> = HashMap::new();
    for (i, input) in report.inputs.iter().enumerate() {
        if input.error.is_some() {
            continue;
        }
        let run = runs.get(i).copied().unwrap_or(i);
        let path = Path::new(opts.paths.and_then(|p| p.get(i)).unwrap_or(&input.path));
        // Interfaces by (the input's interface, link type).
        let mut ifaces: HashMap<(Option<u32>, LinkType), u32> = HashMap::new();
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        // Its blocks that carry no packet, each written before the frame that followed it.
        let extras = capture::file::open_bytes(path)
            .ok()
            .and_then(|input| blocks::extras(input, budget / 16).ok())
            .unwrap_or_default();
        // None with `only_selected` (they may be of any traffic) or redacted (a Name
        // Resolution Block names hosts).
        let none = opts.only_selected || report.redacted;
        done.blocks_left_out += extras.left_out + if none { extras.kept.len() as u64 } else { 0 };
        let kept: &[blocks::Extra] = if none { &[] } else { &extras.kept };
        let mut extras = kept.iter().peekable();
        let read = capture::file::read(path, &mut |p| {
            if failure.is_some() {
                return;
            }
            if let Err(e) = put_extras(&mut w, &mut extras, p.number, &ifaces, &mut done) {
                failure = Some(e);
                return;
            }
            let number = p.number + input.packet_offset;
            if opts.only_selected {
                let Ok(seg) = decode::decode(p) else { return };
                let key = FlowKey::of(seg.src, seg.dst).0;
                let Some(flows) = flows.get(&(run, key)) else {
                    return;
                };
                // The flow key is the analysis's: the 4-tuple and where it lives (its VLANs
                // and tunnels, `decode::Segment::scope`), that of the connection's first
                // packet, so that the same addresses in another VLAN or VNI are left out.
                for &(first, _) in flows.iter().filter(|&&(first, _)| first == number) {
                    scopes.insert((run, first), seg.scope);
                }
                let wanted = flows.iter().any(|&(a, b)| {
                    (a..=b).contains(&number) && scopes.get(&(run, a)) == Some(&seg.scope)
                });
                if !wanted {
                    return;
                }
            }
            let key = (p.iface.map(|f| f.number), p.link);
            let id = match ifaces.get(&key) {
                Some(&id) => id,
                None => {
                    let name = p
                        .iface
                        .and_then(|f| f.name.as_deref())
                        .map(str::to_owned)
                        .or_else(|| file_name.clone());
                    match w.interface(p.link, 262_144, name.as_deref()) {
                        Ok(id) => {
                            ifaces.insert(key, id);
                            id
                        }
                        Err(e) => {
                            failure = Some(e);
                            return;
                        }
                    }
                }
            };
            comments.clear();
            if let Err(e) = notes.take(run, number, &mut comments) {
                spill = Some(e);
                failure = Some(std::io::Error::other("the comments could not be read back"));
                return;
            }
            // Redacted: the payloads go, as the report leaves them out.
            let blanked = if report.redacted {
                blank_payload(p)
            } else {
                None
            };
            done.payloads_blanked += u64::from(blanked.is_some());
            let data = blanked.as_deref().unwrap_or(p.data);
            match w.packet(id, p.ts, data, p.orig_len, p.options, &comments) {
                Ok(()) => {
                    done.packets += 1;
                    done.commented += u64::from(!comments.is_empty());
                }
                Err(e) => failure = Some(e),
            }
        });
        if let Some(e) = spill.take() {
            return Err(Error::Spill(e));
        }
        if let Some(e) = failure.take() {
            return Err(write_err(e));
        }
        put_extras(&mut w, &mut extras, u64::MAX, &ifaces, &mut done).map_err(write_err)?;
        // A file that cannot be read again (it changed, or went away) is said; what was
        // copied of it stays.
        read?;
    }
    w.finish().map_err(write_err)?;
    Ok(done)
}
