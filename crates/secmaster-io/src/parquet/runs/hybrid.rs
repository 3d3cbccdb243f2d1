//! The bit-level encodings of data pages: the RLE / bit-packing hybrid (definition levels
//! and dictionary indices) and PLAIN booleans.

/// Bits needed for indices into `entries` values.
pub(super) fn bit_width(entries: u32) -> u8 {
    (u32::BITS - entries.saturating_sub(1).leading_zeros()) as u8
}

/// The RLE / bit-packing hybrid encoding of `width`-bit values given as runs: runs of 8 or
/// more are RLE runs, shorter ones are bit-packed in groups of 8.
pub(super) struct Hybrid {
    width: u8,
    out: Vec<u8>,
    /// The run being put: runs of one value put one after the other make one run.
    run: Option<(u32, u32)>,
    /// Values waiting to be bit-packed: whole groups of 8 but for the last.
    packed: Vec<u32>,
}

impl Hybrid {
    /// Groups of 8 in one bit-packed run at most, as parquet's writer does.
    const MAX_GROUPS: usize = 63;

    pub(super) fn new(width: u8) -> Hybrid {
        Hybrid {
            width,
            out: Vec::new(),
            run: None,
            packed: Vec::new(),
        }
    }

    /// `n` more of `value`.
    // #[inline] here and below: called per value or run from column.rs, which the
    // compiler may put in another codegen unit, where it would not inline them.
    #[inline]
    pub(super) fn put(&mut self, value: u32, n: u32) {
        match &mut self.run {
            Some((v, count)) if *v == value => *count += n,
            _ => {
                self.end_run();
                self.run = Some((value, n));
            }
        }
    }

    fn end_run(&mut self) {
        let Some((value, mut n)) = self.run.take() else {
            return;
        };
        // Fill the open group of 8 first.
        let open = (8 - self.packed.len() % 8) % 8;
        let k = (open as u32).min(n);
        self.packed.extend(std::iter::repeat_n(value, k as usize));
        n -= k;
        if self.packed.len() >= Self::MAX_GROUPS * 8 && self.packed.len().is_multiple_of(8) {
            self.flush_packed();
        }
        if n >= 8 {
            self.flush_packed();
            varint(&mut self.out, u64::from(n) << 1);
            let bytes = usize::from(self.width).div_ceil(8);
            self.out.extend_from_slice(&value.to_le_bytes()[..bytes]);
        } else {
            self.packed.extend(std::iter::repeat_n(value, n as usize));
        }
    }

    fn flush_packed(&mut self) {
        if self.packed.is_empty() {
            return;
        }
        // The last group is padded with zeros; the reader knows how many values there are.
        self.packed.resize(self.packed.len().div_ceil(8) * 8, 0);
        varint(&mut self.out, ((self.packed.len() / 8) as u64) << 1 | 1);
        let (mut acc, mut bits) = (0u64, 0u32);
        for &v in &self.packed {
            acc |= u64::from(v) << bits;
            bits += u32::from(self.width);
            while bits >= 8 {
                self.out.push(acc as u8);
                acc >>= 8;
                bits -= 8;
            }
        }
        self.packed.clear();
    }

    pub(super) fn finish(mut self) -> Vec<u8> {
        self.end_run();
        self.flush_packed();
        self.out
    }
}

/// Booleans, PLAIN: one bit each, from the lowest bit of each byte up.
#[derive(Default)]
pub(super) struct Bits {
    out: Vec<u8>,
    count: usize,
}

impl Bits {
    pub(super) fn put(&mut self, value: bool, n: u32) {
        for _ in 0..n {
            if self.count.is_multiple_of(8) {
                self.out.push(0);
            }
            if value {
                *self.out.last_mut().expect("pushed above") |= 1 << (self.count % 8);
            }
            self.count += 1;
        }
    }

    pub(super) fn finish(self) -> Vec<u8> {
        self.out
    }
}

