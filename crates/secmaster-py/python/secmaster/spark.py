"""secmaster on Apache Spark: the same exact build, for fact logs beyond one machine.

The SCD-2 build is independent per security, so a Spark job can run it in parallel
with the one Rust engine secmaster runs on one machine::

    from secmaster import spark as sms

    facts = sms.read_facts(session, ["s3://bucket/trail-1.csv", "s3://bucket/trail-2.csv"])
    master = sms.build(facts)                       # a pyspark.sql.DataFrame
    sms.join_positions(master, positions, how="left")

How ``build`` runs, and why its table is the one ``secmaster.build`` makes of the same facts
in the same order:

1. **Types, decided once.** Each input partition's facts are summarized by the Rust
   engine (what every text value of each attribute fits; the types of typed values). The
   small summaries are collected and combined on the driver into the columns of the whole
   input, in rule 7's order and at rule 8's types: the typing a one-machine read of the
   whole input makes, by the same code. The output schema is known before the build job.
2. **Arrival order, carried.** Each fact carries an arrival key (see ``build``) through the
   shuffle, since "the last arrival wins" (rule 5) and a shuffle does not keep order.
3. **Build per partition.** The facts are repartitioned by ``security_id``; each partition
   is sorted by its arrival key and built by the Rust engine (``mapInArrow``) into a master
   declared with the decided columns, so every partition types identically.

pyspark is an optional dependency: ``pip install 'secmaster[spark]'``.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Iterator, Optional, Sequence, Union

import pyarrow as pa
import pyarrow.compute as pc

from secmaster import _secmaster
from secmaster._errors import DataError, Error, FileError, StoreError

try:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "secmaster.spark needs pyspark: pip install 'secmaster[spark]' (and Java 17 or later)"
    ) from e

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["ARRIVAL", "build", "join_positions", "read_facts", "read_log"]

#: The columns of an explicit arrival key, as ``read_facts`` and ``read_log`` add them:
#: the input file's place in the list (the batch number for a store's log), the start of
#: the file split the row was read from, and the row's place in its Spark partition.
ARRIVAL = ("_arrival_file", "_arrival_split", "_arrival_row")

_KEYS = ("security_id", "effective_start_date", "effective_end_date")
_SPLIT = ("value_bool", "value_int", "value_float", "value_str", "value_date")
_SPARK_TYPES = {
    None: T.NullType(),
    "bool": T.BooleanType(),
    "int": T.LongType(),
    "float": T.DoubleType(),
    "str": T.StringType(),
    "date": T.DateType(),
}
_ARROW_TYPES = {
    None: pa.null(),
    "bool": pa.bool_(),
    "int": pa.int64(),
    "float": pa.float64(),
    "str": pa.string(),
    "date": pa.date32(),
}
_ERRORS = {"DataError": DataError, "FileError": FileError, "StoreError": StoreError}


def build(
    facts: "DataFrame",
    *,
    arrival: Union[str, Sequence[str], None] = None,
    partitions: Optional[int] = None,
    priority: Optional[Sequence[str]] = None,
    date_format: Optional[str] = None,
) -> "DataFrame":
    """The SCD-2 table of ``facts`` as a Spark DataFrame: exactly the table
    ``secmaster.build`` makes of the same facts in the same arrival order, types included.

    ``facts`` has the columns ``security_id`` (an integer), ``attribute``, ``value`` (text,
    typed per attribute over the whole input as the command line types a file, or one typed
    column) or instead the five typed columns of a store's log (``value_bool, value_int,
    value_float, value_str, value_date``), and ``effective_date`` (a date, or text in one
    layout). Other columns are ignored.

    Arrival order (rule 5: of facts sharing a key the last arrival wins) is, in this order
    of preference: the columns named by ``arrival`` (sorted ascending, ties not allowed);
    the ``ARRIVAL`` columns that ``read_facts`` and ``read_log`` add; else the DataFrame's
    own order (partition by partition, row by row), which is only meaningful for a
    DataFrame made from data in hand or a single-file read: Spark does not keep file order.

    ``partitions``: how many partitions to build in (default: Spark's
    ``spark.sql.shuffle.partitions``). The output's rows are ordered by
    ``(security_id, effective_start_date)`` within each partition; the DataFrame as a whole
    has no order until asked for one. Raises ``secmaster.DataError`` (before any build
    task runs) for facts a one-machine build refuses: a type conflict (rule 8), an empty or
    key-column attribute, a missing id or date.
    """
    session = facts.sparkSession
    fields = {f.name.lower(): f for f in facts.schema.fields}
    split = "value" not in fields and all(c in fields for c in _SPLIT)
    values = list(_SPLIT) if split else ["value"]
    for c in ["security_id", "attribute", *values, "effective_date"]:
        if c not in fields:
            raise DataError(f"facts need a column `{c}`; found {', '.join(facts.columns)}")
    columns = [
        F.col(fields["security_id"].name).cast("long").alias("security_id"),
        F.col(fields["attribute"].name).alias("attribute"),
        *[F.col(fields[v].name).alias(v) for v in values],
        F.col(fields["effective_date"].name).alias("effective_date"),
    ]
    if arrival is None:
        arrival = [c for c in ARRIVAL if c in facts.columns] or None
    elif isinstance(arrival, str):
        arrival = [arrival]
    if arrival is None:
        keyed = facts.select(*columns, F.monotonically_increasing_id().alias(ARRIVAL[2]))
        arrival = [ARRIVAL[2]]
    else:
        keyed = facts.select(*columns, *[F.col(c) for c in arrival])
    fact_columns = ["security_id", "attribute", *values, "effective_date"]

    # The layout of text dates: the first date's in arrival order, as in a file.
    if date_format is None and isinstance(fields["effective_date"].dataType, T.StringType):
        first = (
            keyed.where(F.col("effective_date").isNotNull())
            .orderBy(*arrival)
            .select("effective_date")
            .first()
        )
        if first is not None:
            date_format = _secmaster._date_layout(first[0])

    # 1. The columns, decided from every partition's summary.
    def summarize(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        batches = list(batches)
        if not batches:
            return
        table = pa.Table.from_batches(batches).select(fact_columns)
        try:
            summary, error = _secmaster._type_summary(table, date_format=date_format), None
        except Error as e:
            summary, error = None, json.dumps([type(e).__name__, str(e)])
        yield pa.RecordBatch.from_pydict(
            {"summary": [summary], "error": [error]},
            schema=pa.schema([("summary", pa.string()), ("error", pa.string())]),
        )

    rows = (
        keyed.select(*fact_columns)
        .mapInArrow(summarize, "summary string, error string")
        .collect()
    )
    errors = [json.loads(r.error) for r in rows if r.error is not None]
    if errors:
        kind, message = errors[0]
        raise _ERRORS.get(kind, Error)(message)
    priority = list(priority) if priority is not None else None
    decided = _secmaster._decide_columns([r.summary for r in rows], priority=priority)

    # 2. and 3. Repartition by security, sort each partition by arrival, build.
    spark_schema = T.StructType(
        [
            T.StructField("security_id", T.LongType(), False),
            T.StructField("effective_start_date", T.DateType(), False),
            T.StructField("effective_end_date", T.DateType(), True),
        ]
        + [T.StructField(name, _SPARK_TYPES[ty], True) for name, ty in decided]
    )
    arrow_schema = pa.schema(
        [
            pa.field("security_id", pa.int64(), False),
            pa.field("effective_start_date", pa.date32(), False),
            pa.field("effective_end_date", pa.date32(), True),
        ]
        + [pa.field(name, _ARROW_TYPES[ty], True) for name, ty in decided]
    )
    keys = [(c, "ascending") for c in arrival]

    def build_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        batches = list(batches)
        if not batches:
            return
        table = pa.Table.from_batches(batches)
        if table.num_rows == 0:
            return
        table = table.take(pc.sort_indices(table, sort_keys=keys)).select(fact_columns)
        built = _secmaster._build_part(
            table, decided, priority=priority, date_format=date_format
        )
        built = pa.Table.from_arrays(built.columns, schema=arrow_schema)
        yield from built.to_batches(max_chunksize=1 << 16)

    n = partitions or int(session.conf.get("spark.sql.shuffle.partitions"))
    return keyed.repartition(n, "security_id").mapInArrow(build_partition, spark_schema)


def _quantity_type(positions: "DataFrame") -> str:
    """The type of the positions' quantities as one machine reads them (rule 10): ``long``
    for a column of integers (an integer column, or text cells all in plain decimal:
    ``-12``, not ``1e3``, ``007`` or ``+1``), else ``double``, the integers widened. One
    small aggregation over the text when the column is text."""
    column = positions.schema["quantity"].dataType.typeName()
    if column in ("byte", "short", "integer", "long"):
        return "long"
    if column != "string":
        return "double"
    # Up to 18 digits: every such number fits a long (the 19-digit ones that do are read
    # as doubles here, and would be longs on one machine: a documented difference).
    integer = r"^(0|-?[1-9][0-9]{0,17})$"
    other = positions.filter(F.col("quantity").isNotNull() & ~F.col("quantity").rlike(integer))
    return "double" if other.limit(1).count() else "long"


def join_positions(
    master: "DataFrame", positions: "DataFrame", how: str = "inner"
) -> "DataFrame":
    """Positions ``(security_id, quantity, date)`` joined onto a master's table (``build``'s
    output, or a table file secmaster wrote, read by Spark) as of their dates (rule 10):
    each position takes the attributes of its security's row with ``start <= date < end``
    (an open end holds on). Columns ``security_id, quantity, date`` then the attributes;
    quantities keep their type as one machine types them (integers stay ``long``).
    ``how="inner"`` drops the positions no row covers; ``"left"`` keeps them with null
    attributes. A range join Spark plans as a shuffle by ``security_id``.
    """
    if how not in ("inner", "left"):
        raise ValueError(f'how is "inner" or "left", not {how!r}')
    attributes = [c for c in master.columns if c not in _KEYS]
    p = positions.select(
        F.col("security_id").cast("long").alias("security_id"),
        F.col("quantity").cast(_quantity_type(positions)).alias("quantity"),
        F.col("date").cast("date").alias("date"),
    ).alias("p")
    m = master.alias("m")
    on = (
        (F.col("p.security_id") == F.col("m.security_id"))
        & (F.col("m.effective_start_date") <= F.col("p.date"))
        & (F.col("m.effective_end_date").isNull() | (F.col("p.date") < F.col("m.effective_end_date")))
    )
    return p.join(m, on, how).select(
        F.col("p.security_id").alias("security_id"),
        F.col("p.quantity").alias("quantity"),
        F.col("p.date").alias("date"),
        *[F.col(f"m.`{a}`").alias(a) for a in attributes],
    )


def read_facts(
    session: "SparkSession",
    paths: Union[str, Sequence[str]],
    *,
    format: Optional[str] = None,
) -> "DataFrame":
    """Fact files (CSV with a header, or Parquet) as one DataFrame of facts with an explicit
    arrival key (``ARRIVAL``): the files in the order given, each in its own order, so
    ``build`` of it is ``secmaster.build`` of the files concatenated. CSV values are read
    as text (typed later, over all files, as one input); ``format`` defaults to the first
    path's extension.
    """
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    paths = [str(p) for p in paths]
    if not paths:
        raise ValueError("read_facts needs at least one path")
    format = format or ("parquet" if paths[0].endswith(".parquet") else "csv")
    if format not in ("csv", "parquet"):
        raise ValueError(f'format is "csv" or "parquet", not {format!r}')

    def reader(path: str) -> "DataFrame":
        if format == "parquet":
            return session.read.parquet(path)
        # RFC 4180 quoting ("" inside quotes), every column as text: typing is secmaster's.
        csv = session.read.options(escape='"', inferSchema=False)
        first = session.read.text(path).first()
        field = first[0].split(",", 1)[0].strip().strip('"') if first is not None else ""
        if not (field.lstrip("-").isdigit()):
            return csv.options(header=True).csv(path)
        # The prototype's layout: no header (its first field is an id), a space after
        # each comma.
        return csv.options(header=False, ignoreLeadingWhiteSpace=True).csv(path).toDF(
            "security_id", "attribute", "value", "effective_date"
        )

    frames = [
        reader(path).select(
            "*",
            F.lit(i).cast("long").alias(ARRIVAL[0]),
            F.col("_metadata.file_block_start").alias(ARRIVAL[1]),
            F.monotonically_increasing_id().alias(ARRIVAL[2]),
        )
        for i, path in enumerate(paths)
    ]
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame, allowMissingColumns=True)
    return out


def read_log(
    session: "SparkSession", store: Union[str, "os.PathLike[str]"], *, as_known_at: Optional[int] = None
) -> "DataFrame":
    """A secmaster store's fact log (``log/NNNNNN.parquet``, exactly the segments its
    manifest commits) as a DataFrame of typed facts with an explicit arrival key (the
    batch, then the row within it), for ``build``: the store's table, rebuilt on Spark.
    ``as_known_at=N`` keeps batches 1 to N, as ``secmaster log --as-known-at`` does.
    """
    root = str(store).rstrip("/")
    with open(os.path.join(root, "manifest.json")) as f:
        manifest = json.load(f)
    batches = [
        b for b in manifest["batches"] if as_known_at is None or b["number"] <= as_known_at
    ]
    if not batches:
        raise StoreError(f"`{root}` has no batch to read" + (
            f" as known at {as_known_at}" if as_known_at is not None else ""
        ))
    paths = [os.path.join(root, b["log"]["path"]) for b in batches]
    return session.read.parquet(*paths).select(
        "security_id",
        "attribute",
        *_SPLIT,
        "effective_date",
        F.col("batch").alias(ARRIVAL[0]),
        F.col("_metadata.file_block_start").alias(ARRIVAL[1]),
        F.monotonically_increasing_id().alias(ARRIVAL[2]),
    )
