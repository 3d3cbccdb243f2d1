//! The columnar join's output (`secmaster_io::joined`) is the core's `join_positions`
//! table, in every format it writes, and positions files keep their quantities' type.

use std::path::Path;

use chrono::NaiveDate;
use proptest::prelude::*;
use secmaster_core::strategy::wide_master;
use secmaster_core::{Join, Position, Quantity, SecurityMaster, ValueType};
use secmaster_io::positions::{PositionColumns, Quantities};
use secmaster_io::{Format, ReadOptions, joined};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Positions on the master's securities and a few others, on dates around its rows.
fn positions_for(master: &SecurityMaster, seed: &[(u8, i16, i8)]) -> Vec<Position> {
    let ids: Vec<i64> = master
        .table()
        .rows()
        .map(|r| match r[0] {
            secmaster_core::Value::Int(i) => i,
            _ => unreachable!(),
        })
        .collect();
    let starts: Vec<NaiveDate> = master
        .table()
        .rows()
        .map(|r| match r[1] {
            secmaster_core::Value::Date(d) => d,
            _ => unreachable!(),
        })
        .collect();
    seed.iter()
        .map(|&(pick, shift, q)| {
            let k = pick as usize;
            let (id, day) = if ids.is_empty() || k % 7 == 6 {
                (i64::from(pick) - 300, date("2024-01-01"))
            } else {
                (ids[k % ids.len()], starts[k % starts.len()])
            };
            let day = day
                .checked_add_signed(chrono::Duration::days(i64::from(shift % 5)))
                .unwrap_or(day);
            let quantity = if q % 3 == 0 {
                Quantity::Float(f64::from(q) / 4.0)
            } else {
                Quantity::Int(i64::from(q))
            };
            Position::new(id, quantity, day)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_columnar_join_writes_the_core_join_table(
        master in wide_master(30),
        seed in prop::collection::vec((any::<u8>(), any::<i16>(), any::<i8>()), 0..40),
        ints_only in any::<bool>(),
        batch_rows in 1usize..7,
    ) {
        let mut positions = positions_for(&master, &seed);
        if ints_only {
            positions = positions.iter().map(|p| Position::new(p.security_id(), p.quantity().as_f64() as i64, p.date())).collect();
        }
        let columns = PositionColumns::from(&positions[..]);
        let dir = tempfile::tempdir().unwrap();
        for join in [Join::Inner, Join::Left] {
            let expected = master.join_positions(&positions, join);
            let got = joined::join(&master, &columns, join);
            prop_assert_eq!(&got.to_table(), &expected);
            prop_assert_eq!(got.schema(), &secmaster_io::TableSchema::of_table(&expected));
            let whole = secmaster_io::arrow::to_record_batch(&expected);
            let mut offset = 0;
            for batch in got.batches(batch_rows) {
                prop_assert!(batch.num_rows() <= batch_rows);
                prop_assert_eq!(&batch, &whole.slice(offset, batch.num_rows()));
                offset += batch.num_rows();
            }
            prop_assert_eq!(offset, whole.num_rows());
            for format in [Format::Parquet, Format::Ipc, Format::Csv, Format::Sqlite] {
                let path = dir.path().join(format!("j.{}", format.extensions()[0]));
                got.write_as(&path, format).unwrap();
                let back = secmaster_io::file::read_table(&path).unwrap();
                prop_assert_eq!(&back, &expected, "{}", format.name());
            }
            for format in [Format::Csv, Format::JsonLines] {
                let mut text = Vec::new();
                got.to_writer(&mut text, format).unwrap();
                let mut reference = Vec::new();
                match format {
                    Format::Csv => secmaster_io::csv::to_writer(&mut reference, &expected).unwrap(),
                    _ => secmaster_io::json::to_writer(&mut reference, &expected).unwrap(),
                }
                prop_assert_eq!(text, reference, "{}", format.name());
            }
        }
    }
}

fn read_csv(text: &str) -> PositionColumns {
    secmaster_io::positions::read_csv_columns(
        text.as_bytes(),
        Path::new("p.csv"),
        &ReadOptions::default(),
    )
    .unwrap()
}

#[test]
fn integer_quantities_stay_integers_and_a_float_widens_the_column() {
    let ints = read_csv("security_id,quantity,date\n1,100,2024-01-01\n2,-7,2024-01-02\n");
    assert_eq!(ints.quantity, Quantities::Int(vec![100, -7]));
    let mixed =
        read_csv("security_id,quantity,date\n1,100,2024-01-01\n2,2.5,2024-01-02\n3,4,2024-01-03\n");
    assert_eq!(mixed.quantity, Quantities::Float(vec![100.0, 2.5, 4.0]));
    // Not plain decimal: a float, as a fact's value would be.
    assert_eq!(
        read_csv("1,1e3,2024-01-01\n").quantity,
        Quantities::Float(vec![1000.0])
    );
    assert_eq!(
        read_csv("security_id,quantity,date\n").quantity,
        Quantities::Int(vec![])
    );

    // Through Parquet: an integer column stays integer, a float column stays float.
    let dir = tempfile::tempdir().unwrap();
    let master = SecurityMaster::build(secmaster_core::sample::trail()).unwrap();
    for (quantity, ty) in [
        (
            std::sync::Arc::new(arrow_array::Int32Array::from(vec![5, 6])) as arrow_array::ArrayRef,
            ValueType::Int,
        ),
        (
            std::sync::Arc::new(arrow_array::Float64Array::from(vec![5.0, 6.5])),
            ValueType::Float,
        ),
    ] {
        let batch = crate::batch(vec![
            (
                "security_id",
                std::sync::Arc::new(arrow_array::Int64Array::from(vec![1, 2])),
            ),
            ("quantity", quantity),
            (
                "date",
                std::sync::Arc::new(arrow_array::Date32Array::from(vec![19_800, 19_801])),
            ),
        ]);
        let path = dir.path().join("p.parquet");
        crate::write_parquet(&path, &batch);
        let positions =
            secmaster_io::positions::read_columns(&path, &ReadOptions::default()).unwrap();
        let out = dir.path().join("out.parquet");
        joined::join(&master, &positions, Join::Left)
            .write_as(&out, Format::Parquet)
            .unwrap();
        let table = secmaster_io::file::read_table(&out).unwrap();
        assert_eq!(table.columns()[1].value_type(), Some(ty));
        assert_eq!(table.num_rows(), 2);
    }
}
