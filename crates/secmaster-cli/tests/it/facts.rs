//! `secmaster build` and `secmaster positions` on fact files: CSV (with a header or in the
//! prototype's layout), JSON Lines, several files as one trail, update batches, views and
//! output formats.

use crate::{MERGED_MASTER, SAMPLE_MASTER, data, files, path, secmaster, temp};

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let p = path(dir, name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn builds_the_prototype_csv_and_merges_its_update() {
    let trail = data("prototype_trail.csv");
    assert_eq!(
        secmaster(&["build", &trail, "--format", "table"]).ok(),
        SAMPLE_MASTER
    );
    assert_eq!(
        secmaster(&[
            "build",
            &trail,
            "--update",
            &data("prototype_update.csv"),
            "--format",
            "table"
        ])
        .ok(),
        MERGED_MASTER
    );
}

#[test]
fn csv_to_stdout_has_a_header_iso_dates_and_empty_nulls() {
    let out = secmaster(&["build", &data("prototype_trail.csv"), "--security", "2"]).ok();
    assert_eq!(
        out,
        "\
security_id,effective_start_date,effective_end_date,asset_class,ticker,name,gics_industry,gics_sector,interest_rate,market_cap
2,2023-01-01,2023-03-17,fixed_income,V,,,technology,199,
2,2023-03-17,2024-05-23,fixed_income,V,,,financials,199,
2,2024-05-23,,fixed_income,V,,,financials,199,549000
"
    );
    // The whole master streams the same way.
    let whole = secmaster(&["build", &data("prototype_trail.csv")]).ok();
    assert_eq!(
        whole,
        std::fs::read_to_string(data("sample_master.csv")).unwrap()
    );
}

#[test]
fn json_lines_in_and_out() {
    let dir = temp();
    let facts = write(
        &dir,
        "f.jsonl",
        "{\"security_id\":1,\"attribute\":\"ticker\",\"value\":\"A\",\"effective_date\":\"2024-01-01\"}\n\
         {\"security_id\":1,\"attribute\":\"px\",\"value\":1.5,\"effective_date\":\"2024-01-02\"}\n",
    );
    assert_eq!(
        secmaster(&["build", &facts, "--format", "json"]).ok(),
        "\
{\"security_id\":1,\"effective_start_date\":\"2024-01-01\",\"effective_end_date\":\"2024-01-02\",\"ticker\":\"A\",\"px\":null}
{\"security_id\":1,\"effective_start_date\":\"2024-01-02\",\"effective_end_date\":null,\"ticker\":\"A\",\"px\":1.5}
"
    );
}

/// Splits a generated trail into two fact CSVs, each with the header.
fn split_trail(dir: &tempfile::TempDir) -> (String, String, String) {
    let all = path(dir, "all.csv");
    secmaster(&[
        "generate",
        "--securities",
        "40",
        "--facts",
        "3000",
        "--seed",
        "11",
        "-o",
        &all,
    ])
    .ok();
    let text = std::fs::read_to_string(&all).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let (a, b) = rows.split_at(1900);
    let a = write(dir, "a.csv", &format!("{header}\n{}\n", a.join("\n")));
    let b = write(dir, "b.csv", &format!("{header}\n{}\n", b.join("\n")));
    (all, a, b)
}

#[test]
fn several_files_are_one_trail_and_updates_merge_exactly() {
    let dir = temp();
    let (all, a, b) = split_trail(&dir);
    let whole = secmaster(&["build", &all]).ok();
    assert!(whole.lines().count() > 1000);
    // Rule 6 through the command line: build(A ++ B) == build(A, B) == merge(build(A), B).
    assert_eq!(secmaster(&["build", &a, &b]).ok(), whole);
    assert_eq!(secmaster(&["build", &a, "--update", &b]).ok(), whole);
}

#[test]
fn a_written_master_reads_back_and_takes_later_updates() {
    let dir = temp();
    let (_, a, _) = split_trail(&dir);
    let built = secmaster(&["build", &a]).ok();
    for ext in ["parquet", "arrow", "sqlite", "csv"] {
        let master = path(&dir, &format!("m.{ext}"));
        assert_eq!(secmaster(&["build", &a, "-o", &master]).ok(), "");
        assert!(secmaster(&["build", &master]).ok() == built, "{ext}");
    }
    // A table holds what changed, not every fact: merging into it equals a rebuild unless a
    // fact merely re-asserted a value (SecurityMaster::from_table). The prototype's trail
    // has no such fact.
    let master = path(&dir, "p.parquet");
    secmaster(&["build", &data("prototype_trail.csv"), "-o", &master]).ok();
    let update = data("prototype_update.csv");
    assert_eq!(
        secmaster(&["build", &master, "--update", &update, "--format", "table"]).ok(),
        MERGED_MASTER
    );
}

#[test]
fn views_on_a_fact_file() {
    let trail = data("prototype_trail.csv");
    let update = data("prototype_update.csv");
    assert_eq!(
        secmaster(&[
            "build",
            &trail,
            "--update",
            &update,
            "--as-of",
            "2024-05-27",
            "--asset-class",
            "equity",
            "--columns",
            "ticker,market_cap,new_key",
            "--format",
            "table"
        ])
        .ok(),
        "\
security_id  effective_start_date  effective_end_date  ticker  market_cap  new_key
1            2024-05-26            null                LENZ    90000       123
"
    );
    assert_eq!(
        secmaster(&["build", &trail, "--asset-class", "none", "--format", "csv"]).ok(),
        "security_id,effective_start_date,effective_end_date,ticker\n3,2024-01-01,,ACME\n"
    );
}

#[test]
fn date_format_us_on_build() {
    let out = secmaster(&[
        "build",
        &data("prototype_trail.csv"),
        "--security",
        "3",
        "--format",
        "table",
        "--date-format",
        "us",
    ])
    .ok();
    assert_eq!(
        out,
        "\
security_id  effective_start_date  effective_end_date  asset_class  ticker  name  gics_industry  gics_sector  interest_rate  market_cap
3            01/01/24              null                null         ACME    null  null           null         null           null
"
    );
}

#[test]
fn positions_inner_left_and_views() {
    let positions = data("positions.csv");
    let trail = data("prototype_trail.csv");
    assert_eq!(
        secmaster(&[
            "positions",
            &positions,
            &trail,
            "--columns",
            "ticker,name",
            "--format",
            "table"
        ])
        .ok(),
        "\
security_id  quantity  date        ticker  name
1            100       2024-02-01  GRPH    Graphite bio
1            105       2024-02-01  GRPH    Graphite bio
2            150       2024-02-01  V       null
1            120       2024-03-01  GRPH    Graphite bio
2            140       2024-03-01  V       null
3            100       2024-03-01  ACME    null
"
    );
    // Security 4 is unknown: only the left join keeps it.
    let left = secmaster(&[
        "positions",
        &positions,
        &trail,
        "--left",
        "--columns",
        "ticker",
    ])
    .ok();
    // Integer quantities stay integers (rule 10).
    assert!(
        left.ends_with("3,100,2024-03-01,ACME\n4,10,2024-03-01,\n"),
        "{left}"
    );
    // One fractional quantity makes the column float, the integers widened.
    let dir = tempfile::tempdir().unwrap();
    let mixed = dir.path().join("mixed.csv");
    std::fs::write(
        &mixed,
        "security_id,quantity,date\n1,100,2024-02-01\n3,2.5,2024-03-01\n",
    )
    .unwrap();
    assert_eq!(
        secmaster(&[
            "positions",
            mixed.to_str().unwrap(),
            &trail,
            "--columns",
            "ticker"
        ])
        .ok(),
        "security_id,quantity,date,ticker\n1,100.0,2024-02-01,GRPH\n3,2.5,2024-03-01,ACME\n"
    );
    assert_eq!(
        secmaster(&[
            "positions",
            &positions,
            &trail,
            "--update",
            &data("prototype_update.csv"),
            "--as-of",
            "2024-03-01",
            "--security",
            "1",
            "--columns",
            "gics_industry,market_cap",
            "--format",
            "table"
        ])
        .ok(),
        "\
security_id  quantity  date        gics_industry    market_cap
1            120       2024-03-01  health sciences  100
"
    );
    assert_eq!(
        secmaster(&[
            "positions",
            &positions,
            &trail,
            "--asset-class",
            "fixed_income",
            "--format",
            "table"
        ])
        .ok(),
        "\
security_id  quantity  date        asset_class   ticker  gics_sector  interest_rate
2            150       2024-02-01  fixed_income  V       financials   199
2            140       2024-03-01  fixed_income  V       financials   199
"
    );
}

#[test]
fn positions_to_a_file() {
    let dir = temp();
    let out = path(&dir, "joined.parquet");
    secmaster(&[
        "positions",
        &data("positions.csv"),
        &data("prototype_trail.csv"),
        "-o",
        &out,
    ])
    .ok();
    assert_eq!(files(&dir), ["joined.parquet"]);
    let back = secmaster(&["convert", &out, &path(&dir, "joined.csv")]);
    back.ok();
    let text = std::fs::read_to_string(dir.path().join("joined.csv")).unwrap();
    assert!(
        text.starts_with("security_id,quantity,date,asset_class,ticker,"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 7);
}

#[test]
fn bad_data_is_one_line_naming_file_line_and_expectation() {
    let dir = temp();
    let cases = [
        (
            "ragged.csv",
            "security_id,attribute,value,effective_date\n1,ticker,ABC,2024-01-01\n2,ticker,XYZ\n",
            "line 3: expected 4 fields, found 3",
        ),
        (
            "date.csv",
            "security_id,attribute,value,effective_date\n1,ticker,ABC,2024-13-01\n",
            "line 2: column `effective_date`: expected a date like 2024-03-22 or 03/22/24, \
             found `2024-13-01`",
        ),
        (
            "id.csv",
            "security_id,attribute,value,effective_date\nx,ticker,ABC,2024-01-01\n",
            "line 2: column `security_id`: expected an integer security id, found `x`",
        ),
        (
            "columns.csv",
            "security_id,attribute,effective_date\n1,ticker,2024-01-01\n",
            "missing column `value`",
        ),
    ];
    for (name, text, expected) in cases {
        let file = write(&dir, name, text);
        let out = path(&dir, "out.parquet");
        let err = secmaster(&["build", &file, "-o", &out]).fails(1);
        assert!(err.starts_with(&format!("error: `{file}`")), "{err}");
        assert!(err.contains(expected), "{name}: {err}");
        assert!(!dir.path().join("out.parquet").exists());
    }
}

#[test]
fn a_type_conflict_names_the_attribute_and_keeps_the_old_output() {
    let dir = temp();
    let out = path(&dir, "m.parquet");
    secmaster(&["build", &data("prototype_trail.csv"), "-o", &out]).ok();
    let before = std::fs::read(&out).unwrap();
    let bad = write(
        &dir,
        "bad.csv",
        "security_id,attribute,value,effective_date\n1,market_cap,abc,2024-02-01\n",
    );
    let err = secmaster(&["build", &out, "--update", &bad, "-o", &out]).fails(1);
    assert_eq!(
        err,
        format!(
            "error: cannot merge `{bad}`: attribute `market_cap` holds int values but fact \
             (1, market_cap, abc, 2024-02-01) gives a str"
        )
    );
    assert_eq!(std::fs::read(&out).unwrap(), before);
    assert_eq!(files(&dir), ["bad.csv", "m.parquet"]);
}

#[test]
fn a_bad_positions_file_is_a_data_error() {
    let dir = temp();
    let bad = write(
        &dir,
        "p.csv",
        "security_id,quantity,date\n1,lots,2024-01-01\n",
    );
    let err = secmaster(&["positions", &bad, &data("prototype_trail.csv")]).fails(1);
    assert!(
        err.starts_with(&format!(
            "error: `{bad}`, line 2: column `quantity`: expected a number"
        )),
        "{err}"
    );
}

#[test]
fn parquet_fact_files_are_read_like_csv() {
    let dir = temp();
    let csv = path(&dir, "facts.csv");
    let parquet = path(&dir, "facts.parquet");
    secmaster(&[
        "generate",
        "--securities",
        "30",
        "--facts",
        "1500",
        "-o",
        &csv,
    ])
    .ok();
    // A fact CSV is also a (four-column) table: convert it, then read it back as facts.
    secmaster(&["convert", &csv, &parquet]).ok();
    let from_csv = secmaster(&["build", &csv]).ok();
    assert!(from_csv.lines().count() > 300);
    assert!(secmaster(&["build", &parquet]).ok() == from_csv);
}
