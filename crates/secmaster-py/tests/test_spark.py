"""secmaster.spark on a local Spark (local[2]): every table it builds is compared, row for
row and type for type, with the one-machine build of the same facts in the same order
(`secmaster.build`, the command line's engine). The session is shared (conftest.py's
`spark` fixture); it skips, loudly, only where Java or pyspark cannot be had, and fails
instead under SECMASTER_REQUIRE_SPARK (CI)."""

import datetime
import json

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import secmaster
from conftest import ROOT, SAMPLES, assert_tables_equal
from test_conformance import CASES, expected_table, fact_value

KEYS = [("security_id", "ascending"), ("effective_start_date", "ascending")]


@pytest.fixture(scope="module")
def sms(spark):
    from secmaster import spark as sms

    return sms


def table_of(df) -> pa.Table:
    """A Spark table as a pyarrow table in the one machine's row order."""
    return df.toArrow().sort_by(KEYS)


def assert_same_build(got_df, expected: pa.Table, context: str = "") -> None:
    got = table_of(got_df)
    assert got.num_rows == expected.num_rows, context
    assert_tables_equal(got, expected, context)


def split_layout(facts, arrival=True) -> pa.Table:
    """Typed facts (Python tuples) as a table in a store log's layout: the value in the one
    of five typed columns its type says, with the arrival order as a column."""
    cols = {c: [] for c in ["value_bool", "value_int", "value_float", "value_str", "value_date"]}
    for _, _, v, _ in facts:
        kind = (
            "value_bool" if isinstance(v, bool)
            else "value_int" if isinstance(v, int)
            else "value_float" if isinstance(v, float)
            else "value_str" if isinstance(v, str)
            else "value_date" if isinstance(v, datetime.date)
            else None
        )
        for c in cols:
            cols[c].append(v if c == kind else None)
    arrays = {
        "security_id": pa.array([f[0] for f in facts], pa.int64()),
        "attribute": pa.array([f[1] for f in facts], pa.string()),
        "value_bool": pa.array(cols["value_bool"], pa.bool_()),
        "value_int": pa.array(cols["value_int"], pa.int64()),
        "value_float": pa.array(cols["value_float"], pa.float64()),
        "value_str": pa.array(cols["value_str"], pa.string()),
        "value_date": pa.array(cols["value_date"], pa.date32()),
        "effective_date": pa.array([f[3] for f in facts], pa.date32()),
    }
    if arrival:
        arrays["n"] = pa.array(range(len(facts)), pa.int64())
    return pa.table(arrays)


def test_sample_trail_and_update_from_files(spark, sms):
    files = [str(SAMPLES / "audit_trail.csv"), str(SAMPLES / "audit_trail_update.csv")]
    got = sms.build(sms.read_facts(spark, files))
    expected = secmaster.build(files[0], updates=[files[1]]).to_arrow()
    assert_same_build(got, expected, "sample trail + update")
    assert [f.name for f in got.schema.fields] == expected.column_names


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_conformance_vector(spark, sms, path):
    case = json.loads(path.read_text())
    priority = case.get("priority")
    facts = [
        (i, a, fact_value(v), datetime.date.fromisoformat(d))
        for batch in case["batches"]
        for i, a, v, d in batch
    ]
    table = split_layout(facts)
    # Three partitions in, so facts of one key can arrive from different partitions.
    df = spark.createDataFrame(table).repartition(3)
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(secmaster.DataError) as spark_error:
            sms.build(df, arrival="n", priority=priority)
        with pytest.raises(secmaster.DataError) as one_machine:
            secmaster.build(table.drop(["n"]), priority=priority)
        for text in expect["error"]["contains"]:
            if text in str(one_machine.value):
                assert text in str(spark_error.value)
        return
    got = sms.build(df, arrival="n", priority=priority)
    whole = secmaster.build(table.drop(["n"]), priority=priority).to_arrow()
    assert_same_build(got, whole, path.name)
    if "positions" in case:
        # Integer quantities stay integers (rule 10), as the one-machine runner gives them.
        integral = all(type(q) is int for _, q, _ in case["positions"])
        positions = spark.createDataFrame(
            [
                (i, q if integral else float(q), datetime.date.fromisoformat(d))
                for i, q, d in case["positions"]
            ],
            f"security_id long, quantity {'long' if integral else 'double'}, date date",
        )
        joined = sms.join_positions(got, positions, how=case.get("how", "inner")).toArrow()
        order = [("security_id", "ascending"), ("date", "ascending"), ("quantity", "ascending")]
        expected = expected_table(expect)
        assert_tables_equal(joined.sort_by(order), expected.sort_by(order), path.name)
    elif "view" not in case:
        assert_tables_equal(table_of(got), expected_table(expect), path.name)


def generated_with_retractions_and_repeats(n: int) -> pa.Table:
    """A generated trail with, appended, re-assertions of some keys with new values and
    retractions (empty values) of others, so the last arrival decides (rule 5)."""
    trail = secmaster.generate(500, n, seed=7)
    k = n // 10
    repeat = trail.slice(0, k)
    retract = trail.slice(k, k).set_column(
        2, "value", pa.array([""] * k, pa.string())
    )
    # Re-assert the first keys, each with the value of the next fact of its attribute.
    attributes = repeat.column("attribute").to_pylist()
    values = repeat.column("value").to_pylist()
    rows_of = {}
    for i, a in enumerate(attributes):
        rows_of.setdefault(a, []).append(i)
    new = list(values)
    for rows in rows_of.values():
        for i, j in zip(rows, rows[1:] + rows[:1]):
            new[i] = values[j]
    assert new != values
    repeat = repeat.set_column(2, "value", pa.array(new, pa.string()))
    return pa.concat_tables(
        [trail, retract, repeat, trail.slice(3 * k, k)], promote_options="permissive"
    )


