//! Benchmarks `SecurityMaster::build` on generated trails of 100k and 1M facts, and a full
//! pass over the derived table.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use secmaster_core::SecurityMaster;
use secmaster_generate::{Config, Trail};

#[path = "scale.rs"]
mod scale;

fn trail(facts: u64) -> Vec<secmaster_core::Fact> {
    Trail::new(&Config::new((facts / 100).max(1) as usize, facts).with_seed(42))
        .expect("a valid config")
        .collect()
}

fn build(c: &mut Criterion) {
    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    for facts in [scale::size(100_000), scale::size(1_000_000)] {
        let trail = trail(facts);
        group.bench_function(scale::label(facts), |b| {
            b.iter_batched(
                || trail.clone(),
                |trail| SecurityMaster::build(trail).expect("generated trails are well typed"),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();

    let facts = scale::size(1_000_000);
    let master = SecurityMaster::build(trail(facts)).expect("well typed");
    c.benchmark_group("scan")
        .sample_size(10)
        .bench_function(scale::label(facts), |b| {
            b.iter(|| {
                let mut cursor = master.cursor();
                let mut cells = 0usize;
                while let Some(row) = cursor.next_row() {
                    cells += row.attributes().filter(|v| !v.is_null()).count();
                }
                cells
            })
        });
}

criterion_group!(benches, build);
criterion_main!(benches);
