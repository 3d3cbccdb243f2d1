//! Join positions onto a security master as of their dates (DESIGN.md rule 10), and take a
//! point-in-time snapshot.
//!
//! Run with `cargo run --example positions_as_of`. Positions dated 2024-02-01 see security 1
//! as `GRPH` (it became `LENZ` on 2024-03-22); a position on a date before its security's
//! first row is dropped by the inner join and kept, with nulls, by the left join; the
//! snapshot on 2024-04-01 has one row per security valid that day.
#![allow(clippy::print_stdout)] // an example prints its results

use chrono::NaiveDate;
use secmaster_core::{Join, Position, SecurityMaster, sample};

fn main() -> Result<(), secmaster_core::Error> {
    let master = SecurityMaster::build(sample::trail())?;
    let day = |s: &str| s.parse::<NaiveDate>().expect("a valid date");

    let mut positions = sample::positions();
    // Security 1's first row starts 2024-01-01: this holding predates it.
    positions.push(Position::new(1, 50.0, day("2023-12-29")));

    let inner = master.join_positions(&positions, Join::Inner);
    println!(
        "inner join: {} of {} positions",
        inner.num_rows(),
        positions.len()
    );
    println!("{}", inner.select(&["ticker", "name"])?);

    let left = master.join_positions(&positions, Join::Left);
    println!(
        "left join: {} of {} positions",
        left.num_rows(),
        positions.len()
    );
    println!("{}", left.select(&["ticker"])?);

    let snapshot = master.as_of(day("2024-04-01"));
    println!("as of 2024-04-01: {} securities", snapshot.num_rows());
    print!("{}", snapshot.select(&["ticker", "market_cap"])?);
    Ok(())
}
