//! Benchmarks a 1M-fact master to Arrow record batches (streamed from its cursor) and one
//! record batch back to a master.

use criterion::{Criterion, criterion_group, criterion_main};
use secmaster_io::arrow;

#[path = "io_common.rs"]
mod common;

fn record_batches(c: &mut Criterion) {
    let facts = common::size(1_000_000);
    let master = common::master(facts);
    let mut group = c.benchmark_group("arrow_write");
    group.sample_size(10);
    group.bench_function(common::label(facts), |b| {
        b.iter(|| {
            arrow::master_batches(&master, arrow::DEFAULT_BATCH_ROWS)
                .map(|batch| batch.num_rows())
                .sum::<usize>()
        })
    });
    group.finish();

    let batch = arrow::master_to_record_batch(&master);
    let mut group = c.benchmark_group("arrow_read");
    group.sample_size(10);
    group.bench_function(common::label(facts), |b| {
        b.iter(|| arrow::master_from_record_batch(&batch).expect("read"))
    });
    group.finish();
}

criterion_group!(benches, record_batches);
criterion_main!(benches);
