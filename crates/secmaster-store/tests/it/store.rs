//! The persistent store: ingest, as-known-at, lineage, refusals and corruption.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use secmaster_core::{Fact, Options, SecurityMaster, Value, sample, strategy};
use secmaster_store::{Compaction, IngestOptions, IngestReport, Store};

fn d(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

/// Every file under `root`, by relative path, with its bytes.
pub(crate) fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for dir in ["", "log", "state", "table"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            if entry.path().is_file() {
                let name = format!("{dir}/{}", entry.file_name().to_string_lossy());
                out.insert(name, std::fs::read(entry.path()).unwrap());
            }
        }
    }
    out
}

/// The master of the sample trail and its update, one after the other.
pub(crate) fn trail_and_update() -> SecurityMaster {
    let all: Vec<Fact> = sample::trail()
        .into_iter()
        .chain(sample::update())
        .collect();
    SecurityMaster::build(all).unwrap()
}

pub(crate) fn ingest(root: &Path, facts: Vec<Fact>) -> secmaster_store::Result<IngestReport> {
    Store::lock(root)?.ingest_facts(facts, "test", &IngestOptions::default())
}

#[test]
fn the_sample_trail_and_update_as_two_batches() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    Store::init(&root, &Options::default()).unwrap();
    let first = ingest(&root, sample::trail()).unwrap();
    assert_eq!(
        (first.batch, first.facts),
        (1, sample::trail().len() as u64)
    );
    assert_eq!(first.new_securities, first.securities);
    let second = ingest(&root, sample::update()).unwrap();
    assert_eq!(second.batch, 2);

    let store = Store::open(&root).unwrap();
    let built = trail_and_update();
    assert_eq!(store.master().unwrap(), built);
    assert_eq!(store.table().unwrap(), built.table());
    assert_eq!(
        store.master_after(1).unwrap(),
        SecurityMaster::build(sample::trail()).unwrap()
    );
    assert_eq!(store.master_after(0).unwrap().num_rows(), 0);
    assert!(store.master_after(3).is_err());
    let batches = store.batches();
    assert_eq!(batches.len(), 2);
    assert!(batches[0].committed_at() <= batches[1].committed_at());
    assert_eq!(store.batch_at(batches[1].committed_at()), 2);
    assert_eq!(
        store.batch_at(batches[0].committed_at() - chrono::Duration::seconds(1)),
        0
    );
    assert_eq!(
        (batches[1].number(), batches[1].facts(), batches[1].path()),
        (2, sample::update().len() as u64, "log/000002.parquet")
    );
    assert_eq!(batches[1].sources(), ["test"]);
    assert_eq!(batches[1].checksum().xxh3().len(), 16);
}

#[test]
fn lineage_names_the_batch_that_set_each_value() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("s");
    Store::init(&root, &Options::default()).unwrap();
    ingest(
        &root,
        vec![
            Fact::new(1, "ticker", "GRPH", d("2024-01-01")),
            Fact::new(1, "name", "Graphite", d("2024-01-01")),
        ],
    )
    .unwrap();
    // A late correction of the ticker and a rename.
    ingest(
        &root,
        vec![
            Fact::new(1, "ticker", "GRPX", d("2024-01-01")),
            Fact::new(1, "name", "Lenz", d("2024-03-22")),
        ],
    )
    .unwrap();
    let lineage = Store::open(&root).unwrap().lineage(1).unwrap();
    let text: Vec<String> = lineage
        .rows()
        .map(|r| r.iter().map(Value::to_string).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        text,
        [
            "2024-01-01 2024-03-22 ticker GRPX str 2024-01-01 2",
            "2024-01-01 2024-03-22 name Graphite str 2024-01-01 1",
            "2024-03-22 null ticker GRPX str 2024-01-01 2",
            "2024-03-22 null name Lenz str 2024-03-22 2",
        ]
    );
}

