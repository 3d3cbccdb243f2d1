//! Statistics as parquet's writer makes them: per column chunk, and per page (the column
//! index).

use parquet::basic::BoundaryOrder;
use parquet::errors::Result;
use parquet::file::metadata::{ColumnIndexBuilder, LevelHistogram};
use parquet::file::page_index::column_index::ColumnIndexMetaData;
use parquet::file::statistics::{Statistics, ValueStatistics};
use parquet::schema::types::ColumnDescPtr;

use super::column::ColumnRuns;
use super::dictionary::Values;

/// A column chunk's column index (its pages' statistics) as parquet's writer makes it;
/// none for text columns (see [`table_properties`](crate::parquet::table_properties)).
pub(super) struct PageIndex {
    builder: ColumnIndexBuilder,
    floats: bool,
    /// Whether the column has definition levels (is nullable): only then has a page a
    /// level histogram, as parquet's writer makes it.
    levels: bool,
    /// Whether the pages' min and max only rose, or only fell, so far.
    ascending: bool,
    descending: bool,
    /// The last page with a value: its min and max.
    last: Option<(Stat, Stat)>,
}

impl PageIndex {
    pub(super) fn new(values: &Values<'_>, descr: &ColumnDescPtr) -> Option<PageIndex> {
        (!matches!(values, Values::Text(_))).then(|| PageIndex {
            builder: ColumnIndexBuilder::new(descr.physical_type()),
            floats: matches!(values, Values::Float(_)),
            levels: descr.max_def_level() > 0,
            ascending: true,
            descending: true,
            last: None,
        })
    }

    /// The next page, of `rows` rows and this tally.
    pub(super) fn add(&mut self, rows: i64, page: &Tally) {
        let nulls = page.nulls as i64;
        let levels = LevelHistogram::from(vec![nulls, rows - nulls]);
        self.builder
            .append_histograms(&None, &self.levels.then_some(levels));
        let nans = self.floats.then_some(page.nans as i64);
        match page.min_max {
            None => self
                .builder
                .append(true, Vec::new(), Vec::new(), nulls, nans),
            Some((min, max)) => {
                if let Some((last_min, last_max)) = self.last {
                    self.ascending &= !(last_min.after(min) || last_max.after(max));
                    self.descending &= !(min.after(last_min) || max.after(last_max));
                }
                self.last = Some((min, max));
                self.builder
                    .append(false, min.bytes(), max.bytes(), nulls, nans);
            }
        }
    }

    pub(super) fn finish(mut self) -> Result<ColumnIndexMetaData> {
        self.builder
            .set_boundary_order(match (self.ascending, self.descending) {
                (true, _) => BoundaryOrder::ASCENDING,
                (false, true) => BoundaryOrder::DESCENDING,
                (false, false) => BoundaryOrder::UNORDERED,
            });
        self.builder.build()
    }
}

