//! A bounded load test on loopback: clients ask point lookups, resolves and snapshots while
//! a writer commits batches. No response may fail or be torn, and each response's rows must
//! equal the master as known at the batch its header names (`secmaster build STORE
//! --as-known-at BATCH` for the same query).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use secmaster_core::{Fact, SecurityMaster, Table, Value};
use secmaster_server::Config;
use secmaster_store::{IngestOptions, Store};
use serde_json::Value as Json;

use crate::common::{client, get, rows, start};

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// What a client asked, and what it got.
struct Seen {
    query: Query,
    batch: u64,
    rows: Json,
}

#[derive(Clone)]
enum Query {
    Security {
        id: i64,
        as_of: chrono::NaiveDate,
    },
    Resolve {
        ticker: String,
        on: chrono::NaiveDate,
    },
    Snapshot {
        as_of: chrono::NaiveDate,
    },
}

impl Query {
    fn url(&self, base: &str) -> String {
        match self {
            Query::Security { id, as_of } => format!("{base}/securities/{id}?as_of={as_of}"),
            Query::Resolve { ticker, on } => {
                format!("{base}/resolve?where=ticker={ticker}&on={on}")
            }
            Query::Snapshot { as_of } => format!("{base}/snapshot?as_of={as_of}"),
        }
    }

    /// The rows the master as known at a batch gives.
    fn expected(&self, master: &SecurityMaster) -> Table {
        match self {
            Query::Security { id, as_of } => master.history(*id).filter(|row| {
                matches!(row[1], Value::Date(s) if s <= *as_of)
                    && !matches!(row[2], Value::Date(e) if e <= *as_of)
            }),
            Query::Resolve { ticker, on } => {
                let table = master.as_of(*on);
                let at = table.column_index("ticker").unwrap();
                table.filter(|row| row[at] == Value::from(ticker.as_str()))
            }
            Query::Snapshot { as_of } => master.as_of(*as_of),
        }
    }
}

#[test]
fn under_load_with_commits_every_response_is_one_whole_batch() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("load.store");
    Store::init(&root, &Default::default()).unwrap();
    let config = secmaster_generate::Config::new(300, 6_000).with_seed(17);
    let trail: Vec<Fact> = secmaster_generate::Trail::new(&config).unwrap().collect();
    let options = IngestOptions::default();
    Store::lock(&root)
        .unwrap()
        .ingest_facts(trail, "trail", &options)
        .unwrap();
    let first = Store::open(&root).unwrap().master().unwrap();
    let ids: Vec<i64> = first.security_ids().collect();
    let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    let days = [
        day("2021-06-30"),
        day("2023-01-02"),
        day("2024-12-31"),
        day("2025-06-01"),
    ];
    let snapshot = first.as_of(days[2]);
    let ticker_at = snapshot.column_index("ticker").unwrap();
    let tickers: Vec<String> = snapshot
        .column_values(ticker_at)
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    assert!(tickers.len() > 50);

    let server = start(Config::new(&root, "127.0.0.1:0".parse().unwrap()));
    let base = format!("http://{}/api/v1", server.addr());
    const CLIENTS: usize = 4;
    const BATCHES: usize = 10;
    let writing = Arc::new(AtomicBool::new(true));
    let go = Arc::new(Barrier::new(CLIENTS + 2));
    let deadline = Instant::now() + Duration::from_secs(60);

    let writer = {
        let (root, ids, go, writing) = (root.clone(), ids.clone(), go.clone(), writing.clone());
        std::thread::spawn(move || {
            go.wait();
            let mut rng = Rng(99);
            for n in 0..BATCHES {
                std::thread::sleep(Duration::from_millis(40));
                // Renames and market caps, some back-dated: corrections of the past.
                let facts: Vec<Fact> = (0..100)
                    .map(|i| {
                        let id = ids[rng.below(ids.len())];
                        let date = days[rng.below(days.len())] - chrono::Days::new(i);
                        if i % 4 == 0 {
                            Fact::new(id, "ticker", format!("L{n}X{i}"), date)
                        } else {
                            Fact::new(id, "market_cap", (rng.below(1_000_000) as f64) + 0.5, date)
                        }
                    })
                    .collect();
                Store::lock_waiting(&root)
                    .unwrap()
                    .ingest_facts(facts, &format!("load-{n}"), &IngestOptions::default())
                    .unwrap();
            }
            writing.store(false, Ordering::Relaxed);
        })
    };

    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (base, ids, tickers, go, writing) = (
                base.clone(),
                ids.clone(),
                tickers.clone(),
                go.clone(),
                writing.clone(),
            );
            std::thread::spawn(move || {
                let agent = client();
                let mut rng = Rng(1 + c as u64);
                let mut seen = Vec::new();
                go.wait();
                // Until the writer is done (and a few more), at most 2,000 requests each.
                let mut after = 0;
                while seen.len() < 2_000 && after < 50 && Instant::now() < deadline {
                    if !writing.load(Ordering::Relaxed) {
                        after += 1;
                    }
                    let on = days[rng.below(days.len())];
                    let query = match rng.below(20) {
                        0 => Query::Snapshot { as_of: on },
                        1..=5 => Query::Resolve {
                            ticker: tickers[rng.below(tickers.len())].clone(),
                            on,
                        },
                        _ => Query::Security {
                            id: ids[rng.below(ids.len())],
                            as_of: on,
                        },
                    };
                    let got = get(&agent, &query.url(&base));
                    assert_eq!(got.status, 200, "{}: {}", query.url(&base), got.text());
                    let body = got.json(); // a torn body does not parse
                    let batch = got.batch.expect("every response names its batch");
                    assert_eq!(body["batch"].as_u64(), Some(batch));
                    seen.push(Seen {
                        query,
                        batch,
                        rows: body["rows"].clone(),
                    });
                }
                seen
            })
        })
        .collect();
    go.wait();
    writer.join().unwrap();
    let seen: Vec<Vec<Seen>> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    server.stop().unwrap();

    let store = Store::open(&root).unwrap();
    assert_eq!(store.last_batch(), 1 + BATCHES as u64);
    let mut masters: HashMap<u64, SecurityMaster> = HashMap::new();
    let mut batches_seen = std::collections::BTreeSet::new();
    let mut checked = 0;
    for per_client in &seen {
        // A client never goes back to an older batch.
        assert!(per_client.windows(2).all(|w| w[0].batch <= w[1].batch));
        for s in per_client {
            let master = masters
                .entry(s.batch)
                .or_insert_with(|| store.master_after(s.batch).unwrap());
            assert_eq!(
                s.rows,
                rows(&s.query.expected(master)),
                "{} at batch {}",
                s.query.url(""),
                s.batch
            );
            batches_seen.insert(s.batch);
            checked += 1;
        }
    }
    assert!(checked >= CLIENTS * 50, "only {checked} responses");
    assert_eq!(batches_seen.last(), Some(&(1 + BATCHES as u64)));
    assert!(
        batches_seen.len() >= 3,
        "the load saw commits land: batches {batches_seen:?}"
    );
}
