"""The Python surface: sources of facts, merges, views, joins, round trips through pandas,
Polars and Arrow, stores, the generator and errors."""

import datetime
import math

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import secmaster
from conftest import SAMPLES, assert_tables_equal, bits

D = datetime.date
TRAIL = SAMPLES / "audit_trail.csv"
UPDATE = SAMPLES / "audit_trail_update.csv"
POSITIONS = SAMPLES / "positions.csv"


def test_build_from_a_path_matches_the_seed_table():
    master = secmaster.build(str(TRAIL))
    table = master.to_arrow()
    assert master.num_rows == len(master) == 7
    assert table.column_names[:6] == [
        "security_id",
        "effective_start_date",
        "effective_end_date",
        "asset_class",
        "ticker",
        "name",
    ]
    lenz = table.filter(pc.equal(table["effective_start_date"], pa.scalar(D(2024, 3, 22))))
    assert lenz["ticker"].to_pylist() == ["LENZ"]
    assert table.schema.metadata[b"secmaster:key_columns"] == b"3"


def test_merge_equals_rebuild_and_updates_are_batches(tmp_path):
    merged = secmaster.build(TRAIL)
    merged.merge(UPDATE)
    assert merged == secmaster.build(TRAIL, updates=UPDATE)
    assert merged == secmaster.build(TRAIL, updates=[UPDATE])
    assert merged == secmaster.build([TRAIL, UPDATE])


def test_every_source_of_facts_builds_the_same_master(tmp_path):
    trail = secmaster.generate(50, 600, seed=3)
    by_arrow = secmaster.build(trail)
    pacsv.write_csv(trail, tmp_path / "trail.csv")
    assert secmaster.build(tmp_path / "trail.csv") == by_arrow
    assert secmaster.build(str(tmp_path / "trail.csv")) == by_arrow
    assert secmaster.build(trail.to_reader()) == by_arrow
    assert secmaster.build(pl.from_arrow(trail)) == by_arrow
    assert secmaster.build(trail.to_pandas()) == by_arrow
    assert secmaster.build(trail.to_pandas(types_mapper=pd.ArrowDtype)) == by_arrow


def test_python_tuples_keep_their_types():
    master = secmaster.build(
        [
            (1, "ticker", "007", D(2024, 1, 1)),
            (1, "ipo", D(2020, 5, 1), "2024-01-01"),
            (1, "px", 1.5, D(2024, 1, 1)),
            (1, "px", None, D(2024, 2, 1)),
            (1, "listed", True, D(2024, 1, 1)),
        ]
    )
    table = master.to_arrow()
    assert table.schema.field("ticker").type == pa.string()  # "007" stays text
    assert table.schema.field("ipo").type == pa.date32()
    assert table.schema.field("listed").type == pa.bool_()
    assert table["px"].to_pylist() == [1.5, None]


def test_views_and_joins():
    master = secmaster.build(TRAIL, updates=UPDATE)
    equity = master.asset_class("equity")
    assert set(equity["asset_class"].to_pylist()) == {"equity"}
    assert "interest_rate" not in equity.column_names
    none = master.asset_class(None)
    assert none.column_names[:3] == ["security_id", "effective_start_date", "effective_end_date"]
    assert "asset_class" not in none.column_names  # null in every row kept (rule 9)
    assert master.as_of(D(2024, 4, 1)) == master.as_of("2024-04-01")
    assert set(master.security(2)["security_id"].to_pylist()) == {2}
    assert master.columns("ticker").column_names[3:] == ["ticker"]
    inner = master.join_positions(POSITIONS)
    left = master.join_positions(POSITIONS, how="left")
    assert inner.column_names[:3] == ["security_id", "quantity", "date"]
    assert left.num_rows >= inner.num_rows
    tuples = master.join_positions([(1, 10.0, D(2024, 4, 1))])
    assert tuples["ticker"].to_pylist() == ["LENZ"]
    # Quantities keep their type: integers stay int64, one float makes the column double.
    assert str(inner.schema.field("quantity").type) == "int64"
    assert str(tuples.schema.field("quantity").type) == "double"
    ints = master.join_positions([(1, 10, D(2024, 4, 1)), (1, 11, D(2024, 4, 2))])
    assert ints["quantity"].to_pylist() == [10, 11]
    assert str(ints.schema.field("quantity").type) == "int64"
    mixed = master.join_positions([(1, 10, D(2024, 4, 1)), (1, 2.5, D(2024, 4, 2))])
    assert mixed["quantity"].to_pylist() == [10.0, 2.5]
    assert str(mixed.schema.field("quantity").type) == "double"
    with pytest.raises(ValueError, match="inner"):
        master.join_positions(POSITIONS, how="outer")


def frames_matrix():
    """A master with every type: ints, floats with NaN and -0.0, bools, dates, text with
    unicode and empty strings, and an all-null column."""
    return secmaster.build(
        [
            (1, "n", 1, D(2024, 1, 1)),
            (1, "x", float("nan"), D(2024, 1, 1)),
            (1, "b", True, D(2024, 1, 1)),
            (1, "d", D(1999, 12, 31), D(2024, 1, 1)),
            (1, "s", "Zürich 東京", D(2024, 1, 1)),
            (1, "gone", None, D(2024, 1, 1)),
            (2, "x", -0.0, D(2024, 1, 1)),
            (2, "s", "", D(2024, 1, 1)),
            (2, "n", None, D(2024, 2, 1)),
            (3, "x", 1e300, D(2023, 1, 1)),
        ]
    )


