//! Write a security master to Parquet and read it back: the same table, column for column
//! and bit for bit (DESIGN.md rule 11).
//!
//! Run with `cargo run --example parquet_round_trip`. It builds a master from a generated
//! trail of 5,000 facts about 200 securities (seed 42, so every run is the same), writes it
//! to a temporary Parquet file, reads it back, and prints the master's size, its columns
//! with their types, and whether the table read back equals the one written.
#![allow(clippy::print_stdout)] // an example prints its results

use secmaster_core::SecurityMaster;
use secmaster_generate::{Config, Trail};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let trail = Trail::new(&Config::new(200, 5_000).with_seed(42))?;
    let master = SecurityMaster::build(trail)?;
    println!(
        "built: {} securities, {} facts in force, {} rows",
        master.num_securities(),
        master.num_facts(),
        master.num_rows()
    );

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("master.parquet");
    secmaster_io::parquet::write_master(&path, &master)?;
    println!("wrote {} bytes of Parquet", std::fs::metadata(&path)?.len());

    let back = secmaster_io::parquet::read_master(&path)?;
    println!("columns:");
    for column in back.columns() {
        let ty = column.value_type().map_or("null", |t| t.name());
        println!("  {:<22} {ty}", column.name());
    }
    println!(
        "read back equals written: {}",
        if back == master && back.table() == master.table() {
            "yes"
        } else {
            "NO"
        }
    );
    Ok(())
}
