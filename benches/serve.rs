//! The server's performance (issue 17): point lookups and resolves per second with their
//! p50/p99 latency, a full snapshot streamed as Arrow, the server's resident memory against
//! the master's, and how soon a committed 1,000-fact batch is served.
//!
//! `cargo bench -p secmaster-server --bench serve` generates and ingests a trail of 1M facts
//! about 25k securities; `SECMASTER_BENCH_STORE=path/to/master.store` serves that store
//! instead, and ingests three 1,000-fact batches into it (the figures are for the
//! 10M-fact trail, see BENCHMARKS.md). Clients run
//! in this process on keep-alive connections, sharing the machine's cores with the server
//! (`SECMASTER_BENCH_CLIENTS`, default 4; `SECMASTER_BENCH_SECONDS` per phase, default 10).
//! As a test (`cargo test --benches`) it runs on a hundredth of the trail for a moment.
#![allow(clippy::print_stdout)] // a bench reports on stdout

use std::sync::Arc;
use std::time::{Duration, Instant};

use secmaster_core::{Fact, Value};
use secmaster_server::Config;
use secmaster_store::{IngestOptions, Store};

#[allow(dead_code)] // `label` names criterion benches, not this one
mod scale;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

/// Runs `clients` threads asking `url(rng)` for `seconds`; returns (requests, latencies).
fn hammer(
    clients: usize,
    run_for: Duration,
    url: Arc<dyn Fn(u64) -> String + Send + Sync>,
) -> (usize, Vec<Duration>) {
    let until = Instant::now() + run_for;
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let url = url.clone();
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                let mut state = 0x9E37_79B9_7F4A_7C15u64.wrapping_mul(c as u64 + 1);
                let mut took = Vec::new();
                while Instant::now() < until {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let started = Instant::now();
                    let response = agent.get(&url(state)).call().unwrap();
                    assert_eq!(response.status(), 200);
                    response.into_body().read_to_vec().unwrap();
                    took.push(started.elapsed());
                }
                took
            })
        })
        .collect();
    let mut all: Vec<Duration> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    all.sort();
    (all.len(), all)
}

fn report(what: &str, run_for: Duration, (n, took): (usize, Vec<Duration>)) {
    let at = |q: f64| took[((took.len() as f64 * q) as usize).min(took.len() - 1)];
    println!(
        "{what}: {n} requests in {:.1} s = {:.0} req/s; p50 {:.3} ms, p99 {:.3} ms",
        run_for.as_secs_f64(),
        n as f64 / run_for.as_secs_f64(),
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let dir = tempfile::tempdir().unwrap();
    let root = match std::env::var_os("SECMASTER_BENCH_STORE") {
        Some(path) => path.into(),
        None => {
            let root = dir.path().join("bench.store");
            let facts = scale::size(1_000_000);
            let config =
                secmaster_generate::Config::new(scale::size(25_000) as usize, facts).with_seed(42);
            let trail: Vec<Fact> = secmaster_generate::Trail::new(&config).unwrap().collect();
            Store::init(&root, &Default::default()).unwrap();
            Store::lock(&root)
                .unwrap()
                .ingest_facts(trail, "trail", &IngestOptions::default())
                .unwrap();
            root
        }
    };
    let clients = env_or("SECMASTER_BENCH_CLIENTS", 4) as usize;
    let run_for = Duration::from_secs_f64(if full {
        env_or("SECMASTER_BENCH_SECONDS", 10) as f64
    } else {
        0.2
    });

    // The master alone first, for the memory ratio (and the ids and tickers to ask for).
    let before = rss();
    let master = Store::open(&root).unwrap().master().unwrap();
    let master_bytes = rss().saturating_sub(before);
    let started = Instant::now();
    let server = secmaster_server::start(
        Config::new(&root, "127.0.0.1:0".parse().unwrap()).with_poll(Duration::from_millis(20)),
    )
    .unwrap();
    let served = rss().saturating_sub(before + master_bytes);
    println!(
        "store {}: batch {}, loaded in {:.2} s",
        root.display(),
        server.batch(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "memory: the master alone {:.0} MiB ({} rows); the server added {:.0} MiB at start: \
         {:.2}x",
        mib(master_bytes),
        master.num_rows(),
        mib(served),
        served as f64 / master_bytes.max(1) as f64
    );
    let base = format!("http://{}/api/v1", server.addr());
    let ids: Arc<Vec<i64>> = Arc::new(master.security_ids().collect());
    let day: chrono::NaiveDate = "2024-06-28".parse().unwrap();
    let snapshot = master.as_of(day);
    let at = snapshot.column_index("ticker").unwrap();
    let tickers: Arc<Vec<String>> = Arc::new(
        snapshot
            .column_values(at)
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
    );
    println!(
        "{} securities, {} rows; {} tickers on {day}",
        master.num_securities(),
        master.num_rows(),
        tickers.len()
    );
    drop((snapshot, master));

    let url = {
        let (base, ids) = (base.clone(), ids.clone());
        Arc::new(move |r: u64| {
            let id = ids[(r % ids.len() as u64) as usize];
            let month = 1 + (r >> 32) % 12;
            format!("{base}/securities/{id}?as_of=2023-{month:02}-15")
        })
    };
    report("point lookups", run_for, hammer(clients, run_for, url));
    let url = {
        let (base, tickers) = (base.clone(), tickers.clone());
        Arc::new(move |r: u64| {
            let ticker = &tickers[(r % tickers.len() as u64) as usize];
            format!("{base}/resolve?where=ticker={ticker}&on={day}")
        })
    };
    // The first resolve builds the ticker index: not part of the rate.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let started = Instant::now();
    agent
        .get(&url(0))
        .call()
        .unwrap()
        .into_body()
        .read_to_vec()
        .unwrap();
    println!(
        "resolve: the ticker index built in {:.3} s",
        started.elapsed().as_secs_f64()
    );
    report("resolve", run_for, hammer(clients, run_for, url));

    for round in 0..3 {
        let started = Instant::now();
        let arrow = agent
            .get(&format!("{base}/snapshot?as_of={day}"))
            .header("Accept", "application/vnd.apache.arrow.stream")
            .call()
            .unwrap()
            .into_body()
            .into_with_config()
            .limit(u64::MAX)
            .read_to_vec()
            .unwrap();
        println!(
            "snapshot as Arrow (round {round}): {:.1} MiB in {:.3} s",
            mib(arrow.len() as u64),
            started.elapsed().as_secs_f64()
        );
    }

    // Pick-up: a 1,000-fact batch committed by another writer, until served.
    for round in 0..3 {
        let last = server.batch();
        let facts: Vec<Fact> = (0..1000u64)
            .map(|i| {
                let id = ids[((i * 7919 + round * 31) % ids.len() as u64) as usize];
                let d = day + chrono::Days::new(round * 1000 + i);
                Fact::new(id, "bench_mark", (round * 1000 + i) as i64, d)
            })
            .collect();
        let mut writer = Store::lock(&root).unwrap();
        let options = IngestOptions::default().with_compaction(secmaster_store::Compaction::Never);
        writer.ingest_facts(facts, "bench", &options).unwrap();
        let committed = Instant::now();
        drop(writer);
        while server.batch() == last {
            std::thread::sleep(Duration::from_micros(200));
        }
        println!(
            "pick-up (round {round}): batch {} served {:.1} ms after its commit",
            server.batch(),
            committed.elapsed().as_secs_f64() * 1e3
        );
    }
    println!(
        "memory: process RSS {:.0} MiB at the end (the server, its resolve index, the \
         snapshots taken, and this process's clients)",
        mib(rss())
    );
    server.stop().unwrap();
}
