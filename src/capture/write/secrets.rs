//! TLS secrets in a pcapng file (draft-ietf-opsawg-pcapng §4.7: a Decryption Secrets Block,
//! secrets type `TLSK`, before the packets it decrypts): the block, and its insertion into
//! a live capture's file once the capture ended.

use super::*;

/// A Decryption Secrets Block holding an NSS key-log text.
pub(super) fn secrets_block<W: Write>(out: &mut W, text: &[u8]) -> io::Result<()> {
    let len = u32::try_from(text.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "key log too large"))?;
    let mut dsb = Vec::with_capacity(text.len() + 12);
    dsb.extend_from_slice(&SECRETS_TLS_KEY_LOG.to_le_bytes());
    dsb.extend_from_slice(&len.to_le_bytes());
    dsb.extend_from_slice(text);
    pad(&mut dsb);
    block(out, DSB, &dsb)
}

/// Adds a Decryption Secrets Block holding `tls_key_log` to the pcapng file at `path`, a
/// live capture's that this process wrote: after its section header and interface
/// blocks, before its first packet (where tools read secrets from, wsclose included).
/// The file is written anew beside it (a new file that replaces no other, readable by its
/// owner only: it holds secrets) and renamed over `path`; on any error `path` is left as it
/// was. Only a regular pcapng file of one section is rewritten.
pub fn insert_secrets(path: &Path, tls_key_log: &[u8]) -> io::Result<()> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.is_file() {
        return Err(invalid("not a regular file"));
    }
    let mut input = io::BufReader::new(std::fs::File::open(path)?);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    {
        let mut out = io::BufWriter::new(tmp.as_file_mut());
        // The leading blocks (section header, interfaces) as they are, then the secrets,
        // then the rest from the first other block on.
        let mut first = true;
        let mut next = None;
        loop {
            let mut head = [0u8; 8];
            match input.read_exact(&mut head) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && !first => break,
                Err(e) => return Err(e),
            }
            let kind = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
            let len = u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]]));
            if (first && kind != SHB) || len < 12 || len % 4 != 0 {
                return Err(invalid("not a pcapng file as wsclose writes it"));
            }
            if !first && kind != IDB {
                next = Some(head);
                break;
            }
            first = false;
            out.write_all(&head)?;
            if io::copy(&mut (&mut input).take(len - 8), &mut out)? != len - 8 {
                return Err(invalid("a block is cut short"));
            }
        }
        secrets_block(&mut out, tls_key_log)?;
        if let Some(head) = next {
            out.write_all(&head)?;
        }
        io::copy(&mut input, &mut out)?;
        out.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
