//! Fact CSV read in parallel: the input is cut into blocks at record ends, each block is
//! parsed on its own thread into compact facts, then the blocks are typed together.
//!
//! The result is exactly what the one-record-at-a-time reader ([`crate::csv::records`]) gives,
//! errors included: a block boundary is a line end outside quotes, every block knows the
//! line it starts on, and of the blocks that fail, the earliest one's error is returned.
//! Text is not kept as a `String` per value: a value is held as the int, float, date or
//! bool it reads as when that type can give its text back unchanged, else as one
//! `Arc<str>` shared by the equal values of its attribute in the block. The attribute's
//! type over the whole file then turns each into its [`Value`] (see [`crate::facts`]).

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use secmaster_core::{Fact, Value, ValueType};

use crate::csv::record_error;
use crate::facts::{DateFormat, FACT_COLUMNS, ReadOptions, header_indices};
use crate::fx::FxBuild;
use crate::infer::{Fits, parse_as};
use crate::csv::records::{Field, RecordError};
use crate::text::{format_date, parse_bool, parse_date, parse_decimal, parse_int};
use crate::{Error, Location, Result};

/// Bytes read per block unless told otherwise.
const BLOCK: usize = 2 << 20;

/// The UTF-8 byte-order mark spreadsheet exports put before the header.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// A value as read, before its attribute's type is known. The typed forms hold only
/// values whose text the type writes back unchanged, so no text is lost.
#[derive(Debug)]
enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Date(NaiveDate),
    Bool(bool),
    Text(Arc<str>),
}

impl Cell {
    /// The value for an attribute of type `ty`, as typing the text would give it.
    fn into_value(self, ty: ValueType) -> Value {
        match (self, ty) {
            (Cell::Null, _) => Value::Null,
            (Cell::Int(i), ValueType::Int) => Value::Int(i),
            // Both the text and the integer round to the nearest float the same way.
            (Cell::Int(i), ValueType::Float) => Value::Float(i as f64),
            (Cell::Float(x), ValueType::Float) => Value::Float(x),
            (Cell::Date(d), ValueType::Date) => Value::Date(d),
            (Cell::Bool(b), ValueType::Bool) => Value::Bool(b),
            (Cell::Text(s), ValueType::Str) => Value::Str(s),
            (Cell::Text(s), ty) => parse_as(&s, ty).unwrap_or(Value::Str(s)),
            (cell, ty) => {
                let text = match cell {
                    Cell::Int(i) => i.to_string(),
                    Cell::Float(x) => format!("{x:?}"),
                    Cell::Date(d) => format_date(d),
                    Cell::Bool(b) => b.to_string(),
                    Cell::Null | Cell::Text(_) => unreachable!("matched above"),
                };
                parse_as(&text, ty).unwrap_or_else(|| Value::from(text))
            }
        }
    }
}

/// One fact of a block, its attribute an index into the block's attributes.
struct Compact {
    id: i64,
    date: NaiveDate,
    attribute: u32,
    cell: Cell,
}

/// An attribute as seen in one block.
struct BlockAttribute {
    name: Box<str>,
    fits: Fits,
    /// The type of the master's column, and whether every text seen fits it.
    known: Option<(ValueType, bool)>,
    strings: HashSet<Arc<str>, FxBuild>,
}

/// What parsing a block gave: its facts up to the first error, and that error.
#[derive(Default)]
struct Block {
    facts: Vec<Compact>,
    attributes: Vec<BlockAttribute>,
    error: Option<Error>,
}

/// What every block is parsed with.
struct Context<'a> {
    name: &'a Path,
    options: &'a ReadOptions,
    known: HashMap<&'a str, ValueType>,
    /// The positions of the four fact columns in a record, and the record width.
    indices: Vec<usize>,
    width: usize,
}

/// One field of a record: its unquoted, unescaped text, in the scratch buffer or the
/// block (see [`Source`]).
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    quoted: bool,
}

