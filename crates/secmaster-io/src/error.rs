//! The one error type of secmaster-io, with the location of every problem it reports.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in a file a problem is: a text line or a row of a columnar file (both 1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A line of a text file (CSV, JSON Lines); for a record that spans lines, its first.
    Line(u64),
    /// A row of a columnar file or database table.
    Row(u64),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Row(n) => write!(f, "row {n}"),
        }
    }
}

/// Why reading or writing a file failed. Every variant names the file; those about one
/// record also name its [`Location`]. Messages are lowercase, and the underlying cause is
/// the [`source`](std::error::Error::source), not repeated in the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or read.
    #[error("cannot read `{}`", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file could not be written; nothing was left at its path.
    #[error("cannot write `{}`", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A required column is absent from a header, schema or table.
    #[error(
        "`{}`{}: missing column `{column}`; found: {}",
        .path.display(), at(.location), clip(.found)
    )]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The header line or record, if the columns come from one (not from a schema).
        location: Option<Location>,
        /// The missing column.
        column: String,
        /// The columns that are there, comma-separated.
        found: String,
    },
    /// A record has more or fewer fields than the header (or the format) says.
    #[error("`{}`, {location}: expected {expected} fields, found {found}", .path.display())]
    RaggedRow {
        /// The file.
        path: PathBuf,
        /// The record.
        location: Location,
        /// The number of fields a record must have.
        expected: usize,
        /// The number it has.
        found: usize,
    },
    /// A field does not hold what its column requires (a malformed date, an id that is not
    /// an integer, a value of the wrong type).
    #[error(
        "`{}`, {location}: column `{column}`: expected {expected}, found `{}`",
        .path.display(), clip(.found)
    )]
    InvalidValue {
        /// The file.
        path: PathBuf,
        /// The record.
        location: Location,
        /// The column.
        column: String,
        /// What the column requires, e.g. "a date like 2024-03-22".
        expected: String,
        /// The offending text, or a description of the offending value.
        found: String,
    },
    /// The file is not well-formed in its format (an unterminated quote, invalid UTF-8,
    /// a record that is not a JSON object).
    #[error("`{}`, {location}: {}", .path.display(), clip(.reason))]
    Malformed {
        /// The file.
        path: PathBuf,
        /// Where.
        location: Location,
        /// What is wrong.
        reason: String,
    },
    /// A JSON Lines record is not valid JSON.
    #[error("`{}`, {location}: invalid json", .path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The line.
        location: Location,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// Arrow could not encode or decode the data (IPC files, record batches).
    #[error("arrow data in `{}` is not readable or writable", .path.display())]
    Arrow {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: arrow_schema::ArrowError,
    },
    /// The Parquet reader or writer failed.
    #[error("parquet data in `{}` is not readable or writable", .path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// SQLite failed.
    #[error("sqlite database `{}` failed", .path.display())]
    Sql {
        /// The database file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: rusqlite::Error,
    },
    /// A column has a type secmaster cannot hold (it holds int, float, bool, str, date).
    #[error(
        "`{}`: column `{column}` has type {data_type}, which secmaster cannot hold",
        .path.display()
    )]
    UnsupportedType {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// The file's type for it.
        data_type: String,
    },
    /// The schema that travels with a table (Arrow metadata, a CSV sidecar, the SQL schema
    /// table) is missing or does not describe the data.
    #[error("`{}`: invalid schema: {}", .path.display(), clip(.reason))]
    InvalidSchema {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The data was read but the core refused it as a table or master.
    #[error("`{}` does not hold a valid secmaster table", .path.display())]
    Table {
        /// The file.
        path: PathBuf,
        /// The core's reason.
        #[source]
        source: secmaster_core::Error,
    },
    /// A file's decoder (arrow-ipc, parquet) failed on what the file declares: the file is
    /// damaged or not of its format.
    #[error("`{}`: a damaged {format} file: {}", .path.display(), clip(.reason))]
    Damaged {
        /// The file.
        path: PathBuf,
        /// Its format.
        format: &'static str,
        /// What the decoder said.
        reason: String,
    },
    /// A table or column name cannot be written in the format asked for (SQL names cannot
    /// hold a NUL character).
    #[error("`{}`: {reason}", clip(.name))]
    UnrepresentableName {
        /// The name.
        name: String,
        /// Why the format cannot hold it.
        reason: String,
    },
    /// A cell has no literal in the SQL dialect asked for (PostgreSQL text cannot hold a
    /// NUL character, nor its dates reach before 4714-11-24 BC).
    #[error("row {row}, column `{column}`: {reason}")]
    Unrepresentable {
        /// The row, from 1.
        row: u64,
        /// The column.
        column: String,
        /// Why the dialect cannot hold the cell.
        reason: String,
    },
    /// The format cannot be told from the file name.
    #[error(
        "cannot tell the format of `{}` from its extension; expected one of {expected}",
        .path.display()
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// The extensions that are understood.
        expected: String,
    },
    /// A SQLite database has no table of the given name.
    #[error(
        "`{}`: no table named `{table}`; the database has: {}",
        .path.display(), clip(.available)
    )]
    NoSuchTable {
        /// The database file.
        path: PathBuf,
        /// The table asked for.
        table: String,
        /// The tables there, comma-separated.
        available: String,
    },
}

