//! Build a security master from the prototype's sample trail, merge a later batch into it,
//! and check DESIGN.md rule 6: merging the batch gives exactly the master built from the
//! whole trail at once.
//!
//! Run with `cargo run --example build_and_merge`. It prints the master before and after
//! the merge; after it, security 1 has a new row starting 2024-03-01 (the update's split),
//! `market_cap` 100 from then on until the 400 of 2024-05-23, and a `new_key` column that is
//! null before the dates the update sets it. The last line says the two ways agree.
#![allow(clippy::print_stdout)] // an example prints its results

use secmaster_core::{SecurityMaster, sample};

fn main() -> Result<(), secmaster_core::Error> {
    // Facts in arrival order: the prototype's shuffled audit trail.
    let mut master = SecurityMaster::build(sample::trail())?;
    println!(
        "built: {} securities, {} rows",
        master.num_securities(),
        master.num_rows()
    );
    println!("{}", master.table());

    // A later batch: it arrives after everything already in the master (rule 5).
    master.merge(sample::update())?;
    println!(
        "merged: {} securities, {} rows",
        master.num_securities(),
        master.num_rows()
    );
    println!("{}", master.table());

    // Rule 6: merge(build(A), B) == build(A ++ B).
    let all = sample::trail().into_iter().chain(sample::update());
    let rebuilt = SecurityMaster::build(all)?;
    println!(
        "merge equals rebuild: {}",
        if rebuilt == master { "yes" } else { "NO" }
    );
    Ok(())
}
