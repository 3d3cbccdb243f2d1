//! Reading a store from DuckDB: [`Store::duckdb_views`], views over exactly the files the
//! committed manifest lists, so that a reader never sees a file an ingest wrote but did not
//! commit (a glob of `table/*.parquet` would).

use std::fmt::Write as _;

use secmaster_core::ValueType;

use crate::Store;

impl Store {
    /// DuckDB statements that create two views over the committed state, naming each of
    /// its files (never a glob): `name`, the current table — of each table file, oldest
    /// first, a security's rows that start before all of its rows in newer files, the
    /// newest file winning per security as [`Store::table`] reads it — with the store's
    /// columns in its order; and `name_log`, the fact log, one row per fact of each
    /// committed batch. Paths are the store's root as given, joined with the manifest's.
    ///
    /// The views read the files when queried: after a later commit, print them again (a
    /// compaction removes the files they name).
    pub fn duckdb_views(&self, name: &str) -> String {
        let mut sql = format!(
            "-- The committed state of store `{}` (generation {}, batch {}), read from exactly\n\
             -- the files its manifest lists: files of an ingest that did not commit are not\n\
             -- among them.\n",
            self.root.display(),
            self.manifest.generation,
            self.last_batch()
        );
        let columns: Vec<String> = self.columns().iter().map(|c| ident(c.name())).collect();
        let table = ident(name);
        let files: Vec<String> = self
            .manifest
            .table
            .iter()
            .map(|e| literal(&self.root.join(&e.path).to_string_lossy()))
            .collect();
        if files.is_empty() {
            let nulls: Vec<String> = self
                .columns()
                .iter()
                .zip(&columns)
                .map(|(c, id)| format!("NULL::{} AS {id}", type_name(c.value_type())))
                .collect();
            let _ = writeln!(
                sql,
                "CREATE OR REPLACE VIEW {table} AS\nSELECT {} WHERE false;",
                nulls.join(", ")
            );
        } else {
            let generations: Vec<String> = files
                .iter()
                .enumerate()
                .map(|(i, f)| format!("({f}, {i})"))
                .collect();
            let _ = writeln!(
                sql,
                "CREATE OR REPLACE VIEW {table} AS\n\
                 WITH t AS (\n  \
                   SELECT * FROM read_parquet([\n    {}\n  ], filename = true, union_by_name = true)\n\
                 ), files(filename, generation) AS (\n  \
                   VALUES {}\n\
                 ), firsts AS (\n  \
                   SELECT security_id, filename, min(effective_start_date) AS first FROM t GROUP BY ALL\n\
                 ), bounds AS (\n  \
                   SELECT security_id, filename,\n         \
                   min(first) OVER (PARTITION BY security_id ORDER BY generation DESC\n                          \
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS bound\n  \
                   FROM firsts JOIN files USING (filename)\n\
                 )\n\
                 SELECT {}\n\
                 FROM t JOIN bounds USING (security_id, filename)\n\
                 WHERE bound IS NULL OR effective_start_date < bound\n\
                 ORDER BY security_id, effective_start_date;",
                files.join(",\n    "),
                generations.join(",\n         "),
                wrap(columns.iter().map(|c| format!("t.{c}")), "       ")
            );
        }
        let log = ident(&format!("{name}_log"));
        let logs: Vec<String> = self
            .manifest
            .batches
            .iter()
            .map(|b| literal(&self.root.join(&b.log.path).to_string_lossy()))
            .collect();
        if logs.is_empty() {
            let _ = writeln!(
                sql,
                "CREATE OR REPLACE VIEW {log} AS\n\
                 SELECT NULL::BIGINT AS security_id, NULL::DATE AS effective_date, \
                 NULL::VARCHAR AS attribute, NULL::BOOLEAN AS value_bool, \
                 NULL::BIGINT AS value_int, NULL::DOUBLE AS value_float, \
                 NULL::VARCHAR AS value_str, NULL::DATE AS value_date, \
                 NULL::BIGINT AS batch WHERE false;"
            );
        } else {
            let _ = writeln!(
                sql,
                "CREATE OR REPLACE VIEW {log} AS\n\
                 SELECT * FROM read_parquet([\n  {}\n]);",
                logs.join(",\n  ")
            );
        }
        sql
    }
}

/// `items` separated by commas, in lines of at most 90 characters, each after the first
/// indented by `indent`.
fn wrap(items: impl IntoIterator<Item = String>, indent: &str) -> String {
    let mut out = String::new();
    let mut line = 0;
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
            if line + 2 + item.len() > 90 - indent.len() {
                out.push('\n');
                out.push_str(indent);
                line = 0;
            } else {
                out.push(' ');
                line += 2;
            }
        }
        line += item.len();
        out.push_str(&item);
    }
    out
}

/// A DuckDB identifier, quoted.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A DuckDB string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The DuckDB type of a column of `ty` (an all-null column: `INTEGER`, what DuckDB reads a
/// Parquet column of nulls as).
fn type_name(ty: Option<ValueType>) -> &'static str {
    match ty {
        Some(ValueType::Bool) => "BOOLEAN",
        Some(ValueType::Int) => "BIGINT",
        Some(ValueType::Float) => "DOUBLE",
        Some(ValueType::Str) => "VARCHAR",
        Some(ValueType::Date) => "DATE",
        None => "INTEGER",
    }
}
