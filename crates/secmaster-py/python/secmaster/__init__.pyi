"""Type stubs of the secmaster package (the native module is secmaster._secmaster)."""

import datetime
import os
from typing import Any, Literal, Optional, Sequence, Tuple, Union

import pyarrow

from secmaster._errors import DataError as DataError
from secmaster._errors import Error as Error
from secmaster._errors import FileError as FileError
from secmaster._errors import StoreError as StoreError

Path = Union[str, os.PathLike]
Value = Union[None, bool, int, float, str, datetime.date]
Date = Union[datetime.date, str]
FactRow = Tuple[int, str, Value, Date]
#: A path, a list of paths, an Arrow-compatible table (anything with ``__arrow_c_stream__``:
#: pyarrow Table or RecordBatchReader, Polars DataFrame; or a pandas DataFrame), or a list
#: of ``(security_id, attribute, value, effective_date)`` tuples.
Facts = Union[Path, Sequence[Path], Any, Sequence[FactRow]]
PositionRow = Tuple[int, float, Date]
Positions = Union[Path, Any, Sequence[PositionRow]]

def build(
    facts: Facts,
    *,
    updates: Optional[Union[Facts, Sequence[Facts]]] = None,
    priority: Optional[Sequence[str]] = None,
    date_format: Optional[str] = None,
) -> Master:
    """Builds a master from facts, then merges each batch of ``updates`` in order."""

def read(path: Path) -> Master:
    """Reads a master from a table file secmaster wrote (Parquet, Arrow IPC, CSV, SQLite)."""

def generate(securities: int, facts: int, *, seed: int = 42) -> pyarrow.Table:
    """A realistic, deterministic fact trail with text values, as ``secmaster generate``."""

class Master:
    """A point-in-time security master (see the module docs)."""

    def __init__(self, *, priority: Optional[Sequence[str]] = None) -> None: ...
    def merge(self, facts: Facts, *, date_format: Optional[str] = None) -> None:
        """Merges a later batch; equals a rebuild (rule 6). Unchanged on error."""
    def to_arrow(self) -> pyarrow.Table:
        """The table, its key count and priority in the schema metadata."""
    def to_pandas(self, *, arrow_dtypes: bool = True) -> Any:
        """The table as a pandas DataFrame (exact with Arrow dtypes)."""
    def to_polars(self) -> Any:
        """The table as a Polars DataFrame."""
    @staticmethod
    def from_arrow(table: Any) -> Master:
        """The master a table from ``to_arrow`` holds."""
    @staticmethod
    def from_pandas(df: Any) -> Master:
        """The master a DataFrame from ``to_pandas`` holds."""
    @staticmethod
    def from_polars(df: Any, *, priority: Optional[Sequence[str]] = None) -> Master:
        """The master a DataFrame from ``to_polars`` holds."""
    def asset_class(self, asset_class: Optional[str]) -> pyarrow.Table:
        """The rows of a class (None: uncategorized), all-null attributes dropped (rule 9)."""
    def as_of(self, date: Date) -> pyarrow.Table:
        """Each security's row in force on ``date``."""
    def security(self, security_id: int) -> pyarrow.Table:
        """One security's rows."""
    def columns(self, *names: str) -> pyarrow.Table:
        """The key columns, then the attributes named."""
    def join_positions(
        self, positions: Positions, how: Literal["inner", "left"] = "inner"
    ) -> pyarrow.Table:
        """Positions joined as of their dates (rule 10)."""
    def write(self, path: Path) -> None:
        """Writes the table (Parquet, Arrow IPC, CSV + sidecar, SQLite, JSON Lines)."""
    @property
    def column_names(self) -> list[str]: ...
    @property
    def num_rows(self) -> int: ...
    def __len__(self) -> int: ...

class Store:
    """A store: an append-only log of fact batches and the table they make."""

    def __init__(self, path: Path) -> None: ...
    @staticmethod
    def init(path: Path, *, priority: Optional[Sequence[str]] = None) -> Store: ...
    @property
    def path(self) -> str: ...
    def ingest(
        self,
        facts: Facts,
        *,
        dry_run: bool = False,
        allow_duplicate: bool = False,
        date_format: Optional[str] = None,
        wait: Optional[float] = None,
    ) -> dict[str, Any]: ...
    def master(self, as_known_at: Optional[Union[int, datetime.datetime]] = None) -> Master: ...
    def log(self) -> list[dict[str, Any]]: ...
    def resolve(
        self,
        attribute: str,
        value: Value,
        on: Date,
        *,
        as_known_at: Optional[Union[int, datetime.datetime]] = None,
    ) -> pyarrow.Table: ...
    def history(
        self, security_id: int, *, as_known_at: Optional[Union[int, datetime.datetime]] = None
    ) -> pyarrow.Table: ...
    def compact(self) -> list[str]: ...
    def verify(self) -> dict[str, int]: ...