#[test]
fn a_dry_run_reports_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("s");
    Store::init(&root, &Options::default()).unwrap();
    ingest(&root, sample::trail()).unwrap();
    let before = snapshot(&root);
    let late = vec![
        Fact::new(1, "ticker", "OLD", d("2023-06-01")), // before the first period
        Fact::new(1, "exchange", "XNAS", d("2024-03-25")), // splits a period, new column
        Fact::new(99, "ticker", "NEW", d("2024-01-01")),
    ];
    let options = IngestOptions::default().with_dry_run(true);
    let mut writer = Store::lock(&root).unwrap();
    let report = writer.ingest_facts(late.clone(), "late", &options).unwrap();
    drop(writer);
    assert_eq!(snapshot(&root), before);
    assert!(report.dry_run);
    assert_eq!((report.securities, report.new_securities), (2, 1));
    assert_eq!(report.new_columns, ["exchange"]);
    assert_eq!((report.periods_added, report.periods_split), (2, 1));
    let real = ingest(&root, late).unwrap();
    assert_eq!(
        (real.periods_added, real.periods_split, real.periods_changed),
        (
            report.periods_added,
            report.periods_split,
            report.periods_changed
        )
    );
    assert!(!real.dry_run);
    // A late correction of one ticker changes the periods it is carried into, no others.
    let fix = ingest(&root, vec![Fact::new(1, "ticker", "LNZ", d("2024-03-22"))]).unwrap();
    assert_eq!(
        (fix.periods_added, fix.periods_split, fix.periods_changed),
        (0, 0, 3)
    );
}

#[test]
fn a_refused_batch_leaves_every_byte_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("s");
    Store::init(&root, &Options::default()).unwrap();
    ingest(&root, sample::trail()).unwrap();
    let before = snapshot(&root);
    // `ticker` holds strings: an int is a type conflict with the store (rule 8).
    let err = ingest(
        &root,
        vec![
            Fact::new(7, "ticker", "OK", d("2024-01-01")),
            Fact::new(7, "ticker", 5, d("2024-02-01")),
        ],
    )
    .unwrap_err();
    let chain = format!("{err}: {}", std::error::Error::source(&err).unwrap());
    assert!(
        chain.contains("unchanged") && chain.contains("ticker"),
        "{chain}"
    );
    assert_eq!(snapshot(&root), before);
    // An empty attribute, and a malformed file, likewise.
    assert!(ingest(&root, vec![Fact::new(7, "", 1, d("2024-01-01"))]).is_err());
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "security_id,attribute,value,effective_date\n1,x,1,notadate\n",
    )
    .unwrap();
    let err = Store::lock(&root)
        .unwrap()
        .ingest(&[bad], &IngestOptions::default())
        .unwrap_err();
    assert!(err.to_string().contains("bad.csv"), "{err}");
    assert_eq!(snapshot(&root), before);
}

#[test]
fn a_corrupt_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("s");
    Store::init(&root, &Options::default()).unwrap();
    ingest(&root, sample::trail()).unwrap();
    let store = Store::open(&root).unwrap();
    for entry in store.files().map(str::to_string).collect::<Vec<_>>() {
        let path = root.join(&entry);
        let good = std::fs::read(&path).unwrap();
        let mut bad = good.clone();
        let middle = bad.len() / 2;
        bad[middle] ^= 1;
        std::fs::write(&path, &bad).unwrap();
        let err = if entry.starts_with("state") {
            store.master().unwrap_err()
        } else {
            store.table().unwrap_err()
        };
        assert!(
            err.to_string().contains(&entry) && err.to_string().contains("corrupt"),
            "{err}"
        );
        std::fs::write(&path, &good).unwrap();
    }
    assert!(store.master_after(1).is_ok());
}

#[test]
fn a_second_writer_is_refused_while_the_first_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("s");
    Store::init(&root, &Options::default()).unwrap();
    let held = std::fs::OpenOptions::new()
        .write(true)
        .open(root.join("writer.lock"))
        .unwrap();
    held.lock().unwrap();
    let err = ingest(&root, sample::trail()).unwrap_err();
    assert!(err.to_string().contains("locked"), "{err}");
    held.unlock().unwrap();
    ingest(&root, sample::trail()).unwrap();
}

/// A writer holds the lock until dropped, and reads its own commits without reopening.
#[test]
fn one_writer_at_a_time_and_it_reads_what_it_committed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("s");
    Store::init(&root, &Options::default()).unwrap();
    let mut writer = Store::lock(&root).unwrap();
    let err = Store::lock(&root).unwrap_err();
    assert!(
        matches!(err, secmaster_store::Error::Locked { .. }),
        "{err}"
    );
    let options = IngestOptions::default().with_compaction(Compaction::Never);
    writer
        .ingest_facts(sample::trail(), "trail", &options)
        .unwrap();
    writer
        .ingest_facts(sample::update(), "update", &options)
        .unwrap();
    assert_eq!(writer.store().last_batch(), 2);
    assert_eq!(writer.store().files().count(), 2);
    writer.compact().unwrap();
    assert_eq!(writer.store().files().count(), 2); // a state file and one table file
    let built = trail_and_update();
    assert_eq!(writer.store().master().unwrap(), built);
    assert_eq!(Store::open(&root).unwrap().table().unwrap(), built.table());
    drop(writer);
    Store::lock(&root).unwrap();
}