/// Where the spans of a record point.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// The scratch buffer: the record's fields unquoted into it.
    Scratch,
    /// The block itself: a record without quotes, in a block of UTF-8.
    Block,
}

/// The records of a block, with the rules of [`crate::csv::records::Records`] in lenient mode.
struct SliceRecords<'a> {
    data: &'a [u8],
    /// The block as text, when it is UTF-8: then its fields need no check of their own,
    /// and a record without quotes is read in place.
    text: Option<&'a str>,
    pos: usize,
    /// The lines consumed so far, counted from the line before the block.
    line: u64,
}

impl<'a> SliceRecords<'a> {
    fn new(data: &'a [u8], lines: u64) -> SliceRecords<'a> {
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
    fn text<'s>(&self, scratch: &'s [u8], source: Source) -> &'s str
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
    fn next_record(
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

/// Cuts the input into blocks that end at a record's end.
struct Splitter<R> {
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
    fn new(input: R, block: usize) -> Splitter<R> {
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
    fn next_block(&mut self) -> std::io::Result<Option<(u64, Vec<u8>)>> {
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

impl Context<'_> {
    fn invalid(&self, line: u64, column: &str, expected: String, found: &str) -> Error {
        Error::invalid_value(self.name, Location::Line(line), column, expected, found)
    }

    /// Parses the records of a block from `records`' position on.
    fn parse(&self, mut records: SliceRecords<'_>, dates: &mut Option<DateFormat>) -> Block {
        let mut block = Block {
            facts: Vec::with_capacity(records.data.len() / 40),
            ..Block::default()
        };
        let mut index: HashMap<Box<str>, u32, FxBuild> = HashMap::default();
        let mut scratch = Vec::new();
        let mut fields = Vec::new();
        let mut float_text = String::new();
        let err = record_error(self.name);
        loop {
            let (line, source) = match records.next_record(&mut scratch, &mut fields) {
                Ok(Some(record)) => record,
                Ok(None) => break,
                Err(e) => {
                    block.error = Some(err(e));
                    break;
                }
            };
            match self.fact(line, records.text(&scratch, source), &fields, dates) {
                Ok((id, attribute, value, date)) => {
                    let a = match index.get(attribute) {
                        Some(&a) => a,
                        None => {
                            let a = block.attributes.len() as u32;
                            block.attributes.push(BlockAttribute {
                                name: attribute.into(),
                                fits: Fits::default(),
                                known: self.known.get(attribute).map(|&t| (t, true)),
                                strings: HashSet::default(),
                            });
                            index.insert(attribute.into(), a);
                            a
                        }
                    };
                    let attr = &mut block.attributes[a as usize];
                    let cell = match value {
                        None => Cell::Null,
                        Some(t) => cell(t, attr, &mut float_text),
                    };
                    block.facts.push(Compact {
                        id,
                        date,
                        attribute: a,
                        cell,
                    });
                }
                Err(e) => {
                    block.error = Some(e);
                    break;
                }
            }
        }
        block
    }

    /// The checked parts of one record: id, attribute, value text (`None`: empty, a
    /// retraction) and date.
    fn fact<'s>(
        &self,
        line: u64,
        record: &'s str,
        fields: &[Span],
        dates: &mut Option<DateFormat>,
    ) -> Result<(i64, &'s str, Option<&'s str>, NaiveDate)> {
        if fields.len() != self.width {
            return Err(Error::RaggedRow {
                path: self.name.to_path_buf(),
                location: Location::Line(line),
                expected: self.width,
                found: fields.len(),
            });
        }
        let f = |k: usize| {
            let span = fields[self.indices[k]];
            &record[span.start..span.end]
        };
        let id = f(0).parse::<i64>().map_err(|_| {
            self.invalid(
                line,
                "security_id",
                "an integer security id".to_string(),
                f(0),
            )
        })?;
        let attribute = f(1);
        if attribute.is_empty() {
            return Err(self.invalid(line, "attribute", "an attribute name".to_string(), ""));
        }
        let date_text = f(3);
        if dates.is_none() {
            *dates = DateFormat::pick(self.options, date_text);
        }
        let date = dates
            .as_ref()
            .and_then(|d| d.parse(date_text))
            .ok_or_else(|| {
                self.invalid(
                    line,
                    "effective_date",
                    DateFormat::expected(dates.as_ref()),
                    date_text,
                )
            })?;
        let value = f(2);
        Ok((id, attribute, (!value.is_empty()).then_some(value), date))
    }
}

/// Narrows `attr`'s types by the text `t` and holds it in the most compact form that
/// gives the text back.
fn cell(t: &str, attr: &mut BlockAttribute, float_text: &mut String) -> Cell {
    if let Some((ty, fits)) = &mut attr.known {
        *fits = *fits && parse_as(t, *ty).is_some();
    }
    if attr.fits.is_str() && attr.known.is_none() {
        return Cell::Text(intern(&mut attr.strings, t));
    }
    if let Some(i) = parse_int(t) {
        attr.fits.add_int();
        return Cell::Int(i);
    }
    let decimal = parse_decimal(t);
    let integral = !t.contains(['.', 'e', 'E']);
    let date = parse_date(t);
    let boolean = parse_bool(t);
    // (An integral decimal is an integer beyond 64 bits: text, not a float.)
    attr.fits.narrow(
        false,
        decimal.is_some() && !integral,
        date.is_some(),
        boolean.is_some(),
    );
    if let (Some(x), false) = (decimal, integral) {
        float_text.clear();
        write!(float_text, "{x:?}").expect("writing to a string");
        if float_text == t {
            return Cell::Float(x);
        }
    }
    match (date, boolean) {
        (Some(d), _) if t.len() == 10 => Cell::Date(d),
        (_, Some(b)) if t == "true" || t == "false" => Cell::Bool(b),
        _ => Cell::Text(intern(&mut attr.strings, t)),
    }
}

fn intern(strings: &mut HashSet<Arc<str>, FxBuild>, t: &str) -> Arc<str> {
    if let Some(s) = strings.get(t) {
        return s.clone();
    }
    let s: Arc<str> = Arc::from(t);
    strings.insert(s.clone());
    s
}

/// Reads the facts of a CSV input; see [`crate::facts`] for the layouts and the typing.
pub(crate) fn read(input: impl Read, name: &Path, options: &ReadOptions) -> Result<TypedFacts> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    read_in_blocks(input, name, options, BLOCK, threads)
}

/// [`read`] with blocks of about `block` bytes, parsed on `threads` threads (none besides
/// this one if 1).
fn read_in_blocks(
    input: impl Read,
    name: &Path,
    options: &ReadOptions,
    block: usize,
    threads: usize,
) -> Result<TypedFacts> {
    let read_error = |source| Error::Read {
        path: name.to_path_buf(),
        source,
    };
    let mut splitter = Splitter::new(input, block);
    let Some((lines, first)) = splitter.next_block().map_err(read_error)? else {
        return finish(Vec::new(), &HashMap::new());
    };
    // The header, or the first record when it has none.
    let mut records = SliceRecords::new(&first, lines);
    let mut scratch = Vec::new();
    let mut spans = Vec::new();
    let Some((first_line, source)) = records
        .next_record(&mut scratch, &mut spans)
        .map_err(record_error(name))?
    else {
        return finish(Vec::new(), &HashMap::new());
    };
    let fields: Vec<Field> = spans
        .iter()
        .map(|&s| Field {
            text: records.text(&scratch, source)[s.start..s.end].to_string(),
            quoted: s.quoted,
        })
        .collect();
    let headerless = fields
        .first()
        .is_some_and(|f| f.text.parse::<i64>().is_ok());
    let (indices, width) = if headerless {
        ((0..FACT_COLUMNS.len()).collect(), FACT_COLUMNS.len())
    } else {
        (
            header_indices(&fields, &FACT_COLUMNS, name, first_line)?,
            fields.len(),
        )
    };
    if headerless {
        records = SliceRecords::new(&first, lines);
    }
    let context = Context {
        name,
        options,
        known: options
            .columns()
            .iter()
            .filter_map(|c| Some((c.name(), c.value_type()?)))
            .collect(),
        indices,
        width,
    };

    // The first record with a date sets the date layout, so blocks are parsed in order
    // until one has; the rest can then go in parallel.
    let mut dates: Option<DateFormat> = None;
    let mut blocks = vec![context.parse(records, &mut dates)];
    drop(first);
    while blocks.last().is_some_and(|b| b.error.is_none()) && dates.is_none() {
        let Some((lines, data)) = splitter.next_block().map_err(read_error)? else {
            break;
        };
        let records = SliceRecords::new(&data, lines);
        blocks.push(context.parse(records, &mut dates));
    }
    if blocks.last().is_some_and(|b| b.error.is_none()) {
        blocks.extend(parse_in_parallel(
            &context,
            splitter,
            dates.as_ref(),
            threads,
        )?);
    }
    finish(blocks, &context.known)
}

/// Parses the remaining blocks on every core, in the order they come. This thread reads
/// and cuts the input; only the blocks cross to the workers.
fn parse_in_parallel<R: Read>(
    context: &Context<'_>,
    mut splitter: Splitter<R>,
    dates: Option<&DateFormat>,
    threads: usize,
) -> Result<Vec<Block>> {
    let mut done: Vec<(usize, Block)> = Vec::new();
    let parse = |data: &[u8], lines: u64| {
        let records = SliceRecords::new(data, lines);
        context.parse(records, &mut dates.cloned())
    };
    if threads == 1 {
        while let Some((lines, data)) = splitter.next_block().map_err(|source| Error::Read {
            path: context.name.to_path_buf(),
            source,
        })? {
            let block = parse(&data, lines);
            let failed = block.error.is_some();
            done.push((done.len(), block));
            if failed {
                break;
            }
        }
        return Ok(done.into_iter().map(|(_, b)| b).collect());
    }
    // The earliest block that failed: later ones need not be read.
    let failed = AtomicUsize::new(usize::MAX);
    let results: Mutex<Vec<(usize, Block)>> = Mutex::new(Vec::new());
    let (send, receive) = std::sync::mpsc::sync_channel::<(usize, u64, Vec<u8>)>(threads);
    let receive = Mutex::new(receive);
    let read_result = std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let next = receive.lock().expect("no worker panics").recv();
                    let Ok((seq, lines, data)) = next else {
                        return;
                    };
                    if seq > failed.load(Ordering::Relaxed) {
                        continue;
                    }
                    let block = parse(&data, lines);
                    drop(data);
                    if block.error.is_some() {
                        failed.fetch_min(seq, Ordering::Relaxed);
                    }
                    results.lock().expect("no worker panics").push((seq, block));
                }
            });
        }
        let mut seq = 0;
        let outcome = loop {
            if seq > failed.load(Ordering::Relaxed) {
                break Ok(());
            }
            match splitter.next_block() {
                Ok(Some((lines, data))) => {
                    if send.send((seq, lines, data)).is_err() {
                        break Ok(());
                    }
                    seq += 1;
                }
                Ok(None) => break Ok(()),
                Err(source) => break Err((seq, source)),
            }
        };
        drop(send);
        outcome
    });
    done = results.into_inner().expect("no worker panics");
    if let Err((seq, source)) = read_result {
        done.push((
            seq,
            Block {
                error: Some(Error::Read {
                    path: context.name.to_path_buf(),
                    source,
                }),
                ..Block::default()
            },
        ));
    }
    done.sort_unstable_by_key(|&(seq, _)| seq);
    Ok(done.into_iter().map(|(_, b)| b).collect())
}

