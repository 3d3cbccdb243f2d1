//! `secmaster generate`: a deterministic, streaming fact CSV.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::{files, path, secmaster, secmaster_in, temp};

#[test]
fn writes_exactly_the_facts_asked_for_with_a_header() {
    let dir = temp();
    let out = secmaster_in(
        dir.path(),
        &[
            "generate",
            "--securities",
            "50",
            "--facts",
            "2000",
            "--seed",
            "9",
            "-o",
            "f.csv",
        ],
    )
    .ok();
    assert_eq!(out, "");
    let text = std::fs::read_to_string(dir.path().join("f.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("security_id,attribute,value,effective_date")
    );
    assert_eq!(lines.count(), 2000);
    assert_eq!(files(&dir), ["f.csv"]);
}

#[test]
fn same_seed_same_bytes_and_stdout_equals_the_file() {
    let dir = temp();
    let args = |o: &str| {
        vec![
            "generate",
            "--securities",
            "20",
            "--facts",
            "600",
            "--seed",
            "5",
            "-o",
        ]
        .into_iter()
        .chain([o])
        .map(str::to_string)
        .collect::<Vec<_>>()
    };
    for name in ["a.csv", "b.csv"] {
        let a = args(&path(&dir, name));
        secmaster(&a.iter().map(String::as_str).collect::<Vec<_>>()).ok();
    }
    let a = std::fs::read(dir.path().join("a.csv")).unwrap();
    assert_eq!(a, std::fs::read(dir.path().join("b.csv")).unwrap());
    let stdout = secmaster(&[
        "generate",
        "--securities",
        "20",
        "--facts",
        "600",
        "--seed",
        "5",
    ])
    .ok();
    assert_eq!(stdout.as_bytes(), a);
    let other = secmaster(&[
        "generate",
        "--securities",
        "20",
        "--facts",
        "600",
        "--seed",
        "6",
    ])
    .ok();
    assert_ne!(other.as_bytes(), a);
}

#[test]
fn values_have_one_shape_per_attribute() {
    let out = secmaster(&["generate", "--securities", "100", "--facts", "5000"]).ok();
    let mut classes = std::collections::BTreeSet::new();
    for line in out.lines().skip(1) {
        let attribute = line.split(',').nth(1).unwrap();
        let value = line.split(',').nth(2).unwrap();
        match attribute {
            "asset_class" => {
                classes.insert(value.to_string());
            }
            "market_cap" | "aum" | "settlement_days" => {
                assert!(value.parse::<i64>().is_ok(), "{line}");
            }
            "coupon" | "tick_size" | "expense_ratio" => {
                assert!(
                    value.contains('.') && value.parse::<f64>().is_ok(),
                    "{line}"
                );
            }
            "maturity_date" | "listing_date" => {
                assert!(value.parse::<chrono::NaiveDate>().is_ok(), "{line}");
            }
            _ => {}
        }
    }
    assert_eq!(
        classes.into_iter().collect::<Vec<_>>(),
        ["commodity", "equity", "etf", "fixed_income", "fx"]
    );
}

#[test]
fn too_few_facts_fails_and_leaves_no_file() {
    let dir = temp();
    let err = secmaster_in(
        dir.path(),
        &[
            "generate",
            "--securities",
            "100",
            "--facts",
            "10",
            "-o",
            "f.csv",
        ],
    )
    .fails(2);
    assert!(
        err.starts_with("error: cannot generate the trail: 10 facts are fewer than the "),
        "{err}"
    );
    assert!(files(&dir).is_empty(), "{:?}", files(&dir));
}

#[test]
fn only_csv_can_be_generated() {
    let err = secmaster(&[
        "generate",
        "--securities",
        "1",
        "--facts",
        "10",
        "-o",
        "x.parquet",
    ])
    .fails(2);
    assert_eq!(
        err,
        "error: `generate` writes CSV, but x.parquet names a parquet file; give a .csv path"
    );
}

#[test]
fn a_reader_that_goes_away_is_not_an_error() {
    // `secmaster generate … | head -1`: the pipe closes early; the run still succeeds.
    let mut child = Command::new(env!("CARGO_BIN_EXE_secmaster"))
        .args(["generate", "--securities", "2000", "--facts", "400000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first, "security_id,attribute,value,effective_date\n");
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
