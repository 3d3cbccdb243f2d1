//! CSV: tables that read back exactly (a header row, ISO dates, an empty field for null,
//! and a JSON schema sidecar), and the parallel reader of fact files.
//!
//! A table CSV reads back exactly when its schema travels with it: [`write`](fn@write) puts the
//! [`TableSchema`] in a sidecar file next to it, `FILE.csv.schema.json` (see
//! [`schema_path`]), and [`read`] uses it when it is there. Without a sidecar, [`read`]
//! types each column by its values as fact files are typed (the narrowest of int, float,
//! date, bool that fits every value, else str; a column with no value has no type), and a
//! table whose first columns are a master's keys has 3 key columns.
//!
//! The sidecar also names the CSV it was written with, by length and XXH3-64 (`"data":
//! {"bytes": …, "xxh3": "…"}`). The two files are renamed into place one after the other,
//! so a crash between the renames could leave a CSV beside another write's sidecar; a
//! reader checks the pair and refuses such a one with a clear error rather than read a CSV
//! with a schema that is not its own. A CSV edited by hand is refused the same way; remove
//! its sidecar to read it typed by its values. Sidecars without `data` are read as before.
//!
//! The cells:
//! - null is an empty field; an empty string is `""`, so the two stay apart (Polars reads
//!   them so by default, DuckDB with `read_csv(..., allow_quoted_nulls = false)`);
//! - strings are quoted when they must be: empty, containing a comma, quote, CR or LF, or
//!   starting or ending with a space or tab;
//! - dates are ISO `YYYY-MM-DD` (signed beyond year 9999); booleans `true` and `false`;
//! - floats use Rust's shortest round-trip form (`0.1`, `1e300`, `-0.0`, `inf`, `-inf`,
//!   `NaN`), and a NaN other than the canonical one its bits, `NaN(0x7ff8000000000001)`,
//!   so every float comes back bit for bit.
//!
//! arrow-csv is not used: its reader, like the `csv` crate, cannot tell `""` from an empty
//! field, so it cannot keep an empty string apart from a null.
//!
//! Other tools infer the same types for a master's usual columns (int, float, bool, ISO
//! date, text; an all-null column comes back as text): DuckDB's `read_csv` by default,
//! Polars' `read_csv` with `try_parse_dates=True`.
//!
//! Fact files in CSV are read by [`crate::facts`], through this module's parallel reader of
//! blocks (`facts/`); both kinds of CSV share one quoting-aware record reader (`records.rs`).

use std::path::{Path, PathBuf};

use crate::csv::records::RecordError;
use crate::schema::{DataDigest, TableSchema};
use crate::{Error, Location, Result};

mod digest;
pub(crate) mod facts;
pub(crate) mod records;
mod table;

pub use table::{from_reader, master_to_writer, read, read_master, to_writer, write, write_master};
pub(crate) use table::{header, push_row, write_with_schema};

/// The suffix of a table CSV's schema sidecar.
pub const SCHEMA_SUFFIX: &str = ".schema.json";

/// The sidecar that holds the schema of the table CSV at `path`: `path` with
/// [`SCHEMA_SUFFIX`] appended (`master.csv` → `master.csv.schema.json`).
pub fn schema_path(path: impl AsRef<Path>) -> PathBuf {
    let mut p = path.as_ref().as_os_str().to_owned();
    p.push(SCHEMA_SUFFIX);
    PathBuf::from(p)
}
/// Reads the schema sidecar of the table CSV at `path`, if there is one.
pub fn read_schema(path: impl AsRef<Path>) -> Result<Option<TableSchema>> {
    Ok(read_sidecar(path.as_ref())?.map(|(schema, _)| schema))
}

/// Reads the sidecar of the table CSV at `path`, with the digest of the CSV it was written
/// with (sidecars written before digests have none).
pub(crate) fn read_sidecar(path: &Path) -> Result<Option<(TableSchema, Option<DataDigest>)>> {
    let sidecar = schema_path(path);
    match std::fs::read_to_string(&sidecar) {
        Ok(text) => TableSchema::from_json_with(&text, &sidecar).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Read {
            path: sidecar,
            source,
        }),
    }
}

pub(crate) fn record_error(path: &Path) -> impl Fn(RecordError) -> Error + '_ {
    move |e| match e {
        RecordError::Io(source) => Error::Read {
            path: path.to_path_buf(),
            source,
        },
        RecordError::Malformed { line, reason } => Error::Malformed {
            path: path.to_path_buf(),
            location: Location::Line(line),
            reason,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_path_appends_the_suffix() {
        assert_eq!(schema_path("out/m.csv"), Path::new("out/m.csv.schema.json"));
    }
}
