//! Benchmarks reading 1M facts from a CSV fact file (the generated trail, written once in
//! setup), typing their values per attribute.

use criterion::{Criterion, criterion_group, criterion_main};
use secmaster_io::{ReadOptions, facts};

#[path = "io_common.rs"]
mod common;

fn read_csv(c: &mut Criterion) {
    let n = common::size(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("facts.csv");
    common::write_csv(&path, &common::trail(n));
    let options = ReadOptions::default();
    let mut group = c.benchmark_group("facts_csv_read");
    group.sample_size(10);
    group.bench_function(common::label(n), |b| {
        b.iter(|| facts::read(&path, &options).expect("read").len())
    });
    group.finish();
}

criterion_group!(benches, read_csv);
criterion_main!(benches);
