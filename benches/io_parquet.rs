//! Benchmarks writing a 1M-fact master to a zstd Parquet file and reading it back.

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "io_common.rs"]
mod common;

fn parquet(c: &mut Criterion) {
    let facts = common::size(1_000_000);
    let master = common::master(facts);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("master.parquet");
    let mut group = c.benchmark_group("parquet_write");
    group.sample_size(10);
    group.bench_function(common::label(facts), |b| {
        b.iter(|| secmaster_io::parquet::write_master(&path, &master).expect("written"))
    });
    group.finish();

    secmaster_io::parquet::write_master(&path, &master).expect("written");
    let mut group = c.benchmark_group("parquet_read");
    group.sample_size(10);
    group.bench_function(common::label(facts), |b| {
        b.iter(|| secmaster_io::parquet::read_master(&path).expect("read"))
    });
    group.finish();
}

criterion_group!(benches, parquet);
criterion_main!(benches);
