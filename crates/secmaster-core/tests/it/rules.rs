//! The rules of DESIGN.md, as worked examples and as properties over random trails.

use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;
use secmaster_core::strategy::{conflicting_trail, small_trail};
use secmaster_core::{Error, Fact, FromRows, Options, SecurityMaster, Table, Value, ValueType};

use crate::{check, date, facts};

#[test]
fn reassertion_is_not_overwritten_by_an_earlier_late_fact() {
    // The prototype's merge cascades 100 over the re-asserted 400 of 2024-05-01.
    check(
        "
        1 2024-01-01 market_cap=400
        1 2024-05-01 market_cap=400
        ",
        &["1 2024-03-01 market_cap=100"],
        "
        security_id  effective_start_date  effective_end_date  market_cap
        1            2024-01-01            2024-03-01          400
        1            2024-03-01            2024-05-01          100
        1            2024-05-01            null                400
        ",
    );
}

#[test]
fn split_cascades_until_a_later_fact() {
    // SEED.md's two split examples: the new value carries forward into later rows unless a
    // later fact sets the attribute.
    let base = "
        1 2024-01-01 ticker=GRPH name=Graphite
        1 2024-03-22 ticker=LENZ name=Lenz
    ";
    check(
        base,
        &["1 2024-03-01 gics_industry=technology"],
        "
        security_id  effective_start_date  effective_end_date  ticker  name      gics_industry
        1            2024-01-01            2024-03-01          GRPH    Graphite  null
        1            2024-03-01            2024-03-22          GRPH    Graphite  technology
        1            2024-03-22            null                LENZ    Lenz      technology
        ",
    );
    check(
        "
        1 2024-01-01 ticker=GRPH name=Graphite
        1 2024-03-22 ticker=LENZ name=Lenz gics_industry=health_sciences
        ",
        &["1 2024-03-01 gics_industry=technology"],
        "
        security_id  effective_start_date  effective_end_date  ticker  name      gics_industry
        1            2024-01-01            2024-03-01          GRPH    Graphite  null
        1            2024-03-01            2024-03-22          GRPH    Graphite  technology
        1            2024-03-22            null                LENZ    Lenz      health_sciences
        ",
    );
}

#[test]
fn the_five_merge_cases_are_one_mechanism() {
    check(
        "
        1 2024-02-01 ticker=A
        1 2024-04-01 ticker=B
        ",
        &[
            "2 2024-01-01 ticker=NEW", // insert new
            "1 2024-05-01 cap=5",      // insert after
            "1 2024-01-01 cap=1",      // insert before, cascades
            "1 2024-04-01 ticker=BB",  // same-date merge
            "1 2024-03-01 cap=3",      // split, cascades until 2024-05-01
        ],
        "
        security_id  effective_start_date  effective_end_date  ticker  cap
        1            2024-01-01            2024-02-01          null    1
        1            2024-02-01            2024-03-01          A       1
        1            2024-03-01            2024-04-01          A       3
        1            2024-04-01            2024-05-01          BB      3
        1            2024-05-01            null                BB      5
        2            2024-01-01            null                NEW     null
        ",
    );
}

#[test]
fn null_retracts_until_a_later_fact() {
    check(
        "
        1 2024-01-01 ticker=A rating=AA
        1 2024-02-01 rating=null
        1 2024-03-01 rating=BB
        ",
        &[],
        "
        security_id  effective_start_date  effective_end_date  ticker  rating
        1            2024-01-01            2024-02-01          A       AA
        1            2024-02-01            2024-03-01          A       null
        1            2024-03-01            null                A       BB
        ",
    );
}

#[test]
fn last_arrival_wins_within_and_across_batches() {
    check(
        "
        1 2024-01-01 ticker=A ticker=B
        ",
        &[],
        "
        security_id  effective_start_date  effective_end_date  ticker
        1            2024-01-01            null                B
        ",
    );
    check(
        "1 2024-01-01 ticker=A",
        &["1 2024-01-01 ticker=C ticker=null"],
        "
        security_id  effective_start_date  effective_end_date  ticker
        1            2024-01-01            null                null
        ",
    );
}

