//! Fact CSV read in parallel: the input is cut into blocks at record ends (`split`), each
//! block is parsed on rayon's threads into compact facts (`parse`, reading its records in
//! memory with `slice`, each value held as a `cell`), then the blocks are typed together
//! (`typed`).
//!
//! The result is exactly what the one-record-at-a-time reader ([`crate::csv::records`])
//! gives, errors included: a block boundary is a line end outside quotes, every block knows
//! the line it starts on, and of the blocks that fail, the earliest one's error is
//! returned. Text is not kept as a `String` per value: a value is held as the int, float,
//! date or bool it reads as when that type can give its text back unchanged, else as one
//! `Arc<str>` shared by the equal values of its attribute in the block. The attribute's
//! type over the whole file then turns each into its [`Value`](secmaster_core::Value) (see
//! [`crate::facts`]).

pub(crate) mod arrow;
mod cell;
mod parse;
mod slice;
mod split;
mod typed;

use std::collections::HashMap;
use std::io::Read;
use std::ops::ControlFlow;
use std::path::Path;

use crate::csv::record_error;
use crate::csv::records::Field;
use crate::facts::{DateFormat, FACT_COLUMNS, ReadOptions, header_indices};
use crate::{Error, Result, parallel};
use parse::{Block, Context};
use slice::SliceRecords;
use split::Splitter;
pub(crate) use typed::TypedFacts;
use typed::finish;

/// Bytes read per block unless told otherwise.
const BLOCK: usize = 2 << 20;

/// Reads the facts of a CSV input; see [`crate::facts`] for the layouts and the typing.
/// Blocks are parsed on rayon's threads, at most two per thread under way, and on no more
/// than 8 threads: one thread reads and cuts the input for all of them.
pub(crate) fn read(input: impl Read, name: &Path, options: &ReadOptions) -> Result<TypedFacts> {
    let threads = rayon::current_num_threads().min(8);
    read_in_blocks(input, name, options, BLOCK, 2 * threads)
}

/// [`read`] with blocks of about `block` bytes, at most `depth` parsed at a time.
pub(crate) fn read_in_blocks(
    input: impl Read,
    name: &Path,
    options: &ReadOptions,
    block: usize,
    depth: usize,
) -> Result<TypedFacts> {
    let read_error = |source| Error::Read {
        path: name.to_path_buf(),
        source,
    };
    let mut splitter = Splitter::new(input, block);
    // The header, or the first record when it has none: in the first block that holds a
    // record (a block may hold only blank lines).
    let mut scratch = Vec::new();
    let mut spans = Vec::new();
    let (lines, first, first_line, fields) = loop {
        let Some((lines, first)) = splitter.next_block().map_err(read_error)? else {
            return finish(Vec::new(), &HashMap::new());
        };
        let mut records = SliceRecords::new(&first, lines);
        if let Some((first_line, source)) = records
            .next_record(&mut scratch, &mut spans)
            .map_err(record_error(name))?
        {
            let fields: Vec<Field> = spans
                .iter()
                .map(|&s| Field {
                    text: records.text(&scratch, source)[s.start..s.end].to_string(),
                    quoted: s.quoted,
                })
                .collect();
            break (lines, first, first_line, fields);
        }
    };
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
    // The records from the first block's start, past its header if it has one.
    let mut records = SliceRecords::new(&first, lines);
    if !headerless {
        records
            .next_record(&mut scratch, &mut spans)
            .map_err(record_error(name))?;
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
            depth,
        )?);
    }
    finish(blocks, &context.known)
}

