//! The file formats io reads and writes, each named once: its extensions, its short name,
//! and what it can hold.
//!
//! | format | name | extensions | tables read back | facts | positions |
//! |--------|------|------------|------------------|-------|-----------|
//! | [`Format::Parquet`] | `parquet` | `.parquet`, `.pq` | exactly | yes | yes |
//! | [`Format::Ipc`] | `arrow` | `.arrow`, `.ipc`, `.feather` | exactly | no | no |
//! | [`Format::Csv`] | `csv` | `.csv` (and `.txt` for facts and positions) | exactly, with its schema sidecar | yes | yes |
//! | [`Format::JsonLines`] | `json` | `.jsonl`, `.ndjson`, `.json` | no: output only | yes | no |
//! | [`Format::Sqlite`] | `sqlite` | `.db`, `.sqlite`, `.sqlite3` | exactly | no | no |

use std::fmt;
use std::path::Path;

use crate::{Error, Result};

/// A file format. [`Format::from_path`] tells it from a file name's extension,
/// [`Format::from_name`] from its short name.
///
/// ```
/// use secmaster_io::Format;
///
/// assert_eq!(Format::from_path("out/master.PQ")?, Format::Parquet);
/// assert_eq!(Format::from_name("arrow"), Some(Format::Ipc));
/// assert_eq!(Format::Ipc.name(), "arrow");
/// assert!(Format::from_path("trail.txt").is_err());
/// assert_eq!(Format::of_input("trail.txt"), Some(Format::Csv));
/// # Ok::<(), secmaster_io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Apache Parquet.
    Parquet,
    /// An Arrow IPC file (Feather v2).
    Ipc,
    /// CSV with a header row; a table's schema goes in a sidecar file.
    Csv,
    /// JSON Lines: one object per line.
    JsonLines,
    /// A SQLite database file.
    Sqlite,
}

impl Format {
    /// Every format, in the order error messages list them.
    pub const ALL: [Format; 5] = [
        Format::Parquet,
        Format::Ipc,
        Format::Csv,
        Format::JsonLines,
        Format::Sqlite,
    ];

    /// The short name, as the command line's `--format` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Ipc => "arrow",
            Format::Csv => "csv",
            Format::JsonLines => "json",
            Format::Sqlite => "sqlite",
        }
    }

    /// A line that says what the format is, for help texts.
    pub fn description(self) -> &'static str {
        match self {
            Format::Parquet => "Apache Parquet",
            Format::Ipc => "Arrow IPC file",
            Format::Csv => "CSV with a header row, ISO dates and empty fields for null",
            Format::JsonLines => "JSON Lines: one object per row",
            Format::Sqlite => "A SQLite database file",
        }
    }

    /// The file-name extensions of the format, without the dot, the usual one first.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Format::Parquet => &["parquet", "pq"],
            Format::Ipc => &["arrow", "ipc", "feather"],
            Format::Csv => &["csv"],
            Format::JsonLines => &["jsonl", "ndjson", "json"],
            Format::Sqlite => &["db", "sqlite", "sqlite3"],
        }
    }

    /// The format of this [`name`](Format::name).
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The format an extension (without the dot, in any case) names.
    pub fn from_extension(extension: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| {
            f.extensions()
                .iter()
                .any(|e| e.eq_ignore_ascii_case(extension))
        })
    }

    /// The format a file name's extension says.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Format> {
        let path = path.as_ref();
        extension(path)
            .and_then(Format::from_extension)
            .ok_or_else(|| {
                let expected: Vec<String> = Format::ALL
                    .iter()
                    .flat_map(|f| f.extensions())
                    .map(|e| format!(".{e}"))
                    .collect();
                Error::UnknownFormat {
                    path: path.to_path_buf(),
                    expected: expected.join(", "),
                }
            })
    }

    /// The format of a fact or positions file: as [`Format::from_path`] says, and a `.txt`
    /// file is CSV (the prototype's trail). The reader refuses the formats it does not
    /// read, naming those it does.
    pub fn of_input(path: impl AsRef<Path>) -> Option<Format> {
        match extension(path.as_ref())? {
            e if e.eq_ignore_ascii_case("txt") => Some(Format::Csv),
            e => Format::from_extension(e),
        }
    }

    /// Whether the format is binary, so that only a file can hold it (not a terminal or
    /// a pipe).
    pub fn is_binary(self) -> bool {
        matches!(self, Format::Parquet | Format::Ipc | Format::Sqlite)
    }

    /// Whether a table written in this format reads back as the same table (DESIGN.md
    /// rule 11); JSON Lines is output only.
    pub fn reads_back(self) -> bool {
        self != Format::JsonLines
    }
}

fn extension(path: &Path) -> Option<&str> {
    path.extension().and_then(|e| e.to_str())
}

/// The error for an input file at `path` whose extension names none of `formats`, which
/// are what the reader takes (a CSV also as `.txt`).
pub(crate) fn unreadable(path: &Path, formats: &[Format]) -> Error {
    let mut names: Vec<String> = Vec::new();
    for &f in formats {
        names.extend(f.extensions().iter().map(|e| format!(".{e}")));
        if f == Format::Csv {
            names.push(".txt".to_string());
        }
    }
    Error::UnknownFormat {
        path: path.to_path_buf(),
        expected: names.join(", "),
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_extensions_lead_back_to_their_format() {
        for format in Format::ALL {
            assert_eq!(Format::from_name(format.name()), Some(format));
            assert_eq!(format.to_string(), format.name());
            for ext in format.extensions() {
                assert_eq!(Format::from_extension(ext), Some(format));
                let upper = format!("m.{}", ext.to_ascii_uppercase());
                assert_eq!(Format::from_path(&upper).unwrap(), format);
            }
        }
        assert_eq!(Format::from_name("xlsx"), None);
    }

    #[test]
    fn inputs_take_txt_as_csv() {
        assert_eq!(Format::of_input("t.TXT"), Some(Format::Csv));
        assert_eq!(Format::of_input("t.ndjson"), Some(Format::JsonLines));
        assert_eq!(Format::of_input("t"), None);
        assert!(Format::from_path("t.txt").is_err());
        let facts = [Format::Csv, Format::JsonLines, Format::Parquet];
        assert_eq!(
            unreadable(Path::new("m.arrow"), &facts).to_string(),
            "cannot tell the format of `m.arrow` from its extension; expected one of \
             .csv, .txt, .jsonl, .ndjson, .json, .parquet, .pq"
        );
        assert_eq!(
            Format::from_path("noext").unwrap_err().to_string(),
            "cannot tell the format of `noext` from its extension; expected one of \
             .parquet, .pq, .arrow, .ipc, .feather, .csv, .jsonl, .ndjson, .json, .db, \
             .sqlite, .sqlite3"
        );
    }
}
