//! Packet sources: capture files (this module's `file`, and `shared` for one file read once
//! by several analyzer threads) and, with the `live` feature, a libpcap interface.
//!
//! In: a path, standard input, or an interface. Out: [`Packet`]s in capture order, each with
//! its 1-based number in its input, capture time, link type, the captured bytes and the
//! original length (captured < original means the snaplen cut it), and the interface the
//! file names for it (a pcapng Interface Description Block, draft-ietf-opsawg-pcapng §4.2:
//! its number in the file and its `if_name` or `if_description`). Everything after this
//! stage works on in-memory packets and never touches a file or libpcap.

pub mod file;
#[cfg(feature = "live")]
pub mod live;
pub mod secrets;
pub mod shared;
pub mod write;

use crate::vocab::{LinkType, Timestamp};

/// One captured packet, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// 1-based position in its input, as Wireshark numbers frames.
    pub number: u64,
    pub ts: Timestamp,
    pub link: LinkType,
    pub data: &'a [u8],
    /// Length on the wire; larger than `data.len()` when the snaplen cut the packet.
    pub orig_len: u32,
    /// The interface the file says it was captured on: a pcapng packet's Interface
    /// Description Block (borrowed from the reader, which made it once per block); `None`
    /// in a classic pcap file and a live capture, which name none.
    pub iface: Option<&'a Interface>,
    /// Its Enhanced Packet Block's options as the file holds them (empty for any other
    /// packet).
    pub options: PacketOptions<'a>,
}

/// The options of a pcapng Enhanced Packet Block (draft-ietf-opsawg-pcapng §3.5, §4.3:
/// each a 16-bit code, a 16-bit length and its value padded to 32 bits; `opt_comment`,
/// `epb_flags`, `epb_hash`...), borrowed as the file holds them, in its section's byte
/// order; `wsclose annotate` copies them (`capture::write::copy_options`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PacketOptions<'a> {
    /// The options area, up to the block's trailing length (its end-of-options, if any,
    /// included).
    pub bytes: &'a [u8],
    /// The section is big-endian.
    pub big_endian: bool,
}

/// An interface a pcapng file describes (draft-ietf-opsawg-pcapng §4.2), as its packets
/// name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// Its Interface Description Block's place among those of its input, counted from the
    /// start of the file across its sections: unique within the input.
    pub number: u32,
    /// Its interface ID within its section (what its packet blocks carry; IDs start again
    /// at 0 in each section).
    pub id: u32,
    /// Its `if_name` option, or else its `if_description`, made safe to show (see
    /// [`Interface::label_of`]); `None` when it has neither.
    pub name: Option<Box<str>>,
}

impl Interface {
    /// The longest name kept, in characters; a longer one is cut and ends with `…`.
    pub const MAX_NAME: usize = 64;

    /// A name from the wire as reports show it: control and format characters escaped
    /// (`sanitize::terminal`), at most [`Interface::MAX_NAME`] characters, `None` when
    /// empty.
    pub fn label_of(raw: &[u8]) -> Option<Box<str>> {
        // Enough bytes for more than MAX_NAME characters (at most 4 bytes each), however
        // long the option (up to 64 KiB).
        let raw = raw.get(..4 * Self::MAX_NAME + 4).unwrap_or(raw);
        let text = String::from_utf8_lossy(raw);
        let text = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
        if text.is_empty() {
            return None;
        }
        let safe = crate::sanitize::terminal(text);
        let mut out: String = safe.chars().take(Self::MAX_NAME).collect();
        if safe.chars().nth(Self::MAX_NAME).is_some() {
            out.pop();
            out.push('…');
        }
        Some(out.into_boxed_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Interface names from the wire: escaped, NUL padding and blanks trimmed, bounded.
    #[test]
    fn interface_labels() {
        let label = |b: &[u8]| Interface::label_of(b).map(String::from);
        assert_eq!(label(b"veth0\0\0"), Some("veth0".into()));
        assert_eq!(label(b"br\x1b[2J0\n"), Some("br\\x1b[2J0".into()));
        assert_eq!(label(b"\0\0 "), None);
        assert_eq!(label(b"\xff\xfeeth"), Some("\u{fffd}\u{fffd}eth".into()));
        let long = label("é".repeat(100).as_bytes()).unwrap();
        assert_eq!(long.chars().count(), Interface::MAX_NAME);
        assert!(long.ends_with("é…"));
        let huge = label(&[b'y'; 65_535]).unwrap();
        assert_eq!(huge.chars().count(), Interface::MAX_NAME);
        let exact = "x".repeat(Interface::MAX_NAME);
        assert_eq!(label(exact.as_bytes()), Some(exact));
    }
}
