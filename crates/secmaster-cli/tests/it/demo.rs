//! The bare command: the prototype's demo flags, alone and stacked.

use crate::{MERGED_MASTER, SAMPLE_MASTER, secmaster};

#[test]
fn bare_command_prints_the_sample_master() {
    assert_eq!(
        secmaster(&[]).ok(),
        format!("Security Master\n{SAMPLE_MASTER}")
    );
}

#[test]
fn merge_prints_the_master_before_and_after() {
    assert_eq!(
        secmaster(&["-m"]).ok(),
        format!("Security Master\n{SAMPLE_MASTER}\nSecurity Master after Merge\n{MERGED_MASTER}")
    );
    assert_eq!(secmaster(&["--merge"]).ok(), secmaster(&["-m"]).ok());
}

#[test]
fn filter_shows_one_class_without_its_empty_columns() {
    assert_eq!(
        secmaster(&["-f", "fixed_income"]).ok(),
        "\
Security Master (asset_class: fixed_income)
security_id  effective_start_date  effective_end_date  asset_class   ticker  gics_sector  interest_rate  market_cap
2            2023-01-01            2023-03-17          fixed_income  V       technology   199            null
2            2023-03-17            2024-05-23          fixed_income  V       financials   199            null
2            2024-05-23            null                fixed_income  V       financials   199            549000
"
    );
}

#[test]
fn filter_none_in_any_case_is_uncategorized() {
    let expected = "\
Security Master (asset_class: none)
security_id  effective_start_date  effective_end_date  ticker
3            2024-01-01            null                ACME
";
    for spelling in ["none", "None", "NONE"] {
        assert_eq!(secmaster(&["--filter", spelling]).ok(), expected);
    }
}

#[test]
fn positions_are_joined_as_of_their_dates() {
    assert_eq!(
        secmaster(&["-p"]).ok(),
        format!(
            "Security Master\n{SAMPLE_MASTER}\n\
Consolidated Position Information
security_id  quantity  date        asset_class   ticker  name          gics_industry  gics_sector  interest_rate  market_cap
1            100       2024-02-01  equity        GRPH    Graphite bio  biotechnology  healthcare   null           null
1            105       2024-02-01  equity        GRPH    Graphite bio  biotechnology  healthcare   null           null
2            150       2024-02-01  fixed_income  V       null          null           financials   199            null
1            120       2024-03-01  equity        GRPH    Graphite bio  biotechnology  healthcare   null           null
2            140       2024-03-01  fixed_income  V       null          null           financials   199            null
3            100       2024-03-01  null          ACME    null          null           null         null           null
"
        )
    );
}

#[test]
fn merge_filter_and_positions_stack() {
    assert_eq!(
        secmaster(&["-m", "-f", "fixed_income", "-p"]).ok(),
        "\
Security Master (asset_class: fixed_income)
security_id  effective_start_date  effective_end_date  asset_class   ticker  gics_sector  interest_rate  market_cap
2            2023-01-01            2023-03-17          fixed_income  V       technology   199            null
2            2023-03-17            2024-05-23          fixed_income  V       financials   199            null
2            2024-05-23            null                fixed_income  V       financials   199            549000

Security Master after Merge (asset_class: fixed_income)
security_id  effective_start_date  effective_end_date  asset_class   ticker  gics_sector  interest_rate  market_cap  new_key
2            2023-01-01            2023-03-17          fixed_income  V       technology   199            null        null
2            2023-03-17            2024-05-23          fixed_income  V       financials   199            null        456
2            2024-05-23            2024-05-26          fixed_income  V       financials   199            549000      456
2            2024-05-26            null                fixed_income  V       financials   199            548000      456

Consolidated Position Information (asset_class: fixed_income)
security_id  quantity  date        asset_class   ticker  gics_sector  interest_rate  new_key
2            150       2024-02-01  fixed_income  V       financials   199            456
2            140       2024-03-01  fixed_income  V       financials   199            456
"
    );
}

#[test]
fn sql_prints_statements_and_checks_the_round_trip() {
    let out = secmaster(&["-s"]).ok();
    assert!(out.starts_with(&format!(
        "Security Master\n{SAMPLE_MASTER}\nSQL (SQLite)\nBEGIN;\n"
    )));
    assert!(
        out.contains("CREATE TABLE \"security_master\" (\n  \"security_id\" INTEGER NOT NULL,")
    );
    assert_eq!(
        out.matches("INSERT INTO \"security_master\" VALUES")
            .count(),
        7
    );
    assert!(out.ends_with(
        "COMMIT;\nRound trip through in-memory SQLite: equal (7 rows written, 7 read back)\n"
    ));
}

