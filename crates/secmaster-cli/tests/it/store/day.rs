//! A day in the life, on the prototype's files: log, as-known-at, resolve and history.

use super::*;

/// The prototype's trail and update, then CORRECTION, as the store has them after batch 3.
const AFTER_CORRECTION: &str = "\
security_id,effective_start_date,effective_end_date,asset_class,ticker,name,gics_industry,gics_sector,interest_rate,market_cap,new_key
1,2024-01-01,2024-03-01,equity,GRPH,Graphite bio,biotechnology,healthcare,,,
1,2024-03-01,2024-03-22,equity,GRPH,Graphite bio,health sciences,healthcare,,100,
1,2024-03-22,2024-05-23,equity,LNZX,\"Lenz Therapeutics, Inc\",health sciences,healthcare,,100,
1,2024-05-23,2024-05-26,equity,LNZX,\"Lenz Therapeutics, Inc\",health sciences,healthcare,,400,
1,2024-05-26,,equity,LNZX,\"Lenz Therapeutics, Inc\",health sciences,healthcare,,90000,123
2,2023-01-01,2023-03-17,fixed_income,V,,,technology,199,,
2,2023-03-17,2024-05-23,fixed_income,V,,,financials,199,,456
2,2024-05-23,2024-05-26,fixed_income,V,,,financials,199,549000,456
2,2024-05-26,,fixed_income,V,,,financials,199,548000,456
3,2024-01-01,,,ACME,Acme Corp,,,,,
";

/// `history --security 1` after the three batches: who set each value.
const HISTORY_1: &str = "\
effective_start_date,effective_end_date,attribute,value,value_type,set_on,batch
2024-01-01,2024-03-01,asset_class,equity,str,2024-01-01,1
2024-01-01,2024-03-01,ticker,GRPH,str,2024-01-01,1
2024-01-01,2024-03-01,name,Graphite bio,str,2024-01-01,1
2024-01-01,2024-03-01,gics_industry,biotechnology,str,2024-01-01,1
2024-01-01,2024-03-01,gics_sector,healthcare,str,2024-01-01,1
2024-03-01,2024-03-22,asset_class,equity,str,2024-01-01,1
2024-03-01,2024-03-22,ticker,GRPH,str,2024-01-01,1
2024-03-01,2024-03-22,name,Graphite bio,str,2024-01-01,1
2024-03-01,2024-03-22,gics_industry,health sciences,str,2024-03-01,2
2024-03-01,2024-03-22,gics_sector,healthcare,str,2024-01-01,1
2024-03-01,2024-03-22,market_cap,100,int,2024-03-01,2
2024-03-22,2024-05-23,asset_class,equity,str,2024-01-01,1
2024-03-22,2024-05-23,ticker,LNZX,str,2024-03-22,3
2024-03-22,2024-05-23,name,\"Lenz Therapeutics, Inc\",str,2024-03-22,1
2024-03-22,2024-05-23,gics_industry,health sciences,str,2024-03-01,2
2024-03-22,2024-05-23,gics_sector,healthcare,str,2024-01-01,1
2024-03-22,2024-05-23,market_cap,100,int,2024-03-01,2
2024-05-23,2024-05-26,asset_class,equity,str,2024-01-01,1
2024-05-23,2024-05-26,ticker,LNZX,str,2024-03-22,3
2024-05-23,2024-05-26,name,\"Lenz Therapeutics, Inc\",str,2024-03-22,1
2024-05-23,2024-05-26,gics_industry,health sciences,str,2024-03-01,2
2024-05-23,2024-05-26,gics_sector,healthcare,str,2024-01-01,1
2024-05-23,2024-05-26,market_cap,400,int,2024-05-23,1
2024-05-26,,asset_class,equity,str,2024-01-01,1
2024-05-26,,ticker,LNZX,str,2024-03-22,3
2024-05-26,,name,\"Lenz Therapeutics, Inc\",str,2024-03-22,1
2024-05-26,,gics_industry,health sciences,str,2024-03-01,2
2024-05-26,,gics_sector,healthcare,str,2024-01-01,1
2024-05-26,,market_cap,90000,int,2024-05-26,2
2024-05-26,,new_key,123,int,2024-05-26,2
";