impl ColumnRuns<'_> {
    /// The column chunk's statistics as parquet's writer makes them, from its tally: min
    /// and max, the null count, and for floats the NaN count (when the chunk has values);
    /// none for text columns (see [`table_properties`](crate::parquet::table_properties)).
    pub(super) fn statistics(&self, descr: &ColumnDescPtr, chunk: &Tally) -> Option<Statistics> {
        let signed = descr.sort_order().is_signed();
        let nulls = Some(chunk.nulls);
        // (parquet's bound on the value type is private: a macro stands in for a function.)
        macro_rules! of {
            ($variant:ident, $ty:ty) => {{
                let typed = |s: Stat| match s {
                    Stat::$variant(x) => x,
                    _ => unreachable!("a column's statistics are of its type"),
                };
                let (min, max) = chunk.min_max.map(|(lo, hi)| (typed(lo), typed(hi))).unzip();
                let statistics: ValueStatistics<$ty> =
                    ValueStatistics::new(min, max, None, nulls, false)
                        .with_backwards_compatible_min_max(signed);
                statistics
            }};
        }
        Some(match &self.values {
            Values::Int(_) => of!(Int, i64).into(),
            Values::Date(_) => of!(Date, i32).into(),
            Values::Float(_) => {
                let nans = chunk.min_max.is_some().then_some(chunk.nans);
                of!(Float, f64).with_nan_count(nans).into()
            }
            Values::Bool => of!(Bool, bool).into(),
            Values::Text(_) => return None,
            Values::Null => of!(Date, i32).into(),
        })
    }

    /// Value `i` of the column as statistics compare it; `None` for text (no statistics).
    pub(super) fn stat(&self, i: u32) -> Option<Stat> {
        let i = i as usize;
        Some(match &self.values {
            Values::Int(d) => Stat::Int(*d.values.get(i)?),
            Values::Date(d) => Stat::Date(*d.values.get(i)?),
            Values::Float(d) => Stat::Float(f64::from_bits(*d.values.get(i)?)),
            Values::Bool => Stat::Bool(i == 1),
            Values::Text(_) | Values::Null => return None,
        })
    }
}

/// A value as statistics order it: signed integers, floats in IEEE 754 total order.
#[derive(Debug, Clone, Copy)]
pub(super) enum Stat {
    Int(i64),
    Date(i32),
    Float(f64),
    Bool(bool),
}

impl Stat {
    /// Whether `self` comes after `other`.
    fn after(self, other: Stat) -> bool {
        let order = match (self, other) {
            (Stat::Int(a), Stat::Int(b)) => a.cmp(&b),
            (Stat::Date(a), Stat::Date(b)) => a.cmp(&b),
            (Stat::Float(a), Stat::Float(b)) => a.total_cmp(&b),
            (Stat::Bool(a), Stat::Bool(b)) => a.cmp(&b),
            _ => unreachable!("a column's values are of one type"),
        };
        order == std::cmp::Ordering::Greater
    }

    fn is_nan(self) -> bool {
        matches!(self, Stat::Float(x) if x.is_nan())
    }

    /// PLAIN, as statistics hold it.
    fn bytes(self) -> Vec<u8> {
        match self {
            Stat::Int(x) => x.to_le_bytes().to_vec(),
            Stat::Date(x) => x.to_le_bytes().to_vec(),
            Stat::Float(x) => x.to_le_bytes().to_vec(),
            Stat::Bool(x) => vec![u8::from(x)],
        }
    }
}

/// What statistics keep of a page's or a column chunk's cells: nulls, NaNs, and the least
/// and greatest value, a NaN only while nothing else has been seen (parquet's rule).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Tally {
    pub(super) nulls: u64,
    nans: u64,
    min_max: Option<(Stat, Stat)>,
}

impl Tally {
    /// `n` cells of `stat`.
    // #[inline] here and below: called per value or run from column.rs, which the
    // compiler may put in another codegen unit, where it would not inline them.
    #[inline]
    pub(super) fn add(&mut self, stat: Stat, n: u64) {
        if stat.is_nan() {
            self.nans += n;
        }
        self.widen(stat, stat);
    }

    fn widen(&mut self, min: Stat, max: Stat) {
        // A NaN gives way to any number and is never taken over one.
        let take = |new: Stat, current: Stat, better: bool| match (new.is_nan(), current.is_nan()) {
            (true, false) => false,
            (false, true) => true,
            _ => better,
        };
        self.min_max = Some(match self.min_max {
            None => (min, max),
            Some((lo, hi)) => (
                if take(min, lo, lo.after(min)) {
                    min
                } else {
                    lo
                },
                if take(max, hi, max.after(hi)) {
                    max
                } else {
                    hi
                },
            ),
        });
    }

    pub(super) fn merge(&mut self, page: &Tally) {
        self.nulls += page.nulls;
        self.nans += page.nans;
        if let Some((min, max)) = page.min_max {
            self.widen(min, max);
        }
    }
}