#[test]
fn new_attribute_in_a_merge_takes_its_sorted_place() {
    check(
        "1 2024-01-01 zeta=1 ticker=A",
        &["1 2024-02-01 alpha=2 asset_class=equity"],
        "
        security_id  effective_start_date  effective_end_date  asset_class  ticker  alpha  zeta
        1            2024-01-01            2024-02-01          null         A       null   1
        1            2024-02-01            null                equity       A       2      1
        ",
    );
}

#[test]
fn priority_is_configurable() {
    let master = SecurityMaster::build_with(
        Options::default().with_priority(["zeta", "ticker"]),
        facts("1 2024-01-01 asset_class=x ticker=A zeta=1 beta=2"),
    )
    .unwrap();
    let names: Vec<String> = master
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "security_id",
            "effective_start_date",
            "effective_end_date",
            "zeta",
            "ticker",
            "asset_class",
            "beta"
        ]
    );
}

#[test]
fn ints_and_floats_widen_to_float() {
    let mut master = SecurityMaster::build(facts("1 2024-01-01 cap=400")).unwrap();
    let cap = |m: &SecurityMaster| m.columns()[3].value_type();
    assert_eq!(cap(&master), Some(ValueType::Int));
    master.merge(facts("2 2024-01-01 cap=2.5")).unwrap();
    assert_eq!(cap(&master), Some(ValueType::Float));
    let table = master.table();
    let cells: Vec<&Value> = table.column_values(3).collect();
    assert_eq!(cells, [&Value::Float(400.0), &Value::Float(2.5)]);
}

#[test]
fn type_conflict_names_attribute_types_and_fact_and_changes_nothing() {
    let mut master = SecurityMaster::build(facts("1 2024-01-01 ticker=A cap=1")).unwrap();
    let before = master.clone();
    let err = master
        .merge(facts(
            "
            2 2024-01-01 ticker=B
            1 2024-02-01 cap=2024-02-01
            ",
        ))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "attribute `cap` holds int values but fact (1, cap, 2024-02-01, 2024-02-01) gives a date"
    );
    assert!(matches!(
        err,
        Error::TypeConflict {
            existing: ValueType::Int,
            found: ValueType::Date,
            ..
        }
    ));
    assert_eq!(master, before);
    assert!(master.facts().eq(before.facts()));

    let err = SecurityMaster::build(facts("1 2024-01-01 x=true x=1")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "attribute `x` holds bool values but fact (1, x, 1, 2024-01-01) gives a int"
    );
}

#[test]
fn empty_attribute_is_refused() {
    let mut master = SecurityMaster::build(facts("1 2024-01-01 ticker=A")).unwrap();
    let before = master.clone();
    let err = master
        .merge([Fact::new(1, "", "x", date("2024-01-02"))])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "fact (1, , x, 2024-01-02) has an empty attribute name"
    );
    assert_eq!(master, before);
}

#[test]
fn rule1_key_column_names_are_refused_as_attributes() {
    let mut master = SecurityMaster::build(facts("1 2024-01-01 ticker=A")).unwrap();
    let before = master.clone();
    for key in ["security_id", "effective_start_date", "effective_end_date"] {
        let late = Fact::new(1, key, 99, date("2024-01-02"));
        let err = master
            .merge([
                Fact::new(2, "ticker", "B", date("2024-01-01")),
                late.clone(),
            ])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "fact (1, {key}, 99, 2024-01-02) names the key column `{key}` as its \
                 attribute; an attribute cannot take a key column's name"
            )
        );
        assert_eq!(
            err,
            secmaster_core::Error::KeyAttribute { fact: late.clone() }
        );
        assert_eq!(master, before);
        // The same error from a batch in parts, and from a build.
        let mut parted = before.clone();
        let parts = vec![
            vec![Fact::new(2, "ticker", "B", date("2024-01-01"))],
            vec![late.clone()],
        ];
        assert_eq!(parted.merge_parts(parts).unwrap_err(), err);
        assert_eq!(SecurityMaster::build([late]).unwrap_err(), err);
    }
    // A name that merely contains a key's name is an ordinary attribute.
    master
        .merge([Fact::new(1, "old_security_id", 7, date("2024-01-02"))])
        .unwrap();
}