/// A store that took the prototype's trail, its update and CORRECTION, in `dir/s`.
fn day_in_the_life(dir: &Path) {
    prototype_files(dir);
    write(dir, "correction.csv", CORRECTION);
    init(dir, "s");
    assert_eq!(
        ingest(dir, "s", &["trail.csv"]),
        "batch 1: added 15 facts about 3 securities (3 new)\n\
         periods: 7 added, 0 split, 0 changed\n\
         new columns: asset_class, ticker, name, gics_industry, gics_sector, interest_rate, \
         market_cap\n"
    );
    assert_eq!(
        ingest(dir, "s", &["update.csv"]),
        "batch 2: added 6 facts about 2 securities (0 new)\n\
         periods: 0 added, 3 split, 4 changed\n\
         new columns: new_key\n"
    );
    let report = ingest(dir, "s", &["correction.csv"]);
    assert!(
        report.starts_with(
            "batch 3: added 2 facts about 2 securities (0 new)\n\
             periods: 0 added, 0 split, 4 changed\n"
        ),
        "{report}"
    );
}

#[test]
fn a_day_in_the_life_log_and_as_known_at() {
    let dir = temp();
    let dir = dir.path();
    day_in_the_life(dir);

    let log = log(dir, "s");
    let summary: Vec<(u64, u64, &str, &str)> = log
        .iter()
        .map(|r| (r.batch, r.facts, r.sources.as_str(), r.log.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            (1, 15, "trail.csv", "log/000001.parquet"),
            (2, 6, "update.csv", "log/000002.parquet"),
            (3, 2, "correction.csv", "log/000003.parquet"),
        ]
    );
    let mut times = Vec::new();
    for row in &log {
        assert_eq!(row.xxh3.len(), 16, "{row:?}");
        assert!(row.xxh3.bytes().all(|c| c.is_ascii_hexdigit()), "{row:?}");
        let t = chrono::DateTime::parse_from_rfc3339(&row.committed_at)
            .unwrap_or_else(|e| panic!("{row:?}: {e}"));
        times.push(t);
    }
    assert!(times.is_sorted(), "{log:?}");

    let files = ["trail.csv", "update.csv", "correction.csv"];
    let current = build(dir, &["s"]);
    assert_eq!(current, AFTER_CORRECTION);
    assert_eq!(current, build(dir, &files));
    for k in 1..=3 {
        assert_eq!(
            known_at(dir, "s", &k.to_string()),
            build(dir, &files[..k]),
            "as known at {k}"
        );
    }
    // Before the first commit the store held no table (a usage error that says when the
    // first batch came: `as_known_at_outside_the_log_and_exit_codes`); long after, all.
    let before = (times[0] - chrono::Duration::seconds(1)).to_rfc3339();
    let err = secmaster_in(dir, &["build", "s", "--as-known-at", &before]).fails(2);
    assert!(err.contains("no batch was committed by"), "{err}");
    assert_eq!(known_at(dir, "s", "2999-12-31T23:59:59Z"), AFTER_CORRECTION);
    assert_eq!(known_at(dir, "s", "2999-12-31"), AFTER_CORRECTION);
    // A store among FACTS merges like any other input: the store, then a file on top.
    assert_eq!(
        build(
            dir,
            &["s", "--as-known-at", "2", "--update", "correction.csv"]
        ),
        AFTER_CORRECTION
    );
}

/// `log` prints each commit time, and `--as-known-at TIME` reads the store as committed by
/// a time; the time `log` shows for a batch should therefore read the store as it stood
/// after that batch.
#[test]
fn as_known_at_the_logged_commit_time_includes_that_batch() {
    let dir = temp();
    let dir = dir.path();
    day_in_the_life(dir);
    let files = ["trail.csv", "update.csv", "correction.csv"];
    for (k, row) in log(dir, "s").iter().enumerate() {
        assert_eq!(
            known_at(dir, "s", &row.committed_at),
            build(dir, &files[..=k]),
            "as known at {} (batch {})",
            row.committed_at,
            row.batch
        );
    }
}

