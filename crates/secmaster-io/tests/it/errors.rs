//! Every bad input gets a message naming the file, the line or row, and what was expected.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, StringArray};
use secmaster_core::{SecurityMaster, sample};
use secmaster_io::{Error, ReadOptions, csv, facts, file, parquet, positions};

use crate::{batch, write_parquet};

fn csv_error(text: &str) -> String {
    facts::read_csv(text.as_bytes(), Path::new("f.csv"), &ReadOptions::default())
        .unwrap_err()
        .to_string()
}

fn json_error(text: &str) -> String {
    facts::read_json_lines(
        text.as_bytes(),
        Path::new("f.jsonl"),
        &ReadOptions::default(),
    )
    .unwrap_err()
    .to_string()
}

#[test]
fn missing_column() {
    assert_eq!(
        csv_error("security_id,attribute,val,effective_date\n1,a,b,2024-01-01\n"),
        "`f.csv`, line 1: missing column `value`; found: security_id, attribute, val, effective_date"
    );
    assert_eq!(
        json_error(r#"{"security_id":1,"attribute":"a","effective_date":"2024-01-01"}"#),
        "`f.jsonl`, line 1: missing column `value`; found: attribute, effective_date, security_id"
    );
}

#[test]
fn malformed_date() {
    assert_eq!(
        csv_error("1,a,b,2024-01-01\n1,a,b,2024-13-01\n"),
        "`f.csv`, line 2: column `effective_date`: expected a date like 2024-03-22, found `2024-13-01`"
    );
    assert_eq!(
        csv_error("\"1\", \"a\", \"b\", \"03/22/24\"\n\"1\", \"a\", \"b\", \"3/22/2024\"\n"),
        "`f.csv`, line 2: column `effective_date`: expected a date like 03/22/24, found `3/22/2024`"
    );
    assert_eq!(
        csv_error("1,a,b,22 March\n"),
        "`f.csv`, line 1: column `effective_date`: expected a date like 2024-03-22 or 03/22/24, found `22 March`"
    );
    assert_eq!(
        json_error(r#"{"security_id":1,"attribute":"a","value":1,"effective_date":20240101}"#),
        "`f.jsonl`, line 1: column `effective_date`: expected a date like 2024-03-22 or 03/22/24, found `20240101`"
    );
}

#[test]
fn id_not_an_integer() {
    assert_eq!(
        csv_error("security_id,attribute,value,effective_date\n1.5,a,b,2024-01-01\n"),
        "`f.csv`, line 2: column `security_id`: expected an integer security id, found `1.5`"
    );
    assert_eq!(
        json_error(
            r#"{"security_id":"1","attribute":"a","value":1,"effective_date":"2024-01-01"}"#
        ),
        "`f.jsonl`, line 1: column `security_id`: expected an integer security id, found `\"1\"`"
    );
}

#[test]
fn ragged_row() {
    assert_eq!(
        csv_error("1,a,b,2024-01-01\n1,a,2024-01-01\n"),
        "`f.csv`, line 2: expected 4 fields, found 3"
    );
    assert_eq!(
        csv_error("security_id,attribute,value,effective_date,source\n1,a,b,2024-01-01\n"),
        "`f.csv`, line 2: expected 5 fields, found 4"
    );
}

#[test]
fn malformed_records() {
    assert_eq!(
        csv_error("1,a,b,2024-01-01\n1,a,\"b,2024-01-01\n"),
        "`f.csv`, line 2: unterminated quoted field"
    );
    assert_eq!(
        csv_error("1,,b,2024-01-01\n"),
        "`f.csv`, line 1: column `attribute`: expected an attribute name, found ``"
    );
    assert_eq!(
        json_error("[1]\n"),
        "`f.jsonl`, line 1: expected a JSON object"
    );
    let err = facts::read_json_lines(
        "{\"a\":\n".as_bytes(),
        Path::new("f.jsonl"),
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "`f.jsonl`, line 1: invalid json");
    assert!(matches!(err, Error::Json { .. }));
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn positions_errors() {
    let err = positions::read_csv(
        "security_id,quantity,date\n1,many,2024-01-01\n".as_bytes(),
        Path::new("p.csv"),
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`p.csv`, line 2: column `quantity`: expected a number, found `many`"
    );
}

#[test]
fn parquet_fact_errors_name_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.parquet");
    let ids: ArrayRef = Arc::new(Int64Array::from(vec![1, 2]));
    let attrs: ArrayRef = Arc::new(StringArray::from(vec!["a", "a"]));
    let values: ArrayRef = Arc::new(StringArray::from(vec!["x", "y"]));
    let dates: ArrayRef = Arc::new(StringArray::from(vec!["2024-01-01", "2024-02-30"]));
    write_parquet(
        &path,
        &batch(vec![
            ("security_id", ids.clone()),
            ("attribute", attrs.clone()),
            ("value", values.clone()),
            ("effective_date", dates),
        ]),
    );
    let err = facts::read(&path, &ReadOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "`{}`, row 2: column `effective_date`: expected a date like 2024-03-22, found `2024-02-30`",
            path.display()
        )
    );
    write_parquet(
        &path,
        &batch(vec![
            ("security_id", ids),
            ("attribute", attrs),
            ("value", values),
        ]),
    );
    let err = facts::read(&path, &ReadOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "`{}`: missing column `effective_date`; found: security_id, attribute, value",
            path.display()
        )
    );
}