#[test]
fn all_null_column_has_no_type_and_stays() {
    let master = SecurityMaster::build(facts("1 2024-01-01 ticker=A note=null")).unwrap();
    let columns = master.columns();
    assert_eq!(columns[4].name(), "note");
    assert_eq!(columns[4].value_type(), None);
    assert_eq!(
        SecurityMaster::from_table(&master.table(), Options::default()).unwrap(),
        master
    );
}

#[test]
fn from_table_reads_back_the_sample() {
    let mut master = SecurityMaster::build(secmaster_core::sample::trail()).unwrap();
    master.merge(secmaster_core::sample::update()).unwrap();
    let back = SecurityMaster::from_table(&master.table(), Options::default()).unwrap();
    assert_eq!(back, master);
    assert_eq!(back.table(), master.table());
}

#[test]
fn from_table_rejects_what_is_not_a_master() {
    let master = SecurityMaster::build(facts(
        "
        1 2024-01-01 ticker=A zeta=1
        1 2024-02-01 ticker=B
        2 2024-01-01 ticker=C
        ",
    ))
    .unwrap();
    let table = master.table();
    let err = |t: &Table, options: Options| {
        SecurityMaster::from_table(t, options)
            .unwrap_err()
            .to_string()
    };
    let swapped = Table::new(
        table.columns().to_vec(),
        3,
        vec![
            table.row(1).to_vec(),
            table.row(0).to_vec(),
            table.row(2).to_vec(),
        ],
    )
    .unwrap();
    assert_eq!(
        err(&swapped, Options::default()),
        "table is not a security master: row 2 is not sorted by (security_id, effective_start_date)"
    );
    assert_eq!(
        err(&table, Options::default().with_priority(["zeta"])),
        "table is not a security master: attribute columns are not in priority order: \
         expected zeta, ticker, found ticker, zeta"
    );
    let no_keys = table.select(&["ticker"]).unwrap().where_security(2);
    let no_keys = Table::new(
        no_keys.columns()[1..].to_vec(),
        0,
        vec![no_keys.row(0)[1..].to_vec()],
    )
    .unwrap();
    assert_eq!(
        err(&no_keys, Options::default()),
        "table is not a security master: column 1 is `effective_start_date` of type date, \
         expected `security_id` of type int"
    );
}

/// Rows pushed one at a time give what `from_table` gives, and a row of the wrong width
/// or a last row with an end is refused, naming the row.
#[test]
fn rows_pushed_one_at_a_time_make_the_same_master() {
    let master = SecurityMaster::build(secmaster_core::sample::trail()).unwrap();
    let table = master.table();
    let mut rows = FromRows::new(table.columns(), master.options().clone()).unwrap();
    for row in table.rows() {
        rows.push(row).unwrap();
    }
    assert_eq!(rows.finish().unwrap(), master);

    let mut rows = FromRows::new(table.columns(), master.options().clone()).unwrap();
    rows.push(table.row(0)).unwrap();
    let err = rows.push(&table.row(1)[..3]).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "table is not a security master: row 2 has 3 cells, expected {}",
            table.columns().len()
        )
    );
    let mut rows = FromRows::new(table.columns(), master.options().clone()).unwrap();
    rows.push(table.row(0)).unwrap();
    let err = rows.finish().unwrap_err().to_string();
    assert!(
        err.ends_with("row 1 is the last of security 1 but has an end date"),
        "{err}"
    );
}

