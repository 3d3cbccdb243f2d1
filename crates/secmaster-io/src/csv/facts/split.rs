//! A fact CSV cut into blocks that end at a record's end.

use std::io::Read;

/// The UTF-8 byte-order mark spreadsheet exports put before the header.
const BOM: &[u8] = b"\xef\xbb\xbf";
/// Cuts the input into blocks that end at a record's end.
pub(super) struct Splitter<R> {
    input: R,
    /// Bytes read per block; a block grows past this only to finish its last record.
    block: usize,
    carry: Vec<u8>,
    /// How much of `carry` has been scanned, whether an odd number of quotes came before
    /// that point, and the end of the last line outside quotes in it.
    scanned: usize,
    in_quotes: bool,
    boundary: Option<usize>,
    /// The lines before the next block.
    lines: u64,
    started: bool,
    done: bool,
}

impl<R: Read> Splitter<R> {
    pub(super) fn new(input: R, block: usize) -> Splitter<R> {
        Splitter {
            input,
            block: block.max(1),
            carry: Vec::new(),
            scanned: 0,
            in_quotes: false,
            boundary: None,
            lines: 0,
            started: false,
            done: false,
        }
    }

    /// Quotes toggle; for input the record reader accepts, that tells exactly whether a
    /// line end is inside a quoted field.
    fn scan_byte(in_quotes: &mut bool, boundary: &mut Option<usize>, i: usize, c: u8) {
        if c == b'"' {
            *in_quotes = !*in_quotes;
        } else if c == b'\n' && !*in_quotes {
            *boundary = Some(i + 1);
        }
    }

    /// The next block and the number of lines before it, or `None` at the end.
    pub(super) fn next_block(&mut self) -> std::io::Result<Option<(u64, Vec<u8>)>> {
        loop {
            if self.boundary.is_some() && (self.carry.len() >= self.block || self.done) {
                break;
            }
            if self.done {
                if self.carry.is_empty() {
                    return Ok(None);
                }
                self.boundary = Some(self.carry.len());
                break;
            }
            let want = (self.block.saturating_sub(self.carry.len()))
                .max(self.block / 4)
                .max(BOM.len());
            self.carry.reserve(want);
            let n = (&mut self.input)
                .take(want as u64)
                .read_to_end(&mut self.carry)?;
            if n == 0 {
                self.done = true;
            }
            // The first read has the whole BOM if the input starts with one.
            if !self.started {
                self.started = true;
                if self.carry.starts_with(BOM) {
                    self.carry.drain(..BOM.len());
                }
            }
            // Quotes toggle; for input the record reader accepts, that tells exactly
            // whether a line end is inside a quoted field.
            // Eight bytes at a time: most words hold neither a quote nor a line end.
            let start = self.scanned;
            let (in_quotes, boundary) = (&mut self.in_quotes, &mut self.boundary);
            let tail = &self.carry[start..];
            let mut words = tail.chunks_exact(8);
            let mut at = start;
            for word in &mut words {
                let w = u64::from_le_bytes(word.try_into().expect("8 bytes"));
                let (quotes, ends) = (bytes_equal(w, b'"'), bytes_equal(w, b'\n'));
                if quotes == 0 {
                    if ends != 0 && !*in_quotes {
                        // The last line end in the word.
                        let last = (63 - ends.leading_zeros() as usize) / 8;
                        *boundary = Some(at + last + 1);
                    }
                } else {
                    for (i, &c) in word.iter().enumerate() {
                        Self::scan_byte(in_quotes, boundary, at + i, c);
                    }
                }
                at += 8;
            }
            for (i, &c) in words.remainder().iter().enumerate() {
                Self::scan_byte(in_quotes, boundary, at + i, c);
            }
            self.scanned = self.carry.len();
        }
        let cut = self.boundary.take().expect("found above");
        let lines = count_line_ends(&self.carry[..cut]);
        let rest = self.carry.split_off(cut);
        let block = std::mem::replace(&mut self.carry, rest);
        self.scanned -= cut;
        let before = self.lines;
        self.lines += lines;
        Ok(Some((before, block)))
    }
}

/// The high bit of each byte of `w` that equals `c`, and no other bit.
fn bytes_equal(w: u64, c: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = w ^ (u64::from(c) * 0x0101_0101_0101_0101);
    // A byte of `x` is zero exactly when adding 0x7f to its low bits leaves its high bit
    // clear and its own high bit is clear; no carry crosses a byte.
    !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7)
}

/// The number of `\n` bytes in `data`.
fn count_line_ends(data: &[u8]) -> u64 {
    let mut words = data.chunks_exact(8);
    let mut n: u64 = 0;
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        n += u64::from(bytes_equal(w, b'\n').count_ones());
    }
    n + words.remainder().iter().filter(|&&c| c == b'\n').count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_find_their_bytes() {
        for text in [
            &b"ab\n\"cd\n\n"[..],
            b"\n\n\n\n\n\n\n\n",
            b"\x80\x0a\xff\x00\"\x22\x8a\x0b",
        ] {
            let w = u64::from_le_bytes(text.try_into().unwrap());
            for c in [b'\n', b'"'] {
                let expected: u64 = text
                    .iter()
                    .enumerate()
                    .filter(|&(_, &b)| b == c)
                    .map(|(i, _)| 0x80 << (8 * i))
                    .sum();
                assert_eq!(bytes_equal(w, c), expected, "{text:?} {c}");
            }
        }
        assert_eq!(count_line_ends(b"a\nb\n\n\nccccccccccccc\n\n"), 6);
    }
}