def test_pandas_round_trip_is_lossless():
    master = frames_matrix()
    df = master.to_pandas()
    assert df.attrs["secmaster"]["metadata"]["secmaster:key_columns"] == "3"
    back = secmaster.Master.from_pandas(df)
    assert back == master
    assert_tables_equal(back.to_arrow(), master.to_arrow(), "pandas, arrow dtypes")

def test_pandas_numpy_dtypes_round_trip_a_master_without_nan():
    """With pandas' own dtypes ints with nulls become floats and dates objects, and come
    back; but a NaN and a null are both NaN there, so only Arrow dtypes keep a NaN."""
    master = secmaster.build(TRAIL, updates=UPDATE)
    plain = master.to_pandas(arrow_dtypes=False)
    assert plain["market_cap"].dtype == "float64"
    assert secmaster.Master.from_pandas(plain) == master


def test_polars_round_trip_is_lossless():
    master = frames_matrix()
    df = master.to_polars()
    assert isinstance(df, pl.DataFrame)
    assert secmaster.Master.from_polars(df) == master
    assert df.equals(secmaster.Master.from_polars(df).to_polars())


def test_arrow_round_trip_keeps_values_and_metadata():
    master = frames_matrix()
    table = master.to_arrow()
    x = table["x"].to_pylist()
    assert math.isnan(x[0]) and bits(x[1]) == bits(-0.0)
    assert table.schema.field("gone").type == pa.null()
    assert secmaster.Master.from_arrow(table) == master
    assert secmaster.Master.from_arrow(table.to_reader()) == master


def test_to_arrow_does_not_copy_through_pyarrow():
    """The table crosses by the C stream interface: pyarrow imports the buffers secmaster
    built (one copy, from the master's rows into Arrow arrays, on the Rust side) and
    allocates none of its own."""
    master = secmaster.build(secmaster.generate(2_000, 200_000))
    before = pa.total_allocated_bytes()
    table = master.to_arrow()
    grew = pa.total_allocated_bytes() - before
    assert table.nbytes > 5_000_000
    assert grew < table.nbytes / 100, (grew, table.nbytes)


def test_write_and_read(tmp_path):
    master = frames_matrix()
    for name in ["m.parquet", "m.arrow", "m.csv", "m.db"]:
        master.write(tmp_path / name)
        assert secmaster.read(tmp_path / name) == master
    assert pq.read_table(tmp_path / "m.parquet").num_rows == master.num_rows


def test_generate_is_deterministic_and_builds():
    a = secmaster.generate(100, 1_000, seed=7)
    assert a.equals(secmaster.generate(100, 1_000, seed=7))
    assert not a.equals(secmaster.generate(100, 1_000, seed=8))
    assert a.column_names == ["security_id", "attribute", "value", "effective_date"]
    assert secmaster.build(a).num_rows > 100


def test_errors_are_typed_and_say_what_the_cli_says():
    with pytest.raises(secmaster.DataError) as bad:
        secmaster.build(SAMPLES / "bad.csv")
    assert isinstance(bad.value, ValueError) and isinstance(bad.value, secmaster.Error)
    assert str(bad.value) == (
        f"`{SAMPLES / 'bad.csv'}`, line 1: column `effective_date`: expected a date like "
        "2024-03-22 or 03/22/24, found `13/45/24`"
    )
    master = secmaster.build(TRAIL)
    before = master.to_arrow()
    with pytest.raises(secmaster.DataError, match="market_cap"):
        master.merge([(1, "market_cap", "big", D(2024, 6, 1))])
    assert master.to_arrow().equals(before)
    with pytest.raises(secmaster.DataError, match="security_id"):
        secmaster.build([(1, "security_id", 5, D(2024, 1, 1))])
    with pytest.raises(secmaster.FileError):
        secmaster.build("no/such/file.csv")
    with pytest.raises(TypeError, match="datetime"):
        secmaster.build([(1, "t", datetime.datetime(2024, 1, 1), D(2024, 1, 1))])
    with pytest.raises(TypeError, match="facts are"):
        secmaster.build(42)


def test_store(tmp_path):
    store = secmaster.Store.init(tmp_path / "s")
    report = store.ingest(TRAIL)
    assert report["batch"] == 1 and report["facts"] == 15 and not report["dry_run"]
    with pytest.raises(secmaster.DataError, match="same|duplicate|equal"):
        store.ingest(TRAIL)
    dry = store.ingest(UPDATE, dry_run=True)
    assert dry["dry_run"] and len(store.log()) == 1
    store.ingest(secmaster.generate(3, 60, seed=1))
    store.ingest([(1, "ticker", "NEW", D(2024, 7, 1))])
    log = store.log()
    assert [b["batch"] for b in log] == [1, 2, 3]
    assert log[1]["sources"] == ["<arrow table>"]
    assert store.master(as_known_at=1) == secmaster.build(TRAIL)
    assert store.master(as_known_at=log[0]["committed_at"]) == secmaster.build(TRAIL)
    now = store.master()
    assert now.as_of("2024-07-02").filter(pc.equal(pc.field("security_id"), 1))[
        "ticker"
    ].to_pylist() == ["NEW"]
    found = store.resolve("ticker", "LENZ", D(2024, 4, 1))
    assert found["security_id"].to_pylist() == [1]
    history = store.history(1)
    assert "batch" in history.column_names
    assert store.verify()["files"] >= 3
    assert isinstance(store.compact(), list)
    assert secmaster.Store(tmp_path / "s").master() == now
    with pytest.raises(secmaster.StoreError):
        secmaster.Store(tmp_path / "nothing")