/// The naive model of rules 2–5: bucket facts by `(security, date)`, sort, carry forward,
/// the last arrival of a key winning. Cells are raw (before rule 8's widening).
fn model(trail: &[Fact]) -> Vec<(i64, chrono::NaiveDate, BTreeMap<String, Value>)> {
    let mut buckets: BTreeMap<(i64, chrono::NaiveDate), Vec<&Fact>> = BTreeMap::new();
    for f in trail {
        buckets
            .entry((f.security_id(), f.effective_date()))
            .or_default()
            .push(f);
    }
    let mut rows: Vec<(i64, chrono::NaiveDate, BTreeMap<String, Value>)> = Vec::new();
    for ((id, day), bucket) in buckets {
        let mut state = match rows.last() {
            Some((prev, _, state)) if *prev == id => state.clone(),
            _ => BTreeMap::new(),
        };
        for f in bucket {
            state.insert(f.attribute().to_string(), f.value().clone());
        }
        rows.push((id, day, state));
    }
    rows
}

/// A reordering of `trail` that keeps the relative order of facts sharing a key.
fn reorder(trail: &[Fact], shuffled: &[usize]) -> Vec<Fact> {
    let key = |f: &Fact| {
        (
            f.security_id(),
            f.attribute().to_string(),
            f.effective_date(),
        )
    };
    let mut by_key: HashMap<_, std::collections::VecDeque<&Fact>> = HashMap::new();
    for f in trail {
        by_key.entry(key(f)).or_default().push_back(f);
    }
    // Walk the shuffled slots; each slot takes the next not-yet-placed fact of the key that
    // the shuffled fact has, so same-key facts stay in arrival order.
    shuffled
        .iter()
        .map(|&i| {
            by_key
                .get_mut(&key(&trail[i]))
                .unwrap()
                .pop_front()
                .unwrap()
                .clone()
        })
        .collect()
}

fn splits(len: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..=len, 0..5).prop_map(|mut cuts| {
        cuts.sort_unstable();
        cuts
    })
}

