//! SQL: SQLite round trips through rusqlite and through the real `sqlite3` binary.

use std::path::Path;
use std::process::Command;

use proptest::prelude::*;
use secmaster_core::strategy::wide_master;
use secmaster_core::{SecurityMaster, sample};
use secmaster_io::sql::{self, DEFAULT_TABLE, Dialect};

/// The `sqlite3` binary, if there is one on PATH; if not, says that the caller skips.
#[allow(clippy::print_stderr)] // a skipped test prints its reason
fn sqlite3() -> Option<&'static str> {
    let found = Command::new("sqlite3").arg("--version").output();
    match found {
        Ok(out) if out.status.success() => Some("sqlite3"),
        _ => {
            eprintln!("skipped: no sqlite3 binary on PATH");
            None
        }
    }
}

/// Pipes `script` into `sqlite3 db`, panicking with its stderr on failure.
fn run_sqlite3(bin: &str, db: &Path, script: &str) {
    use std::io::Write;
    let mut child = Command::new(bin)
        .arg("-bail")
        .arg(db)
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "sqlite3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 40,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn rule11_sqlite_round_trip(master in wide_master(40)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        sql::write_master(&path, DEFAULT_TABLE, &master).unwrap();
        prop_assert_eq!(sql::read_master(&path, DEFAULT_TABLE).unwrap(), master.clone());
        // Writing again replaces the table in the existing database.
        sql::write(&path, DEFAULT_TABLE, &master.table()).unwrap();
        prop_assert_eq!(sql::read(&path, DEFAULT_TABLE).unwrap(), master.table());
    }

    #[test]
    fn rule11_sql_text_through_sqlite3(master in wide_master(40)) {
        let Some(bin) = sqlite3() else {
            return Ok(());
        };
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("m.db");
        run_sqlite3(bin, &db, &sql::master_statements(&master, "sm", Dialect::Sqlite).unwrap());
        prop_assert_eq!(sql::read_master(&db, "sm").unwrap(), master);
    }
}

#[test]
fn sample_master_through_sqlite3_reads_back_equal() {
    let Some(bin) = sqlite3() else {
        return;
    };
    let mut master = SecurityMaster::build(sample::trail()).unwrap();
    master.merge(sample::update()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    run_sqlite3(
        bin,
        &db,
        &sql::master_statements(&master, DEFAULT_TABLE, Dialect::Sqlite).unwrap(),
    );
    assert_eq!(sql::read_master(&db, DEFAULT_TABLE).unwrap(), master);
    // Dates are dates to SQLite's own functions, too.
    let out = Command::new(bin)
        .arg(&db)
        .arg("SELECT date(effective_start_date, '+1 day') FROM security_master LIMIT 1")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "2024-01-02\n");
}

#[test]
fn missing_table_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let master = SecurityMaster::build(sample::trail()).unwrap();
    sql::write_master(&db, "a", &master).unwrap();
    let err = sql::read(&db, "b").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "`{}`: no table named `b`; the database has: a",
            db.display()
        )
    );
    assert_eq!(sql::tables(&db).unwrap(), ["a"]);
}

#[test]
fn floats_survive_sqlite3_text_exactly() {
    use secmaster_core::{Column, Table, Value, ValueType};
    let Some(bin) = sqlite3() else {
        return;
    };
    // A deterministic spread of bit patterns: every exponent, random-looking mantissas.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let rows: Vec<Vec<Value>> = (0..4000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            vec![Value::Float(f64::from_bits(state))]
        })
        .collect();
    let table = Table::new(vec![Column::new("x", Some(ValueType::Float))], 0, rows).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("f.db");
    run_sqlite3(
        bin,
        &db,
        &sql::statements(&table, "f", Dialect::Sqlite).unwrap(),
    );
    let back = sql::read(&db, "f").unwrap();
    let bad: Vec<String> = back
        .rows()
        .zip(table.rows())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("{} != {}", a[0], b[0]))
        .take(5)
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
}

/// The psql command named by `SECMASTER_PSQL` (e.g. `psql -h /tmp/pg -p 5432 -U postgres`),
/// pointing at a scratch database; if unset, says that the caller skips.
#[allow(clippy::print_stderr)] // a skipped test prints its reason
fn psql() -> Option<Vec<String>> {
    match std::env::var("SECMASTER_PSQL") {
        Ok(cmd) if !cmd.trim().is_empty() => {
            Some(cmd.split_whitespace().map(str::to_owned).collect())
        }
        _ => {
            eprintln!("skipped: set SECMASTER_PSQL to a psql command for a scratch database");
            None
        }
    }
}

