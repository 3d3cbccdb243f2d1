//! The prototype's sample data (SEED.md): its audit trail, its update batch and positions.
//!
//! Used by the tests, the examples and the command line's demo.

use chrono::NaiveDate;

use crate::{Fact, Position, Value};

fn date(m: u32, d: u32, y: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2000 + y, m, d).expect("sample dates are valid")
}

fn fact(id: i64, attribute: &str, value: impl Into<Value>, (m, d, y): (u32, u32, i32)) -> Fact {
    Fact::new(id, attribute, value, date(m, d, y))
}

/// The prototype's audit trail, in its arrival order (15 facts about securities 1–3).
pub fn trail() -> Vec<Fact> {
    vec![
        fact(1, "ticker", "LENZ", (3, 22, 24)),
        fact(3, "ticker", "ACME", (1, 1, 24)),
        fact(2, "market_cap", 549_000, (5, 23, 24)),
        fact(1, "gics_sector", "healthcare", (1, 1, 24)),
        fact(1, "ticker", "GRPH", (1, 1, 24)),
        fact(1, "name", "Lenz Therapeutics, Inc", (3, 22, 24)),
        fact(2, "ticker", "V", (1, 1, 23)),
        fact(2, "asset_class", "fixed_income", (1, 1, 23)),
        fact(2, "interest_rate", 199, (1, 1, 23)),
        fact(1, "gics_industry", "biotechnology", (1, 1, 24)),
        fact(2, "gics_sector", "technology", (1, 1, 23)),
        fact(1, "asset_class", "equity", (1, 1, 24)),
        fact(1, "name", "Graphite bio", (1, 1, 24)),
        fact(2, "gics_sector", "financials", (3, 17, 23)),
        fact(1, "market_cap", 400, (5, 23, 24)),
    ]
}

/// The prototype's second batch: a split, a same-date merge, later rows and a new column.
pub fn update() -> Vec<Fact> {
    vec![
        fact(1, "market_cap", 100, (3, 1, 24)),
        fact(1, "gics_industry", "health sciences", (3, 1, 24)),
        fact(1, "market_cap", 90_000, (5, 26, 24)),
        fact(2, "market_cap", 548_000, (5, 26, 24)),
        fact(1, "new_key", 123, (5, 26, 24)),
        fact(2, "new_key", 456, (3, 17, 23)),
    ]
}

/// The prototype's positions, including the one on security 3 that its pasted output shows.
pub fn positions() -> Vec<Position> {
    [
        (1, 100, (2, 1, 24)),
        (1, 105, (2, 1, 24)),
        (2, 150, (2, 1, 24)),
        (1, 120, (3, 1, 24)),
        (2, 140, (3, 1, 24)),
        (3, 100, (3, 1, 24)),
    ]
    .into_iter()
    .map(|(id, q, (m, d, y))| Position::new(id, q, date(m, d, y)))
    .collect()
}
