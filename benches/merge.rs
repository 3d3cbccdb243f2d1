//! Benchmarks `SecurityMaster::merge` of a 1,000-fact batch and of a 1% batch into a master
//! of 1M facts, next to rebuilding that master from all of its facts.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use secmaster_core::generate::{Config, Trail};
use secmaster_core::{Fact, SecurityMaster};

fn merge(c: &mut Criterion) {
    let all: Vec<Fact> = Trail::new(&Config::new(10_000, 1_000_000).with_seed(42))
        .expect("a valid config")
        .collect();
    let mut group = c.benchmark_group("merge");
    group.sample_size(10);
    for (id, batch) in [("1000_into_1m", 1_000), ("1pct_into_1m", 10_000)] {
        // The batch is the last facts to arrive: late, shuffled, touching many securities.
        let (base, batch) = all.split_at(all.len() - batch);
        // Each run merges into a freshly built master, as a real one would be (a clone
        // would differ: `Vec::clone` drops the spare capacity a build leaves).
        group.bench_function(id, |b| {
            b.iter_batched(
                || {
                    let master = SecurityMaster::build(base.to_vec()).expect("well typed");
                    (master, batch.to_vec())
                },
                |(mut master, batch)| {
                    master.merge(batch).expect("well typed");
                    master
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.bench_function("rebuild_1m", |b| {
        b.iter_batched(
            || all.clone(),
            |all| SecurityMaster::build(all).expect("well typed"),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, merge);
criterion_main!(benches);