#[test]
fn init_refuses_a_directory_with_files_and_open_refuses_a_non_store() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x"), "").unwrap();
    assert!(Store::init(dir.path(), &Options::default()).is_err());
    let err = Store::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("not a secmaster store"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// For every prefix of batches, the store as known after it equals a build of exactly
    /// those batches, and so does the current state (rule 6 across ingests, compactions
    /// included): whether each ingest compacts or leaves its facts in the log and its rows
    /// in a table delta, and whether `compact` runs between them.
    #[test]
    fn as_known_at_every_batch_equals_a_build_of_its_prefix(
        trail in strategy::wide_trail(40),
        cuts in proptest::collection::vec(0usize..40, 0..5),
        policies in proptest::collection::vec(
            prop_oneof![Just(None), Just(Some(false)), Just(Some(true))], 5),
        compact_after in proptest::option::of(0usize..5),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("s");
        Store::init(&root, &Options::default()).unwrap();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(trail.len())).collect();
        cuts.push(trail.len());
        cuts.sort_unstable();
        let mut start = 0;
        let mut prefixes: Vec<Vec<Fact>> = Vec::new();
        let mut batches: Vec<Vec<Fact>> = Vec::new(); // the committed ones
        for (i, &end) in cuts.iter().enumerate() {
            let batch = trail[start..end].to_vec();
            start = end;
            let mut prefix = prefixes.last().cloned().unwrap_or_default();
            prefix.extend(batch.clone());
            let expected = SecurityMaster::build(prefix.clone());
            let compaction = match policies[i] {
                None => Compaction::Auto,
                Some(true) => Compaction::Always,
                Some(false) => Compaction::Never,
            };
            // Cuts may repeat a batch (two empty ones): a repeat is not the point here.
            let options = IngestOptions::default()
                .with_compaction(compaction)
                .with_allow_duplicate(true);
            let committed = batch.clone();
            match Store::lock(&root).unwrap().ingest_facts(batch, "test", &options) {
                Ok(_) => {
                    let expected = expected.unwrap();
                    let store = Store::open(&root).unwrap();
                    prop_assert_eq!(store.master().unwrap(), expected.clone());
                    prop_assert_eq!(store.table().unwrap(), expected.table());
                    // A point lookup reads a few pages: the same periods.
                    let ids: Vec<i64> = prefix.iter().map(Fact::security_id).chain([7]).collect();
                    for &id in &ids {
                        prop_assert_eq!(store.master_of(&[id]).unwrap().history(id), expected.history(id));
                    }
                    let some = store.master_of(&ids[..ids.len() / 2]).unwrap();
                    for &id in &ids[..ids.len() / 2] {
                        prop_assert_eq!(some.history(id), expected.history(id));
                    }
                    prefixes.push(prefix);
                    batches.push(committed);
                }
                // A refused batch is refused by the build of the prefix too; the trail
                // goes on without it.
                Err(_) => prop_assert!(expected.is_err()),
            }
            if compact_after == Some(i) {
                Store::lock(&root).unwrap().compact().unwrap();
            }
        }
        let store = Store::open(&root).unwrap();
        for (k, prefix) in prefixes.iter().enumerate() {
            prop_assert_eq!(
                store.master_after(k as u64 + 1).unwrap(),
                SecurityMaster::build(prefix.clone()).unwrap()
            );
        }
        // After each batch, each value's batch as `lineage` names it is the batch of the
        // last fact to arrive with the key that set it (rule 5), whichever files hold it.
        let mut last_batch: BTreeMap<(i64, String, chrono::NaiveDate), i64> = BTreeMap::new();
        for (k, batch) in batches.iter().enumerate() {
            for f in batch {
                last_batch.insert(
                    (f.security_id(), f.attribute().to_string(), f.effective_date()),
                    k as i64 + 1,
                );
            }
            let ids: std::collections::BTreeSet<i64> = last_batch.keys().map(|k| k.0).collect();
            for id in ids {
                let lineage = store.lineage_after(id, k as u64 + 1).unwrap();
                // Every fact in force sets (or retracts) some cell.
                prop_assert!(!lineage.is_empty());
                for row in lineage.rows() {
                    let (Value::Str(attribute), Value::Date(set_on), Value::Int(batch)) =
                        (&row[2], &row[5], &row[6])
                    else {
                        panic!("a lineage row: {row:?}");
                    };
                    prop_assert_eq!(
                        Some(batch),
                        last_batch.get(&(id, attribute.to_string(), *set_on))
                    );
                }
            }
        }
        prop_assert!(store.lineage_after(1, batches.len() as u64 + 1).is_err());
    }
}