/// Types every attribute over all blocks, keeping the facts in their compact form; or
/// the earliest block's error.
fn finish(blocks: Vec<Block>, known: &HashMap<&str, ValueType>) -> Result<TypedFacts> {
    struct Attribute {
        name: Arc<str>,
        fits: Fits,
        known: Option<(ValueType, bool)>,
    }
    if blocks.iter().any(|b| b.error.is_some()) {
        let first = blocks.into_iter().find_map(|b| b.error);
        return Err(first.expect("one block failed"));
    }
    let mut attributes: Vec<Attribute> = Vec::new();
    let mut index: HashMap<Box<str>, usize> = HashMap::new();
    let mut typed = Vec::with_capacity(blocks.len());
    let mut total = 0;
    for block in blocks {
        total += block.facts.len();
        let map = block
            .attributes
            .into_iter()
            .map(|b| {
                let a = *index.entry(b.name.clone()).or_insert_with(|| {
                    attributes.push(Attribute {
                        name: Arc::from(&*b.name),
                        fits: Fits::default(),
                        known: known.get(&*b.name).map(|&t| (t, true)),
                    });
                    attributes.len() - 1
                });
                let attr = &mut attributes[a];
                attr.fits.merge(&b.fits);
                if let (Some((_, all)), Some((_, fits))) = (&mut attr.known, &b.known) {
                    *all = *all && *fits;
                }
                a
            })
            .collect();
        typed.push((block.facts, map));
    }
    let types = attributes
        .iter()
        .map(|a| match a.known {
            Some((ty, true)) => ty,
            _ => a.fits.narrowest().unwrap_or(ValueType::Str),
        })
        .collect();
    Ok(TypedFacts {
        names: attributes.into_iter().map(|a| a.name).collect(),
        types,
        blocks: typed.into_iter(),
        current: Vec::new().into_iter(),
        map: Vec::new(),
        remaining: total,
    })
}