proptest! {
    #[test]
    fn rule2_to_5_table_matches_naive_model(trail in small_trail(24)) {
        let master = SecurityMaster::build(trail.clone()).unwrap();
        let table = master.table();
        let expected = model(&trail);
        prop_assert_eq!(table.num_rows(), expected.len());
        prop_assert_eq!(master.num_rows(), expected.len());
        for (row, (id, start, state)) in table.rows().zip(&expected) {
            prop_assert_eq!(&row[0], &Value::Int(*id));
            prop_assert_eq!(&row[1], &Value::Date(*start));
            for (c, column) in table.columns().iter().enumerate().skip(3) {
                let raw = state.get(column.name()).cloned().unwrap_or(Value::Null);
                let widened = match (raw, column.value_type()) {
                    (Value::Int(i), Some(ValueType::Float)) => Value::Float(i as f64),
                    (v, _) => v,
                };
                prop_assert_eq!(&row[c], &widened, "column {}", column.name());
            }
        }
    }

    #[test]
    fn chunks_read_column_by_column_give_the_table(trail in small_trail(24), rows in 1usize..9) {
        let master = SecurityMaster::build(trail).unwrap();
        let table = master.table();
        let width = table.columns().len();
        let mut cells: Vec<Vec<Value>> = Vec::new();
        for chunk in master.chunks(rows) {
            prop_assert!(chunk.num_rows() <= rows);
            let first = cells.len();
            for (id, start, end) in chunk.keys() {
                cells.push(vec![Value::Int(id), Value::Date(start), end.map_or(Value::Null, Value::Date)]);
            }
            prop_assert_eq!(cells.len() - first, chunk.num_rows());
            let runs = chunk.column_runs();
            prop_assert_eq!(runs.len(), width - 3);
            for column in runs {
                let mut row = first;
                for (n, value) in column {
                    prop_assert!(n > 0);
                    for _ in 0..n {
                        cells[row].push(value.clone());
                        row += 1;
                    }
                }
                prop_assert_eq!(row, cells.len());
            }
        }
        let expected: Vec<Vec<Value>> = table.rows().map(<[Value]>::to_vec).collect();
        prop_assert_eq!(cells, expected);
    }

    /// `since` leaves out, of each security it names, exactly the rows that start before
    /// its date, and changes no other cell (a value carried from a left-out row stays).
    #[test]
    fn chunks_since_leave_out_the_rows_before_a_date(
        trail in small_trail(24),
        rows in 1usize..9,
        picks in proptest::collection::vec(0usize..6, 8),
    ) {
        let master = SecurityMaster::build(trail).unwrap();
        let table = master.table();
        // Some securities, each with a date: one of its row starts, or a day after one
        // (no row starts on it), or after its last row.
        let mut since = Vec::new();
        for (k, id) in master.security_ids().enumerate() {
            let starts: Vec<chrono::NaiveDate> = table
                .rows()
                .filter(|r| r[0] == Value::Int(id))
                .map(|r| match r[1] { Value::Date(d) => d, _ => unreachable!() })
                .collect();
            match picks[k % picks.len()] {
                0 | 1 => {}
                p => since.push((id, starts[p % starts.len()] + chrono::Days::new(u64::from(p == 5)))),
            }
        }
        let mut cells: Vec<Vec<Value>> = Vec::new();
        for chunk in master.chunks(rows).since(&since) {
            let first = cells.len();
            for (id, start, end) in chunk.keys() {
                cells.push(vec![Value::Int(id), Value::Date(start), end.map_or(Value::Null, Value::Date)]);
            }
            for column in chunk.column_runs() {
                let mut row = first;
                for (n, value) in column {
                    for _ in 0..n {
                        cells[row].push(value.clone());
                        row += 1;
                    }
                }
                prop_assert_eq!(row, cells.len());
            }
        }
        let kept = |row: &[Value]| match (&row[0], &row[1]) {
            (Value::Int(id), Value::Date(start)) => since
                .iter()
                .find(|(i, _)| i == id)
                .is_none_or(|(_, from)| start >= from),
            _ => unreachable!(),
        };
        let expected: Vec<Vec<Value>> = table.rows().filter(|r| kept(r)).map(<[Value]>::to_vec).collect();
        prop_assert_eq!(cells, expected);
    }

    #[test]
    fn rule3_periods_have_no_gaps_or_overlaps(trail in small_trail(24)) {
        let table = SecurityMaster::build(trail).unwrap().table();
        let rows: Vec<&[Value]> = table.rows().collect();
        for (i, row) in rows.iter().enumerate() {
            match rows.get(i + 1) {
                Some(next) if next[0] == row[0] => {
                    prop_assert!(row[1] < next[1], "rows sorted, no duplicate (id, start)");
                    prop_assert_eq!(&row[2], &next[1], "end is the next start");
                }
                Some(next) => {
                    prop_assert!(row[0] < next[0], "securities sorted");
                    prop_assert_eq!(&row[2], &Value::Null, "last row of a security is open");
                }
                None => prop_assert_eq!(&row[2], &Value::Null),
            }
        }
    }

    #[test]
    fn rule6_reordering_that_keeps_same_key_order_changes_nothing(
        (trail, shuffled) in small_trail(24).prop_flat_map(|t| {
            let n = t.len();
            (Just(t), Just((0..n).collect::<Vec<usize>>()).prop_shuffle())
        })
    ) {
        let a = SecurityMaster::build(trail.clone()).unwrap();
        let b = SecurityMaster::build(reorder(&trail, &shuffled)).unwrap();
        prop_assert_eq!(a.table(), b.table());
        prop_assert!(a.facts().eq(b.facts()));
    }

    #[test]
    fn rule6_any_split_equals_build(
        (trail, cuts) in small_trail(30).prop_flat_map(|t| { let n = t.len(); (Just(t), splits(n)) })
    ) {
        let whole = SecurityMaster::build(trail.clone()).unwrap();
        let mut bounds = vec![0];
        bounds.extend(&cuts);
        bounds.push(trail.len());
        let mut merged = SecurityMaster::build(trail[..bounds[1]].to_vec()).unwrap();
        for w in bounds[1..].windows(2) {
            merged.merge(trail[w[0]..w[1]].to_vec()).unwrap();
        }
        prop_assert_eq!(merged.table(), whole.table());
        prop_assert!(merged.facts().eq(whole.facts()), "same facts in force");
    }

    #[test]
    fn rule6_large_batches_equal_build(
        (trail, cut) in small_trail(160).prop_flat_map(|t| { let n = t.len(); (Just(t), 0..=n) })
    ) {
        // Batches of dozens of facts per security take the merging path of an insert, not
        // the in-place one that small batches take.
        let whole = SecurityMaster::build(trail.clone()).unwrap();
        let mut merged = SecurityMaster::build(trail[..cut].to_vec()).unwrap();
        merged.merge(trail[cut..].to_vec()).unwrap();
        prop_assert_eq!(merged.table(), whole.table());
        prop_assert!(merged.facts().eq(whole.facts()));
    }

    #[test]
    fn rule8_conflicts_fail_the_same_way_and_change_nothing(
        (trail, cuts) in conflicting_trail(30).prop_flat_map(|t| { let n = t.len(); (Just(t), splits(n)) })
    ) {
        let whole = SecurityMaster::build(trail.clone());
        let mut bounds = vec![0];
        bounds.extend(&cuts);
        bounds.push(trail.len());
        let mut merged = SecurityMaster::default();
        let mut failed = false;
        for w in bounds.windows(2) {
            let before = merged.clone();
            if merged.merge(trail[w[0]..w[1]].to_vec()).is_err() {
                prop_assert_eq!(&merged, &before, "a failed merge leaves the master as it was");
                prop_assert!(merged.facts().eq(before.facts()));
                failed = true;
                break;
            }
        }
        prop_assert_eq!(failed, whole.is_err());
        if let Ok(whole) = whole {
            prop_assert_eq!(merged.table(), whole.table());
        }
    }

    #[test]
    fn from_table_inverts_table(trail in small_trail(24)) {
        let master = SecurityMaster::build(trail).unwrap();
        let back = SecurityMaster::from_table(&master.table(), Options::default()).unwrap();
        prop_assert_eq!(back.table(), master.table());
    }

    #[test]
    fn views_agree_with_filters_on_the_table(trail in small_trail(24), day in 0u32..6) {
        let master = SecurityMaster::build(trail).unwrap();
        let table = master.table();
        for class in [None, Some("equity"), Some("bond")] {
            prop_assert_eq!(master.asset_class(class), table.where_asset_class(class));
        }
        let on = chrono::NaiveDate::from_ymd_opt(2023, 12, 31).unwrap() + chrono::Days::new(day.into());
        let valid = table.filter(|r| {
            r[1] <= Value::Date(on) && (r[2].is_null() || Value::Date(on) < r[2])
        });
        prop_assert_eq!(master.as_of(on), valid);
    }
}

