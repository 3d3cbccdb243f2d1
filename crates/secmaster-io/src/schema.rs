//! [`TableSchema`]: what a file must carry besides its cells for a table to come back exactly.

use std::path::Path;
use std::sync::Arc;

use secmaster_core::{Column, KEY_COLUMNS, Options, SecurityMaster, Table, ValueType};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The schema of a table as it travels between files: its typed columns in order, how many
/// of them are keys, and for a security master its attribute priority (DESIGN.md rule 7).
///
/// Arrow IPC and Parquet files keep it in their schema metadata (see
/// [`arrow`](crate::arrow)); a CSV file keeps it in a JSON sidecar (see [`csv`](crate::csv));
/// a SQLite database keeps it in a `secmaster_schema` table (see [`sql`](crate::sql)). The
/// JSON form is
///
/// ```json
/// {"format":"secmaster-table","version":1,"key_columns":3,
///  "priority":["asset_class","ticker","name"],
///  "columns":[{"name":"security_id","type":"int"},{"name":"x","type":null}]}
/// ```
///
/// where `type` is one of `bool`, `int`, `float`, `str`, `date`, or `null` for a column
/// whose every value is null and whose type is unknown, and `priority` is `null` for a table
/// that is not a master.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSchema {
    columns: Vec<Column>,
    key_columns: usize,
    priority: Option<Vec<Arc<str>>>,
}

#[derive(Serialize, Deserialize)]
struct Document {
    format: String,
    version: u32,
    key_columns: usize,
    priority: Option<Vec<String>>,
    columns: Vec<ColumnDocument>,
    /// In a CSV's sidecar: the CSV it describes, so a CSV and a sidecar written apart (a
    /// crash between their renames) are told apart from a pair written together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data: Option<DataDigest>,
}

/// The length and XXH3-64 (hex, as `xxhsum -H3` prints it) of the data file a schema
/// describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DataDigest {
    pub(crate) bytes: u64,
    #[serde(with = "hex")]
    pub(crate) xxh3: u64,
}

/// A `u64` as 16 hex digits in JSON.
mod hex {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(super) fn serialize<S: Serializer>(x: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{x:016x}"))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let text = String::deserialize(d)?;
        u64::from_str_radix(&text, 16).map_err(D::Error::custom)
    }
}

#[derive(Serialize, Deserialize)]
struct ColumnDocument {
    name: String,
    #[serde(rename = "type")]
    ty: Option<String>,
}

const FORMAT: &str = "secmaster-table";

impl TableSchema {
    /// A schema from its parts.
    pub fn new(columns: Vec<Column>, key_columns: usize, priority: Option<Vec<Arc<str>>>) -> Self {
        TableSchema {
            columns,
            key_columns,
            priority,
        }
    }

    /// The schema of a table (no priority).
    pub fn of_table(table: &Table) -> TableSchema {
        TableSchema::new(table.columns().to_vec(), table.key_columns(), None)
    }

    /// The schema of a master's table, with the master's priority.
    pub fn of_master(master: &SecurityMaster) -> TableSchema {
        TableSchema::new(
            master.columns(),
            KEY_COLUMNS.len(),
            Some(master.options().priority().to_vec()),
        )
    }

    /// The columns, keys first.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// How many leading columns are keys.
    pub fn key_columns(&self) -> usize {
        self.key_columns
    }

    /// The attribute priority, for a master's schema.
    pub fn priority(&self) -> Option<&[Arc<str>]> {
        self.priority.as_deref()
    }

    /// The options a master read with this schema orders its columns by: the recorded
    /// priority, or the default one.
    pub fn options(&self) -> Options {
        match &self.priority {
            Some(p) => Options::default().with_priority(p.iter().cloned()),
            None => Options::default(),
        }
    }

    /// The key count to assume for columns whose file does not say: 3 when they start with
    /// a master's key columns, else 0.
    pub(crate) fn guess_key_columns(names: &[&str]) -> usize {
        if names.len() >= KEY_COLUMNS.len() && names[..3] == KEY_COLUMNS {
            KEY_COLUMNS.len()
        } else {
            0
        }
    }

    /// Whether these columns start with a master's keys, so the table gets a primary key.
    pub(crate) fn is_master_shaped(&self) -> bool {
        let names: Vec<&str> = self.columns.iter().map(Column::name).collect();
        self.key_columns == KEY_COLUMNS.len() && Self::guess_key_columns(&names) == 3
    }

    /// The JSON form described on [`TableSchema`].
    pub fn to_json(&self) -> String {
        self.to_json_with(None)
    }

