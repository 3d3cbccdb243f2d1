"""The conformance vectors (conformance/cases/*.json, SEED.md's Addendum D) through the
Python package, compared as Arrow tables column by column, types included. The same
vectors run through the Rust core in crates/secmaster-core/tests/it/conformance.rs."""

import datetime
import json

import pyarrow as pa
import pytest

import secmaster
from conftest import ROOT, assert_tables_equal

CASES = sorted((ROOT / "conformance" / "cases").glob("*.json"))
TYPES = {
    "int": pa.int64(),
    "float": pa.float64(),
    "str": pa.string(),
    "date": pa.date32(),
    "bool": pa.bool_(),
    "null": pa.null(),
}
FLOATS = {"NaN": float("nan"), "inf": float("inf"), "-inf": float("-inf"), "-0.0": -0.0}


def test_every_case_file_is_collected():
    files = list((ROOT / "conformance" / "cases").iterdir())
    assert len(CASES) == len(files) >= 35


def fact_value(v):
    if isinstance(v, dict):
        ((tag, text),) = v.items()
        return datetime.date.fromisoformat(text) if tag == "date" else FLOATS[text]
    return v


def facts(batch):
    return [(i, a, fact_value(v), datetime.date.fromisoformat(d)) for i, a, v, d in batch]


def cell(v, ty):
    if v is None:
        return None
    if ty == "date":
        return datetime.date.fromisoformat(v)
    if ty == "float":
        return FLOATS.get(v, v) if isinstance(v, str) else float(v)
    return v


def expected_table(expect):
    names = [n for n, _ in expect["columns"]]
    columns = [
        pa.array([cell(row[i], ty) for row in expect["rows"]], type=TYPES[ty])
        for i, (_, ty) in enumerate(expect["columns"])
    ]
    return pa.Table.from_arrays(columns, names=names)


def result(case, master):
    view = case.get("view")
    if "positions" in case:
        # A JSON integer quantity stays an int (an int column), any other number a float.
        positions = [(i, q, datetime.date.fromisoformat(d)) for i, q, d in case["positions"]]
        return master.join_positions(positions, how=case.get("how", "inner"))
    if view is None:
        return master.to_arrow()
    ((kind, arg),) = view.items()
    if kind == "asset_class":
        return master.asset_class(arg)
    if kind == "as_of":
        return master.as_of(datetime.date.fromisoformat(arg))
    if kind == "security":
        return master.security(arg)
    if kind == "columns":
        return master.columns(*arg)
    raise AssertionError(f"unknown view {kind}")


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path):
    case = json.loads(path.read_text())
    priority = case.get("priority")
    batches = [facts(b) for b in case["batches"]]
    expect = case["expect"]
    if "error" in expect:
        master = None
        if len(batches) > 1:
            master = secmaster.build(batches[0], updates=batches[1:-1], priority=priority)
            before = master.to_arrow()
        with pytest.raises(secmaster.DataError) as refused:
            if master is None:
                secmaster.build(batches[0], priority=priority)
            else:
                master.merge(batches[-1])
        for text in expect["error"]["contains"]:
            assert text in str(refused.value)
        if master is not None:
            assert master.to_arrow().equals(before), "a refused merge changed the master"
        with pytest.raises(secmaster.DataError):
            secmaster.build([f for b in batches for f in b], priority=priority)
        return
    master = secmaster.build(batches[0], updates=batches[1:], priority=priority)
    whole = secmaster.build([f for b in batches for f in b], priority=priority)
    assert_tables_equal(whole.to_arrow(), master.to_arrow(), f"{path.name}: merge != rebuild")
    assert_tables_equal(result(case, master), expected_table(expect), path.name)