/// The tests share one scratch database, and PostgreSQL's `CREATE TABLE IF NOT EXISTS`
/// races with itself (two sessions creating `secmaster_schema` at once: one fails on a
/// duplicate type name), so they take turns.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run_psql(cmd: &[String], args: &[&str], stdin: &str) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new(&cmd[0])
        .args(&cmd[1..])
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// The PostgreSQL dialect loads into a real server and reads back equal, but for NaN
    /// payloads, which PostgreSQL does not keep.
    #[test]
    fn rule11_postgres_text_through_psql(master in wide_master(30)) {
        use secmaster_core::{Table, Value, ValueType};
        let Some(cmd) = psql() else {
            return Ok(());
        };
        let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let table = master.table();
        run_psql(&cmd, &[], &sql::statements(&table, "sm", Dialect::Postgres).unwrap());
        let select: Vec<String> = table
            .columns()
            .iter()
            .map(|c| {
                let name = format!("\"{}\"", c.name().replace('"', "\"\""));
                match c.value_type() {
                    Some(ValueType::Bool) => format!("{name}::text AS {name}"),
                    _ => name,
                }
            })
            .collect();
        let copy = format!(
            "COPY (SELECT {} FROM sm ORDER BY 1, 2) TO STDOUT WITH (FORMAT csv, HEADER)",
            select.join(", ")
        );
        let out = run_psql(&cmd, &["-c", &copy], "");
        let schema = secmaster_io::TableSchema::of_table(&table);
        let (back, _) =
            secmaster_io::csv::from_reader(&out[..], Some(schema), Path::new("psql")).unwrap();
        let canonical = |row: &[Value]| -> Vec<Value> {
            row.iter()
                .map(|v| match v {
                    Value::Float(x) if x.is_nan() => Value::Float(f64::NAN),
                    v => v.clone(),
                })
                .collect()
        };
        let expected = Table::new(
            table.columns().to_vec(),
            table.key_columns(),
            table.rows().map(canonical).collect(),
        )
        .unwrap();
        prop_assert_eq!(back, expected);
    }
}

/// Text with NUL and CR characters, and dates outside years 1–9999.
fn odd_cells() -> secmaster_core::Table {
    use secmaster_core::{Column, Table, Value, ValueType};
    let d = |y, m, day| Value::Date(chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap());
    let columns = vec![
        Column::new("n", Some(ValueType::Int)),
        Column::new("day", Some(ValueType::Date)),
        Column::new("text", Some(ValueType::Str)),
    ];
    let rows = vec![
        vec![Value::Int(1), d(-1, 3, 22), Value::from("nul\0inside")],
        vec![Value::Int(2), d(12345, 3, 22), Value::from("cr\r\nlf")],
        vec![Value::Int(3), d(0, 1, 1), Value::from("\0")],
    ];
    Table::new(columns, 1, rows).unwrap()
}

#[test]
fn nul_characters_and_far_dates_load_into_sqlite3() {
    let Some(bin) = sqlite3() else {
        return;
    };
    let table = odd_cells();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("odd.db");
    run_sqlite3(
        bin,
        &db,
        &sql::statements(&table, "odd", Dialect::Sqlite).unwrap(),
    );
    assert_eq!(sql::read(&db, "odd").unwrap(), table);
}

#[test]
fn far_dates_load_into_postgres_and_nul_is_refused() {
    let mut table = odd_cells();
    let e = sql::statements(&table, "odd", Dialect::Postgres).unwrap_err();
    assert_eq!(
        e.to_string(),
        "row 1, column `text`: PostgreSQL text cannot hold a NUL character"
    );
    table = table.select(&["day"]).unwrap();
    let Some(cmd) = psql() else {
        return;
    };
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    run_psql(
        &cmd,
        &[],
        &sql::statements(&table, "odd", Dialect::Postgres).unwrap(),
    );
    let out = run_psql(&cmd, &["-Atc", "SELECT day FROM odd ORDER BY n"], "");
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "0002-03-22 BC\n12345-03-22\n0001-01-01 BC\n"
    );
}