#[test]
fn the_files_of_one_batch_are_typed_as_a_build_types_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("s");
    Store::init(&root, &Options::default()).unwrap();
    let header = "security_id,attribute,value,effective_date\n";
    let first = dir.path().join("a.csv");
    let second = dir.path().join("b.csv");
    std::fs::write(&first, format!("{header}1,code,abc,2024-01-01\n")).unwrap();
    // Alone, `123` would be an int; after `a.csv` made `code` a string column, it is text.
    std::fs::write(&second, format!("{header}1,code,123,2024-02-01\n")).unwrap();
    Store::lock(&root)
        .unwrap()
        .ingest(&[first, second], &IngestOptions::default())
        .unwrap();
    let master = Store::open(&root).unwrap().master().unwrap();
    let codes: Vec<Value> = master.table().column_values(3).cloned().collect();
    assert_eq!(codes, [Value::from("abc"), Value::from("123")]);
}

#[test]
fn verify_checks_every_listed_file_and_leftovers_go() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("s");
    Store::init(&root, &Options::default()).unwrap();
    ingest(&root, sample::trail()).unwrap();
    ingest(&root, sample::update()).unwrap();
    let store = Store::open(&root).unwrap();
    let verified = store.verify().unwrap();
    let listed = store.files().count() + store.batches().len();
    assert_eq!(verified.files(), listed);
    assert!(verified.bytes() > 0);
    let table = root.join(store.files().last().unwrap());
    let good = std::fs::read(&table).unwrap();
    let mut bad = good.clone();
    bad[10] ^= 0xff;
    std::fs::write(&table, &bad).unwrap();
    let err = store.verify().unwrap_err().to_string();
    assert!(err.contains("corrupt") && err.contains("table/"), "{err}");
    std::fs::write(&table, &good).unwrap();

    // A manifest's temporary file left by a crash is removed by the next writer.
    let stray = root.join(".secmaster-abc.tmp");
    std::fs::write(&stray, "half a manifest").unwrap();
    ingest(&root, vec![Fact::new(9, "ticker", "NEW", d("2024-01-01"))]).unwrap();
    assert!(!stray.exists());
}

/// A store of manifest version 1 (state files of the securities each commit touched) reads
/// as version 2 from its log, and its next writer upgrades it.
#[test]
fn a_version_1_store_reads_and_upgrades() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("s");
    Store::init(&root, &Options::default()).unwrap();
    let compact = IngestOptions::default().with_compaction(Compaction::Always);
    let mut writer = Store::lock(&root).unwrap();
    writer
        .ingest_facts(sample::trail(), "trail", &compact)
        .unwrap();
    drop(writer);
    // What version 1 wrote: a list of state files, no `state_through`.
    let path = root.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    manifest["version"] = 1.into();
    manifest["state"] = serde_json::Value::Array(vec![manifest["state"].clone()]);
    manifest.as_object_mut().unwrap().remove("state_through");
    std::fs::write(&path, serde_json::to_string_pretty(&manifest).unwrap()).unwrap();

    let trail = SecurityMaster::build(sample::trail()).unwrap();
    assert_eq!(Store::open(&root).unwrap().master().unwrap(), trail);
    ingest(&root, sample::update()).unwrap();
    let store = Store::open(&root).unwrap();
    let built = trail_and_update();
    assert_eq!(store.master().unwrap(), built);
    assert_eq!(store.table().unwrap(), built.table());
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"version\": 2"), "{text}");
    assert!(store.verify().is_ok());
}
