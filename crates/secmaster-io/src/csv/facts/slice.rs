//! The records of one block of a fact CSV, read from the bytes in memory.

use crate::csv::records::RecordError;

/// One field of a record: its unquoted, unescaped text, in the scratch buffer or the
/// block (see [`Source`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct Span {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) quoted: bool,
}

/// Where the spans of a record point.
#[derive(Debug, Clone, Copy)]
pub(super) enum Source {
    /// The scratch buffer: the record's fields unquoted into it.
    Scratch,
    /// The block itself: a record without quotes, in a block of UTF-8.
    Block,
}

/// The records of a block, with the rules of [`crate::csv::records::Records`] in lenient mode.
pub(super) struct SliceRecords<'a> {
    pub(super) data: &'a [u8],
    /// The block as text, when it is UTF-8: then its fields need no check of their own,
    /// and a record without quotes is read in place.
    text: Option<&'a str>,
    pos: usize,
    /// The lines consumed so far, counted from the line before the block.
    line: u64,
}

impl<'a> SliceRecords<'a> {
    pub(super) fn new(data: &'a [u8], lines: u64) -> SliceRecords<'a> {
        SliceRecords {
            data,
            // One pass over the block beats one per field; a block that fails is checked
            // field by field, to name the record.
            text: std::str::from_utf8(data).ok(),
            pos: 0,
            line: lines,
        }
    }

    /// The text the spans of a record from `source` point into.
    pub(super) fn text<'s>(&self, scratch: &'s [u8], source: Source) -> &'s str
    where
        'a: 's,
    {
        match source {
            Source::Block => self.text.expect("only a block of UTF-8 is read in place"),
            Source::Scratch => record(scratch),
        }
    }

    /// Reads the next record's fields into `fields` (and, when it has quotes, their text
    /// into `scratch`), returning the line it starts on and where the fields are, or `None`
    /// at the end of the block.
    pub(super) fn next_record(
        &mut self,
        scratch: &mut Vec<u8>,
        fields: &mut Vec<Span>,
    ) -> Result<Option<(u64, Source)>, RecordError> {
        let data = self.data;
        // Blank lines are skipped.
        let end = loop {
            if self.pos >= data.len() {
                return Ok(None);
            }
            let end =
                memchr::memchr(b'\n', &data[self.pos..]).map_or(data.len(), |i| self.pos + i + 1);
            self.line += 1;
            if data[self.pos..end].iter().all(u8::is_ascii_whitespace) {
                self.pos = end;
                continue;
            }
            break end;
        };
        let start = self.line;
        // A record without quotes in a block of UTF-8: its fields are the text between its
        // commas, trimmed, read in place. (This is what the general reading below gives.)
        if self.text.is_some() && memchr::memchr(b'"', &data[self.pos..end]).is_none() {
            let stop = if data[end - 1] == b'\n' { end - 1 } else { end };
            fields.clear();
            let mut from = self.pos;
            let mut push = |from: usize, to: usize| {
                let field = data[from..to].trim_ascii_start();
                let begin = to - field.len();
                let field = field.trim_ascii_end();
                fields.push(Span {
                    start: begin,
                    end: begin + field.len(),
                    quoted: false,
                });
            };
            for comma in memchr::memchr_iter(b',', &data[self.pos..stop]) {
                push(from, self.pos + comma);
                from = self.pos + comma + 1;
            }
            push(from, stop);
            self.pos = end;
            return Ok(Some((start, Source::Block)));
        }
        let malformed = |reason: &str| RecordError::Malformed {
            line: start,
            reason: reason.to_string(),
        };
        scratch.clear();
        fields.clear();
        let mut i = self.pos;
        loop {
            let mut j = i;
            while matches!(data.get(j), Some(b' ' | b'\t')) {
                j += 1;
            }
            let begin = scratch.len();
            let quoted = data.get(j) == Some(&b'"');
            if quoted {
                i = j + 1;
                loop {
                    match data.get(i) {
                        Some(b'"') if data.get(i + 1) == Some(&b'"') => {
                            scratch.push(b'"');
                            i += 2;
                        }
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(&c) => {
                            scratch.push(c);
                            i += 1;
                            if c == b'\n' {
                                // The quoted field goes on over the line end, kept as read.
                                if i >= data.len() {
                                    return Err(malformed("unterminated quoted field"));
                                }
                                self.line += 1;
                            }
                        }
                        None => return Err(malformed("unterminated quoted field")),
                    }
                }
                while matches!(data.get(i), Some(b' ' | b'\t')) {
                    i += 1;
                }
                match data.get(i) {
                    None | Some(b',' | b'\n') => {}
                    Some(b'\r') if data.get(i + 1) == Some(&b'\n') => i += 1,
                    Some(_) => return Err(malformed("unexpected text after a closing quote")),
                }
            } else {
                let field_end = data[i..]
                    .iter()
                    .position(|&c| c == b',' || c == b'\n' || c == b'"')
                    .map_or(data.len(), |p| i + p);
                if data.get(field_end) == Some(&b'"') {
                    return Err(malformed("a quote inside an unquoted field"));
                }
                // Lenient: surrounding whitespace, a CR before the line end included, goes.
                let bytes = data[i..field_end].trim_ascii();
                scratch.extend_from_slice(bytes);
                i = field_end;
            }
            if self.text.is_none() && std::str::from_utf8(&scratch[begin..]).is_err() {
                return Err(malformed("the record is not valid UTF-8"));
            }
            fields.push(Span {
                start: begin,
                end: scratch.len(),
                quoted,
            });
            match data.get(i) {
                Some(b',') => i += 1,
                _ => {
                    self.pos = (i + 1).min(data.len());
                    return Ok(Some((start, Source::Scratch)));
                }
            }
        }
    }
}

/// A record's fields, each valid UTF-8 and so all of them together.
fn record(scratch: &[u8]) -> &str {
    std::str::from_utf8(scratch).expect("every field was checked")
}
