//! Rule 10: the columnar as-of join equals a naive reference read off the table, on small
//! masters with many collisions and on one large enough to run on the thread pool.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use proptest::prelude::*;
use secmaster_core::strategy::small_trail;
use secmaster_core::{
    Column, Fact, Join, Position, Quantity, SecurityMaster, Table, Value, ValueType,
};

use crate::date;

/// The join as rule 10 says it, one position at a time: scan the security's rows of the
/// table for the one with `start <= date < end` (a null end is open).
fn reference(master: &SecurityMaster, positions: &[Position], join: Join) -> Table {
    let table = master.table();
    let mut by_security: BTreeMap<i64, Vec<&[Value]>> = BTreeMap::new();
    for row in table.rows() {
        let Value::Int(id) = row[0] else {
            unreachable!("ids are ints")
        };
        by_security.entry(id).or_default().push(row);
    }
    let float = positions
        .iter()
        .any(|p| matches!(p.quantity(), Quantity::Float(_)));
    let quantity_type = if float {
        ValueType::Float
    } else {
        ValueType::Int
    };
    let mut columns = vec![
        Column::new("security_id", Some(ValueType::Int)),
        Column::new("quantity", Some(quantity_type)),
        Column::new("date", Some(ValueType::Date)),
    ];
    columns.extend(table.columns()[3..].iter().cloned());
    let width = table.columns().len() - 3;
    let mut rows = Vec::new();
    for p in positions {
        let covers = |row: &&&[Value]| {
            let Value::Date(start) = row[1] else {
                unreachable!("starts are dates")
            };
            let open = match row[2] {
                Value::Date(end) => p.date() < end,
                _ => true,
            };
            start <= p.date() && open
        };
        let found = by_security
            .get(&p.security_id())
            .and_then(|rows| rows.iter().find(covers));
        let quantity = match (p.quantity(), float) {
            (Quantity::Int(i), false) => Value::Int(i),
            (q, _) => Value::Float(q.as_f64()),
        };
        let lead = [Value::Int(p.security_id()), quantity, Value::Date(p.date())];
        match (found, join) {
            (Some(row), _) => rows.push(lead.into_iter().chain(row[3..].iter().cloned()).collect()),
            (None, Join::Left) => rows.push(
                lead.into_iter()
                    .chain(std::iter::repeat_n(Value::Null, width))
                    .collect(),
            ),
            (None, Join::Inner) => {}
        }
    }
    Table::new(columns, 3, rows).unwrap()
}

/// Positions over the small trails' domain and just past it: securities 0–4 (0 and 4 are
/// never in a small trail), dates from two days before its first date to three after its
/// last (before the first row, on every boundary, inside the open last row), integer and
/// fractional quantities.
fn positions(max: usize) -> impl Strategy<Value = Vec<Position>> {
    let quantity = prop_oneof![
        (-5i64..5).prop_map(Quantity::Int),
        (-5i64..5).prop_map(|q| Quantity::Float(q as f64 / 2.0)),
    ];
    prop::collection::vec(
        (0i64..=4, 0u64..9, quantity).prop_map(|(id, day, q)| {
            let d = date("2023-12-30") + chrono::Days::new(day);
            Position::new(id, q, d)
        }),
        0..=max,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn rule10_join_equals_the_naive_reference(
        trail in small_trail(24),
        positions in positions(24),
        ints_only in any::<bool>(),
    ) {
        let master = SecurityMaster::build(trail).unwrap();
        // Half the cases have integer quantities only, so the column stays int.
        let positions: Vec<Position> = positions
            .into_iter()
            .map(|p| match (ints_only, p.quantity()) {
                (true, Quantity::Float(x)) => Position::new(p.security_id(), x as i64, p.date()),
                _ => p,
            })
            .collect();
        for join in [Join::Inner, Join::Left] {
            let got = master.join_positions(&positions, join);
            prop_assert_eq!(&got, &reference(&master, &positions, join), "{:?}", join);
        }
        // The matches behind the table: each position's row holds the attributes joined.
        let ids: Vec<i64> = positions.iter().map(Position::security_id).collect();
        let dates: Vec<NaiveDate> = positions.iter().map(Position::date).collect();
        let matches = master.match_positions(&ids, &dates);
        let left = master.join_positions(&positions, Join::Left);
        prop_assert_eq!(matches.num_positions(), positions.len());
        for i in 0..positions.len() {
            let cells: Vec<Value> = (0..matches.attribute_columns().len())
                .map(|c| matches.row_of(i).map_or(Value::Null, |r| matches.column(c)[r].clone()))
                .collect();
            prop_assert_eq!(&cells[..], &left.row(i)[3..]);
        }
        prop_assert_eq!(matches.num_matched(), master.join_positions(&positions, Join::Inner).num_rows());
    }
}

#[test]
fn a_large_join_on_any_thread_pool_equals_the_reference() {
    // 3,000 securities with a few hundred dates each; 150k positions are enough for the
    // join to sort and walk on the thread pool.
    let trail: Vec<Fact> = (0..120_000i64)
        .map(|i| {
            let day = date("2020-01-01") + chrono::Days::new((i * 7 % 700) as u64);
            let value = match i % 5 {
                0 => Value::Null,
                _ => Value::Int(i % 11),
            };
            Fact::new(
                i * 37 % 3_001,
                ["a", "b", "c"][(i % 3) as usize],
                value,
                day,
            )
        })
        .collect();
    let master = SecurityMaster::build(trail).unwrap();
    let positions: Vec<Position> = (0..150_000i64)
        .map(|i| {
            let day = date("2019-12-01") + chrono::Days::new((i * 13 % 800) as u64);
            Position::new(i * 7 % 3_003, i % 1_000, day)
        })
        .collect();
    for join in [Join::Inner, Join::Left] {
        let expected = reference(&master, &positions, join);
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let got = pool.install(|| master.join_positions(&positions, join));
            assert_eq!(got, expected, "{join:?} on {threads} threads");
        }
    }
}
