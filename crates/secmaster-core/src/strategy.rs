//! proptest strategies for facts and masters, shared with `secmaster-io` through the
//! `proptest` feature.
//!
//! Two families: *small* trails, whose tiny domains (few securities, attributes, dates and
//! values, nulls included) make collisions, re-assertions, retractions and new columns
//! common, for the rules of the engine; and *wide* trails, whose values reach every type and
//! its extremes (unicode, quotes and newlines in strings, extreme numbers and dates), for
//! lossless interchange.

use chrono::NaiveDate;
use proptest::prelude::*;

use crate::{Fact, SecurityMaster, Value, ValueType};

/// The attributes of small trails and the type each takes. `asset_class` comes first so
/// views have something to slice; `cap` mixes ints and floats (rule 8's widening).
const SMALL_ATTRIBUTES: [&str; 5] = ["asset_class", "ticker", "cap", "listed", "flag"];

fn small_value(attribute: usize) -> BoxedStrategy<Value> {
    let value = match attribute {
        0 => prop_oneof![Just(Value::from("equity")), Just(Value::from("bond"))].boxed(),
        1 => prop_oneof![
            Just(Value::from("A")),
            Just(Value::from("B")),
            Just(Value::from("C"))
        ]
        .boxed(),
        2 => prop_oneof![(0i64..3).prop_map(Value::Int), Just(Value::Float(1.5))].boxed(),
        3 => (0u32..3)
            .prop_map(|d| Value::Date(NaiveDate::from_ymd_opt(2020, 1, 1 + d).unwrap()))
            .boxed(),
        _ => any::<bool>().prop_map(Value::Bool).boxed(),
    };
    prop_oneof![1 => Just(Value::Null), 5 => value].boxed()
}

/// One fact over the small domain: securities 1–3, dates within 4 days.
pub fn small_fact() -> impl Strategy<Value = Fact> {
    (1i64..=3, 0..SMALL_ATTRIBUTES.len(), 0u32..4).prop_flat_map(|(id, a, day)| {
        small_value(a).prop_map(move |v| {
            let date = NaiveDate::from_ymd_opt(2024, 1, 1 + day).unwrap();
            Fact::new(id, SMALL_ATTRIBUTES[a], v, date)
        })
    })
}

/// A trail of up to `max` small facts.
pub fn small_trail(max: usize) -> impl Strategy<Value = Vec<Fact>> {
    prop::collection::vec(small_fact(), 0..=max)
}

/// A small trail in which attribute `ticker` sometimes gets an int, so some trails have a
/// type conflict (rule 8).
pub fn conflicting_trail(max: usize) -> impl Strategy<Value = Vec<Fact>> {
    let odd = (1i64..=3, 0u32..4).prop_map(|(id, day)| {
        Fact::new(
            id,
            "ticker",
            7,
            NaiveDate::from_ymd_opt(2024, 1, 1 + day).unwrap(),
        )
    });
    prop::collection::vec(prop_oneof![20 => small_fact(), 1 => odd], 0..=max)
}

/// Any value of type `ty`, extremes included, or null.
pub fn wide_value(ty: ValueType) -> BoxedStrategy<Value> {
    let value = match ty {
        ValueType::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        ValueType::Int => prop_oneof![
            any::<i64>(),
            Just(i64::MIN),
            Just(i64::MAX),
            Just(0),
            -1000i64..1000
        ]
        .prop_map(Value::Int)
        .boxed(),
        ValueType::Float => prop_oneof![
            any::<f64>(),
            Just(f64::MAX),
            Just(f64::MIN_POSITIVE),
            Just(-0.0),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            (-1000i32..1000).prop_map(|i| f64::from(i) / 8.0)
        ]
        .prop_map(Value::Float)
        .boxed(),
        ValueType::Str => prop_oneof![
            "[a-zA-Z ,\"'\n\r\t;|\\\\]{0,12}",
            "\\PC{0,8}",
            Just(String::new()),
            Just("null".to_string()),
            Just("NULL".to_string()),
            Just("007".to_string()),
            Just("2024-01-01".to_string()),
            Just(" padded ".to_string()),
        ]
        .prop_map(Value::from)
        .boxed(),
        ValueType::Date => prop_oneof![
            // Arrow's Date32 covers chrono's whole range.
            (-200_000i32..200_000)
                .prop_map(|days| NaiveDate::from_num_days_from_ce_opt(719_163 + days).unwrap()),
            Just(NaiveDate::from_ymd_opt(1, 1, 1).unwrap()),
            Just(NaiveDate::from_ymd_opt(9999, 12, 31).unwrap()),
            Just(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()),
        ]
        .prop_map(Value::Date)
        .boxed(),
    };
    prop_oneof![1 => Just(Value::Null), 4 => value].boxed()
}

fn any_type() -> impl Strategy<Value = ValueType> {
    prop_oneof![
        Just(ValueType::Bool),
        Just(ValueType::Int),
        Just(ValueType::Float),
        Just(ValueType::Str),
        Just(ValueType::Date),
    ]
}

/// A trail over up to six attributes of random types (names that need quoting included),
/// with wide values, extreme security ids and dates, and sometimes an all-null column.
pub fn wide_trail(max: usize) -> impl Strategy<Value = Vec<Fact>> {
    let names = [
        "asset_class",
        "ticker",
        "name",
        "weird, \"name\"",
        "ünï",
        "x",
    ];
    prop::collection::vec(any_type(), names.len()).prop_flat_map(move |types| {
        let fact = (
            prop_oneof![Just(i64::MIN), Just(i64::MAX), -3i64..3],
            0..names.len(),
            prop_oneof![
                (0u32..5).prop_map(|d| NaiveDate::from_ymd_opt(2024, 1, 1 + d).unwrap()),
                Just(NaiveDate::from_ymd_opt(1, 1, 1).unwrap()),
                Just(NaiveDate::from_ymd_opt(9999, 12, 31).unwrap()),
            ],
        )
            .prop_flat_map(move |(id, a, date)| {
                let ty = types[a];
                // The last attribute is retractions only: an all-null column.
                let value = if a == names.len() - 1 {
                    Just(Value::Null).boxed()
                } else {
                    wide_value(ty)
                };
                value.prop_map(move |v| Fact::new(id, names[a], v, date))
            });
        prop::collection::vec(fact, 0..=max)
    })
}

/// A master built from a [`wide_trail`].
pub fn wide_master(max: usize) -> impl Strategy<Value = SecurityMaster> {
    wide_trail(max)
        .prop_map(|trail| SecurityMaster::build(trail).expect("wide trails are well typed"))
}
