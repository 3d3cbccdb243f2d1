//! The prototype's sample trail, update and positions (SEED.md), with every expected table
//! written out in full.
//!
//! Where SEED.md's pasted output disagrees with its own rules, DESIGN.md wins: its positions
//! output was produced on the master before the merge although it says `-m -p`, so the joins
//! below are given for both masters; and the uncategorized view drops the all-null
//! `asset_class` column like any other empty attribute (rule 9).

use secmaster_core::{Join, SecurityMaster, sample};

use crate::unindent;

fn built() -> SecurityMaster {
    SecurityMaster::build(sample::trail()).unwrap()
}

fn merged() -> SecurityMaster {
    let mut master = built();
    master.merge(sample::update()).unwrap();
    master
}

#[track_caller]
fn assert_table(actual: impl ToString, expected: &str) {
    assert_eq!(actual.to_string(), unindent(expected));
}

#[test]
fn build_sample_trail() {
    assert_table(
        built().table(),
        "
        security_id  effective_start_date  effective_end_date  asset_class   ticker  name                    gics_industry  gics_sector  interest_rate  market_cap
        1            2024-01-01            2024-03-22          equity        GRPH    Graphite bio            biotechnology  healthcare   null           null
        1            2024-03-22            2024-05-23          equity        LENZ    Lenz Therapeutics, Inc  biotechnology  healthcare   null           null
        1            2024-05-23            null                equity        LENZ    Lenz Therapeutics, Inc  biotechnology  healthcare   null           400
        2            2023-01-01            2023-03-17          fixed_income  V       null                    null           technology   199            null
        2            2023-03-17            2024-05-23          fixed_income  V       null                    null           financials   199            null
        2            2024-05-23            null                fixed_income  V       null                    null           financials   199            549000
        3            2024-01-01            null                null          ACME    null                    null           null         null           null
        ",
    );
}

#[test]
fn merge_sample_update() {
    let master = merged();
    assert_table(
        master.table(),
        "
        security_id  effective_start_date  effective_end_date  asset_class   ticker  name                    gics_industry    gics_sector  interest_rate  market_cap  new_key
        1            2024-01-01            2024-03-01          equity        GRPH    Graphite bio            biotechnology    healthcare   null           null        null
        1            2024-03-01            2024-03-22          equity        GRPH    Graphite bio            health sciences  healthcare   null           100         null
        1            2024-03-22            2024-05-23          equity        LENZ    Lenz Therapeutics, Inc  health sciences  healthcare   null           100         null
        1            2024-05-23            2024-05-26          equity        LENZ    Lenz Therapeutics, Inc  health sciences  healthcare   null           400         null
        1            2024-05-26            null                equity        LENZ    Lenz Therapeutics, Inc  health sciences  healthcare   null           90000       123
        2            2023-01-01            2023-03-17          fixed_income  V       null                    null             technology   199            null        null
        2            2023-03-17            2024-05-23          fixed_income  V       null                    null             financials   199            null        456
        2            2024-05-23            2024-05-26          fixed_income  V       null                    null             financials   199            549000      456
        2            2024-05-26            null                fixed_income  V       null                    null             financials   199            548000      456
        3            2024-01-01            null                null          ACME    null                    null             null         null           null        null
        ",
    );
    let rebuilt =
        SecurityMaster::build(sample::trail().into_iter().chain(sample::update())).unwrap();
    assert_eq!(master, rebuilt);
}

#[test]
fn asset_class_fixed_income() {
    assert_table(
        built().asset_class(Some("fixed_income")),
        "
        security_id  effective_start_date  effective_end_date  asset_class   ticker  gics_sector  interest_rate  market_cap
        2            2023-01-01            2023-03-17          fixed_income  V       technology   199            null
        2            2023-03-17            2024-05-23          fixed_income  V       financials   199            null
        2            2024-05-23            null                fixed_income  V       financials   199            549000
        ",
    );
}

#[test]
fn asset_class_equity() {
    assert_table(
        built().asset_class(Some("equity")),
        "
        security_id  effective_start_date  effective_end_date  asset_class  ticker  name                    gics_industry  gics_sector  market_cap
        1            2024-01-01            2024-03-22          equity       GRPH    Graphite bio            biotechnology  healthcare   null
        1            2024-03-22            2024-05-23          equity       LENZ    Lenz Therapeutics, Inc  biotechnology  healthcare   null
        1            2024-05-23            null                equity       LENZ    Lenz Therapeutics, Inc  biotechnology  healthcare   400
        ",
    );
}

