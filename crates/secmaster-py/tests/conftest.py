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


@pytest.fixture(scope="session")
def spark():
    """One local Spark session (two cores) for every Spark test, so the JVM starts once.
    Skips, saying why, where Spark cannot run here (no Java or no pyspark) unless
    SECMASTER_REQUIRE_SPARK is set, as CI sets it: then it fails instead."""
    import os
    import shutil
    import sys

    reason = None
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        reason = "no Java on PATH and no JAVA_HOME"
    else:
        try:
            import pyspark  # noqa: F401
        except ImportError:
            reason = "pyspark is not installed (pip install './crates/secmaster-py[spark]')"
    if reason is not None:
        if os.environ.get("SECMASTER_REQUIRE_SPARK"):
            pytest.fail(f"SECMASTER_REQUIRE_SPARK is set but Spark cannot run: {reason}")
        print(f"\n*** SKIPPING THE SPARK TESTS: {reason} ***", file=sys.stderr)
        pytest.skip(f"SPARK TESTS SKIPPED: {reason}")
    from pyspark.sql import SparkSession

    # The Python workers run this interpreter, which has secmaster installed.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("secmaster-tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
