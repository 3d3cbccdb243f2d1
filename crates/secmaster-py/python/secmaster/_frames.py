"""pandas and Polars conversions of a master's table (pyarrow does the work)."""

from __future__ import annotations

import json

import pyarrow as pa

#: The key of ``DataFrame.attrs`` where ``to_pandas`` keeps what ``from_pandas`` needs.
ATTRS_KEY = "secmaster"


def to_pandas(table: pa.Table, arrow_dtypes: bool = True):
    import pandas as pd

    if arrow_dtypes:
        df = table.to_pandas(types_mapper=pd.ArrowDtype)
    else:
        df = table.to_pandas()
    metadata = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    df.attrs[ATTRS_KEY] = {
        "metadata": metadata,
        "types": {f.name: str(f.type) for f in table.schema},
    }
    return df


def from_pandas(df) -> pa.Table:
    table = pa.Table.from_pandas(df, preserve_index=False)
    saved = df.attrs.get(ATTRS_KEY)
    if saved is None:
        return table.replace_schema_metadata(None)
    types = saved["types"]
    if list(types) != table.column_names:
        raise ValueError(
            "the DataFrame's columns are not the ones to_pandas wrote: "
            f"{table.column_names} vs {list(types)}"
        )
    schema = pa.schema(
        [pa.field(name, pa.type_for_alias(t)) for name, t in types.items()],
        metadata=saved["metadata"],
    )
    # Without Arrow dtypes an int column with nulls came out as floats, dates as objects,
    # an all-null column as objects: cast each back to the type it had.
    return table.cast(schema)


def to_polars(table: pa.Table):
    try:
        import polars as pl
    except ImportError as e:
        raise ImportError("to_polars needs Polars: pip install polars") from e

    return pl.from_arrow(table)


def from_polars(df, priority=None) -> pa.Table:
    table = df.to_arrow()
    if priority is not None:
        table = table.replace_schema_metadata({"secmaster:priority": json.dumps(list(priority))})
    return table