/// The facts of a CSV input in file order, each typed as it is taken from its compact
/// form; a block's memory goes as its last fact is taken.
pub(crate) struct TypedFacts {
    /// One shared name per attribute (the core finds an attribute by its name's address).
    names: Vec<Arc<str>>,
    types: Vec<ValueType>,
    blocks: std::vec::IntoIter<(Vec<Compact>, Vec<usize>)>,
    current: std::vec::IntoIter<Compact>,
    /// The current block's attributes in `names`.
    map: Vec<usize>,
    remaining: usize,
}

impl TypedFacts {
    /// At most `n` parts of consecutive blocks with about as many facts each, in order,
    /// each with names of its own.
    pub(crate) fn into_parts(self, n: usize) -> Vec<TypedFacts> {
        let mut parts = Vec::with_capacity(n);
        let size = self.remaining.div_ceil(n.max(1)).max(1);
        let names = self.names;
        let part = |current: std::vec::IntoIter<Compact>,
                    map: Vec<usize>,
                    blocks: Vec<(Vec<Compact>, Vec<usize>)>| {
            let remaining = current.len() + blocks.iter().map(|b| b.0.len()).sum::<usize>();
            TypedFacts {
                names: names.iter().map(|n| Arc::from(&**n)).collect(),
                types: self.types.clone(),
                blocks: blocks.into_iter(),
                current,
                map,
                remaining,
            }
        };
        // The first part starts with what is left of the current block.
        let (mut current, mut map) = (self.current, self.map);
        let mut count = current.len();
        let mut blocks = Vec::new();
        for block in self.blocks {
            if count >= size && parts.len() + 1 < n {
                parts.push(part(current, map, std::mem::take(&mut blocks)));
                (current, map, count) = (Vec::new().into_iter(), Vec::new(), 0);
            }
            count += block.0.len();
            blocks.push(block);
        }
        parts.push(part(current, map, blocks));
        parts
    }
}