/// Parses the remaining blocks on rayon's threads while this thread reads and cuts the
/// input, at most `depth` blocks under way (see [`crate::parallel`]); only the blocks
/// cross to the pool. Stops at the first block that fails: later ones need not be read.
fn parse_in_parallel<R: Read>(
    context: &Context<'_>,
    mut splitter: Splitter<R>,
    dates: Option<&DateFormat>,
    depth: usize,
) -> Result<Vec<Block>> {
    let mut done: Vec<Block> = Vec::new();
    let mut reading = true;
    parallel::ordered(
        depth,
        || {
            // A read error is the last item: it stands where its block would.
            if !reading {
                return None;
            }
            let block = splitter.next_block().transpose()?;
            reading = block.is_ok();
            Some(block)
        },
        |block| match block {
            Ok((lines, data)) => {
                context.parse(SliceRecords::new(&data, lines), &mut dates.cloned())
            }
            Err(source) => Block {
                error: Some(Error::Read {
                    path: context.name.to_path_buf(),
                    source,
                }),
                ..Block::default()
            },
        },
        |block| {
            let failed = block.error.is_some();
            done.push(block);
            if failed {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        },
    );
    Ok(done)
}

#[cfg(test)]
mod tests {
    use secmaster_core::{Column, Fact, ValueType};

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
        for (block, depth) in [(1, 2), (7, 1), (7, 3), (64, 2), (1000, 2), (BLOCK, 2)] {
            let got = outcome(read_in_blocks(
                text.as_bytes(),
                Path::new("f.csv"),
                options,
                block,
                depth,
            ));
            if got != expected {
                let (n, (g, e)) = got
                    .lines()
                    .zip(expected.lines())
                    .enumerate()
                    .find(|(_, (g, e))| g != e)
                    .unwrap_or((0, ("", "")));
                panic!(
                    "blocks of {block} bytes {depth} at a time: fact {n}: got {g:?}, expected {e:?} ({} vs {} facts)",
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

    /// Text facts as Arrow columns read as the same text in a CSV file is, facts and
    /// types alike, in slices of any size: the batches are the CSV's records.
    #[test]
    fn arrow_text_columns_read_as_csv_text_does() {
        use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
        use std::sync::Arc;
        let text = tricky(3000, false);
        let options = ReadOptions::default();
        let mut columns: [Vec<String>; 4] = Default::default();
        crate::facts::csv_rows(
            text.as_bytes(),
            Path::new("f.csv"),
            &FACT_COLUMNS,
            |_, f| {
                for (c, field) in columns.iter_mut().zip(f) {
                    c.push(field.text.clone());
                }
                Ok(())
            },
        )
        .unwrap();
        let ids: Int64Array = columns[0].iter().map(|t| t.parse::<i64>().ok()).collect();
        let text_column = |c: &[String]| -> ArrayRef { Arc::new(StringArray::from_iter_values(c)) };
        let batch = RecordBatch::try_from_iter([
            ("security_id", Arc::new(ids) as ArrayRef),
            ("attribute", text_column(&columns[1])),
            ("value", text_column(&columns[2])),
            ("effective_date", text_column(&columns[3])),
        ])
        .unwrap();
        let expected = oracle(&text, &options);
        for rows in [1000, 3000] {
            let batches: Vec<RecordBatch> = (0..batch.num_rows())
                .step_by(rows)
                .map(|at| batch.slice(at, rows.min(batch.num_rows() - at)))
                .collect();
            let facts = arrow::read(&batch.schema(), &batches, Path::new("f.csv"), &options)
                .unwrap()
                .expect("text columns take the fast path");
            assert_eq!(outcome(Ok(facts)), expected, "batches of {rows}");
        }
    }

    /// Found by the `fact_csv` fuzz target: a first block of blank lines only ended the
    /// read, and the rest of the file was silently dropped.
    #[test]
    fn a_first_block_of_blank_lines_does_not_end_the_read() {
        let options = ReadOptions::default();
        check("\n\n\n\n\n\n\n\n\n1,ticker,LENZ,2024-03-22\n", &options);
        check(
            "\r\n\n\nsecurity_id,attribute,value,effective_date\n1,t,x,2024-01-01\n",
            &options,
        );
        check(
            "\n\"2\", \"m\", 5x\" \u{a4}4,\"\n\"2\", \"m\", 5\" 4,, \"03/17/23\"",
            &options,
        );
        let facts = read_in_blocks(
            &b"\n\n\n\n\n1,t,x,2024-01-01\n"[..],
            Path::new("f.csv"),
            &options,
            1,
            1,
        );
        assert_eq!(facts.unwrap().count(), 1);
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

    /// Called from a task of a pool of one thread, alone or nested in other work, the
    /// reader neither deadlocks nor changes its result (`RAYON_NUM_THREADS=1 cargo test`
    /// covers a caller outside a pool of one).
    #[test]
    fn one_thread_reads_as_many_do() {
        let text = tricky(500, false);
        let expected = oracle(&text, &ReadOptions::default());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let read = || {
            outcome(read_in_blocks(
                text.as_bytes(),
                Path::new("f.csv"),
                &ReadOptions::default(),
                64,
                3,
            ))
        };
        assert_eq!(pool.install(read), expected);
        assert_eq!(
            pool.install(|| rayon::join(read, read)),
            (expected.clone(), expected.clone())
        );
    }

    /// Input that fails to read past `fail_at` bytes.
    struct Failing<'a> {
        data: &'a [u8],
        fail_at: usize,
    }

    impl Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.fail_at == 0 {
                return Err(std::io::Error::other("the disk went away"));
            }
            let n = buf.len().min(self.fail_at).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            self.fail_at -= n;
            Ok(n)
        }
    }

    /// A read error stands where its block would: after the errors of earlier blocks,
    /// before those of later ones.
    #[test]
    fn a_read_error_stands_where_its_block_would() {
        let good = tricky(400, false);
        let bad = format!("{good}1,a,b\n{good}");
        let read = |text: &str, fail_at: usize, depth: usize| {
            let input = Failing {
                data: text.as_bytes(),
                fail_at,
            };
            read_in_blocks(
                input,
                Path::new("f.csv"),
                &ReadOptions::default(),
                64,
                depth,
            )
            .err()
            .map(|e| {
                (
                    e.to_string(),
                    std::error::Error::source(&e).map(ToString::to_string),
                )
            })
        };
        let read_error = Some((
            "cannot read `f.csv`".to_string(),
            Some("the disk went away".to_string()),
        ));
        let ragged = oracle(&bad, &ReadOptions::default());
        assert!(ragged.ends_with("expected 4 fields, found 3"), "{ragged}");
        for depth in [1, 2, 5] {
            assert_eq!(read(&good, good.len() / 2, depth), read_error);
            assert_eq!(read(&good, good.len() + 1, depth), None);
            assert_eq!(
                read(&bad, bad.len() - 100, depth).map(|e| e.0),
                Some(ragged.clone())
            );
            assert_eq!(read(&bad, good.len() / 2, depth), read_error);
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
        for (block, depth) in [(1, 1), (1, 2), (64, 2), (BLOCK, 2)] {
            let got = read_in_blocks(
                &invalid[..],
                Path::new("f.csv"),
                &ReadOptions::default(),
                block,
                depth,
            );
            assert_eq!(got.err().map(|e| e.to_string()), Some(expected.clone()));
        }
    }
}
