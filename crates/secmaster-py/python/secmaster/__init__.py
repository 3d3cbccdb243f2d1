"""secmaster: a point-in-time security master.

Facts about securities, ``(security_id, attribute, value, effective_date)``, arriving late
and out of order, become one exact point-in-time table (a type-2 slowly changing
dimension), kept exact as later batches are merged in::

    import secmaster

    master = secmaster.build("samples/audit_trail.csv")
    master.merge("samples/audit_trail_update.csv")
    master.to_pandas()                      # or to_arrow(), to_polars()
    master.asset_class("equity")            # a pyarrow.Table
    master.join_positions("samples/positions.csv")

Facts may be file paths (CSV, JSON Lines, Parquet), Arrow-compatible tables (pyarrow,
Polars, pandas) or lists of tuples. Tables cross the boundary through the Arrow C stream
interface without a copy; the work runs with the GIL released. Errors are
``secmaster.Error`` subclasses; refused data raises ``secmaster.DataError``, a ``ValueError``.
The rules the table obeys: docs/RULES.md in the repository.
"""

from secmaster._errors import DataError, Error, FileError, StoreError
from secmaster._secmaster import Master, Store, build, generate, read

__all__ = [
    "DataError",
    "Error",
    "FileError",
    "Master",
    "Store",
    "StoreError",
    "build",
    "generate",
    "read",
]