impl Iterator for TypedFacts {
    type Item = Fact;

    fn next(&mut self) -> Option<Fact> {
        loop {
            if let Some(c) = self.current.next() {
                self.remaining -= 1;
                let a = self.map[c.attribute as usize];
                let value = c.cell.into_value(self.types[a]);
                return Some(Fact::new(c.id, self.names[a].clone(), value, c.date));
            }
            let (facts, map) = self.blocks.next()?;
            self.current = facts.into_iter();
            self.map = map;
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for TypedFacts {}

#[cfg(test)]
mod tests {
    use secmaster_core::Column;

    use super::*;

    /// The facts and the error of the one-record-at-a-time reader, as strings.
    fn oracle(text: &str, options: &ReadOptions) -> String {
        outcome(
            crate::facts::read_csv_by_records(text.as_bytes(), Path::new("f.csv"), options)
                .map(Vec::into_iter),
        )
    }

    fn outcome(result: Result<impl Iterator<Item = Fact>>) -> String {
        match result {
            Ok(facts) => facts.map(|f| format!("{f} {:?}\n", f.value())).collect(),
            Err(e) => e.to_string(),
        }
    }

    fn check(text: &str, options: &ReadOptions) {
        let expected = oracle(text, options);
        for (block, threads) in [(1, 2), (7, 1), (7, 3), (64, 2), (1000, 2), (BLOCK, 2)] {
            let got = outcome(read_in_blocks(
                text.as_bytes(),
                Path::new("f.csv"),
                options,
                block,
                threads,
            ));
            if got != expected {
                let (n, (g, e)) = got
                    .lines()
                    .zip(expected.lines())
                    .enumerate()
                    .find(|(_, (g, e))| g != e)
                    .unwrap_or((0, ("", "")));
                panic!(
                    "blocks of {block} bytes on {threads} threads: fact {n}: got {g:?}, expected {e:?} ({} vs {} facts)",
                    got.lines().count(),
                    expected.lines().count()
                );
            }
        }
    }

    /// A trail with quoted commas, quotes and line ends, blank lines, CRLF, a BOM, spaces
    /// around fields, and values of every kind, including ones whose text a type would
    /// not give back (`1.50`, `TRUE`, `0001-01-01`…). Attribute `s` is text; the others
    /// keep one type unless `odd` puts a value of another kind in.
    fn tricky(rows: usize, odd: bool) -> String {
        let families: [(&str, &[&str]); 5] = [
            ("i", &["42", "-7", "0", "9223372036854775807", ""]),
            ("f", &["1.5", "1.50", "2.5e3", "1e300", "-0.25", "3", "0.1"]),
            (
                "d",
                &["2024-03-22", "0001-01-01", "+12345-03-22", "1999-12-31"],
            ),
            ("b", &["true", "TRUE", "false", "False"]),
            (
                "s",
                &[
                    "\"\"",
                    "\"a, b\"",
                    "\"say \"\"hi\"\"\"",
                    "\"two\nlines\"",
                    "Zürich",
                    "007",
                    "+1",
                    "NaN",
                    " x ",
                    "99999999999999999999",
                    "\"3\"",
                ],
            ),
        ];
        let mut seed = 12345u64;
        let mut text = String::from("\u{feff}security_id, attribute ,value,effective_date\r\n");
        for i in 0..rows {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let (attribute, values) = families[i % families.len()];
            let mut value = values[(seed >> 33) as usize % values.len()];
            if odd && i == rows - 3 {
                value = "oops";
            }
            text.push_str(&format!(
                "{}, {attribute},{value}, 2024-01-{:02}",
                i % 13,
                1 + i % 28
            ));
            text.push_str(if i % 5 == 0 { "\r\n" } else { "\n" });
            if i % 17 == 0 {
                text.push_str("  \n");
            }
        }
        text
    }

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

    #[test]
    fn blocks_read_as_records_do() {
        check(&tricky(500, false), &ReadOptions::default());
        check(&tricky(500, true), &ReadOptions::default());
        check("", &ReadOptions::default());
        check(
            "security_id,attribute,value,effective_date\n",
            &ReadOptions::default(),
        );
        check(
            "\"1\", \"n\", \"A, Inc\", \"03/22/24\"\n1,m,5,03/23/24",
            &ReadOptions::default(),
        );
        // Attributes that are ints in some blocks and floats or text in others.
        let mixed: String = (0..300)
            .map(|i| format!("{i},x,{},2024-01-01\n", if i == 290 { "1.5" } else { "3" }))
            .collect();
        check(&mixed, &ReadOptions::default());
        check(&mixed.replace("1.5", "abc"), &ReadOptions::default());
        let options = ReadOptions::default().with_columns([
            Column::new("i", Some(ValueType::Str)),
            Column::new("f", Some(ValueType::Float)),
            Column::new("b", Some(ValueType::Int)),
        ]);
        check(&tricky(300, false), &options);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        /// Records with and without quotes, padded fields, CRLF, blank lines and bad
        /// fields, in blocks of every size: read exactly as the record reader reads them,
        /// errors included.
        #[test]
        fn any_records_read_as_records_do(
            rows in proptest::collection::vec(
                (0..5usize, 0..5usize, 0..9usize, 0..5usize, 0..4usize, 0..6usize),
                0..12,
            )
        ) {
            const IDS: [&str; 5] = ["1", " 2 ", "\t3", "\"4\"", "x"];
            const ATTRIBUTES: [&str; 5] = ["a", " b ", "\"c\"", "d\t", ""];
            const VALUES: [&str; 9] =
                ["3", "1.5", "\"x, y\"", "\"q\"\"\"", "z ", "", "\"two\nlines\"", "a\"b", "2024-01-01"];
            const DATES: [&str; 5] = ["2024-01-01", " 2024-01-02 ", "2024-01-03\r", "bad", "\"2024-01-04\""];
            const ENDS: [&str; 4] = ["\n", "\r\n", "\n  \n", ",extra\n"];
            let mut text = String::from("security_id,attribute,value,effective_date\n");
            for (i, a, v, d, end, header) in rows {
                if header == 0 {
                    text.clear(); // no header: the first record is data
                }
                text.push_str(&[IDS[i], ATTRIBUTES[a], VALUES[v], DATES[d]].join(","));
                text.push_str(ENDS[end]);
            }
            check(&text, &ReadOptions::default());
        }
    }

    #[test]
    fn parts_hold_the_facts_in_order() {
        let text = tricky(500, false);
        let expected = oracle(&text, &ReadOptions::default());
        for block in [7, 64, 1000] {
            for n in 1..5 {
                let facts = read_in_blocks(
                    text.as_bytes(),
                    Path::new("f.csv"),
                    &ReadOptions::default(),
                    block,
                    2,
                )
                .unwrap();
                let parts = facts.into_parts(n);
                assert!(parts.len() <= n);
                let sizes: Vec<usize> = parts.iter().map(|p| p.len()).collect();
                let got = outcome(Ok(parts.into_iter().flatten()));
                assert_eq!(
                    got, expected,
                    "blocks of {block} bytes in {n} parts {sizes:?}"
                );
            }
        }
    }

    #[test]
    fn the_earliest_error_wins() {
        let good = tricky(200, false);
        for bad in [
            "1,a,b\n",
            "x,a,b,2024-01-01\n",
            "1,,b,2024-01-01\n",
            "1,a,b,2024-13-01\n",
            "1,a,\"b\"c,2024-01-01\n",
            "1,a,b\"c,2024-01-01\n",
            "1,a,\"b,2024-01-01\n",
        ] {
            check(&format!("{good}{bad}{good}{bad}"), &ReadOptions::default());
        }
        let mut invalid = tricky(100, false).into_bytes();
        invalid.extend_from_slice(b"1,a,\xff,2024-01-01\n");
        let expected = crate::facts::read_csv_by_records(
            &invalid[..],
            Path::new("f.csv"),
            &ReadOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(expected.ends_with("the record is not valid UTF-8"));
        for (block, threads) in [(1, 1), (1, 2), (64, 2), (BLOCK, 2)] {
            let got = read_in_blocks(
                &invalid[..],
                Path::new("f.csv"),
                &ReadOptions::default(),
                block,
                threads,
            );
            assert_eq!(got.err().map(|e| e.to_string()), Some(expected.clone()));
        }
    }
}