#[test]
fn a_day_in_the_life_resolve_and_history() {
    let dir = temp();
    let dir = dir.path();
    day_in_the_life(dir);
    let header = AFTER_CORRECTION.lines().next().unwrap();

    // As known after the update, LENZ on April 1st is security 1.
    let lenz = |k: &str| {
        secmaster_in(
            dir,
            &[
                "resolve",
                "s",
                "--where",
                "ticker=LENZ",
                "--on",
                "2024-04-01",
                "--as-known-at",
                k,
                "--format",
                "csv",
            ],
        )
    };
    assert_eq!(
        lenz("2").ok(),
        format!(
            "{header}\n1,2024-03-22,2024-05-23,equity,LENZ,\"Lenz Therapeutics, Inc\",\
             health sciences,healthcare,,100,\n"
        )
    );
    assert_eq!(
        lenz("1").ok(),
        "security_id,effective_start_date,effective_end_date,asset_class,ticker,name,\
         gics_industry,gics_sector,interest_rate,market_cap\n\
         1,2024-03-22,2024-05-23,equity,LENZ,\"Lenz Therapeutics, Inc\",biotechnology,\
         healthcare,,\n"
    );
    // The correction says it never was: nobody carried LENZ, then or now.
    let err = lenz("3").fails(1);
    assert_eq!(err, "error: no security carried ticker=LENZ on 2024-04-01");
    let err = secmaster_in(
        dir,
        &[
            "resolve",
            "s",
            "--where",
            "ticker=LENZ",
            "--on",
            "2024-04-01",
        ],
    )
    .fails(1);
    assert_eq!(err, "error: no security carried ticker=LENZ on 2024-04-01");
    assert_eq!(
        secmaster_in(
            dir,
            &[
                "resolve",
                "s",
                "--where",
                "ticker=LNZX",
                "--on",
                "2024-04-01",
                "--columns",
                "ticker,market_cap",
                "--format",
                "csv",
            ],
        )
        .ok(),
        "security_id,effective_start_date,effective_end_date,ticker,market_cap\n\
         1,2024-03-22,2024-05-23,LNZX,100\n"
    );
    // Typed: market_cap is an int column.
    assert_eq!(
        secmaster_in(
            dir,
            &[
                "resolve",
                "s",
                "--where",
                "market_cap=549000",
                "--on",
                "2024-05-24",
                "--columns",
                "ticker",
                "--format",
                "csv",
            ],
        )
        .ok(),
        "security_id,effective_start_date,effective_end_date,ticker\n\
         2,2024-05-23,2024-05-26,V\n"
    );

    // Who set each value: a row from each batch, and the whole of it.
    let history = secmaster_in(dir, &["history", "s", "--security", "1", "--format", "csv"]).ok();
    for row in [
        "2024-01-01,2024-03-01,name,Graphite bio,str,2024-01-01,1",
        "2024-03-01,2024-03-22,market_cap,100,int,2024-03-01,2",
        "2024-03-22,2024-05-23,ticker,LNZX,str,2024-03-22,3",
    ] {
        assert!(history.lines().any(|l| l == row), "{row} not in\n{history}");
    }
    assert_eq!(history, HISTORY_1);
    assert_eq!(
        secmaster_in(dir, &["history", "s", "--security", "3", "--format", "csv"]).ok(),
        "effective_start_date,effective_end_date,attribute,value,value_type,set_on,batch\n\
         2024-01-01,,ticker,ACME,str,2024-01-01,1\n\
         2024-01-01,,name,Acme Corp,str,2024-01-01,3\n"
    );
    let err = secmaster_in(dir, &["history", "s", "--security", "99"]).fails(1);
    assert_eq!(err, "error: store `s` has no facts about security 99");
    // As known after batch 1, every value was batch 1's; security 3's name came in batch 3.
    let history_at = |k: &str, id: &str| {
        secmaster_in(
            dir,
            &[
                "history",
                "s",
                "--security",
                id,
                "--as-known-at",
                k,
                "--format",
                "csv",
            ],
        )
    };
    let at_1 = history_at("1", "1").ok();
    assert!(at_1.lines().skip(1).all(|l| l.ends_with(",1")), "{at_1}");
    assert!(at_1.contains(",ticker,LENZ,str,2024-03-22,1"), "{at_1}");
    assert_eq!(history_at("3", "1").ok(), HISTORY_1);
    assert_eq!(
        history_at("2", "3").ok(),
        "effective_start_date,effective_end_date,attribute,value,value_type,set_on,batch\n\
         2024-01-01,,ticker,ACME,str,2024-01-01,1\n"
    );
    assert!(history_at("4", "1").fails(2).contains("no batch 4"));
}
