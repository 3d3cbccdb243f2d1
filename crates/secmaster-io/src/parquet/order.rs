//! The column order of float columns in the footer: the one DuckDB, pyarrow and Polars
//! read, so that they use our files' float statistics.
//!
//! parquet's writer (60.x) declares every float column `IEEE_754_TOTAL_ORDER`, an order
//! added to the format in 2025 that those readers do not know yet: they ignore the
//! statistics of such a column, and a filter on it skips no row group. The order they know
//! for floats is `TYPE_DEFINED_ORDER` (signed comparison, NaN never a bound), which our
//! statistics already obey: a NaN is a bound only of a chunk or page of NaNs alone, as
//! under both orders.
//!
//! The writer offers no choice, so [`Tail`] holds back the last bytes of the file — the
//! footer's `column_orders` list, one empty union per column, is the last field of the
//! `FileMetaData` struct — and [`Tail::finish`] rewrites each float column's entry from
//! the union's field 2 (`IEEE_754_TOTAL_ORDER`) to field 1 (`TYPE_ORDER`). Both are one
//! byte of Thrift's compact protocol, so nothing else moves. The bytes are checked to be
//! exactly that list first; anything else is written as it is.

use std::io::{self, Write};

/// A list's compact-protocol header element type: struct.
const STRUCT: u8 = 0x0C;
/// The entry of a column ordered by `TYPE_ORDER` (union field 1, an empty struct).
const TYPE_ORDER: [u8; 3] = [0x1C, 0x00, 0x00];
/// The entry of a column ordered by `IEEE_754_TOTAL_ORDER` (union field 2).
const IEEE_754_TOTAL_ORDER: [u8; 3] = [0x2C, 0x00, 0x00];

/// A writer that passes on all but the last bytes it is given, which [`Tail::finish`]
/// patches and writes.
#[derive(Debug)]
pub(super) struct Tail<W> {
    inner: W,
    held: Vec<u8>,
    keep: usize,
    floats: Vec<bool>,
}

impl<W: Write> Tail<W> {
    /// Holds back enough of the file written to `inner` to rewrite the orders of its
    /// columns, `floats` telling which are float columns.
    pub(super) fn new(inner: W, floats: Vec<bool>) -> Tail<W> {
        Tail {
            inner,
            held: Vec::new(),
            // The list, its header, the struct's end, the footer's length and magic.
            keep: 3 * floats.len() + 32,
            floats,
        }
    }

    /// Patches the footer held back (if it is what a footer ends with) and writes it.
    pub(super) fn finish(mut self) -> io::Result<W> {
        patch(&mut self.held, &self.floats);
        self.inner.write_all(&self.held)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for Tail<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.held.extend_from_slice(buf);
        // Passed on in pieces of at least `keep` bytes, so each byte moves at most twice.
        if self.held.len() >= 2 * self.keep.max(1 << 16) {
            let n = self.held.len() - self.keep;
            self.inner.write_all(&self.held[..n])?;
            self.held.drain(..n);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // The held bytes stay held: the footer may still come.
        self.inner.flush()
    }
}

/// Rewrites the float columns' entries of the `column_orders` list that ends `file` (the
/// last bytes of a Parquet file), if it ends with one of `floats.len()` entries.
pub(super) fn patch(file: &mut [u8], floats: &[bool]) {
    let n = floats.len();
    // ... list header, n entries, the struct's stop byte, u32 length, "PAR1".
    let Some(list_end) = file.len().checked_sub(9) else {
        return;
    };
    let Some(list_start) = list_end.checked_sub(3 * n) else {
        return;
    };
    if !file.ends_with(b"PAR1") || file[list_end] != 0 {
        return;
    }
    let header: Vec<u8> = match n {
        0..15 => vec![((n as u8) << 4) | STRUCT],
        _ => {
            let mut h = vec![0xF0 | STRUCT];
            let mut rest = n;
            loop {
                let byte = (rest & 0x7F) as u8;
                rest >>= 7;
                match rest {
                    0 => {
                        h.push(byte);
                        break;
                    }
                    _ => h.push(byte | 0x80),
                }
            }
            h
        }
    };
    let header_ok = list_start
        .checked_sub(header.len())
        .is_some_and(|at| file[at..list_start] == header[..]);
    let entries = &mut file[list_start..list_end];
    let known = entries
        .chunks(3)
        .all(|e| e == TYPE_ORDER || e == IEEE_754_TOTAL_ORDER);
    if !header_ok || !known {
        return;
    }
    for (entry, &float) in entries.chunks_mut(3).zip(floats) {
        if float && entry == IEEE_754_TOTAL_ORDER {
            entry.copy_from_slice(&TYPE_ORDER);
        }
    }
}

#[cfg(test)]
mod tests {
    use parquet::basic::{ColumnOrder, SortOrder, Type};
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use secmaster_core::{Fact, SecurityMaster, Value};

    /// Every float column of our files is in the order other readers know; the others
    /// are as parquet's writer declares them; and the file reads back the same.
    #[test]
    fn float_columns_are_declared_in_type_defined_order() {
        let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2024, 1, d).unwrap();
        for width in [1usize, 14, 15, 200] {
            let facts = (0..width).flat_map(|a| {
                let value = match a % 3 {
                    0 => Value::Float(a as f64 + 0.5),
                    1 => Value::Int(a as i64),
                    _ => Value::from(format!("v{a}")),
                };
                [1, 2].map(|id| Fact::new(id, format!("a{a:03}"), value.clone(), day(id as u32)))
            });
            let master = SecurityMaster::build(facts).unwrap();
            let dir = tempfile::tempdir().unwrap();
            for (name, table) in [("master", false), ("table", true)] {
                let path = dir.path().join(format!("{name}.parquet"));
                match table {
                    false => crate::parquet::write_master(&path, &master).unwrap(),
                    true => crate::parquet::write(&path, &master.table()).unwrap(),
                }
                let reader =
                    SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
                let meta = reader.metadata();
                let orders = meta.file_metadata().column_orders().unwrap();
                let schema = meta.file_metadata().schema_descr();
                for (i, order) in orders.iter().enumerate() {
                    let expected = match schema.column(i).physical_type() {
                        Type::DOUBLE => ColumnOrder::TYPE_DEFINED_ORDER(SortOrder::SIGNED),
                        _ => *order,
                    };
                    assert_eq!(*order, expected, "{name}, {width} columns, column {i}");
                    assert_ne!(*order, ColumnOrder::IEEE_754_TOTAL_ORDER);
                }
                let floats = (0..schema.num_columns())
                    .filter(|&i| schema.column(i).physical_type() == Type::DOUBLE)
                    .count();
                assert_eq!(floats, width.div_ceil(3), "{name}");
                // Float statistics are there to be read.
                let rg = meta.row_group(0);
                let float = (0..schema.num_columns())
                    .find(|&i| schema.column(i).physical_type() == Type::DOUBLE)
                    .unwrap();
                assert!(
                    rg.column(float)
                        .statistics()
                        .unwrap()
                        .min_bytes_opt()
                        .is_some()
                );
                assert_eq!(
                    crate::parquet::read_master(&path).unwrap(),
                    master,
                    "{name}"
                );
            }
        }
    }
}