#[test]
fn rule6_large_generated_trail_equals_merges_of_small_batches() {
    // A batch this large is prepared on several threads; batches of 20,000 facts are not.
    use secmaster_generate::{Config, Trail};
    let trail: Vec<Fact> = Trail::new(&Config::new(1_000, 100_000).with_seed(3))
        .unwrap()
        .collect();
    let whole = SecurityMaster::build(trail.clone()).unwrap();
    let mut merged = SecurityMaster::default();
    for batch in trail.chunks(20_000) {
        merged.merge(batch.to_vec()).unwrap();
    }
    assert_eq!(merged.table(), whole.table());
    assert!(merged.facts().eq(whole.facts()));
}

/// Facts whose attributes get values of every type, and sometimes an empty name: most
/// trails of a few dozen have a type conflict (rule 8) or an int column widened to float.
fn mixed_trail(max: usize) -> impl Strategy<Value = Vec<Fact>> {
    let value = prop_oneof![
        Just(Value::Null),
        (0i64..3).prop_map(Value::Int),
        (0i64..3).prop_map(|i| Value::Float(i as f64 + 0.5)),
        Just(Value::from("x")),
        any::<bool>().prop_map(Value::Bool),
    ];
    let attribute = prop_oneof![8 => Just("a"), 8 => Just("b"), 8 => Just("c"), 1 => Just("")];
    let fact = (1i64..=3, attribute, value, 0u32..4).prop_map(|(id, a, v, day)| {
        Fact::new(
            id,
            a,
            v,
            chrono::NaiveDate::from_ymd_opt(2024, 1, 1 + day).unwrap(),
        )
    });
    prop::collection::vec(fact, 0..=max)
}

