//! Benchmarks the as-of join of 1M positions onto a master of 1M facts, and the as-of
//! snapshot of that master.

use criterion::{Criterion, criterion_group, criterion_main};
use secmaster_core::generate::{Config, Trail, positions};
use secmaster_core::{Join, SecurityMaster};

fn join(c: &mut Criterion) {
    let config = Config::new(10_000, 1_000_000).with_seed(42);
    let master =
        SecurityMaster::build(Trail::new(&config).expect("a valid config")).expect("well typed");
    let positions = positions(&config, 1_000_000);
    let mut group = c.benchmark_group("join");
    group.sample_size(10);
    group.bench_function("1m_positions_onto_1m", |b| {
        b.iter(|| master.join_positions(&positions, Join::Inner))
    });
    let day = chrono::NaiveDate::from_ymd_opt(2023, 6, 30).expect("a valid date");
    group.bench_function("as_of_1m", |b| b.iter(|| master.as_of(day)));
    group.finish();
}

criterion_group!(benches, join);
criterion_main!(benches);
