//! Benchmarks `SecurityMaster::merge` of a 1,000-fact batch and of a 1% batch into a master
//! of 1M facts, next to rebuilding that master from all of its facts.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use secmaster_core::{Fact, SecurityMaster};
use secmaster_generate::{Config, Trail};

#[path = "scale.rs"]
mod scale;

fn merge(c: &mut Criterion) {
    let facts = scale::size(1_000_000);
    let all: Vec<Fact> = Trail::new(&Config::new((facts / 100) as usize, facts).with_seed(42))
        .expect("a valid config")
        .collect();
    let size = scale::label(facts);
    let mut group = c.benchmark_group("merge");
    group.sample_size(10);
    let batches = [
        (format!("1000_into_{size}"), 1_000.min(all.len() / 10)),
        (format!("1pct_into_{size}"), all.len() / 100),
    ];
    for (id, batch) in batches {
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
    group.bench_function(format!("rebuild_{size}"), |b| {
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