proptest! {
    #[test]
    fn merge_parts_equals_merge_of_the_whole(
        (base, trail, cuts) in (mixed_trail(6), mixed_trail(40))
            .prop_flat_map(|(b, t)| { let n = t.len(); (Just(b), Just(t), splits(n)) })
    ) {
        // A master to merge into, when the base trail builds one; else an empty one.
        let start = SecurityMaster::build(base).unwrap_or_default();
        let mut whole = start.clone();
        let expected = whole.merge(trail.clone());
        let mut bounds = vec![0];
        bounds.extend(&cuts);
        bounds.push(trail.len());
        let parts: Vec<Vec<Fact>> = bounds.windows(2).map(|w| trail[w[0]..w[1]].to_vec()).collect();
        let mut parted = start.clone();
        let got = parted.merge_parts(parts);
        prop_assert_eq!(format!("{got:?}"), format!("{expected:?}"));
        prop_assert_eq!(parted.columns(), whole.columns());
        prop_assert_eq!(parted.table(), whole.table());
        prop_assert!(parted.facts().eq(whole.facts()));
    }
}

/// A trail of `n` facts with many collisions, re-assertions, retractions and an int column
/// widened to float, large enough that a build prepares it on the thread pool.
fn busy_trail(n: i64) -> Vec<Fact> {
    (0..n)
        .map(|i| {
            let value = match i % 7 {
                0 => Value::Null,
                1 => Value::Float(i as f64 / 4.0),
                _ => Value::Int(i % 13),
            };
            let day = date("2020-01-01") + chrono::Days::new((i * 7 % 400) as u64);
            Fact::new(
                i * 31 % 4_001,
                ["a", "b", "c"][(i % 3) as usize],
                value,
                day,
            )
        })
        .collect()
}

#[test]
fn results_do_not_depend_on_the_thread_pool() {
    let trail = busy_trail(150_000);
    let parts: Vec<Vec<Fact>> = trail.chunks(20_000).map(<[Fact]>::to_vec).collect();
    // The same trail with two type conflicts in later parts: the first is the one reported.
    let mut bad = parts.clone();
    bad[3][500] = Fact::new(7, "a", "text", date("2021-01-01"));
    bad[5][9] = Fact::new(8, "b", true, date("2021-01-01"));
    let expected_error = SecurityMaster::build(bad.concat()).unwrap_err();
    assert!(matches!(&expected_error, Error::TypeConflict { attribute, .. } if attribute == "a"));
    let whole = SecurityMaster::build(trail.clone()).unwrap();
    for threads in [1, 2, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let built = SecurityMaster::build(trail.clone()).unwrap();
            assert_eq!(built.table(), whole.table(), "{threads} threads");
            assert!(built.facts().eq(whole.facts()), "{threads} threads");
            let mut parted = SecurityMaster::default();
            parted.merge_parts(parts.clone()).unwrap();
            assert_eq!(parted.table(), whole.table(), "{threads} threads");
            assert!(parted.facts().eq(whole.facts()), "{threads} threads");
            let error = SecurityMaster::default()
                .merge_parts(bad.clone())
                .unwrap_err();
            assert_eq!(format!("{error:?}"), format!("{expected_error:?}"));
        });
    }
}
