//! Writers against each other and against what they find: two writers from one
//! generation, a repeated batch, files the store did not write, manifest paths that lead
//! out of it, files longer than recorded, and `init`s at once.

use secmaster_core::{Options, SecurityMaster, sample};
use secmaster_store::{IngestOptions, Store};

use crate::store::{ingest, snapshot, trail_and_update};

/// Two writers that both started from the same generation, as when `writer.lock` is
/// removed while one holds it: the second to commit is refused, commits nothing and
/// removes nothing of the first's, and the store holds exactly the first's batch.
#[test]
fn a_writer_whose_store_changed_under_it_commits_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("s");
    Store::init(&root, &Options::default()).unwrap();
    let mut first = Store::lock(&root).unwrap();
    std::fs::remove_file(root.join("writer.lock")).unwrap();
    let mut second = Store::lock(&root).unwrap();
    let options = IngestOptions::default();
    first
        .ingest_facts(sample::trail(), "trail", &options)
        .unwrap();
    let after_first = snapshot(&root);
    let err = second
        .ingest_facts(sample::update(), "update", &options)
        .unwrap_err();
    assert!(
        matches!(err, secmaster_store::Error::Conflict { .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "store `{}`: another writer committed generation 1 first (was writer.lock \
             removed?); this writer committed nothing",
            root.display()
        )
    );
    assert!(second.compact().is_err());
    assert_eq!(snapshot(&root), after_first);
    let store = Store::open(&root).unwrap();
    assert_eq!(store.batches().len(), 1);
    let trail = SecurityMaster::build(sample::trail()).unwrap();
    assert_eq!(store.master().unwrap(), trail);
    assert_eq!(store.table().unwrap(), trail.table());
    assert_eq!(store.master_after(1).unwrap(), trail);
    store.verify().unwrap();
    // The first writer goes on: nothing it holds is stale.
    first
        .ingest_facts(sample::update(), "update", &options)
        .unwrap();
    assert_eq!(
        Store::open(&root).unwrap().master().unwrap(),
        trail_and_update()
    );
}

/// The facts of the last batch again are refused as a likely retry, unless allowed; the
/// same facts after another batch are not a retry.
#[test]
fn a_repeat_of_the_last_batch_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("s");
    Store::init(&root, &Options::default()).unwrap();
    ingest(&root, sample::trail()).unwrap();
    let before = snapshot(&root);
    let err = ingest(&root, sample::trail()).unwrap_err();
    assert!(
        matches!(err, secmaster_store::Error::Duplicate { batch: 1, .. }),
        "{err}"
    );
    assert_eq!(snapshot(&root), before);
    let allow = IngestOptions::default().with_allow_duplicate(true);
    let mut writer = Store::lock(&root).unwrap();
    let report = writer
        .ingest_facts(sample::trail(), "again", &allow)
        .unwrap();
    assert_eq!((report.batch, report.warnings.len()), (2, 0));
    writer
        .ingest_facts(sample::update(), "update", &IngestOptions::default())
        .unwrap();
    writer
        .ingest_facts(sample::trail(), "trail", &IngestOptions::default())
        .unwrap();
    let batches = writer.store().batches();
    assert_eq!(batches[0].digest(), batches[3].digest());
    assert_ne!(batches[0].digest(), batches[2].digest());
}

/// A writer removes what the store wrote and no longer lists — files named as it names
/// them, and its temporary files — and leaves anything else in its folders alone.
#[test]
fn a_writer_removes_only_files_the_store_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("s");
    Store::init(&root, &Options::default()).unwrap();
    ingest(&root, sample::trail()).unwrap();
    let mine = [
        "log/notes.txt",
        "table/README",
        "state/000001.parquet.bak",
        "keep.me",
    ];
    let debris = [
        "log/000009.parquet",
        "table/000007.parquet",
        "state/000007.blocks",
        "table/.secmaster-abc.tmp",
        ".secmaster-def.tmp",
    ];
    for path in mine.iter().chain(&debris) {
        std::fs::write(root.join(path), "x").unwrap();
    }
    ingest(&root, sample::update()).unwrap();
    for path in mine {
        assert!(root.join(path).is_file(), "{path} was removed");
    }
    for path in debris {
        assert!(!root.join(path).exists(), "{path} is still there");
    }
}

/// A manifest that lists a file outside the store's folders is refused, naming the path.
#[test]
fn a_manifest_path_outside_the_store_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("s");
    Store::init(&root, &Options::default()).unwrap();
    ingest(&root, sample::trail()).unwrap();
    let path = root.join("manifest.json");
    let good = std::fs::read_to_string(&path).unwrap();
    for bad in [
        "../outside.parquet",
        "/etc/passwd",
        "log/../../x",
        "log",
        "x/000001.parquet",
    ] {
        std::fs::write(
            &path,
            good.replace("\"log/000001.parquet\"", &format!("\"{bad}\"")),
        )
        .unwrap();
        let err = Store::open(&root).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "store `{}`: the manifest lists `{bad}`, which is not a file of the store's \
                 log/, state/ or table/ folders",
                root.display()
            )
        );
    }
}

/// `verify` reads at most one byte more than the length it expects: a file replaced by an
/// endless one (a link to /dev/zero) is a mismatch, found at once.
#[cfg(unix)]
#[test]
fn verify_stops_at_the_recorded_length() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("s");
    Store::init(&root, &Options::default()).unwrap();
    ingest(&root, sample::trail()).unwrap();
    let table = root.join("table/000001.parquet");
    std::fs::remove_file(&table).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &table).unwrap();
    let (send, receive) = std::sync::mpsc::channel();
    let store = Store::open(&root).unwrap();
    std::thread::spawn(move || {
        let verified = store.verify().map_err(|e| e.to_string());
        let table = store.table().map(|_| ()).map_err(|e| e.to_string());
        let _ = send.send((verified, table));
    });
    let (verified, table) = receive
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("verify or table still reading /dev/zero after 20 s");
    for err in [verified.unwrap_err(), table.unwrap_err()] {
        assert!(
            err.contains("table/000001.parquet` is corrupt") && err.contains("bytes)"),
            "{err}"
        );
    }
}

/// Of several `init`s of one directory at once, exactly one succeeds.
#[test]
fn one_init_of_many_at_once() {
    for round in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("s");
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
        let inits: Vec<_> = (0..4)
            .map(|_| {
                let (root, barrier) = (root.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    Store::init(&root, &Options::default()).is_ok()
                })
            })
            .collect();
        let ok = inits.into_iter().map(|t| t.join().unwrap());
        let ok = ok.filter(|&ok| ok).count();
        assert_eq!(ok, 1, "round {round}");
        Store::open(&root).unwrap();
    }
}
