//! `secmaster convert` and reading table files where FACTS are expected.

use crate::{SAMPLE_MASTER, data, files, path, secmaster, secmaster_in, temp};

#[test]
fn converts_through_every_format_and_back_losslessly() {
    let dir = temp();
    let csv = data("sample_master.csv");
    let mut from = csv.clone();
    for name in ["m.parquet", "m.arrow", "m.sqlite", "m.jsonl.csv"] {
        let to = path(&dir, name);
        assert_eq!(secmaster(&["convert", &from, &to]).ok(), "");
        from = to;
    }
    assert_eq!(
        std::fs::read_to_string(&from).unwrap(),
        std::fs::read_to_string(&csv).unwrap()
    );
    assert_eq!(
        files(&dir),
        [
            "m.arrow",
            "m.jsonl.csv",
            "m.jsonl.csv.schema.json",
            "m.parquet",
            "m.sqlite"
        ]
    );
    // Every one reads back as the same master.
    for name in ["m.parquet", "m.arrow", "m.sqlite"] {
        assert_eq!(
            secmaster(&["build", &path(&dir, name), "--format", "table"]).ok(),
            SAMPLE_MASTER,
            "{name}"
        );
    }
}

#[test]
fn build_views_a_table_file() {
    let dir = temp();
    let parquet = path(&dir, "m.parquet");
    secmaster(&["convert", &data("sample_master.csv"), &parquet]).ok();
    assert_eq!(
        secmaster(&[
            "build",
            &parquet,
            "--as-of",
            "2024-04-01",
            "--columns",
            "ticker,name"
        ])
        .ok(),
        "\
security_id,effective_start_date,effective_end_date,ticker,name
1,2024-03-22,2024-05-23,LENZ,\"Lenz Therapeutics, Inc\"
2,2023-03-17,2024-05-23,V,
3,2024-01-01,,ACME,
"
    );
    assert_eq!(
        secmaster(&["build", &parquet, "--security", "2", "--format", "table"]).ok(),
        "\
security_id  effective_start_date  effective_end_date  asset_class   ticker  name  gics_industry  gics_sector  interest_rate  market_cap
2            2023-01-01            2023-03-17          fixed_income  V       null  null           technology   199            null
2            2023-03-17            2024-05-23          fixed_income  V       null  null           financials   199            null
2            2024-05-23            null                fixed_income  V       null  null           financials   199            549000
"
    );
    assert_eq!(
        secmaster(&[
            "build",
            &parquet,
            "--asset-class",
            "NONE",
            "--format",
            "table"
        ])
        .ok(),
        "\
security_id  effective_start_date  effective_end_date  ticker
3            2024-01-01            null                ACME
"
    );
    assert_eq!(
        secmaster(&[
            "build",
            &parquet,
            "--asset-class",
            "equity",
            "--as-of",
            "2024-06-01",
            "--columns",
            "market_cap",
            "--format",
            "table"
        ])
        .ok(),
        "\
security_id  effective_start_date  effective_end_date  market_cap
1            2024-05-23            null                400
"
    );
}