    /// The JSON form, naming the data file it describes (a CSV's sidecar).
    pub(crate) fn to_json_with(&self, data: Option<DataDigest>) -> String {
        let doc = Document {
            data,
            format: FORMAT.to_string(),
            version: 1,
            key_columns: self.key_columns,
            priority: self
                .priority
                .as_ref()
                .map(|p| p.iter().map(|s| s.to_string()).collect()),
            columns: self
                .columns
                .iter()
                .map(|c| ColumnDocument {
                    name: c.name().to_string(),
                    ty: c.value_type().map(|t| t.name().to_string()),
                })
                .collect(),
        };
        serde_json::to_string(&doc).expect("a schema document always serializes")
    }

    /// Parses the JSON form; `path` names the file it came from in errors.
    pub fn from_json(text: &str, path: &Path) -> Result<TableSchema> {
        Ok(Self::from_json_with(text, path)?.0)
    }

    /// Parses the JSON form, with the data file it describes if it names one.
    pub(crate) fn from_json_with(
        text: &str,
        path: &Path,
    ) -> Result<(TableSchema, Option<DataDigest>)> {
        let invalid = |reason: String| Error::InvalidSchema {
            path: path.to_path_buf(),
            reason,
        };
        let doc: Document = serde_json::from_str(text)
            .map_err(|e| invalid(format!("not a schema document ({e})")))?;
        if doc.format != FORMAT || doc.version != 1 {
            return Err(invalid(format!(
                "format `{}` version {}, expected `{FORMAT}` version 1",
                doc.format, doc.version
            )));
        }
        let mut columns = Vec::with_capacity(doc.columns.len());
        for c in doc.columns {
            let ty = match c.ty.as_deref() {
                None => None,
                Some(name) => Some(ValueType::from_name(name).ok_or_else(|| {
                    invalid(format!(
                        "column `{}` has type `{name}`, expected bool, int, float, str, date or null",
                        c.name
                    ))
                })?),
            };
            columns.push(Column::new(c.name, ty));
        }
        if doc.key_columns > columns.len() {
            return Err(invalid(format!(
                "{} key columns but only {} columns",
                doc.key_columns,
                columns.len()
            )));
        }
        let schema = TableSchema::new(
            columns,
            doc.key_columns,
            doc.priority.map(|p| p.into_iter().map(Arc::from).collect()),
        );
        Ok((schema, doc.data))
    }

    /// Checks that a file's own column names and order agree with this schema.
    pub(crate) fn check_names(&self, names: &[&str], path: &Path) -> Result<()> {
        let expected: Vec<&str> = self.columns.iter().map(Column::name).collect();
        if expected != names {
            return Err(Error::InvalidSchema {
                path: path.to_path_buf(),
                reason: format!(
                    "it lists columns {}, the data has {}",
                    expected.join(", "),
                    names.join(", ")
                ),
            });
        }
        Ok(())
    }

    /// Makes the table these rows form under this schema.
    pub(crate) fn table(self, rows: Vec<Vec<secmaster_core::Value>>, path: &Path) -> Result<Table> {
        Table::new(self.columns, self.key_columns, rows).map_err(table_error(path))
    }
}

/// Builds a master from a table read from `path`, ordering its columns by `schema`'s priority.
pub(crate) fn to_master(table: &Table, options: Options, path: &Path) -> Result<SecurityMaster> {
    SecurityMaster::from_table(table, options).map_err(table_error(path))
}

/// A core error about a table read from `path`.
pub(crate) fn table_error(path: &Path) -> impl Fn(secmaster_core::Error) -> Error + '_ {
    move |source| Error::Table {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip() {
        let schema = TableSchema::new(
            vec![
                Column::new("security_id", Some(ValueType::Int)),
                Column::new("x", None),
            ],
            1,
            Some(vec![Arc::from("ticker")]),
        );
        let json = schema.to_json();
        assert_eq!(
            json,
            r#"{"format":"secmaster-table","version":1,"key_columns":1,"priority":["ticker"],"columns":[{"name":"security_id","type":"int"},{"name":"x","type":null}]}"#
        );
        assert_eq!(
            TableSchema::from_json(&json, Path::new("s.json")).unwrap(),
            schema
        );
        let err = TableSchema::from_json(&json.replace("\"int\"", "\"i64\""), Path::new("s.json"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`s.json`: invalid schema: column `security_id` has type `i64`, expected bool, int, float, str, date or null"
        );
    }
}
