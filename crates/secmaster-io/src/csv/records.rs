//! A streaming CSV record reader that remembers which fields were quoted.
//!
//! The `csv` crate and arrow-csv both read `""` and an empty field as the same empty
//! string, but a lossless table CSV needs them apart (an empty field is a null, `""` is an
//! empty string, as Polars reads them). The prototype's files also put a space after each
//! comma before an opening quote (Python's `skipinitialspace`), which those readers take
//! as part of an unquoted field. So this reader is small and our own: RFC 4180 quoting,
//! `\n` or `\r\n` line ends, whitespace before an opening quote and after a closing quote
//! ignored, and one line of input in memory at a time.

use std::io::BufRead;

/// One field of a record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Field {
    /// The text, unquoted and unescaped.
    pub(crate) text: String,
    /// Whether the field was quoted (so an empty text is an empty string, not a null).
    pub(crate) quoted: bool,
}

/// Why a record could not be read; the caller adds the file name.
#[derive(Debug)]
pub(crate) enum RecordError {
    /// Reading the input failed.
    Io(std::io::Error),
    /// The record starting at `line` is not well-formed.
    Malformed { line: u64, reason: String },
}

/// Reads records one at a time.
pub(crate) struct Records<R> {
    input: R,
    /// The number of lines consumed so far.
    line: u64,
    buf: Vec<u8>,
    /// Trim spaces around unquoted fields and skip blank lines (fact files), or keep every
    /// byte (table files, where an empty line is a record of one null field).
    lenient: bool,
}

impl<R: BufRead> Records<R> {
    pub(crate) fn new(input: R, lenient: bool) -> Records<R> {
        Records {
            input,
            line: 0,
            buf: Vec::new(),
            lenient,
        }
    }

    fn read_line(&mut self) -> Result<bool, RecordError> {
        self.buf.clear();
        let n = self
            .input
            .read_until(b'\n', &mut self.buf)
            .map_err(RecordError::Io)?;
        if n > 0 {
            self.line += 1;
            // A byte-order mark, as spreadsheet exports write, is not part of the header.
            if self.line == 1 && self.buf.starts_with(b"\xef\xbb\xbf") {
                self.buf.drain(..3);
            }
        }
        Ok(n > 0)
    }

    /// Reads the next record into `fields`, returning the line it starts on, or `None` at
    /// the end of the input.
    pub(crate) fn next_record(
        &mut self,
        fields: &mut Vec<Field>,
    ) -> Result<Option<u64>, RecordError> {
        loop {
            if !self.read_line()? {
                return Ok(None);
            }
            if self.lenient && self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            break;
        }
        let start = self.line;
        fields.clear();
        let malformed = |reason: &str| RecordError::Malformed {
            line: start,
            reason: reason.to_string(),
        };
        let mut bytes: Vec<u8> = Vec::new();
        let mut i = 0;
        loop {
            // At the start of a field.
            let mut j = i;
            while matches!(self.buf.get(j), Some(b' ' | b'\t')) {
                j += 1;
            }
            bytes.clear();
            let quoted = self.buf.get(j) == Some(&b'"');
            if quoted {
                i = j + 1;
                loop {
                    match self.buf.get(i) {
                        Some(b'"') if self.buf.get(i + 1) == Some(&b'"') => {
                            bytes.push(b'"');
                            i += 2;
                        }
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(&c) => {
                            bytes.push(c);
                            i += 1;
                        }
                        None => {
                            // The quoted field goes on over the line end, kept as read.
                            if !self.read_line()? {
                                return Err(malformed("unterminated quoted field"));
                            }
                            i = 0;
                        }
                    }
                }
                while matches!(self.buf.get(i), Some(b' ' | b'\t')) {
                    i += 1;
                }
                match self.buf.get(i) {
                    None | Some(b',' | b'\n') => {}
                    Some(b'\r') if self.buf.get(i + 1) == Some(&b'\n') => i += 1,
                    Some(_) => return Err(malformed("unexpected text after a closing quote")),
                }
            } else {
                while let Some(&c) = self.buf.get(i) {
                    if c == b',' || c == b'\n' {
                        break;
                    }
                    if c == b'"' {
                        return Err(malformed("a quote inside an unquoted field"));
                    }
                    bytes.push(c);
                    i += 1;
                }
                // A CR ends the line only before the LF, or at the end of the input.
                if matches!(self.buf.get(i), Some(b'\n') | None) && bytes.last() == Some(&b'\r') {
                    bytes.pop();
                }
                if self.lenient {
                    let end = bytes
                        .iter()
                        .rposition(|c| !c.is_ascii_whitespace())
                        .map_or(0, |p| p + 1);
                    let begin = bytes
                        .iter()
                        .position(|c| !c.is_ascii_whitespace())
                        .unwrap_or(end);
                    bytes.truncate(end);
                    bytes.drain(..begin);
                }
            }
            let text = String::from_utf8(std::mem::take(&mut bytes))
                .map_err(|_| malformed("the record is not valid UTF-8"))?;
            fields.push(Field { text, quoted });
            match self.buf.get(i) {
                Some(b',') => i += 1,
                _ => return Ok(Some(start)),
            }
        }
    }
}