/// ULEB-128, the varint of the hybrid encoding's run headers.
fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Arc;

    use bytes::Bytes;
    use parquet::basic::{Encoding, Repetition, Type as PhysicalType};
    use parquet::column::page::{Page, PageMetadata, PageReader};
    use parquet::column::reader::ColumnReaderImpl;
    use parquet::data_type::Int32Type;
    use parquet::errors::{ParquetError, Result};
    use parquet::schema::types::{ColumnDescriptor, ColumnPath, Type};
    use proptest::prelude::*;

    use super::*;

    /// A run of the hybrid encoding as the Parquet spec defines it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Run {
        /// `n` repeats of one value.
        Rle(u64),
        /// `n` groups of 8 bit-packed values.
        Packed(u64),
    }

    /// Decodes `count` values of `width` bits from `bytes`, straight from the spec
    /// (`encoding/Encodings.md`, "Run Length Encoding / Bit-Packing Hybrid"): a ULEB-128
    /// header whose low bit tells a bit-packed run (`groups << 1 | 1`, values packed from
    /// the lowest bit of the first byte up) from an RLE run (`count << 1`, then the value in
    /// `ceil(width / 8)` little-endian bytes). Also returns the runs, and checks that no
    /// byte is left over.
    fn spec_decode(bytes: &[u8], width: u8, count: usize) -> (Vec<u32>, Vec<Run>) {
        let mut at = 0;
        let mut byte = || {
            let b = *bytes.get(at).expect("the encoding ends inside a run");
            at += 1;
            b
        };
        let (mut values, mut runs) = (Vec::new(), Vec::new());
        while values.len() < count {
            let mut header = 0u64;
            for shift in (0..).step_by(7) {
                let b = byte();
                header |= u64::from(b & 0x7f) << shift;
                if b & 0x80 == 0 {
                    break;
                }
            }
            if header & 1 == 1 {
                let groups = header >> 1;
                runs.push(Run::Packed(groups));
                let (mut acc, mut bits) = (0u64, 0u32);
                for _ in 0..groups * 8 {
                    while bits < u32::from(width) {
                        acc |= u64::from(byte()) << bits;
                        bits += 8;
                    }
                    let mask = (1u64 << width) - 1;
                    values.push((acc & mask) as u32);
                    acc >>= width;
                    bits -= u32::from(width);
                }
                assert_eq!(bits, 0, "a bit-packed run ends on a byte");
            } else {
                let n = header >> 1;
                runs.push(Run::Rle(n));
                let mut value = 0u32;
                for i in 0..usize::from(width).div_ceil(8) {
                    value |= u32::from(byte()) << (8 * i);
                }
                values.extend(std::iter::repeat_n(value, n as usize));
            }
        }
        assert_eq!(at, bytes.len(), "bytes after the last run");
        // The last bit-packed group is padded; the reader knows how many values there are.
        assert!(values.len() - count < 8, "more than a group of padding");
        values.truncate(count);
        (values, runs)
    }

    /// The pages of one column chunk, handed to parquet's column reader.
    struct Pages(VecDeque<Page>);

    impl Iterator for Pages {
        type Item = Result<Page>;

        fn next(&mut self) -> Option<Result<Page>> {
            self.0.pop_front().map(Ok)
        }
    }

    impl PageReader for Pages {
        fn get_next_page(&mut self) -> Result<Option<Page>> {
            Ok(self.0.pop_front())
        }

        fn peek_next_page(&mut self) -> Result<Option<PageMetadata>> {
            Err(ParquetError::General("not needed to read".into()))
        }

        fn skip_next_page(&mut self) -> Result<()> {
            Err(ParquetError::General("not needed to read".into()))
        }
    }

    /// Decodes `count` dictionary indices of `width` bits with parquet's own reader: a
    /// required INT32 column whose dictionary maps every index to itself, and one
    /// `RLE_DICTIONARY` data page of the bit width and `bytes`.
    fn parquet_decode(bytes: &[u8], width: u8, count: usize) -> Vec<u32> {
        let entries = 1 + max_value(bytes, width, count);
        let dictionary: Vec<u8> = (0..entries as i32).flat_map(i32::to_le_bytes).collect();
        let mut data = vec![width];
        data.extend_from_slice(bytes);
        let pages = Pages(VecDeque::from([
            Page::DictionaryPage {
                buf: Bytes::from(dictionary),
                num_values: entries,
                encoding: Encoding::PLAIN,
                is_sorted: false,
            },
            Page::DataPage {
                buf: Bytes::from(data),
                num_values: count as u32,
                encoding: Encoding::RLE_DICTIONARY,
                def_level_encoding: Encoding::RLE,
                rep_level_encoding: Encoding::RLE,
                statistics: None,
            },
        ]));
        let ty = Type::primitive_type_builder("i", PhysicalType::INT32)
            .with_repetition(Repetition::REQUIRED)
            .build()
            .unwrap();
        let descr = ColumnDescriptor::new(Arc::new(ty), 0, 0, ColumnPath::from("i"));
        let mut reader = ColumnReaderImpl::<Int32Type>::new(Arc::new(descr), Box::new(pages));
        let mut values = Vec::new();
        let (records, _, _) = reader.read_records(count, None, None, &mut values).unwrap();
        assert_eq!(records, count);
        values.into_iter().map(|v| v as u32).collect()
    }

    /// The greatest value the encoding holds (so the dictionary can cover it).
    fn max_value(bytes: &[u8], width: u8, count: usize) -> u32 {
        spec_decode(bytes, width, count)
            .0
            .into_iter()
            .max()
            .unwrap_or(0)
    }

    fn encode(width: u8, runs: &[(u32, u32)]) -> Vec<u8> {
        let mut hybrid = Hybrid::new(width);
        for &(value, n) in runs {
            hybrid.put(value, n);
        }
        hybrid.finish()
    }

    /// Encodes `runs` of `width`-bit values and decodes them with the spec's decoder and,
    /// when the dictionary it needs is small, with parquet's; both must give the values
    /// back. Returns the runs of the encoding.
    #[track_caller]
    fn round_trip(width: u8, runs: &[(u32, u32)]) -> Vec<Run> {
        let expected: Vec<u32> = runs
            .iter()
            .flat_map(|&(v, n)| std::iter::repeat_n(v, n as usize))
            .collect();
        let bytes = encode(width, runs);
        let (values, encoded) = spec_decode(&bytes, width, expected.len());
        assert_eq!(values, expected, "width {width}, runs {runs:?}");
        for run in &encoded {
            match *run {
                Run::Rle(n) => assert!(n >= 8, "an RLE run of {n} in {encoded:?}"),
                Run::Packed(groups) => {
                    assert!((1..=63).contains(&groups), "{groups} groups in {encoded:?}");
                }
            }
        }
        if expected.iter().all(|&v| v < 1 << 16) {
            let read = parquet_decode(&bytes, width, expected.len());
            assert_eq!(read, expected, "parquet reads width {width}, runs {runs:?}");
        }
        encoded
    }

    #[test]
    fn nothing_encodes_to_nothing() {
        assert_eq!(encode(3, &[]), Vec::<u8>::new());
        assert_eq!(round_trip(3, &[]), []);
    }

    #[test]
    fn bit_widths_cover_the_indices() {
        for (entries, width) in [(0, 0), (1, 0), (2, 1), (3, 2), (4, 2), (5, 3), (256, 8)] {
            assert_eq!(bit_width(entries), width, "{entries} entries");
        }
        assert_eq!(bit_width(257), 9);
        assert_eq!(bit_width(1 << 20), 20);
        assert_eq!(bit_width((1 << 20) + 1), 21);
        assert_eq!(bit_width(u32::MAX), 32);
    }

    /// Runs of 8 or more are RLE runs, shorter ones are bit-packed, a run that starts in
    /// an open group first fills it, and runs of one value put apart make one run.
    #[test]
    fn runs_choose_their_encoding() {
        use Run::{Packed, Rle};
        assert_eq!(round_trip(1, &[(1, 8)]), [Rle(8)]);
        assert_eq!(round_trip(1, &[(1, 7)]), [Packed(1)]);
        assert_eq!(round_trip(1, &[(1, 9)]), [Rle(9)]);
        assert_eq!(round_trip(2, &[(1, 3), (1, 5)]), [Rle(8)]);
        assert_eq!(round_trip(2, &[(1, 3), (2, 13)]), [Packed(1), Rle(8)]);
        assert_eq!(round_trip(2, &[(1, 3), (2, 12)]), [Packed(2)]);
        assert_eq!(
            round_trip(2, &[(1, 8), (2, 3), (3, 8)]),
            [Rle(8), Packed(2)]
        );
        assert_eq!(
            round_trip(3, &[(1, 20), (2, 1), (3, 2), (4, 5), (5, 100)]),
            [Rle(20), Packed(1), Rle(100)]
        );
        assert_eq!(round_trip(3, &[(7, 1_000_000)]), [Rle(1_000_000)]);
        // Alternating values: bit-packed runs of at most 63 groups, as parquet's writer.
        let alternating: Vec<(u32, u32)> = (0..1100).map(|i| (i % 2, 1)).collect();
        assert_eq!(
            round_trip(1, &alternating),
            [Packed(63), Packed(63), Packed(12)]
        );
    }

    /// Every width from 0 to 32 bits, with its extreme values, across byte boundaries.
    #[test]
    fn every_width_round_trips() {
        for width in 0..=32u8 {
            let max = if width == 0 {
                0
            } else {
                u32::MAX >> (32 - width)
            };
            let runs = [
                (max, 1),
                (0, 2),
                (max, 9),
                (max / 2, 3),
                (1.min(max), 7),
                (max, 30),
                (0, 5),
            ];
            round_trip(width, &runs);
            round_trip(width, &[(max, 5)]);
            round_trip(width, &[(max, 8), (0, 1)]);
        }
    }

    /// Indices of 20 bits and more, read by parquet itself through a dictionary that
    /// large (1 Mi entries).
    #[test]
    fn wide_indices_read_back_through_parquet() {
        let top = (1 << 20) - 1;
        let runs: Vec<(u32, u32)> = (0..300)
            .map(|i| ((i * 7919) % top, 1 + i % 11))
            .chain([(top, 3), (0, 64), (top, 17)])
            .collect();
        let expected: Vec<u32> = runs
            .iter()
            .flat_map(|&(v, n)| std::iter::repeat_n(v, n as usize))
            .collect();
        for width in [20, 21, 24] {
            let bytes = encode(width, &runs);
            assert_eq!(parquet_decode(&bytes, width, expected.len()), expected);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Any runs over a small alphabet (so that runs of one value meet), short and long,
        /// at any width, round-trip through the spec's decoder and parquet's.
        #[test]
        fn any_runs_round_trip(
            width in prop_oneof![0..=4u8, 5..=12u8, 13..=32u8],
            alphabet in proptest::collection::vec(any::<u32>(), 1..4),
            runs in proptest::collection::vec(
                (0..4usize, prop_oneof![4 => 1..=9u32, 1 => 10..=600u32]),
                0..60,
            ),
        ) {
            let mask = if width == 0 { 0 } else { u32::MAX >> (32 - width) };
            // Small values mostly, so that parquet's reader (a dictionary that covers
            // them) checks most cases; the top bits of the widest values still come up.
            let alphabet: Vec<u32> = alphabet
                .iter()
                .enumerate()
                .map(|(i, v)| if i == 0 { v & mask } else { v & mask & 0xffff })
                .collect();
            let runs: Vec<(u32, u32)> = runs
                .into_iter()
                .map(|(s, n)| (alphabet[s % alphabet.len()], n))
                .collect();
            round_trip(width, &runs);
        }
    }
}
