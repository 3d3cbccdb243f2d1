//! Benchmarks a store's ingest of a 1,000-fact batch into a store of 1M facts, next to a
//! full build of the same facts to a Parquet table (what `secmaster build -o x.parquet`
//! does once its facts are read). Issue 6 asks the ingest to cost under 2% of the build.

use std::path::Path;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use secmaster_core::{Options, SecurityMaster};
use secmaster_store::{IngestOptions, Store};

#[path = "io_common.rs"]
mod common;

/// Copies the store at `from` to `to` (a store is a directory of plain files).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn store(c: &mut Criterion) {
    let facts = common::size(1_000_000);
    let all = common::trail(facts);
    let size = common::label(facts);
    // The batch is the last facts to arrive: late, shuffled, touching many securities.
    let (base, batch) = all.split_at(all.len() - 1_000.min(all.len() / 10));
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("base.store");
    Store::init(&root, &Options::default()).expect("init");
    let options = IngestOptions::default();
    Store::lock(&root)
        .and_then(|mut writer| writer.ingest_facts(base.to_vec(), "base", &options))
        .expect("ingest");

    let mut group = c.benchmark_group("store");
    group.sample_size(10);
    // Each run ingests into a fresh copy of the store: one base file, no deltas yet.
    group.bench_function(format!("ingest_{}_into_{size}", batch.len()), |b| {
        b.iter_batched(
            || {
                let run = tempfile::tempdir_in(dir.path()).expect("temp dir");
                copy_dir(&root, &run.path().join("s"));
                (run, batch.to_vec())
            },
            |(run, batch)| {
                let report = Store::lock(run.path().join("s"))
                    .and_then(|mut writer| writer.ingest_facts(batch, "batch", &options))
                    .expect("ingest");
                (run, report)
            },
            BatchSize::PerIteration,
        )
    });
    let table = dir.path().join("build.parquet");
    group.bench_function(format!("build_{size}"), |b| {
        b.iter_batched(
            || all.clone(),
            |all| {
                let master = SecurityMaster::build(all).expect("well typed");
                secmaster_io::parquet::write_master(&table, &master).expect("written");
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, store);
criterion_main!(benches);
