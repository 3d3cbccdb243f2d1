//! The queries against the views of the master they read.

use super::*;
use crate::parquet::{Layout, write_master_laid_out};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use proptest::prelude::*;
use secmaster_core::strategy::{small_trail, wide_master};
use secmaster_core::{SecurityMaster, Value};

/// The view the command line takes of a master (`view_master`): what a query must
/// equal.
fn reference(master: &SecurityMaster, q: &Query<'_>) -> secmaster_core::Result<Table> {
    let table = match (q.security, q.as_of) {
        (Some(id), None) => master.history(id),
        (None, Some(day)) => master.as_of(day),
        (Some(id), Some(day)) => master.as_of(day).where_security(id),
        (None, None) => match q.asset_class {
            Some(class) => master.asset_class(class),
            None => master.table(),
        },
    };
    let table = match q.asset_class {
        Some(class) if q.security.is_some() || q.as_of.is_some() => table.where_asset_class(class),
        _ => table,
    };
    match q.columns.is_empty() {
        true => Ok(table),
        false => table.select(q.columns),
    }
}

fn write(master: &SecurityMaster, layout: Layout) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    let out = std::fs::File::create(file.path()).unwrap();
    write_master_laid_out(out, file.path(), master, &[], layout).unwrap();
    file
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(d.into())
}

fn masters() -> impl Strategy<Value = SecurityMaster> {
    prop_oneof![
        wide_master(40),
        small_trail(40).prop_map(|t| SecurityMaster::build(t).unwrap()),
    ]
}

fn layouts() -> impl Strategy<Value = Layout> {
    (1usize..5, 1usize..4).prop_map(|(page_rows, group_pages)| Layout {
        page_rows,
        group_pages,
        dictionary_limit: 1 << 20,
    })
}

