"""Shared paths and helpers of the Python tests."""

import math
import struct
from pathlib import Path

import pyarrow as pa
import pytest

#: The repository's root: samples/ and conformance/ live there.
ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "samples"


@pytest.fixture
def samples():
    return SAMPLES


def bits(x: float) -> int:
    """A float's bits, so NaN equals NaN and -0.0 differs from 0.0."""
    return struct.unpack("<q", struct.pack("<d", x))[0]


def assert_tables_equal(got: pa.Table, expected: pa.Table, context: str = "") -> None:
    """Column by column: names, Arrow types, then every cell (floats bit for bit)."""
    assert got.column_names == expected.column_names, context
    for name in expected.column_names:
        g, e = got.column(name), expected.column(name)
        assert g.type == e.type, f"{context}: column {name}: {g.type} vs {e.type}"
        gv, ev = g.to_pylist(), e.to_pylist()
        if pa.types.is_floating(e.type):
            gv = [None if v is None else bits(v) for v in gv]
            ev = [None if v is None else bits(v) for v in ev]
        assert gv == ev, f"{context}: column {name}"


def is_nan(x) -> bool:
    return isinstance(x, float) and math.isnan(x)