def test_generated_trail_with_repeats_and_retractions(spark, sms):
    table = generated_with_retractions_and_repeats(100_000)
    assert table.num_rows >= 100_000
    keys = table.group_by(["security_id", "attribute", "effective_date"]).aggregate([])
    assert keys.num_rows < table.num_rows, "the trail repeats keys"
    assert pc.sum(pc.equal(table.column("value"), "")).as_py() > 0, "the trail retracts"
    # The DataFrame's own order is the arrival order (no arrival column given).
    df = spark.createDataFrame(table)
    assert df.rdd.getNumPartitions() > 1
    got = sms.build(df, partitions=5)
    expected = secmaster.build(table).to_arrow()
    assert_same_build(got, expected, "100k generated facts")


def test_trail_split_over_files(spark, sms, tmp_path):
    table = generated_with_retractions_and_repeats(30_000)
    parts = [table.slice(0, 9_000), table.slice(9_000, 12_000), table.slice(21_000)]
    csvs, parquets = [], []
    for i, part in enumerate(parts):
        csvs.append(str(tmp_path / f"part-{i}.csv"))
        pacsv.write_csv(part, csvs[-1])
        parquets.append(str(tmp_path / f"part-{i}.parquet"))
        pq.write_table(part, parquets[-1], row_group_size=2_000)
    expected = secmaster.build(table).to_arrow()
    # Files given out of name order: the list's order is the arrival order.
    order = [2, 0, 1]
    reordered = secmaster.build(pa.concat_tables([parts[i] for i in order])).to_arrow()
    # Small splits, so a file is read by several tasks.
    spark.conf.set("spark.sql.files.maxPartitionBytes", "64k")
    try:
        got = sms.build(sms.read_facts(spark, csvs))
        assert_same_build(got, expected, "CSV files")
        got = sms.build(sms.read_facts(spark, [parquets[i] for i in order]))
        assert_same_build(got, reordered, "Parquet files, reordered")
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    # Per-file batches (the command line's `build a b c`) give the same table here.
    assert_tables_equal(secmaster.build(csvs[0], updates=csvs[1:]).to_arrow(), expected)


def test_store_log_rebuilt_on_spark(spark, sms, tmp_path):
    root = tmp_path / "master.store"
    store = secmaster.Store.init(root)
    store.ingest(str(SAMPLES / "audit_trail.csv"))
    store.ingest(str(SAMPLES / "audit_trail_update.csv"))
    store.ingest(generated_with_retractions_and_repeats(5_000))
    got = sms.build(sms.read_log(spark, root))
    assert_same_build(got, store.master().to_arrow(), "the store's log")
    first = sms.build(sms.read_log(spark, root, as_known_at=1))
    assert_same_build(first, store.master(as_known_at=1).to_arrow(), "as known at 1")


def test_join_positions(spark, sms):
    files = [str(SAMPLES / "audit_trail.csv"), str(SAMPLES / "audit_trail_update.csv")]
    master = secmaster.build(files[0], updates=[files[1]])
    built = sms.build(sms.read_facts(spark, files))
    positions = spark.read.csv(str(SAMPLES / "positions.csv"), header=True)
    order = [("security_id", "ascending"), ("date", "ascending"), ("quantity", "ascending")]
    for how in ["inner", "left"]:
        got = sms.join_positions(built, positions, how=how).toArrow().sort_by(order)
        expected = master.join_positions(str(SAMPLES / "positions.csv"), how=how)
        assert_tables_equal(got, expected.sort_by(order), how)
    with pytest.raises(ValueError):
        sms.join_positions(built, positions, how="outer")


def test_type_conflict_is_refused_before_the_build(spark, sms):
    facts = [(1, "flag", True, datetime.date(2024, 1, 1)), (2, "flag", 1.5, datetime.date(2024, 1, 1))]
    df = spark.createDataFrame(split_layout(facts)).repartition(2)
    with pytest.raises(secmaster.DataError, match="flag"):
        sms.build(df, arrival="n")


def test_text_types_are_decided_over_all_partitions(spark, sms):
    # One partition sees only integers, another a decimal, a third a word: the column is
    # str, as one machine types the whole input, and "007" keeps its zeros.
    rows = [(1, "x", "1", "2024-01-01"), (2, "x", "2.5", "2024-01-01"), (3, "x", "007", "2024-01-01"),
            (4, "y", "1", "2024-01-01"), (5, "y", "2.5", "2024-01-02"), (6, "z", "", "2024-01-01")]
    table = pa.table({
        "security_id": pa.array([r[0] for r in rows], pa.int64()),
        "attribute": [r[1] for r in rows],
        "value": [r[2] for r in rows],
        "effective_date": [r[3] for r in rows],
    })
    df = spark.createDataFrame(table).repartition(3, "security_id")
    got = sms.build(df, partitions=3)
    expected = secmaster.build(table).to_arrow()
    assert [str(t) for t in expected.schema.types[3:]] == ["string", "double", "null"]
    assert_same_build(got, expected, "typed over all partitions")