#[test]
fn build_writes_every_format_by_extension() {
    let dir = temp();
    let parquet = path(&dir, "m.parquet");
    secmaster(&["convert", &data("sample_master.csv"), &parquet]).ok();
    for name in ["a.parquet", "a.arrow", "a.sqlite", "a.csv", "a.txt"] {
        assert_eq!(
            secmaster(&["build", &parquet, "-o", &path(&dir, name)]).ok(),
            ""
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
        SAMPLE_MASTER
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.csv")).unwrap(),
        std::fs::read_to_string(data("sample_master.csv")).unwrap()
    );
    for name in ["a.arrow", "a.sqlite"] {
        assert_eq!(
            secmaster(&["build", &path(&dir, name), "--format", "table"]).ok(),
            SAMPLE_MASTER
        );
    }
}

#[test]
fn sql_prints_statements_for_either_dialect() {
    let sqlite = secmaster(&["sql"]).ok();
    assert!(
        sqlite.starts_with("BEGIN;\nDROP TABLE IF EXISTS \"security_master\";\n"),
        "{sqlite}"
    );
    assert!(sqlite.contains("\"market_cap\" INTEGER"));
    let pg = secmaster(&["sql", "--dialect", "postgres", "--table", "sm"]).ok();
    assert!(pg.contains("CREATE TABLE \"sm\" ("), "{pg}");
    assert!(pg.contains("\"market_cap\" BIGINT"), "{pg}");
    // A table CSV is read as the master it holds.
    assert_eq!(secmaster(&["sql", &data("sample_master.csv")]).ok(), sqlite);
}

/// Issue 14, item 12: every output (io's formats and the CLI's own text and generated
/// files) gets the mode a plain `File::create` gives in the same folder, not a temporary
/// file's 0600; an output that replaces a file keeps that file's mode.
#[cfg(unix)]
#[test]
fn outputs_get_the_mode_a_plain_create_gives_and_keep_their_own() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &str| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    let dir = temp();
    let plain = path(&dir, "plain");
    std::fs::File::create(&plain).unwrap();
    let csv = data("sample_master.csv");
    let runs: Vec<(&str, Vec<&str>)> = vec![
        ("m.parquet", vec!["build", &csv, "-o"]),
        ("m.arrow", vec!["convert", &csv]),
        ("m.sqlite", vec!["convert", &csv]),
        ("m.csv", vec!["build", &csv, "-o"]),
        ("m.csv.schema.json", vec![]),
        ("m.jsonl", vec!["build", &csv, "-o"]),
        ("m.txt", vec!["build", &csv, "-o"]),
        (
            "f.csv",
            vec!["generate", "--securities", "3", "--facts", "40", "-o"],
        ),
    ];
    let run = |name: &str, args: &[&str]| {
        if !args.is_empty() {
            let out = path(&dir, name);
            let args: Vec<&str> = args.iter().copied().chain([out.as_str()]).collect();
            secmaster(&args).ok();
        }
    };
    for (name, args) in &runs {
        run(name, args);
        assert_eq!(mode(&path(&dir, name)), mode(&plain), "new {name}");
    }
    for (name, _) in &runs {
        let file = path(&dir, name);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    for (name, args) in &runs {
        run(name, args);
        assert_eq!(mode(&path(&dir, name)), 0o640, "overwritten {name}");
    }
}

#[test]
fn header_less_fact_and_positions_files_are_not_tables() {
    let dir = temp();
    std::fs::write(dir.path().join("held.csv"), "\"1\", 100, \"02/01/24\"\n").unwrap();
    for input in [data("prototype_trail.csv"), path(&dir, "held.csv")] {
        let err = secmaster_in(dir.path(), &["convert", &input, "out.parquet"]).fails(1);
        assert!(
            err.ends_with(
                "line 1: a table needs a header row, and this line is a record (it starts \
                 with an integer): a fact or positions file in the prototype's layout is \
                 read by `build` or `positions`, not as a table"
            ),
            "{err}"
        );
        assert!(!dir.path().join("out.parquet").exists());
    }
}

/// A view of a master's Parquet file is read straight from the file (io's `query`): it
/// must be the view of the master built from the facts, in every output format.
#[test]
fn a_view_read_from_a_master_file_is_the_view_built_from_its_facts() {
    let dir = temp();
    let facts = path(&dir, "facts.csv");
    let parquet = path(&dir, "m.parquet");
    let args = ["--securities", "300", "--facts", "6000", "--seed", "3"];
    secmaster(&[&["generate", "-o", &facts][..], &args].concat()).ok();
    secmaster(&["build", &facts, "-o", &parquet]).ok();
    let views: [&[&str]; 5] = [
        &["--as-of", "2022-06-30"],
        &["--security", "17"],
        &[
            "--security",
            "17",
            "--as-of",
            "2023-01-01",
            "--columns",
            "name,ticker",
        ],
        &["--asset-class", "equity", "--columns", "ticker,market_cap"],
        &["--as-of", "2023-01-01", "--asset-class", "fixed_income"],
    ];
    for view in views {
        let built = secmaster(&[&["build", &facts, "--format", "csv"][..], view].concat()).ok();
        assert!(built.lines().count() > 1, "{view:?} selects some rows");
        let read = secmaster(&[&["build", &parquet, "--format", "csv"][..], view].concat()).ok();
        assert_eq!(read, built, "{view:?}");
        for out in ["v.parquet", "v.arrow"] {
            let out = path(&dir, out);
            secmaster(&[&["build", &parquet, "-o", &out][..], view].concat()).ok();
            let csv = path(&dir, "v.csv");
            secmaster(&["convert", &out, &csv]).ok();
            let back = std::fs::read_to_string(&csv).unwrap();
            assert_eq!(back, built, "{view:?} {out}");
        }
    }
    let unknown = secmaster(&[
        "build",
        &parquet,
        "--as-of",
        "2023-01-01",
        "--columns",
        "nope",
    ]);
    assert!(
        unknown
            .fails(2)
            .contains("--columns: no column named `nope`")
    );
}