/// Whether a string must be quoted to read back as itself.
pub(crate) fn needs_quotes(s: &str) -> bool {
    s.is_empty()
        || s.starts_with([' ', '\t'])
        || s.ends_with([' ', '\t'])
        || s.contains([',', '"', '\n', '\r'])
}

/// Appends `s` to `out` as one CSV field, quoted when it has to be or when `force`.
pub(crate) fn push_field(out: &mut String, s: &str, force: bool) {
    if force || needs_quotes(s) {
        out.push('"');
        for c in s.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        out.push('"');
    } else {
        out.push_str(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, lenient: bool) -> Vec<(u64, Vec<(String, bool)>)> {
        let mut records = Records::new(text.as_bytes(), lenient);
        let mut fields = Vec::new();
        let mut out = Vec::new();
        while let Some(line) = records.next_record(&mut fields).unwrap() {
            out.push((
                line,
                fields.iter().map(|f| (f.text.clone(), f.quoted)).collect(),
            ));
        }
        out
    }

    fn err(text: &str) -> String {
        let mut records = Records::new(text.as_bytes(), false);
        let mut fields = Vec::new();
        loop {
            match records.next_record(&mut fields) {
                Ok(Some(_)) => {}
                Ok(None) => panic!("no error in {text:?}"),
                Err(RecordError::Malformed { line, reason }) => return format!("{line}: {reason}"),
                Err(RecordError::Io(e)) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn prototype_layout() {
        let rows = read(
            "\"1\", \"name\", \"Lenz Therapeutics, Inc\", \"03/22/24\"\n\"1\", \"m\", 100, \"03/01/24\"",
            true,
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].1[2], ("Lenz Therapeutics, Inc".to_string(), true));
        assert_eq!(rows[1].1[2], ("100".to_string(), false));
        assert_eq!(rows[1].0, 2);
    }

    #[test]
    fn quoted_empty_differs_from_empty_and_newlines_span_lines() {
        assert_eq!(
            read("a,b\r", false),
            [(1, vec![("a".into(), false), ("b".into(), false)])]
        );
        let rows = read("a,,\"\"\r\n\"x\ny\",\"q\"\"\"\n\n", false);
        assert_eq!(
            rows,
            [
                (
                    1,
                    vec![("a".into(), false), ("".into(), false), ("".into(), true)]
                ),
                (2, vec![("x\ny".into(), true), ("q\"".into(), true)]),
                (4, vec![("".into(), false)]),
            ]
        );
    }

    #[test]
    fn malformed_records() {
        assert_eq!(err("a,\"b\n"), "1: unterminated quoted field");
        assert_eq!(
            err("a\n\"b\"c\n"),
            "2: unexpected text after a closing quote"
        );
        assert_eq!(err("a\"b\n"), "1: a quote inside an unquoted field");
    }

    #[test]
    fn quoting() {
        let mut s = String::new();
        for (f, force) in [
            ("a", false),
            ("", false),
            ("x,\"y\"", false),
            (" p", false),
            ("n", true),
        ] {
            push_field(&mut s, f, force);
            s.push('|');
        }
        assert_eq!(s, "a|\"\"|\"x,\"\"y\"\"\"|\" p\"|\"n\"|");
    }
}
