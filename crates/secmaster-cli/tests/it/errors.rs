//! Bad input and bad usage: one clear line on stderr, exit 1 for data and 2 for usage, and
//! never a half-written output file.

use crate::{data, files, path, secmaster, secmaster_in, temp};

#[test]
fn unknown_output_extension_is_a_usage_error() {
    let dir = temp();
    let err = secmaster_in(
        dir.path(),
        &["build", &data("sample_master.csv"), "-o", "m.xlsx"],
    )
    .fails(2);
    assert_eq!(
        err,
        "error: cannot tell the format of m.xlsx from its extension; use .parquet/.pq, \
         .arrow/.ipc/.feather, .csv, .jsonl/.ndjson/.json, .db/.sqlite/.sqlite3 or .txt, or give \
         --format"
    );
    assert!(files(&dir).is_empty());
}

#[test]
fn binary_formats_need_a_file() {
    let err = secmaster(&["build", &data("sample_master.csv"), "--format", "parquet"]).fails(2);
    assert_eq!(
        err,
        "error: --format parquet writes a binary file; give it a path with -o"
    );
}

#[test]
fn a_bad_date_format_is_a_usage_error() {
    let err = secmaster(&["--date-format", "%Q"]).fails(2);
    assert_eq!(
        err,
        "error: --date-format `%Q` is not a strftime pattern of a date (no time or zone \
         fields); use iso, us or e.g. %d.%m.%Y"
    );
    // A time field has nothing to format in a date: refused up front, not a panic.
    for pattern in ["%H", "%s", "%.3f", "%z", "%Z"] {
        let err = secmaster(&[
            "build",
            &data("sample_master.csv"),
            "--date-format",
            pattern,
        ])
        .fails(2);
        assert!(err.contains("not a strftime pattern of a date"), "{err}");
    }
}

#[test]
fn a_header_of_a_million_columns_makes_a_short_message() {
    let dir = temp();
    let header: Vec<String> = (0..1_000_000).map(|i| format!("c{i}")).collect();
    std::fs::write(dir.path().join("wide.csv"), header.join(",") + "\n").unwrap();
    let err = secmaster_in(dir.path(), &["build", "wide.csv"]).fails(1);
    assert!(err.len() < 600, "{} bytes: {}", err.len(), &err[..600]);
    assert!(err.contains("c0, c1, c2"), "{err}");
}

#[test]
fn a_bad_as_of_date_is_a_usage_error() {
    let run = secmaster(&["build", &data("sample_master.csv"), "--as-of", "03/22/24"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--as-of"), "{}", run.stderr);
}

#[test]
fn an_unknown_column_is_a_usage_error() {
    let err = secmaster(&[
        "build",
        &data("sample_master.csv"),
        "--columns",
        "ticker,nope",
    ])
    .fails(2);
    assert_eq!(
        err,
        "error: --columns: no column named `nope`; the table has: security_id, \
         effective_start_date, effective_end_date, asset_class, ticker, name, gics_industry, \
         gics_sector, interest_rate, market_cap"
    );
}

#[test]
fn a_missing_input_is_a_data_error_and_leaves_no_output() {
    let dir = temp();
    let err = secmaster_in(dir.path(), &["build", "missing.csv", "-o", "m.parquet"]).fails(1);
    assert!(err.starts_with("error: cannot read `missing.csv`"), "{err}");
    assert!(files(&dir).is_empty(), "{:?}", files(&dir));
}

#[test]
fn a_failed_convert_leaves_no_output() {
    let dir = temp();
    let bad = path(&dir, "bad.parquet");
    std::fs::write(&bad, "this is not parquet").unwrap();
    let err = secmaster(&["convert", &bad, &path(&dir, "out.arrow")]).fails(1);
    assert!(
        err.starts_with(&format!("error: parquet data in `{bad}` is not readable")),
        "{err}"
    );
    assert_eq!(files(&dir), ["bad.parquet"]);
}

#[test]
fn convert_needs_known_extensions() {
    let err = secmaster(&["convert", &data("sample_master.csv"), "out.xyz"]).fails(2);
    assert!(
        err.starts_with("error: cannot tell the format of out.xyz"),
        "{err}"
    );
    let err = secmaster(&["convert", "in.txt", "out.csv"]).fails(2);
    assert_eq!(
        err,
        "error: in.txt is a text table file, which secmaster writes but does not read back as \
         a table; convert from Parquet, Arrow IPC, CSV or SQLite"
    );
}

#[cfg(unix)]
#[test]
fn a_pipe_as_output_is_written_in_place_not_replaced() {
    // `-o /dev/null` or `-o some.fifo` must not rename a file over the device.
    let dir = temp();
    let fifo = path(&dir, "out.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        return; // no mkfifo here; nothing to check
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    secmaster(&[
        "generate",
        "--securities",
        "3",
        "--facts",
        "40",
        "-o",
        &fifo,
    ])
    .ok();
    let text = reader.join().unwrap();
    assert_eq!(text.lines().count(), 41);
    let kind = std::fs::metadata(&fifo).unwrap().file_type();
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(&kind));
    let err = secmaster(&[
        "build",
        &data("sample_master.csv"),
        "-o",
        &fifo,
        "--format",
        "arrow",
    ])
    .fails(2);
    assert_eq!(
        err,
        format!("error: {fifo} is not a regular file; --format arrow needs one")
    );
}

#[test]
fn an_attribute_named_like_a_key_column_is_refused_before_anything_is_written() {
    let dir = temp();
    secmaster_in(dir.path(), &["init", "s"]).ok();
    secmaster_in(dir.path(), &["ingest", "s", &data("prototype_trail.csv")]).ok();
    let before: Vec<_> = std::fs::read_dir(dir.path().join("s/log"))
        .unwrap()
        .collect();
    std::fs::write(
        dir.path().join("k.csv"),
        "security_id,attribute,value,effective_date\n1,security_id,99,2024-01-01\n",
    )
    .unwrap();
    let err = secmaster_in(dir.path(), &["ingest", "s", "k.csv"]).fails(1);
    assert!(
        err.ends_with(
            "`k.csv`, line 2: column `attribute`: expected an attribute name, not a key \
             column's, found `security_id`"
        ),
        "{err}"
    );
    let after: Vec<_> = std::fs::read_dir(dir.path().join("s/log"))
        .unwrap()
        .collect();
    assert_eq!(before.len(), after.len());
    secmaster_in(dir.path(), &["verify", "s"]).ok();
    secmaster_in(dir.path(), &["build", "s", "-o", "m.parquet"]).ok();
    let err = secmaster_in(dir.path(), &["build", "k.csv", "-o", "x.parquet"]).fails(1);
    assert!(err.contains("line 2"), "{err}");
    assert!(!dir.path().join("x.parquet").exists());
}
