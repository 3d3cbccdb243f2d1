//! Benchmarks the as-of join of 1M positions onto a master of 1M facts — the columnar
//! matching alone (`match_positions`, what the CLI and io's `joined` writers run) and the
//! join copied into a `Table` (`join_positions`) — and the as-of snapshot of that master.

use criterion::{Criterion, criterion_group, criterion_main};
use secmaster_core::{Join, SecurityMaster};
use secmaster_generate::{Config, Trail, positions};

#[path = "scale.rs"]
mod scale;

fn join(c: &mut Criterion) {
    let facts = scale::size(1_000_000);
    let config = Config::new((facts / 100) as usize, facts).with_seed(42);
    let master =
        SecurityMaster::build(Trail::new(&config).expect("a valid config")).expect("well typed");
    let count = scale::size(1_000_000);
    let positions = positions(&config, count as usize).expect("a valid config");
    let mut group = c.benchmark_group("join");
    group.sample_size(10);
    let id = format!(
        "{}_positions_onto_{}",
        scale::label(count),
        scale::label(facts)
    );
    let ids: Vec<i64> = positions.iter().map(|p| p.security_id()).collect();
    let dates: Vec<chrono::NaiveDate> = positions.iter().map(|p| p.date()).collect();
    group.bench_function(format!("match_{id}"), |b| {
        b.iter(|| master.match_positions(&ids, &dates))
    });
    group.bench_function(format!("table_{id}"), |b| {
        b.iter(|| master.join_positions(&positions, Join::Inner))
    });
    let day = chrono::NaiveDate::from_ymd_opt(2023, 6, 30).expect("a valid date");
    group.bench_function(format!("as_of_{}", scale::label(facts)), |b| {
        b.iter(|| master.as_of(day))
    });
    group.finish();
}

criterion_group!(benches, join);
criterion_main!(benches);
