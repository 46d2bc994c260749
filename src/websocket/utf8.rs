//! Incremental UTF-8 validation (RFC 6455 §5.6, §8.1) across chunks and fragments: a
//! character split between two TCP segments or two frames is still judged as one.
//!
//! In: the unmasked bytes of a text message, in order, in any pieces. Out: the message byte
//! offset of the first invalid byte, if any. Uses simdutf8 on each piece; at most three
//! bytes of an unfinished character are carried to the next piece.

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Utf8Stream {
    carry: [u8; 4],
    carry_len: usize,
    /// Bytes of the message judged so far.
    pos: u64,
}

impl Utf8Stream {
    pub fn new() -> Utf8Stream {
        Utf8Stream::default()
    }

    /// Feed the next piece; `Err(offset)` gives the message offset where the bad sequence starts.
    pub fn push(&mut self, mut b: &[u8]) -> Result<(), u64> {
        if self.carry_len > 0 {
            while let (Some(slot), Some((&first, rest))) =
                (self.carry.get_mut(self.carry_len), b.split_first())
            {
                *slot = first;
                self.carry_len += 1;
                b = rest;
                let carried = self.carry.get(..self.carry_len).unwrap_or_default();
                match simdutf8::compat::from_utf8(carried) {
                    Ok(_) => {
                        self.pos += self.carry_len as u64;
                        self.carry_len = 0;
                        break;
                    }
                    Err(e) if e.error_len().is_none() => {}
                    Err(_) => return Err(self.pos),
                }
            }
            if self.carry_len > 0 {
                return Ok(());
            }
        }
        if simdutf8::basic::from_utf8(b).is_ok() {
            self.pos += b.len() as u64;
            return Ok(());
        }
        match simdutf8::compat::from_utf8(b) {
            Ok(_) => {
                self.pos += b.len() as u64;
                Ok(())
            }
            Err(e) => {
                let good = e.valid_up_to();
                match e.error_len() {
                    None => {
                        // An unfinished character at the end: at most three bytes, carried.
                        let rest = b.get(good..).unwrap_or_default();
                        match self.carry.get_mut(..rest.len()) {
                            Some(carry) => {
                                carry.copy_from_slice(rest);
                                self.carry_len = rest.len();
                                self.pos += good as u64;
                                Ok(())
                            }
                            None => Err(self.pos + good as u64),
                        }
                    }
                    Some(_) => Err(self.pos + good as u64),
                }
            }
        }
    }

    /// End of message: an unfinished character is an error at its first byte.
    pub fn finish(&mut self) -> Result<(), u64> {
        if self.carry_len > 0 {
            Err(self.pos)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_all_splits(msg: &[u8]) -> Result<(), u64> {
        let mut whole = Utf8Stream::new();
        let expect = whole.push(msg).and_then(|_| whole.finish());
        for a in 0..=msg.len() {
            for b in a..=msg.len() {
                let mut s = Utf8Stream::new();
                let got = s
                    .push(&msg[..a])
                    .and_then(|_| s.push(&msg[a..b]))
                    .and_then(|_| s.push(&msg[b..]))
                    .and_then(|_| s.finish());
                assert_eq!(got, expect, "split {a}/{b} of {msg:?}");
            }
        }
        expect
    }

    #[test]
    fn valid_multibyte_any_split() {
        assert_eq!(check_all_splits("zu spät — ärger ✓ 𝄞".as_bytes()), Ok(()));
    }

    #[test]
    fn invalid_bytes_found_at_their_offset() {
        assert_eq!(check_all_splits(b"abc\xffdef"), Err(3));
        assert_eq!(check_all_splits(b"ab\xed\xa0\x80"), Err(2)); // surrogate
        assert_eq!(check_all_splits(b"ok\xe2\x82"), Err(2)); // cut at the end
        assert_eq!(check_all_splits(b"\xc0\xaf"), Err(0)); // overlong
    }
}