/// The most of a file's text (a field, a header's column list) a message quotes.
const CLIP: usize = 200;

/// `text` as a message quotes it: whole if short, else its first [`CLIP`] characters and
/// how much was left out, so that a megabyte-long header or field makes a readable error.
fn clip(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(CLIP) {
        None => text.into(),
        Some((end, _)) => format!("{}… ({} more bytes)", &text[..end], text.len() - end).into(),
    }
}

fn at(location: &Option<Location>) -> String {
    location.map_or(String::new(), |l| format!(", {l}"))
}

impl Error {
    /// An [`Error::InvalidValue`]: the one constructor the readers share.
    pub(crate) fn invalid_value(
        path: &std::path::Path,
        location: Location,
        column: &str,
        expected: String,
        found: impl std::fmt::Display,
    ) -> Error {
        Error::InvalidValue {
            path: path.to_path_buf(),
            location,
            column: column.to_string(),
            expected,
            found: found.to_string(),
        }
    }
}

/// The result type of secmaster-io.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Turns arrow's errors into [`Error::Arrow`] naming `path`: a `map_err` argument.
pub(crate) fn arrow_error(path: &Path) -> impl Fn(arrow_schema::ArrowError) -> Error + '_ {
    move |source| Error::Arrow {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_file_and_location() {
        let e = Error::RaggedRow {
            path: "facts.csv".into(),
            location: Location::Line(3),
            expected: 4,
            found: 3,
        };
        assert_eq!(
            e.to_string(),
            "`facts.csv`, line 3: expected 4 fields, found 3"
        );
        assert_eq!(Location::Row(7).to_string(), "row 7");
    }

    #[test]
    fn long_lists_and_fields_are_clipped_in_messages() {
        let columns: Vec<String> = (0..1_000_000).map(|i| format!("c{i}")).collect();
        let e = Error::MissingColumn {
            path: "wide.csv".into(),
            location: Some(Location::Line(1)),
            column: "security_id".into(),
            found: columns.join(", "),
        };
        let message = e.to_string();
        assert!(message.len() < 300, "{} bytes", message.len());
        assert!(
            message
                .starts_with("`wide.csv`, line 1: missing column `security_id`; found: c0, c1, c2")
        );
        assert!(message.ends_with(" more bytes)"), "{message}");
        let e = Error::invalid_value(
            "f.csv".as_ref(),
            Location::Line(2),
            "effective_date",
            "a date".into(),
            "é".repeat(10_000),
        );
        assert!(e.to_string().len() < 600, "{e}");
        let short = Error::invalid_value("f.csv".as_ref(), Location::Line(2), "x", "y".into(), "z");
        assert_eq!(
            short.to_string(),
            "`f.csv`, line 2: column `x`: expected y, found `z`"
        );
    }
}