#[test]
fn every_flag_stacks_in_the_prototype_order() {
    let out = secmaster(&["-m", "-f", "equity", "-p", "-s"]).ok();
    let titles: Vec<&str> = out
        .lines()
        .filter(|l| {
            l.starts_with("Security Master")
                || l.starts_with("Consolidated")
                || l.starts_with("SQL")
                || l.starts_with("Round trip")
        })
        .collect();
    assert_eq!(
        titles,
        [
            "Security Master (asset_class: equity)",
            "Security Master after Merge (asset_class: equity)",
            "Consolidated Position Information (asset_class: equity)",
            "SQL (SQLite)",
            "Round trip through in-memory SQLite: equal (5 rows written, 5 read back)",
        ]
    );
}

#[test]
fn generate_with_a_seed_is_repeatable() {
    let a = secmaster(&["-g", "--seed", "7"]).ok();
    assert!(
        a.starts_with("Security Master (generated: 6 securities, 90 facts, --seed 7)\n"),
        "{a}"
    );
    assert_eq!(a, secmaster(&["--generate", "--seed", "7"]).ok());
    assert_ne!(a, secmaster(&["-g", "--seed", "8"]).ok());
    // Rows of six securities, each with asset class, ticker and name from the first date.
    assert!(a.lines().count() > 6);
}

#[test]
fn generate_stacks_with_filter_positions_and_sql() {
    let out = secmaster(&["-g", "--seed", "3", "-f", "equity", "-p", "-s"]).ok();
    assert!(out.starts_with(
        "Security Master (generated: 6 securities, 90 facts, --seed 3) (asset_class: equity)\n"
    ));
    assert!(out.contains("\nConsolidated Position Information (asset_class: equity)\n"));
    assert!(out.contains("Round trip through in-memory SQLite: equal"));
    assert!(!out.contains("fixed_income"));
}

#[test]
fn generate_without_a_seed_says_which_it_used() {
    let out = secmaster(&["-g"]).ok();
    let title = out.lines().next().unwrap();
    assert!(title.starts_with("Security Master (generated: 6 securities, 90 facts, --seed "));
}

#[test]
fn generate_with_merge_is_a_usage_error() {
    for args in [
        &["-g", "-m"][..],
        &["-m", "--generate"],
        &["-gm"],
        &["-g", "-m", "-p"],
    ] {
        assert_eq!(
            secmaster(args).fails(2),
            "error: -g/--generate cannot be used with -m/--merge: the bundled update batch is \
             about the sample trail's securities; drop one of the two"
        );
    }
}

#[test]
fn seed_without_generate_is_a_usage_error() {
    let run = secmaster(&["--seed", "3"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--generate"), "{}", run.stderr);
}

#[test]
fn date_format_us_prints_the_prototype_dates() {
    let out = secmaster(&["--date-format", "us"]).ok();
    assert!(
        out.contains("\n1            01/01/24              03/22/24            equity"),
        "{out}"
    );
    let out = secmaster(&["--date-format", "%d.%m.%Y", "-f", "none"]).ok();
    assert!(
        out.contains("\n3            01.01.2024            null                ACME"),
        "{out}"
    );
}

#[test]
fn width_folds_the_table_into_blocks_that_fit() {
    let out = secmaster(&["--width", "80"]).ok();
    assert!(out.lines().all(|l| l.chars().count() <= 80), "{out}");
    assert_eq!(
        out,
        "\
Security Master
security_id  effective_start_date  effective_end_date  asset_class   ticker
1            2024-01-01            2024-03-22          equity        GRPH
1            2024-03-22            2024-05-23          equity        LENZ
1            2024-05-23            null                equity        LENZ
2            2023-01-01            2023-03-17          fixed_income  V
2            2023-03-17            2024-05-23          fixed_income  V
2            2024-05-23            null                fixed_income  V
3            2024-01-01            null                null          ACME

security_id  effective_start_date  name                    gics_industry
1            2024-01-01            Graphite bio            biotechnology
1            2024-03-22            Lenz Therapeutics, Inc  biotechnology
1            2024-05-23            Lenz Therapeutics, Inc  biotechnology
2            2023-01-01            null                    null
2            2023-03-17            null                    null
2            2024-05-23            null                    null
3            2024-01-01            null                    null

security_id  effective_start_date  gics_sector  interest_rate  market_cap
1            2024-01-01            healthcare   null           null
1            2024-03-22            healthcare   null           null
1            2024-05-23            healthcare   null           400
2            2023-01-01            technology   199            null
2            2023-03-17            financials   199            null
2            2024-05-23            financials   199            549000
3            2024-01-01            null         null           null
"
    );
}

#[test]
fn max_cell_elides_long_cells() {
    let out = secmaster(&["--max-cell", "8", "-f", "equity"]).ok();
    assert!(out.contains("Lenz Th…"), "{out}");
    assert!(!out.contains("Lenz Therapeutics"), "{out}");
}