#[test]
fn a_fact_file_is_not_a_master() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.parquet");
    let ids: ArrayRef = Arc::new(Int64Array::from(vec![1]));
    write_parquet(&path, &batch(vec![("security_id", ids)]));
    let err = parquet::read_master(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("`{}` does not hold a valid secmaster table", path.display())
    );
    assert_eq!(
        std::error::Error::source(&err).unwrap().to_string(),
        "table is not a security master: missing key column `effective_start_date`"
    );
}

/// Rewrites the sidecar of `path` as one written before sidecars named their CSV's
/// digest, so a hand edit of the CSV reaches the checks of its header and cells (with the
/// digest, any edit is refused first: `files::a_csv_and_a_sidecar_written_apart_...`).
fn forget_digest(path: &std::path::Path) {
    let sidecar = csv::schema_path(path);
    let text = std::fs::read_to_string(&sidecar).unwrap();
    let start = text.find(",\"data\":").unwrap();
    let end = start + text[start..].find('}').unwrap() + 1;
    std::fs::write(&sidecar, format!("{}{}", &text[..start], &text[end..])).unwrap();
}

#[test]
fn csv_sidecar_must_match() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.csv");
    let master = SecurityMaster::build(sample::trail()).unwrap();
    csv::write_master(&path, &master).unwrap();
    forget_digest(&path);
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replacen("ticker", "symbol", 1);
    std::fs::write(&path, text).unwrap();
    let err = csv::read_master(&path).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("`{}`: invalid schema: it lists columns security_id, effective_start_date, effective_end_date, asset_class, ticker,", path.display())),
        "{err}"
    );
    // A value that does not fit the sidecar's type names line and column.
    csv::write_master(&path, &master).unwrap();
    forget_digest(&path);
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replacen(",400", ",4x0", 1);
    std::fs::write(&path, text).unwrap();
    let err = csv::read_master(&path).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "`{}`, line 4: column `market_cap`: expected an integer, found `4x0`",
            path.display()
        )
    );
}

#[test]
fn unknown_extension_and_unreadable_files() {
    let master = SecurityMaster::build(sample::trail()).unwrap();
    let err = file::write_master("m.xlsx", &master).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot tell the format of `m.xlsx` from its extension; expected one of .parquet, .pq, .arrow, .ipc, .feather, .csv, .jsonl, .ndjson, .json, .db, .sqlite, .sqlite3"
    );
    let err = file::read_master("/nonexistent/m.parquet").unwrap_err();
    assert_eq!(err.to_string(), "cannot read `/nonexistent/m.parquet`");
    let err = file::write_master("/nonexistent/dir/m.parquet", &master).unwrap_err();
    assert_eq!(err.to_string(), "cannot write `/nonexistent/dir/m.parquet`");
}