#[test]
fn asset_class_uncategorized() {
    assert_table(
        built().asset_class(None),
        "
        security_id  effective_start_date  effective_end_date  ticker
        3            2024-01-01            null                ACME
        ",
    );
    // The same view through the generic table operation.
    assert_eq!(
        built().asset_class(None),
        built().table().where_asset_class(None)
    );
}

#[test]
fn asset_class_unknown_keeps_key_columns() {
    assert_table(
        built().asset_class(Some("crypto")),
        "
        security_id  effective_start_date  effective_end_date
        ",
    );
}

#[test]
fn positions_on_built_master() {
    assert_table(
        built().join_positions(&sample::positions(), Join::Inner),
        "
        security_id  quantity  date        asset_class   ticker  name          gics_industry  gics_sector  interest_rate  market_cap
        1            100       2024-02-01  equity        GRPH    Graphite bio  biotechnology  healthcare   null           null
        1            105       2024-02-01  equity        GRPH    Graphite bio  biotechnology  healthcare   null           null
        2            150       2024-02-01  fixed_income  V       null          null           financials   199            null
        1            120       2024-03-01  equity        GRPH    Graphite bio  biotechnology  healthcare   null           null
        2            140       2024-03-01  fixed_income  V       null          null           financials   199            null
        3            100       2024-03-01  null          ACME    null          null           null         null           null
        ",
    );
}

#[test]
fn positions_on_merged_master() {
    // SEED.md pastes the built master's join under `-m -p`; after the merge, security 1 on
    // 2024-03-01 has the merged `health sciences` and market cap 100, and security 2 has
    // `new_key` 456 from 2023-03-17.
    assert_table(
        merged().join_positions(&sample::positions(), Join::Inner),
        "
        security_id  quantity  date        asset_class   ticker  name          gics_industry    gics_sector  interest_rate  market_cap  new_key
        1            100       2024-02-01  equity        GRPH    Graphite bio  biotechnology    healthcare   null           null        null
        1            105       2024-02-01  equity        GRPH    Graphite bio  biotechnology    healthcare   null           null        null
        2            150       2024-02-01  fixed_income  V       null          null             financials   199            null        456
        1            120       2024-03-01  equity        GRPH    Graphite bio  health sciences  healthcare   null           100         null
        2            140       2024-03-01  fixed_income  V       null          null             financials   199            null        456
        3            100       2024-03-01  null          ACME    null          null             null         null           null        null
        ",
    );
}

#[test]
fn positions_inner_and_left_join() {
    use secmaster_core::Position;
    let positions = [
        Position::new(1, 1.0, crate::date("2023-12-31")), // before security 1 exists
        Position::new(9, 2.0, crate::date("2024-01-01")), // unknown security
        Position::new(3, 3.5, crate::date("2030-01-01")), // open last row
    ];
    let master = built();
    assert_table(
        master
            .join_positions(&positions, Join::Inner)
            .select(&["ticker"])
            .unwrap(),
        "
        security_id  quantity  date        ticker
        3            3.5       2030-01-01  ACME
        ",
    );
    assert_table(
        master
            .join_positions(&positions, Join::Left)
            .select(&["ticker"])
            .unwrap(),
        "
        security_id  quantity  date        ticker
        1            1         2023-12-31  null
        9            2         2024-01-01  null
        3            3.5       2030-01-01  ACME
        ",
    );
}

#[test]
fn as_of_and_history() {
    let master = merged();
    assert_table(
        master
            .as_of(crate::date("2024-03-21"))
            .select(&["ticker", "market_cap"])
            .unwrap(),
        "
        security_id  effective_start_date  effective_end_date  ticker  market_cap
        1            2024-03-01            2024-03-22          GRPH    100
        2            2023-03-17            2024-05-23          V       null
        3            2024-01-01            null                ACME    null
        ",
    );
    assert_table(
        master
            .as_of(crate::date("2023-06-01"))
            .select(&["ticker"])
            .unwrap(),
        "
        security_id  effective_start_date  effective_end_date  ticker
        2            2023-03-17            2024-05-23          V
        ",
    );
    assert_table(
        master
            .history(2)
            .select(&["gics_sector", "new_key"])
            .unwrap(),
        "
        security_id  effective_start_date  effective_end_date  gics_sector  new_key
        2            2023-01-01            2023-03-17          technology   null
        2            2023-03-17            2024-05-23          financials   456
        2            2024-05-23            2024-05-26          financials   456
        2            2024-05-26            null                financials   456
        ",
    );
    assert_eq!(master.history(42).num_rows(), 0);
    assert_eq!(master.history(2), master.table().where_security(2));
}
