//! Keep a security master in a store: ingest the prototype's trail, its update and a late
//! correction as three batches, then ask what the table said after batch 2, and which batch
//! set each value.
//!
//! Run with `cargo run -p secmaster-store --example store_as_known_at`. It prints security
//! 1's market cap now (110 from 2024-03-01: the correction) and as known after batch 2
//! (100), the batch behind each market-cap value, and that the store as known after each
//! batch equals a build of exactly the batches up to it.
#![allow(clippy::print_stdout)] // an example prints its results

use secmaster_core::{Fact, SecurityMaster, Table, sample};
use secmaster_store::{IngestOptions, Store};

fn market_cap(table: &Table) -> Result<Table, secmaster_core::Error> {
    table.where_security(1).select(&["market_cap"])
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("master.store");
    Store::init(&root, &Default::default())?;

    let late = vec![Fact::new(1, "market_cap", 110, "2024-03-01".parse()?)];
    let batches = [sample::trail(), sample::update(), late];
    let mut writer = Store::lock(&root)?; // the one writer, until dropped
    for (name, batch) in ["trail", "update", "late"].iter().zip(&batches) {
        let report = writer.ingest_facts(batch.clone(), name, &IngestOptions::default())?;
        let (facts, securities) = (report.facts, report.securities);
        println!(
            "batch {}: {facts} {}, {securities} {}, {} periods changed",
            report.batch,
            if facts == 1 { "fact" } else { "facts" },
            if securities == 1 {
                "security"
            } else {
                "securities"
            },
            report.periods_changed
        );
    }

    drop(writer);

    let store = Store::open(&root)?; // readers take no lock
    println!("\nnow:\n{}", market_cap(&store.master()?.table())?);
    println!(
        "as known after batch 2:\n{}",
        market_cap(&store.master_after(2)?.table())?
    );

    let lineage = store.lineage(1)?;
    let caps = lineage.filter(|row| row[2] == "market_cap".into());
    println!(
        "who set security 1's market cap:\n{}",
        caps.select(&["value", "set_on", "batch"])?
    );

    let mut prefix = Vec::new();
    let mut all_equal = true;
    for (k, batch) in batches.iter().enumerate() {
        prefix.extend(batch.iter().cloned());
        all_equal &= store.master_after(k as u64 + 1)? == SecurityMaster::build(prefix.clone())?;
    }
    println!(
        "as known after each batch equals a build of its prefix: {}",
        if all_equal { "yes" } else { "no" }
    );
    Ok(())
}
