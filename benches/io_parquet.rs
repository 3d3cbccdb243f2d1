//! Benchmarks writing a 1M-fact master to a zstd Parquet file and reading it back, and the
//! columnar as-of join of 1M positions onto it written to Parquet (`joined`).

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

fn join(c: &mut Criterion) {
    let facts = common::size(1_000_000);
    let master = common::master(facts);
    let config =
        secmaster_generate::Config::new((facts / 100).max(1) as usize, facts).with_seed(42);
    let count = common::size(1_000_000) as usize;
    let positions = secmaster_generate::positions(&config, count).expect("a valid config");
    let columns = secmaster_io::positions::PositionColumns::from(&positions[..]);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("joined.parquet");
    let mut group = c.benchmark_group("join_write");
    group.sample_size(10);
    let id = format!(
        "{}_positions_onto_{}",
        common::label(count as u64),
        common::label(facts)
    );
    group.bench_function(id, |b| {
        b.iter(|| {
            secmaster_io::joined::join(&master, &columns, secmaster_core::Join::Inner)
                .write_as(&path, secmaster_io::Format::Parquet)
                .expect("written")
        })
    });
    group.finish();
}

criterion_group!(benches, parquet, join);
criterion_main!(benches);
