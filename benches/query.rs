//! Benchmarks the read-side queries on a 1M-fact master (issue 18): from its Parquet file,
//! the snapshot on a day and one security's periods (`secmaster_io::query`); from a store
//! of the same facts, a point lookup (`Store::master_of`) and a resolve's candidates
//! (`Store::candidates`), each next to the whole read it replaces.

use criterion::{Criterion, criterion_group, criterion_main};
use secmaster_core::{Options, Value};
use secmaster_io::query::{self, Query};
use secmaster_store::{IngestOptions, Store};

#[path = "io_common.rs"]
mod common;

fn queries(c: &mut Criterion) {
    let facts = common::size(1_000_000);
    let size = common::label(facts);
    let trail = common::trail(facts);
    let master = secmaster_core::SecurityMaster::build(trail.clone()).expect("built");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("m.parquet");
    secmaster_io::parquet::write_master(&path, &master).expect("written");
    let day = chrono::NaiveDate::from_ymd_opt(2024, 6, 30).expect("a date");
    let id = trail[0].security_id();

    let mut group = c.benchmark_group("query_file");
    group.sample_size(10);
    let snapshot = Query {
        as_of: Some(day),
        ..Query::default()
    };
    group.bench_function(format!("snapshot/{size}"), |b| {
        b.iter(|| {
            query::parquet(&path, &snapshot)
                .expect("read")
                .expect("a master")
        })
    });
    let lookup = Query {
        security: Some(id),
        ..Query::default()
    };
    group.bench_function(format!("security/{size}"), |b| {
        b.iter(|| {
            query::parquet(&path, &lookup)
                .expect("read")
                .expect("a master")
        })
    });
    group.bench_function(format!("whole_read/{size}"), |b| {
        b.iter(|| secmaster_io::parquet::read_master(&path).expect("read"))
    });
    group.finish();

    let root = dir.path().join("s.store");
    Store::init(&root, &Options::default()).expect("init");
    Store::lock(&root)
        .and_then(|mut w| w.ingest_facts(trail, "trail", &IngestOptions::default()))
        .expect("ingest");
    let store = Store::open(&root).expect("open");
    let ticker = master.history(id).column_index("ticker").map(|t| {
        let history = master.history(id);
        history.row(0)[t].clone()
    });
    let mut group = c.benchmark_group("query_store");
    group.sample_size(10);
    group.bench_function(format!("security/{size}"), |b| {
        b.iter(|| store.master_of(&[id]).expect("read").history(id))
    });
    if let Some(ticker @ Value::Str(_)) = ticker {
        group.bench_function(format!("resolve/{size}"), |b| {
            b.iter(|| {
                let ids = store.candidates("ticker", &ticker).expect("read");
                store.master_of(&ids).expect("read").as_of(day)
            })
        });
    }
    group.bench_function(format!("whole_master/{size}"), |b| {
        b.iter(|| store.master().expect("read"))
    });
    group.finish();
}

criterion_group!(benches, queries);
criterion_main!(benches);
