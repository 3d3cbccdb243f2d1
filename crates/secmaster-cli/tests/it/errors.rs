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
        "error: cannot tell the format of m.xlsx from its extension; use .csv, .json/.jsonl, \
         .parquet, .arrow/.ipc, .sqlite/.db or .txt, or give --format"
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
        "error: --date-format `%Q` is not a strftime pattern; use iso, us or e.g. %d.%m.%Y"
    );
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
    assert!(err.starts_with("error: cannot read "), "{err}");
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
    assert!(
        err.starts_with("error: in.txt is a text table, which cannot be read back"),
        "{err}"
    );
}