const CLASSES: [Option<&str>; 4] = [None, Some("equity"), Some("fx"), Some("")];
const NAMES: [&str; 6] = ["ticker", "asset_class", "x", "cap", "security_id", "nope"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// A query of a master's file is the view of the master, row for row and column
    /// for column, whatever the file's pages and row groups; and our own files are
    /// always queried (never `None`).
    #[test]
    fn a_query_is_the_view_of_the_master(
        master in masters(),
        layout in layouts(),
        security in prop::option::of(prop_oneof![-3i64..5, Just(i64::MIN), Just(i64::MAX)]),
        as_of in prop::option::of(prop_oneof![(0u32..6).prop_map(day), Just(NaiveDate::MIN), Just(NaiveDate::MAX)]),
        class in prop::option::of(0..CLASSES.len()),
        columns in prop::collection::vec(0..NAMES.len(), 0..3),
    ) {
        let file = write(&master, layout);
        let columns: Vec<String> = columns.iter().map(|&c| NAMES[c].to_string()).collect();
        let q = Query { security, as_of, asset_class: class.map(|c| CLASSES[c]), columns: &columns };
        let expected = reference(&master, &q);
        let got = parquet(file.path(), &q);
        match (expected, got) {
            (Ok(table), Ok(Some(selected))) => {
                prop_assert_eq!(selected.num_rows(), table.num_rows());
                prop_assert_eq!(selected.to_table().unwrap(), table);
            }
            (Err(e), Err(crate::Error::Table { source, .. })) => {
                prop_assert_eq!(source.to_string(), e.to_string());
            }
            (expected, got) => prop_assert!(false, "{q:?} {layout:?}: expected {expected:?}, got {got:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// `ids_with` finds exactly the securities with the value in some row, whatever
    /// the row groups (each with its bloom filters).
    #[test]
    fn ids_with_finds_every_security_with_the_value(master in masters(), layout in layouts()) {
        let file = write(&master, layout);
        let table = master.table();
        for (c, column) in table.columns().iter().enumerate().skip(KEY_COLUMNS.len()) {
            let mut values: Vec<Value> = table.column_values(c).filter(|v| !v.is_null()).cloned().collect();
            values.push(Value::from("absent"));
            values.push(Value::Int(-99));
            for value in values {
                let mut expected: Vec<i64> = table
                    .rows()
                    .filter(|r| r[c] == value)
                    .map(|r| match r[0] { Value::Int(id) => id, _ => unreachable!() })
                    .collect();
                expected.dedup();
                let got = ids_with(file.path(), column.name(), &value).unwrap().unwrap();
                prop_assert_eq!(got, expected, "{} = {:?}", column.name(), value);
            }
        }
    }
}

#[test]
fn a_text_column_s_bloom_filters_skip_the_row_groups_without_the_value() {
    let facts =
        (0..3000).map(|id| secmaster_core::Fact::new(id, "ticker", format!("T{id}"), day(0)));
    let master = SecurityMaster::build(facts).unwrap();
    let layout = Layout {
        page_rows: 100,
        group_pages: 5,
        dictionary_limit: 1 << 20,
    };
    let file = write(&master, layout);
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(file.path()).unwrap())
            .unwrap();
    let groups = builder.metadata().num_row_groups();
    assert_eq!(groups, 6);
    let hits = (0..groups)
        .filter(|&g| {
            builder
                .get_row_group_column_bloom_filter(g, 3)
                .unwrap()
                .unwrap()
                .check("T1234")
        })
        .count();
    assert_eq!(hits, 1);
    assert_eq!(
        ids_with(file.path(), "ticker", &Value::from("T1234"))
            .unwrap()
            .unwrap(),
        [1234]
    );
}

#[test]
fn a_file_out_of_order_is_left_to_the_whole_read() {
    let master = SecurityMaster::build(secmaster_core::sample::trail()).unwrap();
    let table = master.table();
    let mut rows: Vec<Vec<Value>> = table.rows().map(<[Value]>::to_vec).collect();
    rows.swap(0, 1);
    let swapped = Table::new(table.columns().to_vec(), 3, rows).unwrap();
    let file = tempfile::Builder::new()
        .suffix(".parquet")
        .tempfile()
        .unwrap();
    crate::parquet::write(file.path(), &swapped).unwrap();
    for q in [
        Query {
            as_of: Some(day(100)),
            ..Query::default()
        },
        Query {
            security: Some(1),
            ..Query::default()
        },
    ] {
        assert!(parquet(file.path(), &q).unwrap().is_none(), "{q:?}");
    }
    assert!(crate::parquet::read_master(file.path()).is_err());
    // In order, the same file is queried.
    crate::parquet::write(file.path(), &table).unwrap();
    let q = Query {
        security: Some(1),
        ..Query::default()
    };
    assert_eq!(
        parquet(file.path(), &q)
            .unwrap()
            .unwrap()
            .to_table()
            .unwrap(),
        master.history(1)
    );
}

#[test]
fn a_point_lookup_reads_only_the_pages_of_its_security() {
    let facts =
        (0..2000).map(|id| secmaster_core::Fact::new(id, "ticker", format!("T{id}"), day(0)));
    let master = SecurityMaster::build(facts).unwrap();
    let layout = Layout {
        page_rows: 100,
        group_pages: 4,
        dictionary_limit: 1 << 20,
    };
    let file = write(&master, layout);
    let file_meta = ArrowReaderMetadata::load(
        &std::fs::File::open(file.path()).unwrap(),
        ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Optional),
    )
    .unwrap();
    let groups = candidates(&file_meta, Some(1234));
    assert_eq!(groups.len(), 1);
    assert_eq!(
        groups[0]
            .ranges
            .iter()
            .map(ExactSizeIterator::len)
            .sum::<usize>(),
        100
    );
    let q = Query {
        security: Some(1234),
        ..Query::default()
    };
    let got = parquet(file.path(), &q)
        .unwrap()
        .unwrap()
        .to_table()
        .unwrap();
    assert_eq!(got, master.history(1234));
}
